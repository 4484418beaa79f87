"""News [002][003]: staff publish, families read the current ones.

Staff (roles staff, admin) work under `/tenants/{tenant}/news`; families read under
`/tenants/{tenant}/me/news`, which shows only the news visible to the caller's household:
published, inside their window, and untargeted or targeted to an activity one of the
household's children attends. A news a family cannot see answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from marshmallow import Schema, ValidationError

from notify import schemas
from notify.api import attachments
from notify.api.callers import author_of, household_of
from notify.domain.errors import AttachmentNotFound, NewsNotFound
from notify.settings import SETTINGS
from notify.usecases import news
from shared import files
from shared.auth import require_caller
from shared.errors import Problem, validation_problem
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.http.uploads import Form, Upload, is_multipart
from shared.keys import POOL
from shared.uow import unit_of_work

routes = web.RouteTableDef()

STAFF = ("staff", "admin")


def _load_form(schema: Schema, form: Form) -> dict[str, Any]:
    """Form fields through a schema; an empty optional field is as if absent (HTML forms)."""
    values = {name: value for name, value in form.fields.items() if value != ""}
    try:
        return schema.load(values)
    except ValidationError as exc:
        raise validation_problem(exc.messages) from None


# --- staff --------------------------------------------------------------------------------
@routes.post("/tenants/{tenant}/news")
@doc(
    "Publish a news (JSON, or multipart/form-data with files)",
    request=schemas.NewsIn,
    response=schemas.NewsOut,
    status=201,
    tags=["news"],
    form={
        "title": "string",
        "body": "string",
        "publish_from?": "string",
        "publish_until?": "string",
        "activity_id?": "string",
        "attachments?": "file",
    },
    responses={403: "Not staff of this tenant", **attachments.RESPONSES},
    description=(
        "JSON body, or multipart/form-data with the same fields as text parts plus files in"
        " parts named `attachments` (PDF, JPEG or PNG, recognised from their content; at most"
        " NEWS_MAX_ATTACHMENTS). Dates: AAAA-MM-JJ in Europe/Paris (an end date includes the"
        " whole day) or ISO 8601 timestamps. The body is plain text: clients escape it."
        " Idempotency-Key: JSON bodies only."
    ),
)
@idempotent
async def create_news(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    settings = request.app[SETTINGS]
    uploads: list[Upload] = []
    if is_multipart(request):
        form = await attachments.read_form(
            request,
            max_file_bytes=settings.news_attachment_max_bytes,
            max_files=settings.news_max_attachments,
        )
        data = _load_form(schemas.NewsIn(), form)
        uploads = form.files
    elif request.content_type == "application/json":
        data = await read_json(request, schemas.NewsIn())
    else:
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Le corps de la requête doit être au format JSON ou multipart/form-data.",
        )
    created = await news.publish_news(
        unit_of_work(request.app, tenant=caller.tenant),
        caller.tenant,
        data,
        uploads,
        created_by=author_of(caller),
        timezone=settings.calendar_timezone,
    )
    return json_response(
        schemas.NewsOut(),
        created,
        status=201,
        headers={"Location": f"/tenants/{caller.tenant}/news/{created['id']}"},
    )


@routes.get("/tenants/{tenant}/news")
@doc(
    "Every news of the tenant (scheduled, current, expired, unpublished), newest first",
    query=schemas.NewsQuery,
    response=schemas.NewsPage,
    tags=["news"],
    responses={403: "Not staff of this tenant"},
)
async def list_news(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    query = read_query(request, schemas.NewsQuery())
    found = await news.news_page(
        request.app[POOL],
        caller.tenant,
        state=query["state"],
        limit=query["limit"],
        offset=query["offset"],
    )
    return json_response(schemas.NewsPage(), found)


@routes.get("/tenants/{tenant}/news/{news_id}")
@doc(
    "One news, as staff see it",
    response=schemas.NewsOut,
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such news"},
)
async def get_news(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    news_id = path_uuid(request, "news_id", NewsNotFound)
    found = await news.news_item(request.app[POOL], caller.tenant, news_id)
    return json_response(schemas.NewsOut(), found)


@routes.patch("/tenants/{tenant}/news/{news_id}")
@doc(
    "Change a news (only the fields given; `activity_id: null` removes the targeting)",
    request=schemas.NewsPatch,
    response=schemas.NewsOut,
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such news"},
)
async def update_news(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    news_id = path_uuid(request, "news_id", NewsNotFound)
    data = await read_json(request, schemas.NewsPatch())
    changed = await news.change_news(
        unit_of_work(request.app, tenant=caller.tenant),
        caller.tenant,
        news_id,
        data,
        timezone=request.app[SETTINGS].calendar_timezone,
    )
    return json_response(schemas.NewsOut(), changed)


@routes.post("/tenants/{tenant}/news/{news_id}/unpublish")
@doc(
    "Withdraw a news: families no longer see it (staff still do)",
    response=schemas.NewsOut,
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such news"},
)
async def unpublish_news(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    news_id = path_uuid(request, "news_id", NewsNotFound)
    changed = await news.set_unpublished(
        unit_of_work(request.app, tenant=caller.tenant), caller.tenant, news_id, True
    )
    return json_response(schemas.NewsOut(), changed)


@routes.post("/tenants/{tenant}/news/{news_id}/publish")
@doc(
    "Publish a withdrawn news again (within its window)",
    response=schemas.NewsOut,
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such news"},
)
async def republish_news(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    news_id = path_uuid(request, "news_id", NewsNotFound)
    changed = await news.set_unpublished(
        unit_of_work(request.app, tenant=caller.tenant), caller.tenant, news_id, False
    )
    return json_response(schemas.NewsOut(), changed)


@routes.delete("/tenants/{tenant}/news/{news_id}")
@doc(
    "Delete a news and its attachments",
    status=204,
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such news"},
)
async def delete_news(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    news_id = path_uuid(request, "news_id", NewsNotFound)
    await news.delete_news(unit_of_work(request.app, tenant=caller.tenant), caller.tenant, news_id)
    return web.Response(status=204)


@routes.post("/tenants/{tenant}/news/{news_id}/attachments")
@doc(
    "Add attachments to a news (multipart/form-data, files in parts named `file`)",
    form={"file": "file"},
    response=schemas.AttachmentList,
    status=201,
    tags=["news"],
    responses={
        403: "Not staff of this tenant",
        404: "No such news",
        422: "Too many attachments",
        **attachments.RESPONSES,
    },
    description=(
        "One or more parts named `file` (or `attachments`): PDF, JPEG or PNG, recognised from"
        " their first bytes whatever their name or declared type."
    ),
)
async def add_attachments(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    settings = request.app[SETTINGS]
    news_id = path_uuid(request, "news_id", NewsNotFound)
    await news.news_item(request.app[POOL], caller.tenant, news_id)  # before reading the files
    form = await attachments.read_form(
        request,
        max_file_bytes=settings.news_attachment_max_bytes,
        max_files=settings.news_max_attachments,
    )
    if form.fields:
        raise validation_problem({name: ["Unknown field."] for name in form.fields})
    if not form.files:
        raise validation_problem({"file": ["Missing data for required field."]})
    items = await news.add_attachments(
        unit_of_work(request.app, tenant=caller.tenant),
        caller.tenant,
        news_id,
        form.files,
        max_attachments=settings.news_max_attachments,
    )
    return json_response(schemas.AttachmentList(), {"items": items}, status=201)


@routes.get("/tenants/{tenant}/news/{news_id}/attachments/{attachment_id}")
@doc(
    "Download an attachment (staff: whatever the news' state)",
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such attachment"},
    description="The file, with its real Content-Type and a Content-Disposition naming it.",
    files=files.DOCUMENTS,
)
async def staff_download(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    news_id = path_uuid(request, "news_id", AttachmentNotFound)
    attachment_id = path_uuid(request, "attachment_id", AttachmentNotFound)
    row = await news.attachment(request.app[POOL], caller.tenant, news_id, attachment_id)
    return attachments.send(row)


@routes.delete("/tenants/{tenant}/news/{news_id}/attachments/{attachment_id}")
@doc(
    "Remove an attachment from a news",
    status=204,
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such attachment"},
)
async def delete_attachment(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    news_id = path_uuid(request, "news_id", AttachmentNotFound)
    attachment_id = path_uuid(request, "attachment_id", AttachmentNotFound)
    await news.delete_attachment(
        unit_of_work(request.app, tenant=caller.tenant), caller.tenant, news_id, attachment_id
    )
    return web.Response(status=204)


# --- families -----------------------------------------------------------------------------
@routes.get("/tenants/{tenant}/me/news")
@doc(
    "The current news for my household, newest first",
    query=schemas.Page,
    response=schemas.FamilyNewsPage,
    tags=["news"],
    description=(
        "Published news inside their window, untargeted or targeted to an activity one of my"
        " household's children attends (household from the token's `household_id`)."
    ),
)
async def my_news(request: web.Request) -> web.Response:
    caller = require_caller(request)
    query = read_query(request, schemas.Page())
    found = await news.visible_news_page(
        request.app[POOL],
        caller.tenant,
        household_of(caller),
        limit=query["limit"],
        offset=query["offset"],
    )
    return json_response(schemas.FamilyNewsPage(), found)


@routes.get("/tenants/{tenant}/me/news/{news_id}")
@doc(
    "One current news for my household",
    response=schemas.FamilyNewsOut,
    tags=["news"],
    responses={404: "No such news, or not visible to my household"},
)
async def my_news_item(request: web.Request) -> web.Response:
    caller = require_caller(request)
    news_id = path_uuid(request, "news_id", NewsNotFound)
    found = await news.visible_news_item(
        request.app[POOL], caller.tenant, household_of(caller), news_id
    )
    return json_response(schemas.FamilyNewsOut(), found)


@routes.get("/tenants/{tenant}/me/news/{news_id}/attachments/{attachment_id}")
@doc(
    "Download an attachment of a news visible to my household",
    tags=["news"],
    responses={404: "No such attachment, or its news is not visible to my household"},
    description="The file, with its real Content-Type and a Content-Disposition naming it.",
    files=files.DOCUMENTS,
)
async def my_download(request: web.Request) -> web.Response:
    caller = require_caller(request)
    news_id = path_uuid(request, "news_id", AttachmentNotFound)
    attachment_id = path_uuid(request, "attachment_id", AttachmentNotFound)
    row = await news.visible_attachment(
        request.app[POOL], caller.tenant, household_of(caller), news_id, attachment_id
    )
    return attachments.send(row)

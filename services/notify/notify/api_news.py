"""HTTP handlers of the news [002][003]: staff publish, families read the current ones.

Staff (roles staff, admin) work under `/tenants/{tenant}/news`; families read under
`/tenants/{tenant}/me/news`, which shows only the news visible to the caller's household:
published, inside their window, and untargeted or targeted to an activity one of the
household's children attends. A news a family cannot see answers 404, as if it did not exist.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

from aiohttp import web
from marshmallow import ValidationError

from notify import schemas, store
from notify.domain import calendar
from notify.settings import NotifySettings
from notify.uploads import ATTACHMENT, read_form
from shared import files
from shared.auth import Caller, require_caller
from shared.errors import NotFound, Problem, validation_problem
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json, read_query
from shared.http.uploads import Form, Upload, download, field_problem, is_multipart
from shared.keys import POOL, SETTINGS

routes = web.RouteTableDef()

STAFF = ("staff", "admin")
NEWS = "/tenants/{tenant}/news"
MY_NEWS = "/tenants/{tenant}/me/news"


class NewsNotFound(NotFound):
    code = "news-not-found"
    detail = "Cette actualité est introuvable."


class AttachmentNotFound(NotFound):
    code = "attachment-not-found"
    detail = "Cette pièce jointe est introuvable."


def _settings(request: web.Request) -> NotifySettings:
    return cast(NotifySettings, request.app[SETTINGS])


def _uuid(request: web.Request, name: str, error: type[NotFound]) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise error() from None


def _account(caller: Caller) -> uuid.UUID | None:
    try:
        return uuid.UUID(caller.account_id)
    except (TypeError, ValueError):
        return None


def _household(caller: Caller) -> uuid.UUID | None:
    """The caller's household (token claim); none: only untargeted news are visible."""
    try:
        return uuid.UUID(str(caller.household_id)) if caller.household_id else None
    except ValueError:
        return None


def _next_offset(items: list[Any], page: dict[str, Any]) -> int | None:
    return page["offset"] + len(items) if len(items) == page["limit"] else None


def _load_form(schema: schemas.Schema, form: Form) -> dict[str, Any]:
    """Form fields through a schema; an empty optional field is as if absent (HTML forms)."""
    values = {name: value for name, value in form.fields.items() if value != ""}
    try:
        return schema.load(values)
    except ValidationError as exc:
        raise validation_problem(exc.messages) from None


def _too_many(count: int, settings: NotifySettings, field: str) -> Problem:
    return field_problem(
        422,
        "too-many-attachments",
        "Too many attachments",
        field,
        f"Une actualité a au plus {settings.news_max_attachments} pièces jointes"
        f" (elle en a déjà {count}).",
    )


async def _store_uploads(
    conn: Any, tenant: str, news_id: uuid.UUID, uploads: list[Upload]
) -> list[dict[str, Any]]:
    return [
        await store.add_attachment(
            conn,
            tenant,
            news_id,
            filename=u.filename,
            content_type=u.content_type,
            content=u.content,
            sha256=u.sha256,
        )
        for u in uploads
    ]


def _download(row: dict[str, Any]) -> web.Response:
    return download(
        row["filename"],
        row["content_type"],
        bytes(row["content"]),
        fallback_name=ATTACHMENT,
        headers={"Cache-Control": "private, no-cache", "ETag": f'"{row["sha256"]}"'},
    )


ATTACHMENT_RESPONSES = {
    413: "An attachment is larger than NEWS_ATTACHMENT_MAX_BYTES (5 MiB by default)",
    415: "An attachment is not a PDF, JPEG or PNG (read from its content), or the body is"
    " neither JSON nor multipart/form-data",
}


# --- staff --------------------------------------------------------------------------------
@routes.post(NEWS)
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
    responses={403: "Not staff of this tenant", **ATTACHMENT_RESPONSES},
    description=(
        "JSON body, or multipart/form-data with the same fields as text parts plus files in"
        " parts named `attachments` (PDF, JPEG or PNG, recognised from their content; at most"
        " NEWS_MAX_ATTACHMENTS). Dates: AAAA-MM-JJ in Europe/Paris (an end date includes the"
        " whole day) or ISO 8601 timestamps. The body is plain text: clients escape it."
    ),
)
async def create_news(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    settings = _settings(request)
    uploads: list[Upload] = []
    if is_multipart(request):
        form = await read_form(
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
    start, until = calendar.window(
        data["publish_from"], data["publish_until"], settings.calendar_timezone, datetime.now(UTC)
    )
    pool = request.app[POOL]
    async with pool.acquire() as conn, conn.transaction():
        news_id = await store.create_news(
            conn,
            caller.tenant,
            title=data["title"],
            body=data["body"],
            publish_from=start,
            publish_until=until,
            activity_id=data["activity_id"],
            created_by=_account(caller),
        )
        await _store_uploads(conn, caller.tenant, news_id, uploads)
        news = await store.get_news(conn, caller.tenant, news_id)
    return json_response(
        schemas.NewsOut(),
        news,
        status=201,
        headers={"Location": f"/tenants/{caller.tenant}/news/{news_id}"},
    )


@routes.get(NEWS)
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
    items = await store.list_news(
        request.app[POOL],
        caller.tenant,
        state=query["state"],
        limit=query["limit"],
        offset=query["offset"],
    )
    return json_response(
        schemas.NewsPage(), {"items": items, "next_offset": _next_offset(items, query)}
    )


@routes.get(NEWS + "/{news_id}")
@doc(
    "One news, as staff see it",
    response=schemas.NewsOut,
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such news"},
)
async def get_news(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    news_id = _uuid(request, "news_id", NewsNotFound)
    news = await store.get_news(request.app[POOL], caller.tenant, news_id)
    if news is None:
        raise NewsNotFound()
    return json_response(schemas.NewsOut(), news)


@routes.patch(NEWS + "/{news_id}")
@doc(
    "Change a news (only the fields given; `activity_id: null` removes the targeting)",
    request=schemas.NewsPatch,
    response=schemas.NewsOut,
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such news"},
)
async def update_news(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    settings = _settings(request)
    news_id = _uuid(request, "news_id", NewsNotFound)
    data = await read_json(request, schemas.NewsPatch())
    pool = request.app[POOL]
    async with pool.acquire() as conn, conn.transaction():
        await store.lock_news(conn, caller.tenant, news_id)
        current = await store.get_news(conn, caller.tenant, news_id)
        if current is None:
            raise NewsNotFound()
        changes = dict(data)
        if "publish_from" in data or "publish_until" in data:
            changes["publish_from"], changes["publish_until"] = calendar.changed_window(
                current["publish_from"],
                current["publish_until"],
                data,
                settings.calendar_timezone,
                datetime.now(UTC),
            )
        await store.update_news(conn, caller.tenant, news_id, changes)
        news = await store.get_news(conn, caller.tenant, news_id)
    return json_response(schemas.NewsOut(), news)


async def _set_unpublished(request: web.Request, unpublished: bool) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    news_id = _uuid(request, "news_id", NewsNotFound)
    pool = request.app[POOL]
    if not await store.set_unpublished(pool, caller.tenant, news_id, unpublished):
        raise NewsNotFound()
    return json_response(schemas.NewsOut(), await store.get_news(pool, caller.tenant, news_id))


@routes.post(NEWS + "/{news_id}/unpublish")
@doc(
    "Withdraw a news: families no longer see it (staff still do)",
    response=schemas.NewsOut,
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such news"},
)
async def unpublish_news(request: web.Request) -> web.Response:
    return await _set_unpublished(request, True)


@routes.post(NEWS + "/{news_id}/publish")
@doc(
    "Publish a withdrawn news again (within its window)",
    response=schemas.NewsOut,
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such news"},
)
async def republish_news(request: web.Request) -> web.Response:
    return await _set_unpublished(request, False)


@routes.delete(NEWS + "/{news_id}")
@doc(
    "Delete a news and its attachments",
    status=204,
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such news"},
)
async def delete_news(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    news_id = _uuid(request, "news_id", NewsNotFound)
    if not await store.delete_news(request.app[POOL], caller.tenant, news_id):
        raise NewsNotFound()
    return web.Response(status=204)


@routes.post(NEWS + "/{news_id}/attachments")
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
        **ATTACHMENT_RESPONSES,
    },
    description=(
        "One or more parts named `file` (or `attachments`): PDF, JPEG or PNG, recognised from"
        " their first bytes whatever their name or declared type."
    ),
)
async def add_attachments(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    settings = _settings(request)
    news_id = _uuid(request, "news_id", NewsNotFound)
    pool = request.app[POOL]
    if await store.get_news(pool, caller.tenant, news_id) is None:
        raise NewsNotFound()  # before reading the files
    form = await read_form(
        request,
        max_file_bytes=settings.news_attachment_max_bytes,
        max_files=settings.news_max_attachments,
    )
    if form.fields:
        raise validation_problem({name: ["Unknown field."] for name in form.fields})
    if not form.files:
        raise validation_problem({"file": ["Missing data for required field."]})
    async with pool.acquire() as conn, conn.transaction():
        count = await store.lock_news(conn, caller.tenant, news_id)
        if count is None:
            raise NewsNotFound()
        if count + len(form.files) > settings.news_max_attachments:
            raise _too_many(count, settings, form.files[0].field)
        items = await _store_uploads(conn, caller.tenant, news_id, form.files)
    return json_response(schemas.AttachmentList(), {"items": items}, status=201)


@routes.get(NEWS + "/{news_id}/attachments/{attachment_id}")
@doc(
    "Download an attachment (staff: whatever the news' state)",
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such attachment"},
    description="The file, with its real Content-Type and a Content-Disposition naming it.",
    files=files.DOCUMENTS,
)
async def staff_download(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    news_id = _uuid(request, "news_id", AttachmentNotFound)
    attachment_id = _uuid(request, "attachment_id", AttachmentNotFound)
    row = await store.attachment(request.app[POOL], caller.tenant, news_id, attachment_id)
    if row is None:
        raise AttachmentNotFound()
    return _download(row)


@routes.delete(NEWS + "/{news_id}/attachments/{attachment_id}")
@doc(
    "Remove an attachment from a news",
    status=204,
    tags=["news"],
    responses={403: "Not staff of this tenant", 404: "No such attachment"},
)
async def delete_attachment(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    news_id = _uuid(request, "news_id", AttachmentNotFound)
    attachment_id = _uuid(request, "attachment_id", AttachmentNotFound)
    if not await store.delete_attachment(request.app[POOL], caller.tenant, news_id, attachment_id):
        raise AttachmentNotFound()
    return web.Response(status=204)


# --- families -----------------------------------------------------------------------------
@routes.get(MY_NEWS)
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
    items = await store.visible_news(
        request.app[POOL],
        caller.tenant,
        _household(caller),
        limit=query["limit"],
        offset=query["offset"],
    )
    return json_response(
        schemas.FamilyNewsPage(), {"items": items, "next_offset": _next_offset(items, query)}
    )


@routes.get(MY_NEWS + "/{news_id}")
@doc(
    "One current news for my household",
    response=schemas.FamilyNewsOut,
    tags=["news"],
    responses={404: "No such news, or not visible to my household"},
)
async def my_news_item(request: web.Request) -> web.Response:
    caller = require_caller(request)
    news_id = _uuid(request, "news_id", NewsNotFound)
    news = await store.visible_news_item(
        request.app[POOL], caller.tenant, _household(caller), news_id
    )
    if news is None:
        raise NewsNotFound()
    return json_response(schemas.FamilyNewsOut(), news)


@routes.get(MY_NEWS + "/{news_id}/attachments/{attachment_id}")
@doc(
    "Download an attachment of a news visible to my household",
    tags=["news"],
    responses={404: "No such attachment, or its news is not visible to my household"},
    description="The file, with its real Content-Type and a Content-Disposition naming it.",
    files=files.DOCUMENTS,
)
async def my_download(request: web.Request) -> web.Response:
    caller = require_caller(request)
    news_id = _uuid(request, "news_id", AttachmentNotFound)
    attachment_id = _uuid(request, "attachment_id", AttachmentNotFound)
    row = await store.visible_attachment(
        request.app[POOL], caller.tenant, _household(caller), news_id, attachment_id
    )
    if row is None:
        raise AttachmentNotFound()
    return _download(row)

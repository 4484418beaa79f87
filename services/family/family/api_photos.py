"""Children's photos: JPEG or PNG (read from the content), size-limited.

Staff put or remove a photo at once; a family's new photo (or its removal) is a pending
change like any other, whose image waits apart until staff look at it and decide. Staff and
the child's own family get the photo back; anyone else gets 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from family import store
from family.api import (
    STAFF,
    ChangeNotFound,
    Scope,
    _bind,
    change_body,
    path_uuid,
    settings_of,
)
from family.operations import MemberNotFound
from family.schemas import ChangeOut, PhotoOut
from family.uploads import ensure_room, read_image
from shared import files
from shared.auth import require_caller
from shared.errors import NotFound
from shared.http.openapi import doc
from shared.http.requests import json_response
from shared.http.uploads import Upload, download
from shared.keys import POOL

routes = web.RouteTableDef()


class NoPhoto(NotFound):
    code = "no-photo"
    detail = "Aucune photo n'a été enregistrée pour cet enfant."


class NoProposedPhoto(NotFound):
    code = "no-proposed-photo"
    detail = "Cette demande ne contient pas (ou plus) de photo."


UPLOAD_DESCRIPTION = (
    "The image as the raw body (any Content-Type: the content decides) or as the `file` part "
    "of a multipart/form-data form. JPEG or PNG only, read from the content whatever the "
    "name; at most `PHOTO_MAX_BYTES` (2 MiB by default). 413 too large, 415 not a JPEG or "
    "PNG, 422 empty."
)


def _meta(upload: Upload) -> dict[str, Any]:
    return {"content_type": upload.content_type, "size": upload.size, "sha256": upload.sha256}


def _photo_meta(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: row[k] for k in ("content_type", "size", "sha256")}


async def _child(scope: Scope, conn: Any, child_id: uuid.UUID) -> dict[str, Any]:
    return await scope.ops(conn).child(scope.household_id, child_id)


async def _propose(
    scope: Scope, child_id: uuid.UUID, operation: str, upload: Upload | None, limit: int
) -> web.Response:
    """A family's photo change, stored as pending with the current photo's description."""
    async with scope.pool.acquire() as conn, conn.transaction():
        if upload is not None:
            await ensure_room(conn, scope.household_id, limit)
        child = await _child(scope, conn, child_id)
        current = await store.get_photo(conn, scope.tenant, child_id)
        if operation == "delete" and current is None:
            raise NoPhoto()
        ops = scope.ops(conn)
        change = await store.insert_change(
            conn,
            {
                "id": uuid.uuid4(),
                "tenant": scope.tenant,
                "household_id": scope.household_id,
                "entity": "photo",
                "operation": operation,
                "entity_id": None,
                "parent_id": child_id,
                "label": f"{child['first_name']} {child['last_name']}",
                "before": _photo_meta(current),
                "proposed": _meta(upload) if upload is not None else None,
                "submitted_by": scope.actor,
                "submitted_at": ops.now,
            },
        )
        if upload is not None:
            await store.put_pending_photo(conn, change["id"], upload.content)
    return json_response(ChangeOut(), change_body(change, scope.vault), status=202)


async def _put_photo(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    child_id = path_uuid(request, "child_id", MemberNotFound)
    # Who and which child first: nothing is read from someone who may not send it.
    async with scope.pool.acquire() as conn:
        await _child(scope, conn, child_id)
    upload = await read_image(request, max_bytes=settings_of(request).photo_max_bytes)
    if not scope.staff:
        limit = settings_of(request).household_pending_uploads
        return await _propose(scope, child_id, "update", upload, limit)
    async with scope.pool.acquire() as conn, conn.transaction():
        row = await scope.ops(conn).put_photo(
            scope.household_id,
            child_id,
            {"content_type": upload.content_type, "content": upload.content},
        )
    return json_response(PhotoOut(), row)


async def _get_photo(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    child_id = path_uuid(request, "child_id", MemberNotFound)
    async with scope.pool.acquire() as conn:
        child = await _child(scope, conn, child_id)
        photo = await store.get_photo(conn, scope.tenant, child_id, content=True)
    if photo is None:
        raise NoPhoto()
    name = files.clean_filename(f"photo {child['first_name']}", photo["content_type"])
    response = download(name, photo["content_type"], photo["content"], disposition="inline")
    response.headers["ETag"] = f'"{photo["sha256"]}"'
    return response


async def _delete_photo(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    child_id = path_uuid(request, "child_id", MemberNotFound)
    if not scope.staff:
        return await _propose(scope, child_id, "delete", None, 0)
    async with scope.pool.acquire() as conn, conn.transaction():
        if not await scope.ops(conn).delete_photo(scope.household_id, child_id):
            raise NoPhoto()
    return web.Response(status=204)


for _prefix, _who in (
    ("/tenants/{tenant}/households/{household_id}", "staff"),
    ("/tenants/{tenant}/me/household", "family"),
):
    _tags = ["households"] if _who == "staff" else ["my household"]
    _path = _prefix + "/children/{child_id}/photo"
    routes.put(_path)(
        doc(
            f"Put a child's photo ({_who}; "
            + ("applied)" if _who == "staff" else "pending staff validation)"),
            response=PhotoOut if _who == "staff" else ChangeOut,
            status=200 if _who == "staff" else 202,
            tags=_tags,
            description=UPLOAD_DESCRIPTION,
            responses={413: "Image too large", 415: "Not a JPEG or PNG", 422: "Empty"},
            form={"file": "file"},
            raw_types=["image/jpeg", "image/png"],
        )(_bind(_put_photo))
    )
    routes.get(_path)(
        doc(
            f"A child's photo ({_who}): the image, with its type",
            tags=_tags,
            responses={404: "No such child in the household, or no photo"},
            files=files.IMAGES,
        )(_bind(_get_photo))
    )
    routes.delete(_path)(
        doc(
            f"Remove a child's photo ({_who}; "
            + ("applied)" if _who == "staff" else "pending staff validation)"),
            response=None if _who == "staff" else ChangeOut,
            status=204 if _who == "staff" else 202,
            tags=_tags,
            responses={404: "No such child in the household, or no photo"},
        )(_bind(_delete_photo))
    )


# --- the image a family proposed, while its change waits ----------------------------------


async def _proposed_photo(request: web.Request, change: dict[str, Any] | None) -> web.Response:
    if change is None or change["entity"] != "photo":
        raise ChangeNotFound()
    content = await store.pending_photo(request.app[POOL], change["id"])
    if content is None:
        raise NoProposedPhoto()
    content_type = change["proposed"]["content_type"]
    name = files.clean_filename("photo proposée", content_type)
    return download(name, content_type, content, disposition="inline")


@routes.get("/tenants/{tenant}/changes/{change_id}/photo")
@doc(
    "The photo a family proposed, while the change waits (staff)",
    tags=["changes"],
    responses={404: "Not a photo change, or already decided"},
    files=files.IMAGES,
)
async def staff_proposed_photo(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    change_id = path_uuid(request, "change_id", ChangeNotFound)
    return await _proposed_photo(
        request, await store.get_change(request.app[POOL], caller.tenant, change_id)
    )


@routes.get("/tenants/{tenant}/me/household/changes/{change_id}/photo")
@doc(
    "The photo I proposed, while the change waits (family)",
    tags=["changes"],
    responses={404: "Not a photo change of my household, or already decided"},
    files=files.IMAGES,
)
async def my_proposed_photo(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    change_id = path_uuid(request, "change_id", ChangeNotFound)
    change = await store.get_change(scope.pool, scope.tenant, change_id)
    if change is not None and change["household_id"] != scope.household_id:
        change = None
    return await _proposed_photo(request, change)

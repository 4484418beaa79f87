"""Children's photos: JPEG or PNG (read from the content), size-limited.

Staff put or remove a photo at once; a family's new photo (or its removal) is a pending
change like any other, whose image waits apart until staff look at it and decide. Staff and
the child's own family get the photo back; anyone else gets 404.
"""

from __future__ import annotations

from aiohttp import web

from family.api.access import Scope, family_edits_allowed, settings, staff, uow
from family.domain.errors import ChangeNotFound, MemberNotFound
from family.schemas import ChangeOut, PhotoOut
from family.state import VAULT
from family.usecases import File, changes, members, photos
from shared import files
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid
from shared.http.uploads import Upload, download, field_problem, is_multipart, read_body, read_form
from shared.keys import POOL

routes = web.RouteTableDef()

FILE_FIELD = "file"
UPLOAD_DESCRIPTION = (
    "The image as the raw body (any Content-Type: the content decides) or as the `file` part "
    "of a multipart/form-data form. JPEG or PNG only, read from the content whatever the "
    "name; at most `PHOTO_MAX_BYTES` (2 MiB by default). 413 too large, 415 not a JPEG or "
    "PNG, 422 empty."
)


async def read_image(request: web.Request, *, max_bytes: int) -> Upload:
    """A JPEG or PNG image: the `file` part of a multipart form, or the raw request body
    (any declared type: the content decides). 413 too large, 415 not a JPEG/PNG, 422 empty."""
    if not is_multipart(request):
        return await read_body(request, max_bytes=max_bytes, accepted=files.IMAGES)
    form = await read_form(request, max_file_bytes=max_bytes, accepted=files.IMAGES)
    if form.file is None:
        raise field_problem(
            422, "validation-error", "Invalid request", FILE_FIELD, "Joignez la photo (champ file)."
        )
    return form.file


async def _put_photo(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    if not scope.staff:
        await family_edits_allowed(request, scope.tenant)
    child_id = path_uuid(request, "child_id", MemberNotFound)
    # Who and which child first: nothing is read from someone who may not send it.
    await members.child(request.app[POOL], scope.tenant, scope.household_id, child_id)
    limits = settings(request)
    image = await read_image(request, max_bytes=limits.photo_max_bytes)
    if not scope.staff:
        file = File(image.filename, image.content_type, image.content, image.size, image.sha256)
        change = await changes.propose_photo(
            uow(request, scope.actor),
            scope.actor,
            request.app[VAULT],
            scope.household_id,
            child_id,
            file,
            room=limits.household_pending_uploads,
        )
        return json_response(ChangeOut(), change, status=202)
    row = await photos.replace_photo(
        uow(request, scope.actor),
        scope.actor,
        scope.household_id,
        child_id,
        content_type=image.content_type,
        content=image.content,
    )
    return json_response(PhotoOut(), row)


async def _get_photo(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    child_id = path_uuid(request, "child_id", MemberNotFound)
    photo = await photos.child_photo(request.app[POOL], scope.tenant, scope.household_id, child_id)
    response = download(photo.filename, photo.content_type, photo.content, disposition="inline")
    response.headers["ETag"] = f'"{photo.sha256}"'
    return response


async def _delete_photo(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    if not scope.staff:
        await family_edits_allowed(request, scope.tenant)
    child_id = path_uuid(request, "child_id", MemberNotFound)
    if not scope.staff:
        change = await changes.propose_photo(
            uow(request, scope.actor),
            scope.actor,
            request.app[VAULT],
            scope.household_id,
            child_id,
            None,
            room=0,
        )
        return json_response(ChangeOut(), change, status=202)
    await photos.delete_photo(uow(request, scope.actor), scope.actor, scope.household_id, child_id)
    return web.Response(status=204)


def _proposed(image: File) -> web.Response:
    return download(image.filename, image.content_type, image.content, disposition="inline")


# --- staff -----------------------------------------------------------------------------------


@routes.put("/tenants/{tenant}/households/{household_id}/children/{child_id}/photo")
@doc(
    "Put a child's photo (staff; applied)",
    response=PhotoOut,
    status=200,
    tags=["households"],
    description=UPLOAD_DESCRIPTION,
    responses={413: "Image too large", 415: "Not a JPEG or PNG", 422: "Empty"},
    form={"file": "file"},
    raw_types=["image/jpeg", "image/png"],
)
async def staff_put_photo(request: web.Request) -> web.Response:
    return await _put_photo(request)


@routes.get("/tenants/{tenant}/households/{household_id}/children/{child_id}/photo")
@doc(
    "A child's photo (staff): the image, with its type",
    tags=["households"],
    responses={404: "No such child in the household, or no photo"},
    files=files.IMAGES,
)
async def staff_get_photo(request: web.Request) -> web.Response:
    return await _get_photo(request)


@routes.delete("/tenants/{tenant}/households/{household_id}/children/{child_id}/photo")
@doc(
    "Remove a child's photo (staff; applied)",
    status=204,
    tags=["households"],
    responses={404: "No such child in the household, or no photo"},
)
async def staff_delete_photo(request: web.Request) -> web.Response:
    return await _delete_photo(request)


@routes.get("/tenants/{tenant}/changes/{change_id}/photo")
@doc(
    "The photo a family proposed, while the change waits (staff)",
    tags=["changes"],
    responses={404: "Not a photo change, or already decided"},
    files=files.IMAGES,
)
async def staff_proposed_photo(request: web.Request) -> web.Response:
    actor = staff(request)
    change_id = path_uuid(request, "change_id", ChangeNotFound)
    return _proposed(await photos.proposed_photo(request.app[POOL], actor.tenant, change_id, None))


# --- family ----------------------------------------------------------------------------------


@routes.put("/tenants/{tenant}/me/household/children/{child_id}/photo")
@doc(
    "Put a child's photo (family; pending staff validation)",
    response=ChangeOut,
    status=202,
    tags=["my household"],
    description=UPLOAD_DESCRIPTION,
    responses={413: "Image too large", 415: "Not a JPEG or PNG", 422: "Empty"},
    form={"file": "file"},
    raw_types=["image/jpeg", "image/png"],
)
async def family_put_photo(request: web.Request) -> web.Response:
    return await _put_photo(request)


@routes.get("/tenants/{tenant}/me/household/children/{child_id}/photo")
@doc(
    "A child's photo (family): the image, with its type",
    tags=["my household"],
    responses={404: "No such child in the household, or no photo"},
    files=files.IMAGES,
)
async def family_get_photo(request: web.Request) -> web.Response:
    return await _get_photo(request)


@routes.delete("/tenants/{tenant}/me/household/children/{child_id}/photo")
@doc(
    "Remove a child's photo (family; pending staff validation)",
    response=ChangeOut,
    status=202,
    tags=["my household"],
    responses={404: "No such child in the household, or no photo"},
)
async def family_delete_photo(request: web.Request) -> web.Response:
    return await _delete_photo(request)


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
    image = await photos.proposed_photo(
        request.app[POOL], scope.tenant, change_id, scope.household_id
    )
    return _proposed(image)

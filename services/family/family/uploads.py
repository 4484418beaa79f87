"""Uploads as family reads them: children's photos (the `file` part of a form or the raw
body), and the room a household has for files waiting for staff."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from family import store
from shared import files
from shared.errors import DomainError
from shared.http.uploads import Upload, field_problem, is_multipart, read_body, read_form

FILE_FIELD = "file"


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


class TooManyPendingUploads(DomainError):
    code = "too-many-pending-uploads"
    kind = "conflict"
    title = "Too many files waiting for staff"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Votre foyer a déjà {limit} documents ou photos en attente de validation par la"
            " mairie ; vous pourrez en envoyer d'autres quand ils auront été traités.",
            limit=limit,
        )


async def ensure_room(conn: Any, household_id: uuid.UUID, limit: int) -> None:
    """Refuse a family's new file while `limit` files of its household wait for staff (the
    count is read under the household row's lock, so two uploads at once cannot both pass
    the last place)."""
    await conn.execute("SELECT 1 FROM households WHERE id = $1 FOR UPDATE", household_id)
    if await store.pending_uploads(conn, household_id) >= limit:
        raise TooManyPendingUploads(limit)

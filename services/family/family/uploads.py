"""Children's photos as family reads them: the `file` part of a form or the raw body."""

from __future__ import annotations

from aiohttp import web

from shared import files
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

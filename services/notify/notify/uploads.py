"""News attachments as notify reads them: shared.http.uploads with the news' limits."""

from __future__ import annotations

from aiohttp import web

from shared.http import uploads
from shared.http.uploads import Form

FILE_FIELDS = ("attachments", "file")
ATTACHMENT = "piece-jointe"  # the name of a file sent without one
MAX_TEXT_BYTES = 256 * 1024
MAX_TEXT_FIELDS = 20


async def read_form(request: web.Request, *, max_file_bytes: int, max_files: int) -> Form:
    """The text fields and attachments of a multipart/form-data request."""
    return await uploads.read_form(
        request,
        max_file_bytes=max_file_bytes,
        max_files=max_files,
        file_fields=FILE_FIELDS,
        fallback_name=ATTACHMENT,
        max_text_bytes=MAX_TEXT_BYTES,
        max_text_fields=MAX_TEXT_FIELDS,
    )

"""News attachments over HTTP: read from a multipart/form-data request (shared.http.uploads
with the news' limits) and sent back as downloads."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from shared.http import uploads
from shared.http.uploads import Form, download

FILE_FIELDS = ("attachments", "file")
ATTACHMENT = "piece-jointe"  # the name of a file sent without one
MAX_TEXT_BYTES = 256 * 1024
MAX_TEXT_FIELDS = 20

RESPONSES = {
    413: "An attachment is larger than NEWS_ATTACHMENT_MAX_BYTES (5 MiB by default)",
    415: "An attachment is not a PDF, JPEG or PNG (read from its content), or the body is"
    " neither JSON nor multipart/form-data",
}


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


def send(row: dict[str, Any]) -> web.Response:
    """An attachment as a download, with its real type and its name."""
    return download(
        row["filename"],
        row["content_type"],
        bytes(row["content"]),
        fallback_name=ATTACHMENT,
        headers={"Cache-Control": "private, no-cache", "ETag": f'"{row["sha256"]}"'},
    )

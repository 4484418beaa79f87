"""Reading multipart/form-data uploads as a stream, with limits: text fields plus at most one
file (part `file`) whose type is read from its first bytes (PDF, JPEG, PNG), never from its
name or the type the client declared. aiohttp's `client_max_size` does not apply to
`request.multipart()`, so every limit is enforced here while reading."""

from __future__ import annotations

import dataclasses
import hashlib
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from family.domain import files
from shared.errors import Problem

FILE_FIELD = "file"
MAX_TEXT_BYTES = 64 * 1024
MAX_TEXT_FIELDS = 10
CHUNK = 64 * 1024


@dataclasses.dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    content: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


@dataclasses.dataclass
class Form:
    fields: dict[str, str] = dataclasses.field(default_factory=dict)
    file: Upload | None = None


def is_multipart(request: web.Request) -> bool:
    return request.content_type == "multipart/form-data"


def field_problem(
    status: int, code: str, title: str, field: str, detail: str, **extra: object
) -> Problem:
    return Problem(
        status, code, title, detail, errors=[{"field": field, "detail": detail}], **extra
    )


async def read_form(request: web.Request, *, max_file_bytes: int) -> Form:
    """The text fields and the file of a multipart/form-data request (415, 413, 422, 400)."""
    if not is_multipart(request):
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Le document doit être envoyé au format multipart/form-data (champ « file »).",
        )
    form = Form()
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise _malformed()
            name = part.name or ""
            if name == FILE_FIELD:
                if form.file is not None:
                    raise field_problem(
                        422,
                        "too-many-files",
                        "Too many files",
                        name,
                        "Un seul fichier par envoi (champ file).",
                    )
                form.file = await _read_file(part, name, max_file_bytes)
            else:
                if len(form.fields) >= MAX_TEXT_FIELDS or name in form.fields:
                    raise _malformed()
                form.fields[name] = await _read_text(part, name)
    except (ValueError, AssertionError, RuntimeError):
        raise _malformed() from None
    return form


async def _read_file(part: BodyPartReader, field: str, limit: int) -> Upload:
    filename = _unquote(part.filename or "")
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size > limit:
            detail = (
                f"Le fichier « {filename or 'sans nom'} » (champ {field}) dépasse la taille"
                f" maximale de {files.human_size(limit)}."
            )
            raise field_problem(
                413, "file-too-large", "File too large", field, detail, max_bytes=limit
            )
        digest.update(chunk)
        chunks.append(chunk)
    content = b"".join(chunks)
    if not content:
        raise field_problem(
            422,
            "empty-file",
            "Empty file",
            field,
            f"Le fichier « {filename or 'sans nom'} » (champ {field}) est vide.",
        )
    content_type = files.sniff(content)
    if content_type is None:
        detail = (
            f"Le fichier « {filename or 'sans nom'} » (champ {field}) n'est ni un PDF, ni une"
            " image JPEG ou PNG : seuls ces formats sont acceptés."
        )
        raise field_problem(415, "unsupported-file-type", "Unsupported file type", field, detail)
    return Upload(
        filename=files.clean_filename(filename, content_type),
        content_type=content_type,
        content=content,
        sha256=digest.hexdigest(),
    )


async def _read_text(part: BodyPartReader, field: str) -> str:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size > MAX_TEXT_BYTES:
            raise field_problem(
                413,
                "payload-too-large",
                "Payload too large",
                field,
                f"Le champ {field} est trop long.",
            )
        chunks.append(chunk)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise field_problem(
            422, "validation-error", "Invalid request", field, "Le texte doit être en UTF-8."
        ) from None


def _unquote(filename: str) -> str:
    """Browsers send the name as UTF-8; some clients (aiohttp's) percent-encode it."""
    if "%" not in filename:
        return filename
    try:
        return unquote(filename, errors="strict")
    except UnicodeDecodeError:
        return filename


def _malformed() -> Problem:
    return Problem(
        400,
        "malformed-multipart",
        "Malformed multipart body",
        "Le formulaire envoyé est mal formé (multipart/form-data attendu).",
    )


def download(filename: str, content_type: str, content: bytes) -> web.Response:
    """A stored file sent back as an attachment, never sniffed or rendered inline."""
    return web.Response(
        body=content,
        content_type=content_type,
        headers={
            "Content-Disposition": files.content_disposition(filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )

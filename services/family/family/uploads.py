"""Reading uploads as a stream, with limits: multipart/form-data (text fields plus at most one
file, part `file`) or, for a child's photo, the raw body too. The type is read from the first
bytes (PDF, JPEG, PNG), never from the name or the type the client declared. aiohttp's
`client_max_size` does not apply to `request.multipart()` nor to `request.content`, so every
limit is enforced here while reading."""

from __future__ import annotations

import dataclasses
import hashlib
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from shared import files
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


async def read_form(
    request: web.Request, *, max_file_bytes: int, accepted: frozenset[str] = files.DOCUMENTS
) -> Form:
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
                form.file = await _read_file(part, name, max_file_bytes, accepted)
            else:
                if len(form.fields) >= MAX_TEXT_FIELDS or name in form.fields:
                    raise _malformed()
                form.fields[name] = await _read_text(part, name)
    except (ValueError, AssertionError, RuntimeError):
        raise _malformed() from None
    return form


async def _read_file(
    part: BodyPartReader, field: str, limit: int, accepted: frozenset[str]
) -> Upload:
    filename = _unquote(part.filename or "")
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(filename, field, limit)
        chunks.append(chunk)
    return checked(b"".join(chunks), filename, field, accepted)


async def read_image(request: web.Request, *, max_bytes: int) -> Upload:
    """A JPEG or PNG image: the `file` part of a multipart form, or the raw request body
    (any declared type: the content decides). 413 too large, 415 not a JPEG/PNG, 422 empty."""
    if is_multipart(request):
        form = await read_form(request, max_file_bytes=max_bytes, accepted=files.IMAGES)
        if form.file is None:
            raise field_problem(
                422,
                "validation-error",
                "Invalid request",
                FILE_FIELD,
                "Joignez la photo (champ file).",
            )
        return form.file
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large("", FILE_FIELD, max_bytes)
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large("", FILE_FIELD, max_bytes)
        chunks.append(chunk)
    return checked(b"".join(chunks), "", FILE_FIELD, files.IMAGES)


def checked(content: bytes, filename: str, field: str, accepted: frozenset[str]) -> Upload:
    """The upload if its content is not empty and of an accepted type (422, 415)."""
    shown = filename or "sans nom"
    if not content:
        raise field_problem(
            422,
            "empty-file",
            "Empty file",
            field,
            f"Le fichier « {shown} » (champ {field}) est vide.",
        )
    content_type = files.sniff(content)
    if content_type is None or content_type not in accepted:
        if accepted == files.IMAGES:
            what = "pas une image JPEG ou PNG : seuls ces formats sont acceptés pour une photo"
        else:
            what = "ni un PDF, ni une image JPEG ou PNG : seuls ces formats sont acceptés"
        detail = f"Le fichier « {shown} » (champ {field}) n'est {what}."
        raise field_problem(415, "unsupported-file-type", "Unsupported file type", field, detail)
    return Upload(
        filename=files.clean_filename(filename, content_type),
        content_type=content_type,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _too_large(filename: str, field: str, limit: int) -> Problem:
    detail = (
        f"Le fichier « {filename or 'sans nom'} » (champ {field}) dépasse la taille"
        f" maximale de {files.human_size(limit)}."
    )
    return field_problem(413, "file-too-large", "File too large", field, detail, max_bytes=limit)


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


def download(
    filename: str, content_type: str, content: bytes, *, disposition: str = "attachment"
) -> web.Response:
    """A stored file sent back (an attachment unless said otherwise), never sniffed, and
    sandboxed should a browser open it."""
    return web.Response(
        body=content,
        content_type=content_type,
        headers={
            "Content-Disposition": files.content_disposition(filename, disposition),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )

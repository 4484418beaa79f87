"""Reading uploads as a stream, with limits, for every service: multipart/form-data (text
fields plus files) or a raw request body. The type is read from the content's first bytes
(shared.files), never from the name or the type the client declared. aiohttp's
`client_max_size` applies neither to `request.multipart()` nor to `request.content`, so every
limit is enforced here while reading."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from shared import files
from shared.errors import Problem
from shared.http.requests import NUL, nul_problem

CHUNK = 64 * 1024


@dataclasses.dataclass(frozen=True)
class Upload:
    field: str
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
    files: list[Upload] = dataclasses.field(default_factory=list)

    @property
    def file(self) -> Upload | None:
        return self.files[0] if self.files else None


def is_multipart(request: web.Request) -> bool:
    return request.content_type == "multipart/form-data"


def field_problem(
    status: int, code: str, title: str, field: str, detail: str, **extra: object
) -> Problem:
    return Problem(
        status, code, title, detail, errors=[{"field": field, "detail": detail}], **extra
    )


async def read_form(
    request: web.Request,
    *,
    max_file_bytes: int,
    max_files: int = 1,
    file_fields: Iterable[str] = ("file",),
    accepted: frozenset[str] = files.DOCUMENTS,
    fallback_name: str = "document",
    max_text_bytes: int = 64 * 1024,
    max_text_fields: int = 10,
) -> Form:
    """The text fields and the files of a multipart/form-data request (415, 413, 422, 400).

    A file part with neither content nor name is a form's empty file input: skipped."""
    if not is_multipart(request):
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Les fichiers doivent être envoyés au format multipart/form-data.",
        )
    file_fields = tuple(file_fields)
    form = Form()
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise _malformed()
            name = part.name or ""
            if name in file_fields:
                filename = _unquote(part.filename or "")
                content = await _read(part, filename, name, max_file_bytes)
                if not content and not filename:
                    continue
                if len(form.files) >= max_files:
                    detail = (
                        f"Un seul fichier par envoi (champ {name})."
                        if max_files == 1
                        else f"Au plus {max_files} fichiers sont acceptés."
                    )
                    raise field_problem(422, "too-many-files", "Too many files", name, detail)
                form.files.append(checked(content, filename, name, accepted, fallback_name))
            else:
                if len(form.fields) >= max_text_fields or name in form.fields:
                    raise _malformed()
                form.fields[name] = await _read_text(part, name, max_text_bytes)
    except (ValueError, AssertionError, RuntimeError, HttpProcessingError):
        # HttpProcessingError: a part's headers aiohttp refuses (a NUL in a file's name).
        raise _malformed() from None
    bad = [name for name, value in form.fields.items() if NUL in name or NUL in value]
    if bad:
        raise nul_problem(sorted(name.replace(NUL, "\ufffd") for name in bad))
    return form


async def read_body(
    request: web.Request,
    *,
    max_bytes: int,
    accepted: frozenset[str],
    field: str = "file",
    fallback_name: str = "document",
) -> Upload:
    """The raw request body as a file (whatever type is declared: the content decides)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large("", field, max_bytes)
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large("", field, max_bytes)
        chunks.append(chunk)
    return checked(b"".join(chunks), "", field, accepted, fallback_name)


def checked(
    content: bytes,
    filename: str,
    field: str,
    accepted: frozenset[str],
    fallback_name: str = "document",
) -> Upload:
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
        field=field,
        filename=files.clean_filename(filename, content_type, fallback=fallback_name),
        content_type=content_type,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def download(
    filename: str,
    content_type: str,
    content: bytes,
    *,
    disposition: str = "attachment",
    fallback_name: str = "document",
    headers: dict[str, str] | None = None,
    charset: str | None = None,
) -> web.Response:
    """A stored or generated file sent back (an attachment unless said otherwise), never
    sniffed, and sandboxed should a browser open it."""
    return web.Response(
        body=content,
        content_type=content_type,
        charset=charset,
        headers={
            "Content-Disposition": files.content_disposition(
                filename, disposition, fallback=fallback_name
            ),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            **(headers or {}),
        },
    )


async def _read(part: BodyPartReader, filename: str, field: str, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(filename, field, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(filename: str, field: str, limit: int) -> Problem:
    detail = (
        f"Le fichier « {filename or 'sans nom'} » (champ {field}) dépasse la taille"
        f" maximale de {files.human_size(limit)}."
    )
    return field_problem(413, "file-too-large", "File too large", field, detail, max_bytes=limit)


async def _read_text(part: BodyPartReader, field: str, limit: int) -> str:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size > limit:
            raise field_problem(
                413,
                "payload-too-large",
                "Payload too large",
                field,
                f"Le champ {field} est trop long (maximum {files.human_size(limit)}).",
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

"""Reading multipart/form-data uploads as a stream, with limits: text fields for a schema, and
files whose type is read from their first bytes (PDF, JPEG, PNG), never from their name or the
type the client declared. aiohttp's `client_max_size` does not apply to `request.multipart()`,
so every limit is enforced here while reading."""

from __future__ import annotations

import dataclasses
import hashlib
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from shared import files
from shared.errors import Problem

FILE_FIELDS = ("attachments", "file")
ATTACHMENT = "piece-jointe"  # the name of a file sent without one
MAX_TEXT_BYTES = 256 * 1024
MAX_TEXT_FIELDS = 20
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


def is_multipart(request: web.Request) -> bool:
    return request.content_type == "multipart/form-data"


def field_problem(
    status: int, code: str, title: str, field: str, detail: str, **extra: object
) -> Problem:
    return Problem(
        status, code, title, detail, errors=[{"field": field, "detail": detail}], **extra
    )


async def read_form(request: web.Request, *, max_file_bytes: int, max_files: int) -> Form:
    """The text fields and the files of a multipart/form-data request (415, 413, 422, 400)."""
    if not is_multipart(request):
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Les fichiers doivent être envoyés au format multipart/form-data.",
        )
    form = Form()
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise _malformed()
            name = part.name or ""
            if name in FILE_FIELDS:
                upload = await _read_file(part, name, max_file_bytes)
                if upload is None:
                    continue  # a form's empty file input
                if len(form.files) >= max_files:
                    raise field_problem(
                        422,
                        "too-many-attachments",
                        "Too many attachments",
                        name,
                        f"Au plus {max_files} pièces jointes sont acceptées.",
                    )
                form.files.append(upload)
            else:
                if len(form.fields) >= MAX_TEXT_FIELDS or name in form.fields:
                    raise _malformed()
                form.fields[name] = await _read_text(part, name)
    except (ValueError, AssertionError, RuntimeError):
        raise _malformed() from None
    return form


async def _read_file(part: BodyPartReader, field: str, limit: int) -> Upload | None:
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
                413, "attachment-too-large", "Attachment too large", field, detail, max_bytes=limit
            )
        digest.update(chunk)
        chunks.append(chunk)
    content = b"".join(chunks)
    if not content:
        if not filename:
            return None
        raise field_problem(
            422,
            "empty-attachment",
            "Empty attachment",
            field,
            f"Le fichier « {filename} » (champ {field}) est vide.",
        )
    content_type = files.sniff(content)
    if content_type is None:
        detail = (
            f"Le fichier « {filename or 'sans nom'} » (champ {field}) n'est ni un PDF, ni une"
            " image JPEG ou PNG : seuls ces formats sont acceptés."
        )
        raise field_problem(
            415, "unsupported-attachment-type", "Unsupported attachment type", field, detail
        )
    return Upload(
        field=field,
        filename=files.clean_filename(filename, content_type, fallback=ATTACHMENT),
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
                f"Le champ {field} est trop long (maximum {files.human_size(MAX_TEXT_BYTES)}).",
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

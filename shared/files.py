"""Uploaded files, for every service: the type is read from the content's magic bytes, never
from the name or the declared type; names are cleaned for storage and for Content-Disposition."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
DOCUMENTS = frozenset({PDF, JPEG, PNG})  # supporting documents, request attachments
IMAGES = frozenset({JPEG, PNG})  # children's photos
_SAME_EXTENSION = {".jpeg": ".jpg", ".jpe": ".jpg"}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')
_SPACES = re.compile(r"\s+")
MAX_NAME = 120


def sniff(content: bytes) -> str | None:
    """The accepted type the content really is (PDF, JPEG, PNG), else None."""
    if content.startswith(b"%PDF-") and b"%%EOF" in content[-1024:]:
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        return PNG
    if content.startswith(b"\xff\xd8\xff") and len(content) > 4:
        return JPEG
    return None


def _invisible(char: str) -> bool:
    """Bidi overrides and isolates (U+202A–E, U+2066–9), marks (U+200E/F), zero-width and
    other format characters, C1 controls: they make « facture\u202efdp.exe » read as
    « facture.exe.pdf » in a list, and nobody types them on purpose."""
    return char > "\x7f" and unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn")


def clean_filename(name: str | None, content_type: str, *, fallback: str = "document") -> str:
    """A file name safe to store and send back, whose extension matches the real type:
    the only place an uploaded file's name is normalised."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    if not name.isascii():
        name = "".join(char for char in name if not _invisible(char))
    name = _SPACES.sub(" ", _UNSAFE.sub("_", name)).strip(" ._")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = "." + extension.lower() if extension else ""
    extension = _SAME_EXTENSION.get(extension, extension)
    expected = EXTENSIONS[content_type]
    if extension != expected:
        stem = name  # keep what the user wrote, add the real extension
    stem = (stem.strip(" ._") or fallback)[: MAX_NAME - len(expected)]
    return stem + expected


def content_disposition(
    filename: str, disposition: str = "attachment", *, fallback: str = "document"
) -> str:
    """RFC 6266: an ASCII fallback plus the UTF-8 name (RFC 5987)."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", ascii_name).strip() or fallback
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def human_size(size: int) -> str:
    """5242880 → « 5 Mo », in French."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".").replace(".", ",") + " Mo"
    if size >= 1024:
        return f"{size // 1024} Ko"
    return f"{size} octets"

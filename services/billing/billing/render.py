"""Printing documents: one Jinja2 template per kind of document (HTML, French, in
`templates/`) made into a PDF by WeasyPrint on the shared renderer's thread (`shared.pdf`:
only `data:` URLs are fetched, so the régie's logo is inlined).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from billing.domain.french import french_date
from billing.domain.money import euros
from shared import pdf

TEMPLATES = Path(__file__).parent / "templates"


def css_string(value: Any) -> Markup:
    """A quoted CSS string (inside <style>, where HTML escaping does not apply)."""
    text = " ".join(str(value).split())
    escaped = "".join(
        f"\\{ord(c):X} " if c in '\\"<>&' else c for c in text
    )  # e.g. < → \3C : no </style> can close the sheet
    return Markup(f'"{escaped}"')


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(euros=euros, date_fr=french_date, css_string=css_string)


def html(template: str, context: dict[str, Any]) -> str:
    return ENV.get_template(template).render(**context)


def logo_uri(content: bytes | None, content_type: str | None) -> str | None:
    """The régie's logo inlined in the document (no file, no network)."""
    if not content or not content_type:
        return None
    return f"data:{content_type};base64,{base64.b64encode(content).decode('ascii')}"


class PdfRenderer(pdf.PdfRenderer):
    """The shared renderer with billing's templates."""

    def __init__(self, threads: int = 1) -> None:
        super().__init__(html, threads)

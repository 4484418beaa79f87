"""The family service's printed documents (the subscriber-code letter): Jinja2 templates in
`templates/` (HTML, French) made into PDF by the shared renderer, on its own thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from shared.pdf import PdfRenderer

TEMPLATES = Path(__file__).parent / "templates"

ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def html(template: str, context: dict[str, Any]) -> str:
    return ENV.get_template(template).render(**context)


def letter_renderer(threads: int = 1) -> PdfRenderer:
    return PdfRenderer(html, threads)

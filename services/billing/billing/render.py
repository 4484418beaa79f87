"""Printing documents: one Jinja2 template per kind of document (HTML, French, in
`templates/`) made into a PDF by WeasyPrint.

WeasyPrint is synchronous and slow (tens of milliseconds a page): `PdfRenderer` makes PDFs on
threads of its own, never on the event loop. One thread by default: WeasyPrint (Pango,
fontconfig) is not documented as thread-safe, and under the GIL more threads would mostly
wait for each other; more processes scale it. Only `data:` URLs are fetched (the régie's logo
is inlined): a template never reaches the network or the file system.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from billing.domain.french import french_date
from billing.domain.money import euros

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


_local = threading.local()


def _weasyprint() -> Any:
    """WeasyPrint, imported on first use (it loads Pango: a service that prints nothing, or
    a CLI command, does not pay for it)."""
    import weasyprint

    return weasyprint


def write_pdf(html_text: str) -> bytes:
    """The PDF of an HTML document (synchronous: call it on a renderer's thread)."""
    weasyprint = _weasyprint()
    fonts = getattr(_local, "fonts", None)
    if fonts is None:  # a font configuration per thread, reused: faster, never shared
        from weasyprint.text.fonts import FontConfiguration

        fonts = _local.fonts = FontConfiguration()
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    document = weasyprint.HTML(string=html_text, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(font_config=fonts)
    return pdf


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    return write_pdf(html(template, context))


class PdfRenderer:
    """Makes PDFs on its own threads; `render` awaits one without blocking the loop."""

    def __init__(self, threads: int = 1) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pdf")

    async def render(self, template: str, context: dict[str, Any]) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(render_pdf, template, context)
        )

    def warm_up(self) -> None:
        """Import WeasyPrint on the renderer's thread now (seconds, once per process) rather
        than on the first download; returns at once."""
        self._executor.submit(_weasyprint)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

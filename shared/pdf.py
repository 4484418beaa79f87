"""HTML made into PDF by WeasyPrint, off the event loop.

WeasyPrint is synchronous and slow (tens of milliseconds a page): `PdfRenderer` makes PDFs on
threads of its own, never on the event loop. One thread by default: WeasyPrint (Pango,
fontconfig) is not documented as thread-safe, and under the GIL more threads would mostly
wait for each other; more processes scale it. Only `data:` URLs are fetched: a document never
reaches the network or the file system. Each service keeps its own templates and filters and
gives the renderer the function that makes a template's HTML.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

HtmlOf = Callable[[str, dict[str, Any]], str]
"""(template name, context) → the HTML document."""

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


def _render(html_of: HtmlOf, template: str, context: dict[str, Any]) -> bytes:
    return write_pdf(html_of(template, context))


class PdfRenderer:
    """Makes PDFs on its own threads; `render` awaits one without blocking the loop (the
    template is rendered there too: large batches cost the loop nothing)."""

    def __init__(self, html_of: HtmlOf, threads: int = 1) -> None:
        self._html_of = html_of
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pdf")

    async def render(self, template: str, context: dict[str, Any]) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(_render, self._html_of, template, context)
        )

    def warm_up(self) -> None:
        """Import WeasyPrint on the renderer's thread now (seconds, once per process) rather
        than on the first download; returns at once."""
        self._executor.submit(_weasyprint)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

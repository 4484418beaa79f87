"""The shared PDF renderer: a service's templates made into PDF off the event loop, nothing
fetched but data: URLs."""

from __future__ import annotations

import asyncio
import base64
import io
import struct
import zlib
from typing import Any

from pypdf import PdfReader

from shared.pdf import PdfRenderer


def _html(template: str, context: dict[str, Any]) -> str:
    extra = context.get("img", "")
    return f"<html><body><h1>{template}</h1><p>{context['text']}</p>{extra}</body></html>"


async def test_a_pdf_is_made_on_the_renderers_thread() -> None:
    renderer = PdfRenderer(_html)
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticker = asyncio.create_task(ticking())
    try:
        pdf = await renderer.render("lettre", {"text": "Code K7QX9-M2HTA"})
    finally:
        ticker.cancel()
        renderer.close()
    assert pdf.startswith(b"%PDF-")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "lettre" in text and "K7QX9-M2HTA" in text
    assert ticks > 0  # the loop kept running while WeasyPrint worked


def _png() -> bytes:
    """A valid 2×2 red PNG."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _images(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages[0].images)


async def test_only_data_urls_are_fetched(tmp_path: Any) -> None:
    png = _png()
    picture = tmp_path / "picture.png"
    picture.write_bytes(png)
    inlined = f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}">'
    renderer = PdfRenderer(_html)
    try:
        with_data = await renderer.render("t", {"text": "x", "img": inlined})
        # The same picture as a file, and a network address: never fetched, left out.
        elsewhere = f'<img src="file://{picture}"><img src="http://127.0.0.1:9/x.png">'
        without = await renderer.render("t", {"text": "x", "img": elsewhere})
    finally:
        renderer.close()
    assert _images(with_data) == 1
    assert without.startswith(b"%PDF-") and _images(without) == 0

"""What a running family service holds besides the foundation's state: the health vault and
the letters' PDF renderer."""

from __future__ import annotations

from aiohttp import web

from shared.pdf import PdfRenderer
from shared.vault import Vault

VAULT: web.AppKey[Vault] = web.AppKey("family_vault", Vault)
PDF: web.AppKey[PdfRenderer] = web.AppKey("family_pdf", PdfRenderer)

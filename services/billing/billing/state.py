"""What a running billing service holds besides the foundation's state: its clock and its
PDF renderer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from billing.render import PdfRenderer
from shared.vault import Vault


@dataclass
class Clock:
    """Now, as billing sees it (issue dates, QF validity). Tests pin it with `fixed`."""

    fixed: datetime | None = None

    def now(self) -> datetime:
        return self.fixed or datetime.now(UTC)


CLOCK: web.AppKey[Clock] = web.AppKey("billing_clock", Clock)
PDF: web.AppKey[PdfRenderer] = web.AppKey("billing_pdf", PdfRenderer)
# Seals and opens bank details (BANK_DETAILS_KEYS).
BANK_VAULT: web.AppKey[Vault] = web.AppKey("billing_bank_vault", Vault)

"""What a running booking service holds besides the foundation's state: its clock and its
ledger (`ledger.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from booking.ledger import Ledger


@dataclass
class Clock:
    """Now, as the rules see it. Tests pin it (`fixed`) to cross deadlines deterministically."""

    fixed: datetime | None = None

    def now(self) -> datetime:
        return self.fixed or datetime.now(UTC)


CLOCK: web.AppKey[Clock] = web.AppKey("booking_clock", Clock)
LEDGER: web.AppKey[Ledger] = web.AppKey("booking_ledger")

"""A page of a list: its items and where the next page starts (None on the last one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def page(items: Sequence[Any], *, limit: int, offset: int, **extra: Any) -> dict[str, Any]:
    next_offset = offset + len(items) if len(items) == limit else None
    return {"items": list(items), "next_offset": next_offset, **extra}

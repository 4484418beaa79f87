"""A contact's flags (guide 004: who may pick the child up, whom to call in an emergency)
carry when and by whom they were given, like the town's permissions: the one rule every
path that writes a contact (staff's edits, an approved family change, the demo) goes
through."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

# The flags dated, each with its two columns (when, by whom).
FLAGS: tuple[str, ...] = ("can_pick_up", "emergency")
STAMPS: tuple[str, ...] = tuple(f"{f}_given_{part}" for f in FLAGS for part in ("at", "by"))


def flag_stamps(
    before: Mapping[str, Any] | None,
    changes: Mapping[str, Any],
    *,
    given_by: uuid.UUID | None,
    now: datetime,
) -> dict[str, Any]:
    """The stamps to write with `changes` to a contact (`before`: its row, None for a new
    one): a flag given a value it did not have (or given at creation) is dated now and by
    `given_by`, withdrawn as well as granted; a flag unchanged or not sent keeps its date."""
    stamps: dict[str, Any] = {}
    for flag in FLAGS:
        if flag not in changes or changes[flag] is None:
            continue
        if before is not None and bool(before.get(flag)) == bool(changes[flag]):
            continue
        stamps[f"{flag}_given_at"] = now
        stamps[f"{flag}_given_by"] = given_by
    return stamps

"""Town documents [000][002]: their categories and their state on a given day."""

from __future__ import annotations

from datetime import date
from typing import Any

from notify.domain.errors import InvalidValidity

CATEGORIES = ("rules", "form", "official", "tariffs", "other")
# What staff see of a document today; families see only the `in_force` ones.
STATES = ("in_force", "upcoming", "expired", "unpublished")


def check_validity(valid_from: date | None, valid_until: date | None) -> None:
    """A validity may be open on either side; closed, it ends on or after its start."""
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        raise InvalidValidity()


def state(document: dict[str, Any], today: date) -> str:
    """Unpublished first (families never see it), then where today falls in its validity."""
    if not document["published"]:
        return "unpublished"
    if document["valid_from"] is not None and document["valid_from"] > today:
        return "upcoming"
    if document["valid_until"] is not None and document["valid_until"] < today:
        return "expired"
    return "in_force"

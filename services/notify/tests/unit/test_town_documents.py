"""Town documents: their state on a day, their validity."""

from __future__ import annotations

from datetime import date

import pytest

from notify.domain.errors import InvalidValidity
from notify.domain.town_documents import check_validity, state

DAY = date(2026, 9, 1)


def document(published: bool = True, **validity: date | None) -> dict:
    return {"published": published, "valid_from": None, "valid_until": None, **validity}


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (document(), "in_force"),
        (document(valid_from=DAY, valid_until=DAY), "in_force"),  # both bounds included
        (document(valid_from=date(2026, 9, 2)), "upcoming"),
        (document(valid_until=date(2026, 8, 31)), "expired"),
        (document(False, valid_until=date(2026, 8, 31)), "unpublished"),
    ],
)
def test_state_on_a_day(doc, expected):
    assert state(doc, DAY) == expected


def test_validity_may_be_open_but_not_backwards():
    check_validity(None, None)
    check_validity(DAY, DAY)
    check_validity(None, DAY)
    with pytest.raises(InvalidValidity) as raised:
        check_validity(DAY, date(2026, 8, 31))
    assert raised.value.extra["errors"][0]["field"] == "valid_until"

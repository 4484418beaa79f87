"""A validation's answer is never lost: a retry (the first answer cut off, the process dead
right after its commit) gets the same answer, line by line, and reading the basket gives it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from booking.domain import baskets as domain

from ..conftest import TENANT

Town = Any


async def post_validate(town: Town, kid: dict[str, Any], basket: dict[str, Any]) -> Any:
    return await town.client.post(
        f"/tenants/{TENANT}/baskets/{basket['id']}/validate",
        json={},
        headers=town.family(kid["household_id"]),
    )


async def bookings_of(town: Town, basket: dict[str, Any]) -> int:
    return await town.pool.fetchval(
        "SELECT count(*) FROM bookings WHERE basket_id = $1", uuid.UUID(basket["id"])
    )


async def mixed_basket(town: Town) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Tom's basket: a day full (waiting list), a day full without the list (refused, full),
    a free day (confirmed), a closed day (refused) and an activity he is not enrolled in."""
    activity = await town.activity(capacity=1)
    sport = await town.activity(name="Sport", type="SPORT")
    lea = await town.enrolled_child(activity)
    tom = await town.enrolled_child(activity, first_name="Tom")
    await town.book(lea, activity, "2026-09-17", "2026-09-18")
    a = activity["id"]
    basket = await town.basket(
        tom,
        [
            {"activity_id": a, "dates": ["2026-09-16", "2026-09-17", "2026-09-21"]},
            {"activity_id": a, "dates": ["2026-09-18"], "accept_waiting_list": False},
            {"activity_id": sport["id"], "dates": ["2026-09-21"]},
        ],
    )
    return activity, tom, basket


WANTED = {
    "2026-09-16": ("refused", "closed_day"),
    "2026-09-17": ("waiting_list", "full"),
    "2026-09-18": ("refused", "full"),
    "2026-09-21": ("confirmed", None),
}


def by_line(answer: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str | None]]:
    return {
        (line["activity_id"], line["date"]): (line["outcome"], line["reason"])
        for line in answer["lines"]
    }


async def test_a_retried_validation_answers_the_same_line_by_line(town: Town) -> None:
    activity, tom, basket = await mixed_basket(town)
    first = await post_validate(town, tom, basket)
    assert first.status == 200
    answer = await first.json()
    lines = by_line(answer)
    assert {d: lines[(activity["id"], d)] for d in WANTED} == WANTED
    assert len(lines) == 5 and answer["refused"] == 3
    booked = await bookings_of(town, basket)
    assert booked == 2  # the 21st, and the 17th on the waiting list

    again = await post_validate(town, tom, basket)
    assert again.status == 200
    assert await again.json() == answer
    assert await bookings_of(town, basket) == booked  # nothing booked twice

    # Reading the basket gives the same answer, line by line.
    stored = await town.call(
        "GET", f"/tenants/{TENANT}/baskets/{basket['id']}", town.family(tom["household_id"])
    )
    assert stored["validation"] == answer

    # Another family learns nothing of it.
    r = await town.client.post(
        f"/tenants/{TENANT}/baskets/{basket['id']}/validate",
        json={},
        headers=town.family(uuid.uuid4()),
    )
    assert r.status == 404


async def test_the_answer_survives_a_death_right_after_the_commit(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first request dies once its places are committed, before it answers: what the
    retry gets was stored by the statement that took them, not kept in memory."""
    activity, tom, basket = await mixed_basket(town)
    answer_of = domain.Validation.result
    died: list[bool] = []

    def dies_once(self: domain.Validation, counts: Any) -> dict[str, Any]:
        if not died:
            died.append(True)
            raise RuntimeError("the process dies here")
        return answer_of(self, counts)

    monkeypatch.setattr(domain.Validation, "result", dies_once)
    cut = await post_validate(town, tom, basket)
    assert cut.status == 500 and died
    assert await bookings_of(town, basket) == 2  # committed: the places are taken

    retry = await post_validate(town, tom, basket)
    assert retry.status == 200
    answer = await retry.json()
    lines = by_line(answer)
    assert {d: lines[(activity["id"], d)] for d in WANTED} == WANTED
    assert (answer["confirmed"], answer["waiting_list"], answer["refused"]) == (1, 1, 3)
    assert all(line["booking_id"] for line in answer["lines"] if line["outcome"] != "refused")
    assert await bookings_of(town, basket) == 2


async def test_concurrent_validations_book_once_and_answer_alike(town: Town) -> None:
    _, tom, basket = await mixed_basket(town)
    responses = await asyncio.gather(*(post_validate(town, tom, basket) for _ in range(4)))
    assert [r.status for r in responses] == [200] * 4
    answers = [await r.json() for r in responses]
    assert all(a == answers[0] for a in answers)
    assert await bookings_of(town, basket) == 2


async def test_a_basket_with_cancellations_answers_the_same_again(town: Town) -> None:
    """The transaction path (cancellations: the waiting list moves up) stores it too."""
    activity = await town.activity(capacity=1)
    lea = await town.enrolled_child(activity)
    tom = await town.enrolled_child(activity, first_name="Tom")
    a = activity["id"]
    await town.book(lea, activity, "2026-09-17")
    await town.book(tom, activity, "2026-09-17")  # waiting
    mixed = await town.basket(
        lea,
        [
            {"activity_id": a, "dates": ["2026-09-17"], "action": "cancel"},
            {"activity_id": a, "dates": ["2026-09-22"]},
        ],
    )
    answer = await town.validate(lea, mixed)
    assert {line["date"]: line["outcome"] for line in answer["lines"]} == {
        "2026-09-17": "cancelled",
        "2026-09-22": "confirmed",
    }
    assert await town.validate(lea, mixed) == answer
    (promoted,) = await town.events("booking.WaitingListPromoted")  # once
    assert promoted["payload"]["child_id"] == str(tom["id"])
    stored = await town.call(
        "GET", f"/tenants/{TENANT}/baskets/{mixed['id']}", town.family(lea["household_id"])
    )
    assert stored["validation"] == answer


async def test_an_open_basket_has_no_answer_yet(town: Town) -> None:
    activity = await town.activity()
    kid = await town.enrolled_child(activity)
    basket = await town.basket(kid, [{"activity_id": activity["id"], "dates": ["2026-09-21"]}])
    assert basket["validation"] is None

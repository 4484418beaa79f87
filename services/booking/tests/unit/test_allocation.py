"""The allocation of an opening window (issue 18): properties on generated populations, and
examples of the rules (priority levels, lottery, siblings together, the auditors' recompute)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from booking.domain.allocation import (
    BOOKED,
    WAITING,
    Allocation,
    Ticket,
    allocate,
    level_label,
    level_of,
    lottery_key,
    recompute,
    seed_hash,
)
from booking.domain.rules import window_refusal

MONDAY = date(2027, 7, 5)
DAYS = [MONDAY + timedelta(days=n) for n in range(5)]
RULES = ["resident", "both_parents_working", "sibling_enrolled", "disability_plan"]


@st.composite
def populations(draw: st.DrawFn) -> tuple[list[Ticket], dict[date, int], str]:
    """Households (one ticket each) of 1 to 4 children asking some of the week's days, on
    levels 1..5, some asking siblings together; 0 to 6 places a day; a random seed."""
    seed = draw(st.text(alphabet="0123456789abcdef", min_size=8, max_size=64))
    free = {day: draw(st.integers(0, 6)) for day in DAYS}
    sizes = draw(st.lists(st.integers(1, 4), max_size=14))
    # Distinct ids: a child is in one household, a request is one household's.
    ids = draw(
        st.lists(
            st.uuids(),
            min_size=sum(sizes) + len(sizes),
            max_size=sum(sizes) + len(sizes),
            unique=True,
        )
    )
    tickets = []
    for size in sizes:
        children = tuple(
            (ids.pop(), tuple(sorted(draw(st.sets(st.sampled_from(DAYS), min_size=1)))))
            for _ in range(size)
        )
        tickets.append(
            Ticket(
                request_id=ids.pop(),
                household_id=uuid.uuid4(),
                level=draw(st.integers(1, len(RULES) + 1)),
                children=children,
                together=draw(st.booleans()),
            )
        )
    return tickets, free, seed


def _rank_of(allocation: Allocation) -> dict[uuid.UUID, int]:
    return {r.ticket.request_id: r.rank for r in allocation.ranked}


@settings(max_examples=150, deadline=None)
@given(populations())
def test_every_child_and_day_is_decided_once_within_capacity(
    population: tuple[list[Ticket], dict[date, int], str],
) -> None:
    tickets, free, seed = population
    allocation = allocate(tickets, free, seed)
    asked = {(child, day) for t in tickets for child, days in t.children for day in days}
    # Every (child, day) asked has exactly one outcome: no child allocated twice.
    assert set(allocation.outcomes) == asked
    booked = Counter(day for (_, day), o in allocation.outcomes.items() if o.outcome == BOOKED)
    for day in DAYS:
        assert booked[day] <= free[day]  # no day over capacity
        # The waiting list: every child waiting that day, once, positions 1..n in order.
        queue = allocation.waiting.get(day, [])
        assert len(queue) == len(set(queue))
        for n, child in enumerate(queue, start=1):
            assert allocation.outcomes[(child, day)] == allocation.outcomes[(child, day)]
            assert allocation.outcomes[(child, day)].outcome == WAITING
            assert allocation.outcomes[(child, day)].waiting_position == n
    assert sum(len(q) for q in allocation.waiting.values()) == sum(
        1 for o in allocation.outcomes.values() if o.outcome == WAITING
    )


@settings(max_examples=150, deadline=None)
@given(populations())
def test_siblings_together_are_all_in_or_all_out_each_day(
    population: tuple[list[Ticket], dict[date, int], str],
) -> None:
    tickets, free, seed = population
    allocation = allocate(tickets, free, seed)
    for ticket in tickets:
        if not ticket.together:
            continue
        for day in DAYS:
            outcomes = {
                allocation.outcomes[(child, day)].outcome
                for child, days in ticket.children
                if day in days
            }
            assert len(outcomes) <= 1, (ticket, day, outcomes)


@settings(max_examples=150, deadline=None)
@given(populations())
def test_the_order_is_by_level_then_by_the_recomputed_lottery_key(
    population: tuple[list[Ticket], dict[date, int], str],
) -> None:
    tickets, free, seed = population
    allocation = allocate(tickets, free, seed)
    ranked = allocation.ranked
    assert [r.rank for r in ranked] == list(range(1, len(tickets) + 1))
    assert [r.ticket.level for r in ranked] == sorted(t.level for t in tickets)
    for level in {t.level for t in tickets}:
        within = [r.ticket.request_id for r in ranked if r.ticket.level == level]
        by_key = sorted(
            (t.request_id for t in tickets if t.level == level),
            key=lambda rid: (lottery_key(seed, rid), str(rid)),
        )
        assert within == by_key
    for r in ranked:
        assert r.lottery_key == lottery_key(seed, r.ticket.request_id)


@settings(max_examples=150, deadline=None)
@given(populations())
def test_a_later_rank_is_booked_over_an_earlier_one_only_past_a_group_that_did_not_fit(
    population: tuple[list[Ticket], dict[date, int], str],
) -> None:
    """Higher levels (and earlier ranks) never lose a place to lower ones: a child booked on
    a day while a child of an earlier request waits on it happens only when that earlier
    request is a sibling group that did not fit. And a waiting single child means the day
    was full when its turn came: nobody after it is booked that day."""
    tickets, free, seed = population
    allocation = allocate(tickets, free, seed)
    rank = _rank_of(allocation)
    owner = {child: t for t in tickets for child, _ in t.children}
    for day in DAYS:
        asking = [
            (rank[t.request_id], t, child)
            for t in tickets
            for child, days in t.children
            if day in days
        ]
        for r_wait, t_wait, child_wait in asking:
            if allocation.outcomes[(child_wait, day)].outcome != WAITING:
                continue
            group = t_wait.together and sum(1 for c, d in t_wait.children if day in d) > 1
            for r_booked, _, child_booked in asking:
                if r_booked > r_wait and allocation.outcomes[(child_booked, day)].outcome == BOOKED:
                    assert group, (day, owner[child_wait], owner[child_booked])


@settings(max_examples=150, deadline=None)
@given(populations())
def test_the_draw_recomputes_from_the_published_inputs(
    population: tuple[list[Ticket], dict[date, int], str],
) -> None:
    tickets, free, seed = population
    allocation = allocate(tickets, free, seed)
    entries = []
    for r in allocation.ranked:
        counts = Counter(day for _, days in r.ticket.children for day in days)
        entries.append(
            {
                "request_id": str(r.ticket.request_id),
                "level": r.ticket.level,
                "together": r.ticket.together,
                "asks": [{"date": d.isoformat(), "children": n} for d, n in counts.items()],
            }
        )
    published = {
        "seed": seed,
        "seed_hash": seed_hash(seed),
        "days": [{"date": d.isoformat(), "places": n} for d, n in free.items()],
        "entries": entries,
    }
    again = recompute(published)
    for r in allocation.ranked:
        mine = again[str(r.ticket.request_id)]
        assert mine["rank"] == r.rank and mine["lottery_key"] == r.lottery_key
        outcomes = allocation.of(r.ticket)
        for day in DAYS:
            booked = sum(1 for o in outcomes.values() if day in o and o[day].outcome == BOOKED)
            waiting = sum(1 for o in outcomes.values() if day in o and o[day].outcome == WAITING)
            assert mine["days"].get(day, (0, 0)) == (booked, waiting)


def test_a_wrong_seed_is_refused_by_the_recompute() -> None:
    published = {"seed": "abc", "seed_hash": seed_hash("abd"), "days": [], "entries": []}
    try:
        recompute(published)
    except ValueError:
        return
    raise AssertionError("a seed that is not the committed one must be refused")


# --- examples -------------------------------------------------------------------------------


def _ticket(level: int, *children: tuple[uuid.UUID, tuple[date, ...]], together: bool = False):
    return Ticket(uuid.uuid4(), uuid.uuid4(), level, tuple(children), together)


def test_levels_follow_the_towns_order_and_others_come_last() -> None:
    rules = ["resident", "both_parents_working", "disability_plan"]
    assert level_of(["disability_plan", "resident"], rules) == 1
    assert level_of(["disability_plan"], rules) == 3
    assert level_of(["unknown_code"], rules) == 4
    assert level_of([], []) == 1
    labelled = [{"code": "resident", "label": "Résidents"}]
    assert level_label(1, labelled) == "Résidents"
    assert level_label(2, labelled) == "Autres demandes"


def test_the_seed_hash_and_lottery_key_are_plain_sha256() -> None:
    assert seed_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    rid = uuid.UUID("00000000-0000-0000-0000-000000000001")
    assert lottery_key("abc", rid) == seed_hash(f"abc:{rid}")


def test_a_group_that_does_not_fit_waits_and_leaves_the_place_to_the_next() -> None:
    day = DAYS[0]
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    siblings = _ticket(1, (a, (day,)), (b, (day,)), together=True)
    alone = _ticket(2, (c, (day,)))
    allocation = allocate([alone, siblings], {day: 1}, "seed")
    assert [r.ticket for r in allocation.ranked] == [siblings, alone]
    assert allocation.outcomes[(a, day)].outcome == WAITING
    assert allocation.outcomes[(b, day)].outcome == WAITING
    assert allocation.outcomes[(c, day)].outcome == BOOKED
    assert allocation.waiting[day] == [a, b]
    # With two places the group is in, and the single child waits, first in line.
    allocation = allocate([alone, siblings], {day: 2}, "seed")
    assert allocation.outcomes[(a, day)].outcome == BOOKED == allocation.outcomes[(b, day)].outcome
    assert allocation.outcomes[(c, day)].waiting_position == 1
    # Not together: the first sibling takes the last place.
    apart = _ticket(1, (a, (day,)), (b, (day,)))
    allocation = allocate([alone, apart], {day: 1}, "seed")
    assert allocation.outcomes[(a, day)].outcome == BOOKED
    assert allocation.outcomes[(b, day)].waiting_position == 1
    assert allocation.outcomes[(c, day)].waiting_position == 2


def test_a_child_booked_already_keeps_the_day_without_taking_a_place() -> None:
    day = DAYS[0]
    a, b = uuid.uuid4(), uuid.uuid4()
    allocation = allocate(
        [_ticket(1, (a, (day,))), _ticket(2, (b, (day,)))],
        {day: 1},
        "seed",
        already_booked=frozenset({(a, day)}),
    )
    assert allocation.outcomes[(a, day)].already
    assert allocation.outcomes[(b, day)].outcome == BOOKED


def test_the_submission_time_makes_no_difference() -> None:
    """The order depends only on levels, ids and the seed: the same tickets given in any
    order are allocated alike."""
    day = DAYS[0]
    tickets = [_ticket(1 + n % 2, (uuid.uuid4(), (day,))) for n in range(8)]
    first = allocate(tickets, {day: 3}, "s")
    second = allocate(list(reversed(tickets)), {day: 3}, "s")
    assert first.outcomes == second.outcomes and first.ranked == second.ranked


def test_window_days_are_refused_first_come_until_allocated() -> None:
    """The basket's rule (`rules.window_refusal`): a day of a window not allocated waits for
    the draw (its closing said in Paris time); allocated without first come after, closed; no
    blocking window (first come after, or none), no refusal."""
    closes = datetime(2026, 9, 9, 6, 0, tzinfo=UTC)  # 08:00 in Paris
    pending = window_refusal("scheduled", closes)
    assert pending is not None and pending.refusal == "window_pending"
    assert pending.detail == (
        "Les places de ce jour seront attribuées au tirage au sort à la clôture des demandes,"
        " le 9 septembre 2026 à 08:00."
    )
    closed = window_refusal("allocated", closes)
    assert closed is not None and closed.refusal == "window_closed"
    assert closed.detail == "Les inscriptions à ces journées sont closes."
    assert window_refusal(None, None) is None

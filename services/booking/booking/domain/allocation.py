"""The allocation of an opening window (issue 18), without I/O.

When a window closes, every request is decided at once:

1. Each request (one per household: a large family has no more chances in the draw than a
   small one) gets a priority level, `level_of`: 1 + the index of the first of the town's
   published rules (in the town's order) that it meets; len(rules) + 1 when it meets none
   ("others").
2. Each request gets a lottery key, `lottery_key(seed, request_id)`: the sha256 hex of
   "{seed}:{request_id}". The seed was drawn when the window was created and only its hash
   (`seed_hash`) published; it is revealed at allocation. Nobody (the town included) can
   choose the seed after seeing the requests without the published hash giving it away, and
   anyone can recompute the keys from the revealed seed.
3. The requests are ordered by (level, lottery key): that order is the rank (1 first). When
   a request was submitted makes no difference.
4. Each day is decided on its own, walking the requests in rank order with the day's free
   places (capacity less the children already booked): a child alone takes a place if one is
   free, else waits. Siblings together (a request with `together` and more than one child
   asking that day) take places only if there are enough for all of them that day; if not,
   they all wait, and the places they did not take go on to the next requests.

Fairness of siblings together: a group never takes a place that a later request could have
had unless it takes places for all its children, and never blocks the places it cannot use
(they go on down the ranks). So a request behind a group loses nothing to that group except
the places the group actually takes, exactly as if the group's children had been the next
children in the draw; a family asking for siblings together risks only its own children
waiting (all of them) when too few places are left at its rank. One consequence, accepted: a
group that does not fit waits while a later (even lower-level) single child takes the last
place; that is the only case a higher rank waits while a lower one is booked on a day.

Unplaced children are on the day's waiting list in rank order (within a request, in the
request's children order).

Auditors recompute the draw with `recompute`: it takes the published inputs of GET
/windows/{id}/draw (the free places of each day, and per entry its level, whether together,
and how many of its children asked each day: no names, no ids but the request's), and
runs the very same `allocate` on anonymous children; the ranks and, per entry and day, the
numbers booked and waiting must equal the published result.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# The rules every town may use, with their default French labels; a town adds its own codes.
CATALOGUE = {
    "resident": "Famille résidant dans la commune",
    "both_parents_working": "Les deux parents travaillent",
    "sibling_enrolled": "Un frère ou une sœur déjà inscrit(e) à l'activité",
    "disability_plan": "Enfant bénéficiant d'un projet d'accueil (handicap)",
}
# Computed by the service at allocation, never declared by a family.
SIBLING_ENROLLED = "sibling_enrolled"
CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
OTHERS_LABEL = "Autres demandes"

BOOKED, WAITING = "booked", "waiting"


def seed_hash(seed: str) -> str:
    """The commitment published when the window is created: sha256 hex of the seed's text."""
    return hashlib.sha256(seed.encode()).hexdigest()


def lottery_key(seed: str, request_id: uuid.UUID | str) -> str:
    return hashlib.sha256(f"{seed}:{request_id}".encode()).hexdigest()


def level_of(criteria: Iterable[str], rules: Sequence[str]) -> int:
    """1 + the index of the first rule (in the town's order) among `criteria`; len(rules) + 1
    when none."""
    met = set(criteria)
    for i, code in enumerate(rules):
        if code in met:
            return i + 1
    return len(rules) + 1


def level_label(level: int, rules: Sequence[Mapping[str, str]]) -> str:
    return rules[level - 1]["label"] if level <= len(rules) else OTHERS_LABEL


def met_rules(criteria: Iterable[str], rules: Sequence[str]) -> list[str]:
    """The rules the request meets, in the town's order (the first one sets its level)."""
    met = set(criteria)
    return [code for code in rules if code in met]


@dataclass(frozen=True)
class Ticket:
    """One household's request in the draw: its level and each child's days asked."""

    request_id: uuid.UUID
    household_id: uuid.UUID
    level: int
    children: tuple[tuple[uuid.UUID, tuple[date, ...]], ...]
    together: bool = False


@dataclass(frozen=True)
class Outcome:
    outcome: str  # booked / waiting
    waiting_position: int | None = None  # 1 first, among the allocation's waiting that day
    already: bool = False  # booked before the allocation: kept, no place taken


@dataclass(frozen=True)
class Ranked:
    ticket: Ticket
    rank: int
    lottery_key: str


@dataclass
class Allocation:
    ranked: list[Ranked]
    # (child, day) -> its outcome
    outcomes: dict[tuple[uuid.UUID, date], Outcome] = field(default_factory=dict)
    # day -> children waiting, in order
    waiting: dict[date, list[uuid.UUID]] = field(default_factory=dict)

    def of(self, ticket: Ticket) -> dict[uuid.UUID, dict[date, Outcome]]:
        return {
            child: {day: self.outcomes[(child, day)] for day in days}
            for child, days in ticket.children
        }


def ordered(tickets: Iterable[Ticket], seed: str) -> list[Ranked]:
    """The tickets by (level, lottery key); the request id breaks a (practically impossible)
    tie of keys, so the order is total."""
    keyed = [(t.level, lottery_key(seed, t.request_id), str(t.request_id), t) for t in tickets]
    keyed.sort(key=lambda x: (x[0], x[1], x[2]))
    return [Ranked(t, n, key) for n, (_, key, _, t) in enumerate(keyed, start=1)]


def allocate(
    tickets: Iterable[Ticket],
    free_by_day: Mapping[date, int],
    seed: str,
    already_booked: frozenset[tuple[uuid.UUID, date]] = frozenset(),
) -> Allocation:
    """Decide every (child, day) asked (see the module's docstring). A day missing from
    `free_by_day` has no place. A child booked already that day (`already_booked`) keeps
    it without taking a place. A child asking a day twice (in two tickets: never with one
    request per household) is decided once, by its first ticket in rank order."""
    ranked = ordered(tickets, seed)
    allocation = Allocation(ranked)
    free = {day: max(0, n) for day, n in free_by_day.items()}
    for entry in ranked:
        ticket = entry.ticket
        asks: dict[date, list[uuid.UUID]] = {}
        for child, days in ticket.children:
            for day in dict.fromkeys(days):
                if (child, day) in allocation.outcomes:
                    continue
                if (child, day) in already_booked:
                    allocation.outcomes[(child, day)] = Outcome(BOOKED, already=True)
                    continue
                asks.setdefault(day, []).append(child)
        for day in sorted(asks):
            children = asks[day]
            left = free.get(day, 0)
            if ticket.together and len(children) > 1:
                placed = children if left >= len(children) else []
            else:
                placed = children[:left]
            free[day] = left - len(placed)
            for child in children:
                if child in placed:
                    allocation.outcomes[(child, day)] = Outcome(BOOKED)
                else:
                    queue = allocation.waiting.setdefault(day, [])
                    queue.append(child)
                    allocation.outcomes[(child, day)] = Outcome(WAITING, len(queue))
    return allocation


# --- auditing -----------------------------------------------------------------------------


def recompute(published: Mapping[str, Any]) -> dict[str, Any]:
    """The draw recomputed from what GET /windows/{id}/draw publishes (`seed`, `days`:
    [{date, places}], `entries`: [{request_id, level, together, asks: [{date, children}]}]):
    the seed checked against its hash, then the same `allocate` on anonymous children (child k
    of an entry asks a day when k < the number of its children asking it: the counts per day,
    all the rule looks at). Returns {request_id: {rank, lottery_key, days: {date: (booked,
    waiting)}}} to compare with the published entries; raises ValueError when the seed does
    not match the published hash."""
    seed = published["seed"]
    if seed_hash(seed) != published["seed_hash"]:
        raise ValueError("the seed does not match its published hash")
    free = {_day(d["date"]): int(d["places"]) for d in published["days"]}
    tickets = []
    for entry in published["entries"]:
        counts = {_day(a["date"]): int(a["children"]) for a in entry["asks"]}
        size = max(counts.values(), default=0)
        children = tuple(
            (uuid.uuid4(), tuple(day for day, n in sorted(counts.items()) if k < n))
            for k in range(size)
        )
        tickets.append(
            Ticket(
                request_id=uuid.UUID(str(entry["request_id"])),
                household_id=uuid.uuid4(),
                level=int(entry["level"]),
                children=children,
                together=bool(entry["together"]),
            )
        )
    allocation = allocate(tickets, free, seed)
    result: dict[str, Any] = {}
    for entry in allocation.ranked:
        days: dict[date, tuple[int, int]] = {}
        for _, day_outcomes in allocation.of(entry.ticket).items():
            for day, outcome in day_outcomes.items():
                booked, waiting = days.get(day, (0, 0))
                if outcome.outcome == BOOKED:
                    booked += 1
                else:
                    waiting += 1
                days[day] = (booked, waiting)
        result[str(entry.ticket.request_id)] = {
            "rank": entry.rank,
            "lottery_key": entry.lottery_key,
            "days": days,
        }
    return result


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)

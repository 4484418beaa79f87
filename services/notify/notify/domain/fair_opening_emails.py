"""The family-facing emails of the fair opening (issue 18): the outcome of an opening window's
draw, the places offered from a waiting list (with the one-click accept link) and the offers
that lapsed, and the deadline nudges (next week's days not booked, a basket not validated).
One function per booking event type, each a `Letter` (email and in-app notice).

The days given by an allocation are told by its own email (booking.AllocationDecided): the
ReservationValidated events that carry the allocation's `window_id` (for billing) give no
recap (`usecases.activities.reservation_validated`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notify.domain.french import french_date, french_datetime, french_day
from notify.domain.plans import Letter, Notice, iso

ALLOCATION_TEMPLATE = "allocation_decided"
OFFER_TEMPLATE = "place_offered"
LAPSED_TEMPLATE = "offer_lapsed"
WEEK_TEMPLATE = "booking_reminder"
BASKET_TEMPLATE = "basket_reminder"


def rank_fr(rank: int) -> str:
    """1 → '1er', 3 → '3e' (French ordinals)."""
    return f"{rank}er" if rank == 1 else f"{rank}e"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def allocation_decided(p: Mapping[str, Any]) -> Letter:
    """The outcome of the draw for the household: each child's days given and on the
    waiting list, its priority level and its rank among the requests, and the link to the
    window's page of the portal."""
    children = [
        {
            "child_id": str(child["child_id"]),
            "first_name": child["first_name"],
            "booked": sorted(iso(day) for day in child["booked_dates"]),
            "waiting": sorted(iso(day) for day in child["waiting_dates"]),
        }
        for child in p["children"]
    ]
    context = {
        "window_id": str(p["window_id"]),
        "window_name": p["window_name"],
        "request_id": str(p["request_id"]),
        "activity_id": str(p["activity_id"]),
        "activity_name": p["activity_name"],
        "level": int(p["level"]),
        "level_label": p["level_label"],
        "rank": int(p["rank"]),
        "rank_fr": rank_fr(int(p["rank"])),
        "entries": int(p["entries"]),
        "children": children,
    }
    parts = []
    for child in children:
        given = _count(len(child["booked"]), "jour attribué", "jours attribués")
        text = f"{child['first_name']} : {given}"
        if child["waiting"]:
            text += f", {_count(len(child['waiting']), 'jour', 'jours')} en liste d'attente"
        parts.append(text)
    notice = Notice(
        "allocation_decided",
        f"Résultat du tirage au sort : {p['activity_name']}",
        f"{p['window_name']} — " + " ; ".join(parts) + f". Rang {rank_fr(int(p['rank']))}"
        f" sur {p['entries']} (niveau {p['level']} : {p['level_label']}).",
    )
    return Letter(ALLOCATION_TEMPLATE, context, notice)


def _who(p: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "child_id": str(p["child_id"]),
        "child_first_name": p["child_first_name"],
        "activity_id": str(p["activity_id"]),
        "activity_name": p["activity_name"],
        "site": p["site"],
    }


def place_offered(p: Mapping[str, Any], timezone: str = "Europe/Paris") -> Letter:
    """A place offered to a waiting child until `expires_at`, with the single-use accept
    link as booking signed it."""
    context = {
        **_who(p),
        "offer_id": str(p["offer_id"]),
        "booking_id": str(p["booking_id"]),
        "date": iso(p["date"]),
        "expires_at": iso(p["expires_at"]),
        "accept_url": p["accept_url"],
    }
    notice = Notice(
        "place_offered",
        "Une place s'est libérée",
        f"Une place est proposée à {p['child_first_name']} pour {p['activity_name']} le"
        f" {french_day(p['date'])}, jusqu'au {french_datetime(p['expires_at'], timezone)} :"
        " acceptez-la sur le portail ou avec le lien reçu par e-mail.",
    )
    return Letter(OFFER_TEMPLATE, context, notice)


def offer_lapsed(p: Mapping[str, Any]) -> Letter:
    """An offer declined (the family's confirmation) or expired unanswered: the child stays
    on the waiting list, the place went to the next family."""
    declined = p["reason"] == "declined"
    context = {
        **_who(p),
        "offer_id": str(p["offer_id"]),
        "booking_id": str(p["booking_id"]),
        "date": iso(p["date"]),
        "reason": p["reason"],
    }
    day = french_day(p["date"])
    if declined:
        title = "Place refusée"
        body = (
            f"Vous avez refusé la place proposée à {p['child_first_name']} pour"
            f" {p['activity_name']} le {day}."
        )
    else:
        title = "Le délai pour accepter la place est dépassé"
        body = (
            f"La place proposée à {p['child_first_name']} pour {p['activity_name']} le {day}"
            " n'a pas été acceptée à temps."
        )
    body += " Elle est proposée à la famille suivante ; votre enfant reste sur la liste d'attente."
    return Letter(LAPSED_TEMPLATE, context, Notice("offer_lapsed", title, body))


def _days_by_date(days: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """[{date, activity_name}] → [{date, activities: [names]}], by date, names sorted."""
    by_date: dict[str, set[str]] = {}
    for day in days:
        by_date.setdefault(iso(day["date"]), set()).add(day["activity_name"])
    return [
        {"date": day, "activities": sorted(names, key=str.casefold)}
        for day, names in sorted(by_date.items())
    ]


def booking_reminder(p: Mapping[str, Any], timezone: str = "Europe/Paris") -> Letter:
    """Nothing booked yet for next week's school days: the days, the deadline, the link to
    book and how to stop these reminders."""
    context = {
        "household_id": str(p["household_id"]),
        "week_from": iso(p["week_from"]),
        "week_to": iso(p["week_to"]),
        "deadline": iso(p["deadline"]),
        "days": _days_by_date(list(p["days"])),
    }
    notice = Notice(
        "booking_reminder",
        f"Pensez à réserver la semaine du {french_date(p['week_from'])}",
        f"Rien n'est encore réservé pour la semaine du {french_date(p['week_from'])} :"
        f" les réservations ferment le {french_datetime(p['deadline'], timezone)}.",
    )
    return Letter(WEEK_TEMPLATE, context, notice)


def basket_reminder(p: Mapping[str, Any], timezone: str = "Europe/Paris") -> Letter:
    """A basket left open: its days are not booked until it is validated, before the
    deadline of its first day."""
    context = {
        "basket_id": str(p["basket_id"]),
        "deadline": iso(p["deadline"]),
        "lines": int(p["lines"]),
    }
    notice = Notice(
        "basket_reminder",
        "Votre panier n'est pas validé",
        "Les jours de votre panier ne sont pas réservés tant qu'il n'est pas validé :"
        f" validez-le avant le {french_datetime(p['deadline'], timezone)}.",
    )
    return Letter(BASKET_TEMPLATE, context, notice)

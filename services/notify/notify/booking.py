"""The booking events' emails and notifications, and the family ↔ activity read model.

Booking events are about a child of a household: they go to every account linked to the
household (the `household_members` read model) and to the event's `account_id` (who validated
the basket, enrolled the child or booked the day) — except a cancellation by staff, whose
`account_id` is the staff member. One email and one in-app notification per account.

A validated basket gives one event per child and activity (`booking.ReservationValidated`, and
`booking.ReservationCancelled` for the days the basket cancelled): their parts are gathered
into one recap per (basket, account), sent a short grace (MAIL_BASKET_GRACE_SECONDS) after its
last part, grouped by child and activity, listing every day. Exactly once per (event,
account): the `email_events` row records which email carries an event's part. A cancellation
outside a basket (one day, by the family or by staff), an enrollment decision and a waiting
list promotion each get an email of their own, and so does staff's decision on an absence the
family justified (`booking.AbsenceJustified`: the day is not charged; `booking.AbsenceRefused`:
it stays charged, with staff's reason).

`family_activities` (targeted news): a household is added to an activity when an enrollment
is approved or a basket books it; forgotten when the household is anonymised.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from notify import store
from notify.events import Mail, Notice, _reason, _unique
from notify.render import french_date, french_day
from shared.events.envelope import Event

BASKET_TEMPLATE = "basket_recap"
BOOKING_EMAILS = (
    "booking.ReservationValidated",
    "booking.ReservationCancelled",
    "booking.WaitingListPromoted",
    "booking.EnrollmentDecided",
    "booking.AbsenceJustified",
    "booking.AbsenceRefused",
)
# The reasons a family gives for an absence (contract ABSENCE_REASONS), in French.
ABSENCE_REASONS = {
    "illness": "Maladie",
    "family": "Raison familiale",
    "transport": "Problème de transport",
    "other": "Autre motif",
}


def absence_reason(code: str) -> str:
    return ABSENCE_REASONS.get(code, code)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _days(days: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        ({"date": _iso(day["date"]), "late": bool(day["late"])} for day in days),
        key=lambda day: day["date"],
    )


def _who(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "child_id": str(p["child_id"]),
        "child_first_name": p["child_first_name"],
        "activity_id": str(p["activity_id"]),
        "activity_name": p["activity_name"],
        "activity_type": p["activity_type"],
        "site": p["site"],
    }


def in_basket(event: Event) -> bool:
    """Whether the event is a part of a basket recap."""
    return event.type in (
        "booking.ReservationValidated",
        "booking.ReservationCancelled",
    ) and bool(event.payload.get("basket_id"))


def basket_part(event: Event) -> dict[str, Any]:
    """What an event adds to its basket's recap."""
    p = event.payload
    part = {**_who(p), "confirmed": [], "waiting": [], "cancelled": []}
    if event.type == "booking.ReservationValidated":
        part["confirmed"] = _days(p["dates"])
        part["waiting"] = sorted(_iso(day) for day in p["waiting_dates"])
    else:
        part["cancelled"] = _days(p["dates"])
    return part


def _span(days: Sequence[str]) -> str:
    if len(days) == 1:
        return f"le {french_day(days[0])}"
    return f"du {french_day(days[0])} au {french_day(days[-1])}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def notice(event: Event) -> Notice:
    """The in-app notification of a booking event (the same for every account)."""
    p = event.payload
    child, activity = p["child_first_name"], p["activity_name"]
    match event.type:
        case "booking.ReservationValidated":
            part = basket_part(event)
            confirmed = [day["date"] for day in part["confirmed"]]
            late = sum(1 for day in part["confirmed"] if day["late"])
            sentences = []
            if confirmed:
                booked = _count(len(confirmed), "jour réservé", "jours réservés")
                text = f"{activity} pour {child} : {booked} {_span(confirmed)}"
                if late:
                    late_ones = _count(late, "réservation hors délai", "réservations hors délai")
                    text += f", dont {late_ones} (tarif majoré)"
                sentences.append(text + ".")
            if part["waiting"]:
                sentences.append(
                    f"{'En' if confirmed else activity + ' pour ' + child + ' : en'} liste"
                    f" d'attente {_span(part['waiting'])}"
                    f" ({_count(len(part['waiting']), 'jour', 'jours')}) : vous serez prévenu"
                    " si une place se libère."
                )
            title = "Réservations confirmées" if confirmed else "Inscription en liste d'attente"
            return Notice("reservation_validated", title, " ".join(sentences))
        case "booking.ReservationCancelled":
            days = [day["date"] for day in _days(p["dates"])]
            by = "par la mairie" if p["cancelled_by"] == "staff" else "à votre demande"
            charged = "facturée" if len(days) == 1 else "facturés"
            body = (
                f"{activity} pour {child} : {_count(len(days), 'jour annulé', 'jours annulés')}"
                f" {by} ({_span(days)})."
                + (f" Motif : {_reason(p.get('reason'))}." if _reason(p.get("reason")) else "")
                + (
                    f" {'Ce jour reste' if len(days) == 1 else 'Ces jours restent'} {charged}."
                    if p["charged"]
                    else " Pas de facturation."
                )
            )
            return Notice("reservation_cancelled", "Réservation annulée", body)
        case "booking.WaitingListPromoted":
            body = (
                f"Une place s'est libérée : {child} est inscrit(e) à {activity} le"
                f" {french_day(p['date'])}."
            )
            if p["late"]:
                body += " Réservation hors délai : tarif majoré."
            return Notice("waiting_list_promoted", "Une place s'est libérée", body)
        case "booking.EnrollmentDecided":
            period = f"du {french_date(p['period_from'])} au {french_date(p['period_to'])}"
            if p["decision"] == "approved":
                return Notice(
                    "enrollment_approved",
                    "Inscription acceptée",
                    f"L'inscription de {child} à {activity} ({period}) est acceptée : vous"
                    " pouvez réserver ses jours.",
                )
            reason = _reason(p.get("reason"))
            because = f" Motif : {reason}" if reason else " Aucun motif n'a été indiqué."
            return Notice(
                "enrollment_rejected",
                "Inscription refusée",
                f"L'inscription de {child} à {activity} ({period}) est refusée.{because}",
            )
        case "booking.AbsenceJustified":
            return Notice(
                "absence_justified",
                "Absence justifiée",
                f"L'absence de {child} le {french_day(p['date'])} est justifiée : elle ne vous"
                f" sera pas facturée. Activité : {activity}.",
            )
        case "booking.AbsenceRefused":
            reason = _reason(p.get("decision_reason"))
            because = f" Motif : {reason}" if reason else " Aucun motif n'a été indiqué."
            return Notice(
                "absence_refused",
                "Justification d'absence refusée",
                f"La justification de l'absence de {child} le {french_day(p['date'])}"
                f" ({activity}) n'a pas été acceptée : ce jour reste facturé.{because}",
            )
    raise ValueError(f"not a booking email: {event.type}")


def email(event: Event) -> tuple[str, dict[str, Any]]:
    """Template and context of a booking event's own email (not gathered in a basket)."""
    p = event.payload
    who = _who(p)
    match event.type:
        case "booking.ReservationCancelled":
            return "reservation_cancelled", {
                **who,
                "dates": _days(p["dates"]),
                "cancelled_by": p["cancelled_by"],
                "reason": _reason(p.get("reason")),
                "charged": bool(p["charged"]),
            }
        case "booking.WaitingListPromoted":
            return "waiting_list_promoted", {
                **who,
                "booking_id": str(p["booking_id"]),
                "date": _iso(p["date"]),
                "late": bool(p["late"]),
            }
        case "booking.EnrollmentDecided":
            approved = p["decision"] == "approved"
            return "enrollment_approved" if approved else "enrollment_rejected", {
                **who,
                "enrollment_id": str(p["enrollment_id"]),
                "decision": p["decision"],
                "reason": _reason(p.get("reason")),
                "automatic": p.get("decided_by") is None,
                "period_from": _iso(p["period_from"]),
                "period_to": _iso(p["period_to"]),
            }
        case "booking.AbsenceJustified" | "booking.AbsenceRefused":
            context = {
                **who,
                "absence_id": str(p["absence_id"]),
                "booking_id": str(p["booking_id"]),
                "date": _iso(p["date"]),
                "absence_reason": absence_reason(p["reason"]),
            }
            if event.type == "booking.AbsenceJustified":
                return "absence_justified", {**context, "note": _reason(p.get("note"))}
            return "absence_refused", {
                **context,
                "decision_reason": _reason(p.get("decision_reason")),
            }
    raise ValueError(f"not a booking email of its own: {event.type}")


def plan(event: Event, accounts: Sequence[uuid.UUID]) -> tuple[list[Mail], Notice]:
    """One email per account (to its latest address) and the notification; a basket event's
    mail is its part of the basket recap (`group` names the basket)."""
    if in_basket(event):
        context = {
            "basket_id": str(event.payload["basket_id"]),
            "parts": {str(event.id): basket_part(event)},
        }
        return [
            Mail(None, BASKET_TEMPLATE, context, account_id, group=basket_key(event))
            for account_id in accounts
        ], notice(event)
    template, context = email(event)
    return [Mail(None, template, context, account_id) for account_id in accounts], notice(event)


def basket_key(event: Event) -> str:
    return f"basket:{event.payload['basket_id']}"


async def recipients(conn: Any, event: Event) -> list[uuid.UUID]:
    """Every account linked to the household, then the event's account (unless it is the
    staff member who cancelled)."""
    p = event.payload
    linked = await store.household_accounts(conn, event.tenant_id, p["household_id"])
    named = [p["account_id"]] if p.get("account_id") else []
    if event.type == "booking.ReservationCancelled" and p["cancelled_by"] == "staff":
        named = []
    return _unique([*linked, *named])


async def apply(conn: Any, event: Event, *, basket_grace: float = 2.0) -> int:
    """Keep the read model, write the emails and notifications; how many emails were queued
    (or gathered into a recap)."""
    p = event.payload
    if event.type == "booking.ReservationValidated" or (
        event.type == "booking.EnrollmentDecided" and p["decision"] == "approved"
    ):
        await store.add_family_activity(conn, event.tenant_id, p["household_id"], p["activity_id"])
    accounts = await recipients(conn, event)
    mails, note = plan(event, accounts)
    queued = 0
    for mail in mails:
        assert mail.account_id is not None
        if mail.group is not None:
            queued += await store.gather_email(
                conn,
                tenant=event.tenant_id,
                event_id=event.id,
                event_type=event.type,
                account_id=mail.account_id,
                template=mail.template,
                group_key=mail.group,
                context=mail.context,
                grace=basket_grace,
            )
        else:
            queued += await store.queue_email(
                conn,
                tenant=event.tenant_id,
                event_id=event.id,
                event_type=event.type,
                recipient=None,
                account_id=mail.account_id,
                template=mail.template,
                context=mail.context,
            )
    for account_id in accounts:
        await store.add_notification(
            conn,
            tenant=event.tenant_id,
            account_id=account_id,
            event_id=event.id,
            kind=note.kind,
            title=note.title,
            body=note.body,
        )
    return queued

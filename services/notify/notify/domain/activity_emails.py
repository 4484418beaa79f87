"""The family-facing emails about the children's activities (booking's events): basket
recaps, cancellations, waiting lists, enrollment decisions, absence decisions. One function
per event type.

A validated basket gives one event per child and activity (`booking.ReservationValidated`,
and `booking.ReservationCancelled` for the days the basket cancelled): each is a part of the
basket's recap (`group` names the basket, `context["parts"]` holds the part under the event's
id), gathered into one email per account, grouped by child and activity, listing every day.
A cancellation outside a basket (one day, by the family or by staff), an enrollment decision,
a waiting list promotion or cancellation (a day staff closed) and staff's decision on a
justified absence each get an email of their own.

Days paid at booking (`payment` `at_booking`) or from the wallet (`wallet`) are held until
paid: the recap says so, with the time the payment is due. When they are released unpaid
(`booking.BookingHoldReleased`, one event per child and activity) the family gets one email
per basket (gathered like the recap) saying which days and why.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from notify.domain.french import french_date, french_datetime, french_day
from notify.domain.plans import Letter, Notice, iso, reason

BASKET_TEMPLATE = "basket_recap"
RELEASED_TEMPLATE = "booking_hold_released"
# Why held days were released (contract BookingHoldReleased.reason), in French.
RELEASE_REASONS = {
    "payment_expired": "paiement non effectué dans le délai",
    "payment_refused": "paiement refusé",
    "insufficient_balance": "solde insuffisant de la tirelire",
    "wallet_inactive": "tirelire non activée",
}
# The reasons a family gives for an absence (contract ABSENCE_REASONS), in French.
ABSENCE_REASONS = {
    "illness": "Maladie",
    "family": "Raison familiale",
    "transport": "Problème de transport",
    "other": "Autre motif",
}


def absence_reason(code: str) -> str:
    return ABSENCE_REASONS.get(code, code)


def basket_key(basket_id: uuid.UUID | str) -> str:
    """The group of a basket's recap: one email per (basket, account)."""
    return f"basket:{basket_id}"


def _days(days: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        ({"date": iso(day["date"]), "late": bool(day["late"])} for day in days),
        key=lambda day: day["date"],
    )


def _who(p: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "child_id": str(p["child_id"]),
        "child_first_name": p["child_first_name"],
        "activity_id": str(p["activity_id"]),
        "activity_name": p["activity_name"],
        "activity_type": p["activity_type"],
        "site": p["site"],
    }


def _span(days: Sequence[str]) -> str:
    if len(days) == 1:
        return f"le {french_day(days[0])}"
    return f"du {french_day(days[0])} au {french_day(days[-1])}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _basket_letter(
    event_id: uuid.UUID, p: Mapping[str, Any], part: dict[str, Any], notice: Notice
) -> Letter:
    context = {"basket_id": str(p["basket_id"]), "parts": {str(event_id): part}}
    return Letter(BASKET_TEMPLATE, context, notice, group=basket_key(p["basket_id"]))


def release_reason(code: str) -> str:
    return RELEASE_REASONS.get(code, code)


def _payment(p: Mapping[str, Any]) -> tuple[str, str | None]:
    """How the days are paid, and by when (an ISO datetime) when paid at booking."""
    payment = p.get("payment") or "invoice"
    due = p.get("payment_due_at") if payment == "at_booking" else None
    return payment, (iso(due) if due else None)


def reservation_validated(
    p: Mapping[str, Any], event_id: uuid.UUID, timezone: str = "Europe/Paris"
) -> Letter:
    """A basket's confirmed and waiting days for one child and activity: a part of the
    basket's recap. Days paid at booking are held until `payment_due_at`; days paid from
    the wallet until the wallet's answer."""
    payment, due = _payment(p)
    part = {
        **_who(p),
        "confirmed": _days(p["dates"]),
        "waiting": sorted(iso(day) for day in p["waiting_dates"]),
        "cancelled": [],
        "payment": payment,
        "payment_due_at": due,
    }
    child, activity = p["child_first_name"], p["activity_name"]
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
    if confirmed and payment == "at_booking":
        title = "Réservations à payer"
        pay_by = f" avant le {french_datetime(due, timezone)}" if due else ""
        sentences.insert(
            1,
            f"À payer en ligne{pay_by} : sans paiement, ces jours seront libérés pour"
            " d'autres familles.",
        )
    elif confirmed and payment == "wallet":
        title = "Réservations à payer par la tirelire"
        sentences.insert(
            1,
            "Ces jours seront payés avec votre tirelire : si son solde est insuffisant, ils"
            " seront libérés et vous serez prévenu.",
        )
    notice = Notice("reservation_validated", title, " ".join(sentences))
    return _basket_letter(event_id, p, part, notice)


def reservation_cancelled(p: Mapping[str, Any], event_id: uuid.UUID) -> Letter:
    """Days cancelled: a part of the basket's recap when a basket cancelled them, else an
    email of its own (a day staff closed: `day_closed`)."""
    if p["cancelled_by"] == "day_closed":
        return day_closed(p)
    child, activity = p["child_first_name"], p["activity_name"]
    days = _days(p["dates"])
    dates = [day["date"] for day in days]
    why = reason(p.get("reason"))
    by = "par la mairie" if p["cancelled_by"] == "staff" else "à votre demande"
    charged = "facturée" if len(dates) == 1 else "facturés"
    body = (
        f"{activity} pour {child} : {_count(len(dates), 'jour annulé', 'jours annulés')}"
        f" {by} ({_span(dates)})."
        + (f" Motif : {why}." if why else "")
        + (
            f" {'Ce jour reste' if len(dates) == 1 else 'Ces jours restent'} {charged}."
            if p["charged"]
            else " Pas de facturation."
        )
    )
    notice = Notice("reservation_cancelled", "Réservation annulée", body)
    if p.get("basket_id"):
        part = {**_who(p), "confirmed": [], "waiting": [], "cancelled": days}
        return _basket_letter(event_id, p, part, notice)
    context = {
        **_who(p),
        "dates": days,
        "cancelled_by": p["cancelled_by"],
        "reason": why,
        "charged": bool(p["charged"]),
    }
    return Letter("reservation_cancelled", context, notice)


def day_closed(p: Mapping[str, Any]) -> Letter:
    """Staff closed a day the child was booked on: its own email, with their reason and that
    the day is not billed, and the same in the portal."""
    dates = [day["date"] for day in _days(p["dates"])]  # one: an event per booking
    why = reason(p.get("reason"))
    body = (
        f"{p['activity_name']} est fermé {_span(dates)} : la réservation de"
        f" {p['child_first_name']} est annulée."
        + (f" Motif : {why}." if why else "")
        + " Vous ne serez pas facturé pour ce jour."
    )
    context = {**_who(p), "dates": dates, "reason": why}
    notice = Notice("reservation_day_closed", "Jour fermé : réservation annulée", body)
    return Letter("reservation_day_closed", context, notice)


def waiting_list_cancelled(p: Mapping[str, Any]) -> Letter:
    """Staff closed a day the child was waiting for: its own email, so that the family does
    not wait for a place that will never come, and the same in the portal."""
    dates = [iso(p["date"])]
    why = reason(p.get("reason"))
    body = (
        f"{p['activity_name']} est fermé {_span(dates)} : la demande en liste d'attente de"
        f" {p['child_first_name']} est annulée."
        + (f" Motif : {why}." if why else "")
        + " Rien ne vous sera facturé pour ce jour."
    )
    context = {**_who(p), "booking_id": str(p["booking_id"]), "dates": dates, "reason": why}
    notice = Notice("waiting_list_day_closed", "Jour fermé : liste d'attente annulée", body)
    return Letter("waiting_list_day_closed", context, notice)


def released_key(basket_id: uuid.UUID | str) -> str:
    """The group of a basket's released days: one email per (basket, account)."""
    return f"released:{basket_id}"


def booking_hold_released(p: Mapping[str, Any], event_id: uuid.UUID) -> Letter:
    """Days held for payment released unpaid (the places went to other families): a part of
    the basket's email about them, with the reason."""
    days = _days(p["dates"])
    part = {**_who(p), "released": days, "reason": p["reason"]}
    context = {"basket_id": str(p["basket_id"]), "parts": {str(event_id): part}}
    dates = [day["date"] for day in days]
    released = _count(len(dates), "jour libéré", "jours libérés")
    notice = Notice(
        "booking_hold_released",
        "Réservations libérées",
        f"{p['activity_name']} pour {p['child_first_name']} : {released} {_span(dates)}"
        f" ({release_reason(p['reason'])}). Les places ont été proposées à d'autres familles.",
    )
    return Letter(RELEASED_TEMPLATE, context, notice, group=released_key(p["basket_id"]))


def waiting_list_promoted(p: Mapping[str, Any]) -> Letter:
    body = (
        f"Une place s'est libérée : {p['child_first_name']} est inscrit(e) à"
        f" {p['activity_name']} le {french_day(p['date'])}."
    )
    if p["late"]:
        body += " Réservation hors délai : tarif majoré."
    context = {
        **_who(p),
        "booking_id": str(p["booking_id"]),
        "date": iso(p["date"]),
        "late": bool(p["late"]),
    }
    return Letter(
        "waiting_list_promoted",
        context,
        Notice("waiting_list_promoted", "Une place s'est libérée", body),
    )


def enrollment_decided(p: Mapping[str, Any]) -> Letter:
    child, activity = p["child_first_name"], p["activity_name"]
    approved = p["decision"] == "approved"
    why = reason(p.get("reason"))
    context = {
        **_who(p),
        "enrollment_id": str(p["enrollment_id"]),
        "decision": p["decision"],
        "reason": why,
        "automatic": p.get("decided_by") is None,
        "period_from": iso(p["period_from"]),
        "period_to": iso(p["period_to"]),
    }
    period = f"du {french_date(p['period_from'])} au {french_date(p['period_to'])}"
    if approved:
        notice = Notice(
            "enrollment_approved",
            "Inscription acceptée",
            f"L'inscription de {child} à {activity} ({period}) est acceptée : vous"
            " pouvez réserver ses jours.",
        )
        return Letter("enrollment_approved", context, notice)
    because = f" Motif : {why}" if why else " Aucun motif n'a été indiqué."
    notice = Notice(
        "enrollment_rejected",
        "Inscription refusée",
        f"L'inscription de {child} à {activity} ({period}) est refusée.{because}",
    )
    return Letter("enrollment_rejected", context, notice)


def _absence(p: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **_who(p),
        "absence_id": str(p["absence_id"]),
        "booking_id": str(p["booking_id"]),
        "date": iso(p["date"]),
        "absence_reason": absence_reason(p["reason"]),
    }


def absence_justified(p: Mapping[str, Any]) -> Letter:
    """Staff accepted the family's justification: the day is not charged."""
    notice = Notice(
        "absence_justified",
        "Absence justifiée",
        f"L'absence de {p['child_first_name']} le {french_day(p['date'])} est justifiée :"
        f" elle ne vous sera pas facturée. Activité : {p['activity_name']}.",
    )
    context = {**_absence(p), "note": reason(p.get("note"))}
    return Letter("absence_justified", context, notice)


def absence_refused(p: Mapping[str, Any]) -> Letter:
    """Staff refused the family's justification: the day stays charged, with their reason."""
    why = reason(p.get("decision_reason"))
    because = f" Motif : {why}" if why else " Aucun motif n'a été indiqué."
    notice = Notice(
        "absence_refused",
        "Justification d'absence refusée",
        f"La justification de l'absence de {p['child_first_name']} le"
        f" {french_day(p['date'])} ({p['activity_name']}) n'a pas été acceptée : ce jour"
        f" reste facturé.{because}",
    )
    context = {**_absence(p), "decision_reason": why}
    return Letter("absence_refused", context, notice)


def renewals_proposed(p: Mapping[str, Any]) -> Letter:
    """Last year's enrollments proposed again for the new school year (issue 16): what each
    child may continue, what it no longer may and why, the window in which to answer, and the
    link to the portal's renewal page."""
    children = [
        {
            "child_id": str(child["child_id"]),
            "first_name": child["first_name"],
            "activities": list(child["activities"]),
            "ineligible": [{"name": x["name"], "reason": x["reason"]} for x in child["ineligible"]],
        }
        for child in p["children"]
    ]
    names = [c["first_name"] for c in children if c["activities"]]
    context = {
        "campaign_id": str(p["campaign_id"]),
        "campaign_name": p["campaign_name"],
        "school_year": p["school_year"],
        "opens_on": iso(p["opens_on"]),
        "closes_on": iso(p["closes_on"]),
        "children": children,
    }
    window = f"du {french_date(p['opens_on'])} au {french_date(p['closes_on'])}"
    if names:
        body = (
            f"Les inscriptions de {', '.join(names)} peuvent être renouvelées pour"
            f" {p['school_year']} {window}, après la vérification de votre dossier."
        )
    else:
        refused = [c["first_name"] for c in children]
        body = (
            f"Les inscriptions de {', '.join(refused)} ne peuvent pas être renouvelées pour"
            f" {p['school_year']} : le motif est indiqué pour chacune."
        )
    title = f"Renouvellement des inscriptions {p['school_year']}"
    notice = Notice("renewals_proposed", title, body)
    return Letter("renewals_proposed", context, notice)

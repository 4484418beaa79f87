"""The booking events' emails and notifications: what they say, in French, every day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from notify.domain import activity_emails
from notify.domain.plans import Plan
from notify.events import HANDLERS
from notify.render import (
    Renderer,
    Tenant,
    basket_payment,
    booking_groups,
    french_day,
    join_fr,
    released_groups,
)
from shared.events.envelope import new_event, parse_event

RENDERER = Renderer()
TENANT = Tenant.build(
    "epagny",
    {
        "name": "Ville d'Épagny Metz-Tessy",
        "contact_service": "le service Petite Enfance",
        "contact_email": "petite-enfance@epagnymetztessy.fr",
        "contact_phone": "04.50.22.05.57",
        "primary_color": "#00695c",
        "portal_url": "https://portail.epagnymetztessy.fr/",
    },
    default_sender="ne-pas-repondre@portail-famille.fr",
    default_portal_url="http://127.0.0.1:8080",
)
A, B = uuid.uuid4(), uuid.uuid4()
LEA, HUGO = uuid.uuid4(), uuid.uuid4()
CANTINE, PERI = uuid.uuid4(), uuid.uuid4()
HOUSEHOLD = uuid.uuid4()


# What each booking event writes (its use case sends it to the household's guardians).
LETTERS = {
    "booking.ReservationValidated": lambda e: activity_emails.reservation_validated(
        e.payload, e.id
    ),
    "booking.ReservationCancelled": lambda e: activity_emails.reservation_cancelled(
        e.payload, e.id
    ),
    "booking.WaitingListPromoted": lambda e: activity_emails.waiting_list_promoted(e.payload),
    "booking.EnrollmentDecided": lambda e: activity_emails.enrollment_decided(e.payload),
    "booking.AbsenceJustified": lambda e: activity_emails.absence_justified(e.payload),
    "booking.AbsenceRefused": lambda e: activity_emails.absence_refused(e.payload),
    "booking.BookingHoldReleased": lambda e: activity_emails.booking_hold_released(e.payload, e.id),
}


def plan(event, accounts) -> Plan:
    """The event's emails and notice to these accounts."""
    return LETTERS[event.type](event).to(accounts)


def booking_event(event_type: str, child=LEA, activity=CANTINE, **payload: Any):
    """As the consumer sees it: through the contract both ways (payload values typed)."""
    names = {LEA: "Léa", HUGO: "Hugo"}
    activities = {CANTINE: ("Cantine", "CANTINE"), PERI: ("Accueil du soir", "PERI")}
    base = {
        "household_id": HOUSEHOLD,
        "account_id": A,
        "child_id": child,
        "child_first_name": names[child],
        "activity_id": activity,
        "activity_name": activities[activity][0],
        "activity_type": activities[activity][1],
        "site": "École du Centre",
    }
    event = new_event(event_type, {**base, **payload}, tenant_id="epagny", producer="booking")
    return parse_event(event.to_json())


def days(*values: date, late: tuple[date, ...] = ()):
    return [{"booking_id": uuid.uuid4(), "date": d, "late": d in late} for d in values]


def validated(basket=None, child=LEA, activity=CANTINE, dates=(), late=(), waiting=()):
    return booking_event(
        "booking.ReservationValidated",
        child=child,
        activity=activity,
        basket_id=basket or uuid.uuid4(),
        dates=days(*dates, late=late),
        waiting_dates=list(waiting),
    )


def cancelled(by="family", charged=False, reason=None, basket=None, dates=(date(2026, 1, 5),)):
    return booking_event(
        "booking.ReservationCancelled",
        basket_id=basket,
        dates=days(*dates),
        cancelled_by=by,
        reason=reason,
        charged=charged,
    )


def enrollment(decision: str, reason=None, decided_by=None):
    return booking_event(
        "booking.EnrollmentDecided",
        enrollment_id=uuid.uuid4(),
        decision=decision,
        reason=reason,
        decided_by=decided_by,
        period_from=date(2025, 9, 1),
        period_to=date(2026, 7, 3),
    )


def render(template: str, context: dict[str, Any], name: str = "Simon Durand"):
    return RENDERER.render(template, {**context, "display_name": name}, TENANT)


def recap(*events):
    """The recap an account gets for these events of one basket (as the store gathers it)."""
    mails = [plan(event, [A])[0][0] for event in events]
    parts = {key: part for mail in mails for key, part in mail.context["parts"].items()}
    assert {mail.group for mail in mails} == {
        activity_emails.basket_key(events[0].payload["basket_id"])
    }
    return render("basket_recap", {**mails[0].context, "parts": parts})


def test_booking_events_are_consumed():
    assert set(LETTERS) <= set(HANDLERS)


def test_french_days():
    assert french_day(date(2026, 1, 5)) == "lundi 5 janvier 2026"
    assert french_day("2026-06-01") == "lundi 1er juin 2026"
    assert french_day("2026-03-29T00:30:00+01:00") == "dimanche 29 mars 2026"
    assert join_fr(["Léa"]) == "Léa"
    assert join_fr(["Léa", "Hugo", "Inès"]) == "Léa, Hugo et Inès"
    assert join_fr([]) == ""


def test_basket_recap_lists_every_day_late_and_waiting():
    basket = uuid.uuid4()
    january = [date(2026, 1, d) for d in (5, 6, 8, 9, 12, 13, 15, 16)]
    event = validated(
        basket,
        dates=january,
        late=(date(2026, 1, 5),),
        waiting=(date(2026, 1, 19), date(2026, 1, 20)),
    )
    mails, notice = plan(event, [A, B])
    assert [(m.recipient, m.account_id, m.template, m.group) for m in mails] == [
        (None, A, "basket_recap", f"basket:{basket}"),
        (None, B, "basket_recap", f"basket:{basket}"),
    ]
    out = recap(event)
    assert out.subject == "Confirmation de vos réservations pour Léa"
    assert "Léa — Cantine (École du Centre)\nJours réservés (8) :\n" in out.text
    assert "  - lundi 5 janvier 2026 — réservation hors délai : tarif majoré\n" in out.text
    assert "  - mardi 6 janvier 2026\n" in out.text
    for day in january:
        assert french_day(day) in out.text
        assert french_day(day)[:1].upper() + french_day(day)[1:] in out.html
    assert out.text.count("hors délai") == 1 and out.html.count("hors délai") == 1
    assert "Jours en liste d'attente (2)" in out.text
    assert "  - lundi 19 janvier 2026 — liste d'attente\n" in out.text
    assert "  - mardi 20 janvier 2026 — liste d'attente\n" in out.text
    assert "\nhttps://portail.epagnymetztessy.fr/reservations\n" in out.text
    assert notice.kind == "reservation_validated" and notice.title == "Réservations confirmées"
    assert notice.body == (
        "Cantine pour Léa : 8 jours réservés du lundi 5 janvier 2026 au vendredi 16 janvier"
        " 2026, dont 1 réservation hors délai (tarif majoré). En liste d'attente du lundi 19"
        " janvier 2026 au mardi 20 janvier 2026 (2 jours) : vous serez prévenu si une place"
        " se libère."
    )


def test_basket_recap_groups_children_and_activities():
    basket = uuid.uuid4()
    out = recap(
        validated(basket, child=LEA, activity=PERI, dates=[date(2026, 1, 6)]),
        validated(basket, child=LEA, activity=CANTINE, dates=[date(2026, 1, 5)]),
        validated(basket, child=HUGO, activity=CANTINE, dates=[date(2026, 1, 5)]),
        cancelled(basket=basket, dates=(date(2026, 1, 9),)),
    )
    assert out.subject == "Confirmation de vos réservations pour Hugo et Léa"
    text = out.text
    heads = [
        "Hugo — Cantine (École du Centre)",
        "Léa — Accueil du soir (École du Centre)",
        "Léa — Cantine (École du Centre)",
    ]
    positions = [text.index(head) for head in heads]
    assert positions == sorted(positions)
    lea_cantine = text[positions[2] :]
    assert "Jour réservé (1) :\n  - lundi 5 janvier 2026\n" in lea_cantine
    assert "Jour annulé (1) :\n  - vendredi 9 janvier 2026 — annulé\n" in lea_cantine


def test_basket_recap_only_waiting_or_only_cancelled():
    basket = uuid.uuid4()
    out = recap(validated(basket, waiting=(date(2026, 2, 2),)))
    assert out.subject == "Vos demandes en liste d'attente pour Léa"
    assert "Jour en liste d'attente (1)" in out.text
    assert "Jour réservé" not in out.text
    _, notice = plan(validated(basket, waiting=(date(2026, 2, 2),)), [A])
    assert notice.title == "Inscription en liste d'attente"
    assert notice.body.startswith("Cantine pour Léa : en liste d'attente le lundi 2 février 2026")
    basket = uuid.uuid4()
    assert recap(cancelled(basket=basket)).subject == "Confirmation de vos annulations pour Léa"


def test_groups_merge_and_sort_the_days():
    parts = {
        "e2": {
            "child_id": "c",
            "child_first_name": "Léa",
            "activity_id": "a",
            "activity_name": "Cantine",
            "confirmed": [{"date": "2026-01-06", "late": True}],
            "waiting": [],
            "cancelled": [],
        },
        "e1": {
            "child_id": "c",
            "child_first_name": "Léa",
            "activity_id": "a",
            "activity_name": "Cantine",
            "confirmed": [
                {"date": "2026-01-07", "late": False},
                {"date": "2026-01-06", "late": False},
            ],
            "waiting": ["2026-01-09", "2026-01-08", "2026-01-09"],
            "cancelled": [],
        },
    }
    (group,) = booking_groups(parts)
    assert group["confirmed"] == [
        {"date": "2026-01-06", "late": True},
        {"date": "2026-01-07", "late": False},
    ]
    assert group["waiting"] == ["2026-01-08", "2026-01-09"]


@pytest.mark.parametrize("by", ["family", "staff"])
def test_cancellation(by):
    event = cancelled(
        by=by,
        charged=by == "staff",
        reason="Sortie scolaire" if by == "staff" else None,
        dates=(date(2026, 3, 30), date(2026, 3, 31)),
    )
    (mail,), notice = plan(event, [A])
    assert mail.template == "reservation_cancelled" and mail.group is None
    out = render(mail.template, mail.context)
    assert out.subject == "Annulation : Léa — Cantine"
    assert "  - lundi 30 mars 2026 — annulé\n  - mardi 31 mars 2026 — annulé\n" in out.text
    if by == "staff":
        assert "Le service Petite Enfance a annulé les réservations de Léa" in out.text
        assert "Motif :\nSortie scolaire\n" in out.text
        assert "Ces jours restent facturés." in out.text
        assert notice.body == (
            "Cantine pour Léa : 2 jours annulés par la mairie (du lundi 30 mars 2026 au mardi"
            " 31 mars 2026). Motif : Sortie scolaire. Ces jours restent facturés."
        )
    else:
        assert "Votre annulation est enregistrée pour Léa" in out.text
        assert "Motif" not in out.text
        assert "Ces jours ne vous seront pas facturés." in out.text
        assert notice.body.endswith(
            "à votre demande (du lundi 30 mars 2026 au mardi 31 mars 2026). Pas de facturation."
        )


def test_a_day_closed_by_staff_has_its_own_email_and_notice():
    event = cancelled(by="day_closed", reason="Grève du personnel")
    (mail,), notice = plan(event, [A])
    assert mail.template == "reservation_day_closed" and mail.group is None
    out = render(mail.template, mail.context)
    assert out.subject == "Jour fermé : Léa — Cantine le lundi 5 janvier 2026"
    assert "a fermé l'activité « Cantine »" in out.text and "lundi 5 janvier 2026" in out.text
    assert "Motif :\nGrève du personnel\n" in out.text
    assert "Vous ne serez pas facturé pour ce jour." in out.text
    assert notice.kind == "reservation_day_closed"
    assert notice.body == (
        "Cantine est fermé le lundi 5 janvier 2026 : la réservation de Léa est annulée."
        " Motif : Grève du personnel. Vous ne serez pas facturé pour ce jour."
    )
    # Without a reason: no "Motif", still not billed.
    (mail,), notice = plan(cancelled(by="day_closed", reason="  "), [A])
    out = render(mail.template, mail.context)
    assert "Motif" not in out.text and "Motif" not in notice.body
    assert "Vous ne serez pas facturé pour ce jour." in out.text


def test_one_day_cancellation_subject():
    (mail,), _ = plan(cancelled(), [A])
    out = render(mail.template, mail.context)
    assert out.subject == "Annulation : Léa — Cantine le lundi 5 janvier 2026"
    assert "Ce jour ne vous sera pas facturé." in out.text


def test_waiting_list_promoted():
    event = booking_event(
        "booking.WaitingListPromoted", booking_id=uuid.uuid4(), date=date(2026, 1, 8), late=True
    )
    (mail,), notice = plan(event, [A])
    out = render(mail.template, mail.context)
    assert out.subject == "Une place s'est libérée : Léa est inscrit(e) le jeudi 8 janvier 2026"
    assert "une place s'est libérée" in out.text
    assert "le jeudi 8 janvier 2026." in out.text
    assert "Réservation hors délai : tarif majoré." in out.text
    assert "<strong>jeudi 8 janvier 2026</strong>" in out.html
    assert notice.title == "Une place s'est libérée"
    assert "le jeudi 8 janvier 2026" in notice.body


def test_enrollment_approved():
    (mail,), notice = plan(enrollment("approved"), [A])
    out = render(mail.template, mail.context)
    assert out.subject == "Inscription de Léa à « Cantine » acceptée"
    assert (
        "L'inscription de Léa à l'activité « Cantine » (École du Centre) est acceptée, pour la"
        " période du 1er septembre 2025 au 3 juillet 2026." in out.text
    )
    (mail,), _ = plan(enrollment("approved", decided_by=uuid.uuid4()), [A])
    assert "est acceptée par le service Petite Enfance" in render(mail.template, mail.context).text
    assert notice.kind == "enrollment_approved" and notice.title == "Inscription acceptée"


def test_enrollment_rejected_with_and_without_reason():
    reason = "Léa n'a pas encore 3 ans au 1er septembre.\nMerci de nous contacter."
    (mail,), notice = plan(enrollment("rejected", reason, uuid.uuid4()), [A])
    out = render(mail.template, mail.context)
    assert out.subject == "Inscription de Léa à « Cantine » refusée"
    assert "n'a pas accepté l'inscription de Léa à l'activité « Cantine »" in out.text
    assert f"Motif du refus :\n{reason}\n" in out.text
    assert "Léa n&#39;a pas encore 3 ans" in out.html
    assert notice.body.endswith(f"Motif : {reason}")
    (mail,), notice = plan(enrollment("rejected", "  "), [A])
    assert "Aucun motif n'a été indiqué." in render(mail.template, mail.context).text
    assert notice.body.endswith("Aucun motif n'a été indiqué.")


def absence(event_type: str, **payload: Any):
    common = {
        "absence_id": uuid.uuid4(),
        "booking_id": uuid.uuid4(),
        "date": date(2026, 1, 5),
        "reason": "illness",
        "decided_by": uuid.uuid4(),
    }
    return booking_event(event_type, **{**common, **payload})


def test_absence_justified():
    event = absence("booking.AbsenceJustified", late=False, note="Fièvre, certificat joint")
    mails, notice = plan(event, [A, B])
    assert [(m.recipient, m.account_id, m.template, m.group) for m in mails] == [
        (None, A, "absence_justified", None),
        (None, B, "absence_justified", None),
    ]
    out = render(mails[0].template, mails[0].context)
    assert out.subject == "Absence de Léa le lundi 5 janvier 2026 justifiée"
    sentence = (
        "L'absence de Léa le lundi 5 janvier 2026 est justifiée : elle ne vous sera pas facturée."
    )
    assert f"Bonjour Simon Durand,\n\n{sentence}\n" in out.text
    assert "Activité : « Cantine » (École du Centre)\nMotif déclaré : Maladie\n" in out.text
    assert "Le service Petite Enfance a accepté votre justification." in out.text
    assert "\nhttps://portail.epagnymetztessy.fr/reservations\n" in out.text
    assert "<strong>lundi 5 janvier 2026</strong> est justifiée" in out.html
    assert "elle ne vous sera pas facturée." in out.html
    assert notice.kind == "absence_justified" and notice.title == "Absence justifiée"
    assert notice.body == f"{sentence} Activité : Cantine."


def test_absence_refused_with_and_without_reason():
    reason = "Le certificat médical ne couvre pas ce jour.\nMerci de nous contacter."
    event = absence("booking.AbsenceRefused", reason="transport", decision_reason=reason)
    (mail,), notice = plan(event, [A])
    assert mail.template == "absence_refused" and mail.group is None
    out = render(mail.template, mail.context)
    assert out.subject == "Absence de Léa le lundi 5 janvier 2026 : justification refusée"
    assert (
        "Le service Petite Enfance n'a pas accepté la justification de l'absence de Léa le"
        " lundi 5 janvier 2026 (activité « Cantine », École du Centre)." in out.text
    )
    assert "Motif déclaré : Problème de transport\n" in out.text
    assert f"Motif du refus :\n{reason}\n" in out.text
    assert "Ce jour reste facturé." in out.text and "Ce jour reste facturé." in out.html
    assert "Le certificat médical ne couvre pas ce jour." in out.html
    assert "pas facturée" not in out.text
    assert notice.kind == "absence_refused"
    assert notice.title == "Justification d'absence refusée"
    assert notice.body == (
        "La justification de l'absence de Léa le lundi 5 janvier 2026 (Cantine) n'a pas été"
        f" acceptée : ce jour reste facturé. Motif : {reason}"
    )
    (mail,), notice = plan(absence("booking.AbsenceRefused", decision_reason=" "), [A])
    assert "Aucun motif n'a été indiqué." in render(mail.template, mail.context).text
    assert notice.body.endswith("Aucun motif n'a été indiqué.")


# --- days held until paid: at booking, from the wallet; released unpaid ---------------------
DUE = datetime(2026, 1, 2, 13, 30, tzinfo=UTC)  # 14 h 30 in Paris


def held(basket, payment, child=LEA, activity=CANTINE, dates=(date(2026, 1, 5),), due=DUE):
    return booking_event(
        "booking.ReservationValidated",
        child=child,
        activity=activity,
        basket_id=basket,
        dates=days(*dates),
        waiting_dates=[],
        payment=payment,
        payment_due_at=due if payment == "at_booking" else None,
    )


def released(basket, reason, child=LEA, activity=CANTINE, dates=(date(2026, 1, 5),)):
    return booking_event(
        "booking.BookingHoldReleased",
        child=child,
        activity=activity,
        basket_id=basket,
        dates=days(*dates),
        reason=reason,
    )


def test_recap_of_days_to_pay_at_booking():
    basket = uuid.uuid4()
    event = held(basket, "at_booking", dates=(date(2026, 1, 5), date(2026, 1, 6)))
    (mail,), notice = plan(event, [A])
    part = next(iter(mail.context["parts"].values()))
    assert part["payment"] == "at_booking"
    assert part["payment_due_at"] == "2026-01-02T13:30:00+00:00"
    out = recap(event)
    assert out.subject == (
        "Vos réservations pour Léa : à payer avant le vendredi 2 janvier 2026 à 14 h 30"
    )
    assert "Jours réservés en attente de paiement (2) :\n  - lundi 5 janvier 2026\n" in out.text
    assert (
        "Paiement à la réservation (Cantine) : ces jours vous sont gardés jusqu'au vendredi"
        " 2 janvier 2026 à 14 h 30. Réglez votre facture en ligne avant cette échéance : sans"
        " paiement, ils seront libérés et proposés à d'autres familles.\n\n"
        "https://portail.epagnymetztessy.fr/factures\n"
    ) in out.text
    assert "<strong>vendredi 2 janvier 2026 à 14 h 30</strong>" in out.html
    assert '<a href="https://portail.epagnymetztessy.fr/factures"' in out.html
    assert "Payer ma réservation" in out.html
    assert "tirelire" not in out.text
    assert notice.title == "Réservations à payer"
    assert notice.body == (
        "Cantine pour Léa : 2 jours réservés du lundi 5 janvier 2026 au mardi 6 janvier 2026."
        " À payer en ligne avant le vendredi 2 janvier 2026 à 14 h 30 : sans paiement, ces"
        " jours seront libérés pour d'autres familles."
    )


def test_recap_of_days_paid_from_the_wallet_beside_invoiced_ones():
    basket = uuid.uuid4()
    wallet = held(basket, "wallet", activity=PERI)
    invoiced = held(basket, "invoice")
    out = recap(wallet, invoiced)
    assert out.subject == "Confirmation de vos réservations pour Léa"
    assert (
        "Léa — Accueil du soir (École du Centre)\nJour réservé, à payer par la tirelire (1) :\n"
    ) in out.text
    assert "Léa — Cantine (École du Centre)\nJour réservé (1) :\n" in out.text
    assert (
        "Paiement par la tirelire (Accueil du soir) : ces jours seront payés avec votre tirelire"
        " (compte famille). Si son solde est insuffisant, ils seront libérés et vous en serez"
        " prévenu."
    ) in out.text
    assert "\nhttps://portail.epagnymetztessy.fr/tirelire\n" in out.text
    assert '<a href="https://portail.epagnymetztessy.fr/tirelire"' in out.html
    assert "Paiement à la réservation" not in out.text
    _, notice = plan(wallet, [A])
    assert notice.title == "Réservations à payer par la tirelire"
    assert "si son solde est insuffisant, ils seront libérés" in notice.body
    # Invoiced days alone: the recap as before, nothing about paying now.
    alone = recap(held(uuid.uuid4(), "invoice"))
    assert "Paiement" not in alone.text and "tirelire" not in alone.text


def test_recap_payment_is_the_earliest_due_time():
    later = datetime(2026, 1, 2, 15, 0, tzinfo=UTC)
    groups = booking_groups(
        [
            {**part, "payment": "at_booking", "payment_due_at": due}
            for part, due in (
                (_part("c", "a", "2026-01-05"), later.isoformat()),
                (_part("c", "a", "2026-01-06"), "2026-01-02T14:00:00+01:00"),  # 13:00 UTC
                (_part("d", "a", "2026-01-05"), later.isoformat()),
            )
        ]
    )
    payment = basket_payment(groups)
    assert len(payment["at_booking"]) == 2 and payment["wallet"] == []
    assert payment["due_at"] == "2026-01-02T14:00:00+01:00"


def _part(child: str, activity: str, day: str) -> dict:
    return {
        "child_id": child,
        "child_first_name": child,
        "activity_id": activity,
        "activity_name": activity,
        "confirmed": [{"date": day, "late": False}],
        "waiting": [],
        "cancelled": [],
    }


@pytest.mark.parametrize(
    ("reason", "label", "advice", "link"),
    [
        (
            "payment_expired",
            "paiement non effectué dans le délai",
            "paiement en ligne",
            "reservations",
        ),
        ("payment_refused", "paiement refusé", "paiement en ligne", "reservations"),
        ("insufficient_balance", "solde insuffisant de la tirelire", "rechargez", "tirelire"),
        ("wallet_inactive", "tirelire non activée", "activez votre tirelire", "tirelire"),
    ],
)
def test_released_days_and_why(reason, label, advice, link):
    basket = uuid.uuid4()
    event = released(basket, reason, dates=(date(2026, 1, 6), date(2026, 1, 5)))
    (mail,), notice = plan(event, [A])
    assert mail.template == "booking_hold_released" and mail.group == f"released:{basket}"
    out = render(mail.template, mail.context)
    assert out.subject == "Réservations non payées libérées pour Léa"
    assert "ces places ont été proposées à d'autres familles" in out.text
    assert "Vous n'avez pas à les payer." in out.text
    assert (
        "Léa — Cantine (École du Centre)\n"
        f"Jours libérés (2) — motif : {label}\n"
        "  - lundi 5 janvier 2026\n  - mardi 6 janvier 2026\n"
    ) in out.text
    assert advice in out.text and advice in out.html
    assert f"\nhttps://portail.epagnymetztessy.fr/{link}\n" in out.text
    assert f'<a href="https://portail.epagnymetztessy.fr/{link}"' in out.html
    assert notice.kind == "booking_hold_released" and notice.title == "Réservations libérées"
    assert notice.body == (
        "Cantine pour Léa : 2 jours libérés du lundi 5 janvier 2026 au mardi 6 janvier 2026"
        f" ({label}). Les places ont été proposées à d'autres familles."
    )


def test_released_days_of_a_basket_gathered():
    basket = uuid.uuid4()
    events = [
        released(basket, "insufficient_balance", child=HUGO, activity=PERI),
        released(basket, "insufficient_balance", child=LEA, activity=PERI),
        released(basket, "payment_expired", child=LEA, activity=CANTINE),
    ]
    mails = [plan(event, [A])[0][0] for event in events]
    assert {mail.group for mail in mails} == {f"released:{basket}"}
    parts = {key: part for mail in mails for key, part in mail.context["parts"].items()}
    groups = released_groups(parts)
    assert [(g["child_first_name"], g["activity_name"]) for g in groups] == [
        ("Hugo", "Accueil du soir"),
        ("Léa", "Accueil du soir"),
        ("Léa", "Cantine"),
    ]
    out = render("booking_hold_released", {**mails[0].context, "parts": parts})
    assert out.subject == "Réservations non payées libérées pour Hugo et Léa"
    assert "motif : solde insuffisant de la tirelire" in out.text
    assert "motif : paiement non effectué dans le délai" in out.text
    assert "\nhttps://portail.epagnymetztessy.fr/tirelire\n" in out.text
    assert "\nhttps://portail.epagnymetztessy.fr/reservations\n" in out.text

"""Days held until paid, through the real bus, Postgres and an SMTP server (aiosmtpd): the
basket recap says what is to pay by when (at booking) or that the wallet pays; when held days
are released unpaid, the guardians get one email per basket saying which days and why, once
each, even when the events come again."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

from shared.keys import POOL
from shared.testing.bus import eventually

FACTURES = "https://portail.epagnymetztessy.fr/factures"
TIRELIRE = "https://portail.epagnymetztessy.fr/tirelire"
RESERVATIONS = "https://portail.epagnymetztessy.fr/reservations"
# 18:05 in Paris on a winter day; 19:05 in summer (the town's time, whatever the server's).
DUE_WINTER = datetime(2026, 1, 2, 17, 5, tzinfo=UTC)
DUE_SUMMER = datetime(2026, 7, 2, 17, 5, tzinfo=UTC)


def validated(h, household_id, basket, payment: str, due=None, **extra: Any):
    values: dict[str, Any] = {
        "household_id": household_id,
        "account_id": None,
        "basket_id": basket,
        "dates": h.booked_days(date(2026, 1, 5), date(2026, 1, 6)),
        "waiting_dates": [],
        "payment": payment,
        "payment_due_at": due,
    }
    return h.booking_event("booking.ReservationValidated", **{**values, **extra})


def released(h, household_id, basket, reason: str, **extra: Any):
    values: dict[str, Any] = {
        "household_id": household_id,
        "account_id": None,
        "basket_id": basket,
        "dates": h.booked_days(date(2026, 1, 5), date(2026, 1, 6)),
        "reason": reason,
    }
    return h.booking_event("booking.BookingHoldReleased", **{**values, **extra})


async def test_basket_to_pay_at_booking_then_released_unpaid(notify, smtp, tokens, h):
    household_id, simon, claire, _agent = await h.durand_family(notify, tokens)
    basket = uuid.uuid4()
    lea = validated(h, household_id, basket, "at_booking", DUE_WINTER)
    hugo = validated(
        h,
        household_id,
        basket,
        "at_booking",
        DUE_WINTER,
        child_first_name="Hugo",
        activity_name="Stage multisport",
        activity_type="VACANCES",
        dates=h.booked_days(date(2026, 1, 7)),
    )
    await h.publish(notify, lea)
    await h.publish(notify, hugo)
    messages = await h.delivered(smtp, 2)
    assert sorted(m["To"] for m in messages) == [h.CLAIRE, h.SIMON]
    for message in messages:
        assert message["Subject"] == (
            "Vos réservations pour Hugo et Léa : à payer avant le vendredi 2 janvier 2026 à 18 h 05"
        )
        text, html = h.text_of(message), h.html_of(message)
        held = "réservés en attente de paiement"
        assert f"Léa — Cantine (École du Centre)\nJours {held} (2) :\n" in text
        assert "Hugo — Stage multisport (École du Centre)\nJour réservé en attente" in text
        assert (
            "Paiement à la réservation (Stage multisport et Cantine) : ces jours vous sont"
            " gardés jusqu'au vendredi 2 janvier 2026 à 18 h 05. Réglez votre facture en ligne"
            " avant cette échéance : sans paiement, ils seront libérés et proposés à d'autres"
            f" familles.\n\n{FACTURES}\n"
        ) in text
        assert f'<a href="{FACTURES}"' in html and "Payer ma réservation" in html
    for account_id in (simon, claire):
        header = tokens.header(tenant="epagny", roles=("family",), account_id=str(account_id))
        r = await notify.get("/tenants/epagny/me/notifications", headers=header)
        items = [i for i in (await r.json())["items"] if i["kind"] == "reservation_validated"]
        assert {i["title"] for i in items} == {"Réservations à payer"}
        assert all(
            "À payer en ligne avant le vendredi 2 janvier 2026 à 18 h 05" in i["body"]
            for i in items
        )

    # Not paid in time: booking released both children's days (one event each).
    lea_gone = released(h, household_id, basket, "payment_expired")
    hugo_gone = released(
        h,
        household_id,
        basket,
        "payment_expired",
        child_id=hugo.payload["child_id"],
        child_first_name="Hugo",
        activity_name="Stage multisport",
        activity_type="VACANCES",
        dates=h.booked_days(date(2026, 1, 7)),
    )
    await h.publish(notify, lea_gone)
    await h.publish(notify, hugo_gone)
    messages = (await h.delivered(smtp, 4))[2:]
    assert sorted(m["To"] for m in messages) == [h.CLAIRE, h.SIMON]
    for message in messages:
        assert message["Subject"] == "Réservations non payées libérées pour Hugo et Léa"
        text, html = h.text_of(message), h.html_of(message)
        assert "ces places ont été proposées à d'autres familles" in text
        assert (
            "Hugo — Stage multisport (École du Centre)\n"
            "Jour libéré (1) — motif : paiement non effectué dans le délai\n"
            "  - mercredi 7 janvier 2026\n"
        ) in text
        assert (
            "Léa — Cantine (École du Centre)\n"
            "Jours libérés (2) — motif : paiement non effectué dans le délai\n"
            "  - lundi 5 janvier 2026\n  - mardi 6 janvier 2026\n"
        ) in text
        assert f"\n{RESERVATIONS}\n" in text and f'<a href="{RESERVATIONS}"' in html

    pool = notify.app[POOL]

    async def sent() -> bool:
        rows = await pool.fetch(
            "SELECT status FROM emails WHERE group_key = $1", f"released:{basket}"
        )
        return [r["status"] for r in rows] == ["sent", "sent"]

    await eventually(sent)
    for event in (lea, hugo, lea_gone, hugo_gone):
        await h.publish(notify, event)
    await asyncio.sleep(1.5)
    assert len(smtp.messages) == 4
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM notifications WHERE event_id = ANY($1::uuid[])",
            [lea_gone.id, hugo_gone.id],
        )
        == 4
    )


async def test_basket_paid_from_the_wallet_then_released_for_its_balance(notify, smtp, tokens, h):
    household_id, simon, claire, _agent = await h.durand_family(notify, tokens)
    basket = uuid.uuid4()
    wallet = validated(h, household_id, basket, "wallet", activity_name="Accueil du mercredi")
    await h.publish(notify, wallet)
    messages = await h.delivered(smtp, 2)
    for message in messages:
        assert message["Subject"] == "Confirmation de vos réservations pour Léa"
        text = h.text_of(message)
        assert "Jours réservés, à payer par la tirelire (2) :" in text
        assert (
            "Paiement par la tirelire (Accueil du mercredi) : ces jours seront payés avec votre"
            " tirelire (compte famille). Si son solde est insuffisant, ils seront libérés et"
            " vous en serez prévenu."
        ) in text
        assert f"\n{TIRELIRE}\n" in text
        assert "Paiement à la réservation" not in text

    gone = released(
        h,
        household_id,
        basket,
        "insufficient_balance",
        activity_name="Accueil du mercredi",
        child_id=wallet.payload["child_id"],
    )
    await h.publish(notify, gone)
    messages = (await h.delivered(smtp, 4))[2:]
    assert sorted(m["To"] for m in messages) == [h.CLAIRE, h.SIMON]
    for message in messages:
        text, html = h.text_of(message), h.html_of(message)
        assert "Jours libérés (2) — motif : solde insuffisant de la tirelire\n" in text
        assert "rechargez votre tirelire sur le portail, puis réservez à nouveau" in text
        assert f"\n{TIRELIRE}\n" in text and "Recharger ma tirelire" in html

    # A wallet never activated: said so, with the way to activate it.
    other = uuid.uuid4()
    inactive = released(h, household_id, other, "wallet_inactive")
    await h.publish(notify, inactive)
    messages = (await h.delivered(smtp, 6))[4:]
    for message in messages:
        text = h.text_of(message)
        assert "motif : tirelire non activée" in text
        assert "activez votre tirelire et alimentez-la sur le portail" in text

    for account_id in (simon, claire):
        header = tokens.header(tenant="epagny", roles=("family",), account_id=str(account_id))
        r = await notify.get("/tenants/epagny/me/notifications", headers=header)
        bodies = sorted(
            i["body"] for i in (await r.json())["items"] if i["kind"] == "booking_hold_released"
        )
        assert bodies == [
            "Accueil du mercredi pour Léa : 2 jours libérés du lundi 5 janvier 2026 au mardi"
            " 6 janvier 2026 (solde insuffisant de la tirelire). Les places ont été proposées"
            " à d'autres familles.",
            "Cantine pour Léa : 2 jours libérés du lundi 5 janvier 2026 au mardi 6 janvier 2026"
            " (tirelire non activée). Les places ont été proposées à d'autres familles.",
        ]


async def test_due_time_in_the_towns_summer_time(notify, smtp, tokens, h):
    household_id, *_ = await h.durand_family(notify, tokens)
    await h.publish(
        notify,
        validated(
            h,
            household_id,
            uuid.uuid4(),
            "at_booking",
            DUE_SUMMER,
            dates=h.booked_days(date(2026, 7, 6)),
        ),
    )
    messages = await h.delivered(smtp, 2)
    for message in messages:
        assert message["Subject"] == (
            "Vos réservations pour Léa : à payer avant le jeudi 2 juillet 2026 à 19 h 05"
        )

"""The fair opening's emails (issue 18), through the real bus, Postgres and an SMTP server:
the draw's outcome, an offered place with its accept link, lapsed offers, the week reminder
(not to an account that opted out) and the basket reminder (to who filled the basket), each
once even when delivered twice; days given by an allocation get no basket recap; the
account's reminder preference through the API."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

from shared.events.envelope import Event, new_event
from shared.keys import POOL
from shared.testing.bus import eventually

from .test_booking_emails import delivered, family, html_of, notifications, text_of

SIMON, CLAIRE = "simon.durand@example.org", "claire.durand@example.org"
PORTAL = "https://portail.epagnymetztessy.fr"


def booking(event_type: str, payload: dict[str, Any]) -> Event:
    return new_event(event_type, payload, tenant_id="epagny", producer="booking")


async def twice(notify: Any, h: Any, event: Event) -> None:
    """Delivered twice, as a redelivery would: applied once (the inbox)."""
    await h.publish(notify, event)
    await h.publish(notify, event)


async def handled(notify: Any, event: Event) -> None:
    pool = notify.app[POOL]

    async def done() -> Any:
        return await pool.fetchval("SELECT true FROM inbox WHERE event_id = $1", event.id)

    await eventually(done)


async def emails_of(notify: Any, event: Event) -> int:
    return await notify.app[POOL].fetchval(
        "SELECT count(*) FROM emails WHERE event_id = $1", event.id
    )


def preferences_header(tokens: Any, account_id: uuid.UUID) -> dict[str, str]:
    return tokens.header(tenant="epagny", roles=("family",), account_id=str(account_id))


async def test_the_draws_outcome_is_emailed_to_each_guardian_once(notify, smtp, tokens, h):
    household_id, simon, claire = await family(notify, tokens, h)
    window_id = uuid.uuid4()
    event = booking(
        "booking.AllocationDecided",
        {
            "window_id": window_id,
            "window_name": "Vacances d'hiver 2027",
            "request_id": uuid.uuid4(),
            "household_id": household_id,
            "activity_id": uuid.uuid4(),
            "activity_name": "Centre de loisirs",
            "level": 2,
            "level_label": "Les deux parents travaillent",
            "rank": 3,
            "entries": 40,
            "children": [
                {
                    "child_id": uuid.uuid4(),
                    "first_name": "Léa",
                    "booked_dates": [date(2027, 2, 15), date(2027, 2, 16)],
                    "waiting_dates": [date(2027, 2, 17)],
                },
                {
                    "child_id": uuid.uuid4(),
                    "first_name": "Hugo",
                    "booked_dates": [],
                    "waiting_dates": [date(2027, 2, 15)],
                },
            ],
        },
    )
    await twice(notify, h, event)
    messages = await delivered(smtp, 2)
    assert sorted(m["To"] for m in messages) == [CLAIRE, SIMON]
    link = f"{PORTAL}/reservations/fenetres/{window_id}"
    for message in messages:
        assert message["Subject"] == "Résultat du tirage au sort : Centre de loisirs"
        text = text_of(message)
        assert (
            "Léa :\nJours attribués (2) : la place est réservée.\n"
            "- Lundi 15 février 2027\n- Mardi 16 février 2027\n"
            "Jour en liste d'attente (1) : vous serez prévenu si une place se libère.\n"
            "- Mercredi 17 février 2027 — liste d'attente\n"
        ) in text
        assert "Hugo :\nJour en liste d'attente (1)" in text
        assert (
            "au niveau de priorité 2 (Les deux parents travaillent) et a été classée 3e sur 40"
            " demandes." in text
        )
        assert f"\n{link}\n" in text and f'href="{link}"' in html_of(message)
    for account in (simon, claire):
        (item,) = await notifications(notify, tokens, account)
        assert item["kind"] == "allocation_decided"
        assert item["title"] == "Résultat du tirage au sort : Centre de loisirs"
        assert "Léa : 2 jours attribués, 1 jour en liste d'attente" in item["body"]
    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 2 and await emails_of(notify, event) == 2


async def test_an_offered_place_comes_with_its_accept_link_and_deadline(notify, smtp, tokens, h):
    household_id, simon, _ = await family(notify, tokens, h)
    accept = f"{PORTAL}/offres/accepter/{uuid.uuid4().hex}"
    event = h.booking_event(
        "booking.PlaceOffered",
        household_id=household_id,
        account_id=None,
        offer_id=uuid.uuid4(),
        booking_id=uuid.uuid4(),
        date=date(2026, 9, 10),
        expires_at=datetime(2026, 9, 8, 16, 0, tzinfo=UTC),  # 18:00 in Paris (summer time)
        accept_url=accept,
    )
    await twice(notify, h, event)
    messages = await delivered(smtp, 2)
    assert sorted(m["To"] for m in messages) == [CLAIRE, SIMON]
    for message in messages:
        assert message["Subject"] == "Une place s'est libérée : Cantine le jeudi 10 septembre 2026"
        text = text_of(message)
        assert "Léa est sur la liste d'attente de ce jour : la place vous est proposée." in text
        assert "Vous pouvez l'accepter jusqu'au mardi 8 septembre 2026 à 18 h 00." in text
        assert f"\n{accept}\n" in text and f'href="{accept}"' in html_of(message)
        assert f"sur le portail, où vous pouvez aussi l'accepter ou la refuser :\n{PORTAL}" in text
    (item,) = await notifications(notify, tokens, simon)
    assert item["kind"] == "place_offered" and item["title"] == "Une place s'est libérée"
    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 2


async def test_lapsed_offers_are_told(notify, smtp, tokens, h):
    household_id, _, _ = await family(notify, tokens, h)
    common = {"household_id": household_id, "offer_id": uuid.uuid4(), "booking_id": uuid.uuid4()}
    expired = h.booking_event(
        "booking.OfferLapsed", **common, date=date(2026, 9, 10), reason="expired"
    )
    declined = h.booking_event(
        "booking.OfferLapsed",
        **{**common, "offer_id": uuid.uuid4()},
        date=date(2026, 9, 11),
        reason="declined",
    )
    await twice(notify, h, expired)
    await h.publish(notify, declined)
    messages = await delivered(smtp, 4)
    subjects = sorted((m["To"], m["Subject"]) for m in messages)
    assert subjects == [
        (CLAIRE, "Le délai pour accepter la place est dépassé"),
        (CLAIRE, "Place refusée : Cantine le vendredi 11 septembre 2026"),
        (SIMON, "Le délai pour accepter la place est dépassé"),
        (SIMON, "Place refusée : Cantine le vendredi 11 septembre 2026"),
    ]
    late = next(m for m in messages if m["Subject"].startswith("Le délai"))
    assert "le jeudi 10 septembre 2026 est dépassé" in text_of(late)
    assert "Léa reste sur la liste d'attente de ce jour" in text_of(late)
    refused = next(m for m in messages if m["Subject"].startswith("Place refusée"))
    assert "Vous avez refusé la place proposée à Léa" in text_of(refused)
    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 4


async def test_the_week_reminder_skips_an_account_that_opted_out(notify, smtp, tokens, h):
    household_id, simon, claire = await family(notify, tokens, h)
    # Reminders are on by default; Claire turns hers off.
    r = await notify.get(
        "/tenants/epagny/accounts/me/preferences", headers=preferences_header(tokens, claire)
    )
    assert r.status == 200 and await r.json() == {"booking_reminders": True}
    r = await notify.put(
        "/tenants/epagny/accounts/me/preferences",
        json={"booking_reminders": False},
        headers=preferences_header(tokens, claire),
    )
    assert r.status == 200 and await r.json() == {"booking_reminders": False}
    event = booking(
        "booking.BookingReminderDue",
        {
            "household_id": household_id,
            "week_from": date(2026, 9, 7),
            "week_to": date(2026, 9, 11),
            "deadline": datetime(2026, 9, 5, 21, 59, tzinfo=UTC),
            "days": [
                {"date": date(2026, 9, 7), "activity_name": "Cantine"},
                {"date": date(2026, 9, 7), "activity_name": "Accueil du soir"},
                {"date": date(2026, 9, 8), "activity_name": "Cantine"},
            ],
        },
    )
    await twice(notify, h, event)
    (message,) = await delivered(smtp, 1)
    assert message["To"] == SIMON
    assert message["Subject"] == "Pensez à réserver la semaine du 7 septembre 2026"
    text = text_of(message)
    assert (
        "rien réservé pour la semaine du lundi 7 septembre 2026 au vendredi 11 septembre 2026."
        " Les réservations ferment le samedi 5 septembre 2026 à 23 h 59 pour le premier jour."
    ) in text
    assert "- Lundi 7 septembre 2026 : Accueil du soir et Cantine\n" in text
    assert "- Mardi 8 septembre 2026 : Cantine\n" in text
    assert f"\n{PORTAL}/reservations\n" in text
    assert f"sur la page de votre compte :\n{PORTAL}/compte" in text
    assert f'href="{PORTAL}/compte"' in html_of(message)
    (item,) = await notifications(notify, tokens, simon)
    assert item["kind"] == "booking_reminder"
    assert await notifications(notify, tokens, claire) == []  # no notice either
    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 1 and await emails_of(notify, event) == 1


async def test_preferences_are_the_callers_own_and_validated(notify, tokens):
    me, other = uuid.uuid4(), uuid.uuid4()
    r = await notify.put(
        "/tenants/epagny/accounts/me/preferences",
        json={"booking_reminders": False},
        headers=preferences_header(tokens, me),
    )
    assert r.status == 200
    r = await notify.get(
        "/tenants/epagny/accounts/me/preferences", headers=preferences_header(tokens, other)
    )
    assert await r.json() == {"booking_reminders": True}
    r = await notify.put(
        "/tenants/epagny/accounts/me/preferences",
        json={"booking_reminders": "non"},
        headers=preferences_header(tokens, me),
    )
    assert r.status == 422
    problem = await r.json()
    assert r.content_type == "application/problem+json"
    assert "booking_reminders" in str(problem)
    r = await notify.put(
        "/tenants/epagny/accounts/me/preferences",
        json={"booking_reminders": True},
        headers=preferences_header(tokens, me),
    )
    assert await r.json() == {"booking_reminders": True}
    r = await notify.get("/tenants/epagny/accounts/me/preferences")
    assert r.status == 401


async def test_the_basket_reminder_goes_to_who_filled_it(notify, smtp, tokens, h):
    household_id, simon, claire = await family(notify, tokens, h)
    event = booking(
        "booking.BasketReminderDue",
        {
            "household_id": household_id,
            "account_id": claire,
            "basket_id": uuid.uuid4(),
            "deadline": datetime(2026, 9, 5, 21, 59, tzinfo=UTC),
            "lines": 2,
        },
    )
    await twice(notify, h, event)
    (message,) = await delivered(smtp, 1)
    assert message["To"] == CLAIRE
    assert message["Subject"] == "Votre panier n'est pas validé"
    text = text_of(message)
    assert "Votre panier de réservations (2 demandes) n'est pas encore validé" in text
    assert "Validez-le avant le samedi 5 septembre 2026 à 23 h 59" in text
    assert f"\n{PORTAL}/reservations/panier\n" in text
    assert await notifications(notify, tokens, simon) == []
    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 1


async def test_days_given_by_an_allocation_get_no_basket_recap(notify, smtp, tokens, h):
    household_id, simon, _ = await family(notify, tokens, h)
    given = h.booking_event(
        "booking.ReservationValidated",
        household_id=household_id,
        basket_id=uuid.uuid4(),
        dates=h.booked_days(date(2027, 2, 15)),
        waiting_dates=[],
        window_id=uuid.uuid4(),
    )
    await h.publish(notify, given)
    await handled(notify, given)
    assert await emails_of(notify, given) == 0
    # The household attends the activity all the same (targeted news).
    attends = await notify.app[POOL].fetchval(
        "SELECT count(*) FROM family_activities WHERE household_id = $1", household_id
    )
    assert attends == 1
    # A basket's days (no window) still get their recap.
    booked = h.booking_event(
        "booking.ReservationValidated",
        household_id=household_id,
        basket_id=uuid.uuid4(),
        dates=h.booked_days(date(2027, 2, 16)),
        waiting_dates=[],
    )
    await h.publish(notify, booked)
    messages = await delivered(smtp, 2)
    await asyncio.sleep(1.5)  # past the basket grace: nothing else comes
    assert len(messages) == 2
    assert await notifications(notify, tokens, simon) != []
    assert all(
        item["kind"] == "reservation_validated"
        for item in await notifications(notify, tokens, simon)
    )

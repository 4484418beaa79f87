"""A day staff closed (issue 16): each family whose child was booked gets an email of its own
(the child, the activity, the day, the staff's reason, "vous ne serez pas facturé") and a
notification in the portal, once, through the real bus, Postgres and an SMTP server; each
family whose child was waiting that day is told its waiting request is cancelled."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from shared.keys import POOL

from .test_booking_emails import (
    delivered,
    family,
    html_of,
    known_account,
    notifications,
    text_of,
)

REASON = "Grève du personnel de restauration"


async def test_a_closed_day_is_told_to_every_guardian_once(notify, smtp, tokens, h):
    household_id, simon, claire = await family(notify, tokens, h)
    staff_member = uuid.uuid4()
    closed = h.booking_event(
        "booking.ReservationCancelled",
        household_id=household_id,
        account_id=staff_member,
        activity_name="Cantine",
        site="École du Lac",
        basket_id=None,
        dates=h.booked_days(date(2026, 9, 17)),
        cancelled_by="day_closed",
        reason=REASON,
        charged=False,
    )
    await h.publish(notify, closed)
    await h.publish(notify, closed)  # delivered twice: told once (the inbox)
    messages = await delivered(smtp, 2)
    assert sorted(m["To"] for m in messages) == [
        "claire.durand@example.org",
        "simon.durand@example.org",
    ]
    for message in messages:
        assert message["Subject"] == "Jour fermé : Léa — Cantine le jeudi 17 septembre 2026"
        text = text_of(message)
        assert (
            "Le service Petite Enfance a fermé l'activité « Cantine » (École du Lac) le jeudi"
            " 17 septembre 2026. La réservation de Léa pour ce jour est annulée." in text
        )
        assert f"Motif :\n{REASON}\n" in text
        assert "Vous ne serez pas facturé pour ce jour." in text
        html = html_of(message)
        assert "<strong>Léa</strong>" in html and REASON in html
        assert "Vous ne serez pas facturé pour ce jour." in html
    for account in (simon, claire):
        (item,) = await notifications(notify, tokens, account)
        assert item["kind"] == "reservation_day_closed"
        assert item["title"] == "Jour fermé : réservation annulée"
        assert item["body"] == (
            "Cantine est fermé le jeudi 17 septembre 2026 : la réservation de Léa est annulée."
            f" Motif : {REASON}. Vous ne serez pas facturé pour ce jour."
        )
    pool = notify.app[POOL]
    assert await pool.fetchval("SELECT count(*) FROM emails WHERE event_id = $1", closed.id) == 2
    assert not await pool.fetchval(
        "SELECT count(*) FROM notifications WHERE account_id = $1", staff_member
    )
    await asyncio.sleep(1.5)  # past the grace of a gathered email: nothing more
    assert len(smtp.messages) == 2


async def test_a_closed_day_tells_each_waiting_family_once(notify, smtp, tokens, h):
    durand, simon, claire = await family(notify, tokens, h)
    marie = await known_account(notify, h, "marie.martin@example.org", "Marie Martin")
    martin = uuid.uuid4()
    linked = h.family_event("family.HouseholdLinked", household_id=martin, account_id=marie)
    await h.publish(notify, linked)
    staff_member = uuid.uuid4()

    def waiting(household_id: uuid.UUID, child: str):
        return h.booking_event(
            "booking.WaitingListCancelled",
            household_id=household_id,
            account_id=staff_member,
            child_first_name=child,
            activity_name="Cantine",
            site="École du Lac",
            booking_id=uuid.uuid4(),
            date=date(2026, 9, 17),
            cancelled_by="day_closed",
            reason=REASON,
        )

    lea, hugo = waiting(durand, "Léa"), waiting(martin, "Hugo")
    for event in (lea, hugo, lea, hugo):  # each delivered twice: told once (the inbox)
        await h.publish(notify, event)
    messages = await delivered(smtp, 3)
    by_address = {m["To"]: m for m in messages}
    assert sorted(by_address) == [
        "claire.durand@example.org",
        "marie.martin@example.org",
        "simon.durand@example.org",
    ]
    for address, child in (
        ("simon.durand@example.org", "Léa"),
        ("claire.durand@example.org", "Léa"),
        ("marie.martin@example.org", "Hugo"),
    ):
        message = by_address[address]
        assert message["Subject"] == (
            f"Jour fermé : liste d'attente de {child} — Cantine le jeudi 17 septembre 2026"
        )
        text = text_of(message)
        assert (
            "Le service Petite Enfance a fermé l'activité « Cantine » (École du Lac) le jeudi"
            f" 17 septembre 2026. La demande en liste d'attente de {child} pour ce jour est"
            " annulée : aucune place ne sera proposée." in text
        )
        assert f"Motif :\n{REASON}\n" in text
        assert "Rien ne vous sera facturé pour ce jour." in text
        assert f"<strong>{child}</strong>" in html_of(message)
    for account, child in ((simon, "Léa"), (claire, "Léa"), (marie, "Hugo")):
        (item,) = await notifications(notify, tokens, account)
        assert item["kind"] == "waiting_list_day_closed"
        assert item["title"] == "Jour fermé : liste d'attente annulée"
        assert item["body"] == (
            "Cantine est fermé le jeudi 17 septembre 2026 : la demande en liste d'attente de"
            f" {child} est annulée. Motif : {REASON}. Rien ne vous sera facturé pour ce jour."
        )
    pool = notify.app[POOL]
    assert await pool.fetchval("SELECT count(*) FROM emails WHERE event_id = $1", lea.id) == 2
    assert await pool.fetchval("SELECT count(*) FROM emails WHERE event_id = $1", hugo.id) == 1
    await asyncio.sleep(1.5)
    assert len(smtp.messages) == 3

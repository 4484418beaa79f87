"""The booking events' emails, through the real bus, Postgres and an SMTP server (aiosmtpd):
every account linked to the household gets one recap per basket listing every day, in
French, once; enrollment decisions, promotions and cancellations; the activity read model."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from notify.render import french_day
from shared.keys import POOL
from shared.testing.bus import eventually

FOOTER = (
    "contactez le service Petite Enfance : petite-enfance@epagnymetztessy.fr ou au 04.50.22.05.57."
)


async def configure(notify, tokens, h) -> None:
    r = await notify.put(
        "/tenants/epagny/settings",
        json=h.CONTACT,
        headers=tokens.header(tenant="epagny", roles=("admin",)),
    )
    assert r.status == 200, await r.text()


async def known_account(notify, h, email: str, name: str) -> uuid.UUID:
    """An account identity told notify about (an invitation without link: no email of its own)."""
    account_id = uuid.uuid4()
    await h.publish(
        notify,
        h.identity_event(
            "identity.AccountInvited",
            account_id=account_id,
            email=email,
            display_name=name,
            roles=["family"],
            invitation_url=None,
            expires_at=None,
        ),
    )
    pool = notify.app[POOL]

    async def recorded():
        return await pool.fetchval(
            "SELECT email FROM accounts WHERE tenant = 'epagny' AND account_id = $1", account_id
        )

    assert await eventually(recorded) == email
    return account_id


async def family(notify, tokens, h) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """Simon and Claire, both linked to their household: (household, simon, claire)."""
    await configure(notify, tokens, h)
    simon = await known_account(notify, h, "simon.durand@example.org", "Simon Durand")
    claire = await known_account(notify, h, "claire.durand@example.org", "Claire Durand")
    household_id = uuid.uuid4()
    for account_id in (simon, claire):
        await h.publish(
            notify,
            h.family_event(
                "family.HouseholdLinked", household_id=household_id, account_id=account_id
            ),
        )
    pool = notify.app[POOL]

    async def linked():
        count = await pool.fetchval(
            "SELECT count(*) FROM household_members WHERE household_id = $1", household_id
        )
        return count == 2

    await eventually(linked)
    return household_id, simon, claire


async def delivered(smtp, count: int):
    async def enough():
        return len(smtp.messages) >= count

    await eventually(enough)
    return smtp.messages


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


async def notifications(notify, tokens, account_id: uuid.UUID) -> list[dict]:
    family_header = tokens.header(tenant="epagny", roles=("family",), account_id=str(account_id))
    r = await notify.get(
        "/tenants/epagny/me/notifications", params={"unread": "true"}, headers=family_header
    )
    assert r.status == 200
    return [item for item in (await r.json())["items"] if item["kind"] != "account_invited"]


async def test_basket_recap_to_both_guardians_once(notify, smtp, tokens, h):
    household_id, simon, claire = await family(notify, tokens, h)
    basket, cantine = uuid.uuid4(), uuid.uuid4()
    lea_days = [date(2026, 1, d) for d in (5, 6, 8, 9)]
    hugo_days = [date(2026, 3, 30), date(2026, 3, 31)]  # across the change to summer time
    common = {"household_id": household_id, "account_id": simon, "basket_id": basket}
    lea = h.booking_event(
        "booking.ReservationValidated",
        **common,
        activity_id=cantine,
        dates=h.booked_days(*lea_days, late=(date(2026, 1, 5),)),
        waiting_dates=[date(2026, 1, 12)],
    )
    hugo = h.booking_event(
        "booking.ReservationValidated",
        **common,
        child_first_name="Hugo",
        activity_name="Accueil du soir",
        activity_type="PERI",
        dates=h.booked_days(*hugo_days),
        waiting_dates=[],
    )
    await h.publish(notify, lea)
    await h.publish(notify, hugo)
    messages = await delivered(smtp, 2)

    assert sorted(m["To"] for m in messages) == [
        "claire.durand@example.org",
        "simon.durand@example.org",
    ]
    for message in messages:
        name = "Simon Durand" if message["To"].startswith("simon") else "Claire Durand"
        assert message["Subject"] == "Confirmation de vos réservations pour Hugo et Léa"
        text, html = text_of(message), html_of(message)
        assert f"Bonjour {name}," in text and f"Bonjour {name}," in html
        assert "Votre panier a bien été validé." in text
        assert "Hugo — Accueil du soir (École du Centre)\nJours réservés (2) :\n" in text
        assert "Léa — Cantine (École du Centre)\nJours réservés (4) :\n" in text
        assert text.index("Hugo —") < text.index("Léa —")
        for day in lea_days + hugo_days:
            assert f"  - {french_day(day)}" in text
        assert "  - lundi 5 janvier 2026 — réservation hors délai : tarif majoré\n" in text
        assert "  - mardi 6 janvier 2026\n" in text
        assert "  - lundi 30 mars 2026\n  - mardi 31 mars 2026\n" in text
        assert "Jour en liste d'attente (1)" in text
        assert "  - lundi 12 janvier 2026 — liste d'attente\n" in text
        assert "réservation hors délai : tarif majoré" in html
        assert "<li>Lundi 12 janvier 2026 — liste d'attente</li>" in html
        assert "\nhttps://portail.epagnymetztessy.fr/reservations\n" in text
        assert FOOTER in text and FOOTER in html

    for account_id in (simon, claire):
        items = await notifications(notify, tokens, account_id)
        assert sorted(item["body"].split(" :")[0] for item in items) == [
            "Accueil du soir pour Hugo",
            "Cantine pour Léa",
        ]
        assert {item["title"] for item in items} == {"Réservations confirmées"}

    pool = notify.app[POOL]
    assert await pool.fetchval(
        "SELECT true FROM family_activities WHERE tenant = 'epagny' AND household_id = $1"
        " AND activity_id = $2",
        household_id,
        cantine,
    )

    async def sent():
        rows = await pool.fetch(
            "SELECT status FROM emails WHERE group_key = $1", f"basket:{basket}"
        )
        return rows if [r["status"] for r in rows] == ["sent", "sent"] else None

    await eventually(sent)

    # Both events redelivered (a relay crashed after publishing): nothing more.
    await h.publish(notify, hugo)
    await h.publish(notify, lea)
    await asyncio.sleep(1.5)
    assert len(smtp.messages) == 2
    assert await pool.fetchval("SELECT count(*) FROM email_events") == 4
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM notifications WHERE event_id = ANY($1::uuid[])", [lea.id, hugo.id]
        )
        == 4
    )

    # An event of the same basket arriving after the recap went: a short email of its own.
    late = h.booking_event(
        "booking.ReservationCancelled",
        **common,
        activity_id=cantine,
        dates=h.booked_days(date(2026, 1, 9)),
        cancelled_by="family",
        reason=None,
        charged=False,
    )
    await h.publish(notify, late)
    messages = (await delivered(smtp, 4))[2:]
    assert sorted(m["To"] for m in messages) == [
        "claire.durand@example.org",
        "simon.durand@example.org",
    ]
    for message in messages:
        assert message["Subject"] == "Confirmation de vos annulations pour Léa"
        text = text_of(message)
        assert "Jour annulé (1) :\n  - vendredi 9 janvier 2026 — annulé\n" in text
        assert "Hugo" not in text and "5 janvier" not in text
    await h.publish(notify, late)
    await asyncio.sleep(1.5)
    assert len(smtp.messages) == 4


async def test_enrollment_promotion_and_staff_cancellation(notify, smtp, tokens, h):
    household_id, simon, claire = await family(notify, tokens, h)
    staff_member = uuid.uuid4()
    activity = {"activity_id": uuid.uuid4(), "activity_name": "Centre de loisirs"}
    common = {"household_id": household_id, **activity}
    enrollment = {
        **common,
        "account_id": claire,
        "period_from": date(2025, 9, 1),
        "period_to": date(2026, 7, 3),
    }
    rejected = h.booking_event(
        "booking.EnrollmentDecided",
        **enrollment,
        enrollment_id=uuid.uuid4(),
        decision="rejected",
        reason="Léa n'a pas encore 3 ans le 1er septembre.",
        decided_by=staff_member,
    )
    await h.publish(notify, rejected)
    messages = await delivered(smtp, 2)
    assert sorted(m["To"] for m in messages) == [
        "claire.durand@example.org",
        "simon.durand@example.org",
    ]
    for message in messages:
        assert message["Subject"] == "Inscription de Léa à « Centre de loisirs » refusée"
        text = text_of(message)
        assert "Le service Petite Enfance n'a pas accepté l'inscription de Léa" in text
        assert "pour la période du 1er septembre 2025 au 3 juillet 2026." in text
        assert "Motif du refus :\nLéa n'a pas encore 3 ans le 1er septembre.\n" in text
    pool = notify.app[POOL]
    assert not await pool.fetchval(
        "SELECT count(*) FROM family_activities WHERE household_id = $1", household_id
    )

    approved = h.booking_event(
        "booking.EnrollmentDecided",
        **enrollment,
        enrollment_id=uuid.uuid4(),
        decision="approved",
        reason=None,
        decided_by=None,
    )
    await h.publish(notify, approved)
    messages = (await delivered(smtp, 4))[2:]
    for message in messages:
        assert message["Subject"] == "Inscription de Léa à « Centre de loisirs » acceptée"
        assert "Vous pouvez dès maintenant réserver ses jours" in text_of(message)

    async def in_activity():
        return await pool.fetchval(
            "SELECT true FROM family_activities WHERE household_id = $1 AND activity_id = $2",
            household_id,
            activity["activity_id"],
        )

    assert await eventually(in_activity)

    promoted = h.booking_event(
        "booking.WaitingListPromoted",
        **common,
        account_id=simon,
        booking_id=uuid.uuid4(),
        date=date(2026, 4, 15),
        late=False,
    )
    await h.publish(notify, promoted)
    messages = (await delivered(smtp, 6))[4:]
    for message in messages:
        assert message["Subject"] == (
            "Une place s'est libérée : Léa est inscrit(e) le mercredi 15 avril 2026"
        )
        assert "une place s'est libérée" in text_of(message)

    # Staff cancel: the event's account is the staff member, who is not emailed.
    cancelled = h.booking_event(
        "booking.ReservationCancelled",
        **common,
        account_id=staff_member,
        basket_id=None,
        dates=h.booked_days(date(2026, 4, 15)),
        cancelled_by="staff",
        reason="Sortie annulée (intempéries)",
        charged=False,
    )
    await h.publish(notify, cancelled)
    messages = (await delivered(smtp, 8))[6:]
    assert sorted(m["To"] for m in messages) == [
        "claire.durand@example.org",
        "simon.durand@example.org",
    ]
    for message in messages:
        assert message["Subject"] == (
            "Annulation : Léa — Centre de loisirs le mercredi 15 avril 2026"
        )
        text = text_of(message)
        assert "Le service Petite Enfance a annulé la réservation de Léa" in text
        assert "  - mercredi 15 avril 2026 — annulé\n" in text
        assert "Motif :\nSortie annulée (intempéries)\n" in text
        assert "Ce jour ne vous sera pas facturé." in text
    assert not await pool.fetchval(
        "SELECT count(*) FROM notifications WHERE account_id = $1", staff_member
    )
    assert await pool.fetchval("SELECT count(*) FROM emails WHERE event_id = $1", cancelled.id) == 2

    titles = [item["title"] for item in await notifications(notify, tokens, simon)]
    assert titles == [
        "Réservation annulée",
        "Une place s'est libérée",
        "Inscription acceptée",
        "Inscription refusée",
    ]

    # The household is anonymised: it no longer receives the activity's news.
    await h.publish(
        notify,
        h.family_event("family.HouseholdAnonymised", household_id=household_id, account_ids=[]),
    )

    async def forgotten():
        return not await pool.fetchval(
            "SELECT count(*) FROM family_activities WHERE household_id = $1", household_id
        )

    assert await eventually(forgotten)
    await asyncio.sleep(0.3)
    assert len(smtp.messages) == 8


async def test_gathering_is_once_per_event_and_account(notify, h):
    """Applied twice (without the inbox), an event adds its part once; the parts of a basket
    gather into one open email per account until the dispatcher claims it."""
    from notify.usecases import activities

    pool = notify.app[POOL]
    household_id, basket, account = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await pool.execute(
        "INSERT INTO household_members (tenant, household_id, account_id, linked_at)"
        " VALUES ('epagny', $1, $2, now())",
        household_id,
        account,
    )
    events = [
        h.booking_event(
            "booking.ReservationValidated",
            household_id=household_id,
            account_id=None,
            basket_id=basket,
            dates=h.booked_days(date(2026, 1, day)),
            waiting_dates=[],
        )
        for day in (5, 6)
    ]
    async with pool.acquire() as conn, conn.transaction():
        assert [
            await activities.reservation_validated(h.joining(conn), event, basket_grace=30)
            for event in events * 2
        ] == [1, 1, 0, 0]
    (row,) = await pool.fetch("SELECT * FROM emails WHERE group_key = $1", f"basket:{basket}")
    assert row["group_open"] and row["recipient"] is None and row["account_id"] == account
    assert sorted(row["context"]["parts"]) == sorted(str(event.id) for event in events)
    assert await pool.fetchval("SELECT count(*) FROM notifications") == 2


async def absence_decided(notify, smtp, tokens, h, event_type: str, **payload):
    """Staff decide on the absence Claire justified: both guardians get the email and the
    notification once, even if the event is delivered again. Returns (messages, notices)."""
    household_id, simon, claire = await family(notify, tokens, h)
    event = h.booking_event(
        event_type,
        household_id=household_id,
        account_id=claire,
        absence_id=uuid.uuid4(),
        booking_id=uuid.uuid4(),
        date=date(2026, 1, 5),
        reason="illness",
        decided_by=uuid.uuid4(),
        **payload,
    )
    await h.publish(notify, event)
    messages = await delivered(smtp, 2)
    assert sorted(m["To"] for m in messages) == [
        "claire.durand@example.org",
        "simon.durand@example.org",
    ]
    for message in messages:
        name = "Simon Durand" if message["To"].startswith("simon") else "Claire Durand"
        assert f"Bonjour {name}," in text_of(message) and f"Bonjour {name}," in html_of(message)
        assert FOOTER in text_of(message)
    notices = {
        account_id: await notifications(notify, tokens, account_id)
        for account_id in (simon, claire)
    }
    pool = notify.app[POOL]

    async def sent():
        rows = await pool.fetch("SELECT status FROM emails WHERE event_id = $1", event.id)
        return [r["status"] for r in rows] == ["sent", "sent"]

    assert await eventually(sent)

    await h.publish(notify, event)  # redelivered: nothing more
    await asyncio.sleep(1.5)
    assert len(smtp.messages) == 2
    assert await pool.fetchval("SELECT count(*) FROM emails WHERE event_id = $1", event.id) == 2
    assert (
        await pool.fetchval("SELECT count(*) FROM notifications WHERE event_id = $1", event.id) == 2
    )
    return messages, list(notices.values())


async def test_absence_justified_to_both_guardians_once(notify, smtp, tokens, h):
    messages, notices = await absence_decided(
        notify, smtp, tokens, h, "booking.AbsenceJustified", late=False, note="Gastro-entérite"
    )
    sentence = (
        "L'absence de Léa le lundi 5 janvier 2026 est justifiée : elle ne vous sera pas facturée."
    )
    for message in messages:
        assert message["Subject"] == "Absence de Léa le lundi 5 janvier 2026 justifiée"
        text = text_of(message)
        assert f"\n{sentence}\n" in text
        assert "Activité : « Cantine » (École du Centre)\nMotif déclaré : Maladie\n" in text
        assert "Le service Petite Enfance a accepté votre justification." in text
        assert "elle ne vous sera pas facturée." in html_of(message)
    for items in notices:
        assert [(item["title"], item["body"]) for item in items] == [
            ("Absence justifiée", f"{sentence} Activité : Cantine.")
        ]


async def test_absence_refused_with_reason_to_both_guardians_once(notify, smtp, tokens, h):
    reason = "Le certificat médical ne couvre pas le 5 janvier."
    messages, notices = await absence_decided(
        notify, smtp, tokens, h, "booking.AbsenceRefused", decision_reason=reason
    )
    for message in messages:
        assert message["Subject"] == (
            "Absence de Léa le lundi 5 janvier 2026 : justification refusée"
        )
        text = text_of(message)
        assert (
            "Le service Petite Enfance n'a pas accepté la justification de l'absence de Léa le"
            " lundi 5 janvier 2026 (activité « Cantine », École du Centre)." in text
        )
        assert f"Motif du refus :\n{reason}\n" in text
        assert "Ce jour reste facturé." in text
        assert reason in html_of(message)
    for items in notices:
        assert [(item["title"], item["body"]) for item in items] == [
            (
                "Justification d'absence refusée",
                "La justification de l'absence de Léa le lundi 5 janvier 2026 (Cantine) n'a pas"
                f" été acceptée : ce jour reste facturé. Motif : {reason}",
            )
        ]

"""Family-facing emails go to the household's guardians, whoever acted: staff acting on a
family's behalf (enrolling a child, filling a basket, cancelling a day, deciding on an
absence, deciding a change) get neither the email nor the notification. Through the real bus,
Postgres and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from shared.keys import POOL
from shared.testing.bus import eventually

SIMON, CLAIRE = "simon.durand@example.org", "claire.durand@example.org"
AGENT = "agent@epagnymetztessy.fr"


async def known_account(notify, h, email: str, name: str, roles: list[str]) -> uuid.UUID:
    account_id = uuid.uuid4()
    await h.publish(
        notify,
        h.identity_event(
            "identity.AccountInvited",
            account_id=account_id,
            email=email,
            display_name=name,
            roles=roles,
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


async def test_staff_acting_for_a_family_are_not_sent_the_familys_emails(notify, smtp, h):
    simon = await known_account(notify, h, SIMON, "Simon Durand", ["family"])
    claire = await known_account(notify, h, CLAIRE, "Claire Durand", ["family"])
    agent = await known_account(notify, h, AGENT, "Agent Petite Enfance", ["staff"])
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
        return (
            await pool.fetchval(
                "SELECT count(*) FROM household_members WHERE household_id = $1", household_id
            )
            == 2
        )

    await eventually(linked)

    # Staff enroll Léa on the family's behalf: booking names the agent as the event's account.
    acted = {"household_id": household_id, "account_id": agent}
    enrolled = h.booking_event(
        "booking.EnrollmentDecided",
        **acted,
        enrollment_id=uuid.uuid4(),
        decision="approved",
        reason=None,
        decided_by=agent,
        period_from=date(2025, 9, 1),
        period_to=date(2026, 7, 3),
    )
    # ... fill a basket for them, cancel a day, refuse an absence's justification ...
    basket = h.booking_event(
        "booking.ReservationValidated",
        **acted,
        basket_id=uuid.uuid4(),
        dates=h.booked_days(date(2026, 1, 5), date(2026, 1, 6)),
        waiting_dates=[],
        booked_by_staff=agent,
    )
    cancelled = h.booking_event(
        "booking.ReservationCancelled",
        **acted,
        basket_id=None,
        dates=h.booked_days(date(2026, 1, 8)),
        cancelled_by="staff",
        reason="Sortie annulée",
        charged=False,
    )
    refused = h.booking_event(
        "booking.AbsenceRefused",
        **acted,
        absence_id=uuid.uuid4(),
        booking_id=uuid.uuid4(),
        date=date(2026, 1, 9),
        reason="illness",
        decision_reason="Le certificat ne couvre pas ce jour.",
        decided_by=agent,
    )
    # ... and decide a change one of the guardians proposed.
    decided = h.family_event(
        "family.ChangeRequestDecided",
        household_id=household_id,
        decision="approved",
        submitted_by=simon,
        account_ids=[simon, claire],
    )
    events = [enrolled, basket, cancelled, refused, decided]
    for event in events:
        await h.publish(notify, event)

    async def all_sent():
        return len(smtp.messages) >= 2 * len(events)

    await eventually(all_sent, timeout=15)
    await asyncio.sleep(0.5)  # nothing more comes
    assert len(smtp.messages) == 2 * len(events)
    assert sorted({m["To"] for m in smtp.messages}) == [CLAIRE, SIMON]
    assert smtp.to(AGENT) == []
    subjects = [m["Subject"] for m in smtp.to(SIMON)]
    assert "Inscription de Léa à « Cantine » acceptée" in subjects
    assert sorted(m["Subject"] for m in smtp.to(CLAIRE)) == sorted(subjects)

    ids = [event.id for event in events]
    assert not await pool.fetchval(
        "SELECT count(*) FROM emails WHERE account_id = $1 OR recipient = $2", agent, AGENT
    )
    assert not await pool.fetchval(
        "SELECT count(*) FROM notifications WHERE account_id = $1 AND event_id = ANY($2::uuid[])",
        agent,
        ids,
    )
    for account_id in (simon, claire):
        told = await pool.fetchval(
            "SELECT count(DISTINCT event_id) FROM notifications"
            " WHERE account_id = $1 AND event_id = ANY($2::uuid[])",
            account_id,
            ids,
        )
        assert told == len(events)

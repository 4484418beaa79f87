"""Who is told: a family-facing email goes to the household's guardians, whoever acted."""

from __future__ import annotations

import uuid
from datetime import date

from notify.domain import activity_emails
from notify.domain.recipients import bill_payers, guardians, unique
from shared.events.envelope import new_event, parse_event

SIMON, CLAIRE, AGENT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def test_guardians_are_listed_then_linked_once_each():
    assert guardians([SIMON, CLAIRE]) == [SIMON, CLAIRE]
    assert guardians([SIMON, CLAIRE], listed=[str(CLAIRE)]) == [CLAIRE, SIMON]
    assert guardians([]) == []
    assert unique([SIMON, str(SIMON)]) == [SIMON]


def test_staff_acting_for_the_family_are_not_told():
    """Staff enrolled the child: the event's `account_id` and `decided_by` are the agent's; the
    letter goes to the household's guardians only."""
    event = parse_event(
        new_event(
            "booking.EnrollmentDecided",
            {
                "household_id": uuid.uuid4(),
                "account_id": AGENT,
                "child_id": uuid.uuid4(),
                "child_first_name": "Léa",
                "activity_id": uuid.uuid4(),
                "activity_name": "Cantine",
                "activity_type": "CANTINE",
                "site": "École du Centre",
                "enrollment_id": uuid.uuid4(),
                "decision": "approved",
                "reason": None,
                "decided_by": AGENT,
                "period_from": date(2025, 9, 1),
                "period_to": date(2026, 7, 3),
            },
            tenant_id="epagny",
            producer="booking",
        ).to_json()
    )
    mails, notice = activity_emails.enrollment_decided(event.payload).to(guardians([SIMON, CLAIRE]))
    assert [mail.account_id for mail in mails] == [SIMON, CLAIRE]
    assert all(mail.recipient is None for mail in mails)  # each guardian's latest address
    assert notice.title == "Inscription acceptée"


def test_a_bill_goes_to_its_separated_payer_alone_else_to_every_guardian():
    assert bill_payers([SIMON, CLAIRE], None) == [SIMON, CLAIRE]
    assert bill_payers([SIMON, CLAIRE], CLAIRE) == [CLAIRE]
    assert bill_payers([SIMON, CLAIRE], str(SIMON)) == [SIMON]
    # An account the address book does not link to the household: no one, never the others.
    assert bill_payers([SIMON, CLAIRE], AGENT) == []

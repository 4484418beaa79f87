"""The rules of reminders and recovery: the schedule, the next level, what is claimed, when
an invoice may go to recovery, the docket's CSV."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from billing.domain.ledger import Entry, credit_available, invoice_remaining
from billing.domain.reminders import (
    LastReminder,
    Schedule,
    amount_due,
    days_late,
    docket_csv,
    docket_number,
    level_date,
    next_level,
    offsets_problem,
    recoverable,
    recoverable_from,
)

DUE = date(2026, 9, 1)
SCHEDULE = Schedule(offsets_days=(10, 25, 40), minimum_cents=500, recovery_after_days=15)


def nxt(
    today: date,
    last: LastReminder | None = None,
    due: int = 4150,
    schedule: Schedule = SCHEDULE,
    in_recovery: bool = False,
) -> int | None:
    return next_level(
        schedule,
        due_date=DUE,
        amount_due_cents=due,
        last=last,
        in_recovery=in_recovery,
        today=today,
    )


@pytest.mark.parametrize(
    ("offsets", "accepted"),
    [
        ([], True),
        ([10], True),
        ([10, 25, 40], True),
        ([1, 2, 3, 4, 5], True),
        ([1, 2, 3, 4, 5, 6], False),  # 5 levels at most
        ([0, 10], False),  # not on the due date itself: the invoice is not late yet
        ([10, 366], False),
        ([10, 10], False),
        ([25, 10], False),
        ([-3], False),
    ],
)
def test_a_schedule_has_up_to_five_increasing_offsets(offsets, accepted):
    assert (offsets_problem(offsets) is None) is accepted


def test_the_first_reminder_goes_on_its_offset_after_the_due_date():
    assert nxt(date(2026, 9, 10)) is None
    assert nxt(date(2026, 9, 11)) == 1
    assert nxt(date(2026, 12, 31)) == 1  # late runs catch up, one level at a time


def test_each_level_follows_the_previous_one():
    first = LastReminder(1, date(2026, 9, 11))
    assert nxt(date(2026, 9, 25), first) is None
    assert nxt(date(2026, 9, 26), first) == 2
    second = LastReminder(2, date(2026, 9, 26))
    assert nxt(date(2026, 10, 10), second) is None
    assert nxt(date(2026, 10, 11), second) == 3
    assert SCHEDULE.is_last(3) and not SCHEDULE.is_last(2)
    assert nxt(date(2027, 1, 1), LastReminder(3, date(2026, 10, 11))) is None  # no 4th


def test_reminders_of_a_long_overdue_invoice_keep_their_spacing():
    """A schedule set when the invoice is already 60 days late: level 1 today, then level 2
    the 15 days the schedule puts between them later, not at once."""
    first = LastReminder(1, date(2026, 10, 31))
    assert level_date(SCHEDULE, DUE, 2, first) == date(2026, 11, 15)
    assert nxt(date(2026, 11, 1), first) is None
    assert nxt(date(2026, 11, 15), first) == 2


def test_no_reminder_when_settled_under_the_minimum_or_in_recovery():
    today = date(2026, 9, 11)
    assert nxt(today, due=0) is None
    assert nxt(today, due=-100) is None
    assert nxt(today, due=499) is None
    assert nxt(today, due=500) == 1  # the minimum itself is reminded
    assert nxt(today, in_recovery=True) is None
    assert nxt(today, schedule=Schedule()) is None  # no schedule: no reminders


def test_a_shorter_schedule_stops_at_its_own_last_level():
    shorter = Schedule(offsets_days=(10, 25))
    assert nxt(date(2027, 1, 1), LastReminder(2, date(2026, 9, 26)), schedule=shorter) is None
    assert nxt(date(2027, 1, 1), LastReminder(3, date(2026, 10, 11)), schedule=shorter) is None


def test_what_is_claimed_derives_from_the_ledger_and_unused_credit_notes():
    invoice, note, payment = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    entries = [Entry("invoice", invoice, 4150)]
    assert amount_due(invoice_remaining(entries, invoice), 0) == 4150
    # A payment of any method (negative, for the invoice).
    entries.append(Entry("payment", invoice, -1000, payment))
    assert amount_due(invoice_remaining(entries, invoice), 0) == 3150
    # Its days cancelled: a credit note of 3150 not used elsewhere yet: nothing claimed.
    entries.append(Entry("credit_note", note, -3150))
    assert amount_due(invoice_remaining(entries, invoice), credit_available(entries, note)) == 0
    # Once deducted from another invoice, the credit no longer lowers this one.
    entries.append(Entry("allocation", uuid.uuid4(), 3150, note))
    assert credit_available(entries, note) == 0
    assert amount_due(invoice_remaining(entries, invoice), 0) == 3150
    # Never negative.
    assert amount_due(100, 300) == 0


def test_recovery_comes_after_the_last_reminder_and_its_delay():
    last = LastReminder(3, date(2026, 10, 11))
    assert recoverable_from(SCHEDULE, DUE, last) == date(2026, 10, 26)
    assert recoverable_from(SCHEDULE, DUE, LastReminder(2, date(2026, 9, 26))) is None
    assert recoverable_from(SCHEDULE, DUE, None) is None
    # A régie that sends no reminders: from the due date.
    assert recoverable_from(Schedule(recovery_after_days=30), DUE, None) == date(2026, 10, 1)

    def may(today: date, **kw: object) -> bool:
        args = {
            "due_date": DUE,
            "amount_due_cents": 4150,
            "last": last,
            "in_recovery": False,
            "today": today,
        } | kw
        return recoverable(SCHEDULE, **args)  # type: ignore[arg-type]

    assert not may(date(2026, 10, 25))
    assert may(date(2026, 10, 26))
    assert not may(date(2026, 10, 26), amount_due_cents=0)
    assert not may(date(2026, 10, 26), amount_due_cents=499)
    assert not may(date(2026, 10, 26), in_recovery=True)


def test_days_late_and_docket_numbers():
    assert days_late(DUE, date(2026, 9, 1)) == 0
    assert days_late(DUE, date(2026, 8, 1)) == 0
    assert days_late(DUE, date(2026, 10, 1)) == 30
    assert docket_number("CANTINE", 2026, 3) == "T-CANTINE-2026-0003"


def test_the_docket_csv_is_what_a_treasury_reads():
    docket = {
        "number": "T-CANTINE-2026-0001",
        "created_on": date(2026, 10, 26),
        "regie": {"name": "Régie restauration scolaire", "code": "CANTINE"},
    }
    payer_id, household_id = uuid.uuid4(), uuid.uuid4()
    item = {
        "position": 1,
        "number": "F-CANTINE-2026-000001",
        "issue_date": date(2026, 9, 1),
        "due_date": date(2026, 9, 1),
        "debtor": {
            "name": "=Claire Martin",
            "address": "3 rue des Lilas\n74330 Epagny",
            "email": "c@example.fr",
        },
        "payer_id": payer_id,
        "household_id": household_id,
        "total_cents": 4150,
        "amount_due_cents": 3150,
        "last_reminder_level": 3,
        "last_reminded_on": date(2026, 10, 11),
    }
    content = docket_csv(docket, [item])
    assert content.startswith("\ufeff".encode())
    header, row, end = content.decode("utf-8-sig").split("\r\n")
    assert end == ""
    assert header.split(";")[:6] == [
        "Bordereau",
        "Date du bordereau",
        "Régie",
        "Code régie",
        "Rang",
        "Numéro de facture",
    ]
    assert row.split(";") == [
        "T-CANTINE-2026-0001",
        "26/10/2026",
        "Régie restauration scolaire",
        "CANTINE",
        "1",
        "F-CANTINE-2026-000001",
        "01/09/2026",
        "01/09/2026",
        "'=Claire Martin",  # never read as a formula
        "3 rue des Lilas, 74330 Epagny",
        "c@example.fr",
        str(payer_id),
        str(household_id),
        "41,50",
        "31,50",
        "3",
        "11/10/2026",
    ]

"""Reminders of unpaid invoices against the real Postgres and RabbitMQ: the régie's schedule
(validated), reminders sent by staff's run, the sweeper and the `send-reminders` command, each
level once per invoice even with concurrent runs or a crash, none for an invoice paid (any
method: a ledger payment), credited, under the minimum; work in chunks; overdue lists."""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from billing.commands import COMMANDS
from billing.settings import BillingSettings
from billing.usecases import reminders
from billing.usecases.payments import apply_payment_in
from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL
from shared.uow import UnitOfWork, unit_of_work

T = "/tenants/epagny"
SEPT = [date(2026, 9, d) for d in (3, 4, 7, 8)]  # 4 meals at 4,15 €: 16,60 €
SCHEDULE = {"offsets_days": [10, 25, 40], "minimum_cents": 500, "recovery_after_days": 15}


def paris(day: date) -> datetime:
    """08:00 in Paris that day."""
    return datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)


@pytest.fixture
def billing_settings(make_settings: Callable[..., Any]) -> BillingSettings:
    # No background sweeper here: each test says when reminders run.
    return make_settings(
        BillingSettings,
        basket_invoice_grace_seconds=0.2,
        basket_invoice_sweep_seconds=0.1,
        reminder_sweep_seconds=0,
        reminder_batch_size=3,
    )


@pytest.fixture
async def tap(bus_namespace: Any) -> AsyncIterator[EventTap]:
    keys = ["billing.InvoiceIssued", "billing.CreditNoteIssued", "billing.InvoiceReminded"]
    async with EventTap(AMQP_URL, bus_namespace.name, keys) as tap:
        yield tap


async def setup(billing, schedule: dict[str, Any] | None = SCHEDULE):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    if schedule is not None:
        await billing.call(
            "PUT", f"{T}/regies/{regie['id']}/reminder-schedule", billing.staff(), schedule
        )
    return regie, canteen


async def invoiced(billing, canteen, kid=None, days=SEPT) -> tuple[Any, dict[str, Any]]:
    """A household's basket invoiced (issued and due on the clock's day, 1 September 2026
    unless the test moved it)."""
    kid, invoice, _ = await validated(billing, canteen, kid, days)
    return kid, invoice


async def validated(billing, canteen, kid=None, days=SEPT) -> tuple[Any, dict[str, Any], Any]:
    kid = kid or await billing.kid(qf=900)
    before = {i["id"] for i in await billing.invoices(household_id=kid.household_id)}
    event = await billing.deliver(billing.validated(kid, canteen, *days))

    async def found():
        rows = await billing.invoices(household_id=kid.household_id)
        return next((r for r in rows if r["id"] not in before), None)

    return kid, await eventually(found), event


async def run(billing, day: date, status: int = 200, **body: Any) -> dict[str, Any]:
    billing.at(paris(day))
    return await billing.call("POST", f"{T}/reminders/run", billing.staff(), body, status)


async def levels(billing) -> list[tuple[str, int]]:
    rows = await billing.pool.fetch(
        """SELECT i.number, r.level FROM invoice_reminders r JOIN invoices i ON i.id = r.invoice_id
           ORDER BY i.number, r.level"""
    )
    return [(r["number"], r["level"]) for r in rows]


async def pay(billing, invoice: dict[str, Any], cents: int, method: str = "cash") -> None:
    """A payment recorded as every method records it (apply_payment_in): ledger
    `payment` entries for the invoice."""
    uow = unit_of_work(billing.client.app, billing.TENANT)
    async with uow:
        await apply_payment_in(
            uow,
            billing.TENANT,
            regie_id=uuid.UUID(invoice["regie_id"]),
            payer_id=uuid.UUID(invoice["payer_id"]),
            household_id=uuid.UUID(invoice["household_id"]),
            method=method,
            amount_cents=cents,
            received_on=date(2026, 9, 5),
            invoice_ids=[uuid.UUID(invoice["id"])],
            reference={},
            recorded_by=None,
            now=paris(date(2026, 9, 5)),
        )


# --- the schedule ------------------------------------------------------------------------


async def test_the_schedule_is_set_by_staff_and_validated(billing):
    regie = await billing.regie()
    path = f"{T}/regies/{regie['id']}/reminder-schedule"
    unset = await billing.get(path)
    assert (unset["offsets_days"], unset["configured"]) == ([], False)
    saved = await billing.call("PUT", path, billing.staff(), SCHEDULE)
    assert (saved["offsets_days"], saved["minimum_cents"], saved["recovery_after_days"]) == (
        [10, 25, 40],
        500,
        15,
    )
    assert saved["configured"] is True
    assert await billing.get(path) == saved
    for bad, field in [
        ({**SCHEDULE, "offsets_days": [25, 10]}, "offsets_days"),
        ({**SCHEDULE, "offsets_days": [1, 2, 3, 4, 5, 6]}, "offsets_days"),
        ({**SCHEDULE, "offsets_days": [0]}, "offsets_days"),
        ({**SCHEDULE, "offsets_days": ["dix"]}, "offsets_days.0"),
        ({**SCHEDULE, "minimum_cents": -1}, "minimum_cents"),
        ({**SCHEDULE, "recovery_after_days": 400}, "recovery_after_days"),
        ({"minimum_cents": 0}, "offsets_days"),
        ({**SCHEDULE, "surprise": 1}, "surprise"),
    ]:
        problem = await billing.call("PUT", path, billing.staff(), bad, 422)
        assert [e["field"] for e in problem["errors"]] == [field], bad
    assert (await billing.get(path))["offsets_days"] == [10, 25, 40]  # unchanged
    # No reminders: an empty list.
    none = await billing.call("PUT", path, billing.staff(), {"offsets_days": []})
    assert (none["offsets_days"], none["configured"]) == ([], True)
    # Staff only, of an existing régie.
    family = billing.family(uuid.uuid4())
    await billing.call("PUT", path, family, SCHEDULE, 403)
    await billing.get(path, family, status=403)
    await billing.get(f"{T}/regies/{uuid.uuid4()}/reminder-schedule", status=404)
    await billing.call(
        "PUT", f"{T}/regies/{uuid.uuid4()}/reminder-schedule", billing.staff(), SCHEDULE, 404
    )


# --- sending -----------------------------------------------------------------------------


async def test_reminders_follow_the_schedule_each_level_once(billing):
    _, canteen = await setup(billing)
    lea, invoice = await invoiced(billing, canteen)
    assert (await run(billing, date(2026, 9, 10)))["count"] == 0  # 9 days late
    first = await run(billing, date(2026, 9, 11))
    assert first["today"] == "2026-09-11"
    assert [
        (r["number"], r["level"], r["last"], r["amount_due_cents"]) for r in first["reminders"]
    ] == [(invoice["number"], 1, False, 1660)]
    (event,) = await billing.events("billing.InvoiceReminded")
    payload = event["payload"]
    assert payload == {
        "invoice_id": invoice["id"],
        "regie_id": invoice["regie_id"],
        "regie_name": "Régie restauration scolaire",
        "household_id": str(lea.household_id),
        "payer_id": str(lea.household_id),
        "payer_account_id": None,
        "number": invoice["number"],
        "issue_date": "2026-09-01",
        "due_date": "2026-09-01",
        "total_cents": 1660,
        "amount_due_cents": 1660,
        "level": 1,
        "last": False,
    }
    assert event["tenant_id"] == "epagny"
    # Run again the same day, or the next: nothing more until level 2's date.
    assert (await run(billing, date(2026, 9, 11)))["count"] == 0
    assert (await run(billing, date(2026, 9, 25)))["count"] == 0
    assert [r["level"] for r in (await run(billing, date(2026, 9, 26)))["reminders"]] == [2]
    third = await run(billing, date(2026, 10, 11))
    assert [(r["level"], r["last"]) for r in third["reminders"]] == [(3, True)]
    assert (await run(billing, date(2026, 12, 31)))["count"] == 0  # no 4th level
    events = await billing.events("billing.InvoiceReminded", 3)
    assert [(e["payload"]["level"], e["payload"]["last"]) for e in events] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    assert await levels(billing) == [(invoice["number"], n) for n in (1, 2, 3)]
    # The family sees its invoice's reminders; another family does not see the invoice.
    path = f"{T}/invoices/{invoice['id']}/reminders"
    seen = await billing.get(path, billing.family(lea.household_id))
    assert [(r["level"], r["reminded_on"], r["last"]) for r in seen["reminders"]] == [
        (1, "2026-09-11", False),
        (2, "2026-09-26", False),
        (3, "2026-10-11", True),
    ]
    assert seen["in_recovery"] is False
    # And in its invoice reads.
    family = billing.family(lea.household_id)
    read = await billing.get(f"{T}/invoices/{invoice['id']}", family)
    assert (read["reminders"], read["in_recovery"]) == (seen["reminders"], False)
    (listed,) = await billing.invoices(family)
    assert [r["level"] for r in listed["reminders"]] == [1, 2, 3]
    await billing.get(path, billing.family(uuid.uuid4()), status=404)
    await billing.get(f"{T}/invoices/{uuid.uuid4()}/reminders", status=404)


async def test_a_dry_run_sends_nothing_and_only_staff_run(billing):
    _, canteen = await setup(billing)
    lea, invoice = await invoiced(billing, canteen)
    dry = await run(billing, date(2026, 9, 11), dry_run=True)
    assert (dry["dry_run"], dry["count"]) == (True, 1)
    assert dry["reminders"][0]["invoice_id"] == invoice["id"]
    assert await levels(billing) == []
    assert (
        await billing.pool.fetchval(
            "SELECT count(*) FROM outbox WHERE type = 'billing.InvoiceReminded'"
        )
        == 0
    )
    family = billing.family(lea.household_id)
    await billing.call("POST", f"{T}/reminders/run", family, {}, 403)
    await run(billing, date(2026, 9, 11), 422, dry_run="peut-être")
    # Without a body: a real run.
    billing.at(paris(date(2026, 9, 11)))
    r = await billing.client.post(f"{T}/reminders/run", headers=billing.staff())
    assert r.status == 200 and (await r.json())["count"] == 1


async def test_a_paid_invoice_gets_no_reminder_and_a_partly_paid_one_its_rest(billing):
    _, canteen = await setup(billing)
    _, paid = await invoiced(billing, canteen)
    _, partly = await invoiced(billing, canteen)
    _, unpaid = await invoiced(billing, canteen)
    await pay(billing, paid, 1660, method="cheque")
    await pay(billing, partly, 1000, method="card")
    sent = await run(billing, date(2026, 9, 11))
    assert sorted((r["number"], r["amount_due_cents"]) for r in sent["reminders"]) == sorted(
        [(partly["number"], 660), (unpaid["number"], 1660)]
    )
    # Paid after the first reminder: no second one.
    await pay(billing, unpaid, 1660, method="transfer")
    second = await run(billing, date(2026, 9, 26))
    assert [(r["number"], r["level"]) for r in second["reminders"]] == [(partly["number"], 2)]


async def test_no_reminder_when_credited_or_under_the_minimum(billing):
    _, canteen = await setup(billing)
    lea, credited, lea_days = await validated(billing, canteen)
    tom, half, tom_days = await validated(billing, canteen)
    _, small = await invoiced(billing, canteen, days=SEPT[:1])  # 4,15 € < 5,00 €
    # All of Léa's days cancelled (a credit note of 16,60 €), two of Tom's (8,30 €): the
    # credit notes are not used elsewhere yet, so they lower what is claimed.
    await billing.deliver(billing.cancelled(lea, canteen, billing.booked(lea_days), False))
    await billing.deliver(billing.cancelled(tom, canteen, billing.booked(tom_days)[2:], False))
    sent = await run(billing, date(2026, 9, 11))
    assert [(r["number"], r["amount_due_cents"]) for r in sent["reminders"]] == [
        (half["number"], 830)
    ]
    assert credited["number"] not in json.dumps(sent) and small["number"] not in json.dumps(sent)
    overdue = (await billing.get(f"{T}/overdue-invoices"))["invoices"]
    assert sorted((r["number"], r["amount_due_cents"]) for r in overdue) == sorted(
        [(half["number"], 830), (small["number"], 415)]
    )


async def test_a_regie_without_schedule_or_with_no_levels_reminds_nobody(billing):
    regie, canteen = await setup(billing, schedule=None)
    await invoiced(billing, canteen)
    assert (await run(billing, date(2026, 12, 1)))["count"] == 0
    await billing.call(
        "PUT", f"{T}/regies/{regie['id']}/reminder-schedule", billing.staff(), {"offsets_days": []}
    )
    assert (await run(billing, date(2026, 12, 1)))["count"] == 0
    assert await levels(billing) == []


async def test_concurrent_runs_never_remind_twice(billing):
    """Three staff runs and two direct runs at once, on 12 invoices in chunks of 3: each
    invoice reminded once, one event each."""
    _, canteen = await setup(billing)
    numbers = []
    for _ in range(12):
        _, invoice = await invoiced(billing, canteen)
        numbers.append(invoice["number"])
    billing.at(paris(date(2026, 9, 11)))
    app = billing.client.app

    async def direct() -> int:
        done = await reminders.send_reminders(
            lambda: unit_of_work(app),
            billing.pool,
            now=paris(date(2026, 9, 11)),
            batch_size=2,
        )
        return len(done.reminders)

    async def staff_run() -> int:
        return (await run(billing, date(2026, 9, 11)))["count"]

    counts = await asyncio.gather(staff_run(), direct(), staff_run(), direct(), staff_run())
    assert sum(counts) == 12
    assert await levels(billing) == [(n, 1) for n in sorted(numbers)]
    events = await billing.events("billing.InvoiceReminded", 12)
    await asyncio.sleep(0.5)  # nothing more arrives
    assert len(billing.tap.of_type("billing.InvoiceReminded")) == 12
    assert sorted(e["payload"]["number"] for e in events) == sorted(numbers)


async def test_a_crash_mid_run_loses_and_doubles_nothing(billing):
    """The second chunk's transaction fails: the first chunk's reminders stay (their events
    with them), the second's leave nothing; the next run sends exactly the rest."""
    _, canteen = await setup(billing)
    for _ in range(5):
        await invoiced(billing, canteen)
    opened = 0

    class Crash(Exception):
        pass

    class CrashingUow(UnitOfWork):
        async def __aexit__(self, exc_type, exc, tb):
            if exc is None and self.events and opened == 2:
                exc = Crash()
                await super().__aexit__(Crash, exc, None)
                raise exc
            await super().__aexit__(exc_type, exc, tb)

    def new_uow() -> UnitOfWork:
        nonlocal opened
        opened += 1
        return CrashingUow.on(billing.pool, producer="billing")

    with pytest.raises(Crash):
        await reminders.send_reminders(
            new_uow, billing.pool, now=paris(date(2026, 9, 11)), batch_size=2
        )
    assert len(await levels(billing)) == 2
    assert (
        await billing.pool.fetchval(
            "SELECT count(*) FROM outbox WHERE type = 'billing.InvoiceReminded'"
        )
        == 2
    )
    rest = await run(billing, date(2026, 9, 11))
    assert rest["count"] == 3
    assert len(await levels(billing)) == 5
    assert len(await billing.events("billing.InvoiceReminded", 5)) == 5


async def test_reminders_go_in_chunks_one_transaction_each(billing):
    """Seven invoices, chunks of 3 (REMINDER_BATCH_SIZE): three transactions."""
    _, canteen = await setup(billing)
    for _ in range(7):
        await invoiced(billing, canteen)
    assert (await run(billing, date(2026, 9, 11)))["count"] == 7
    transactions = await billing.pool.fetchval(
        "SELECT count(DISTINCT xmin::text) FROM invoice_reminders"
    )
    assert transactions == 3


async def test_the_send_reminders_command(billing, capsys):
    """`python -m billing send-reminders` on the real clock: an invoice due 20 days ago gets
    its first reminder; a dry run first lists it; another tenant's run sends nothing."""
    _, canteen = await setup(billing)
    real_today = datetime.now(UTC)
    billing.at(real_today - timedelta(days=20))
    _, invoice = await invoiced(billing, canteen)
    command = COMMANDS["send-reminders"]

    async def send(*argv: str) -> dict[str, Any]:
        parser = argparse.ArgumentParser()
        assert command.arguments is not None
        command.arguments(parser)
        args = parser.parse_args(list(argv))
        assert await asyncio.to_thread(command.run, billing.settings, args) == 0
        # The app's logs share stdout here; the command's result is its JSON line.
        (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
        return json.loads(line)

    dry = await send("--tenant", "epagny", "--dry-run")
    assert (dry["dry_run"], dry["count"]) == (True, 1)
    assert await levels(billing) == []
    assert (await send("--tenant", "elsewhere"))["count"] == 0
    sent = await send("--tenant", "epagny")
    assert [(r["number"], r["level"]) for r in sent["reminders"]] == [(invoice["number"], 1)]
    assert (await send())["count"] == 0  # every tenant, again: nothing twice
    (event,) = await billing.events("billing.InvoiceReminded")
    assert event["payload"]["invoice_id"] == invoice["id"]


# --- overdue lists -----------------------------------------------------------------------


async def test_staff_list_overdue_invoices_and_households(billing):
    regie, canteen = await setup(billing)
    lea, first = await invoiced(billing, canteen)
    tom, third = await invoiced(billing, canteen)
    assert (await run(billing, date(2026, 9, 15)))["count"] == 2  # the 1 September ones
    await pay(billing, third, 1660)
    billing.at(paris(date(2026, 9, 20)))
    _, second = await invoiced(billing, canteen, kid=lea, days=[date(2026, 9, 21)])
    billing.at(paris(date(2026, 10, 1)))
    body = await billing.get(f"{T}/overdue-invoices")
    assert (body["today"], body["total"]) == ("2026-10-01", 2)
    rows = body["invoices"]
    assert [(r["number"], r["days_late"], r["amount_due_cents"]) for r in rows] == [
        (first["number"], 30, 1660),
        (second["number"], 11, 415),
    ]
    top = rows[0]
    assert (top["household_id"], top["payer_name"]) == (
        str(lea.household_id),
        "Claire Martin et Simon Martin",
    )
    assert (top["last_reminder_level"], top["last_reminded_on"], top["in_recovery"]) == (
        1,
        "2026-09-15",
        False,
    )
    assert rows[1]["last_reminder_level"] is None
    # Filters and paging.
    late = await billing.get(f"{T}/overdue-invoices?min_days_late=20")
    assert [r["number"] for r in late["invoices"]] == [first["number"]]
    paged = await billing.get(f"{T}/overdue-invoices?limit=1&offset=1")
    assert (paged["total"], [r["number"] for r in paged["invoices"]]) == (2, [second["number"]])
    assert (await billing.get(f"{T}/overdue-invoices?household_id={tom.household_id}"))[
        "invoices"
    ] == []
    assert (await billing.get(f"{T}/overdue-invoices?regie_id={uuid.uuid4()}"))["total"] == 0
    assert len((await billing.get(f"{T}/overdue-invoices?regie_id={regie['id']}"))["invoices"]) == 2
    problem = await billing.get(f"{T}/overdue-invoices?min_days_late=-1", status=422)
    assert [e["field"] for e in problem["errors"]] == ["min_days_late"]
    # Per household.
    households = (await billing.get(f"{T}/overdue-households"))["households"]
    assert households == [
        {
            "household_id": str(lea.household_id),
            "payer_name": "Claire Martin et Simon Martin",
            "invoice_count": 2,
            "amount_due_cents": 2075,
            "oldest_due_date": "2026-09-01",
            "days_late": 30,
            "highest_level": 1,
            "in_recovery_count": 0,
            "in_recovery_cents": None,
        }
    ]
    # Staff only.
    await billing.get(f"{T}/overdue-invoices", billing.family(lea.household_id), status=403)
    await billing.get(f"{T}/overdue-households", billing.family(lea.household_id), status=403)

"""Property: whatever the sequence of prepaid baskets, free cancellations (credit notes),
payments (any amount, over chosen invoices or the oldest unpaid) and reversals, against the
real Postgres, the ledger alone says what remains due and what credit is left, and:
- no invoice is settled beyond its total nor owes more than it, no credit is used beyond
  its amount;
- the balance is Σ invoices − Σ credit notes − Σ payments not reversed, and equals what the
  invoices still owe less the credits left (credit notes and payments' excess);
- each payment is its allocations plus its excess; an invoice's `paid_cents` is what the
  payments not reversed settled of it;
- each allocation is what it paid of the invoice's lines; what payments not reversed paid
  of a line is within its total and adds up, per invoice, to its `paid_cents`;
- receipts are numbered without gap.
Each example is a tenant of its own in one migrated schema; the use cases run as the API,
the events and the card notification call them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import store
from billing.app import MIGRATIONS
from billing.domain.ledger import Entry, balance, credits
from billing.settings import BillingSettings
from billing.store import credits as credits_store
from billing.store import payments as payments_store
from billing.usecases import activities, households, payments, prepaid, regies
from billing.usecases.payments import apply_payment_in, reverse_payment_in
from shared import db, migrations
from shared.uow import UnitOfWork

NOW = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
DAYS = [date(2026, 9, d) for d in (3, 4, 7, 8, 10, 11)]
PRICE = 415


@pytest.fixture(scope="module")
def schema_settings(test_run: Any) -> BillingSettings:
    settings = BillingSettings.from_env(
        {},
        database_url=test_run.database_url,
        db_schema=f"billing_payprop_{uuid.uuid4().hex[:8]}",
        db_role=f"pft_{test_run.run_id}_billing",
    )
    test_run.roles.add(settings.db_role)
    asyncio.run(migrations.migrate(settings, MIGRATIONS))
    return settings


book = st.tuples(st.just("book"), st.sets(st.integers(0, len(DAYS) - 1), min_size=1, max_size=3))
cancel = st.tuples(st.just("cancel"), st.integers(0, len(DAYS) - 1))
pay = st.tuples(
    st.just("pay"),
    st.integers(1, 3000),
    st.one_of(st.none(), st.lists(st.integers(0, 20), min_size=1, max_size=3)),
)
reverse = st.tuples(st.just("reverse"), st.integers(0, 20))
operations = st.lists(st.one_of(book, cancel, pay, reverse), min_size=1, max_size=14)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_payments_keep_the_ledger_balanced(schema_settings, ops):
    asyncio.run(run(schema_settings, ops))


@dataclass
class World:
    tenant: str
    regie_id: uuid.UUID
    activity_id: uuid.UUID
    household_id: uuid.UUID
    child_id: uuid.UUID
    booked: dict[date, uuid.UUID] = field(default_factory=dict)
    payment_ids: list[uuid.UUID] = field(default_factory=list)


def uow(pool: Any, world: World | str) -> UnitOfWork:
    tenant = world if isinstance(world, str) else world.tenant
    return UnitOfWork.on(pool, producer="billing", tenant=tenant)


async def run(settings: BillingSettings, ops: list[tuple[Any, ...]]) -> None:
    pool = await db.create_pool(settings)
    try:
        world = await setup(pool)
        for op in ops:
            await apply(pool, world, op)
        await check(pool, world)
    finally:
        await pool.close()


async def setup(pool: Any) -> World:
    tenant = f"q{uuid.uuid4().hex[:10]}"
    regie = await regies.create_regie(
        uow(pool, tenant),
        tenant,
        {
            "code": "PAY",
            "name": "Régie",
            "address": "Mairie",
            "email": "regie@example.fr",
            "legal_mentions": "",
            "payment_delay_days": 15,
        },
    )
    activity_id, household_id, child_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await activities.configure_activity(
        uow(pool, tenant),
        tenant,
        activity_id,
        {
            "regie_id": regie["id"],
            "name": "Cantine",
            "billing_mode": "prepaid",
            "postpaid_source": "bookings",
            "unit": "day",
            "units_per_booking": 1,
            "bill_present": True,
            "bill_absent": True,
            "bill_absent_justified": False,
            "bill_unexpected": True,
        },
        uuid.uuid4(),
    )
    await activities.create_grid(
        uow(pool, tenant),
        tenant,
        activity_id,
        {
            "valid_from": date(2026, 1, 1),
            "brackets": [{"qf_min": 0, "qf_max": None, "amounts": [PRICE]}],
        },
    )
    await households.household_created(
        uow(pool, tenant), tenant, {"household_id": household_id, "guardian_names": ["X"]}
    )
    await households.child_changed(
        uow(pool, tenant),
        tenant,
        {
            "child_id": child_id,
            "household_id": household_id,
            "first_name": "Léa",
            "last_name": "Martin",
            "birth_date": date(2018, 1, 1),
        },
        NOW,
    )
    return World(tenant, regie["id"], activity_id, household_id, child_id)


def who(world: World) -> dict[str, Any]:
    return {
        "household_id": world.household_id,
        "child_id": world.child_id,
        "child_first_name": "Léa",
        "activity_id": world.activity_id,
        "activity_name": "Cantine",
    }


async def apply(pool: Any, world: World, op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind == "book":
        new = {DAYS[i]: uuid.uuid4() for i in sorted(op[1]) if DAYS[i] not in world.booked}
        if not new:
            return
        world.booked.update(new)
        payload = {
            **who(world),
            "basket_id": uuid.uuid4(),
            "dates": [{"booking_id": b, "date": d, "late": False} for d, b in new.items()],
        }
        await prepaid.reservation_validated(
            uow(pool, world), world.tenant, payload, now=NOW, grace_until=None
        )
    elif kind == "cancel":
        day = DAYS[op[1]]
        booking_id = world.booked.pop(day, None)
        if booking_id is None:
            return
        payload = {
            **who(world),
            "basket_id": None,
            "dates": [{"booking_id": booking_id, "date": day, "late": False}],
            "cancelled_by": "family",
            "reason": None,
            "charged": False,
        }
        await prepaid.reservation_cancelled(uow(pool, world), world.tenant, payload, now=NOW)
    elif kind == "pay":
        _, amount, picks = op
        issued = await store.list_invoices(
            pool, world.tenant, {"household_id": world.household_id, "limit": 500}
        )
        chosen = None
        if picks is not None:
            if not issued:
                return
            chosen = [issued[i % len(issued)]["id"] for i in picks]
        work = uow(pool, world)
        async with work:
            paid = await apply_payment_in(
                work,
                world.tenant,
                regie_id=world.regie_id,
                payer_id=world.household_id,
                household_id=world.household_id,
                method="cash",
                amount_cents=amount,
                received_on=NOW.date(),
                invoice_ids=chosen,
                reference={},
                recorded_by=None,
                now=NOW,
            )
        world.payment_ids.append(paid["id"])
    else:
        if not world.payment_ids:
            return
        payment_id = world.payment_ids[op[1] % len(world.payment_ids)]
        row = await payments_store.get_payment(pool, world.tenant, payment_id)
        if row["status"] == "reversed":
            return
        await payments.reverse_payment(
            uow(pool, world), world.tenant, payment_id, "impayé", now=NOW
        )
        # Never twice.
        work = uow(pool, world)
        with pytest.raises(Exception, match="déjà été annulé"):
            async with work:
                await reverse_payment_in(work, world.tenant, payment_id, reason="x", now=NOW)


async def check(pool: Any, world: World) -> None:
    tenant, payer = world.tenant, world.household_id
    entries = [
        Entry(e["kind"], e["document_id"], e["amount_cents"], e["related_id"])
        for e in await credits_store.payer_ledger(pool, tenant, payer)
    ]
    derived = balance(entries)
    issued = await store.list_invoices(pool, tenant, {"household_id": payer, "limit": 500})
    notes = await credits_store.list_credit_notes(
        pool, tenant, {"household_id": payer, "limit": 500}
    )
    paid = await payments_store.list_payments(pool, tenant, {"household_id": payer, "limit": 500})
    recorded = [p for p in paid if p["status"] == "recorded"]
    assert derived == (
        sum(i["total_cents"] for i in issued)
        - sum(n["total_cents"] for n in notes)
        - sum(p["amount_cents"] for p in recorded)
    )
    assert all(0 <= i["remaining_cents"] <= i["total_cents"] for i in issued)
    left = credits(entries)
    assert all(cents >= 0 for cents in left.values()), left
    assert {p["id"]: p["credit_available_cents"] for p in paid if p["credit_cents"]} == {
        k: v for k, v in left.items() if k in {p["id"] for p in paid}
    }
    assert derived == sum(i["remaining_cents"] for i in issued) - sum(left.values())
    allocations = await payments_store.allocations(pool, [p["id"] for p in paid])
    by_payment: dict[uuid.UUID, int] = defaultdict(int)
    by_invoice: dict[uuid.UUID, int] = defaultdict(int)
    for a in allocations:
        by_payment[a["payment_id"]] += a["amount_cents"]
    for p in paid:
        assert by_payment[p["id"]] + p["credit_cents"] == p["amount_cents"]
        if p["status"] == "reversed":
            assert p["credit_available_cents"] == 0
    status = {p["id"]: p["status"] for p in paid}
    for a in allocations:
        if status[a["payment_id"]] == "recorded":
            by_invoice[a["invoice_id"]] += a["amount_cents"]
    for invoice in issued:
        assert invoice["paid_cents"] == by_invoice[invoice["id"]]
    # Per invoice line (domain/payment_lines.py): each allocation is what it paid of the
    # lines; what payments not reversed paid of a line is within its total, and adds up to
    # what they paid of the invoice.
    spread = await payments_store.payment_lines(pool, [p["id"] for p in paid])
    of_allocation: dict[tuple[uuid.UUID, int], int] = defaultdict(int)
    for x in spread:
        of_allocation[(x["payment_id"], x["allocation_position"])] += x["amount_cents"]
    assert of_allocation == {
        (a["payment_id"], a["position"]): a["amount_cents"] for a in allocations
    }
    lines = await payments_store.lines_paid(pool, [i["id"] for i in issued])
    assert all(0 <= x["paid_cents"] <= max(0, x["amount_cents"]) for x in lines)
    by_line: dict[uuid.UUID, int] = defaultdict(int)
    for x in lines:
        by_line[x["invoice_id"]] += x["paid_cents"]
    for invoice in issued:
        assert by_line[invoice["id"]] == invoice["paid_cents"]
    seqs = sorted(p["seq"] for p in paid)
    assert seqs == list(range(1, len(seqs) + 1)), "a receipt number skipped or repeated"

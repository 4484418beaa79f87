"""Property: whatever the sequence of bookings, cancellations (charged or not), campaigns,
and redeliveries of the same bookings or cancellations, against the real Postgres, the
ledger balances and nothing is billed twice.

Each example runs the use cases (as the event handlers and the API call them) for a tenant
of its own in one migrated schema, then checks, from the database only:
- every booked day is charged at most once, and exactly the days a simple model says;
- a day is credited at most once, exactly when it was charged then cancelled free of charge;
- each payer's balance derived from the ledger is what the model says (Σ prices of the days
  billed and not credited), and equals Σ invoice totals − Σ credit note totals;
- what remains due on invoices, less the credit not yet used, is that balance; no invoice
  is settled beyond its total, no credit used beyond its amount;
- numbers are gapless per régie, year and kind.
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
from billing.domain.ledger import Entry, balance
from billing.settings import BillingSettings
from billing.store import credits as credits_store
from billing.usecases import activities, campaigns, households, prepaid, regies
from shared import db, migrations
from shared.uow import UnitOfWork

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DAYS = [date(2026, 9, d) for d in (3, 4, 7, 8)] + [date(2026, 10, d) for d in (1, 2, 5, 6)]
PRICES = {"prepaid": 415, "postpaid": 300}
HOUSEHOLDS = 2


@pytest.fixture(scope="module")
def schema_settings(test_run: Any) -> BillingSettings:
    settings = BillingSettings.from_env(
        {},
        database_url=test_run.database_url,
        db_schema=f"billing_prop_{uuid.uuid4().hex[:8]}",
        db_role=f"pft_{test_run.run_id}_billing",
    )
    test_run.roles.add(settings.db_role)
    asyncio.run(migrations.migrate(settings, MIGRATIONS))
    return settings


book = st.tuples(
    st.just("book"),
    st.integers(0, HOUSEHOLDS - 1),
    st.sampled_from(["prepaid", "postpaid"]),
    st.sets(st.integers(0, len(DAYS) - 1), min_size=1, max_size=4),
)
redeliver = st.tuples(st.just("redeliver"), st.integers(0, 100))
cancel = st.tuples(
    st.just("cancel"),
    st.integers(0, HOUSEHOLDS - 1),
    st.sampled_from(["prepaid", "postpaid"]),
    st.sets(st.integers(0, len(DAYS) - 1), min_size=1, max_size=4),
    st.booleans(),
)
recancel = st.tuples(st.just("recancel"), st.integers(0, 100))
campaign = st.tuples(st.just("campaign"), st.sampled_from([9, 10]))
operations = st.lists(
    st.one_of(book, redeliver, cancel, recancel, campaign), min_size=1, max_size=12
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_the_ledger_balances_and_nothing_is_billed_twice(schema_settings, ops):
    asyncio.run(run(schema_settings, ops))


@dataclass
class Day:
    booking_id: uuid.UUID
    household: int
    mode: str
    day: date
    status: str = "booked"
    charged_cancel: bool = False
    billed: bool = False
    credited: bool = False


@dataclass
class World:
    tenant: str
    regie_id: uuid.UUID
    activity_ids: dict[str, uuid.UUID]
    household_ids: list[uuid.UUID]
    child_ids: list[uuid.UUID]
    days: list[Day] = field(default_factory=list)
    payloads: list[dict[str, Any]] = field(default_factory=list)
    cancellations: list[dict[str, Any]] = field(default_factory=list)


async def run(settings: BillingSettings, ops: list[tuple[Any, ...]]) -> None:
    pool = await db.create_pool(settings)
    try:
        world = await setup(pool)
        for op in ops:
            await apply(pool, world, op)
        await check(pool, world)
    finally:
        await pool.close()


def uow(pool: Any, world: World) -> UnitOfWork:
    return UnitOfWork.on(pool, producer="billing", tenant=world.tenant)


async def setup(pool: Any) -> World:
    tenant = f"p{uuid.uuid4().hex[:10]}"
    actor = uuid.uuid4()
    regie = await regies.create_regie(
        UnitOfWork.on(pool, producer="billing", tenant=tenant),
        tenant,
        {
            "code": "PROP",
            "name": "Régie",
            "address": "Mairie",
            "email": "regie@example.fr",
            "legal_mentions": "",
            "payment_delay_days": 15,
        },
    )
    world = World(tenant, regie["id"], {}, [], [])
    for mode in ("prepaid", "postpaid"):
        activity_id = uuid.uuid4()
        await activities.configure_activity(
            uow(pool, world),
            tenant,
            activity_id,
            {
                "regie_id": regie["id"],
                "name": mode,
                "billing_mode": mode,
                "postpaid_source": "bookings",
                "unit": "day",
                "units_per_booking": 1,
                "bill_present": True,
                "bill_absent": True,
                "bill_absent_justified": False,
                "bill_unexpected": True,
            },
            actor,
        )
        await activities.create_grid(
            uow(pool, world),
            tenant,
            activity_id,
            {
                "valid_from": date(2026, 1, 1),
                "brackets": [{"qf_min": 0, "qf_max": None, "amounts": [PRICES[mode]]}],
            },
        )
        world.activity_ids[mode] = activity_id
    for _ in range(HOUSEHOLDS):
        household_id, child_id = uuid.uuid4(), uuid.uuid4()
        await households.household_created(
            uow(pool, world), tenant, {"household_id": household_id, "guardian_names": ["X"]}
        )
        await households.child_changed(
            uow(pool, world),
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
        world.household_ids.append(household_id)
        world.child_ids.append(child_id)
    return world


def who(world: World, household: int, mode: str) -> dict[str, Any]:
    return {
        "household_id": world.household_ids[household],
        "child_id": world.child_ids[household],
        "child_first_name": "Léa",
        "activity_id": world.activity_ids[mode],
        "activity_name": mode,
    }


async def apply(pool: Any, world: World, op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind == "book":
        _, household, mode, indexes = op
        taken = {
            d.day
            for d in world.days
            if d.household == household and d.mode == mode and d.status == "booked"
        }
        new = [Day(uuid.uuid4(), household, mode, DAYS[i]) for i in sorted(indexes)]
        new = [d for d in new if d.day not in taken]  # booking allows one live booking a day
        if not new:
            return
        payload = {
            **who(world, household, mode),
            "basket_id": uuid.uuid4(),
            "dates": [{"booking_id": d.booking_id, "date": d.day, "late": False} for d in new],
        }
        world.days.extend(new)
        world.payloads.append(payload)
        await prepaid.reservation_validated(
            uow(pool, world), world.tenant, payload, now=NOW, grace_until=None
        )
        if mode == "prepaid":
            for d in new:
                d.billed = True
    elif kind == "redeliver":
        if not world.payloads:
            return
        payload = world.payloads[op[1] % len(world.payloads)]
        await prepaid.reservation_validated(
            uow(pool, world), world.tenant, payload, now=NOW, grace_until=None
        )
    elif kind == "cancel":
        _, household, mode, indexes, charged = op
        chosen = {DAYS[i] for i in indexes}
        days = [
            d
            for d in world.days
            if d.household == household
            and d.mode == mode
            and d.status == "booked"
            and d.day in chosen
        ]
        if not days:
            return
        payload = {
            **who(world, household, mode),
            "basket_id": None,
            "dates": [{"booking_id": d.booking_id, "date": d.day, "late": False} for d in days],
            "cancelled_by": "family",
            "reason": None,
            "charged": charged,
        }
        world.cancellations.append(payload)
        await prepaid.reservation_cancelled(uow(pool, world), world.tenant, payload, now=NOW)
        for d in days:
            d.status, d.charged_cancel = "cancelled", charged
            if d.billed and not charged:
                d.credited = True
    elif kind == "recancel":  # a cancellation delivered again (replayed under a new id)
        if not world.cancellations:
            return
        payload = world.cancellations[op[1] % len(world.cancellations)]
        await prepaid.reservation_cancelled(uow(pool, world), world.tenant, payload, now=NOW)
    else:
        month = op[1]
        start = date(2026, month, 1)
        end = date(2026, month, 30)
        campaign_id = await campaigns.create_campaign(
            uow(pool, world),
            world.tenant,
            {"regie_id": world.regie_id, "period_from": start, "period_to": end},
            actor=uuid.uuid4(),
            now=NOW,
        )
        await campaigns.finalise_campaign(
            uow(pool, world), world.tenant, campaign_id, actor=uuid.uuid4(), now=NOW
        )
        for d in world.days:
            billable = d.status == "booked" or d.charged_cancel
            if d.mode == "postpaid" and start <= d.day <= end and billable:
                d.billed = True


async def check(pool: Any, world: World) -> None:
    tenant = world.tenant
    charged = [
        r["booking_id"]
        for r in await pool.fetch("SELECT booking_id FROM charges WHERE tenant = $1", tenant)
    ]
    assert len(charged) == len(set(charged)), "a day charged twice"
    assert set(charged) == {d.booking_id for d in world.days if d.billed}
    credited = [
        r["booking_id"]
        for r in await pool.fetch(
            """SELECT d.booking_id FROM credited_days d JOIN charges c USING (booking_id)
               WHERE c.tenant = $1""",
            tenant,
        )
    ]
    assert len(credited) == len(set(credited)), "a day credited twice"
    assert set(credited) == {d.booking_id for d in world.days if d.credited}

    for index, payer_id in enumerate(world.household_ids):
        expected = sum(
            PRICES[d.mode]
            for d in world.days
            if d.household == index and d.billed and not d.credited
        )
        entries = await credits_store.payer_ledger(pool, tenant, payer_id)
        derived = balance(
            Entry(e["kind"], e["document_id"], e["amount_cents"], e["related_id"]) for e in entries
        )
        assert derived == expected
        issued = await store.list_invoices(pool, tenant, {"household_id": payer_id, "limit": 500})
        notes = await credits_store.list_credit_notes(
            pool, tenant, {"household_id": payer_id, "limit": 500}
        )
        assert derived == sum(i["total_cents"] for i in issued) - sum(
            n["total_cents"] for n in notes
        )
        assert all(0 <= i["remaining_cents"] <= i["total_cents"] for i in issued)
        assert all(0 <= n["available_cents"] <= n["total_cents"] for n in notes)
        due = sum(i["remaining_cents"] for i in issued)
        assert due - sum(n["available_cents"] for n in notes) == derived
        lines = await store.invoice_lines(pool, [i["id"] for i in issued])
        by_invoice: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for line in lines:
            by_invoice[line["invoice_id"]].append(line)
        for invoice in issued:
            mine = by_invoice[invoice["id"]]
            charges = sum(x["amount_cents"] for x in mine if x["kind"] == "charge")
            credits = sum(x["amount_cents"] for x in mine if x["kind"] == "credit")
            assert (charges, -credits) == (invoice["total_cents"], invoice["credit_cents"])

    for table in ("invoices", "credit_notes"):
        seqs = sorted(
            r["seq"]
            for r in await pool.fetch(
                f"SELECT seq FROM {table} WHERE tenant = $1 AND seq IS NOT NULL", tenant
            )
        )
        assert seqs == list(range(1, len(seqs) + 1)), f"{table}: a gap or a duplicate"

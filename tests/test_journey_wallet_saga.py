"""The wallet saga across booking and billing [003], each service a real OS process (its
relay and consumers inside, as in production), killed with SIGKILL between the saga's steps
and at random moments: whatever crashes, every day held for the wallet ends confirmed and
paid from the wallet exactly once, or released (its place given back) and not paid; the
wallet never goes below zero. Family's events are published on the bus as its relay would."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import aio_pika
import aiohttp
import asyncpg
import pytest

from billing.settings import BillingSettings
from booking.settings import BookingSettings
from shared.events.envelope import new_event
from shared.settings import ServiceSettings
from shared.testing.bus import eventually
from shared.testing.processes import ServiceProcess
from shared.testing.tokens import TokenFactory

TENANT = "epagny"
T = f"/tenants/{TENANT}"
PRICE = 500  # cents a day, whatever the quotient
CREDIT = 2000  # each wallet: four days


class Saga:
    """The two services as processes, restarted at will; HTTP and database access."""

    def __init__(self, make_settings: Any, tokens: TokenFactory, namespace: str) -> None:
        self.tokens = tokens
        self.namespace = namespace
        self.settings: dict[str, ServiceSettings] = {
            "booking": make_settings(BookingSettings),
            "billing": make_settings(BillingSettings),
        }
        self.processes: dict[str, ServiceProcess] = {}
        self.http = aiohttp.ClientSession()

    async def start(self, name: str) -> None:
        process = ServiceProcess(name, self.settings[name])
        await process.start(ready_timeout=60)
        self.processes[name] = process

    async def kill(self, name: str) -> None:
        await self.processes.pop(name).kill()

    async def close(self) -> None:
        for process in self.processes.values():
            await process.kill()
        await self.http.close()

    def staff(self) -> dict[str, str]:
        return self.tokens.header(tenant=TENANT, roles=("staff",))

    def family(self, household_id: Any) -> dict[str, str]:
        return self.tokens.header(tenant=TENANT, roles=("family",), household_id=str(household_id))

    async def call(
        self, name: str, method: str, path: str, headers: Any, body: Any = None, ok=(200, 201)
    ) -> Any:
        url = self.processes[name].url + path
        async with self.http.request(method, url, json=body, headers=headers) as response:
            text = await response.text()
            assert response.status in ok, f"{method} {path}: {response.status} {text}"
            return json.loads(text) if text else None

    async def attempt(self, name: str, method: str, path: str, headers: Any, body: Any) -> Any:
        """The answer if 200/201, else None (what the service does not know yet)."""
        url = self.processes[name].url + path
        async with self.http.request(method, url, json=body, headers=headers) as response:
            return await response.json() if response.status in (200, 201) else None

    async def publish_family(self, event_type: str, **payload: Any) -> None:
        event = new_event(event_type, payload, tenant_id=TENANT, producer="family")
        connection = await aio_pika.connect(self.settings["booking"].amqp_url)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(f"{self.namespace}.events")
            await exchange.publish(
                aio_pika.Message(
                    json.dumps(event.to_json()).encode(),
                    message_id=str(event.id),
                    type=event.type,
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=event.type,
            )

    async def db(self, name: str) -> asyncpg.Connection:
        settings = self.settings[name]
        return await asyncpg.connect(
            settings.database_url, server_settings={"search_path": settings.db_schema}
        )


@pytest.fixture
async def saga(make_settings: Any, tokens: TokenFactory, bus_namespace: Any) -> AsyncIterator:
    saga = Saga(make_settings, tokens, bus_namespace.name)
    try:
        await asyncio.gather(saga.start("booking"), saga.start("billing"))
        yield saga
    finally:
        await saga.close()


async def household(saga: Saga, activity: dict[str, Any], name: str) -> dict[str, Any]:
    """A household with one child enrolled in the activity and an active wallet credited."""
    household_id, child_id = uuid.uuid4(), uuid.uuid4()
    await saga.publish_family(
        "family.HouseholdCreated",
        household_id=household_id,
        created_by=uuid.uuid4(),
        guardian_names=[f"Parent de {name}"],
    )
    await saga.publish_family(
        "family.ChildRegistered",
        child_id=child_id,
        household_id=household_id,
        first_name=name,
        last_name="Martin",
        birth_date=date(2018, 5, 3),
        sex="F",
        school="École du Centre",
        grade="CE2",
        diet="standard",
        image_rights=True,
    )
    family = saga.family(household_id)
    wallet = f"{T}/billing/households/{household_id}/wallet"
    await eventually(
        lambda: saga.attempt(
            "booking",
            "POST",
            f"{T}/enrollments",
            family,
            {"child_id": str(child_id), "activity_id": activity["id"]},
        ),
        timeout=20,
        interval=0.2,
    )
    await eventually(lambda: saga.attempt("billing", "POST", wallet, family, None), timeout=20)
    await saga.call(
        "billing",
        "POST",
        f"{wallet}/credits",
        saga.staff(),
        {"amount_cents": CREDIT, "reason": "Dépôt au guichet"},
    )
    kid = {"household_id": household_id, "child_id": child_id, "name": name}

    async def wallet_known() -> bool:  # booking learnt the wallet (billing.WalletActivated)
        conn = await saga.db("booking")
        try:
            return bool(
                await conn.fetchval(
                    "SELECT true FROM wallets WHERE household_id = $1", household_id
                )
            )
        finally:
            await conn.close()

    await eventually(wallet_known, timeout=20)
    return kid


async def validate(saga: Saga, kid: dict[str, Any], activity: dict[str, Any], days: list[str]):
    family = saga.family(kid["household_id"])
    basket = await saga.call(
        "booking",
        "POST",
        f"{T}/baskets",
        family,
        {
            "lines": [
                {
                    "child_id": str(kid["child_id"]),
                    "activity_id": activity["id"],
                    "dates": days,
                    "accept_waiting_list": False,
                }
            ]
        },
    )
    return await saga.call("booking", "POST", f"{T}/baskets/{basket['id']}/validate", family, {})


async def settled(saga: Saga) -> dict[str, Any]:
    """Once nothing is held any more: each household's confirmed days, and booking's counters
    against its bookings."""
    conn = await saga.db("booking")
    try:

        async def nothing_held() -> bool:
            held = await conn.fetchval("SELECT count(*) FROM bookings WHERE hold = 'held'")
            return held == 0

        await eventually(nothing_held, timeout=90, interval=0.3)
        rows = await conn.fetch(
            "SELECT household_id, count(*) FILTER (WHERE hold = 'confirmed') AS confirmed,"
            " count(*) FILTER (WHERE hold = 'released') AS released"
            " FROM bookings GROUP BY household_id"
        )
        mismatched = await conn.fetch(
            "SELECT d.day, d.booked, d.capacity, (SELECT count(*) FROM bookings b"
            " WHERE b.activity_id = d.activity_id AND b.day = d.day AND b.status = 'booked')"
            " AS counted FROM activity_days d"
        )
        for day in mismatched:
            assert day["booked"] == day["counted"] <= day["capacity"], dict(day)
        return {r["household_id"]: (r["confirmed"], r["released"]) for r in rows}
    finally:
        await conn.close()


async def balance(saga: Saga, kid: dict[str, Any]) -> int:
    body = await saga.call(
        "billing",
        "GET",
        f"{T}/billing/households/{kid['household_id']}/wallet",
        saga.family(kid["household_id"]),
    )
    return body["balance_cents"]


async def consistent(saga: Saga, kids: list[dict[str, Any]]) -> dict[Any, tuple[int, int]]:
    """Every household's wallet paid exactly its confirmed days, never went below zero."""
    days = await settled(saga)
    for kid in kids:
        confirmed, _ = days.get(kid["household_id"], (0, 0))
        paid = await balance(saga, kid)
        assert paid >= 0
        assert paid == CREDIT - PRICE * confirmed, (kid["name"], paid, confirmed)
    return days


async def test_the_wallet_saga_ends_consistent_whatever_process_is_killed(saga: Saga) -> None:
    staff = saga.staff()
    monday = date.today() + timedelta(days=14 - date.today().weekday())
    activity = await saga.call(
        "booking",
        "POST",
        f"{T}/activities",
        staff,
        {
            "name": "Mercredis loisirs",
            "type": "MERCREDI",
            "site": "Centre du Lac",
            "period_from": monday.isoformat(),
            "period_to": (monday + timedelta(days=27)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5],
            "school_time": False,
            "capacity": 5,
            "booking_deadline": {"days_before": 2, "at": "23:59"},
            "cancel_deadline": {"days_before": 2, "at": "23:59"},
        },
    )
    regie = await saga.call(
        "billing",
        "POST",
        f"{T}/regies",
        staff,
        {
            "code": "ENFANCE",
            "name": "Régie enfance",
            "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
            "email": "regie@epagny.example",
        },
    )
    await saga.call(
        "billing", "PUT", f"{T}/billing/wallet-settings", staff, {"regie_id": regie["id"]}
    )
    await saga.call(
        "billing",
        "PUT",
        f"{T}/billing/activities/{activity['id']}",
        staff,
        {
            "regie_id": regie["id"],
            "name": "Mercredis",
            "billing_mode": "prepaid",
            "unit": "day",
            "payment": "wallet",
        },
    )
    await saga.call(
        "billing",
        "POST",
        f"{T}/billing/activities/{activity['id']}/price-grids",
        staff,
        {
            "valid_from": (monday - timedelta(days=30)).isoformat(),
            "brackets": [{"qf_min": 0, "qf_max": None, "amounts": [PRICE]}],
        },
    )

    async def paid_from_wallet() -> bool:  # booking learnt it (billing.ActivityPaymentSet)
        body = await saga.call("booking", "GET", f"{T}/activities/{activity['id']}", staff)
        return body["payment"] == "wallet"

    await eventually(paid_from_wallet, timeout=20)
    days = [(monday + timedelta(days=i)).isoformat() for i in range(5)]
    kids = [await household(saga, activity, name) for name in ("Léa", "Tom", "Zoé", "Noé")]
    lea, tom, zoe, noe = kids

    # 1. billing is down when the basket is validated: the days wait, held; billing comes
    # back, debits the wallet once, and booking confirms them.
    await saga.kill("billing")
    held = await validate(saga, lea, activity, days[:2])
    assert held["held"] == 2
    await saga.start("billing")
    assert (await consistent(saga, kids))[lea["household_id"]] == (2, 0)

    # 2. booking is killed right after validating (the event may still be in its outbox);
    # it comes back, publishes it, and applies billing's answer.
    held = await validate(saga, tom, activity, days[:3])
    assert held["held"] == 3
    await saga.kill("booking")
    await saga.start("booking")
    assert (await consistent(saga, kids))[tom["household_id"]] == (3, 0)

    # 3. Both killed around a basket the wallet cannot pay (5 days, 20 € for 25 €): the
    # days are released, nothing is debited, the places are free again.
    held = await validate(saga, zoe, activity, days)
    assert held["held"] == 5
    await asyncio.gather(saga.kill("booking"), saga.kill("billing"))
    await asyncio.gather(saga.start("booking"), saga.start("billing"))
    assert (await consistent(saga, kids))[zoe["household_id"]] == (0, 5)

    # 4. Each service killed at a random moment of the saga: while it carries the baskets'
    # events and answers (after the validations), or while the validations run (a request
    # cut by the kill is simply not answered). Every day ends confirmed and paid, or
    # released and not paid.
    rng = random.Random(12)
    rounds = [
        ("billing", "after"),
        ("booking", "after"),
        ("booking", "during"),
        ("billing", "after"),
    ]
    for victim, when in rounds:

        async def crash(victim: str = victim) -> None:
            await asyncio.sleep(rng.uniform(0.0, 0.15))
            await saga.kill(victim)

        baskets = [
            validate(saga, kid, activity, rng.sample(days, rng.randint(1, 3))) for kid in (zoe, noe)
        ]
        if when == "after":
            for result in await asyncio.gather(*baskets):
                assert result["basket_id"]
            await crash()
        else:
            await asyncio.gather(*baskets, crash(), return_exceptions=True)
        await saga.start(victim)
        await consistent(saga, kids)
    final = await consistent(saga, kids)
    assert final[lea["household_id"]] == (2, 0) and final[tom["household_id"]] == (3, 0)

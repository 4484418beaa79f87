"""Fixtures of the billing service tests: the service against the test Postgres and bus, and
the family and booking events it consumes published as their relays would."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import aio_pika
import pytest
from aiohttp.test_utils import TestClient

from billing.app import create_app
from billing.settings import BillingSettings
from billing.state import CLOCK
from shared.events.envelope import Event, new_event, parse_event
from shared.keys import BROKER, CONSUMERS, POOL
from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL
from shared.testing.tokens import TokenFactory

TENANT = "epagny"
BILLING_EVENTS = ["billing.InvoiceIssued", "billing.CreditNoteIssued"]
# "Now" for the tests: Tuesday 1 September 2026, 08:00 in Paris.
NOW = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)

REGIE = {
    "code": "CANTINE",
    "name": "Régie restauration scolaire",
    "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
    "email": "regie.cantine@epagnymetztessy.fr",
    "legal_mentions": "Payable au Trésor public. Titre exécutoire (art. L252A du LPF).",
}
# 0-450: 1,20 €; 451-800: 2,50 €; 801+: 4,15 € (3,80 € from the second child).
BRACKETS = [
    {"qf_min": 0, "qf_max": 450, "amounts": [120]},
    {"qf_min": 451, "qf_max": 800, "amounts": [250]},
    {"qf_min": 801, "qf_max": None, "amounts": [415, 380]},
]


def family_event(event_type: str, tenant: str = TENANT, **payload: Any) -> Event:
    return new_event(event_type, payload, tenant_id=tenant, producer="family")


def booking_event(event_type: str, tenant: str = TENANT, **payload: Any) -> Event:
    return new_event(event_type, payload, tenant_id=tenant, producer="booking")


@dataclass
class Kid:
    child_id: uuid.UUID
    household_id: uuid.UUID
    first_name: str


@dataclass
class Billing:
    """Drives billing as staff, families, family and booking would."""

    client: TestClient
    settings: BillingSettings
    tokens: TokenFactory
    tap: EventTap
    TENANT = TENANT
    BRACKETS = BRACKETS
    NOW = NOW
    family_event = staticmethod(family_event)
    booking_event = staticmethod(booking_event)

    @property
    def pool(self) -> Any:
        return self.client.app[POOL]

    def at(self, when: datetime) -> None:
        self.client.app[CLOCK].fixed = when

    def staff(self, tenant: str = TENANT) -> dict[str, str]:
        return self.tokens.header(tenant=tenant, roles=("staff",))

    def family(self, household_id: Any, tenant: str = TENANT) -> dict[str, str]:
        return self.tokens.header(tenant=tenant, roles=("family",), household_id=str(household_id))

    async def call(
        self, method: str, path: str, headers: dict[str, str], body: Any = None, status: int = 200
    ) -> Any:
        r = await self.client.request(method, path, json=body, headers=headers)
        assert r.status == status, f"{method} {path}: {r.status} {await r.text()}"
        return None if r.status == 204 else await r.json()

    async def get(self, path: str, headers: dict[str, str] | None = None, status: int = 200) -> Any:
        return await self.call("GET", path, headers or self.staff(), status=status)

    # --- the bus -------------------------------------------------------------------------

    async def publish(self, event: Event) -> None:
        exchange = self.client.app[BROKER].exchange
        message = aio_pika.Message(
            json.dumps(event.to_json()).encode(),
            message_id=str(event.id),
            type=event.type,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await exchange.publish(message, routing_key=event.type, mandatory=True, timeout=10)

    async def handled(self, event: Event, timeout: float = 10) -> None:
        async def seen() -> bool:
            return bool(
                await self.pool.fetchval("SELECT 1 FROM inbox WHERE event_id = $1", event.id)
            )

        await eventually(seen, timeout=timeout)

    async def deliver(self, event: Event) -> Event:
        await self.publish(event)
        await self.handled(event)
        return event

    async def events(self, event_type: str, count: int = 1) -> list[dict[str, Any]]:
        return await self.tap.wait_for(count, event_type=event_type)

    # --- setting up ----------------------------------------------------------------------

    async def regie(self, **extra: Any) -> dict[str, Any]:
        return await self.call(
            "POST", f"/tenants/{TENANT}/regies", self.staff(), {**REGIE, **extra}, 201
        )

    async def activity(
        self, regie: dict[str, Any], *, mode: str = "prepaid", grid: Any = "default", **extra: Any
    ) -> dict[str, Any]:
        activity_id = uuid.uuid4()
        body = {
            "regie_id": regie["id"],
            "name": "Cantine",
            "billing_mode": mode,
            "unit": "meal",
            **extra,
        }
        row = await self.call(
            "PUT", f"/tenants/{TENANT}/billing/activities/{activity_id}", self.staff(), body
        )
        if grid == "default":
            grid = {"valid_from": "2026-09-01", "brackets": BRACKETS}
        if grid is not None:
            await self.grid(row, **grid)
        return row

    async def grid(self, activity: dict[str, Any], status: int = 201, **body: Any) -> Any:
        return await self.call(
            "POST",
            f"/tenants/{TENANT}/billing/activities/{activity['activity_id']}/price-grids",
            self.staff(),
            body,
            status,
        )

    async def kid(
        self,
        household_id: uuid.UUID | None = None,
        *,
        first_name: str = "Léa",
        birth_date: date = date(2018, 5, 3),
        qf: int | None = None,
    ) -> Kid:
        household_id = household_id or uuid.uuid4()
        child_id = uuid.uuid4()
        await self.deliver(
            family_event(
                "family.HouseholdCreated",
                household_id=household_id,
                created_by=uuid.uuid4(),
                guardian_names=["Claire Martin", "Simon Martin"],
            )
        )
        await self.deliver(
            family_event(
                "family.ChildRegistered",
                child_id=child_id,
                household_id=household_id,
                first_name=first_name,
                last_name="Martin",
                birth_date=birth_date,
                sex="F",
                school="École du Centre",
                grade="CE2",
                diet="standard",
                image_rights=True,
            )
        )
        if qf is not None:
            await self.quotient(household_id, qf)
        return Kid(child_id, household_id, first_name)

    async def quotient(
        self,
        household_id: uuid.UUID,
        value: int,
        valid_from: date = date(2026, 1, 1),
        valid_until: date | None = date(2026, 12, 31),
    ) -> None:
        await self.deliver(
            family_event(
                "family.QuotientChanged",
                quotient_id=uuid.uuid4(),
                household_id=household_id,
                value=value,
                valid_from=valid_from,
                valid_until=valid_until,
                source="caf",
            )
        )

    def who(self, kid: Kid, activity: dict[str, Any]) -> dict[str, Any]:
        return {
            "household_id": kid.household_id,
            "account_id": None,
            "child_id": kid.child_id,
            "child_first_name": kid.first_name,
            "activity_id": uuid.UUID(activity["activity_id"]),
            "activity_name": "Cantine — École du Centre",
            "activity_type": "CANTINE",
            "site": "École du Centre",
        }

    def validated(
        self,
        kid: Kid,
        activity: dict[str, Any],
        *days: date,
        basket_id: uuid.UUID | None = None,
        late: tuple[date, ...] = (),
    ) -> Event:
        return booking_event(
            "booking.ReservationValidated",
            **self.who(kid, activity),
            basket_id=basket_id or uuid.uuid4(),
            dates=[{"booking_id": uuid.uuid4(), "date": d, "late": d in late} for d in days],
            waiting_dates=[],
        )

    @staticmethod
    def booked(event: Event) -> list[dict[str, Any]]:
        """The days of a ReservationValidated event, as Python values."""
        return parse_event(event.to_json()).payload["dates"]

    def cancelled(
        self, kid: Kid, activity: dict[str, Any], dates: list[dict[str, Any]], charged: bool
    ) -> Event:
        return booking_event(
            "booking.ReservationCancelled",
            **self.who(kid, activity),
            basket_id=None,
            dates=dates,
            cancelled_by="family",
            reason=None,
            charged=charged,
        )

    async def invoices(self, headers: dict[str, str] | None = None, **query: Any) -> list[Any]:
        params = "&".join(f"{k}={v}" for k, v in query.items())
        body = await self.get(f"/tenants/{TENANT}/invoices?{params}", headers)
        return body["invoices"]


@pytest.fixture
def billing_settings(make_settings: Callable[..., Any]) -> BillingSettings:
    return make_settings(
        BillingSettings, basket_invoice_grace_seconds=0.3, basket_invoice_sweep_seconds=0.1
    )


@pytest.fixture
async def tap(bus_namespace: Any) -> AsyncIterator[EventTap]:
    async with EventTap(AMQP_URL, bus_namespace.name, BILLING_EVENTS) as tap:
        yield tap


@pytest.fixture
async def billing(
    aiohttp_client: Any, billing_settings: BillingSettings, tokens: TokenFactory, tap: EventTap
) -> AsyncIterator[Billing]:
    client = await aiohttp_client(create_app(billing_settings))

    async def consuming() -> bool:
        return all(consumer.running for consumer in client.app[CONSUMERS])

    await eventually(consuming, timeout=20)
    b = Billing(client, billing_settings, tokens, tap)
    b.at(NOW)
    yield b

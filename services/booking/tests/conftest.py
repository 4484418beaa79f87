"""Fixtures of the booking service tests: the service against the test Postgres and bus."""

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

from booking import store
from booking.app import create_app
from booking.domain.deadlines import PARIS
from booking.settings import BookingSettings
from booking.state import CLOCK
from shared.events.envelope import Event
from shared.keys import BROKER, CONSUMERS, POOL
from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL
from shared.testing.tokens import TokenFactory

TENANT = "epagny"
BOOKING_EVENTS = [
    "booking.ReservationValidated",
    "booking.ReservationCancelled",
    "booking.WaitingListPromoted",
    "booking.WaitingListCancelled",
    "booking.EnrollmentDecided",
    "booking.AttendanceRecorded",
    "booking.AbsenceJustified",
    "booking.AbsenceRefused",
    "booking.BookingHoldReleased",
    "booking.RenewalsProposed",
    "booking.RenewalAnswered",
]
# "Now" for most tests: Tuesday 1 September 2026, 08:00 in Paris.
NOW = datetime(2026, 9, 1, 8, 0, tzinfo=PARIS)


def activity_body(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Accueil du soir — École du Centre",
        "type": "PERI",
        "site": "École du Centre",
        "period_from": "2026-09-01",
        "period_to": "2026-12-18",
        "weekdays": [1, 2, 4, 5],
        "capacity": 20,
        "min_age": 3,
        "max_age": 11,
        "booking_deadline": {"days_before": 2, "at": "23:59"},
        "cancel_deadline": {"days_before": 1, "at": "12:00"},
        **extra,
    }


@dataclass
class Town:
    client: TestClient
    settings: BookingSettings
    tokens: TokenFactory
    tap: EventTap

    @property
    def pool(self) -> Any:
        return self.client.app[POOL]

    def at(self, when: datetime) -> None:
        self.client.app[CLOCK].fixed = when.astimezone(UTC)

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

    async def child(
        self,
        household_id: uuid.UUID | None = None,
        *,
        first_name: str = "Léa",
        birth_date: date = date(2018, 5, 3),
        grade: str | None = "CE2",
        tenant: str = TENANT,
    ) -> dict[str, Any]:
        """A child in the read model, as a family.ChildRegistered event would leave it."""
        payload = {
            "child_id": uuid.uuid4(),
            "household_id": household_id or uuid.uuid4(),
            "first_name": first_name,
            "last_name": "Martin",
            "birth_date": birth_date,
            "school": "École du Centre",
            "grade": grade,
            "diet": "standard",
        }
        await store.upsert_child(self.pool, tenant, payload, datetime.now(UTC))
        return {**payload, "id": payload["child_id"]}

    async def activity(self, **extra: Any) -> dict[str, Any]:
        return await self.call(
            "POST", f"/tenants/{TENANT}/activities", self.staff(), activity_body(**extra), 201
        )

    async def enrolled_child(self, activity: dict[str, Any], **child: Any) -> dict[str, Any]:
        kid = await self.child(**child)
        await self.call(
            "POST",
            f"/tenants/{TENANT}/enrollments",
            self.family(kid["household_id"]),
            {"child_id": str(kid["id"]), "activity_id": activity["id"]},
            status=201,
        )
        return kid

    async def basket(
        self, kid: dict[str, Any], lines: list[dict[str, Any]], status: int = 201
    ) -> Any:
        body = {"lines": [{"child_id": str(kid["id"]), **line} for line in lines]}
        return await self.call(
            "POST", f"/tenants/{TENANT}/baskets", self.family(kid["household_id"]), body, status
        )

    async def validate(
        self, kid: dict[str, Any], basket: dict[str, Any], status: int = 200, **body: Any
    ) -> Any:
        return await self.call(
            "POST",
            f"/tenants/{TENANT}/baskets/{basket['id']}/validate",
            self.family(kid["household_id"]),
            body,
            status,
        )

    async def book(
        self, kid: dict[str, Any], activity: dict[str, Any], *dates: str, **line: Any
    ) -> Any:
        basket = await self.basket(
            kid, [{"activity_id": activity["id"], "dates": list(dates), **line}]
        )
        return await self.validate(kid, basket)

    async def calendar(self, kid: dict[str, Any], month: str, **query: str) -> dict[str, str]:
        body = await self.call(
            "GET",
            f"/tenants/{TENANT}/children/{kid['id']}/calendar?month={month}"
            + "".join(f"&{k}={v}" for k, v in query.items()),
            self.family(kid["household_id"]),
        )
        (activity,) = body["activities"]
        return {d["date"]: d["state"] for d in activity["days"]}

    async def events(self, event_type: str, count: int = 1) -> list[dict[str, Any]]:
        return await self.tap.wait_for(count, event_type=event_type)


@pytest.fixture
def booking_settings(
    make_settings: Callable[..., Any], request: pytest.FixtureRequest
) -> BookingSettings:
    """The service's settings; a test may override some (indirect parametrization)."""
    return make_settings(BookingSettings, **getattr(request, "param", {}))


@pytest.fixture
async def tap(bus_namespace: Any) -> AsyncIterator[EventTap]:
    async with EventTap(AMQP_URL, bus_namespace.name, BOOKING_EVENTS) as tap:
        yield tap


@pytest.fixture
async def town(
    aiohttp_client: Any, booking_settings: BookingSettings, tokens: TokenFactory, tap: EventTap
) -> AsyncIterator[Town]:
    client = await aiohttp_client(create_app(booking_settings))
    town = Town(client, booking_settings, tokens, tap)
    town.at(NOW)
    yield town


async def publish(town: Town, event: Event) -> None:
    """Publish an event on the test bus, as its producer's relay would."""
    await town.client.app[BROKER].exchange.publish(
        aio_pika.Message(
            json.dumps(event.to_json()).encode(),
            message_id=str(event.id),
            type=event.type,
            content_type="application/json",
        ),
        routing_key=event.type,
        mandatory=True,
        timeout=10,
    )


async def consuming(client: TestClient) -> None:
    async def ready() -> bool:
        return all(consumer.running for consumer in client.app[CONSUMERS])

    await eventually(ready, timeout=20)

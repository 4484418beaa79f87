"""Fixtures of the notify tests: a real SMTP server (aiosmtpd) and the service under test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aio_pika
import pytest
from aiohttp.test_utils import TestClient

from notify.app import create_app
from notify.settings import NotifySettings
from shared.events import registry
from shared.events.envelope import Event, new_event
from shared.keys import BROKER, CONSUMERS, POOL
from shared.testing.bus import eventually
from shared.testing.smtp import RecordingHandler, smtp_server
from shared.uow import UnitOfWork

TENANT = "epagny"
CONTACT = {
    "name": "Ville d'Épagny Metz-Tessy",
    "sender_name": "Portail famille d'Épagny Metz-Tessy",
    "sender_address": "portail-famille@epagnymetztessy.fr",
    "contact_service": "le service Petite Enfance",
    "contact_email": "petite-enfance@epagnymetztessy.fr",
    "contact_phone": "04.50.22.05.57",
    "primary_color": "#00695c",
    "accent_color": "#ffb300",
    "portal_url": "https://portail.epagnymetztessy.fr",
}


@pytest.fixture
def smtp() -> Iterator[RecordingHandler]:
    with smtp_server() as handler:
        yield handler


@pytest.fixture
def notify_settings(make_settings: Callable[..., Any], smtp: RecordingHandler) -> NotifySettings:
    return make_settings(
        NotifySettings,
        smtp_port=smtp.port,
        smtp_timeout=5.0,
        dispatch_sweep_seconds=0.1,
        mail_retry_delays_ms=(100, 200, 300),
        mail_max_attempts=5,
        mail_basket_grace_seconds=1.0,
    )


@pytest.fixture
async def notify(aiohttp_client: Any, notify_settings: NotifySettings) -> AsyncIterator[TestClient]:
    client = await aiohttp_client(create_app(notify_settings))

    async def consuming() -> bool:
        return all(consumer.running for consumer in client.app[CONSUMERS])

    await eventually(consuming, timeout=20)
    yield client


async def publish(client: TestClient, event: Event) -> None:
    """Publish an envelope on the test bus as identity's relay would."""
    exchange = client.app[BROKER].exchange
    body = aio_pika.Message(
        _json(event.to_json()),
        message_id=str(event.id),
        type=event.type,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )
    await exchange.publish(body, routing_key=event.type, mandatory=True, timeout=10)


def _json(data: Any) -> bytes:
    import json

    return json.dumps(data).encode()


def identity_event(event_type: str, tenant: str = TENANT, **payload: Any) -> Event:
    """An identity event with plausible values; `payload` overrides them."""
    soon = datetime.now(UTC) + timedelta(hours=24)
    base: dict[str, Any] = {
        "account_id": uuid.uuid4(),
        "email": "simon.durand@example.org",
        "display_name": "Simon Durand",
    }
    extra: dict[str, dict[str, Any]] = {
        "identity.AccountRegistered": {
            "activation_url": f"https://portail.example.fr/activer?token={uuid.uuid4().hex}",
            "expires_at": soon,
        },
        "identity.AccountActivated": {"roles": ["family"]},
        "identity.AccountInvited": {
            "roles": ["staff"],
            "invitation_url": f"https://portail.example.fr/invitation?token={uuid.uuid4().hex}",
            "expires_at": soon,
            "invited_by": uuid.uuid4(),
        },
        "identity.PasswordResetRequested": {
            "reset_url": f"https://portail.example.fr/mot-de-passe?token={uuid.uuid4().hex}",
            "expires_at": soon,
        },
        "identity.PasswordChanged": {"reason": "change", "changed_at": datetime.now(UTC)},
        "identity.EmailChangeRequested": {
            "new_email": "simon.nouveau@example.org",
            "confirmation_url": f"https://portail.example.fr/email?token={uuid.uuid4().hex}",
            "expires_at": soon,
        },
        "identity.EmailChanged": {"old_email": "simon.ancien@example.org"},
        "identity.AccountLocked": {
            "locked_until": datetime.now(UTC) + timedelta(minutes=15),
            "failed_attempts": 5,
        },
        "identity.AccountAnnounced": {"roles": ["family"], "status": "active"},
    }
    return new_event(
        event_type,
        {**base, **extra[event_type], **payload},
        tenant_id=tenant,
        producer="identity",
    )


def family_event(event_type: str, tenant: str = TENANT, **payload: Any) -> Event:
    """A family event with plausible values; `payload` overrides them (household_id and
    account_ids are usually given)."""
    base: dict[str, Any] = {"household_id": uuid.uuid4(), "account_ids": []}
    document = {
        "document_id": uuid.uuid4(),
        "child_id": None,
        "document_type": "attestation_caf",
        "document_label": "Attestation CAF",
    }
    extra: dict[str, dict[str, Any]] = {
        "family.HouseholdLinked": {"account_id": uuid.uuid4(), "linked_by": "subscriber_code"},
        "family.ChangeRequestDecided": {
            "change_id": uuid.uuid4(),
            "entity": "guardian",
            "operation": "update",
            "summary": "Modification d'un responsable : Simon Durand",
            "decision": "approved",
            "reason": None,
            "submitted_by": uuid.uuid4(),
        },
        "family.DocumentValidated": {**document, "valid_until": None},
        "family.DocumentRejected": {**document, "reason": "Document illisible"},
        "family.RequestAnswered": {
            "request_id": uuid.uuid4(),
            "child_id": None,
            "topic": "other",
            "topic_label": "Autre demande",
            "subject": "Question sur la cantine",
            "status": "answered",
        },
    }
    extra["family.HouseholdAnonymised"] = {"deletion_request_id": None}
    extra["family.HouseholdCreationRejected"] = {"change_id": uuid.uuid4(), "reason": "Refusé"}
    values = {**base, **extra[event_type], **payload}
    if event_type in ("family.HouseholdLinked", "family.HouseholdCreationRejected"):
        values.pop("account_ids")
    if event_type == "family.HouseholdCreationRejected":
        values.pop("household_id")
    return new_event(event_type, values, tenant_id=tenant, producer="family")


def booking_event(event_type: str, tenant: str = TENANT, **payload: Any) -> Event:
    """A booking event about Léa at the canteen; `payload` overrides (household_id,
    account_id and the event's own fields are usually given)."""
    base: dict[str, Any] = {
        "household_id": uuid.uuid4(),
        "account_id": None,
        "child_id": uuid.uuid4(),
        "child_first_name": "Léa",
        "activity_id": uuid.uuid4(),
        "activity_name": "Cantine",
        "activity_type": "CANTINE",
        "site": "École du Centre",
    }
    return new_event(event_type, {**base, **payload}, tenant_id=tenant, producer="booking")


def billing_event(event_type: str, tenant: str = TENANT, **payload: Any) -> Event:
    """A billing event of the canteen's régie; `payload` overrides (household_id and the
    event's own fields are usually given). Only the base values its type has are kept (a
    wallet's event names no régie)."""
    base: dict[str, Any] = {
        "regie_id": uuid.uuid4(),
        "regie_name": "Régie Enfance-Jeunesse",
        "household_id": uuid.uuid4(),
        "payer_id": uuid.uuid4(),
        "issue_date": date(2026, 12, 31),
    }
    fields = registry.schema_for(event_type, registry.latest_version(event_type)).fields
    base = {key: value for key, value in base.items() if key in fields}
    return new_event(event_type, {**base, **payload}, tenant_id=tenant, producer="billing")


def joining(conn: Any) -> UnitOfWork:
    """A unit of work in the test's open transaction (a use case applied below the inbox)."""
    return UnitOfWork.joining(conn, producer="notify")


def booked_days(*days: Any, late: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [{"booking_id": uuid.uuid4(), "date": day, "late": day in late} for day in days]


SIMON, CLAIRE = "simon.durand@example.org", "claire.durand@example.org"
AGENT = "regisseur@epagnymetztessy.fr"


async def known_account(client: TestClient, email: str, name: str, roles: list[str]) -> uuid.UUID:
    """An account identity told notify about (an invitation without link: no email of its own)."""
    account_id = uuid.uuid4()
    await publish(
        client,
        identity_event(
            "identity.AccountInvited",
            account_id=account_id,
            email=email,
            display_name=name,
            roles=roles,
            invitation_url=None,
            expires_at=None,
        ),
    )
    pool = client.app[POOL]

    async def recorded() -> Any:
        return await pool.fetchval(
            "SELECT email FROM accounts WHERE tenant = $1 AND account_id = $2", TENANT, account_id
        )

    assert await eventually(recorded) == email
    return account_id


async def durand_family(
    client: TestClient, tokens: Any
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]:
    """The tenant's settings; Simon and Claire linked to their household, and an agent of the
    régie (staff): (household, simon, claire, agent)."""
    r = await client.put(
        f"/tenants/{TENANT}/settings",
        json=CONTACT,
        headers=tokens.header(tenant=TENANT, roles=("admin",)),
    )
    assert r.status == 200, await r.text()
    simon = await known_account(client, SIMON, "Simon Durand", ["family"])
    claire = await known_account(client, CLAIRE, "Claire Durand", ["family"])
    agent = await known_account(client, AGENT, "Régisseur", ["staff"])
    household_id = uuid.uuid4()
    for account_id in (simon, claire):
        await publish(
            client,
            family_event(
                "family.HouseholdLinked", household_id=household_id, account_id=account_id
            ),
        )
    pool = client.app[POOL]

    async def linked() -> bool:
        count = await pool.fetchval(
            "SELECT count(*) FROM household_members WHERE household_id = $1", household_id
        )
        return count == 2

    await eventually(linked)
    return household_id, simon, claire, agent


async def delivered(smtp: RecordingHandler, count: int) -> list[Any]:
    """The messages the SMTP server accepted, once there are at least `count`."""

    async def enough() -> bool:
        return len(smtp.messages) >= count

    await eventually(enough)
    return smtp.messages


def text_of(message: Any) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_of(message: Any) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


class Helpers:
    """Test modules cannot import this conftest (importlib mode): they use these through it."""

    SIMON = SIMON
    CLAIRE = CLAIRE
    AGENT = AGENT
    known_account = staticmethod(known_account)
    durand_family = staticmethod(durand_family)
    delivered = staticmethod(delivered)
    text_of = staticmethod(text_of)
    html_of = staticmethod(html_of)

    TENANT = TENANT
    CONTACT = CONTACT
    publish = staticmethod(publish)
    identity_event = staticmethod(identity_event)
    family_event = staticmethod(family_event)
    booking_event = staticmethod(booking_event)
    billing_event = staticmethod(billing_event)
    booked_days = staticmethod(booked_days)
    joining = staticmethod(joining)


@pytest.fixture
def h() -> type[Helpers]:
    return Helpers

"""Fixtures of the family service tests: the service against the test Postgres and bus."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from family.app import create_app
from family.settings import FamilySettings
from family.state import VAULT
from shared.keys import POOL
from shared.testing.bus import EventTap
from shared.testing.plugin import AMQP_URL
from shared.testing.tokens import TokenFactory

FAMILY_EVENTS = [
    "family.HouseholdCreated",
    "family.HouseholdLinked",
    "family.ChildRegistered",
    "family.ChildUpdated",
    "family.QuotientChanged",
    "family.ChangeRequestDecided",
    "family.DocumentUploaded",
    "family.DocumentValidated",
    "family.DocumentRejected",
    "family.RequestAnswered",
    "family.HouseholdCreationRejected",
    "family.HouseholdAnonymised",
    "family.BilledGuardianChanged",
]

# The smallest files each detector accepts (content decides, never the name).
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 40


def guardian(first: str = "Claire", last: str = "Martin", **extra: Any) -> dict[str, Any]:
    return {
        "first_name": first,
        "last_name": last,
        "birth_date": "1986-04-12",
        "relationship": "mother",
        "email": f"{first.lower()}.{last.lower()}@example.fr",
        "phones": ["06 12 34 56 78"],
        "employer": "Boulangerie du Lac",
        "fiscal": {"reference_income": 38000, "shares": 2.5},
        **extra,
    }


def child(first: str = "Léa", last: str = "Martin", **extra: Any) -> dict[str, Any]:
    return {
        "first_name": first,
        "last_name": last,
        "birth_date": "2016-09-03",
        "sex": "F",
        "school": "École du Centre",
        "grade": "CM1",
        "diet": "no_pork",
        "image_rights": True,
        **extra,
    }


ADDRESS = {"line1": "12 rue des Tilleuls", "postal_code": "74330", "city": "Epagny"}


@dataclass
class Town:
    """Drives the family API as staff and families of one or more tenants would."""

    client: TestClient
    settings: FamilySettings
    tokens: TokenFactory
    tap: EventTap
    staff_ids: dict[str, str] = field(default_factory=dict)
    guardian = staticmethod(guardian)
    child = staticmethod(child)
    ADDRESS = ADDRESS
    PDF, PNG, JPEG = PDF, PNG, JPEG

    @property
    def pool(self) -> Any:
        return self.client.app[POOL]

    @property
    def vault(self) -> Any:
        return self.client.app[VAULT]

    def staff(self, tenant: str = "epagny", role: str = "staff") -> dict[str, str]:
        account = self.staff_ids.setdefault(f"{tenant}:{role}", str(uuid.uuid4()))
        return self.tokens.header(tenant=tenant, roles=(role,), account_id=account)

    def family(
        self, account_id: str | None = None, tenant: str = "epagny", **claims: Any
    ) -> dict[str, str]:
        return self.tokens.header(
            tenant=tenant, roles=("family",), account_id=account_id or str(uuid.uuid4()), **claims
        )

    async def call(
        self, method: str, path: str, headers: dict[str, str], body: Any = None, status: int = 200
    ) -> Any:
        r = await self.client.request(method, path, json=body, headers=headers)
        assert r.status == status, f"{method} {path}: {r.status} {await r.text()}"
        if r.status == 204:
            return None
        return await r.json()

    async def household(
        self, tenant: str = "epagny", *, guardians: Any = None, children: Any = None
    ) -> dict[str, Any]:
        return await self.call(
            "POST",
            f"/tenants/{tenant}/households",
            self.staff(tenant),
            {
                "address": ADDRESS,
                "phones": ["04 50 11 22 33"],
                "guardians": guardians or [guardian()],
                "children": [child()] if children is None else children,
            },
            status=201,
        )

    async def linked_family(
        self, household: dict[str, Any], tenant: str = "epagny"
    ) -> dict[str, str]:
        """A family account linked to the household with its subscriber code."""
        account = str(uuid.uuid4())
        headers = self.family(account, tenant)
        await self.call(
            "POST",
            f"/tenants/{tenant}/me/household/link",
            headers,
            {"code": household["subscriber_code"]},
        )
        return self.family(account, tenant, household_id=household["id"])

    async def upload(
        self,
        path: str,
        headers: dict[str, str],
        *,
        content: bytes | None = PDF,
        filename: str = "scan.pdf",
        declared: str = "application/pdf",
        status: int | None = 201,
        **fields: str,
    ) -> Any:
        """POST a multipart form: text fields plus `file` (unless content is None)."""
        form = aiohttp.FormData(default_to_multipart=True)
        for name, value in fields.items():
            form.add_field(name, value)
        if content is not None:
            form.add_field("file", content, filename=filename, content_type=declared)
        r = await self.client.post(path, data=form, headers=headers)
        if status is not None:
            assert r.status == status, f"POST {path}: {r.status} {await r.text()}"
        return r if status is None else await r.json()

    async def events(self, event_type: str, count: int = 1) -> list[dict[str, Any]]:
        return await self.tap.wait_for(count, event_type=event_type)


@pytest.fixture
def family_settings(make_settings: Callable[..., Any]) -> FamilySettings:
    return make_settings(FamilySettings, link_window_minutes=0.05)


@pytest.fixture
async def tap(bus_namespace: Any) -> AsyncIterator[EventTap]:
    async with EventTap(AMQP_URL, bus_namespace.name, FAMILY_EVENTS) as tap:
        yield tap


@pytest.fixture
async def town(
    aiohttp_client: Any, family_settings: FamilySettings, tokens: TokenFactory, tap: EventTap
) -> AsyncIterator[Town]:
    client = await aiohttp_client(create_app(family_settings))
    yield Town(client, family_settings, tokens, tap)

"""The demo municipality and its accounts (development only), from `demo/accounts.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from identity import store
from identity.domain.tenants import Tenant
from identity.state import IdentityState, utcnow
from identity.usecases.audit import Origin
from shared.uow import UnitOfWork

DEMO_FILE = Path(__file__).parent.parent / "demo" / "accounts.json"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    display_name: str
    roles: list[str]
    sites: list[str] = field(default_factory=list)  # an animator's


@dataclass(frozen=True)
class Demo:
    tenant: Tenant
    password: str  # every demo account's (published: development only)
    accounts: list[DemoAccount]

    @classmethod
    def read(cls, path: Path = DEMO_FILE) -> Demo:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            tenant=Tenant(**data["tenant"]),
            password=data["password"],
            accounts=[DemoAccount(**account) for account in data["accounts"]],
        )


@dataclass(frozen=True)
class DemoLoaded:
    tenant_created: bool
    created: dict[str, list[str] | None]  # email -> roles, None when already present


async def load_demo(
    uow: UnitOfWork, state: IdentityState, demo: Demo, *, origin: Origin
) -> DemoLoaded:
    """Create what is missing of the demo municipality and its active accounts (which have
    accepted its terms); leave alone whatever exists, even if changed since."""
    now = utcnow()
    password_hash = await state.hasher.hash(demo.password)
    slug = demo.tenant.slug
    created: dict[str, list[str] | None] = {}
    async with uow:
        tenant_created = await store.insert_tenant(uow.conn, demo.tenant)
        for wanted in demo.accounts:
            account = await store.insert_account(
                uow.conn,
                tenant=slug,
                email=wanted.email,
                display_name=wanted.display_name,
                roles=wanted.roles,
                status="active",
                password_hash=password_hash,
                sites=wanted.sites,
                now=now,
            )
            if account is None:
                created[wanted.email] = None
                continue
            await store.accept_terms(uow.conn, account.id, demo.tenant.terms_version or 1, now=now)
            await store.audit(
                uow.conn,
                origin.entry(
                    slug,
                    "account_created",
                    account_id=account.id,
                    login=wanted.email,
                    details={"roles": wanted.roles, "mode": "demo"},
                ),
            )
            # Told like any activation, so that the other services (notify's address book)
            # know the demo accounts as they would know real ones.
            uow.emit(
                "identity.AccountActivated",
                {
                    "account_id": account.id,
                    "email": account.email,
                    "display_name": account.display_name,
                    "roles": account.roles,
                },
            )
            created[wanted.email] = account.roles
    return DemoLoaded(tenant_created, created)

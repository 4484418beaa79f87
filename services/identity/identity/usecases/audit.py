"""The audit log: who did what, when, from where."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from identity import store


@dataclass(frozen=True)
class Origin:
    """Where a change comes from, as the audit log keeps it: a client's address and user
    agent, or a command's name."""

    ip: str | None = None
    user_agent: str | None = None

    def entry(self, tenant: str, action: str, **details: Any) -> store.AuditEntry:
        return store.AuditEntry(
            tenant=tenant, action=action, ip=self.ip, user_agent=self.user_agent, **details
        )


async def audit_log(
    pool: asyncpg.Pool,
    tenant: str,
    *,
    action: str | None,
    account_id: uuid.UUID | None,
    limit: int,
    offset: int,
    email: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    rows, total = await store.audit_entries(
        pool,
        tenant,
        action=action,
        account_id=account_id,
        email=email,
        limit=limit,
        offset=offset,
    )
    return [dict(row) for row in rows], total

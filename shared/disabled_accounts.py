"""Accounts identity disabled: every service refuses their access tokens at once, instead of
accepting them until they expire (ACCESS_TOKEN_MINUTES).

Each service keeps its own copy, fed by identity.AccountDisabled / AccountEnabled (and
AccountAnnounced, for the accounts disabled before the service was deployed) through
its own queue into its `account_access` table (shared migration 0002); the authentication
middleware checks an in-memory set of the disabled ids, which the handler updates at once
in the process that got the event and every process re-reads every
DISABLED_ACCOUNTS_REFRESH_SECONDS (the other processes of the service learn it there).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web

from shared.events.consumer import HandlerContext
from shared.events.envelope import Event
from shared.keys import POOL, SETTINGS
from shared.logging import get_logger

log = get_logger(__name__)


class DisabledAccounts:
    """The ids (as in tokens' `sub`) of the accounts whose tokens are refused."""

    def __init__(self) -> None:
        self.ids: frozenset[str] = frozenset()

    def __contains__(self, account_id: object) -> bool:
        return account_id in self.ids

    async def reload(self, conn: asyncpg.Connection | asyncpg.Pool) -> None:
        rows = await conn.fetch("SELECT account_id FROM account_access WHERE disabled")
        self.ids = frozenset(str(r["account_id"]) for r in rows)

    def set(self, account_id: str, disabled: bool) -> None:
        self.ids = self.ids | {account_id} if disabled else self.ids - {account_id}


DISABLED_ACCOUNTS = web.AppKey("disabled_accounts", DisabledAccounts)


async def _record(ctx: HandlerContext, event: Event, *, disabled: bool) -> None:
    account_id = event.payload["account_id"]
    changed = await ctx.conn.fetchval(
        """
        INSERT INTO account_access (account_id, tenant, disabled, changed_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (account_id) DO UPDATE
            SET disabled = EXCLUDED.disabled, changed_at = EXCLUDED.changed_at
            WHERE account_access.changed_at < EXCLUDED.changed_at
        RETURNING true
        """,
        account_id,
        event.tenant_id,
        disabled,
        event.occurred_at,
    )
    if changed:
        ctx.app[DISABLED_ACCOUNTS].set(str(account_id), disabled)
        log.info("account_access_changed", account_id=str(account_id), disabled=disabled)


async def on_account_disabled(ctx: HandlerContext, event: Event) -> None:
    await _record(ctx, event, disabled=True)


async def on_account_enabled(ctx: HandlerContext, event: Event) -> None:
    await _record(ctx, event, disabled=False)


async def on_account_announced(ctx: HandlerContext, event: Event) -> None:
    await _record(ctx, event, disabled=event.payload["status"] == "disabled")


HANDLERS = {
    "identity.AccountDisabled": on_account_disabled,
    "identity.AccountEnabled": on_account_enabled,
    "identity.AccountAnnounced": on_account_announced,
}


async def refresh_context(app: web.Application) -> AsyncIterator[None]:
    """Loads the disabled accounts at start, then re-reads them periodically."""
    disabled = app[DISABLED_ACCOUNTS]
    interval = app[SETTINGS].disabled_accounts_refresh_seconds

    async def refresh() -> None:
        while True:
            try:
                await disabled.reload(app[POOL])
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("disabled_accounts_refresh_failed", error=repr(exc))
            await asyncio.sleep(interval)

    task = asyncio.create_task(refresh(), name="disabled-accounts")
    yield
    task.cancel()

"""An account identity disables is refused by every service at once, through the bus: the
process that hears the event at once, the service's other processes within the refresh
interval, and an older event arriving late never undoes a newer one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.disabled_accounts import DISABLED_ACCOUNTS, DisabledAccounts
from shared.events import outbox
from shared.events.envelope import new_event
from shared.keys import CONSUMERS, POOL
from shared.testing.bus import eventually

from .test_auth import assert_401, post_note


async def announce(sample: Any, type: str, account_id: str, **payload: Any) -> None:
    """Identity's event, published through the bus (here from the sample's own outbox)."""
    event = new_event(
        type, {"account_id": account_id, **payload}, tenant_id="testville", producer="identity"
    )
    async with sample.app[POOL].acquire() as conn, conn.transaction():
        await outbox.record(conn, event)


async def test_a_disabled_account_is_refused_at_once_and_enabled_again(sample, tokens):
    async def consuming() -> bool:
        return all(consumer.running for consumer in sample.app[CONSUMERS])

    await eventually(consuming, timeout=20)
    account, admin = str(uuid.uuid4()), str(uuid.uuid4())
    headers = tokens.header(roles=("staff",), account_id=account)
    other = tokens.header(roles=("staff",), account_id=str(uuid.uuid4()))
    assert (await post_note(sample, headers)).status == 201

    await announce(sample, "identity.AccountDisabled", account, disabled_by=admin)

    async def refused() -> bool:
        return (await post_note(sample, headers)).status == 401

    await eventually(refused, timeout=15, interval=0.1)
    await assert_401(await post_note(sample, headers))  # the token itself is still valid
    assert (await post_note(sample, other)).status == 201  # nobody else is affected
    # Another process of the service learns it from the table.
    elsewhere = DisabledAccounts()
    await elsewhere.reload(sample.app[POOL])
    assert account in elsewhere

    await announce(sample, "identity.AccountEnabled", account, enabled_by=admin)

    async def accepted() -> bool:
        return (await post_note(sample, headers)).status == 201

    await eventually(accepted, timeout=15, interval=0.1)
    await elsewhere.reload(sample.app[POOL])
    assert account not in elsewhere


async def test_an_older_event_arriving_late_changes_nothing(sample):
    """A retried AccountDisabled from before the AccountEnabled must not disable again."""
    from shared.disabled_accounts import on_account_disabled, on_account_enabled
    from shared.events.consumer import HandlerContext

    account = uuid.uuid4()
    now = datetime.now(UTC)

    def event(type: str, at: datetime, **payload: Any) -> Any:
        built = new_event(
            type,
            {"account_id": account, **payload},
            tenant_id="testville",
            producer="identity",
        )
        return built.__class__(**{**built.__dict__, "occurred_at": at})

    async with sample.app[POOL].acquire() as conn, conn.transaction():
        ctx = HandlerContext(conn=conn, app=sample.app)
        await on_account_enabled(ctx, event("identity.AccountEnabled", now, enabled_by=account))
        late = event("identity.AccountDisabled", now - timedelta(seconds=5), disabled_by=account)
        await on_account_disabled(ctx, late)
        assert str(account) not in sample.app[DISABLED_ACCOUNTS]
        disabled = await conn.fetchval(
            "SELECT disabled FROM account_access WHERE account_id = $1", account
        )
        assert disabled is False


async def test_an_announced_disabled_account_is_refused(sample, tokens):
    """A service deployed after an account was disabled learns it from announce-accounts."""

    async def consuming() -> bool:
        return all(consumer.running for consumer in sample.app[CONSUMERS])

    await eventually(consuming, timeout=20)
    account = str(uuid.uuid4())
    headers = tokens.header(roles=("staff",), account_id=account)
    assert (await post_note(sample, headers)).status == 201
    await announce(
        sample,
        "identity.AccountAnnounced",
        account,
        email="ancien.agent@example.org",
        display_name="Ancien Agent",
        roles=["staff"],
        status="disabled",
    )

    async def refused() -> bool:
        return (await post_note(sample, headers)).status == 401

    await eventually(refused, timeout=15, interval=0.1)

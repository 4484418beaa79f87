"""The account's subscriptions ("Mes abonnements"): its households (family), and a switch to
another one (identity), whose new tokens replace the session's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from shared.logging import get_logger
from web.apis import Apis, ApiUnavailable
from web.domain import subscriptions
from web.usecases import sessions

log = get_logger(__name__)


async def households(apis: Apis, tenant: str, access_token: str) -> list[dict[str, Any]] | None:
    """The account's households, the current one marked; None when family cannot say."""
    try:
        answer = await apis.call(
            "family", "GET", f"/tenants/{tenant}/accounts/me/households", token=access_token
        )
    except ApiUnavailable:
        return None
    if not answer.ok or not isinstance(answer.body, dict):
        return None
    return list(answer.body.get("items") or [])


async def remember(
    pool: asyncpg.Pool, session: sessions.Session, items: list[dict[str, Any]]
) -> None:
    """The header's switcher: kept in the session, read by every page."""
    await sessions.remember(pool, session, **subscriptions.summary(items))


async def switched(
    pool: asyncpg.Pool,
    apis: Apis,
    session: sessions.Session,
    tokens: dict[str, Any],
    *,
    now: datetime,
) -> str:
    """identity switched the account to another household and gave a new session's
    `tokens`: they replace the session's, the old identity session ends, what the session
    kept of the other household is forgotten; returns the notice to show."""
    previous_refresh = session.refresh_token
    await sessions.new_tokens(pool, apis, session, tokens, now=now)
    forgotten = dict.fromkeys(subscriptions.PER_HOUSEHOLD_KEYS)
    await sessions.remember(pool, session, **forgotten)
    if previous_refresh and previous_refresh != tokens.get("refresh_token"):
        try:  # the old tokens name the other household: their session is over
            await apis.call(
                "identity",
                "POST",
                f"/tenants/{session.tenant}/logout",
                json={"refresh_token": previous_refresh},
            )
        except ApiUnavailable:
            log.warning("household_switch_logout_failed", account_id=session.account_id)
    items = await households(apis, session.tenant, tokens["access_token"]) or []
    await remember(pool, session, items)
    on = subscriptions.current(items)
    return subscriptions.switched_notice(str(on["label"]) if on else None)

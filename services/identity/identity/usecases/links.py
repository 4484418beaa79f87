"""Single-use links: made, opened, and the requests that send them (forgotten password,
activation resent), which look the same whether or not the email has an account."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from identity import store
from identity.domain.accounts import Account
from identity.domain.errors import InvalidLink
from identity.domain.links import SECRETS, LinkToken, check_usable, link_url
from identity.domain.secret_tokens import looks_like_token, new_secret_token, token_digest
from identity.settings import IdentitySettings
from identity.state import utcnow
from identity.usecases.audit import Origin
from shared.uow import UnitOfWork


def link_ttl(settings: IdentitySettings, purpose: str) -> timedelta:
    return {
        "activation": timedelta(hours=settings.activation_link_hours),
        "email-change": timedelta(hours=settings.email_link_hours),
        "invitation": timedelta(hours=settings.invitation_link_hours),
        "password-reset": timedelta(minutes=settings.reset_link_minutes),
    }[purpose]


async def new_link(
    conn: asyncpg.Connection,
    settings: IdentitySettings,
    account: Account,
    purpose: str,
    *,
    now: datetime,
    new_email: str | None = None,
) -> tuple[str, datetime]:
    """A new link of this purpose for the account (its older ones stop working): its URL on
    the portal and when it expires."""
    secret = new_secret_token(SECRETS[purpose])
    expires_at = now + link_ttl(settings, purpose)
    await store.insert_link(
        conn,
        digest=secret.digest,
        purpose=purpose,
        account_id=account.id,
        tenant=account.tenant,
        expires_at=expires_at,
        now=now,
        new_email=new_email,
    )
    return link_url(settings.base_url, account.tenant, purpose, secret.value), expires_at


async def open_link(
    conn: asyncpg.Connection | asyncpg.Pool,
    tenant: str,
    purpose: str,
    value: str,
    *,
    now: datetime,
    for_update: bool,
) -> tuple[str, LinkToken]:
    """The link behind `value` (its digest, and itself locked when `for_update`) if it can
    still be used; raises the problem a family can act on otherwise."""
    if not looks_like_token(value):
        raise InvalidLink()
    digest = token_digest(SECRETS[purpose], value)
    link = await store.get_link(conn, digest, for_update=for_update)
    return digest, check_usable(link, purpose=purpose, tenant=tenant, now=now)


SendLink = Callable[[UnitOfWork, Account, datetime], Awaitable[None]]


async def link_request(
    uow: UnitOfWork,
    settings: IdentitySettings,
    tenant: str,
    email: str,
    purpose: str,
    *,
    eligible: Callable[[Account], bool],
    send: SendLink,
    sent_action: str,
    origin: Origin,
    by_login: bool = False,
) -> None:
    """A forgotten-password or activation-resend request, answered the same way whether or
    not the email has an account: both paths run one transaction of the same shape (lock,
    count and record the request, look the account up, write the link and its event, write
    the audit log); when nothing is to be sent, the link statements match no row. With
    `by_login`, the text may also be a login identifier (as login accepts it).

    Throttled (per email and address, per email, per address, over a sliding window):
    nothing is sent, the answer is the same, the audit log says so.
    """
    limits = store.LinkRequestLimits(
        window=settings.link_request_window,
        per_pair=settings.link_requests_per_pair,
        per_email=settings.link_requests_per_email,
        per_address=settings.link_requests_per_address,
    )
    now = utcnow()
    async with uow:
        over = await store.record_link_request(
            uow.conn,
            tenant=tenant,
            purpose=purpose,
            email=email,
            ip=origin.ip or "",
            now=now,
            limits=limits,
        )
        # by_login: `email` is what the family typed to log in (an email, or the part before
        # its @ when exactly one account has it), looked up as login does.
        find = store.find_by_login if by_login else store.find_by_email
        account = await find(uow.conn, tenant, email)
        details: dict[str, Any] = {"purpose": purpose}
        prefix = purpose.replace("-", "_")
        if over is not None:
            action = f"{prefix}_request_throttled"
            details["limit"] = over
            await store.link_writes_matching_nothing(uow.conn, now=now)
        elif account is None or not eligible(account):
            action = f"{prefix}_request_ignored"
            details["reason"] = "unknown_email" if account is None else account.status
            await store.link_writes_matching_nothing(uow.conn, now=now)
        else:
            await send(uow, account, now)
            action = sent_action
        await store.audit(
            uow.conn,
            origin.entry(
                tenant, action, account_id=account and account.id, login=email, details=details
            ),
        )

"""Sign-up of a family: the captcha, the pending account, its activation link (resent on
request) and its activation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from identity import store
from identity.domain.accounts import Account, account_payload, check_new_password
from identity.domain.errors import CaptchaRefused, InvalidLink
from identity.state import IdentityState, utcnow
from identity.usecases.audit import Origin
from identity.usecases.links import link_request, new_link, open_link
from identity.usecases.tenants import require_tenant
from shared.uow import UnitOfWork

_CAPTCHA_DETAILS = {
    "expired": "La vérification anti-robot a expiré ; merci de la refaire.",
    "replayed": "Cette vérification anti-robot a déjà servi ; merci de la refaire.",
}


async def captcha_challenge(pool: asyncpg.Pool, state: IdentityState, slug: str) -> dict[str, Any]:
    """An ALTCHA proof-of-work challenge for the sign-up form."""
    await require_tenant(pool, slug)
    return state.captcha.create_challenge(now=utcnow())


async def signup(
    uow: UnitOfWork,
    pool: asyncpg.Pool,
    state: IdentityState,
    slug: str,
    *,
    email: str,
    display_name: str,
    password: str,
    captcha: str,
    origin: Origin,
) -> None:
    """A pending family account and its activation link (AccountRegistered). The same
    outcome, as seen from outside, when the email already has an account: nothing is
    created or sent, the attempt is only written to the audit log."""
    tenant = await require_tenant(pool, slug)
    check_new_password(tenant, password, email=email, names=[display_name], field="password")
    now = utcnow()
    verdict = state.captcha.verify(captcha, now=now)
    if not verdict.ok:
        raise CaptchaRefused(_CAPTCHA_DETAILS.get(verdict.outcome))
    assert verdict.replay_key is not None and verdict.expires_at is not None
    # Remembered at once, on its own, before the costly hashing: a solution sent many
    # times at once costs one hash, the others wait for this row and are refused.
    if not await store.remember_captcha(pool, verdict.replay_key, verdict.expires_at, now):
        raise CaptchaRefused(_CAPTCHA_DETAILS["replayed"])
    # Hash even for a known email: both answers take the same time.
    password_hash = await state.hasher.hash(password)
    async with uow:
        account = await store.insert_account(
            uow.conn,
            tenant=slug,
            email=email,
            display_name=display_name,
            roles=["family"],
            status="pending",
            password_hash=password_hash,
            now=now,
        )
        if account is None:
            await store.audit(uow.conn, origin.entry(slug, "signup_existing_email", login=email))
        else:
            await _send_activation(uow, state, account, now)
            await store.audit(
                uow.conn, origin.entry(slug, "signup", account_id=account.id, login=email)
            )


async def _send_activation(
    uow: UnitOfWork, state: IdentityState, account: Account, now: datetime
) -> None:
    url, expires_at = await new_link(uow.conn, state.settings, account, "activation", now=now)
    uow.emit(
        "identity.AccountRegistered",
        account_payload(account, activation_url=url, expires_at=expires_at),
    )


async def activate(uow: UnitOfWork, slug: str, token: str, *, origin: Origin) -> Account:
    """Use the activation link: a pending account becomes active (AccountActivated). A link
    of an account activated meanwhile (by a reset link) is simply spent."""
    now = utcnow()
    async with uow:
        digest, link = await open_link(
            uow.conn, slug, "activation", token, now=now, for_update=True
        )
        account = await store.get_account(uow.conn, slug, link.account_id, for_update=True)
        if account is None:
            raise InvalidLink()
        await store.use_link(uow.conn, digest, now=now)
        if account.status == "pending":
            await store.activate_account(uow.conn, account.id, now=now)
            uow.emit("identity.AccountActivated", account_payload(account, roles=account.roles))
            await store.audit(
                uow.conn, origin.entry(slug, "account_activated", account_id=account.id)
            )
    return account


async def resend_activation(
    uow: UnitOfWork,
    pool: asyncpg.Pool,
    state: IdentityState,
    slug: str,
    email: str,
    *,
    origin: Origin,
) -> None:
    """A new activation link when the email has a pending account; the same answer, the
    same work and about the same time otherwise."""
    await require_tenant(pool, slug)

    async def send(uow: UnitOfWork, account: Account, now: datetime) -> None:
        await _send_activation(uow, state, account, now)

    await link_request(
        uow,
        state.settings,
        slug,
        email,
        "activation",
        eligible=lambda account: account.status == "pending",
        send=send,
        sent_action="activation_resent",
        origin=origin,
    )

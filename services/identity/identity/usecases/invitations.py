"""An invited account: created by staff or by the command that creates a municipality, with
an invitation link to choose a password, or a temporary password to change at first login;
announced as AccountInvited (notify emails the link). Accepted in `passwords`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from identity import store
from identity.domain.accounts import Account, account_payload
from identity.domain.errors import AccountExists
from identity.domain.passwords import temporary_password
from identity.settings import IdentitySettings
from identity.state import IdentityState
from identity.usecases.links import new_link
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class Invitation:
    account: Account
    temporary_password: str | None  # shown once, never stored in clear
    url: str | None  # the invitation link, when there is no temporary password
    expires_at: datetime | None


async def temporary_password_hash(
    state: IdentityState, wanted: bool
) -> tuple[str | None, str | None]:
    """A temporary password and its hash when one is wanted (hashed before the unit of work:
    argon2 must not hold a connection)."""
    if not wanted:
        return None, None
    password = temporary_password()
    return password, await state.hasher.hash(password)


async def invite(
    uow: UnitOfWork,
    settings: IdentitySettings,
    tenant: str,
    *,
    email: str,
    display_name: str,
    roles: list[str],
    temporary_password: str | None,
    password_hash: str | None,
    invited_by: uuid.UUID | None,
    now: datetime,
    sites: list[str] | None = None,
) -> Invitation:
    """Create the account in the open unit of work (`invited_by` None: it invites itself)."""
    account = await store.insert_account(
        uow.conn,
        tenant=tenant,
        email=email,
        display_name=display_name,
        roles=roles,
        status="active" if temporary_password else "invited",
        password_hash=password_hash,
        must_change_password=temporary_password is not None,
        sites=sites,
        now=now,
    )
    if account is None:
        raise AccountExists()
    url = expires_at = None
    if temporary_password is None:
        url, expires_at = await new_link(uow.conn, settings, account, "invitation", now=now)
    uow.emit(
        "identity.AccountInvited",
        account_payload(
            account,
            roles=account.roles,
            invitation_url=url,
            expires_at=expires_at,
            invited_by=invited_by or account.id,
        ),
    )
    return Invitation(account, temporary_password, url, expires_at)

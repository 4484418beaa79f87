"""An account, and the rules about accounts: who may create which, passwords, terms."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from identity.domain.errors import (
    CannotRemoveOwnAdmin,
    RoleNotAllowed,
    SitesOnlyForAnimators,
    SitesRequired,
    WeakPassword,
)
from identity.domain.passwords import PasswordPolicy
from identity.domain.tenants import Tenant

# The roles of a municipality's first account (python -m identity create-tenant).
FIRST_ADMIN_ROLES = ["admin", "staff"]


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    tenant: str
    email: str
    display_name: str
    roles: list[str]
    status: str  # pending (signed up), invited, active, disabled
    password_hash: str | None
    must_change_password: bool
    household_id: uuid.UUID | None
    terms_accepted_version: int | None
    terms_accepted_at: datetime | None
    created_at: datetime
    sites: list[str] = field(default_factory=list)  # an animator's sites, else empty


def check_may_create(
    creator_roles: Iterable[str], roles: Iterable[str], sites: Iterable[str] = ()
) -> None:
    """Staff create family accounts; only an admin creates staff, admin or animator
    accounts; an animator works at one site at least, and only an animator has sites."""
    if set(roles) - {"family"} and "admin" not in set(creator_roles):
        raise RoleNotAllowed()
    check_sites(roles, sites)


def check_sites(roles: Iterable[str], sites: Iterable[str]) -> None:
    """An animator sees only the attendance of their sites: none would be a useless account,
    and sites on another role would suggest a limit that does not apply."""
    if "animator" in set(roles):
        if not list(sites):
            raise SitesRequired(errors=[{"field": "sites", "detail": SitesRequired.detail}])
    elif list(sites):
        raise SitesOnlyForAnimators(
            errors=[{"field": "sites", "detail": SitesOnlyForAnimators.detail}]
        )


def check_roles_change(
    actor: uuid.UUID, account: Account, roles: Iterable[str], sites: Iterable[str]
) -> None:
    """An admin changes a colleague's roles; never their own admin role away (the town could
    be left without an admin, and a slip would lock them out)."""
    if actor == account.id and "admin" in account.roles and "admin" not in set(roles):
        detail = CannotRemoveOwnAdmin.detail
        raise CannotRemoveOwnAdmin(errors=[{"field": "roles", "detail": detail}])
    check_sites(roles, sites)


def check_new_password(
    tenant: Tenant, password: str, *, email: str, names: list[str], field: str
) -> None:
    """The municipality's password policy; every problem at once, tied to the form field."""
    policy = PasswordPolicy(min_length=tenant.password_min_length)
    problems = policy.check(password, email=email, names=names)
    if problems:
        raise WeakPassword(
            " ".join(p.message for p in problems),
            errors=[{"field": field, "code": p.code, "detail": p.message} for p in problems],
        )


def terms_status(tenant: Tenant, account: Account) -> dict[str, Any]:
    """Which terms of use the account accepted, and whether it must accept newer ones."""
    current = tenant.terms_version
    accepted = account.terms_accepted_version
    return {
        "accepted_version": accepted,
        "accepted_at": account.terms_accepted_at,
        "current_version": current,
        "url": tenant.terms_url,
        "must_accept": current is not None and (accepted is None or accepted < current),
    }


def account_payload(account: Account, **extra: Any) -> dict[str, Any]:
    """What the events about an account say of it (notify writes to the person with it)."""
    return {
        "account_id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        **extra,
    }

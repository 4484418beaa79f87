"""Who may create which account, an animator's sites, and role changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from identity.domain.accounts import Account, check_may_create, check_roles_change
from identity.domain.errors import (
    CannotRemoveOwnAdmin,
    RoleNotAllowed,
    SitesOnlyForAnimators,
    SitesRequired,
)


def account(roles: list[str], sites: list[str] | None = None) -> Account:
    return Account(
        id=uuid.uuid4(),
        tenant="epagny",
        email="x@epagny.fr",
        display_name="X",
        roles=roles,
        status="active",
        password_hash=None,
        must_change_password=False,
        household_id=None,
        terms_accepted_version=None,
        terms_accepted_at=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        sites=sites or [],
    )


def test_staff_create_families_only() -> None:
    check_may_create({"staff"}, ["family"])
    for roles in (["staff"], ["admin"], ["animator"]):
        with pytest.raises(RoleNotAllowed):
            check_may_create({"staff"}, roles, ["École"])
    check_may_create({"admin", "staff"}, ["animator"], ["École"])


def test_an_animator_needs_a_site_and_only_an_animator_has_sites() -> None:
    with pytest.raises(SitesRequired) as caught:
        check_may_create({"admin"}, ["animator"], [])
    assert caught.value.extra["errors"][0]["field"] == "sites"
    with pytest.raises(SitesOnlyForAnimators):
        check_may_create({"admin"}, ["staff"], ["École"])


def test_an_admin_keeps_their_own_admin_role() -> None:
    me = account(["admin", "staff"])
    with pytest.raises(CannotRemoveOwnAdmin):
        check_roles_change(me.id, me, ["staff"], [])
    check_roles_change(me.id, me, ["admin"], [])
    other = account(["admin"])
    check_roles_change(me.id, other, ["staff"], [])
    with pytest.raises(SitesRequired):
        check_roles_change(me.id, other, ["animator"], [])

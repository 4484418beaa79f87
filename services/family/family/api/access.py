"""Who is calling, on which household: the two doors onto the same household file.

- staff of the tenant: ``/tenants/{t}/households/{household_id}/...``, changes applied at once;
- a family: ``/tenants/{t}/me/household/...``, its own household only (the account's link),
  every change stored as pending until staff approve it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiohttp import web

from family.domain.errors import HouseholdNotFound
from family.settings import SETTINGS, FamilySettings
from family.usecases import Actor, households, linking
from shared import tenant_features
from shared.auth import Caller, require_caller
from shared.http.requests import path_uuid
from shared.keys import POOL
from shared.uow import UnitOfWork, unit_of_work

STAFF = ("staff", "admin")
CARE = (*STAFF, "animator")  # who reads a child's care needs on the day (attendance sheet)
FAMILY = ("family",)


def actor_of(caller: Caller) -> Actor:
    return Actor(caller.tenant, uuid.UUID(caller.account_id), frozenset(caller.roles))


def staff(request: web.Request) -> Actor:
    """The staff member calling (401/403 otherwise)."""
    return actor_of(require_caller(request, roles=STAFF))


def carer(request: web.Request) -> Actor:
    """Staff, or a site animator taking attendance (401/403 otherwise)."""
    return actor_of(require_caller(request, roles=CARE))


def family(request: web.Request) -> Actor:
    """The family account calling (401/403 otherwise)."""
    return actor_of(require_caller(request, roles=FAMILY))


async def family_edits_allowed(request: web.Request, tenant: str) -> None:
    """A family's change to its household file, refused (403 feature-off) when the town
    turned family edits off (identity.TenantFeaturesChanged): it asks families to write
    instead. Staff's door never calls this."""
    await tenant_features.require(request.app[POOL], tenant, "family_edits", staff=False)


def settings(request: web.Request) -> FamilySettings:
    return request.app[SETTINGS]


def uow(request: web.Request, actor: Actor) -> UnitOfWork:
    """A new unit of work for the actor's change."""
    return unit_of_work(request.app, tenant=actor.tenant)


@dataclass(frozen=True)
class Scope:
    """The caller and the household the request is about, once access is checked."""

    actor: Actor
    household_id: uuid.UUID
    staff: bool

    @property
    def tenant(self) -> str:
        return self.actor.tenant

    @classmethod
    async def of(cls, request: web.Request) -> Scope:
        """Staff's door (the household in the path, of the tenant) or the family's (its
        linked household, which its token must not contradict)."""
        pool = request.app[POOL]
        if "household_id" in request.match_info:
            actor = staff(request)
            household_id = path_uuid(request, "household_id", HouseholdNotFound)
            await households.ensure_exists(pool, actor.tenant, household_id)
            return cls(actor, household_id, True)
        caller = require_caller(request, roles=FAMILY)
        actor = actor_of(caller)
        household_id = await linking.linked_household(
            pool, actor.tenant, actor.account_id, caller.household_id
        )
        return cls(actor, household_id, False)

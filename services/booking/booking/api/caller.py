"""Who calls, as the use cases see it: the tenant and the actor of a request (from its access
token), and the request's clock and unit of work."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from aiohttp import web

from booking.domain.actors import Actor
from booking.domain.errors import DayNotOpen
from booking.state import CLOCK
from shared import tenant_features
from shared.auth import Caller, require_caller
from shared.keys import POOL
from shared.uow import UnitOfWork, unit_of_work

STAFF = ("staff", "admin")
ANYONE = ("family", "staff", "admin")


def _household(caller: Caller) -> uuid.UUID | None:
    try:
        return uuid.UUID(caller.household_id) if caller.household_id else None
    except ValueError:
        return None  # a family not linked: refused where a household is needed (NotLinked)


def calling(request: web.Request, roles: tuple[str, ...]) -> tuple[str, Actor]:
    """The caller's tenant and who acts (refused unless the caller has one of `roles`)."""
    caller = require_caller(request, roles=roles)
    actor = Actor(uuid.UUID(caller.account_id), caller.is_staff, _household(caller))
    return caller.tenant, actor


async def online_booking_allowed(request: web.Request, tenant: str, actor: Actor) -> None:
    """A family filling or validating a basket, refused (403 feature-off) when its town turned
    online booking off (identity.TenantFeaturesChanged); staff booking for it always pass."""
    await tenant_features.require(request.app[POOL], tenant, "online_booking", staff=actor.staff)


def now(request: web.Request) -> datetime:
    return request.app[CLOCK].now()


def uow(request: web.Request, tenant: str) -> UnitOfWork:
    return unit_of_work(request.app, tenant=tenant)


def path_day(request: web.Request) -> date:
    """The `{day}` of the URL (YYYY-MM-DD); another string names no opening day."""
    try:
        return date.fromisoformat(request.match_info["day"])
    except ValueError:
        raise DayNotOpen() from None

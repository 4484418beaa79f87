"""Who may call: staff of the tenant, or a family for its own household only."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
from aiohttp import web

from billing.domain.documents import Viewer
from billing.domain.errors import NotLinked
from billing.state import CLOCK
from billing.usecases import payers
from shared import tenant_features
from shared.auth import Caller, require_caller
from shared.errors import Forbidden
from shared.keys import POOL

STAFF = ("staff", "admin")
ANYONE = ("family", "staff", "admin")


def staff(request: web.Request) -> Caller:
    return require_caller(request, STAFF)


def anyone(request: web.Request) -> Caller:
    return require_caller(request, ANYONE)


def actor(caller: Caller) -> uuid.UUID:
    return uuid.UUID(caller.account_id)


def household_of(caller: Caller) -> uuid.UUID:
    """A family's household, from its access token."""
    if not caller.household_id:
        raise NotLinked()
    try:
        return uuid.UUID(caller.household_id)
    except ValueError:
        raise NotLinked() from None


async def viewer(request: web.Request, caller: Caller) -> Viewer | None:
    """None for staff (the whole tenant); a family sees its household's joint documents and
    those of the payer tied to its account (separated parents), nothing else."""
    if caller.is_staff:
        return None
    return await payers.viewer(
        pool(request), caller.tenant, household_of(caller), uuid.UUID(caller.account_id)
    )


def own_household(caller: Caller, household_id: uuid.UUID) -> None:
    """Staff: any household of the tenant; a family: its own only."""
    if not caller.is_staff and household_of(caller) != household_id:
        raise Forbidden("Ce foyer n'est pas le vôtre.")


async def feature_allowed(request: web.Request, caller: Caller, feature: str) -> None:
    """A family's request refused (403 feature-off) when its town turned `feature` (wallet,
    direct_debit) off (identity.TenantFeaturesChanged); staff always pass."""
    await tenant_features.require(pool(request), caller.tenant, feature, staff=caller.is_staff)


def pool(request: web.Request) -> asyncpg.Pool:
    return request.app[POOL]


def now(request: web.Request) -> datetime:
    return request.app[CLOCK].now()

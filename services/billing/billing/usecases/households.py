"""What billing knows of households: from family's events (guardians' names, children,
family quotients, anonymisation) and from staff (the billing contact, residence)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from billing.domain.errors import HouseholdNotFound
from billing.store import Conn
from billing.store import families as families_store
from shared.uow import UnitOfWork


async def household_created(uow: UnitOfWork, tenant: str, payload: dict[str, Any]) -> None:
    async with uow:
        await families_store.upsert_household(
            uow.conn, tenant, payload["household_id"], payload["guardian_names"]
        )


async def child_changed(
    uow: UnitOfWork, tenant: str, payload: dict[str, Any], occurred_at: datetime
) -> None:
    async with uow:
        await families_store.ensure_household(uow.conn, tenant, payload["household_id"])
        await families_store.upsert_child(uow.conn, tenant, payload, occurred_at)


async def quotient_changed(
    uow: UnitOfWork, tenant: str, payload: dict[str, Any], occurred_at: datetime
) -> None:
    """Prices from now on use it; issued documents keep the QF they were priced with."""
    async with uow:
        await families_store.ensure_household(uow.conn, tenant, payload["household_id"])
        await families_store.upsert_quotient(uow.conn, tenant, payload, occurred_at)


async def billed_guardian_changed(uow: UnitOfWork, tenant: str, payload: dict[str, Any]) -> None:
    """The guardian the family file names as billed becomes the payer printed on the next
    documents (staff may still set another one in the billing profile afterwards); nobody
    named: the guardians' names again."""
    async with uow:
        await families_store.ensure_household(uow.conn, tenant, payload["household_id"])
        await families_store.set_payer(
            uow.conn,
            tenant,
            payload["household_id"],
            name=payload["name"],
            address=payload["address"],
            email=payload["email"],
        )


async def household_anonymised(uow: UnitOfWork, tenant: str, household_id: uuid.UUID) -> None:
    async with uow:
        await families_store.anonymise_household(uow.conn, tenant, household_id)


async def set_billing_profile(
    uow: UnitOfWork, tenant: str, household_id: uuid.UUID, data: dict[str, Any]
) -> dict[str, Any]:
    """The payer printed on the next documents, and whether the household lives in the
    town (non-resident rates)."""
    async with uow:
        row = await families_store.set_billing_profile(uow.conn, tenant, household_id, data)
        if row is None:
            raise HouseholdNotFound()
    return row


async def billing_profile(conn: Conn, tenant: str, household_id: uuid.UUID) -> dict[str, Any]:
    row = await families_store.get_household(conn, tenant, household_id)
    if row is None:
        raise HouseholdNotFound()
    return row

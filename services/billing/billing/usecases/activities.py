"""How each activity is billed (its régie, prepaid or postpaid, its unit, the attendance
rules) and its price grids per period. Kept here, keyed by booking's activity id."""

from __future__ import annotations

import uuid
from typing import Any

from billing.domain.errors import (
    ActivityNotConfigured,
    GridNotFound,
    GridOverlap,
    RegieNotFound,
)
from billing.domain.pricing import check_grid, overlaps
from billing.domain.wallet import announced_payment
from billing.store import Conn
from billing.store import catalog as catalog_store
from shared import tenant_features
from shared.uow import UnitOfWork


async def configure_activity(
    uow: UnitOfWork,
    tenant: str,
    activity_id: uuid.UUID,
    data: dict[str, Any],
    actor: uuid.UUID,
) -> dict[str, Any]:
    """How an activity is billed and paid; how it is paid (`payment`, `hold_minutes`), when
    first set or changed, is announced to booking (billing.ActivityPaymentSet), which holds
    the days paid upfront and refuses wallet activities to households without a wallet."""
    data = {"accounting_code": "", "payment": "invoice", "hold_minutes": 30, **data}
    if data.get("childcare") is None:  # meals are not childcare for the tax credit
        data["childcare"] = data["unit"] != "meal"
    async with uow:
        if await catalog_store.get_regie(uow.conn, tenant, data["regie_id"]) is None:
            raise RegieNotFound()
        before = await catalog_store.lock_activity(uow.conn, tenant, activity_id)
        row = await catalog_store.upsert_activity(uow.conn, tenant, activity_id, data, actor)
        if row is None:  # another tenant's activity id
            raise ActivityNotConfigured()
        paid = (row["payment"], row["hold_minutes"])
        if before is None or (before["payment"], before["hold_minutes"]) != paid:
            offered = (await tenant_features.features_of(uow.conn, tenant))["wallet"]
            _announce_payment(uow, tenant, row, wallet_offered=offered)
    return row


def _announce_payment(
    uow: UnitOfWork, tenant: str, row: dict[str, Any], *, wallet_offered: bool
) -> None:
    uow.emit(
        "billing.ActivityPaymentSet",
        {
            "activity_id": row["activity_id"],
            "payment": announced_payment(row["payment"], wallet_offered),
            "hold_minutes": row["hold_minutes"],
        },
        tenant=tenant,
    )


async def wallet_offered_changed(uow: UnitOfWork, tenant: str, *, offered: bool) -> int:
    """The town turned its wallet off (or on again): booking is told again how each activity
    paid from the wallet is paid now (invoiced while off), so that baskets validated from
    then on follow it; days already held keep their saga. Returns how many were told."""
    async with uow:
        rows = [
            row
            for row in await catalog_store.list_activities(uow.conn, tenant)
            if row["payment"] == "wallet"
        ]
        for row in rows:
            _announce_payment(uow, tenant, row, wallet_offered=offered)
    return len(rows)


async def activity(conn: Conn, tenant: str, activity_id: uuid.UUID) -> dict[str, Any]:
    row = await catalog_store.get_activity(conn, tenant, activity_id)
    if row is None:
        raise ActivityNotConfigured()
    return row


async def activities(
    conn: Conn, tenant: str, regie_id: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    return await catalog_store.list_activities(conn, tenant, regie_id)


def _grid_values(data: dict[str, Any]) -> dict[str, Any]:
    check_grid(data.get("brackets"), data.get("effort"), data["valid_from"], data.get("valid_to"))
    return {
        "label": data.get("label") or "",
        "valid_from": data["valid_from"],
        "valid_to": data.get("valid_to"),
        "brackets": data.get("brackets"),
        "effort": _plain(data.get("effort")),
        "late_surcharge": _plain(data.get("late_surcharge")),
        "non_resident_cents": data.get("non_resident_cents"),
    }


def _plain(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Decimals as strings in jsonb (exact, and JSON has no decimal type)."""
    if value is None:
        return None
    return {k: str(v) if not isinstance(v, int | str) else v for k, v in value.items()}


async def _check_overlap(
    conn: Any,
    tenant: str,
    activity_id: uuid.UUID,
    values: dict[str, Any],
    but: uuid.UUID | None = None,
) -> None:
    for grid in await catalog_store.activity_grids(conn, tenant, [activity_id]):
        if grid["id"] != but and overlaps(
            values["valid_from"], values["valid_to"], grid["valid_from"], grid["valid_to"]
        ):
            raise GridOverlap()


async def create_grid(
    uow: UnitOfWork, tenant: str, activity_id: uuid.UUID, data: dict[str, Any]
) -> dict[str, Any]:
    values = _grid_values(data)
    async with uow:
        # The activity row, locked, serialises the grids of one activity (no overlap race).
        if await catalog_store.lock_activity(uow.conn, tenant, activity_id) is None:
            raise ActivityNotConfigured()
        await _check_overlap(uow.conn, tenant, activity_id, values)
        row = await catalog_store.insert_grid(uow.conn, tenant, activity_id, values)
    return row


async def replace_grid(
    uow: UnitOfWork, tenant: str, grid_id: uuid.UUID, data: dict[str, Any]
) -> dict[str, Any]:
    """Prices already charged keep their amounts (each charge holds its own)."""
    values = _grid_values(data)
    async with uow:
        grid = await catalog_store.get_grid(uow.conn, tenant, grid_id)
        if grid is None:
            raise GridNotFound()
        await catalog_store.lock_activity(uow.conn, tenant, grid["activity_id"])
        await _check_overlap(uow.conn, tenant, grid["activity_id"], values, but=grid_id)
        row = await catalog_store.update_grid(uow.conn, tenant, grid_id, values)
        assert row is not None
    return row


async def delete_grid(uow: UnitOfWork, tenant: str, grid_id: uuid.UUID) -> None:
    async with uow:
        if not await catalog_store.delete_grid(uow.conn, tenant, grid_id):
            raise GridNotFound()


async def grids(conn: Conn, tenant: str, activity_id: uuid.UUID) -> list[dict[str, Any]]:
    if await catalog_store.get_activity(conn, tenant, activity_id) is None:
        raise ActivityNotConfigured()
    return await catalog_store.activity_grids(conn, tenant, [activity_id])


async def grid(conn: Conn, tenant: str, grid_id: uuid.UUID) -> dict[str, Any]:
    row = await catalog_store.get_grid(conn, tenant, grid_id)
    if row is None:
        raise GridNotFound()
    return row

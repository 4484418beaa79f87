"""Canteen menus, per ISO week: staff enter them, every account of the tenant reads a week
and the next."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from notify import store
from notify.domain import calendar, menus
from notify.domain.errors import MenuNotFound
from shared.uow import UnitOfWork


async def weeks(
    pool: asyncpg.Pool, tenant: str, day: date | None, *, timezone: str
) -> list[dict[str, Any]]:
    """The week of `day` (default: today in `timezone`) and the next, published or not."""
    shown = menus.shown_weeks(day or calendar.local_today(timezone))
    found = await store.menus(pool, tenant, shown)
    return [menus.week_view(week, found.get(week)) for week in shown]


async def put_menu(
    uow: UnitOfWork,
    tenant: str,
    week_start: date,
    days: list[dict[str, Any]],
    remarks: str | None,
) -> tuple[dict[str, Any], bool]:
    """Enter or replace a week's menus (days already checked to fall in it); (week, created)."""
    async with uow:
        menu, created = await store.put_menu(uow.conn, tenant, week_start, days, remarks)
    return menus.week_view(week_start, menu), created


async def delete_menu(uow: UnitOfWork, tenant: str, week_start: date) -> None:
    async with uow:
        if not await store.delete_menu(uow.conn, tenant, week_start):
            raise MenuNotFound()

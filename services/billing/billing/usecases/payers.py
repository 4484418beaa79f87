"""Payers and billing rules (split billing for separated parents): a household's named payers
(a guardian with their own name, address, email and family account), the rule per child
saying who pays each booked day from a date, and who sees which documents. Staff set them
(a parent asks through a request to the town); a family reads its own."""

from __future__ import annotations

import uuid
from typing import Any

from billing.domain.documents import Viewer, payer_copy
from billing.domain.errors import (
    AccountNotLinked,
    ChildNotFound,
    HouseholdNotFound,
    PayerAccountTaken,
    PayerNotFound,
    RuleExists,
    RuleNotFound,
)
from billing.domain.split import check_rule, monday
from billing.store import Conn
from billing.store import families as families_store
from shared.uow import UnitOfWork


async def viewer(conn: Conn, tenant: str, household_id: uuid.UUID, account_id: uuid.UUID) -> Viewer:
    """What a family account sees: the household's joint documents and its own payer's."""
    own = await families_store.account_payers(conn, tenant, household_id, account_id)
    return Viewer(household_id, frozenset({household_id, *own}))


async def household_linked(uow: UnitOfWork, tenant: str, payload: dict[str, Any]) -> None:
    async with uow:
        await families_store.link_account(
            uow.conn, tenant, payload["account_id"], payload["household_id"]
        )


async def _check_account(
    conn: Any, tenant: str, household_id: uuid.UUID, data: dict[str, Any], but: uuid.UUID | None
) -> None:
    account_id = data.get("account_id")
    if account_id is None:
        return
    if not await families_store.account_linked(conn, tenant, account_id, household_id):
        raise AccountNotLinked()
    if await families_store.payer_account_taken(conn, tenant, household_id, account_id, but):
        raise PayerAccountTaken()


async def create_payer(
    uow: UnitOfWork, tenant: str, household_id: uuid.UUID, data: dict[str, Any]
) -> dict[str, Any]:
    async with uow:
        if await families_store.get_household(uow.conn, tenant, household_id) is None:
            raise HouseholdNotFound()
        await _check_account(uow.conn, tenant, household_id, data, None)
        row = await families_store.insert_payer(uow.conn, tenant, household_id, data)
        if row is None:
            raise PayerAccountTaken()
    return {**row, "kind": "guardian"}


async def update_payer(
    uow: UnitOfWork, tenant: str, payer_id: uuid.UUID, data: dict[str, Any]
) -> dict[str, Any]:
    """Documents issued already keep the copy they were issued with."""
    async with uow:
        payer = await families_store.get_payer(uow.conn, tenant, payer_id)
        if payer is None:
            raise PayerNotFound()
        await _check_account(uow.conn, tenant, payer["household_id"], data, payer_id)
        row = await families_store.update_payer(uow.conn, tenant, payer_id, data)
        assert row is not None
    return {**row, "kind": "guardian"}


def _household_payer(household: dict[str, Any]) -> dict[str, Any]:
    copy = payer_copy(household)
    return {
        "id": household["household_id"],
        "household_id": household["household_id"],
        "kind": "household",
        "account_id": None,
        **copy,
    }


async def payers(
    conn: Conn, tenant: str, household_id: uuid.UUID, viewer: Viewer | None
) -> list[dict[str, Any]]:
    """The household as payer first, then its named payers (a family: those it sees)."""
    household = await families_store.get_household(conn, tenant, household_id)
    if household is None:
        raise HouseholdNotFound()
    rows = [_household_payer(household)] + [
        {**p, "kind": "guardian"}
        for p in await families_store.household_payers(conn, tenant, household_id)
    ]
    if viewer is not None:
        rows = [r for r in rows if r["id"] in viewer.payer_ids]
    return rows


async def payer(conn: Conn, tenant: str, payer_id: uuid.UUID, viewer: Viewer | None) -> None:
    """That the payer exists in the tenant and the caller may read its account."""
    if viewer is not None and payer_id not in viewer.payer_ids:
        raise PayerNotFound()
    if await families_store.get_payer(conn, tenant, payer_id) is None and (
        await families_store.get_household(conn, tenant, payer_id) is None
    ):
        raise PayerNotFound()


async def _payer_names(conn: Conn, tenant: str, household_id: uuid.UUID) -> dict[uuid.UUID, str]:
    return {p["id"]: p["name"] for p in await payers(conn, tenant, household_id, None)}


async def create_rule(
    uow: UnitOfWork,
    tenant: str,
    household_id: uuid.UUID,
    data: dict[str, Any],
    actor: uuid.UUID,
) -> dict[str, Any]:
    """Who pays the child's days booked from `effective_from` on; days charged already keep
    their payer."""
    async with uow:
        child = await families_store.get_child(uow.conn, tenant, data["child_id"])
        if child is None or child["household_id"] != household_id:
            raise ChildNotFound()
        names = await _payer_names(uow.conn, tenant, household_id)
        check_rule(
            data["kind"],
            data["payer_a"],
            data.get("payer_b"),
            reference_week=data.get("reference_week"),
            weekdays=data.get("weekdays"),
            percent_a=data.get("percent_a"),
            payers=names,
        )
        values = {
            **{k: data.get(k) for k in families_store.RULE_FIELDS},
            "reference_week": monday(data["reference_week"])
            if data.get("reference_week")
            else None,
            "weekdays": sorted(set(data["weekdays"])) if data.get("weekdays") else None,
        }
        row = await families_store.insert_rule(uow.conn, tenant, household_id, values, actor)
        if row is None:
            raise RuleExists()
    return _named(row, names)


async def delete_rule(uow: UnitOfWork, tenant: str, rule_id: uuid.UUID) -> None:
    async with uow:
        if not await families_store.delete_rule(uow.conn, tenant, rule_id):
            raise RuleNotFound()


async def rules(conn: Conn, tenant: str, household_id: uuid.UUID) -> list[dict[str, Any]]:
    names = await _payer_names(conn, tenant, household_id)
    return [
        _named(r, names) for r in await families_store.household_rules(conn, tenant, [household_id])
    ]


def _named(rule: dict[str, Any], names: dict[uuid.UUID, str]) -> dict[str, Any]:
    """A rule with its payers' names (not their contact details: the other parent's
    address is not the family's to read)."""
    return {
        **rule,
        "payer_a_name": names.get(rule["payer_a"]),
        "payer_b_name": names.get(rule["payer_b"]) if rule["payer_b"] else None,
    }

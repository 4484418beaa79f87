"""The town's permissions per child (guide 004) and the proofs it requires with a family's
changes: the lists staff keep, and the pieces other use cases call in their unit of work."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from family import store
from family.domain import catalog, situation
from family.domain.errors import CatalogEntryExists, CatalogEntryNotFound, InvalidField
from shared.uow import UnitOfWork

Conn = asyncpg.Connection | asyncpg.Pool
IMAGE_RIGHTS = situation.IMAGE_RIGHTS


# --- the town's list ----------------------------------------------------------------------


async def types(conn: Conn, tenant: str) -> list[dict[str, Any]]:
    """The town's permissions, active or not (the defaults the first time)."""
    return await store.permission_types(conn, tenant, situation.PERMISSION_TYPES)


async def add_type(uow: UnitOfWork, tenant: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A new permission (its code derived from the label unless given); returns the list."""
    code = data.get("code") or catalog.slug(data["label"])
    async with uow:
        await types(uow.conn, tenant)  # seed first
        if not await store.add_permission_type(
            uow.conn, tenant, code, data["label"], data.get("position"), data["active"]
        ):
            raise CatalogEntryExists(
                errors=[{"field": "code", "detail": CatalogEntryExists.detail}]
            )
        return await types(uow.conn, tenant)


async def update_type(
    uow: UnitOfWork, tenant: str, code: str, changes: dict[str, Any]
) -> list[dict[str, Any]]:
    """Rename, reorder, deactivate or reactivate a permission (the answers given stay)."""
    async with uow:
        await types(uow.conn, tenant)  # seed first
        if not await store.update_permission_type(uow.conn, tenant, code, changes):
            raise CatalogEntryNotFound()
        return await types(uow.conn, tenant)


# --- a child's answers ---------------------------------------------------------------------


def answers_of(data: dict[str, Any]) -> dict[str, bool]:
    """The permissions a child's change gives: `permissions`, and `image_rights` (the former
    field, the permission of the same code)."""
    answers = dict(data.get("permissions") or {})
    if "image_rights" in data and situation.IMAGE_RIGHTS not in answers:
        answers[situation.IMAGE_RIGHTS] = data["image_rights"]
    return answers


async def check_answers(conn: Conn, tenant: str, answers: dict[str, bool]) -> None:
    """InvalidField naming the first code the town does not (or no longer) ask."""
    if not answers:
        return
    active = [t["code"] for t in await types(conn, tenant) if t["active"]]
    unknown = situation.unknown_permissions(answers, active)
    if unknown:
        raise InvalidField(
            f"permissions.{unknown[0]}", "Cette autorisation n'est pas demandée par la commune."
        )


async def record_answers(
    uow: UnitOfWork,
    tenant: str,
    child_id: uuid.UUID,
    answers: dict[str, bool],
    *,
    given_by: uuid.UUID | None,
    now: datetime,
) -> None:
    """Keep a child's answers (checked against the town's list) with their date and author."""
    if not answers:
        return
    await check_answers(uow.conn, tenant, answers)
    await store.set_child_permissions(
        uow.conn, tenant, child_id, answers, given_by=given_by, now=now
    )


async def attach(conn: Conn, tenant: str, household_id: uuid.UUID, children: list[dict]) -> None:
    """Give each child (of the file) `permissions`: every active permission of the town, in
    its order, with the answer given (None: not answered)."""
    active = [t for t in await types(conn, tenant) if t["active"]]
    answers = await store.child_permissions(conn, household_id)
    given = {(p["child_id"], p["code"]): p for p in answers}
    for child in children:
        child["permissions"] = [
            {
                "code": t["code"],
                "label": t["label"],
                "granted": (given.get((child["id"], t["code"])) or {}).get("granted"),
                "given_at": (given.get((child["id"], t["code"])) or {}).get("given_at"),
                "given_by": (given.get((child["id"], t["code"])) or {}).get("given_by"),
            }
            for t in active
        ]


# --- proofs required with a family's changes -----------------------------------------------


async def proof_settings(conn: Conn, tenant: str) -> dict[str, Any]:
    """The household fields a family's change must carry a proof for (default: the address)."""
    names = await store.proof_fields(conn, tenant)
    names = list(situation.DEFAULT_PROOF_FIELDS) if names is None else names
    return {
        "proof_fields": names,
        "document_types": {n: situation.PROOF_FIELDS[n] for n in names},
    }


async def set_proof_settings(uow: UnitOfWork, tenant: str, names: list[str]) -> dict[str, Any]:
    """Staff choose the fields; the address always stays among them (guide 004)."""
    ordered = [n for n in situation.PROOF_FIELDS if n in set(names) | {"address"}]
    async with uow:
        await store.set_proof_fields(uow.conn, tenant, ordered)
        return await proof_settings(uow.conn, tenant)

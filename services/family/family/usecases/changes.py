"""Changes proposed by families: stored with what is there now, nothing applied, until
staff approve (applied through `edits.apply_change`, with their events) or reject them.
A new family's request for its own household is such a change (`new_household`)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from typing import Any

import asyncpg
from marshmallow import Schema, ValidationError

from family import store
from family.domain import catalog, situation
from family.domain import changes as change_rules
from family.domain import contacts as contact_rules
from family.domain.changes import Edit
from family.domain.errors import (
    AlreadyLinked,
    ChangeAlreadyDecided,
    ChangeNoLongerApplies,
    ChangeNotFound,
    CreationPending,
    HouseholdNotFound,
    InvalidField,
    MemberNotFound,
    NoPhoto,
)
from family.schemas import (
    ChildOut,
    ContactOut,
    GuardianOut,
    HealthOut,
    HouseholdPatchIn,
    NewHouseholdIn,
)
from family.usecases import Actor, File, permissions, utcnow
from family.usecases.documents import add_document, decide_in, ensure_room
from family.usecases.edits import apply_change, change_schema
from family.usecases.health_records import log_access, read_health
from family.usecases.households import add_household, household
from family.usecases.linking import link
from family.usecases.members import TABLES, child
from shared.errors import validation_problem
from shared.uow import UnitOfWork
from shared.vault import Sealed, Vault, aad_for

Conn = asyncpg.Connection | asyncpg.Pool

# How a member's current values are shown next to the proposed ones.
_OUT: dict[str, type[Schema]] = {
    "guardian": GuardianOut,
    "child": ChildOut,
    "contact": ContactOut,
}


def change_body(change: dict[str, Any], vault: Vault, *, reveal: bool = False) -> dict[str, Any]:
    """A change as shown: with its French summary; a health change's content (sealed) only
    when `reveal`ed."""
    body = {
        **change,
        "summary": change_rules.summary(change["entity"], change["operation"], change["label"]),
        "sensitive": change["sealed"] is not None,
    }
    if change["sealed"] is not None:
        body["before"] = body["proposed"] = None
        if reveal:
            content = vault.open_json(
                Sealed(change["key_id"], change["sealed"]),
                aad_for("family", "change", change["tenant"], change["id"]),
            )
            body.update(before=content["before"], proposed=content["proposed"])
    return body


# --- a family proposes -------------------------------------------------------------------


def _label(entity: str, row: dict[str, Any] | None, data: dict[str, Any]) -> str:
    source = {**(row or {}), **data}
    if entity in ("guardian", "child", "contact") and source.get("first_name"):
        return f"{source['first_name']} {source.get('last_name', '')}".strip()
    if entity == "quotient" and "value" in data:
        return f"QF {data['value']} à partir du {data['valid_from'].strftime('%d/%m/%Y')}"
    return ""


async def propose(
    uow: UnitOfWork,
    actor: Actor,
    vault: Vault,
    household_id: uuid.UUID,
    edit: Edit,
    schema: Schema,
) -> dict[str, Any]:
    """Store what a family asks for, with what is there now; nothing is applied. `schema`:
    what the proposal was checked against (it stores the proposal as such)."""
    async with uow:
        return await propose_in(uow, actor, vault, household_id, edit, schema)


async def propose_in(
    uow: UnitOfWork,
    actor: Actor,
    vault: Vault,
    household_id: uuid.UUID,
    edit: Edit,
    schema: Schema,
) -> dict[str, Any]:
    """`propose` in the caller's open unit of work."""
    entity, operation, data = edit.entity, edit.operation, edit.data
    conn = uow.conn
    before: dict[str, Any] | None = None
    row: dict[str, Any] | None = None
    proof_id: uuid.UUID | None = None
    if entity == "household":
        row = await household(conn, actor.tenant, household_id)
        before = HouseholdPatchIn().dump({k: row[k] for k in HOUSEHOLD_FIELDS})
        data = {k: v for k, v in data.items() if k != "proof_document_id"}
        proof_id = await _proof(conn, actor.tenant, household_id, before, data, edit.data)
    elif entity in TABLES and edit.entity_id is not None:
        row = await store.get_member(
            conn, TABLES[entity], actor.tenant, household_id, edit.entity_id
        )
        if row is None:
            raise MemberNotFound()
        # What a change may propose, not when a contact's flags were given (a change never
        # sends those: shown next to it, they would read as erased).
        before = _OUT[entity](exclude=contact_rules.STAMPS if entity == "contact" else ()).dump(row)
        if entity == "child":
            # The child's answers as a change proposes them: {code: yes/no}.
            given = await store.child_permissions(conn, household_id)
            before["permissions"] = {
                p["code"]: p["granted"] for p in given if p["child_id"] == edit.entity_id
            }
    elif edit.parent_id is not None:
        row = await child(conn, actor.tenant, household_id, edit.parent_id)
        if entity == "health":
            before = await read_health(conn, vault, actor.tenant, household_id, edit.parent_id)
            if before is not None:
                before = {k: v for k, v in HealthOut().dump(before).items()}
    if entity == "child":
        await permissions.check_answers(conn, actor.tenant, permissions.answers_of(data))
    proposed = schema.dump(data) if operation != "delete" else None
    label = _label(entity, row if entity != "health" else None, data)
    if entity == "health" and row is not None:
        label = f"{row['first_name']} {row['last_name']}"
    change_id = uuid.uuid4()
    values: dict[str, Any] = {
        "id": change_id,
        "tenant": actor.tenant,
        "household_id": household_id,
        "entity": entity,
        "operation": operation,
        "entity_id": edit.entity_id,
        "parent_id": edit.parent_id,
        "label": label,
        "submitted_by": actor.account_id,
        "submitted_at": utcnow(),
    }
    if entity == "health":
        # Health data never rests in clear, not even while it waits for staff.
        sealed = vault.seal_json(
            {"before": before, "proposed": proposed},
            aad_for("family", "change", actor.tenant, change_id),
        )
        values.update(key_id=sealed.key_id, sealed=sealed.blob)
    else:
        values.update(before=before, proposed=proposed)
    if proof_id is not None:
        values["proof_document_id"] = proof_id
    change = await store.insert_change(conn, values)
    return change_body(change, vault)


async def propose_with_proof(
    uow: UnitOfWork,
    actor: Actor,
    vault: Vault,
    household_id: uuid.UUID,
    data: dict[str, Any],
    *,
    document_type: str,
    file: File,
    room: int,
) -> dict[str, Any]:
    """A family's change of the household with its proof sent in the same form: the
    document and the change stored together, or neither (a refused change leaves no
    document behind)."""
    async with uow:
        document = await add_document(
            uow,
            actor,
            household_id,
            document_type=document_type,
            member_id=None,
            file=file,
            room=room,
        )
        proved = {**data, "proof_document_id": document["id"]}
        edit = Edit("household", "update", data=proved)
        return await propose_in(uow, actor, vault, household_id, edit, HouseholdPatchIn())


# The household's own fields a family may change (as HouseholdPatchIn names them).
HOUSEHOLD_FIELDS = (
    "address",
    "phones",
    "marital_status",
    "custody",
    "custody_detail",
    "billed_guardian_id",
)


async def _proof(
    conn: Conn,
    tenant: str,
    household_id: uuid.UUID,
    before: dict[str, Any],
    data: dict[str, Any],
    asked: dict[str, Any],
) -> uuid.UUID | None:
    """The document proving a change of the household (`asked["proof_document_id"]`), checked:
    required when a field the town lists changes (the address: a proof of address), one of
    the household's documents still waiting for staff."""
    settings = await permissions.proof_settings(conn, tenant)
    proposed = HouseholdPatchIn().dump(data)
    needed = situation.fields_needing_proof(settings["proof_fields"], before, proposed)
    proof_id = asked.get("proof_document_id")
    if proof_id is None:
        if needed:
            label = "un justificatif de domicile" if "address" in needed else "un justificatif"
            raise InvalidField("proof_document_id", f"Joignez {label} à cette modification.")
        return None
    document = await store.get_document(conn, tenant, proof_id)
    if document is None or document["household_id"] != household_id:
        raise InvalidField("proof_document_id", "Ce justificatif n'est pas un document du foyer.")
    if document["status"] != "pending":
        raise InvalidField(
            "proof_document_id", "Ce justificatif a déjà été examiné : joignez-en un nouveau."
        )
    if "address" in needed and document["document_type"] != situation.PROOF_FIELDS["address"]:
        raise InvalidField(
            "proof_document_id",
            "Le justificatif d'un changement d'adresse est un justificatif de domicile.",
        )
    return proof_id


def _photo_meta(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: row[k] for k in ("content_type", "size", "sha256")}


async def propose_photo(
    uow: UnitOfWork,
    actor: Actor,
    vault: Vault,
    household_id: uuid.UUID,
    child_id: uuid.UUID,
    file: File | None,
    *,
    room: int,
) -> dict[str, Any]:
    """A family's new photo of a child (`file`) or its removal (None), stored as pending
    with the current photo's description; the image waits apart until staff decide.
    `room`: how many files the household may have waiting for staff."""
    operation = "delete" if file is None else "update"
    async with uow:
        if file is not None:
            await ensure_room(uow, household_id, room)
        row = await child(uow.conn, actor.tenant, household_id, child_id)
        current = await store.get_photo(uow.conn, actor.tenant, child_id)
        if file is None and current is None:
            raise NoPhoto()
        change = await store.insert_change(
            uow.conn,
            {
                "id": uuid.uuid4(),
                "tenant": actor.tenant,
                "household_id": household_id,
                "entity": "photo",
                "operation": operation,
                "entity_id": None,
                "parent_id": child_id,
                "label": f"{row['first_name']} {row['last_name']}",
                "before": _photo_meta(current),
                "proposed": (
                    None
                    if file is None
                    else {
                        "content_type": file.content_type,
                        "size": file.size,
                        "sha256": file.sha256,
                    }
                ),
                "submitted_by": actor.account_id,
                "submitted_at": utcnow(),
            },
        )
        if file is not None:
            await store.put_pending_photo(uow.conn, change["id"], file.content)
    return change_body(change, vault)


async def ask_for_household(
    uow: UnitOfWork, actor: Actor, vault: Vault, data: dict[str, Any]
) -> dict[str, Any]:
    """A new family without a subscriber code asks for its own household: a pending change
    (`new_household`) in staff's queue."""
    names = ", ".join(f"{g['first_name']} {g['last_name']}" for g in data["guardians"])
    async with uow:
        await store.lock(uow.conn, f"link:{actor.tenant}:{actor.account_id}")
        if await store.household_of_account(uow.conn, actor.tenant, actor.account_id) is not None:
            raise AlreadyLinked("Votre compte est déjà rattaché à un foyer.")
        previous = await store.pending_creation(uow.conn, actor.tenant, actor.account_id)
        if previous is not None and previous["status"] == "pending":
            raise CreationPending()
        change = await store.insert_change(
            uow.conn,
            {
                "id": uuid.uuid4(),
                "tenant": actor.tenant,
                "household_id": None,
                "entity": "new_household",
                "operation": "create",
                "label": names[:200],
                "proposed": NewHouseholdIn().dump(data),
                "submitted_by": actor.account_id,
                "submitted_at": utcnow(),
            },
        )
    return change_body(change, vault)


# --- reading changes ---------------------------------------------------------------------


async def my_creation(pool: Conn, vault: Vault, tenant: str, account_id: uuid.UUID) -> dict:
    """The account's latest request for a household of its own, and staff's decision."""
    change = await store.pending_creation(pool, tenant, account_id)
    if change is None:
        raise ChangeNotFound("Vous n'avez pas demandé la création d'un foyer.")
    return change_body(change, vault)


async def changes(
    pool: Conn,
    vault: Vault,
    tenant: str,
    *,
    status: str,
    household_id: uuid.UUID | None,
    page: int,
    per_page: int,
) -> dict[str, Any]:
    """A page of changes (health contents hidden); `status` "all" or one."""
    rows, total = await store.list_changes(
        pool,
        tenant,
        status=None if status == "all" else status,
        household_id=household_id,
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return {
        "items": [change_body(r, vault) for r in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


async def my_change(
    pool: Conn, vault: Vault, tenant: str, household_id: uuid.UUID, change_id: uuid.UUID
) -> dict[str, Any]:
    """One of the household's changes, with its content."""
    change = await store.get_change(pool, tenant, change_id)
    if change is None or change["household_id"] != household_id:
        raise ChangeNotFound()
    return change_body(change, vault, reveal=True)


async def review_change(
    uow: UnitOfWork, actor: Actor, vault: Vault, change_id: uuid.UUID
) -> dict[str, Any]:
    """Staff read a change with its content; reading a health change is logged."""
    async with uow:
        change = await store.get_change(uow.conn, actor.tenant, change_id)
        if change is None:
            raise ChangeNotFound()
        if change["sealed"] is not None:
            await log_access(
                uow, actor, change["household_id"], change["parent_id"], "change-review"
            )
    return change_body(change, vault, reveal=True)


# --- staff decide ------------------------------------------------------------------------


async def decide_change(
    uow: UnitOfWork,
    actor: Actor,
    vault: Vault,
    change_id: uuid.UUID,
    decision: str,
    reason: str | None = None,
) -> dict[str, Any]:
    """Approve (the change applied with its events, in the same transaction) or reject (with
    a reason the family will read); ChangeRequestDecided either way."""
    now = utcnow()
    async with uow:
        conn = uow.conn
        change = await store.get_change(conn, actor.tenant, change_id, for_update=True)
        if change is None:
            raise ChangeNotFound()
        try:
            status = change_rules.decide(
                change_rules.Change(change["entity"], change["operation"], change["status"]),
                decision,
                reason,
            )
        except change_rules.ChangeNotPending:
            raise ChangeAlreadyDecided() from None
        result_id = None
        household_id = change["household_id"]
        if change["entity"] == "new_household" and status == "rejected":
            uow.emit(
                "family.HouseholdCreationRejected",
                {"change_id": change_id, "account_id": change["submitted_by"], "reason": reason},
                tenant=actor.tenant,
            )
        elif change["entity"] == "new_household":
            household_id = result_id = await _create_requested_household(uow, actor, change, now)
        elif status == "approved":
            await _check_proof_not_refused(uow, actor, change["proof_document_id"])
            result_id = await _approve(uow, actor, vault, change, now)
        if change["proof_document_id"] is not None:
            await _decide_proof(uow, actor, change["proof_document_id"], status, reason)
        await store.decide_change(
            conn,
            change_id,
            status=status,
            decided_by=actor.account_id,
            reason=reason,
            result_id=result_id,
            now=now,
        )
        if change["entity"] == "photo":
            # Applied (copied to the child) or refused: the proposed image is not kept.
            await store.drop_pending_photo(conn, change_id)
        if household_id is not None:
            await _decided_event(uow, actor, change, household_id, status, reason)
        decided = await store.get_change(conn, actor.tenant, change_id)
    assert decided is not None
    return change_body(decided, vault)


async def _approve(
    uow: UnitOfWork, actor: Actor, vault: Vault, change: dict[str, Any], now: datetime
) -> uuid.UUID | None:
    """Apply an approved change, checked again against the file as it is now."""
    if change["entity"] == "photo":
        data = await _photo_change_data(uow, change)
    else:
        content = change_body(change, vault, reveal=True)["proposed"] or {}
        try:
            data = (
                {}
                if change["operation"] == "delete"
                else change_schema(change["entity"], change["operation"]).load(content)
            )
        except ValidationError as exc:
            problem = validation_problem(exc.messages)
            raise ChangeNoLongerApplies(errors=problem.extra["errors"]) from None
    edit = Edit(
        change["entity"],
        change["operation"],
        change["entity_id"],
        change["parent_id"],
        data,
        submitted_by=change["submitted_by"],
    )
    try:
        return await apply_change(uow, actor, vault, change["household_id"], edit, now=now)
    except (MemberNotFound, HouseholdNotFound) as exc:
        raise ChangeNoLongerApplies(exc.detail) from None


async def _check_proof_not_refused(
    uow: UnitOfWork, actor: Actor, document_id: uuid.UUID | None
) -> None:
    """A change is validated with its proof: one whose proof staff already refused (from the
    documents' queue) cannot be approved, or the file would change on a refused document."""
    if document_id is None:
        return
    document = await store.get_document(uow.conn, actor.tenant, document_id)
    if document is not None and document["status"] == "rejected":
        raise ChangeNoLongerApplies(
            "Le justificatif joint à cette modification a été refusé ; rejetez-la."
        )


async def _decide_proof(
    uow: UnitOfWork, actor: Actor, document_id: uuid.UUID, status: str, reason: str | None
) -> None:
    """The change's proof follows the change: validated with it (until the end of the school
    year) or refused with its reason; one staff already decided stays as it is."""
    document = await store.get_document(uow.conn, actor.tenant, document_id, for_update=True)
    if document is None or document["status"] != "pending":
        return
    if status == "approved":
        valid_until = catalog.end_of_school_year(date.today())
        await decide_in(uow, actor, document_id, "validated", valid_until=valid_until)
    else:
        await decide_in(uow, actor, document_id, "rejected", reason=reason)


async def _photo_change_data(uow: UnitOfWork, change: dict[str, Any]) -> dict[str, Any]:
    """What an approved photo change applies: the image kept apart while it waited."""
    if change["operation"] == "delete":
        return {}
    content = await store.pending_photo(uow.conn, change["id"])
    if content is None or hashlib.sha256(content).hexdigest() != change["proposed"]["sha256"]:
        raise ChangeNoLongerApplies()
    return {"content_type": change["proposed"]["content_type"], "content": content}


async def _create_requested_household(
    uow: UnitOfWork, actor: Actor, change: dict[str, Any], now: datetime
) -> uuid.UUID:
    """Approve a new family's own household: create it and link the account that asked."""
    account_id = change["submitted_by"]
    if await store.household_of_account(uow.conn, actor.tenant, account_id) is not None:
        raise ChangeNoLongerApplies(
            "Ce compte a été rattaché à un foyer entre-temps ; rejetez la demande."
        )
    try:
        data = NewHouseholdIn().load(change["proposed"] or {})
    except ValidationError as exc:
        problem = validation_problem(exc.messages)
        raise ChangeNoLongerApplies(errors=problem.extra["errors"]) from None
    row = await add_household(uow, actor, data, now=now)
    await link(uow, actor.tenant, account_id, row["id"], linked_by="staff", now=now)
    await store.set_change_household(uow.conn, change["id"], row["id"])
    return row["id"]


async def _decided_event(
    uow: UnitOfWork,
    actor: Actor,
    change: dict[str, Any],
    household_id: uuid.UUID,
    status: str,
    reason: str | None,
) -> None:
    accounts = await store.linked_accounts(uow.conn, household_id)
    uow.emit(
        "family.ChangeRequestDecided",
        {
            "change_id": change["id"],
            "household_id": household_id,
            "entity": change["entity"],
            "operation": change["operation"],
            "summary": change_rules.summary(change["entity"], change["operation"], change["label"]),
            "decision": status,
            "reason": reason,
            "submitted_by": change["submitted_by"],
            "account_ids": [a["account_id"] for a in accounts],
        },
        tenant=actor.tenant,
    )

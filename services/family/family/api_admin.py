"""Getting households in and out: staff link an account, a new family asks for its own
household, staff import the town's existing file (CSV), and a family asks for deletion
(staff anonymise what must not be kept)."""

from __future__ import annotations

import uuid

from aiohttp import web

from family import importing, store
from family.api import (
    STAFF,
    AlreadyLinked,
    ChangeNotFound,
    Scope,
    change_body,
    household_file,
    path_uuid,
    settings_of,
)
from family.domain import codes
from family.operations import Ops, child_payload, utcnow
from family.runtime import VAULT
from family.schemas import (
    AccountLinkIn,
    ChangeOut,
    DeletionPageOut,
    DeletionQuery,
    DeletionRequestIn,
    DeletionRequestOut,
    HouseholdOut,
    ImportOut,
    ImportQuery,
    NewHouseholdIn,
    RejectIn,
)
from shared.auth import require_caller
from shared.errors import DomainError, NotFound, Problem
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


class CreationPending(DomainError):
    code = "household-creation-pending"
    kind = "conflict"
    title = "Household creation pending"
    detail = "Votre demande de création de foyer est déjà en attente de validation par la mairie."


class DeletionRequestNotFound(NotFound):
    code = "deletion-request-not-found"
    detail = "Cette demande de suppression n'existe pas."


class DeletionAlreadyHandled(DomainError):
    code = "deletion-request-handled"
    kind = "conflict"
    title = "Deletion request already handled"
    detail = "Cette demande de suppression a déjà été traitée."


class DeletionPending(DomainError):
    code = "deletion-request-pending"
    kind = "conflict"
    title = "Deletion request pending"
    detail = "Votre demande de suppression est déjà en cours de traitement par la mairie."


# --- staff link an account --------------------------------------------------------------


@routes.post("/tenants/{tenant}/households/{household_id}/accounts")
@doc(
    "Link a family account to the household (staff; HouseholdLinked with linked_by staff)",
    request=AccountLinkIn,
    response=HouseholdOut,
    status=201,
    tags=["households"],
    responses={409: "The account is linked to another household"},
)
async def link_account(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    account_id = (await read_json(request, AccountLinkIn()))["account_id"]
    async with scope.pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))", f"link:{scope.tenant}:{account_id}"
        )
        current = await store.household_of_account(conn, scope.tenant, account_id)
        if current is not None and current != scope.household_id:
            raise AlreadyLinked("Ce compte est déjà rattaché à un autre foyer.")
        created = current is None
        if created:
            ops = scope.ops(conn)
            await store.link_account(
                conn,
                tenant=scope.tenant,
                account_id=account_id,
                household_id=scope.household_id,
                linked_by="staff",
                now=ops.now,
            )
            ops.event(
                "family.HouseholdLinked",
                {
                    "household_id": scope.household_id,
                    "account_id": account_id,
                    "linked_by": "staff",
                },
            )
            await ops.flush()
        body = await household_file(conn, scope.tenant, scope.household_id)
    return json_response(HouseholdOut(), body, status=201 if created else 200)


# --- a new family creates its own household (pending staff validation) -------------------


@routes.post("/tenants/{tenant}/me/household")
@doc(
    "Ask for my own household (new family without a subscriber code; pending staff approval)",
    request=NewHouseholdIn,
    response=ChangeOut,
    status=202,
    tags=["my household"],
    description="Stored as a pending change (`entity` new_household) in staff's queue; on "
    "approval the household is created and the account linked (HouseholdCreated, "
    "HouseholdLinked, ChangeRequestDecided); on rejection HouseholdCreationRejected.",
    responses={409: "Already linked to a household, or a creation is already pending"},
)
async def ask_for_household(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("family",))
    data = await read_json(request, NewHouseholdIn())
    account_id = uuid.UUID(caller.account_id)
    now = utcnow()
    names = ", ".join(f"{g['first_name']} {g['last_name']}" for g in data["guardians"])
    async with request.app[POOL].acquire() as conn, conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))", f"link:{caller.tenant}:{account_id}"
        )
        if await store.household_of_account(conn, caller.tenant, account_id) is not None:
            raise AlreadyLinked("Votre compte est déjà rattaché à un foyer.")
        previous = await store.pending_creation(conn, caller.tenant, account_id)
        if previous is not None and previous["status"] == "pending":
            raise CreationPending()
        change = await store.insert_change(
            conn,
            {
                "id": uuid.uuid4(),
                "tenant": caller.tenant,
                "household_id": None,
                "entity": "new_household",
                "operation": "create",
                "label": names[:200],
                "proposed": NewHouseholdIn().dump(data),
                "submitted_by": account_id,
                "submitted_at": now,
            },
        )
    return json_response(ChangeOut(), change_body(change, request.app[VAULT]), status=202)


@routes.get("/tenants/{tenant}/me/household/creation")
@doc(
    "My request to create a household, and staff's decision (family)",
    response=ChangeOut,
    tags=["my household"],
    responses={404: "No such request"},
)
async def my_creation(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("family",))
    change = await store.pending_creation(
        request.app[POOL], caller.tenant, uuid.UUID(caller.account_id)
    )
    if change is None:
        raise ChangeNotFound("Vous n'avez pas demandé la création d'un foyer.")
    return json_response(ChangeOut(), change_body(change, request.app[VAULT]))


# --- CSV import ----------------------------------------------------------------------------


@routes.post("/tenants/{tenant}/households/import")
@doc(
    "Import the town's existing household file (CSV; staff; all or nothing)",
    response=ImportOut,
    status=201,
    tags=["households"],
    description=importing.DESCRIPTION,
    responses={
        409: "Some households are already in the file (nothing imported; see `existing`)",
        413: "File too large",
        415: "Not text/csv",
    },
    query=ImportQuery,
)
async def import_households(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    existing = read_query(request, ImportQuery())["existing"]
    if request.content_type not in ("text/csv", "application/csv"):
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Le fichier doit être envoyé en CSV (Content-Type: text/csv).",
        )
    limit = settings_of(request).import_max_bytes
    raw = await _read_limited(request, limit)
    try:
        text = importing.decode(raw)
    except UnicodeDecodeError:
        raise Problem(
            422,
            "validation-error",
            "Invalid file",
            "Le fichier doit être encodé en UTF-8 (Excel : « CSV UTF-8 »).",
            errors=[{"line": 1, "field": "_file", "detail": "Encodage UTF-8 attendu."}],
        ) from None
    households, problems = importing.parse(text)
    if problems:
        lines = sorted({p["line"] for p in problems})
        shown = ", ".join(str(n) for n in lines[:20]) + ("…" if len(lines) > 20 else "")
        raise Problem(
            422,
            "import-invalid",
            "Invalid import file",
            f"Rien n'a été importé : {len(problems)} erreur(s), ligne(s) {shown}.",
            errors=problems,
        )
    created, skipped = [], []
    async with request.app[POOL].acquire() as conn, conn.transaction():
        # Read in the transaction that creates: what it finds is what the import may not
        # duplicate (a household imported twice, or a family already registered online).
        known = importing.already_known(
            households,
            *await store.known_people(
                conn,
                caller.tenant,
                sorted({c["birth_date"] for h in households for c in h.children}),
                sorted({g["email"] for h in households for g in h.guardians if g.get("email")}),
            ),
        )
        if known and existing == "refuse":
            found = [p for i in sorted(known) for p in known[i]]
            lines = ", ".join(str(households[i].line) for i in sorted(known))
            raise Problem(
                409,
                "import-existing",
                "Households already in the file",
                f"Rien n'a été importé : {len(known)} foyer(s) du fichier sont déjà au dossier"
                f" (ligne(s) {lines}). Corrigez le fichier, ou importez seulement les autres"
                " foyers avec existing=skip.",
                errors=found,
            )
        for index in sorted(known):
            item = households[index]
            skipped.append({"reference": item.reference, "line": item.line, "found": known[index]})
        households = [h for i, h in enumerate(households) if i not in known]
        ops = Ops(conn, caller.tenant, uuid.UUID(caller.account_id), request.app[VAULT])
        for item in households:
            row = await ops.create_household(
                {
                    "address": item.address,
                    "phones": item.phones,
                    "guardians": item.guardians,
                    "children": item.children,
                }
            )
            created.append(
                {
                    "reference": item.reference,
                    "line": item.line,
                    "household_id": row["id"],
                    "subscriber_code": codes.display(row["subscriber_code"]),
                    "guardians": [f"{g['first_name']} {g['last_name']}" for g in item.guardians],
                    "children": [f"{c['first_name']} {c['last_name']}" for c in item.children],
                }
            )
        await ops.flush()
    body = {
        "created": created,
        "households": len(created),
        "children": sum(len(c["children"]) for c in created),
        "skipped": skipped,
    }
    return json_response(ImportOut(), body, status=201)


async def _read_limited(request: web.Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise Problem(
                413,
                "payload-too-large",
                "Payload too large",
                f"Le fichier dépasse la taille maximale de {limit // 1024} Ko : découpez-le.",
                max_bytes=limit,
            )
        chunks.append(chunk)
    return b"".join(chunks)


# --- deletion requests ---------------------------------------------------------------------


@routes.post("/tenants/{tenant}/me/household/deletion-request")
@doc(
    "Ask for the deletion of my household's data (family; staff handle it)",
    request=DeletionRequestIn,
    response=DeletionRequestOut,
    status=202,
    tags=["privacy"],
    responses={409: "A deletion request is already pending"},
)
async def ask_for_deletion(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    data = await read_json(request, DeletionRequestIn()) if request.body_exists else {}
    row = await store.insert_deletion_request(
        scope.pool,
        {
            "id": uuid.uuid4(),
            "tenant": scope.tenant,
            "household_id": scope.household_id,
            "requested_by": scope.actor,
            "requested_at": utcnow(),
            "message": data.get("message", ""),
        },
    )
    if row is None:
        raise DeletionPending()
    return json_response(DeletionRequestOut(), row, status=202)


@routes.get("/tenants/{tenant}/me/household/deletion-request")
@doc(
    "My household's deletion requests and their outcome (family)",
    response=DeletionPageOut,
    tags=["privacy"],
)
async def my_deletion_requests(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    rows = await store.deletion_requests_of(scope.pool, scope.household_id)
    return json_response(
        DeletionPageOut(), {"items": rows, "total": len(rows), "page": 1, "per_page": len(rows)}
    )


@routes.get("/tenants/{tenant}/deletion-requests")
@doc(
    "Deletion requests of the tenant's families, oldest first (staff)",
    query=DeletionQuery,
    response=DeletionPageOut,
    tags=["privacy"],
)
async def list_deletion_requests(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    query = read_query(request, DeletionQuery())
    rows, total = await store.list_deletion_requests(
        request.app[POOL],
        caller.tenant,
        status=None if query["status"] == "all" else query["status"],
        limit=query["per_page"],
        offset=(query["page"] - 1) * query["per_page"],
    )
    return json_response(
        DeletionPageOut(),
        {"items": rows, "total": total, "page": query["page"], "per_page": query["per_page"]},
    )


async def _handle(request: web.Request, decision: str) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    request_id = path_uuid(request, "request_id", DeletionRequestNotFound)
    reason = (await read_json(request, RejectIn()))["reason"] if decision == "rejected" else None
    async with request.app[POOL].acquire() as conn, conn.transaction():
        row = await store.get_deletion_request(conn, caller.tenant, request_id, for_update=True)
        if row is None:
            raise DeletionRequestNotFound()
        if row["status"] != "pending":
            raise DeletionAlreadyHandled()
        ops = Ops(conn, caller.tenant, uuid.UUID(caller.account_id), request.app[VAULT])
        if decision == "anonymised":
            household_id = row["household_id"]
            await ops.household(household_id, lock=True)
            accounts = await store.anonymise_household(conn, household_id, ops.now)
            for child in await store.members(conn, "children", household_id):
                # Booking keeps children's names: they must go there too.
                ops.event("family.ChildUpdated", child_payload(child))
            ops.event(
                "family.HouseholdAnonymised",
                {
                    "household_id": household_id,
                    "deletion_request_id": request_id,
                    "account_ids": accounts,
                },
            )
            await conn.execute(
                "UPDATE deletion_requests SET message = '' WHERE household_id = $1", household_id
            )
        await store.handle_deletion_request(
            conn, request_id, status=decision, handled_by=ops.actor, reason=reason, now=ops.now
        )
        await ops.flush()
        handled = await store.get_deletion_request(conn, caller.tenant, request_id)
    return json_response(DeletionRequestOut(), handled)


@routes.post("/tenants/{tenant}/deletion-requests/{request_id}/anonymise")
@doc(
    "Anonymise the household (staff): names become « Anonyme », contact details, contacts, "
    "health records, documents, requests and pending changes are erased; ids, quotients and "
    "the birth year stay for accounting; linked accounts are unlinked (HouseholdAnonymised)",
    response=DeletionRequestOut,
    tags=["privacy"],
    responses={409: "Already handled"},
)
async def anonymise(request: web.Request) -> web.Response:
    return await _handle(request, "anonymised")


@routes.post("/tenants/{tenant}/deletion-requests/{request_id}/reject")
@doc(
    "Refuse a deletion request with a reason (e.g. legal retention; staff)",
    request=RejectIn,
    response=DeletionRequestOut,
    tags=["privacy"],
    responses={409: "Already handled"},
)
async def reject_deletion(request: web.Request) -> web.Response:
    return await _handle(request, "rejected")

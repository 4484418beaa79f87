"""HTTP handlers of the family service: validate, check who may, call the store, answer.

Two doors onto the same household file:
- staff of the tenant: ``/tenants/{t}/households/{id}/...``, changes applied at once;
- a family: ``/tenants/{t}/me/household/...``, its own household only (the account's link),
  every change stored as pending until staff approve it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
from aiohttp import web
from marshmallow import Schema, ValidationError

from family import store
from family.domain import changes as change_rules
from family.domain import codes, throttle
from family.domain.vault import Sealed, Vault, aad_for
from family.operations import (
    TABLES,
    HouseholdNotFound,
    MemberNotFound,
    Ops,
    apply_change,
    change_schema,
    current_quotient,
    utcnow,
)
from family.runtime import VAULT
from family.schemas import (
    AccessLogOut,
    ChangeOut,
    ChangePageOut,
    ChangesQuery,
    ChildIn,
    ChildOut,
    ContactIn,
    ContactOut,
    DeclaredQuotientIn,
    DeletionRequestOut,
    DocumentOut,
    ExportOut,
    FamilyHealthIn,
    GuardianIn,
    GuardianOut,
    HealthIn,
    HealthOut,
    HouseholdOut,
    HouseholdPageOut,
    HouseholdPatchIn,
    LinkedOut,
    LinkIn,
    NewHouseholdIn,
    QuotientIn,
    QuotientOut,
    QuotientsOut,
    RejectIn,
    RequestOut,
    SearchQuery,
)
from family.settings import FamilySettings
from shared.auth import Caller, require_caller
from shared.errors import DomainError, NotFound, Problem, validation_problem
from shared.events import outbox
from shared.events.envelope import new_event
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json, read_query
from shared.keys import POOL, SETTINGS

routes = web.RouteTableDef()
STAFF = ("staff", "admin")


# --- errors (French details for families) ----------------------------------------------


class NotLinked(DomainError):
    code = "household-not-linked"
    kind = "not_found"
    title = "No household linked"
    detail = (
        "Aucun foyer n'est rattaché à votre compte : saisissez le code abonné reçu par courrier."
    )


class WrongHousehold(DomainError):
    code = "wrong-household"
    kind = "forbidden"
    title = "Not your household"
    detail = "Vous n'avez pas accès à ce foyer."


class WrongCode(DomainError):
    code = "wrong-subscriber-code"
    kind = "invalid"
    title = "Unknown subscriber code"
    detail = "Ce code abonné n'est pas reconnu ; vérifiez le courrier de votre mairie."


class AlreadyLinked(DomainError):
    code = "already-linked"
    kind = "conflict"
    title = "Already linked"
    detail = "Votre compte est déjà rattaché à un autre foyer ; contactez votre mairie."


class ChangeNotFound(NotFound):
    code = "change-not-found"
    detail = "Cette demande de modification n'existe pas."


class ChangeAlreadyDecided(DomainError):
    code = "change-already-decided"
    kind = "conflict"
    title = "Change already decided"
    detail = "Cette demande de modification a déjà été traitée."


class ChangeNoLongerApplies(DomainError):
    code = "change-no-longer-applies"
    kind = "conflict"
    title = "Change cannot be applied"
    detail = "Cette modification ne peut plus être appliquée au dossier ; rejetez-la."


class NoHealthRecord(NotFound):
    code = "no-health-record"
    detail = "Aucune fiche sanitaire n'a encore été remplie pour cet enfant."


# --- who is calling, on which household -------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The caller and the household the request is about, once access is checked."""

    caller: Caller
    household_id: uuid.UUID
    staff: bool
    pool: asyncpg.Pool
    vault: Vault

    @property
    def tenant(self) -> str:
        return self.caller.tenant

    @property
    def actor(self) -> uuid.UUID:
        return uuid.UUID(self.caller.account_id)

    def ops(self, conn: asyncpg.Connection) -> Ops:
        return Ops(conn, self.tenant, self.actor, self.vault)

    @classmethod
    async def of(cls, request: web.Request) -> Scope:
        pool, vault = request.app[POOL], request.app[VAULT]
        if "household_id" in request.match_info:
            caller = require_caller(request, roles=STAFF)
            household_id = path_uuid(request, "household_id", HouseholdNotFound)
            if await store.get_household(pool, caller.tenant, household_id) is None:
                raise HouseholdNotFound()
            return cls(caller, household_id, True, pool, vault)
        caller = require_caller(request, roles=("family",))
        household_id = await store.household_of_account(
            pool, caller.tenant, uuid.UUID(caller.account_id)
        )
        if household_id is None:
            raise NotLinked()
        if caller.household_id and caller.household_id != str(household_id):
            raise WrongHousehold()
        return cls(caller, household_id, False, pool, vault)


def path_uuid(request: web.Request, name: str, error: type[DomainError] = NotFound) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise error() from None


def settings_of(request: web.Request) -> FamilySettings:
    settings = request.app[SETTINGS]
    assert isinstance(settings, FamilySettings)
    return settings


# --- the household file ------------------------------------------------------------------


async def household_file(conn: Any, tenant: str, household_id: uuid.UUID) -> dict[str, Any]:
    household = await store.get_household(conn, tenant, household_id)
    if household is None:
        raise HouseholdNotFound()
    children = await store.members(conn, "children", household_id)
    contacts = await store.members(conn, "contacts", household_id)
    with_health = {
        r["child_id"]
        for r in await conn.fetch(
            "SELECT child_id FROM health_records WHERE household_id = $1", household_id
        )
    }
    with_photo = await store.children_with_photo(conn, household_id)
    for child in children:
        child["contacts"] = [c for c in contacts if c["child_id"] == child["id"]]
        child["has_health_record"] = child["id"] in with_health
        child["has_photo"] = child["id"] in with_photo
    _, pending_count = await store.list_changes(
        conn, tenant, status="pending", household_id=household_id, limit=0, offset=0
    )
    return {
        **household,
        "guardians": await store.members(conn, "guardians", household_id),
        "children": children,
        "quotient": current_quotient(await store.quotients(conn, household_id)),
        "accounts": await store.linked_accounts(conn, household_id),
        "pending_changes": pending_count,
    }


@routes.post("/tenants/{tenant}/households")
@doc(
    "Create a household file with its guardians and children (staff)",
    request=NewHouseholdIn,
    response=HouseholdOut,
    status=201,
    tags=["households"],
)
async def create_household(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    data = await read_json(request, NewHouseholdIn())
    async with request.app[POOL].acquire() as conn, conn.transaction():
        ops = Ops(conn, caller.tenant, uuid.UUID(caller.account_id), request.app[VAULT])
        household = await ops.create_household(data)
        await ops.flush()
        body = await household_file(conn, caller.tenant, household["id"])
    return json_response(HouseholdOut(), body, status=201)


@routes.get("/tenants/{tenant}/households")
@doc(
    "Search households by guardian or child name, email or subscriber code (staff)",
    query=SearchQuery,
    response=HouseholdPageOut,
    tags=["households"],
)
async def search_households(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    query = read_query(request, SearchQuery())
    per_page = min(query["per_page"], settings_of(request).search_max_page_size)
    pool = request.app[POOL]
    rows, total = await store.search_households(
        pool, caller.tenant, query["q"], limit=per_page, offset=(query["page"] - 1) * per_page
    )
    items = []
    for row in rows:
        guardians = await store.members(pool, "guardians", row["id"])
        children = await store.members(pool, "children", row["id"])
        items.append(
            {
                **row,
                "guardians": [f"{g['first_name']} {g['last_name']}" for g in guardians],
                "children": [f"{c['first_name']} {c['last_name']}" for c in children],
            }
        )
    return json_response(
        HouseholdPageOut(),
        {"items": items, "total": total, "page": query["page"], "per_page": per_page},
    )


@routes.get("/tenants/{tenant}/households/{household_id}")
@doc("A household file (staff)", response=HouseholdOut, tags=["households"])
async def get_household(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    body = await household_file(scope.pool, scope.tenant, scope.household_id)
    return json_response(HouseholdOut(), body)


@routes.get("/tenants/{tenant}/me/household")
@doc(
    "My household file (family)",
    response=HouseholdOut,
    tags=["my household"],
    responses={404: "No household linked to the account"},
)
async def my_household(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    body = await household_file(scope.pool, scope.tenant, scope.household_id)
    return json_response(HouseholdOut(), body)


# --- changes to the file: applied by staff, proposed by families ------------------------


def _label(entity: str, row: dict[str, Any] | None, data: dict[str, Any]) -> str:
    source = {**(row or {}), **data}
    if entity in ("guardian", "child", "contact") and source.get("first_name"):
        return f"{source['first_name']} {source.get('last_name', '')}".strip()
    if entity == "quotient" and "value" in data:
        return f"QF {data['value']} à partir du {data['valid_from'].strftime('%d/%m/%Y')}"
    return ""


_OUT: dict[str, type[Schema]] = {
    "guardian": GuardianOut,
    "child": ChildOut,
    "contact": ContactOut,
}


async def _mutate(
    request: web.Request,
    entity: str,
    operation: str,
    *,
    schema: Schema | None = None,
    member: str | None = None,
    parent: str | None = None,
) -> web.Response:
    scope = await Scope.of(request)
    data: dict[str, Any] = {}
    if operation != "delete":
        data = await read_json(request, schema or change_schema(entity, operation))
    entity_id = path_uuid(request, member, MemberNotFound) if member else None
    parent_id = path_uuid(request, parent, MemberNotFound) if parent else None
    async with scope.pool.acquire() as conn, conn.transaction():
        ops = scope.ops(conn)
        if scope.staff:
            created = await apply_change(
                ops,
                entity=entity,
                operation=operation,
                household_id=scope.household_id,
                entity_id=entity_id,
                parent_id=parent_id,
                data=data,
            )
            await ops.flush()
            if operation == "delete":
                return web.Response(status=204)
            body = await household_file(conn, scope.tenant, scope.household_id)
            if created:
                body["created_id"] = created
            return json_response(HouseholdOut(), body, status=201 if created else 200)
        change = await propose(
            ops,
            scope,
            entity=entity,
            operation=operation,
            entity_id=entity_id,
            parent_id=parent_id,
            data=data,
            schema=schema or change_schema(entity, operation),
        )
    return json_response(ChangeOut(), change_body(change, scope.vault), status=202)


async def propose(
    ops: Ops,
    scope: Scope,
    *,
    entity: str,
    operation: str,
    entity_id: uuid.UUID | None,
    parent_id: uuid.UUID | None,
    data: dict[str, Any],
    schema: Schema,
) -> dict[str, Any]:
    """Store what a family asks for, with what is there now; nothing is applied."""
    household_id = scope.household_id
    before: dict[str, Any] | None = None
    row: dict[str, Any] | None = None
    if entity == "household":
        row = await ops.household(household_id)
        before = HouseholdPatchIn().dump({k: row[k] for k in ("address", "phones")})
    elif entity in TABLES and entity_id is not None:
        row = await store.get_member(
            ops.conn, TABLES[entity], scope.tenant, household_id, entity_id
        )
        if row is None:
            raise MemberNotFound()
        before = _OUT[entity]().dump(row)
    elif parent_id is not None:
        row = await ops.child(household_id, parent_id)
        if entity == "health":
            before = await ops.read_health(household_id, parent_id)
            if before is not None:
                before = {k: v for k, v in HealthOut().dump(before).items()}
    proposed = schema.dump(data) if operation != "delete" else None
    label = _label(entity, row if entity != "health" else None, data)
    if entity == "health" and row is not None:
        label = f"{row['first_name']} {row['last_name']}"
    change_id = uuid.uuid4()
    values: dict[str, Any] = {
        "id": change_id,
        "tenant": scope.tenant,
        "household_id": household_id,
        "entity": entity,
        "operation": operation,
        "entity_id": entity_id,
        "parent_id": parent_id,
        "label": label,
        "submitted_by": scope.actor,
        "submitted_at": ops.now,
    }
    if entity == "health":
        # Health data never rests in clear, not even while it waits for staff.
        sealed = scope.vault.seal_json(
            {"before": before, "proposed": proposed}, aad_for(scope.tenant, "change", change_id)
        )
        values.update(key_id=sealed.key_id, sealed=sealed.blob)
    else:
        values.update(before=before, proposed=proposed)
    return await store.insert_change(ops.conn, values)


def change_body(change: dict[str, Any], vault: Vault, *, reveal: bool = False) -> dict[str, Any]:
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
                aad_for(change["tenant"], "change", change["id"]),
            )
            body.update(before=content["before"], proposed=content["proposed"])
    return body


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _member_routes(prefix: str, who: str) -> None:
    """The same edit routes for staff (applied) and families (pending)."""
    tag = "households" if who == "staff" else "my household"
    applied = "applied at once" if who == "staff" else "stored as pending, staff decide"
    answer = HouseholdOut if who == "staff" else ChangeOut

    def add(method: str, path: str, summary: str, handler: Handler, request: Any) -> None:
        status = 204 if method == "DELETE" and who == "staff" else (200 if who == "staff" else 202)
        documented = doc(
            f"{summary} ({who}; {applied})",
            request=request,
            response=None if status == 204 else answer,
            status=status,
            tags=[tag],
        )(handler)
        routes.route(method, prefix + path)(documented)

    def make(entity: str, operation: str, **kw: Any) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            return await _mutate(request, entity, operation, **kw)

        handler.__name__ = f"{who}_{operation}_{entity}"
        return handler

    add("PATCH", "", "Change the address or phones", make("household", "update"), HouseholdPatchIn)
    add("POST", "/guardians", "Add a guardian", make("guardian", "create"), GuardianIn)
    add(
        "PATCH",
        "/guardians/{member_id}",
        "Change a guardian",
        make("guardian", "update", member="member_id"),
        GuardianIn,
    )
    add(
        "DELETE",
        "/guardians/{member_id}",
        "Remove a guardian",
        make("guardian", "delete", member="member_id"),
        None,
    )
    add("POST", "/children", "Add a child", make("child", "create"), ChildIn)
    add(
        "PATCH",
        "/children/{child_id}",
        "Change a child",
        make("child", "update", member="child_id"),
        ChildIn,
    )
    add(
        "POST",
        "/children/{child_id}/contacts",
        "Add an authorised pick-up or emergency contact",
        make("contact", "create", parent="child_id"),
        ContactIn,
    )
    add(
        "PATCH",
        "/contacts/{member_id}",
        "Change a contact",
        make("contact", "update", member="member_id"),
        ContactIn,
    )
    add(
        "DELETE",
        "/contacts/{member_id}",
        "Remove a contact",
        make("contact", "delete", member="member_id"),
        None,
    )


_member_routes("/tenants/{tenant}/households/{household_id}", "staff")
_member_routes("/tenants/{tenant}/me/household", "family")


# --- health records -----------------------------------------------------------------------


async def _read_health(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    child_id = path_uuid(request, "child_id", MemberNotFound)
    async with scope.pool.acquire() as conn, conn.transaction():
        record = await scope.ops(conn).read_health(scope.household_id, child_id)
        if record is None:
            raise NoHealthRecord()
        if scope.staff:
            # The read and its trace commit together: no read without its log line.
            await store.log_health_access(
                conn,
                tenant=scope.tenant,
                household_id=scope.household_id,
                child_id=child_id,
                account_id=scope.actor,
                roles=sorted(scope.caller.roles),
                purpose="read",
                now=utcnow(),
            )
    return json_response(HealthOut(), record)


async def _write_health(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    schema = HealthIn() if scope.staff else FamilyHealthIn()
    return await _mutate(request, "health", "update", schema=schema, parent="child_id")


async def _access_log(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    items = await store.health_access_log(scope.pool, scope.household_id)
    return json_response(AccessLogOut(), {"items": items})


def _bind(function: Handler) -> Handler:
    """A distinct handler object per route, so each carries its own OpenAPI description."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return await function(request)

    handler.__name__ = function.__name__
    return handler


for _prefix, _who in (
    ("/tenants/{tenant}/households/{household_id}", "staff"),
    ("/tenants/{tenant}/me/household", "family"),
):
    _tag = ["households"] if _who == "staff" else ["my household"]
    routes.get(_prefix + "/children/{child_id}/health")(
        doc(
            f"A child's health record ({_who}"
            + ("; every read is logged)" if _who == "staff" else ")"),
            response=HealthOut,
            tags=_tag,
            responses={404: "No such child or no health record yet"},
        )(_bind(_read_health))
    )
    routes.put(_prefix + "/children/{child_id}/health")(
        doc(
            f"Write a child's health record ({_who}"
            + ("; applied)" if _who == "staff" else "; pending, « je certifie » required)"),
            request=HealthIn if _who == "staff" else FamilyHealthIn,
            response=HouseholdOut if _who == "staff" else ChangeOut,
            status=200 if _who == "staff" else 202,
            tags=_tag,
        )(_bind(_write_health))
    )
    routes.get(_prefix + "/health-access-log")(
        doc(
            f"Who read the children's health records, and when ({_who})",
            response=AccessLogOut,
            tags=_tag,
        )(_bind(_access_log))
    )


# --- family quotient ----------------------------------------------------------------------


async def _quotients(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    rows = await store.quotients(scope.pool, scope.household_id)
    return json_response(QuotientsOut(), {"current": current_quotient(rows), "history": rows})


async def _add_quotient(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    if not scope.staff:
        return await _mutate(request, "quotient", "create", schema=DeclaredQuotientIn())
    data = await read_json(request, QuotientIn())
    async with scope.pool.acquire() as conn, conn.transaction():
        ops = scope.ops(conn)
        await ops.add_quotient(scope.household_id, data)
        await ops.flush()
        rows = await store.quotients(conn, scope.household_id)
    return json_response(
        QuotientsOut(), {"current": current_quotient(rows), "history": rows}, status=201
    )


routes.get("/tenants/{tenant}/households/{household_id}/quotients")(
    doc("Family quotient: current and history (staff)", response=QuotientsOut, tags=["quotient"])(
        _bind(_quotients)
    )
)
routes.post("/tenants/{tenant}/households/{household_id}/quotients")(
    doc(
        "Set the family quotient (staff; QuotientChanged)",
        request=QuotientIn,
        response=QuotientsOut,
        status=201,
        tags=["quotient"],
    )(_bind(_add_quotient))
)
routes.get("/tenants/{tenant}/me/household/quotients")(
    doc("My family quotient: current and history", response=QuotientsOut, tags=["quotient"])(
        _bind(_quotients)
    )
)
routes.post("/tenants/{tenant}/me/household/quotients")(
    doc(
        "Declare a new family quotient (family; pending staff validation)",
        request=DeclaredQuotientIn,
        response=ChangeOut,
        status=202,
        tags=["quotient"],
    )(_bind(_add_quotient))
)


# --- linking an account with a subscriber code --------------------------------------------


@routes.post("/tenants/{tenant}/me/household/link")
@doc(
    "Link my account to my household with the subscriber code from the town's letter",
    request=LinkIn,
    response=LinkedOut,
    tags=["my household"],
    responses={409: "Already linked to another household", 429: "Too many wrong codes"},
)
async def link_with_code(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("family",))
    data = await read_json(request, LinkIn())
    settings = settings_of(request)
    policy = settings.link_policy()
    account_id = uuid.UUID(caller.account_id)
    now = utcnow()
    wrong = False
    async with request.app[POOL].acquire() as conn, conn.transaction():
        # One decision at a time per account: parallel guesses cannot pass the limit.
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))", f"link:{caller.tenant}:{account_id}"
        )
        failures = await store.link_failures(conn, caller.tenant, account_id, now - policy.window)
        decision = throttle.decide(failures, now=now, policy=policy)
        if not decision.allowed:
            minutes = max(1, round(decision.retry_after / timedelta(minutes=1)))
            raise Problem(
                429,
                "too-many-attempts",
                "Too many wrong codes",
                f"Trop de codes erronés : réessayez dans {minutes} minute"
                f"{'s' if minutes > 1 else ''}.",
                headers={"Retry-After": str(decision.retry_after_seconds)},
                retry_after=decision.retry_after_seconds,
            )
        code = codes.normalise(data["code"])
        household = await store.household_by_code(conn, caller.tenant, code) if code else None
        if household is None:
            await store.record_link_failure(
                conn, caller.tenant, account_id, now, prune_before=now - policy.window
            )
            wrong = True
        else:
            current = await store.household_of_account(conn, caller.tenant, account_id)
            if current is not None and current != household["id"]:
                raise AlreadyLinked()
            if current is None:
                await store.link_account(
                    conn,
                    tenant=caller.tenant,
                    account_id=account_id,
                    household_id=household["id"],
                    linked_by="subscriber_code",
                    now=now,
                )
                event = new_event(
                    "family.HouseholdLinked",
                    {
                        "household_id": household["id"],
                        "account_id": account_id,
                        "linked_by": "subscriber_code",
                    },
                    tenant_id=caller.tenant,
                    producer="family",
                )
                await outbox.record(conn, event)
    if wrong:  # raised after the commit: the failure must count
        raise WrongCode(errors=[{"field": "code", "detail": WrongCode.detail}])
    return json_response(
        LinkedOut(),
        {
            "household_id": household["id"],
            "detail": "Votre compte est rattaché à votre foyer. Déconnectez-vous puis "
            "reconnectez-vous pour y accéder.",
        },
    )


# --- pending changes: lists, review, decision -------------------------------------------


@routes.get("/tenants/{tenant}/changes")
@doc(
    "Changes proposed by families (staff), oldest first",
    query=ChangesQuery,
    response=ChangePageOut,
    tags=["changes"],
)
async def list_changes(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    query = read_query(request, ChangesQuery())
    status = None if query["status"] == "all" else query["status"]
    per_page = query["per_page"]
    rows, total = await store.list_changes(
        request.app[POOL],
        caller.tenant,
        status=status,
        household_id=query["household_id"],
        limit=per_page,
        offset=(query["page"] - 1) * per_page,
    )
    vault = request.app[VAULT]
    return json_response(
        ChangePageOut(),
        {
            "items": [change_body(r, vault) for r in rows],
            "total": total,
            "page": query["page"],
            "per_page": per_page,
        },
    )


@routes.get("/tenants/{tenant}/me/household/changes")
@doc("My changes: pending and decided, newest first", response=ChangePageOut, tags=["changes"])
async def my_changes(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    query = read_query(request, ChangesQuery())
    status = None if query["status"] == "all" else query["status"]
    rows, total = await store.list_changes(
        scope.pool,
        scope.tenant,
        status=status,
        household_id=scope.household_id,
        limit=query["per_page"],
        offset=(query["page"] - 1) * query["per_page"],
    )
    return json_response(
        ChangePageOut(),
        {
            "items": [change_body(r, scope.vault) for r in rows],
            "total": total,
            "page": query["page"],
            "per_page": query["per_page"],
        },
    )


@routes.get("/tenants/{tenant}/me/household/changes/{change_id}")
@doc("One of my changes, with its content", response=ChangeOut, tags=["changes"])
async def my_change(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    change_id = path_uuid(request, "change_id", ChangeNotFound)
    change = await store.get_change(scope.pool, scope.tenant, change_id)
    if change is None or change["household_id"] != scope.household_id:
        raise ChangeNotFound()
    return json_response(ChangeOut(), change_body(change, scope.vault, reveal=True))


@routes.get("/tenants/{tenant}/changes/{change_id}")
@doc(
    "A proposed change with its content (staff; reading a health change is logged)",
    response=ChangeOut,
    tags=["changes"],
)
async def get_change(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    change_id = path_uuid(request, "change_id", ChangeNotFound)
    async with request.app[POOL].acquire() as conn, conn.transaction():
        change = await store.get_change(conn, caller.tenant, change_id)
        if change is None:
            raise ChangeNotFound()
        if change["sealed"] is not None:
            await store.log_health_access(
                conn,
                tenant=caller.tenant,
                household_id=change["household_id"],
                child_id=change["parent_id"],
                account_id=uuid.UUID(caller.account_id),
                roles=sorted(caller.roles),
                purpose="change-review",
                now=utcnow(),
            )
    return json_response(ChangeOut(), change_body(change, request.app[VAULT], reveal=True))


async def _decide(request: web.Request, decision: str) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    change_id = path_uuid(request, "change_id", ChangeNotFound)
    reason = (await read_json(request, RejectIn()))["reason"] if decision == "rejected" else None
    vault = request.app[VAULT]
    async with request.app[POOL].acquire() as conn, conn.transaction():
        change = await store.get_change(conn, caller.tenant, change_id, for_update=True)
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
        ops = Ops(conn, caller.tenant, uuid.UUID(caller.account_id), vault)
        result_id = None
        household_id = change["household_id"]
        if change["entity"] == "new_household" and status == "rejected":
            ops.event(
                "family.HouseholdCreationRejected",
                {"change_id": change_id, "account_id": change["submitted_by"], "reason": reason},
            )
        elif change["entity"] == "new_household":
            household_id = result_id = await create_requested_household(ops, change)
        elif status == "approved":
            if change["entity"] == "photo":
                data = await _photo_change_data(conn, change)
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
            try:
                result_id = await apply_change(
                    ops,
                    entity=change["entity"],
                    operation=change["operation"],
                    household_id=change["household_id"],
                    entity_id=change["entity_id"],
                    parent_id=change["parent_id"],
                    data=data,
                )
            except (MemberNotFound, HouseholdNotFound) as exc:
                raise ChangeNoLongerApplies(exc.detail) from None
        await store.decide_change(
            conn,
            change_id,
            status=status,
            decided_by=ops.actor,
            reason=reason,
            result_id=result_id,
            now=ops.now,
        )
        if change["entity"] == "photo":
            # Applied (copied to the child) or refused: the proposed image is not kept.
            await store.drop_pending_photo(conn, change_id)
        if household_id is not None:
            await _decided_event(ops, change, household_id, status, reason)
        await ops.flush()
        decided = await store.get_change(conn, caller.tenant, change_id)
    assert decided is not None
    return json_response(ChangeOut(), change_body(decided, vault))


async def _photo_change_data(conn: Any, change: dict[str, Any]) -> dict[str, Any]:
    """What an approved photo change applies: the image kept apart while it waited."""
    if change["operation"] == "delete":
        return {}
    content = await store.pending_photo(conn, change["id"])
    if content is None or hashlib.sha256(content).hexdigest() != change["proposed"]["sha256"]:
        raise ChangeNoLongerApplies()
    return {"content_type": change["proposed"]["content_type"], "content": content}


async def create_requested_household(ops: Ops, change: dict[str, Any]) -> uuid.UUID:
    """Approve a new family's own household: create it and link the account that asked."""
    account_id = change["submitted_by"]
    if await store.household_of_account(ops.conn, ops.tenant, account_id) is not None:
        raise ChangeNoLongerApplies(
            "Ce compte a été rattaché à un foyer entre-temps ; rejetez la demande."
        )
    try:
        data = NewHouseholdIn().load(change["proposed"] or {})
    except ValidationError as exc:
        problem = validation_problem(exc.messages)
        raise ChangeNoLongerApplies(errors=problem.extra["errors"]) from None
    household = await ops.create_household(data)
    await store.link_account(
        ops.conn,
        tenant=ops.tenant,
        account_id=account_id,
        household_id=household["id"],
        linked_by="staff",
        now=ops.now,
    )
    ops.event(
        "family.HouseholdLinked",
        {"household_id": household["id"], "account_id": account_id, "linked_by": "staff"},
    )
    await store.set_change_household(ops.conn, change["id"], household["id"])
    return household["id"]


async def _decided_event(
    ops: Ops, change: dict[str, Any], household_id: uuid.UUID, status: str, reason: str | None
) -> None:
    change_id = change["id"]
    accounts = await store.linked_accounts(ops.conn, household_id)
    ops.event(
        "family.ChangeRequestDecided",
        {
            "change_id": change_id,
            "household_id": household_id,
            "entity": change["entity"],
            "operation": change["operation"],
            "summary": change_rules.summary(change["entity"], change["operation"], change["label"]),
            "decision": status,
            "reason": reason,
            "submitted_by": change["submitted_by"],
            "account_ids": [a["account_id"] for a in accounts],
        },
    )


@routes.post("/tenants/{tenant}/changes/{change_id}/approve")
@doc(
    "Approve a change: applied with its events in one transaction (staff)",
    response=ChangeOut,
    tags=["changes"],
    responses={409: "Already decided, or no longer applicable"},
)
async def approve_change(request: web.Request) -> web.Response:
    return await _decide(request, "approved")


@routes.post("/tenants/{tenant}/changes/{change_id}/reject")
@doc(
    "Reject a change with a reason the family will read (staff)",
    request=RejectIn,
    response=ChangeOut,
    tags=["changes"],
    responses={409: "Already decided"},
)
async def reject_change(request: web.Request) -> web.Response:
    return await _decide(request, "rejected")


# --- privacy export -----------------------------------------------------------------------


@routes.get("/tenants/{tenant}/me/household/export")
@doc("Everything held about my household (JSON download)", response=ExportOut, tags=["privacy"])
async def export(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    async with scope.pool.acquire() as conn:
        household = HouseholdOut().dump(
            await household_file(conn, scope.tenant, scope.household_id)
        )
        ops = scope.ops(conn)
        health = []
        for child in household["children"]:
            record = await ops.read_health(scope.household_id, uuid.UUID(child["id"]))
            if record is not None:
                health.append(HealthOut().dump(record))
        quotients = QuotientOut(many=True).dump(await store.quotients(conn, scope.household_id))
        rows, _ = await store.list_changes(
            conn, scope.tenant, status=None, household_id=scope.household_id, limit=10_000, offset=0
        )
        changes = [ChangeOut().dump(change_body(r, scope.vault, reveal=True)) for r in rows]
        log = AccessLogOut().dump(
            {"items": await store.health_access_log(conn, scope.household_id)}
        )["items"]
        documents, _ = await store.list_documents(
            conn,
            scope.tenant,
            household_id=scope.household_id,
            status=None,
            document_type=None,
            limit=10_000,
            offset=0,
        )
        requests, _ = await store.list_requests(
            conn,
            scope.tenant,
            household_id=scope.household_id,
            status=None,
            topic=None,
            limit=10_000,
            offset=0,
        )
        for row in requests:
            row["messages"] = await store.request_messages(conn, row["id"])
            for message in row["messages"]:
                message["attachment"] = (
                    {"filename": message["filename"], "size": message["size"]}
                    if message["filename"]
                    else None
                )
        deletions = await store.deletion_requests_of(conn, scope.household_id)
    body = {
        "household": household,
        "health_records": health,
        "quotients": quotients,
        "changes": changes,
        "health_access_log": log,
        "documents": DocumentOut(many=True).dump(documents),
        "requests": RequestOut(many=True).dump(requests),
        "deletion_requests": DeletionRequestOut(many=True).dump(deletions),
        "exported_at": utcnow(),
    }
    response = json_response(ExportOut(), body)
    response.headers["Content-Disposition"] = 'attachment; filename="mes-donnees.json"'
    return response

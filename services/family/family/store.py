"""All SQL of the family service (asyncpg, parameterised, the service's own schema)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg

from family.domain import contacts as contact_rules

# The schema these functions work on.
MIGRATIONS = Path(__file__).parent / "migrations"

Conn = asyncpg.Connection | asyncpg.Pool
Row = dict[str, Any]

# Table → the columns a request may write (names never come from a request).
EDITABLE: dict[str, tuple[str, ...]] = {
    "households": (
        "address",
        "phones",
        "marital_status",
        "custody",
        "custody_detail",
        "billed_guardian_id",
    ),
    "guardians": (
        "first_name",
        "last_name",
        "birth_date",
        "relationship",
        "email",
        "phones",
        "address",
        "employer",
        "fiscal",
    ),
    "children": (
        "first_name",
        "last_name",
        "birth_date",
        "sex",
        "school",
        "grade",
        "diet",
        "image_rights",
    ),
    "contacts": ("first_name", "last_name", "phone", "relationship", "can_pick_up", "emergency"),
}
_LINKS = {"guardians": (), "children": (), "contacts": ("child_id",)}
# Columns the use cases set along with a request's (never from it): when and by whom a
# contact's flags were given (domain.contacts).
_STAMPED: dict[str, tuple[str, ...]] = {"contacts": contact_rules.STAMPS}


def _written(table: str) -> tuple[str, ...]:
    return EDITABLE[table] + _STAMPED.get(table, ())


def _row(record: asyncpg.Record | None) -> Row | None:
    return dict(record) if record else None


async def lock(conn: asyncpg.Connection, key: str) -> None:
    """Wait for, then hold until the transaction ends, the lock named `key` (one decision at
    a time about one thing, e.g. ``link:<tenant>:<account>``)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", key)


# --- households -------------------------------------------------------------------------


async def insert_household(
    conn: Conn,
    *,
    tenant: str,
    code: str,
    address: dict[str, Any],
    phones: list[str],
    created_by: uuid.UUID,
    now: datetime,
) -> Row | None:
    """None when the subscriber code is taken in the tenant (draw another)."""
    return _row(
        await conn.fetchrow(
            "INSERT INTO households (id, tenant, subscriber_code, address, phones, created_by,"
            " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"
            " ON CONFLICT (tenant, subscriber_code) DO NOTHING RETURNING *",
            uuid.uuid4(),
            tenant,
            code,
            address,
            phones,
            created_by,
            now,
        )
    )


async def get_household(
    conn: Conn, tenant: str, household_id: uuid.UUID, *, for_update: bool = False
) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return _row(
        await conn.fetchrow(
            f"SELECT * FROM households WHERE tenant = $1 AND id = $2{lock}", tenant, household_id
        )
    )


async def set_subscriber_code(
    conn: asyncpg.Connection, household_id: uuid.UUID, code: str, now: datetime
) -> bool:
    """False when the code is taken in the tenant (draw another); the savepoint keeps the
    caller's transaction usable after the conflict."""
    try:
        async with conn.transaction():
            await conn.execute(
                "UPDATE households SET subscriber_code = $2, updated_at = $3 WHERE id = $1",
                household_id,
                code,
                now,
            )
    except asyncpg.UniqueViolationError:
        return False
    return True


async def lock_household(conn: asyncpg.Connection, household_id: uuid.UUID) -> None:
    """Hold the household's row until the transaction ends (whatever its tenant)."""
    await conn.execute("SELECT 1 FROM households WHERE id = $1 FOR UPDATE", household_id)


async def household_by_guardian_email(conn: Conn, tenant: str, email: str) -> Row | None:
    """The oldest household of the tenant with a guardian of this email (any case)."""
    return _row(
        await conn.fetchrow(
            "SELECT h.* FROM households h JOIN guardians g ON g.household_id = h.id"
            " WHERE h.tenant = $1 AND lower(g.email) = lower($2) ORDER BY h.created_at LIMIT 1",
            tenant,
            email,
        )
    )


async def household_by_code(conn: Conn, tenant: str, code: str) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT * FROM households WHERE tenant = $1 AND subscriber_code = $2"
            " AND anonymised_at IS NULL",
            tenant,
            code,
        )
    )


async def known_people(
    conn: Conn, tenant: str, birth_dates: Sequence[date], emails: Sequence[str]
) -> tuple[list[Row], list[Row]]:
    """Children born on one of `birth_dates` and guardians with one of `emails` (any case),
    each with their household's subscriber code: the candidates an import may duplicate."""
    children = await conn.fetch(
        "SELECT c.household_id, h.subscriber_code, c.first_name, c.last_name, c.birth_date"
        " FROM children c JOIN households h ON h.id = c.household_id"
        " WHERE c.tenant = $1 AND c.birth_date = ANY($2::date[])",
        tenant,
        list(birth_dates),
    )
    guardians = await conn.fetch(
        "SELECT g.household_id, h.subscriber_code, lower(g.email) AS email"
        " FROM guardians g JOIN households h ON h.id = g.household_id"
        " WHERE g.tenant = $1 AND lower(g.email) = ANY($2::text[])",
        tenant,
        [e.lower() for e in emails],
    )
    return [dict(r) for r in children], [dict(r) for r in guardians]


# Accented letters of French names and their plain ones, for a search that ignores accents
# without the unaccent extension (translate() maps one letter to one letter).
ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿ"
PLAIN = "aaaaaaceeeeiiiinooooouuuuyy"


def _folded(sql: str) -> str:
    """A SQL expression lower-cased and without accents (as `fold` does in Python)."""
    return f"translate(lower({sql}), '{ACCENTED}', '{PLAIN}')"


def fold(text: str) -> str:
    return text.lower().translate(str.maketrans(ACCENTED, PLAIN))


async def search_households(
    conn: Conn, tenant: str, text: str, *, limit: int, offset: int, linked: bool | None = None
) -> tuple[list[Row], int]:
    """Households whose guardian or child name, guardian email or subscriber code matches,
    case and accents ignored (« ines » finds Inès); `linked` False: only those no account is
    linked to, True: only those with one (both leave anonymised households out)."""
    needle = text.strip().lower()
    folded = fold(needle)
    like = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    code = needle.upper().replace("-", "").replace(" ", "")
    guardian = _folded("g.first_name || ' ' || g.last_name")
    guardian_reversed = _folded("g.last_name || ' ' || g.first_name")
    child = _folded("c.first_name || ' ' || c.last_name")
    child_reversed = _folded("c.last_name || ' ' || c.first_name")
    where = (
        "h.tenant = $1 AND ($2 = '' OR h.subscriber_code = $3"
        " OR EXISTS (SELECT 1 FROM guardians g WHERE g.household_id = h.id AND ("
        f"   {guardian} LIKE $4 OR {guardian_reversed} LIKE $4 OR lower(g.email) = $2))"
        " OR EXISTS (SELECT 1 FROM children c WHERE c.household_id = h.id AND ("
        f"   {child} LIKE $4 OR {child_reversed} LIKE $4)))"
        " AND ($5::boolean IS NULL OR (h.anonymised_at IS NULL AND EXISTS ("
        "   SELECT 1 FROM household_accounts a WHERE a.household_id = h.id) = $5))"
    )
    total = await conn.fetchval(
        f"SELECT count(*) FROM households h WHERE {where}", tenant, needle, code, like, linked
    )
    rows = await conn.fetch(
        f"SELECT h.* FROM households h WHERE {where}"
        " ORDER BY h.created_at, h.id LIMIT $6 OFFSET $7",
        tenant,
        needle,
        code,
        like,
        linked,
        limit,
        offset,
    )
    return [dict(r) for r in rows], int(total)


async def touch_household(conn: Conn, household_id: uuid.UUID, now: datetime) -> None:
    await conn.execute("UPDATE households SET updated_at = $2 WHERE id = $1", household_id, now)


# --- members (guardians, children, contacts) and the household's own fields ------------


async def insert_member(
    conn: Conn,
    table: str,
    *,
    tenant: str,
    household_id: uuid.UUID,
    values: dict[str, Any],
    now: datetime,
    links: dict[str, Any] | None = None,
) -> Row:
    names = [n for n in _written(table) if n in values]
    link_names = list(_LINKS[table])
    columns = ["id", "tenant", "household_id", *link_names, *names, "created_at", "updated_at"]
    params = [
        uuid.uuid4(),
        tenant,
        household_id,
        *((links or {})[n] for n in link_names),
        *(values[n] for n in names),
        now,
    ]
    # created_at from the clock, not the transaction: members entered together keep their order.
    slots = [f"${i}" for i in range(1, len(params) + 1)]
    placeholders = ", ".join([*slots[:-1], "clock_timestamp()", slots[-1]])
    record = await conn.fetchrow(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) RETURNING *",
        *params,
    )
    assert record is not None
    return dict(record)


async def get_member(
    conn: Conn,
    table: str,
    tenant: str,
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Row | None:
    assert table in EDITABLE
    lock = " FOR UPDATE" if for_update else ""
    return _row(
        await conn.fetchrow(
            f"SELECT * FROM {table} WHERE tenant = $1 AND household_id = $2 AND id = $3{lock}",
            tenant,
            household_id,
            member_id,
        )
    )


async def update_member(
    conn: Conn,
    table: str,
    tenant: str,
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    changes: dict[str, Any],
    now: datetime,
) -> Row | None:
    """The updated row, None when it is not one of the household's."""
    key = "id"
    names = [n for n in _written(table) if n in changes]
    assignments = "".join(f", {name} = ${i}" for i, name in enumerate(names, start=5))
    return _row(
        await conn.fetchrow(
            f"UPDATE {table} SET updated_at = $4{assignments}"
            f" WHERE tenant = $1 AND {'id' if table == 'households' else 'household_id'} = $2"
            f" AND {key} = $3 RETURNING *",
            tenant,
            household_id,
            member_id,
            now,
            *(changes[n] for n in names),
        )
    )


async def delete_member(
    conn: Conn, table: str, tenant: str, household_id: uuid.UUID, member_id: uuid.UUID
) -> bool:
    assert table in ("guardians", "contacts")
    return (
        await conn.execute(
            f"DELETE FROM {table} WHERE tenant = $1 AND household_id = $2 AND id = $3",
            tenant,
            household_id,
            member_id,
        )
    ) != "DELETE 0"


async def members(conn: Conn, table: str, household_id: uuid.UUID) -> list[Row]:
    order = {"guardians": "created_at, id", "children": "birth_date, id"}.get(
        table, "created_at, id"
    )
    assert table in EDITABLE
    rows = await conn.fetch(
        f"SELECT * FROM {table} WHERE household_id = $1 ORDER BY {order}", household_id
    )
    return [dict(r) for r in rows]


async def count_guardians(conn: Conn, household_id: uuid.UUID) -> int:
    return int(
        await conn.fetchval("SELECT count(*) FROM guardians WHERE household_id = $1", household_id)
    )


# --- accounts and subscriber codes ------------------------------------------------------


async def household_of_account(conn: Conn, tenant: str, account_id: uuid.UUID) -> uuid.UUID | None:
    """The account's first linked household (None: not linked at all)."""
    households = await households_of_account(conn, tenant, account_id)
    return households[0] if households else None


async def households_of_account(conn: Conn, tenant: str, account_id: uuid.UUID) -> list[uuid.UUID]:
    """Every household the account is linked to, the first linked first."""
    rows = await conn.fetch(
        "SELECT household_id FROM household_accounts WHERE tenant = $1 AND account_id = $2"
        " ORDER BY linked_at, household_id",
        tenant,
        account_id,
    )
    return [r["household_id"] for r in rows]


async def account_of_another_tenant(conn: Conn, tenant: str, account_id: uuid.UUID) -> bool:
    """Whether the account is known linked in another tenant only (an account is one
    tenant's: identity's)."""
    return bool(
        await conn.fetchval(
            """
            SELECT EXISTS (SELECT 1 FROM household_accounts WHERE account_id = $2 AND tenant <> $1)
               AND NOT EXISTS (SELECT 1 FROM household_accounts
                               WHERE account_id = $2 AND tenant = $1)
            """,
            tenant,
            account_id,
        )
    )


async def account_households(conn: Conn, tenant: str, account_id: uuid.UUID) -> list[Row]:
    """The account's households for its switcher, the first linked first: each with its
    guardians' last names and children's first names (in the file's order)."""
    rows = await conn.fetch(
        "SELECT a.household_id AS id, a.linked_at,"
        "       ARRAY(SELECT g.last_name FROM guardians g WHERE g.household_id = a.household_id"
        "             ORDER BY g.created_at, g.id) AS guardian_last_names,"
        "       ARRAY(SELECT c.first_name FROM children c WHERE c.household_id = a.household_id"
        "             ORDER BY c.birth_date, c.id) AS children"
        " FROM household_accounts a"
        " WHERE a.tenant = $1 AND a.account_id = $2"
        " ORDER BY a.linked_at, a.household_id",
        tenant,
        account_id,
    )
    return [dict(r) for r in rows]


async def link_account(
    conn: Conn,
    *,
    tenant: str,
    account_id: uuid.UUID,
    household_id: uuid.UUID,
    linked_by: str,
    now: datetime,
) -> bool:
    """False when the account is already linked to this household."""
    return bool(
        await conn.fetchval(
            "INSERT INTO household_accounts (tenant, account_id, household_id, linked_by,"
            " linked_at) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (tenant, account_id, household_id) DO NOTHING RETURNING true",
            tenant,
            account_id,
            household_id,
            linked_by,
            now,
        )
    )


async def linked_accounts(conn: Conn, household_id: uuid.UUID) -> list[Row]:
    rows = await conn.fetch(
        "SELECT account_id, linked_by, linked_at FROM household_accounts"
        " WHERE household_id = $1 ORDER BY linked_at, account_id",
        household_id,
    )
    return [dict(r) for r in rows]


async def link_failures(
    conn: Conn, tenant: str, account_id: uuid.UUID, since: datetime
) -> list[datetime]:
    return [
        r["failed_at"]
        for r in await conn.fetch(
            "SELECT failed_at FROM link_failures"
            " WHERE tenant = $1 AND account_id = $2 AND failed_at > $3",
            tenant,
            account_id,
            since,
        )
    ]


async def record_link_failure(
    conn: Conn, tenant: str, account_id: uuid.UUID, now: datetime, *, prune_before: datetime
) -> None:
    await conn.execute(
        "DELETE FROM link_failures WHERE tenant = $1 AND account_id = $2 AND failed_at < $3",
        tenant,
        account_id,
        prune_before,
    )
    await conn.execute(
        "INSERT INTO link_failures (tenant, account_id, failed_at) VALUES ($1, $2, $3)",
        tenant,
        account_id,
        now,
    )


# --- health records ---------------------------------------------------------------------


async def get_health(conn: Conn, tenant: str, child_id: uuid.UUID) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT * FROM health_records WHERE tenant = $1 AND child_id = $2", tenant, child_id
        )
    )


async def children_with_health(conn: Conn, household_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT child_id FROM health_records WHERE household_id = $1", household_id
    )
    return {r["child_id"] for r in rows}


async def put_health(
    conn: Conn,
    *,
    tenant: str,
    household_id: uuid.UUID,
    child_id: uuid.UUID,
    key_id: str,
    sealed: bytes,
    updated_by: uuid.UUID,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO health_records (child_id, tenant, household_id, key_id, sealed, updated_by,"
        " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (child_id) DO UPDATE SET key_id = $4, sealed = $5, updated_by = $6,"
        " updated_at = $7",
        child_id,
        tenant,
        household_id,
        key_id,
        sealed,
        updated_by,
        now,
    )


async def log_health_access(
    conn: Conn,
    *,
    tenant: str,
    household_id: uuid.UUID,
    child_id: uuid.UUID | None,
    account_id: uuid.UUID,
    roles: list[str],
    purpose: str,
    now: datetime,
    member_kind: str | None = None,
    member_id: uuid.UUID | None = None,
    document_id: uuid.UUID | None = None,
) -> None:
    """One line of the health access log: a child's record read, or a health document
    (about a child, a guardian or the household) downloaded."""
    if child_id is not None and member_id is None:
        member_kind, member_id = "child", child_id
    await conn.execute(
        "INSERT INTO health_access_log (tenant, household_id, child_id, account_id, roles,"
        " purpose, accessed_at, member_kind, member_id, document_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        tenant,
        household_id,
        child_id,
        account_id,
        roles,
        purpose,
        now,
        member_kind,
        member_id,
        document_id,
    )


async def health_access_log(
    conn: Conn, household_id: uuid.UUID, child_id: uuid.UUID | None = None
) -> list[Row]:
    rows = await conn.fetch(
        "SELECT child_id, member_kind, member_id, document_id, account_id, roles, purpose,"
        " accessed_at FROM health_access_log"
        " WHERE household_id = $1 AND ($2::uuid IS NULL OR child_id = $2)"
        " ORDER BY accessed_at DESC, id DESC LIMIT 500",
        household_id,
        child_id,
    )
    return [dict(r) for r in rows]


# --- children's photos ------------------------------------------------------------------

_PHOTO_META = "child_id, content_type, size, sha256, updated_by, updated_at"


async def get_photo(
    conn: Conn, tenant: str, child_id: uuid.UUID, *, content: bool = False
) -> Row | None:
    columns = _PHOTO_META + (", content" if content else "")
    return _row(
        await conn.fetchrow(
            f"SELECT {columns} FROM child_photos WHERE tenant = $1 AND child_id = $2",
            tenant,
            child_id,
        )
    )


async def put_photo(
    conn: Conn,
    *,
    tenant: str,
    household_id: uuid.UUID,
    child_id: uuid.UUID,
    content_type: str,
    sha256: str,
    content: bytes,
    updated_by: uuid.UUID,
    now: datetime,
) -> Row:
    record = await conn.fetchrow(
        "INSERT INTO child_photos (child_id, tenant, household_id, content_type, size, sha256,"
        " content, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (child_id) DO UPDATE SET content_type = $4, size = $5, sha256 = $6,"
        f" content = $7, updated_by = $8, updated_at = $9 RETURNING {_PHOTO_META}",
        child_id,
        tenant,
        household_id,
        content_type,
        len(content),
        sha256,
        content,
        updated_by,
        now,
    )
    assert record is not None
    return dict(record)


async def delete_photo(conn: Conn, tenant: str, child_id: uuid.UUID) -> bool:
    return (
        await conn.execute(
            "DELETE FROM child_photos WHERE tenant = $1 AND child_id = $2", tenant, child_id
        )
    ) != "DELETE 0"


async def children_with_photo(conn: Conn, household_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT child_id FROM child_photos WHERE household_id = $1", household_id
    )
    return {r["child_id"] for r in rows}


async def put_pending_photo(conn: Conn, change_id: uuid.UUID, content: bytes) -> None:
    await conn.execute(
        "INSERT INTO pending_photos (change_id, content) VALUES ($1, $2)", change_id, content
    )


async def pending_photo(conn: Conn, change_id: uuid.UUID) -> bytes | None:
    return await conn.fetchval("SELECT content FROM pending_photos WHERE change_id = $1", change_id)


async def drop_pending_photo(conn: Conn, change_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM pending_photos WHERE change_id = $1", change_id)


# --- family quotient --------------------------------------------------------------------


async def insert_quotient(
    conn: Conn,
    *,
    tenant: str,
    household_id: uuid.UUID,
    value: int,
    source: str,
    valid_from: Any,
    valid_until: Any,
    recorded_by: uuid.UUID,
    now: datetime,
) -> Row:
    record = await conn.fetchrow(
        "INSERT INTO quotients (id, tenant, household_id, value, source, valid_from,"
        " valid_until, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " RETURNING *",
        uuid.uuid4(),
        tenant,
        household_id,
        value,
        source,
        valid_from,
        valid_until,
        recorded_by,
        now,
    )
    assert record is not None
    return dict(record)


async def quotients(conn: Conn, household_id: uuid.UUID) -> list[Row]:
    rows = await conn.fetch(
        "SELECT * FROM quotients WHERE household_id = $1 ORDER BY valid_from DESC, seq DESC",
        household_id,
    )
    return [dict(r) for r in rows]


# --- pending changes --------------------------------------------------------------------


async def insert_change(conn: Conn, change: dict[str, Any]) -> Row:
    columns = list(change)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    record = await conn.fetchrow(
        f"INSERT INTO pending_changes ({', '.join(columns)}) VALUES ({placeholders}) RETURNING *",
        *change.values(),
    )
    assert record is not None
    return dict(record)


async def get_change(
    conn: Conn, tenant: str, change_id: uuid.UUID, *, for_update: bool = False
) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return _row(
        await conn.fetchrow(
            f"SELECT * FROM pending_changes WHERE tenant = $1 AND id = $2{lock}",
            tenant,
            change_id,
        )
    )


async def list_changes(
    conn: Conn,
    tenant: str,
    *,
    status: str | None,
    household_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    where = (
        "tenant = $1 AND ($2::text IS NULL OR status = $2)"
        " AND ($3::uuid IS NULL OR household_id = $3)"
    )
    total = await conn.fetchval(
        f"SELECT count(*) FROM pending_changes WHERE {where}", tenant, status, household_id
    )
    rows = await conn.fetch(
        f"SELECT * FROM pending_changes WHERE {where} ORDER BY submitted_at, id LIMIT $4 OFFSET $5",
        tenant,
        status,
        household_id,
        limit,
        offset,
    )
    return [dict(r) for r in rows], int(total)


async def decide_change(
    conn: Conn,
    change_id: uuid.UUID,
    *,
    status: str,
    decided_by: uuid.UUID,
    reason: str | None,
    result_id: uuid.UUID | None,
    now: datetime,
) -> None:
    await conn.execute(
        "UPDATE pending_changes SET status = $2, decided_by = $3, decided_at = $4, reason = $5,"
        " result_id = $6 WHERE id = $1 AND status = 'pending'",
        change_id,
        status,
        decided_by,
        now,
        reason,
        result_id,
    )


# --- per-tenant lists: document types, request topics ------------------------------------

_LISTS = ("document_types", "request_topics")


async def catalog(conn: Conn, table: str, tenant: str, defaults: Any) -> list[Row]:
    """The tenant's list, seeded with the defaults the first time it is read."""
    assert table in _LISTS
    if not await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE tenant = $1)", tenant):
        await conn.executemany(
            f"INSERT INTO {table} (tenant, code, label, position) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT DO NOTHING",
            [(tenant, code, label, i) for i, (code, label) in enumerate(defaults, start=1)],
        )
    rows = await conn.fetch(
        f"SELECT code, label FROM {table} WHERE tenant = $1 ORDER BY position, label", tenant
    )
    return [dict(r) for r in rows]


async def add_catalog_entry(conn: Conn, table: str, tenant: str, code: str, label: str) -> bool:
    """False when the code is already in the tenant's list."""
    assert table in _LISTS
    return bool(
        await conn.fetchval(
            f"INSERT INTO {table} (tenant, code, label) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING RETURNING true",
            tenant,
            code,
            label,
        )
    )


async def rename_catalog_entry(conn: Conn, table: str, tenant: str, code: str, label: str) -> bool:
    """False when the code is not in the tenant's list. The code stays: what refers to it
    (documents, requests, other services' rules) keeps referring to it."""
    assert table in _LISTS
    return bool(
        await conn.fetchval(
            f"UPDATE {table} SET label = $3 WHERE tenant = $1 AND code = $2 RETURNING true",
            tenant,
            code,
            label,
        )
    )


# --- the town's permissions per child, proofs required with changes ---------------------


async def permission_types(conn: Conn, tenant: str, defaults: Any) -> list[Row]:
    """The tenant's permissions (active or not), seeded with the defaults the first time."""
    if not await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM permission_types WHERE tenant = $1)", tenant
    ):
        await conn.executemany(
            "INSERT INTO permission_types (tenant, code, label, position) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT DO NOTHING",
            [(tenant, code, label, i) for i, (code, label) in enumerate(defaults, start=1)],
        )
    rows = await conn.fetch(
        "SELECT code, label, position, active FROM permission_types WHERE tenant = $1"
        " ORDER BY position, label",
        tenant,
    )
    return [dict(r) for r in rows]


async def add_permission_type(
    conn: Conn, tenant: str, code: str, label: str, position: int | None, active: bool
) -> bool:
    """False when the code is already in the tenant's list; default position: last."""
    return bool(
        await conn.fetchval(
            "INSERT INTO permission_types (tenant, code, label, position, active)"
            " VALUES ($1, $2, $3, COALESCE($4, (SELECT COALESCE(max(position), 0) + 1"
            "  FROM permission_types WHERE tenant = $1)), $5)"
            " ON CONFLICT DO NOTHING RETURNING true",
            tenant,
            code,
            label,
            position,
            active,
        )
    )


async def update_permission_type(
    conn: Conn, tenant: str, code: str, changes: dict[str, Any]
) -> bool:
    """False when the code is not in the tenant's list (the code itself never changes)."""
    names = [n for n in ("label", "position", "active") if n in changes]
    assignments = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, start=3)) or "code = code"
    return bool(
        await conn.fetchval(
            f"UPDATE permission_types SET {assignments} WHERE tenant = $1 AND code = $2"
            " RETURNING true",
            tenant,
            code,
            *(changes[n] for n in names),
        )
    )


async def child_permissions(conn: Conn, household_id: uuid.UUID) -> list[Row]:
    """The answers given for the household's children."""
    rows = await conn.fetch(
        "SELECT p.* FROM child_permissions p JOIN children c ON c.id = p.child_id"
        " WHERE c.household_id = $1",
        household_id,
    )
    return [dict(r) for r in rows]


async def set_child_permissions(
    conn: Conn,
    tenant: str,
    child_id: uuid.UUID,
    answers: dict[str, bool],
    *,
    given_by: uuid.UUID | None,
    now: datetime,
) -> None:
    """Record the answers; one unchanged keeps its date and author."""
    await conn.executemany(
        "INSERT INTO child_permissions (tenant, child_id, code, granted, given_at, given_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (child_id, code) DO UPDATE"
        " SET granted = EXCLUDED.granted, given_at = EXCLUDED.given_at,"
        " given_by = EXCLUDED.given_by WHERE child_permissions.granted <> EXCLUDED.granted",
        [(tenant, child_id, code, granted, now, given_by) for code, granted in answers.items()],
    )


async def proof_fields(conn: Conn, tenant: str) -> list[str] | None:
    """The household fields the tenant requires a proof for; None: never set (defaults)."""
    value = await conn.fetchval("SELECT fields FROM proof_settings WHERE tenant = $1", tenant)
    return None if value is None else list(value)


async def set_proof_fields(conn: Conn, tenant: str, names: Sequence[str]) -> None:
    await conn.execute(
        "INSERT INTO proof_settings (tenant, fields) VALUES ($1, $2)"
        " ON CONFLICT (tenant) DO UPDATE SET fields = EXCLUDED.fields",
        tenant,
        list(names),
    )


# --- documents --------------------------------------------------------------------------

_DOCUMENT_META = (
    "d.id, d.tenant, d.household_id, d.member_kind, d.member_id, d.document_type,"
    " t.label AS document_label, d.filename, d.content_type, d.size, d.sha256, d.status,"
    " d.valid_until, d.reason, d.uploaded_by, d.uploaded_at, d.decided_by, d.decided_at"
)
_DOCUMENT_FROM = (
    " FROM documents d JOIN document_types t ON t.tenant = d.tenant AND t.code = d.document_type"
)


async def pending_uploads(conn: Conn, household_id: uuid.UUID) -> int:
    """The household's files waiting for staff: documents and proposed photos."""
    return int(
        await conn.fetchval(
            "SELECT (SELECT count(*) FROM documents WHERE household_id = $1"
            "        AND status = 'pending')"
            "     + (SELECT count(*) FROM pending_changes WHERE household_id = $1"
            "        AND entity = 'photo' AND status = 'pending')",
            household_id,
        )
    )


async def insert_document(conn: Conn, values: dict[str, Any]) -> None:
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    await conn.execute(
        f"INSERT INTO documents ({', '.join(columns)}) VALUES ({placeholders})", *values.values()
    )


async def get_document(
    conn: Conn, tenant: str, document_id: uuid.UUID, *, for_update: bool = False
) -> Row | None:
    lock = " FOR UPDATE OF d" if for_update else ""
    return _row(
        await conn.fetchrow(
            f"SELECT {_DOCUMENT_META}{_DOCUMENT_FROM} WHERE d.tenant = $1 AND d.id = $2{lock}",
            tenant,
            document_id,
        )
    )


async def document_content(conn: Conn, document_id: uuid.UUID) -> bytes:
    return await conn.fetchval("SELECT content FROM documents WHERE id = $1", document_id)


async def list_documents(
    conn: Conn,
    tenant: str,
    *,
    household_id: uuid.UUID | None,
    status: str | None,
    document_type: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    where = (
        " WHERE d.tenant = $1 AND ($2::uuid IS NULL OR d.household_id = $2)"
        " AND ($3::text IS NULL OR d.status = $3) AND ($4::text IS NULL OR d.document_type = $4)"
    )
    args = (tenant, household_id, status, document_type)
    total = await conn.fetchval(f"SELECT count(*){_DOCUMENT_FROM}{where}", *args)
    rows = await conn.fetch(
        f"SELECT {_DOCUMENT_META}{_DOCUMENT_FROM}{where}"
        " ORDER BY d.uploaded_at, d.id LIMIT $5 OFFSET $6",
        *args,
        limit,
        offset,
    )
    return [dict(r) for r in rows], int(total)


async def decide_document(
    conn: Conn,
    document_id: uuid.UUID,
    *,
    status: str,
    valid_until: Any,
    reason: str | None,
    decided_by: uuid.UUID,
    now: datetime,
) -> None:
    await conn.execute(
        "UPDATE documents SET status = $2, valid_until = $3, reason = $4, decided_by = $5,"
        " decided_at = $6 WHERE id = $1",
        document_id,
        status,
        valid_until,
        reason,
        decided_by,
        now,
    )


# --- requests to the town ---------------------------------------------------------------

_REQUEST_SELECT = (
    "SELECT r.*, t.label AS topic_label,"
    " (SELECT count(*) FROM request_messages m WHERE m.request_id = r.id) AS message_count"
    " FROM requests r JOIN request_topics t ON t.tenant = r.tenant AND t.code = r.topic"
)


async def insert_request(conn: Conn, values: dict[str, Any]) -> None:
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    await conn.execute(
        f"INSERT INTO requests ({', '.join(columns)}) VALUES ({placeholders})", *values.values()
    )


async def insert_message(conn: Conn, values: dict[str, Any]) -> None:
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    await conn.execute(
        f"INSERT INTO request_messages ({', '.join(columns)}) VALUES ({placeholders})",
        *values.values(),
    )


async def get_request(
    conn: Conn, tenant: str, request_id: uuid.UUID, *, for_update: bool = False
) -> Row | None:
    lock = " FOR UPDATE OF r" if for_update else ""
    return _row(
        await conn.fetchrow(
            f"{_REQUEST_SELECT} WHERE r.tenant = $1 AND r.id = $2{lock}", tenant, request_id
        )
    )


async def set_request_status(conn: Conn, request_id: uuid.UUID, status: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE requests SET status = $2, updated_at = $3 WHERE id = $1", request_id, status, now
    )


async def list_requests(
    conn: Conn,
    tenant: str,
    *,
    household_id: uuid.UUID | None,
    status: str | None,
    topic: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    where = (
        " WHERE r.tenant = $1 AND ($2::uuid IS NULL OR r.household_id = $2)"
        " AND ($3::text IS NULL OR r.status = $3) AND ($4::text IS NULL OR r.topic = $4)"
    )
    args = (tenant, household_id, status, topic)
    total = await conn.fetchval(f"SELECT count(*) FROM requests r{where}", *args)
    rows = await conn.fetch(
        f"{_REQUEST_SELECT}{where} ORDER BY r.updated_at DESC, r.id LIMIT $5 OFFSET $6",
        *args,
        limit,
        offset,
    )
    return [dict(r) for r in rows], int(total)


async def request_messages(conn: Conn, request_id: uuid.UUID) -> list[Row]:
    rows = await conn.fetch(
        "SELECT id, side, author_id, body, filename, content_type, size, sha256, created_at"
        " FROM request_messages WHERE request_id = $1 ORDER BY seq",
        request_id,
    )
    return [dict(r) for r in rows]


async def message_attachment(
    conn: Conn, request_id: uuid.UUID, message_id: uuid.UUID
) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT filename, content_type, content FROM request_messages"
            " WHERE request_id = $1 AND id = $2 AND content IS NOT NULL",
            request_id,
            message_id,
        )
    )


# --- creation requests, staff links -----------------------------------------------------


async def pending_creation(conn: Conn, tenant: str, account_id: uuid.UUID) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT * FROM pending_changes WHERE tenant = $1 AND submitted_by = $2"
            " AND entity = 'new_household' ORDER BY submitted_at DESC LIMIT 1",
            tenant,
            account_id,
        )
    )


async def set_change_household(conn: Conn, change_id: uuid.UUID, household_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE pending_changes SET household_id = $2 WHERE id = $1", change_id, household_id
    )


# --- deletion requests and anonymisation ------------------------------------------------


async def insert_deletion_request(conn: Conn, values: dict[str, Any]) -> Row | None:
    """None when the household already has a pending deletion request."""
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return _row(
        await conn.fetchrow(
            f"INSERT INTO deletion_requests ({', '.join(columns)}) VALUES ({placeholders})"
            " ON CONFLICT (household_id) WHERE status = 'pending' DO NOTHING RETURNING *",
            *values.values(),
        )
    )


async def get_deletion_request(
    conn: Conn, tenant: str, request_id: uuid.UUID, *, for_update: bool = False
) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return _row(
        await conn.fetchrow(
            f"SELECT * FROM deletion_requests WHERE tenant = $1 AND id = $2{lock}",
            tenant,
            request_id,
        )
    )


async def deletion_requests_of(conn: Conn, household_id: uuid.UUID) -> list[Row]:
    rows = await conn.fetch(
        "SELECT * FROM deletion_requests WHERE household_id = $1 ORDER BY requested_at DESC",
        household_id,
    )
    return [dict(r) for r in rows]


async def list_deletion_requests(
    conn: Conn, tenant: str, *, status: str | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    where = " WHERE tenant = $1 AND ($2::text IS NULL OR status = $2)"
    total = await conn.fetchval(f"SELECT count(*) FROM deletion_requests{where}", tenant, status)
    rows = await conn.fetch(
        f"SELECT * FROM deletion_requests{where} ORDER BY requested_at, id LIMIT $3 OFFSET $4",
        tenant,
        status,
        limit,
        offset,
    )
    return [dict(r) for r in rows], int(total)


async def handle_deletion_request(
    conn: Conn,
    request_id: uuid.UUID,
    *,
    status: str,
    handled_by: uuid.UUID,
    reason: str | None,
    now: datetime,
) -> None:
    await conn.execute(
        "UPDATE deletion_requests SET status = $2, handled_by = $3, handled_at = $4, reason = $5"
        " WHERE id = $1",
        request_id,
        status,
        handled_by,
        now,
        reason,
    )


async def clear_deletion_messages(conn: Conn, household_id: uuid.UUID) -> None:
    """The family's own words in its deletion requests go with the rest."""
    await conn.execute(
        "UPDATE deletion_requests SET message = '' WHERE household_id = $1", household_id
    )


ANONYMOUS = "Anonyme"


async def anonymise_household(
    conn: Conn, household_id: uuid.UUID, now: datetime
) -> list[uuid.UUID]:
    """Erase what identifies the family, keep the ids (accounting); returns the accounts that
    were linked (now unlinked)."""
    await conn.execute(
        "UPDATE households SET address = '{}', phones = '[]', anonymised_at = $2, updated_at = $2"
        " WHERE id = $1",
        household_id,
        now,
    )
    await conn.execute(
        "UPDATE guardians SET first_name = $2, last_name = $2, birth_date = NULL, email = NULL,"
        " phones = '[]', address = NULL, employer = NULL, fiscal = NULL, updated_at = $3"
        " WHERE household_id = $1",
        household_id,
        ANONYMOUS,
        now,
    )
    # The birth year stays (age bands of past prices); the rest goes.
    await conn.execute(
        "UPDATE children SET first_name = $2, last_name = $2,"
        " birth_date = make_date(extract(year FROM birth_date)::int, 1, 1), sex = NULL,"
        " school = NULL, grade = NULL, diet = 'standard', image_rights = false, updated_at = $3"
        " WHERE household_id = $1",
        household_id,
        ANONYMOUS,
        now,
    )
    for table in (
        "contacts",
        "health_records",
        "child_photos",
        "documents",
        "requests",
        "pending_changes",
    ):
        await conn.execute(f"DELETE FROM {table} WHERE household_id = $1", household_id)
    # Those still waiting their turn are not invited now (identity refuses the household).
    await conn.execute(
        "UPDATE onboarding_guardians SET name = $2, email = NULL,"
        " state = CASE WHEN queued THEN 'skipped' ELSE state END,"
        " reason = CASE WHEN queued THEN 'household_anonymised' ELSE reason END,"
        " answered_at = CASE WHEN queued THEN $3 ELSE answered_at END, queued = false"
        " WHERE household_id = $1",
        household_id,
        ANONYMOUS,
        now,
    )
    accounts = await conn.fetch(
        "DELETE FROM household_accounts WHERE household_id = $1 RETURNING account_id",
        household_id,
    )
    return [r["account_id"] for r in accounts]


# --- onboarding runs (guardians of imported households invited) --------------------------


async def unknown_households(
    conn: Conn, tenant: str, household_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """The ids that are not households of the tenant."""
    found = {
        r["id"]
        for r in await conn.fetch(
            "SELECT id FROM households WHERE tenant = $1 AND id = ANY($2::uuid[])",
            tenant,
            list(household_ids),
        )
    }
    return [i for i in household_ids if i not in found]


async def guardians_to_onboard(
    conn: Conn, tenant: str, household_ids: Sequence[uuid.UUID] | None
) -> list[Row]:
    """The guardians of the households given (or, None, of every household without a linked
    account), households in their order of creation, each with whether they are pending or
    invited already in a run; never those of an anonymised household."""
    rows = await conn.fetch(
        "SELECT g.id, g.household_id, g.first_name, g.last_name, g.email,"
        "       EXISTS (SELECT 1 FROM onboarding_guardians o"
        "               WHERE o.tenant = g.tenant AND o.guardian_id = g.id"
        "                 AND o.state IN ('pending', 'invited')) AS already_invited"
        " FROM guardians g JOIN households h ON h.id = g.household_id"
        " WHERE g.tenant = $1 AND h.anonymised_at IS NULL"
        "   AND CASE WHEN $2::uuid[] IS NULL"
        "       THEN NOT EXISTS (SELECT 1 FROM household_accounts a"
        "                        WHERE a.tenant = h.tenant AND a.household_id = h.id)"
        "       ELSE h.id = ANY($2::uuid[]) END"
        " ORDER BY h.created_at, h.id, g.created_at, g.id",
        tenant,
        list(household_ids) if household_ids is not None else None,
    )
    return [dict(r) for r in rows]


async def insert_onboarding_run(
    conn: Conn,
    tenant: str,
    run_id: uuid.UUID,
    created_by: uuid.UUID,
    guardians: Sequence[Row],
    *,
    now: datetime,
) -> None:
    """The run and its guardians (each: household_id, guardian_id, name, email, state,
    reason); the pending ones queued, asked for at the onboarding pace."""
    await conn.execute(
        "INSERT INTO onboarding_runs (id, tenant, created_by, created_at) VALUES ($1, $2, $3, $4)",
        run_id,
        tenant,
        created_by,
        now,
    )
    await conn.executemany(
        "INSERT INTO onboarding_guardians (run_id, tenant, household_id, guardian_id, name,"
        " email, state, reason, queued, answered_at, position)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7 = 'pending',"
        "         CASE WHEN $7 = 'skipped' THEN $9::timestamptz END, $10)",
        [
            (
                run_id,
                tenant,
                g["household_id"],
                g["guardian_id"],
                g["name"],
                g["email"],
                g["state"],
                g["reason"],
                now,
                position,
            )
            for position, g in enumerate(guardians)
        ],
    )


async def onboarding_run(conn: Conn, tenant: str, run_id: uuid.UUID) -> Row | None:
    row = await conn.fetchrow(
        "SELECT id, created_by, created_at FROM onboarding_runs WHERE tenant = $1 AND id = $2",
        tenant,
        run_id,
    )
    return dict(row) if row else None


async def onboarding_guardians(conn: Conn, run_id: uuid.UUID) -> list[Row]:
    rows = await conn.fetch(
        "SELECT household_id, guardian_id, name, email, state, reason, account_id, queued,"
        " requested_at, answered_at FROM onboarding_guardians WHERE run_id = $1"
        " ORDER BY position",
        run_id,
    )
    return [dict(r) for r in rows]


async def onboarding_runs(
    conn: Conn, tenant: str, *, limit: int, offset: int
) -> tuple[list[Row], int]:
    """Newest first, with their counts."""
    rows = await conn.fetch(
        "SELECT r.id, r.created_by, r.created_at,"
        " count(g.guardian_id) AS total,"
        " count(g.guardian_id) FILTER (WHERE g.state = 'pending') AS pending,"
        " count(g.guardian_id) FILTER (WHERE g.state = 'pending' AND g.queued) AS queued,"
        " count(g.guardian_id) FILTER (WHERE g.state = 'invited') AS invited,"
        " count(g.guardian_id) FILTER (WHERE g.state = 'skipped') AS skipped"
        " FROM onboarding_runs r LEFT JOIN onboarding_guardians g ON g.run_id = r.id"
        " WHERE r.tenant = $1 GROUP BY r.id ORDER BY r.created_at DESC, r.id"
        " LIMIT $2 OFFSET $3",
        tenant,
        limit,
        offset,
    )
    total = await conn.fetchval("SELECT count(*) FROM onboarding_runs WHERE tenant = $1", tenant)
    return [dict(r) for r in rows], total


async def lock_onboarding_run(conn: Conn, tenant: str, run_id: uuid.UUID) -> bool:
    """Hold the run's row until the transaction ends; False when there is no such run."""
    return bool(
        await conn.fetchval(
            "SELECT true FROM onboarding_runs WHERE tenant = $1 AND id = $2 FOR UPDATE",
            tenant,
            run_id,
        )
    )


async def answer_onboarding_guardian(
    conn: Conn,
    tenant: str,
    run_id: uuid.UUID,
    guardian_id: uuid.UUID,
    *,
    state: str,
    reason: str | None,
    account_id: uuid.UUID | None,
    now: datetime,
) -> Row | None:
    """Record identity's answer for a guardian still pending (None otherwise: answered
    already, or not in the run)."""
    row = await conn.fetchrow(
        "UPDATE onboarding_guardians SET state = $4, reason = $5, account_id = $6,"
        " answered_at = $7"
        " WHERE tenant = $1 AND run_id = $2 AND guardian_id = $3 AND state = 'pending'"
        " RETURNING household_id, guardian_id",
        tenant,
        run_id,
        guardian_id,
        state,
        reason,
        account_id,
        now,
    )
    return dict(row) if row else None


async def onboarding_asked_since(conn: Conn, since: datetime) -> int:
    """Invitations asked of identity since then, all towns together (the pace is the mail
    server's)."""
    return await conn.fetchval(
        "SELECT count(*) FROM onboarding_guardians WHERE requested_at >= $1", since
    )


async def queued_onboarding_guardians(conn: Conn, limit: int) -> list[Row]:
    """The next pending guardians not asked for yet (oldest run first, in its order), held
    until the transaction ends; those another process holds are left to it."""
    rows = await conn.fetch(
        "SELECT g.tenant, g.run_id, g.household_id, g.guardian_id, g.name, g.email,"
        " r.created_by AS requested_by"
        " FROM onboarding_guardians g JOIN onboarding_runs r ON r.id = g.run_id"
        " WHERE g.state = 'pending' AND g.queued AND g.email IS NOT NULL"
        " ORDER BY r.created_at, r.id, g.position LIMIT $1 FOR UPDATE OF g SKIP LOCKED",
        limit,
    )
    return [dict(r) for r in rows]


async def mark_onboarding_asked(conn: Conn, guardians: Sequence[Row], *, now: datetime) -> None:
    await conn.execute(
        "UPDATE onboarding_guardians g SET queued = false, requested_at = $3"
        " FROM unnest($1::uuid[], $2::uuid[]) AS a (run_id, guardian_id)"
        " WHERE g.run_id = a.run_id AND g.guardian_id = a.guardian_id",
        [g["run_id"] for g in guardians],
        [g["guardian_id"] for g in guardians],
        now,
    )


async def requeue_onboarding_run(conn: Conn, run_id: uuid.UUID) -> int:
    """The run's guardians asked for but not answered go back to the queue (when they were
    asked stays: it counts against the pace)."""
    status = await conn.execute(
        "UPDATE onboarding_guardians SET queued = true"
        " WHERE run_id = $1 AND state = 'pending' AND NOT queued",
        run_id,
    )
    return int(status.split()[-1])

"""All SQL of the identity service (asyncpg, parameterised, the service's own schema)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from identity.domain.accounts import Account
from identity.domain.links import LinkToken
from identity.domain.tenants import Tenant
from identity.domain.vault import SealedKey

# The schema these statements run against.
MIGRATIONS = Path(__file__).parent / "migrations"

Conn = asyncpg.Connection | asyncpg.Pool

# --- tenants ----------------------------------------------------------------------------


_TENANT_COLUMNS = (
    "slug, display_name, contact_email, contact_phone, password_min_length,"
    " terms_version, terms_url, terms_text, family_edits, online_booking, wallet, direct_debit"
)


async def insert_tenant(conn: Conn, tenant: Tenant) -> bool:
    """False when the slug is taken."""
    return bool(
        await conn.fetchval(
            f"INSERT INTO tenants ({_TENANT_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            " ON CONFLICT (slug) DO NOTHING RETURNING true",
            tenant.slug,
            tenant.display_name,
            tenant.contact_email,
            tenant.contact_phone,
            tenant.password_min_length,
            tenant.terms_version,
            tenant.terms_url,
            tenant.terms_text,
            tenant.family_edits,
            tenant.online_booking,
            tenant.wallet,
            tenant.direct_debit,
        )
    )


async def get_tenant(conn: Conn, slug: str, *, for_update: bool = False) -> Tenant | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_TENANT_COLUMNS} FROM tenants WHERE slug = $1{lock}", slug)
    return Tenant(**row) if row else None


async def tenants(conn: Conn, slug: str | None = None) -> list[Tenant]:
    """Every municipality (or the one of `slug`), by slug."""
    rows = await conn.fetch(
        f"SELECT {_TENANT_COLUMNS} FROM tenants WHERE $1::text IS NULL OR slug = $1 ORDER BY slug",
        slug,
    )
    return [Tenant(**row) for row in rows]


_TENANT_EDITABLE = (
    "display_name",
    "contact_email",
    "contact_phone",
    "password_min_length",
    "terms_version",
    "terms_url",
    "terms_text",
    "family_edits",
    "online_booking",
    "wallet",
    "direct_debit",
)


async def update_tenant(conn: Conn, slug: str, changes: dict[str, Any]) -> Tenant | None:
    # Column names come from a fixed list, values are parameters.
    names = [name for name in _TENANT_EDITABLE if name in changes]
    if not names:
        return await get_tenant(conn, slug)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    row = await conn.fetchrow(
        f"UPDATE tenants SET {assignments}, updated_at = now() WHERE slug = $1"
        f" RETURNING {_TENANT_COLUMNS}",
        slug,
        *(changes[name] for name in names),
    )
    return Tenant(**row) if row else None


# --- accounts ---------------------------------------------------------------------------


_ACCOUNT_COLUMNS = (
    "id, tenant, email, display_name, roles, status, password_hash, must_change_password,"
    " household_id, terms_accepted_version, terms_accepted_at, created_at, sites"
)


def _account(row: asyncpg.Record | None) -> Account | None:
    return Account(**row) if row else None


async def insert_account(
    conn: Conn,
    *,
    tenant: str,
    email: str,
    display_name: str,
    roles: list[str],
    status: str,
    password_hash: str | None,
    must_change_password: bool = False,
    sites: list[str] | None = None,
    now: datetime,
) -> Account | None:
    """None when the email is already used in the tenant."""
    row = await conn.fetchrow(
        "INSERT INTO accounts (id, tenant, email, display_name, roles, status, password_hash,"
        " must_change_password, created_at, updated_at, activated_at, sites)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9,"
        "         CASE WHEN $6 = 'active' THEN $9::timestamptz END, $10)"
        f" ON CONFLICT (tenant, email) DO NOTHING RETURNING {_ACCOUNT_COLUMNS}",
        uuid.uuid4(),
        tenant,
        email,
        display_name,
        roles,
        status,
        password_hash,
        must_change_password,
        now,
        sites or [],
    )
    return _account(row)


async def update_account(
    conn: Conn,
    tenant: str,
    account_id: uuid.UUID,
    *,
    display_name: str,
    roles: list[str],
    sites: list[str],
    now: datetime,
) -> Account | None:
    row = await conn.fetchrow(
        "UPDATE accounts SET display_name = $3, roles = $4, sites = $5, updated_at = $6"
        f" WHERE tenant = $1 AND id = $2 RETURNING {_ACCOUNT_COLUMNS}",
        tenant,
        account_id,
        display_name,
        roles,
        sites,
        now,
    )
    return _account(row)


async def get_account(
    conn: Conn, tenant: str, account_id: uuid.UUID, *, for_update: bool = False
) -> Account | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE tenant = $1 AND id = $2{lock}",
        tenant,
        account_id,
    )
    return _account(row)


async def find_by_email(conn: Conn, tenant: str, email: str) -> Account | None:
    row = await conn.fetchrow(
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE tenant = $1 AND email = $2",
        tenant,
        email,
    )
    return _account(row)


async def find_by_login(conn: Conn, tenant: str, login: str) -> Account | None:
    """An email, or the part before the @ when exactly one account of the tenant has it."""
    if "@" in login:
        return await find_by_email(conn, tenant, login)
    rows = await conn.fetch(
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts"
        " WHERE tenant = $1 AND split_part(email, '@', 1) = $2 LIMIT 2",
        tenant,
        login,
    )
    return _account(rows[0]) if len(rows) == 1 else None


async def set_password(
    conn: Conn,
    account_id: uuid.UUID,
    password_hash: str,
    *,
    now: datetime,
    must_change: bool = False,
    activate: bool = False,
) -> None:
    await conn.execute(
        "UPDATE accounts SET password_hash = $2, must_change_password = $3,"
        " password_changed_at = $4, updated_at = $4,"
        " status = CASE WHEN $5 AND status IN ('pending', 'invited') THEN 'active' ELSE status END,"
        " activated_at = CASE WHEN $5 AND activated_at IS NULL THEN $4 ELSE activated_at END"
        " WHERE id = $1",
        account_id,
        password_hash,
        must_change,
        now,
        activate,
    )


async def rehash_password(conn: Conn, account_id: uuid.UUID, old: str, new: str) -> None:
    """Upgrade a hash made with older parameters, unless it changed meanwhile."""
    await conn.execute(
        "UPDATE accounts SET password_hash = $3 WHERE id = $1 AND password_hash = $2",
        account_id,
        old,
        new,
    )


async def activate_account(conn: Conn, account_id: uuid.UUID, *, now: datetime) -> None:
    await conn.execute(
        "UPDATE accounts SET status = 'active', activated_at = $2, updated_at = $2"
        " WHERE id = $1 AND status = 'pending'",
        account_id,
        now,
    )


async def set_email(conn: Conn, account_id: uuid.UUID, email: str, *, now: datetime) -> bool:
    """False when another account of the tenant uses the address."""
    try:
        async with conn.transaction():  # savepoint: the unique violation must not abort all
            await conn.execute(
                "UPDATE accounts SET email = $2, updated_at = $3 WHERE id = $1",
                account_id,
                email,
                now,
            )
    except asyncpg.UniqueViolationError:
        return False
    return True


async def accept_terms(conn: Conn, account_id: uuid.UUID, version: int, *, now: datetime) -> None:
    await conn.execute(
        "UPDATE accounts SET terms_accepted_version = $2, terms_accepted_at = $3, updated_at = $3"
        " WHERE id = $1",
        account_id,
        version,
        now,
    )


async def lock_household(conn: asyncpg.Connection, tenant: str, household_id: uuid.UUID) -> None:
    """Serialise the link and anonymisation handlers of one household (transaction-long)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        f"household\n{tenant}\n{household_id}",
    )


async def is_household_anonymised(conn: Conn, tenant: str, household_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT true FROM anonymised_households WHERE tenant = $1 AND household_id = $2",
            tenant,
            household_id,
        )
    )


async def link_household(
    conn: Conn, tenant: str, account_id: uuid.UUID, household_id: uuid.UUID
) -> bool:
    """Add the household to the account's (again: nothing); the first one becomes its
    current household. False when the account is not one of the tenant's."""
    found = await conn.fetchval(
        "UPDATE accounts SET household_id = $3, updated_at = now()"
        " WHERE tenant = $1 AND id = $2 AND household_id IS NULL RETURNING true",
        tenant,
        account_id,
        household_id,
    ) or await conn.fetchval(
        "SELECT true FROM accounts WHERE tenant = $1 AND id = $2", tenant, account_id
    )
    if not found:
        return False
    await conn.execute(
        "INSERT INTO account_households (tenant, account_id, household_id)"
        " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        tenant,
        account_id,
        household_id,
    )
    return True


async def account_households(conn: Conn, tenant: str, account_id: uuid.UUID) -> list[uuid.UUID]:
    """The households the account is linked to, the first linked first."""
    rows = await conn.fetch(
        "SELECT household_id FROM account_households WHERE tenant = $1 AND account_id = $2"
        " ORDER BY linked_at, household_id",
        tenant,
        account_id,
    )
    return [r["household_id"] for r in rows]


async def set_current_household(
    conn: Conn, tenant: str, account_id: uuid.UUID, household_id: uuid.UUID
) -> bool:
    """Make one of the account's households its current one; False when it is not one."""
    return bool(
        await conn.fetchval(
            "UPDATE accounts SET household_id = $3, updated_at = now()"
            " WHERE tenant = $1 AND id = $2 AND EXISTS (SELECT 1 FROM account_households h"
            "   WHERE h.tenant = $1 AND h.account_id = $2 AND h.household_id = $3)"
            " RETURNING true",
            tenant,
            account_id,
            household_id,
        )
    )


async def record_anonymised_household(
    conn: Conn,
    tenant: str,
    household_id: uuid.UUID,
    deletion_request_id: uuid.UUID | None,
    *,
    now: datetime,
) -> bool:
    """False when it was already recorded."""
    return bool(
        await conn.fetchval(
            "INSERT INTO anonymised_households (tenant, household_id, deletion_request_id,"
            " anonymised_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
            tenant,
            household_id,
            deletion_request_id,
            now,
        )
    )


async def unlink_household(
    conn: Conn, tenant: str, household_id: uuid.UUID, *, now: datetime
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Remove the household from every account of the tenant: the ids of the accounts that
    had it, and of those whose current household it was (now their first linked remaining
    one, or none)."""
    had = await conn.fetch(
        "DELETE FROM account_households WHERE tenant = $1 AND household_id = $2"
        " RETURNING account_id",
        tenant,
        household_id,
    )
    current = await conn.fetch(
        "UPDATE accounts a SET updated_at = $3, household_id ="
        "   (SELECT h.household_id FROM account_households h"
        "    WHERE h.tenant = a.tenant AND h.account_id = a.id"
        "    ORDER BY h.linked_at, h.household_id LIMIT 1)"
        " WHERE a.tenant = $1 AND a.household_id = $2 RETURNING a.id",
        tenant,
        household_id,
        now,
    )
    current_ids = [row["id"] for row in current]
    return list(dict.fromkeys([*current_ids, *(row["account_id"] for row in had)])), current_ids


async def list_accounts(
    conn: Conn,
    tenant: str,
    *,
    role: str | None,
    email: str | None,
    status: str | None,
    limit: int,
    offset: int,
    search: str | None = None,
) -> tuple[list[Account], int]:
    where = (
        "tenant = $1 AND ($2::text IS NULL OR $2 = ANY(roles))"
        " AND ($3::text IS NULL OR strpos(email, $3) > 0)"
        " AND ($4::text IS NULL OR status = $4)"
        " AND ($5::text IS NULL OR strpos(lower(email || ' ' || display_name), lower($5)) > 0)"
    )
    rows = await conn.fetch(
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE {where}"
        " ORDER BY created_at, id LIMIT $6 OFFSET $7",
        tenant,
        role,
        email,
        status,
        search,
        limit,
        offset,
    )
    total = await conn.fetchval(
        f"SELECT count(*) FROM accounts WHERE {where}", tenant, role, email, status, search
    )
    return [Account(**row) for row in rows], total


async def accounts_after(
    conn: Conn, tenant: str | None, after: tuple[str, uuid.UUID] | None, *, limit: int
) -> list[Account]:
    """The next `limit` accounts (of `tenant`, or of all) after `after` in (tenant, id) order."""
    last_tenant, last_id = after or (None, None)
    rows = await conn.fetch(
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts"
        " WHERE ($1::text IS NULL OR tenant = $1)"
        "   AND ($2::text IS NULL OR (tenant, id) > ($2, $3::uuid))"
        " ORDER BY tenant, id LIMIT $4",
        tenant,
        last_tenant,
        last_id,
        limit,
    )
    return [Account(**row) for row in rows]


# --- single-use links -------------------------------------------------------------------


async def insert_link(
    conn: Conn,
    *,
    digest: str,
    purpose: str,
    account_id: uuid.UUID,
    tenant: str,
    expires_at: datetime,
    now: datetime,
    new_email: str | None = None,
) -> None:
    """Store a new link; older unused links of the same purpose stop working."""
    await conn.execute(
        "UPDATE link_tokens SET revoked_at = $3"
        " WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL AND revoked_at IS NULL",
        account_id,
        purpose,
        now,
    )
    await conn.execute(
        "INSERT INTO link_tokens (digest, purpose, account_id, tenant, new_email, created_at,"
        " expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        digest,
        purpose,
        account_id,
        tenant,
        new_email,
        now,
        expires_at,
    )


async def get_link(conn: Conn, digest: str, *, for_update: bool = False) -> LinkToken | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        "SELECT purpose, account_id, tenant, new_email, expires_at, used_at, revoked_at"
        f" FROM link_tokens WHERE digest = $1{lock}",
        digest,
    )
    return LinkToken(**row) if row else None


async def use_link(conn: Conn, digest: str, *, now: datetime) -> None:
    await conn.execute("UPDATE link_tokens SET used_at = $2 WHERE digest = $1", digest, now)


# --- refresh tokens ---------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshToken:
    family_id: uuid.UUID
    account_id: uuid.UUID
    tenant: str
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


async def insert_refresh(
    conn: Conn,
    *,
    digest: str,
    family_id: uuid.UUID,
    account_id: uuid.UUID,
    tenant: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO refresh_tokens (digest, family_id, account_id, tenant, created_at,"
        " expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        digest,
        family_id,
        account_id,
        tenant,
        now,
        expires_at,
    )


async def get_refresh_for_update(conn: Conn, digest: str) -> RefreshToken | None:
    row = await conn.fetchrow(
        "SELECT family_id, account_id, tenant, expires_at, used_at, revoked_at"
        " FROM refresh_tokens WHERE digest = $1 FOR UPDATE",
        digest,
    )
    return RefreshToken(**row) if row else None


async def mark_refresh_used(conn: Conn, digest: str, *, now: datetime) -> None:
    await conn.execute("UPDATE refresh_tokens SET used_at = $2 WHERE digest = $1", digest, now)


async def revoke_family(conn: Conn, family_id: uuid.UUID, *, now: datetime) -> None:
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
        family_id,
        now,
    )


async def revoke_sessions(
    conn: Conn, account_id: uuid.UUID, *, now: datetime, keep_family: uuid.UUID | None = None
) -> None:
    """End the account's sessions (all, or all but `keep_family`)."""
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = $2"
        " WHERE account_id = $1 AND revoked_at IS NULL"
        " AND ($3::uuid IS NULL OR family_id <> $3)",
        account_id,
        now,
        keep_family,
    )


async def revoke_sessions_of(conn: Conn, account_ids: list[uuid.UUID], *, now: datetime) -> int:
    """End every session of these accounts; how many refresh tokens were revoked."""
    result = await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = $2"
        " WHERE account_id = ANY($1::uuid[]) AND revoked_at IS NULL",
        account_ids,
        now,
    )
    return int(result.split()[-1])


# --- login throttling -------------------------------------------------------------------


async def failure_histories(
    conn: Conn, tenant: str, keys: list[str], *, since: datetime
) -> dict[str, tuple[int, datetime]]:
    rows = await conn.fetch(
        "SELECT key, failures, last_failure_at FROM login_throttle"
        " WHERE tenant = $1 AND key = ANY($2::text[]) AND last_failure_at >= $3",
        tenant,
        keys,
        since,
    )
    return {row["key"]: (row["failures"], row["last_failure_at"]) for row in rows}


async def record_failure(
    conn: Conn, tenant: str, key: str, *, now: datetime, window: timedelta
) -> int:
    """Count one more failure (restarting from 1 after a quiet window); the new count."""
    return await conn.fetchval(
        "INSERT INTO login_throttle (tenant, key, failures, last_failure_at)"
        " VALUES ($1, $2, 1, $3)"
        " ON CONFLICT (tenant, key) DO UPDATE SET"
        "  failures = CASE"
        "    WHEN login_throttle.last_failure_at < $3::timestamptz - $4::interval THEN 1"
        "    ELSE login_throttle.failures + 1 END,"
        "  last_failure_at = $3"
        " RETURNING failures",
        tenant,
        key,
        now,
        window,
    )


async def claim_lock_notification(
    conn: Conn, tenant: str, key: str, *, lock_after: int, now: datetime, lock: timedelta
) -> bool:
    """True for exactly one caller per lock: the one that must tell the owner."""
    return bool(
        await conn.fetchval(
            "UPDATE login_throttle SET lock_notified_at = $4"
            " WHERE tenant = $1 AND key = $2 AND failures >= $3"
            " AND (lock_notified_at IS NULL OR lock_notified_at <= $4::timestamptz - $5::interval)"
            " RETURNING true",
            tenant,
            key,
            lock_after,
            now,
            lock,
        )
    )


async def clear_failures(conn: Conn, tenant: str, keys: list[str]) -> None:
    await conn.execute(
        "DELETE FROM login_throttle WHERE tenant = $1 AND key = ANY($2::text[])", tenant, keys
    )


# --- forgotten-password and activation-resend requests --------------------------------


@dataclass(frozen=True)
class LinkRequestLimits:
    window: timedelta
    per_pair: int  # one email from one address
    per_email: int  # one email from any address (nobody floods an inbox)
    per_address: int  # any email from one address


async def record_link_request(
    conn: asyncpg.Connection,
    *,
    tenant: str,
    purpose: str,
    email: str,
    ip: str,
    now: datetime,
    limits: LinkRequestLimits,
) -> str | None:
    """Record one request (known email or not: the same statements either way) and say
    which limit it goes over ("pair", "email", "address"), None when an email may go.

    Requests of one email are serialised (advisory lock), so its limits hold under
    concurrency; the per-address count may overshoot by the requests in flight.
    """
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        f"link-request\n{tenant}\n{purpose}\n{email}",
    )
    since = now - limits.window
    await conn.execute("DELETE FROM link_requests WHERE at < $1", since)
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE email = $3 AND ip = $4) AS pair,"
        " count(*) FILTER (WHERE email = $3) AS email,"
        " count(*) FILTER (WHERE ip = $4) AS address"
        " FROM link_requests WHERE tenant = $1 AND purpose = $2 AND at >= $5"
        " AND NOT throttled AND (email = $3 OR ip = $4)",
        tenant,
        purpose,
        email,
        ip,
        since,
    )
    over = next(
        (
            name
            for name, limit in (
                ("pair", limits.per_pair),
                ("email", limits.per_email),
                ("address", limits.per_address),
            )
            if row[name] >= limit
        ),
        None,
    )
    await conn.execute(
        "INSERT INTO link_requests (tenant, purpose, email, ip, at, throttled)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        tenant,
        purpose,
        email,
        ip,
        now,
        over is not None,
    )
    return over


async def link_writes_matching_nothing(conn: Conn, *, now: datetime) -> None:
    """The statements of a sent link (revoke older links, store the new one, record its
    event) aimed at no row: a request that sends nothing costs the same round trips and
    about the same time as one that does, so the time taken does not tell them apart."""
    ghost = uuid.uuid4()
    await conn.execute(
        "UPDATE link_tokens SET revoked_at = $2"
        " WHERE account_id = $1 AND used_at IS NULL AND revoked_at IS NULL",
        ghost,
        now,
    )
    await conn.execute(
        "INSERT INTO link_tokens (digest, purpose, account_id, tenant, created_at, expires_at)"
        " SELECT $1, '', $2, '', $3, $3 WHERE false",
        ghost.hex,
        ghost,
        now,
    )
    await conn.execute("SELECT 1 FROM outbox WHERE id = $1", ghost)


async def set_status(
    conn: Conn, tenant: str, account_id: uuid.UUID, *, disabled: bool, now: datetime
) -> Account | None:
    """Disable an account, or give it back the status it had (derived from what it did:
    activated, password chosen or not). None when the account is not in the tenant."""
    row = await conn.fetchrow(
        "UPDATE accounts SET updated_at = $4, status = CASE"
        "   WHEN $3 THEN 'disabled'"
        "   WHEN status <> 'disabled' THEN status"
        "   WHEN activated_at IS NOT NULL THEN 'active'"
        "   WHEN password_hash IS NULL THEN 'invited'"
        "   ELSE 'pending' END"
        f" WHERE tenant = $1 AND id = $2 RETURNING {_ACCOUNT_COLUMNS}",
        tenant,
        account_id,
        disabled,
        now,
    )
    return _account(row)


async def revoke_all_links(conn: Conn, account_id: uuid.UUID, *, now: datetime) -> None:
    await conn.execute(
        "UPDATE link_tokens SET revoked_at = $2"
        " WHERE account_id = $1 AND used_at IS NULL AND revoked_at IS NULL",
        account_id,
        now,
    )


# --- captcha ----------------------------------------------------------------------------


async def remember_captcha(
    conn: Conn, replay_key: str, expires_at: datetime, now: datetime
) -> bool:
    """False when this solution was already used (a replay)."""
    await conn.execute("DELETE FROM captcha_replays WHERE expires_at < $1", now)
    return bool(
        await conn.fetchval(
            "INSERT INTO captcha_replays (replay_key, expires_at) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING RETURNING true",
            replay_key,
            expires_at,
        )
    )


# --- signing keys -----------------------------------------------------------------------


async def signing_keys(conn: Conn) -> list[SealedKey]:
    rows = await conn.fetch(
        "SELECT kid, encrypted_private_key, created_at, retire_after, activates_at"
        " FROM signing_keys ORDER BY created_at DESC"
    )
    return [SealedKey(**row) for row in rows]


async def insert_first_key(conn: Conn, key: SealedKey) -> bool:
    """Store the first current key; False when another process stored one first."""
    return bool(
        await conn.fetchval(
            "INSERT INTO signing_keys (kid, encrypted_private_key, created_at, activates_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
            key.kid,
            key.encrypted_private_key,
            key.created_at,
            key.activates_at,
        )
    )


async def rotate_keys(conn: Conn, new: SealedKey, *, retire_after: datetime, now: datetime) -> None:
    """Plan the retirement of the newest key (verifies until `retire_after`), store `new`
    (signing from its `activates_at`), drop dead keys."""
    await conn.execute(
        "UPDATE signing_keys SET retire_after = $1 WHERE retire_after IS NULL", retire_after
    )
    await conn.execute("DELETE FROM signing_keys WHERE retire_after <= $1", now)
    await conn.execute(
        "INSERT INTO signing_keys (kid, encrypted_private_key, created_at, activates_at)"
        " VALUES ($1, $2, $3, $4)",
        new.kid,
        new.encrypted_private_key,
        new.created_at,
        new.activates_at,
    )


async def lock_keys(conn: Conn) -> None:
    """Serialize rotations (two admins running the command at once)."""
    await conn.execute("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")


# --- audit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    tenant: str
    action: str
    account_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    login: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    details: dict[str, Any] | None = None


async def audit(conn: Conn, *entries: AuditEntry) -> None:
    await conn.executemany(
        "INSERT INTO audit_log (tenant, action, account_id, actor_id, login, ip, user_agent,"
        " details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            (
                e.tenant,
                e.action,
                e.account_id,
                e.actor_id,
                e.login,
                e.ip,
                (e.user_agent or "")[:500] or None,
                e.details or {},
            )
            for e in entries
        ],
    )


async def audit_entries(
    conn: Conn,
    tenant: str,
    *,
    action: str | None,
    account_id: uuid.UUID | None,
    limit: int,
    offset: int,
    email: str | None = None,
) -> tuple[list[asyncpg.Record], int]:
    """Newest first, with the emails of the account concerned and of the actor. `email`:
    entries about or by the account with that email, and those where it was typed as a
    login (failed logins of an unknown address)."""
    where = (
        "l.tenant = $1 AND ($2::text IS NULL OR l.action = $2)"
        " AND ($3::uuid IS NULL OR l.account_id = $3 OR l.actor_id = $3)"
        " AND ($4::text IS NULL OR lower(l.login) = $4 OR subject.email = $4"
        "      OR actor.email = $4)"
    )
    joins = (
        " FROM audit_log l"
        " LEFT JOIN accounts subject ON subject.tenant = l.tenant AND subject.id = l.account_id"
        " LEFT JOIN accounts actor ON actor.tenant = l.tenant AND actor.id = l.actor_id"
    )
    rows = await conn.fetch(
        "SELECT l.id, l.at, l.action, l.account_id, l.actor_id, l.login, l.ip, l.user_agent,"
        " l.details, subject.email AS account_email, actor.email AS actor_email"
        f"{joins} WHERE {where} ORDER BY l.id DESC LIMIT $5 OFFSET $6",
        tenant,
        action,
        account_id,
        email,
        limit,
        offset,
    )
    total = await conn.fetchval(
        f"SELECT count(*){joins} WHERE {where}", tenant, action, account_id, email
    )
    return list(rows), total


# --- guardians invited by a family onboarding run ---------------------------------------


async def guardian_invitation(conn: Conn, tenant: str, guardian_id: uuid.UUID) -> uuid.UUID | None:
    """The account already created for the guardian, if any."""
    return await conn.fetchval(
        "SELECT account_id FROM guardian_invitations WHERE tenant = $1 AND guardian_id = $2",
        tenant,
        guardian_id,
    )


async def onboarded_account(conn: Conn, tenant: str, email: str) -> uuid.UUID | None:
    """The account (not disabled) that an onboarding run made for a guardian with this
    email, if this email's account is one."""
    return await conn.fetchval(
        "SELECT a.id FROM accounts a WHERE a.tenant = $1 AND a.email = $2"
        " AND a.status IN ('invited', 'active') AND EXISTS (SELECT 1 FROM guardian_invitations g"
        "  WHERE g.tenant = a.tenant AND g.account_id = a.id)",
        tenant,
        email,
    )


async def record_guardian_invitation(
    conn: Conn,
    tenant: str,
    guardian_id: uuid.UUID,
    household_id: uuid.UUID,
    account_id: uuid.UUID,
    *,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO guardian_invitations (tenant, guardian_id, household_id, account_id,"
        " invited_at) VALUES ($1, $2, $3, $4, $5)",
        tenant,
        guardian_id,
        household_id,
        account_id,
        now,
    )

"""Numbered plain-SQL migrations, applied under an advisory lock, all-or-nothing.

Each service keeps `migrations/NNNN_name.sql`. `migrate()` creates the service's schema (and
role, when configured), then applies the pending files in one transaction: two replicas
starting together never race (advisory lock), and a failing file leaves the schema as it was.
The shared tables every service needs (outbox, inbox) come from `shared/sql/`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from shared.db import quote_ident
from shared.logging import get_logger
from shared.settings import ServiceSettings

log = get_logger(__name__)

SHARED_SQL = Path(__file__).parent / "sql"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(Exception):
    pass


@dataclass(frozen=True)
class Migration:
    version: str  # "shared:0001" or "0001"
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path, prefix: str = "") -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file name must look like 0001_name.sql: {path.name}")
        found.append(Migration(prefix + match.group(1), path.name, path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a number in {directory}")
    return found


def all_migrations(service_dir: Path | None) -> list[Migration]:
    shared = discover(SHARED_SQL, "shared:")
    return shared + (discover(service_dir) if service_dir else [])


async def migrate(settings: ServiceSettings, service_dir: Path | None) -> list[str]:
    """Apply pending migrations; return the names applied."""
    migrations = all_migrations(service_dir)
    schema, role = settings.schema, settings.role
    conn = await asyncpg.connect(settings.database_url)
    try:
        lock_key = f"migrations:{schema}"
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", lock_key)
        try:
            async with conn.transaction():
                await _ensure_schema(conn, schema, role)
                applied = {
                    r["version"]: r["checksum"]
                    for r in await conn.fetch(
                        f"SELECT version, checksum FROM {quote_ident(schema)}.schema_migrations"
                    )
                }
                done: list[str] = []
                for migration in migrations:
                    if migration.version in applied:
                        if applied[migration.version] != migration.checksum:
                            raise MigrationError(
                                f"migration {migration.name} was changed after being applied"
                            )
                        continue
                    try:
                        await conn.execute(migration.sql)
                    except asyncpg.PostgresError as exc:
                        raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
                    await conn.execute(
                        f"INSERT INTO {quote_ident(schema)}.schema_migrations"
                        " (version, name, checksum) VALUES ($1, $2, $3)",
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
                    done.append(migration.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", lock_key)
    finally:
        await conn.close()
    if done:
        log.info("migrations_applied", schema=schema, applied=done)
    return done


async def pending(pool: asyncpg.Pool, service_dir: Path | None) -> list[str]:
    """Names of migrations not yet applied (readiness check)."""
    try:
        rows = await pool.fetch("SELECT version FROM schema_migrations")
    except asyncpg.UndefinedTableError:
        return [m.name for m in all_migrations(service_dir)]
    applied = {r["version"] for r in rows}
    return [m.name for m in all_migrations(service_dir) if m.version not in applied]


async def _ensure_schema(conn: asyncpg.Connection, schema: str, role: str | None) -> None:
    q_schema = quote_ident(schema)
    if role:
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
        if not exists:
            try:
                async with conn.transaction():
                    await conn.execute(f"CREATE ROLE {quote_ident(role)} NOLOGIN")
            except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
                pass  # created meanwhile by another process: roles are cluster-wide
        await conn.execute(
            f"CREATE SCHEMA IF NOT EXISTS {q_schema} AUTHORIZATION {quote_ident(role)}"
        )
        # Objects created by migrations belong to the service's role.
        await conn.execute(f"SET LOCAL ROLE {quote_ident(role)}")
    else:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {q_schema}")
    await conn.execute(f"SET LOCAL search_path = {q_schema}")
    await conn.execute(
        f"""CREATE TABLE IF NOT EXISTS {q_schema}.schema_migrations (
              version text PRIMARY KEY,
              name text NOT NULL,
              checksum text NOT NULL,
              applied_at timestamptz NOT NULL DEFAULT now())"""
    )

"""Postgres access: one asyncpg pool per service, bound to the service's own schema and role."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from shared.settings import ServiceSettings


async def _init_connection(conn: asyncpg.Connection, settings: ServiceSettings) -> None:
    # jsonb columns travel as Python dicts; our JSON is always plain data.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    if settings.role:
        # The service's SQL runs with the rights of its own role, which owns its schema only.
        await conn.execute(f"SET ROLE {quote_ident(settings.role)}")


async def create_pool(settings: ServiceSettings, **kwargs: Any) -> asyncpg.Pool:
    async def init(conn: asyncpg.Connection) -> None:
        await _init_connection(conn, settings)

    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        init=init,
        server_settings={
            "search_path": settings.schema,
            "application_name": settings.service,
            # A stuck statement must not hold a connection forever.
            "statement_timeout": "30000",
            "idle_in_transaction_session_timeout": "60000",
        },
        **kwargs,
    )
    assert pool is not None
    return pool


async def connect(settings: ServiceSettings) -> asyncpg.Connection:
    """A single connection configured like the pool's (for LISTEN and for commands)."""
    conn = await asyncpg.connect(
        settings.database_url,
        server_settings={"search_path": settings.schema, "application_name": settings.service},
    )
    await _init_connection(conn, settings)
    return conn


def quote_ident(name: str) -> str:
    """Quote an identifier taken from validated settings (never from a request)."""
    return '"' + name.replace('"', '""') + '"'

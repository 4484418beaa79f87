"""Postgres access: one asyncpg pool per service, bound to the service's own schema and role."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import asyncpg

from shared.backoff import Backoff
from shared.logging import get_logger
from shared.settings import ServiceSettings

log = get_logger(__name__)


async def _init_connection(conn: asyncpg.Connection, settings: ServiceSettings) -> None:
    # jsonb columns travel as Python dicts; our JSON is always plain data.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    if settings.role:
        # The service's SQL runs with the rights of its own role, which owns its schema only.
        await conn.execute(f"SET ROLE {quote_ident(settings.role)}")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's reset query (RESET ALL, UNLISTEN *, CLOSE ALL,
    advisory unlock): our code leaves no session state on pooled connections (transaction-
    scoped locks and SET LOCAL only; LISTEN has its own connection), and that query is one
    more round trip per release, which the rush pays on every request. asyncpg still rolls
    back a transaction left open before calling this."""


async def create_pool(settings: ServiceSettings, **kwargs: Any) -> asyncpg.Pool:
    async def init(conn: asyncpg.Connection) -> None:
        await _init_connection(conn, settings)

    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        init=init,
        reset=_keep_session,
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


class Listener:
    """A LISTEN connection that heals: `wake` is set on each notification on `channel`, and
    after every (re)connection so that the owner catches up on what it may have missed."""

    def __init__(self, settings: ServiceSettings, channel: str, wake: asyncio.Event) -> None:
        self.settings = settings
        self.channel = channel
        self.wake = wake
        self.listening = False

    async def run(self) -> None:
        backoff = Backoff(0.2, 5.0)
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await connect(self.settings)
                closed = asyncio.Event()
                conn.add_termination_listener(lambda _, closed=closed: closed.set())
                await conn.add_listener(self.channel, lambda *_: self.wake.set())
                self.listening = True
                backoff.reset()
                self.wake.set()
                while not closed.is_set():
                    # asyncpg notices a dead socket only when it uses it: ping now and then.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(closed.wait(), 10)
                    if not closed.is_set():
                        await asyncio.wait_for(conn.execute("SELECT 1"), 5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("listen_failed", channel=self.channel, error=repr(exc))
            finally:
                self.listening = False
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), 2)
            await asyncio.sleep(backoff.next())

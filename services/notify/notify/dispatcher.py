"""The dispatcher: claims queued emails, renders them, hands them to SMTP, records the outcome.

Woken by Postgres NOTIFY when an email is queued (at commit), with a periodic sweep for
retries and as a safety net. Rows are claimed with FOR UPDATE SKIP LOCKED and leased, so
replicas share the work. Each email is marked sent as soon as the server accepted it (its own
statement), so a crash can send again at most the one in flight. A lease names its owner, a
number this process holds as a session advisory lock on its own connection: when the process
dies Postgres drops the lock, and its leases are free at once for the other replicas or the
restarted process (the lease's end only frees an email whose owner lives but hangs). Such an
email goes out with the same Message-ID. Temporary SMTP failures wait longer and longer
before the next attempt; permanent ones (5xx) are recorded as failed with the server's answer.

An email addressed to an account (family events name accounts, not addresses) is sent to the
account's latest address, looked up at each attempt in the account read model. While the
address is unknown (events out of order: the family event came before identity's) the email
stays queued without counting an attempt; the identity event bringing the address makes it
due again; after MAIL_ADDRESS_WAIT_SECONDS it is failed as « adresse inconnue ».
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import zlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from aiohttp import web
from prometheus_client import Counter

from notify import store
from notify.domain.tenants import Tenant
from notify.mailer import Outcome, SmtpMailer, build_message
from notify.render import Renderer
from notify.settings import SETTINGS, NotifySettings
from shared import db
from shared.keys import METRICS, POOL
from shared.logging import get_logger

log = get_logger(__name__)


class LeaseOwner:
    """This process's identity on its leases: a random number held as a session advisory lock
    (namespace, number) on a connection of its own, taken again (under a new number) if that
    connection is lost. (Then the batch in hand may also be claimed by another replica: the
    rare double send of a lost database connection, against two minutes for every crash.)"""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        # One namespace per schema: two deployments sharing a database do not see each other.
        self.namespace = zlib.crc32(f"{settings.schema}.email-dispatch".encode()) & 0x7FFFFFFF
        self.number = 0
        self._conn: asyncpg.Connection | None = None

    async def ensure(self) -> int:
        """The number to lease under, holding its lock (reconnecting when needed)."""
        if self._conn is not None and not self._conn.is_closed():
            return self.number
        await self.close()
        conn = await db.connect(self.settings)
        try:
            while True:
                number = secrets.randbelow(0x7FFFFFFF) + 1
                if await store.take_dispatch_owner(conn, self.namespace, number):
                    break
        except BaseException:
            await conn.close()
            raise
        self._conn, self.number = conn, number
        log.info("email_dispatcher_owner", owner=number)
        return number

    async def close(self) -> None:
        """Closing the connection releases the lock (and with it this process's leases)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)


class Dispatcher:
    def __init__(
        self,
        settings: NotifySettings,
        pool: asyncpg.Pool,
        mailer: Any = None,
        renderer: Renderer | None = None,
        registry: Any = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.mailer = mailer or SmtpMailer(settings)
        self.renderer = renderer or Renderer(settings.timezone)
        self.owner = LeaseOwner(settings)
        self.wake = asyncio.Event()
        self._listener = db.Listener(settings, self.channel, self.wake)
        self._stopping = False
        kwargs = {"registry": registry} if registry is not None else {}
        self.emails = Counter(
            "notify_emails", "Emails handed to SMTP, by outcome", ["template", "outcome"], **kwargs
        )

    @property
    def channel(self) -> str:
        return f"{self.settings.schema}_emails"

    def tenant(self, name: str, row: dict[str, Any] | None) -> Tenant:
        return Tenant.build(
            name,
            row,
            default_sender=self.settings.default_sender_address,
            default_portal_url=self.settings.portal_url,
        )

    async def run(self) -> None:
        listener = asyncio.create_task(self._listener.run(), name="emails-listen")
        try:
            while not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), await self._pause())
                self.wake.clear()
                if self._stopping:
                    break
                try:
                    await self.drain()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The rows are still queued (or leased): they are tried again later.
                    log.exception("email_dispatch_failed")
                    await asyncio.sleep(1)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            await self.owner.close()

    async def _pause(self) -> float:
        """Until the next sweep, or sooner when a queued email is due before it (a basket
        recap after its grace, a retry)."""
        sweep = self.settings.dispatch_sweep_seconds
        try:
            due = await store.next_due_in(self.pool)
        except asyncio.CancelledError:
            raise
        except Exception:
            return sweep
        return sweep if due is None else min(sweep, max(due, 0.02))

    async def stop(self, task: asyncio.Task[None], timeout: float) -> None:
        """Finish the batch in hand (bounded), then stop."""
        self._stopping = True
        self.wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except (TimeoutError, asyncio.CancelledError, Exception):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def drain(self) -> int:
        """Send until nothing is due; returns how many were handed to SMTP."""
        total = 0
        while not self._stopping:
            claimed, sent = await self.dispatch_batch()
            total += sent
            if claimed < self.settings.dispatch_batch:
                return total
        return total

    async def dispatch_batch(self) -> tuple[int, int]:
        owner = await self.owner.ensure()
        rows = await store.claim_due(
            self.pool,
            self.settings.dispatch_batch,
            self.settings.dispatch_lease_seconds,
            namespace=self.owner.namespace,
            owner=owner,
        )
        if not rows:
            return 0, 0
        tenants = await store.tenant_rows(self.pool, {row["tenant"] for row in rows})
        ready: list[tuple[dict[str, Any], str, Any]] = []
        waiting: list[dict[str, Any]] = []
        for row in rows:
            if row["recipient"] is None:  # addressed to an account whose address is unknown
                waiting.append(row)
                continue
            context = row["context"]
            if row["by_account"]:
                context = {**context, "display_name": row["account_name"]}
            tenant = self.tenant(row["tenant"], tenants.get(row["tenant"]))
            try:
                rendered = self.renderer.render(row["template"], context, tenant)
                message = build_message(row["id"], row["recipient"], rendered, tenant)
            except Exception as exc:
                # A template bug: sending again would fail the same way.
                log.exception("email_render_failed", email_id=str(row["id"]))
                await self._record(row, None, Outcome("permanent", f"rendu impossible : {exc!r}"))
                continue
            ready.append((row, rendered.subject, message))
        await self._await_address(waiting)
        sent: list[Any] = []

        async def answered(index: int, outcome: Outcome) -> None:
            row, subject, _ = ready[index]
            if outcome.status == "sent":
                await store.mark_sent(self.pool, row["id"], subject)
                sent.append(row["id"])
                self.emails.labels(row["template"], "sent").inc()
            else:
                await self._record(row, subject, outcome)

        try:
            await self.mailer.deliver([message for _, _, message in ready], answered)
        finally:
            if sent:
                log.info("emails_sent", count=len(sent), ids=[str(i) for i in sent])
        return len(rows), len(sent)

    async def _await_address(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        failed = await store.await_address(
            self.pool,
            [row["id"] for row in rows],
            recheck=self.settings.mail_address_recheck_seconds,
            give_up_after=self.settings.mail_address_wait_seconds,
        )
        for row in rows:
            fields = {"email_id": str(row["id"]), "account_id": str(row["account_id"])}
            if row["id"] in failed:
                log.warning("email_failed", error=store.ADDRESS_UNKNOWN, **fields)
                self.emails.labels(row["template"], "address_unknown").inc()
            else:
                log.info("email_awaits_address", **fields)

    async def _record(self, row: dict[str, Any], subject: str | None, outcome: Outcome) -> None:
        """A failure: retried later, or failed for good."""
        email_id, attempts = row["id"], row["attempts"]
        fields = {"email_id": str(email_id), "template": row["template"], "attempt": attempts}
        if outcome.status == "permanent":
            await store.mark_failed(self.pool, email_id, subject, outcome.detail)
            log.warning("email_failed", error=outcome.detail, **fields)
        elif attempts >= self.settings.mail_max_attempts:
            detail = f"abandonné après {attempts} tentatives ; dernière erreur : {outcome.detail}"
            await store.mark_failed(self.pool, email_id, subject, detail[:1000])
            log.warning("email_failed", error=detail, **fields)
        else:
            delays = self.settings.mail_retry_delays_ms
            delay = delays[min(attempts - 1, len(delays) - 1)] / 1000
            await store.mark_retry(self.pool, email_id, subject, outcome.detail, delay)
            log.info("email_retry", error=outcome.detail, retry_in=delay, **fields)
        self.emails.labels(row["template"], outcome.status).inc()


DISPATCHER: web.AppKey[Dispatcher] = web.AppKey("notify_dispatcher")


async def dispatcher_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    dispatcher = Dispatcher(settings, app[POOL], registry=app[METRICS].registry)
    app[DISPATCHER] = dispatcher
    task = asyncio.create_task(dispatcher.run(), name="email-dispatcher")
    yield
    await dispatcher.stop(task, settings.shutdown_timeout / 2)

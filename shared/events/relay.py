"""The outbox relay: publishes committed events with publisher confirms, then marks them.

Woken by Postgres NOTIFY at commit (no polling delay), with a periodic sweep as a safety net.
Rows are claimed with FOR UPDATE SKIP LOCKED, so several replicas share the work, and marked
published only after the broker confirmed them: a crash in between publishes them again
(consumers are idempotent), never loses them.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
import asyncpg
from aio_pika.exceptions import PublishError

from shared import db
from shared.events.archive import archive_message, declare_archive
from shared.events.broker import Broker, BrokerUnavailable
from shared.events.topology import Topology
from shared.logging import get_logger
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings

log = get_logger(__name__)

# Backoff of a row the broker refused (unroutable, nacked): its next attempt waits longer.
_MAX_BACKOFF_SECONDS = 300
# Once per connection, after declaring the archive stream, before the first publication to it.
_ARCHIVE_SETTLE_SECONDS = 1.0


class OutboxRelay:
    def __init__(
        self,
        settings: ServiceSettings,
        pool: asyncpg.Pool,
        broker: Broker,
        metrics: ServiceMetrics,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.broker = broker
        self.metrics = metrics
        self.wake = asyncio.Event()
        self._listener = db.Listener(settings, self.channel, self.wake)
        self._archive_declared_on: Any = None
        # Test seam: called after the broker confirmed a batch and before it is marked.
        self.after_publish: Callable[[list[Any]], Awaitable[None]] | None = None

    @property
    def channel(self) -> str:
        return f"{self.settings.schema}_outbox"

    async def run(self) -> None:
        listener = asyncio.create_task(self._listener.run(), name="outbox-listen")
        try:
            sweeps = 0
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self.settings.outbox_sweep_seconds)
                self.wake.clear()
                if not self.broker.connected.is_set():
                    await self._wait_for_broker()
                    continue
                try:
                    await self.drain()
                    sweeps += 1
                    if sweeps % 60 == 1:
                        await self._prune()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Whatever happened, the rows are still in the outbox: try again later.
                    log.exception("outbox_relay_failed")
                    await asyncio.sleep(1)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def _wait_for_broker(self) -> None:
        # Woken when the broker is back, then drain at once what piled up meanwhile.
        self.broker.reconnected.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self.broker.reconnected.wait(), self.settings.outbox_sweep_seconds
            )
        if self.broker.connected.is_set():
            self.wake.set()

    async def drain(self) -> int:
        """Publish until the outbox has nothing due; return how many were confirmed."""
        total = 0
        while True:
            try:
                sent, more = await self.publish_batch()
            except BrokerUnavailable:
                return total
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("outbox_drain_failed", error=repr(exc))
                return total
            total += sent
            if not more:
                return total

    async def publish_batch(self) -> tuple[int, bool]:
        """One claimed batch: (confirmed count, whether a full batch was claimed)."""
        exchange = self.broker.exchange
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                # The envelope goes out as the text Postgres stores: no decoding and
                # re-encoding of every event on its way to the broker.
                """SELECT id, type, attempts, envelope::text AS body,
                          envelope ->> 'correlation_id' AS correlation_id,
                          envelope ->> 'tenant_id' AS tenant_id,
                          (envelope ->> 'version')::int AS version
                   FROM outbox
                   WHERE published_at IS NULL AND next_attempt_at <= now()
                   ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED""",
                self.settings.outbox_batch_size,
            )
            if not rows:
                return 0, False
            results = await asyncio.gather(
                *(self._publish(exchange, row) for row in rows), return_exceptions=True
            )
            sent = [row["id"] for row, result in zip(rows, results, strict=True) if result is None]
            refused = [
                (row, result)
                for row, result in zip(rows, results, strict=True)
                if isinstance(result, PublishError)
            ]
            lost = len(rows) - len(sent) - len(refused)
            if self.after_publish is not None:
                await self.after_publish(sent)
            await conn.execute(
                "UPDATE outbox SET published_at = now(), attempts = attempts + 1,"
                " last_error = NULL WHERE id = ANY($1::uuid[])",
                sent,
            )
            for row, error in refused:
                backoff = min(2 ** min(row["attempts"], 16), _MAX_BACKOFF_SECONDS)
                await conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = $2,"
                    " next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
                    row["id"],
                    f"refused by the broker (unroutable?): {error!r}"[:1000],
                    float(backoff),
                )
                # The first refusals are usually a consumer not started yet (its queue not
                # declared); the event waits in the outbox. Past a few, someone should look.
                (log.warning if row["attempts"] < 3 else log.error)(
                    "outbox_publish_refused",
                    event_id=str(row["id"]),
                    type=row["type"],
                    attempts=row["attempts"] + 1,
                    retry_in_seconds=backoff,
                    error=repr(error),
                )
        self.metrics.outbox_published.inc(len(sent))
        if refused:
            self.metrics.outbox_failures.labels("refused").inc(len(refused))
        if lost:
            # Connection trouble: these rows stay due and go again once reconnected.
            self.metrics.outbox_failures.labels("connection").inc(lost)
            raise BrokerUnavailable(f"{lost} publications unconfirmed")
        return len(sent), len(rows) == self.settings.outbox_batch_size

    async def _publish(self, exchange: aio_pika.abc.AbstractExchange, row: Any) -> None:
        message = aio_pika.Message(
            row["body"].encode(),
            message_id=str(row["id"]),
            type=row["type"],
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            correlation_id=row["correlation_id"],
            headers={"tenant_id": row["tenant_id"] or "", "version": row["version"]},
        )
        try:
            await exchange.publish(message, routing_key=row["type"], mandatory=True, timeout=10)
        except PublishError:
            # No queue is bound for this type yet: a service that will consume it may be
            # deployed later. Into the archive, from which it can replay (shared.events.archive).
            await self._archive(message)
            self.metrics.outbox_archived.labels(row["type"]).inc()
            log.info("outbox_event_archived", event_id=str(row["id"]), type=row["type"])

    async def _archive(self, message: aio_pika.Message) -> None:
        connection = self.broker.connection
        if connection is None:
            raise BrokerUnavailable("broker not connected")
        if self._archive_declared_on is not connection:
            # Its own channel: differing arguments close the channel they are declared on.
            channel = await connection.channel()
            try:
                await declare_archive(
                    channel,
                    self.broker.topology,
                    max_age=self.settings.event_archive_max_age,
                    max_bytes=self.settings.event_archive_max_bytes,
                )
            except aio_pika.exceptions.ChannelPreconditionFailed as exc:
                log.warning("archive_settings_differ", error=repr(exc))
            finally:
                with contextlib.suppress(Exception):
                    await channel.close()
            # RabbitMQ answers the declaration of a new stream before the stream's writer is
            # up; a publication in between crashes the channel and closes the connection
            # (seen on 3.10: osiris_writer function_clause, or "Stream not found").
            await asyncio.sleep(_ARCHIVE_SETTLE_SECONDS)
            self._archive_declared_on = connection
        await archive_message(self.broker.publisher, self.broker.topology, message)

    async def backlog(self) -> int:
        count = await self.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        self.metrics.outbox_backlog.set(count)
        return int(count)

    async def _prune(self) -> None:
        try:
            await self.pool.execute(
                """DELETE FROM outbox WHERE seq IN (
                     SELECT seq FROM outbox WHERE published_at < now() - make_interval(secs => $1)
                     LIMIT 10000)""",
                self.settings.outbox_retention_hours * 3600,
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("outbox_prune_failed", error=repr(exc))


async def serve_relay(settings: ServiceSettings, stop: asyncio.Event | None = None) -> None:
    """The service's outbox relay alone (`python -m <service> relay`), for deployments whose
    HTTP processes run with OUTBOX_RELAY_IN_PROCESS=false; until SIGTERM/SIGINT (or `stop`),
    then it publishes what it can within SHUTDOWN_TIMEOUT_SECONDS and closes."""
    loop = asyncio.get_running_loop()
    if stop is None:
        stop = asyncio.Event()
        for signal_name in ("SIGTERM", "SIGINT"):
            loop.add_signal_handler(getattr(signal, signal_name), stop.set)
    pool = await db.create_pool(settings)
    broker = Broker(settings, Topology(settings.bus_namespace, settings.service))
    relay = OutboxRelay(settings, pool, broker, ServiceMetrics())
    tasks = [
        asyncio.create_task(broker.run(), name="broker"),
        asyncio.create_task(relay.run(), name="outbox-relay"),
    ]
    log.info("relay_started", service=settings.service)
    try:
        await stop.wait()
    finally:
        if broker.connected.is_set():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(relay.drain(), settings.shutdown_timeout / 2)
        await broker.stop()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await pool.close()
        log.info("relay_stopped", service=settings.service)

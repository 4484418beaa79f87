"""Idempotent consumption of events.

Each message is applied in one Postgres transaction that also records its id in the
service's `inbox`: a redelivered event finds its id there and has no second effect. A failing
handler is retried through the delay queues; after the last attempt, or at once when the
message is not a valid event of the contract, it is parked with the reason, and the queue
keeps flowing.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aio_pika
import asyncpg
import structlog
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage, AbstractQueue

from shared.events.broker import Broker
from shared.events.envelope import Event, InvalidEvent, parse_event
from shared.events.topology import Topology, declare_consumer_queues
from shared.logging import get_logger
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings

log = get_logger(__name__)


@dataclass(frozen=True)
class HandlerContext:
    """What an event handler gets: the open transaction (which also holds the event's inbox
    row) and the service's app state. Handlers reach their use cases through
    `UnitOfWork.for_event(ctx)`, which joins this transaction."""

    conn: asyncpg.Connection
    app: Any  # the aiohttp Application (typed keys give settings and the rest)
    producer: str = ""
    # Callbacks the consumer runs once the transaction has committed.
    after_commit: list[Callable[[], Awaitable[None] | None]] = field(default_factory=list)


EventHandler = Callable[[HandlerContext, Event], Awaitable[None]]


class Consumer:
    def __init__(
        self,
        *,
        settings: ServiceSettings,
        topology: Topology,
        pool: asyncpg.Pool,
        broker: Broker,
        handlers: dict[str, EventHandler],
        metrics: ServiceMetrics,
        app: Any = None,
    ) -> None:
        self.settings = settings
        self.topology = topology
        self.pool = pool
        self.broker = broker
        self.handlers = handlers
        self.metrics = metrics
        self.app = app
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._tag: str | None = None
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        broker.on_connect(self._start, self._lost)

    @property
    def running(self) -> bool:
        return self._tag is not None and self.broker.connected.is_set()

    async def _start(self, connection: AbstractConnection) -> None:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self.settings.consumer_prefetch)
        # A channel closed by the broker (not by us) means a dead consumer: rebuild all.
        channel.close_callbacks.add(
            lambda _, exc: exc and self.broker.force_reconnect(f"consumer channel closed: {exc}")
        )
        queue = await declare_consumer_queues(
            channel,
            self.topology,
            sorted(self.handlers),
            delivery_limit=self.settings.delivery_limit,
            retry_delays_ms=self.settings.retry_delays_ms,
        )
        self._channel, self._queue = channel, queue
        self._tag = await queue.consume(self._on_message)
        log.info("consumer_started", queue=queue.name, types=sorted(self.handlers))

    async def _lost(self) -> None:
        self._tag = None
        self._channel = None
        self._queue = None

    async def check(self) -> None:
        """Verify the broker still sees our consumer; rebuild the connection if not."""
        if not self.running:
            return
        try:
            channel = await self.broker.publisher.get_underlay_channel()
            declared = await channel.queue_declare(self.topology.queue, passive=True)
            parked = await channel.queue_declare(self.topology.parked, passive=True)
        except Exception as exc:
            log.warning("consumer_check_failed", error=repr(exc))
            return
        self.metrics.consumer_lag.labels(self.topology.queue).set(declared.message_count or 0)
        self.metrics.dead_letters.labels(self.topology.parked).set(parked.message_count or 0)
        if not declared.consumer_count:
            self.broker.force_reconnect(f"queue {self.topology.queue} has no consumer")

    async def stop(self, timeout: float) -> None:
        """Stop taking messages and let the ones in hand finish (graceful shutdown)."""
        if self._queue is not None and self._tag is not None:
            try:
                await asyncio.wait_for(self._queue.cancel(self._tag), 2)
            except Exception as exc:
                log.warning("consumer_cancel_failed", error=repr(exc))
            self._tag = None
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("consumer_stop_timeout", inflight=self._inflight)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._inflight += 1
        self._idle.clear()
        try:
            await self._process(message)
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()

    async def _process(self, message: AbstractIncomingMessage) -> None:
        try:
            event = parse_event(json.loads(message.body))
        except (ValueError, InvalidEvent) as exc:
            self.metrics.events_handled.labels(message.routing_key or "?", "invalid").inc()
            log.error("event_invalid", message_id=message.message_id, reason=str(exc))
            await self._park(message, f"invalid event: {exc}", attempts=1)
            return
        handler = self.handlers.get(event.type)
        with structlog.contextvars.bound_contextvars(
            correlation_id=event.correlation_id,
            causation_id=str(event.id),
            tenant=event.tenant_id,
            event_type=event.type,
            event_id=str(event.id),
        ):
            if handler is None:
                # Bound by an older version of this service: nothing to do with it.
                log.warning("event_without_handler")
                await message.ack()
                return
            try:
                outcome = await self._apply(event, handler)
            except Exception as exc:
                await self._retry_or_park(message, event, exc)
                return
            await message.ack()
            self.metrics.events_handled.labels(event.type, outcome).inc()
            self.metrics.event_delay.observe(
                max(0.0, (datetime.now(UTC) - event.occurred_at).total_seconds())
            )
            log.debug("event_handled", outcome=outcome)

    async def _apply(self, event: Event, handler: EventHandler) -> str:
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await conn.fetchval(
                "INSERT INTO inbox (event_id, event_type) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING true",
                event.id,
                event.type,
            )
            if not fresh:
                return "duplicate"
            ctx = HandlerContext(conn=conn, app=self.app, producer=self.settings.service)
            await handler(ctx, event)
        for callback in ctx.after_commit:
            result = callback()
            if result is not None:
                await result
        return "applied"

    async def _retry_or_park(
        self, message: AbstractIncomingMessage, event: Event, exc: Exception
    ) -> None:
        attempt = int((message.headers or {}).get("x-attempt", 0)) + 1  # type: ignore[arg-type]
        if attempt >= self.settings.consumer_max_attempts:
            log.error("event_parked", attempts=attempt, error=repr(exc))
            self.metrics.events_handled.labels(event.type, "parked").inc()
            await self._park(message, repr(exc), attempts=attempt)
            return
        delays = self.settings.retry_delays_ms
        delay = delays[min(attempt - 1, len(delays) - 1)]
        log.warning("event_retry", attempt=attempt, delay_ms=delay, error=repr(exc))
        self.metrics.events_handled.labels(event.type, "retried").inc()
        await self._forward(message, self.topology.retry_queue(delay), {"x-attempt": attempt})

    async def _park(self, message: AbstractIncomingMessage, reason: str, *, attempts: int) -> None:
        await self._forward(
            message,
            self.topology.parked,
            {
                "x-error": reason[:2000],
                "x-attempts": attempts,
                "x-parked-at": datetime.now(UTC).isoformat(),
                "x-original-routing-key": message.routing_key or "",
            },
        )

    async def _forward(
        self, message: AbstractIncomingMessage, queue: str, headers: dict[str, Any]
    ) -> None:
        """Publish a confirmed copy to `queue`, then ack the original (at least once)."""
        copy = aio_pika.Message(
            message.body,
            headers={**(message.headers or {}), **headers},
            content_type=message.content_type,
            message_id=message.message_id,
            type=message.type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            await self.broker.publisher.default_exchange.publish(
                copy, routing_key=queue, mandatory=True, timeout=10
            )
        except Exception as error:
            # Could not move it: hand it back so it is redelivered (the delivery limit
            # still bounds a loop).
            log.error("event_forward_failed", queue=queue, error=repr(error))
            await message.nack(requeue=True)
            return
        await message.ack()


async def run_checks(consumers: list[Consumer], interval: float = 5.0) -> None:
    """Periodic watchdog: consumers really attached, lag and dead-letter gauges fresh."""
    while True:
        started = time.monotonic()
        for consumer in consumers:
            await consumer.check()
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

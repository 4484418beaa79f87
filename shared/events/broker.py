"""One supervised AMQP connection per service process.

We do not rely on aio-pika's RobustConnection to restore consumers after a broker restart
(its tracker reports cases where it does not): the supervisor reconnects with backoff and
re-runs every setup step (topology, consumers, publisher channel) on each new connection,
so a reconnect always starts from a known state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange

from shared.backoff import Backoff
from shared.events.topology import Topology, declare_exchange
from shared.logging import get_logger
from shared.settings import ServiceSettings

log = get_logger(__name__)

SetupStep = Callable[[AbstractConnection], Awaitable[None]]


class BrokerUnavailable(Exception):
    pass


class Broker:
    def __init__(self, settings: ServiceSettings, topology: Topology) -> None:
        self.settings = settings
        self.topology = topology
        self._setup: list[SetupStep] = []
        self._teardown: list[Callable[[], Awaitable[None]]] = []
        self.connection: AbstractConnection | None = None
        self._publisher: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self.connected = asyncio.Event()
        self.reconnected = asyncio.Event()  # set after each successful (re)connection
        self.last_error: str | None = "not connected yet"
        self._lost: asyncio.Event | None = None
        self._stopping = False

    def on_connect(
        self, step: SetupStep, teardown: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Register a setup step run on every new connection (and its teardown on loss)."""
        self._setup.append(step)
        if teardown:
            self._teardown.append(teardown)

    @property
    def exchange(self) -> AbstractExchange:
        """The events exchange on the confirming publisher channel."""
        if self._exchange is None or not self.connected.is_set():
            raise BrokerUnavailable(self.last_error or "broker not connected")
        return self._exchange

    @property
    def publisher(self) -> AbstractChannel:
        if self._publisher is None or not self.connected.is_set():
            raise BrokerUnavailable(self.last_error or "broker not connected")
        return self._publisher

    def force_reconnect(self, reason: str) -> None:
        """Drop the connection so the supervisor rebuilds everything (e.g. a lost consumer)."""
        if self._stopping:
            return
        log.warning("broker_forced_reconnect", reason=reason)
        if self._lost:
            self._lost.set()

    async def run(self) -> None:
        backoff = Backoff(0.2, self.settings.broker_reconnect_max_seconds)
        while not self._stopping:
            try:
                connection = await aio_pika.connect(self.settings.amqp_url, timeout=5)
            except Exception as exc:  # any failure to connect: wait and try again
                self.last_error = f"cannot connect to the broker: {exc!r}"
                delay = backoff.next()
                log.warning("broker_connect_failed", error=repr(exc), retry_in=round(delay, 3))
                await asyncio.sleep(delay)
                continue
            lost = self._lost = asyncio.Event()
            connection.close_callbacks.add(lambda *_, lost=lost: lost.set())
            try:
                self._publisher = await connection.channel(
                    publisher_confirms=True, on_return_raises=True
                )
                self._publisher.close_callbacks.add(lambda *_, lost=lost: lost.set())
                self._exchange = await declare_exchange(self._publisher, self.topology)
                for step in self._setup:
                    await step(connection)
                self.connection = connection
                self.last_error = None
                self.connected.set()
                self.reconnected.set()
                backoff.reset()  # only a complete setup resets the backoff
                log.info("broker_connected")
                await lost.wait()
                self.last_error = "connection to the broker lost"
                log.warning("broker_connection_lost")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = f"broker setup failed: {exc!r}"
                log.exception("broker_setup_failed")
                await asyncio.sleep(backoff.next())
            finally:
                self.connected.clear()
                self.connection = None
                self._exchange = None
                self._publisher = None
                for teardown in self._teardown:
                    with contextlib.suppress(Exception):
                        await teardown()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), 2)

    async def stop(self) -> None:
        self._stopping = True
        if self._lost:
            self._lost.set()

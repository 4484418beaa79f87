"""Watching the bus from a test: an exclusive queue bound to some event types."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage


class EventTap:
    """Collects every message published with the given routing keys while it is open."""

    def __init__(self, amqp_url: str, namespace: str, routing_keys: list[str]) -> None:
        self.amqp_url = amqp_url
        self.exchange = f"{namespace}.events"
        self.routing_keys = routing_keys
        self.messages: list[dict[str, Any]] = []
        self._arrived = asyncio.Condition()

    async def __aenter__(self) -> EventTap:
        self.connection = await aio_pika.connect(self.amqp_url)
        channel = await self.connection.channel()
        exchange = await channel.declare_exchange(
            self.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for key in self.routing_keys:
            await queue.bind(exchange, routing_key=key)
        await queue.consume(self._on_message, no_ack=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.connection.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        async with self._arrived:
            self.messages.append(json.loads(message.body))
            self._arrived.notify_all()

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == event_type]

    async def wait_for(
        self, count: int, *, event_type: str | None = None, timeout: float = 10
    ) -> list[dict[str, Any]]:
        def enough() -> bool:
            found = self.of_type(event_type) if event_type else self.messages
            return len(found) >= count

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(enough), timeout)
        return self.of_type(event_type) if event_type else list(self.messages)


async def eventually(check: Any, *, timeout: float = 10, interval: float = 0.05) -> Any:
    """Poll an async `check()` until it returns a truthy value (or fail after `timeout`)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        await asyncio.sleep(interval)

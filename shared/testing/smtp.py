"""A real SMTP server for tests (aiosmtpd, in a thread) that keeps every message it accepts
and can be told to refuse the next ones."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from shared.testing.processes import free_port


class RecordingHandler:
    """Keeps every accepted message; can be told to refuse the next ones (451 or 550), or
    every one to an address."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refusals: list[str] = []
        self.refused_to: dict[str, str] = {}
        self.refused = 0
        self.port = 0
        self._lock = threading.Lock()
        self._hold_after: int | None = None
        self._released = threading.Event()
        self.held = 0

    def hold_after(self, accepted: int) -> None:
        """Once `accepted` messages are kept, the next ones hang before the server's answer
        (a sender caught mid-batch) until `release()`, then are refused (451) and not kept."""
        with self._lock:
            self._hold_after = accepted
            self._released.clear()

    def release(self) -> None:
        with self._lock:
            self._hold_after = None
        self._released.set()

    def refuse(self, answer: str, times: int = 1) -> None:
        with self._lock:
            self.refusals.extend([answer] * times)

    def refuse_to(self, address: str, answer: str) -> None:
        """Every message to `address` refused with `answer` (a mailbox that does not exist:
        550), whatever the order the others arrive in."""
        with self._lock:
            self.refused_to[address.lower()] = answer

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            holding = self._hold_after is not None and len(self.messages) >= self._hold_after
            if holding:
                self.held += 1
        if holding:
            # A thread event: released from the test's thread, not the server's loop.
            await asyncio.to_thread(self._released.wait)
            return "451 4.3.0 Interrompu"
        with self._lock:
            for recipient in envelope.rcpt_tos:
                if (answer := self.refused_to.get(recipient.lower())) is not None:
                    self.refused += 1
                    return answer
            if self.refusals:
                self.refused += 1
                return self.refusals.pop(0)
            raw = envelope.original_content or envelope.content
            message = email.message_from_bytes(raw, policy=email.policy.default)
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@contextmanager
def smtp_server() -> Iterator[RecordingHandler]:
    """An SMTP server on a free local port (`handler.port`) for the duration."""
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), decode_data=False)
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        handler.release()
        controller.stop()

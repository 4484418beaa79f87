"""Sending emails over SMTP (aiosmtplib), and telling temporary failures from permanent ones."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Literal

import aiosmtplib

from notify.domain.tenants import Tenant
from notify.render import Rendered
from notify.settings import NotifySettings

Status = Literal["sent", "temporary", "permanent"]


@dataclasses.dataclass(frozen=True)
class Outcome:
    status: Status
    detail: str = ""


SENT = Outcome("sent")


def message_id(email_id: uuid.UUID | str, sender_address: str) -> str:
    """Derived from the row id: a retry after a crash carries the same Message-ID."""
    domain = sender_address.rpartition("@")[2] or "portail-famille.fr"
    return f"<{email_id}@{domain}>"


def build_message(
    email_id: uuid.UUID | str, recipient: str, rendered: Rendered, tenant: Tenant
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((tenant.sender_name, tenant.sender_address))
    message["To"] = recipient
    if tenant.reply_to:
        message["Reply-To"] = tenant.reply_to
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id(email_id, tenant.sender_address)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Portail-Email-Id"] = str(email_id)
    message["Content-Language"] = "fr"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


def classify(exc: BaseException) -> Outcome:
    """4xx, refused connections, timeouts: try again later. 5xx: the server's final answer."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refusals = exc.recipients
        codes = [r.code for r in refusals]
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in refusals)
        permanent = bool(codes) and all(500 <= c < 600 for c in codes)
        return Outcome("permanent" if permanent else "temporary", detail[:1000])
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        # Our credentials, not the family's address: retried (and visible) until fixed.
        return Outcome("temporary", f"authentification SMTP refusée : {exc.code} {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        detail = f"{exc.code} {exc.message}"[:1000]
        return Outcome("permanent" if 500 <= exc.code < 600 else "temporary", detail)
    if isinstance(exc, aiosmtplib.SMTPException | OSError | TimeoutError):
        return Outcome("temporary", f"{type(exc).__name__}: {exc}"[:1000])
    return Outcome("temporary", f"{type(exc).__name__}: {exc}"[:1000])


class SmtpMailer:
    """Hands messages to the SMTP server, several over one connection."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_user or None,
            password=s.smtp_password or None,
            use_tls=s.smtp_tls,
            start_tls=s.smtp_starttls if not s.smtp_tls else False,
            timeout=s.smtp_timeout,
        )

    async def deliver(
        self,
        messages: list[EmailMessage],
        on_outcome: Callable[[int, Outcome], Awaitable[None]] | None = None,
    ) -> list[Outcome]:
        """Send each message; `on_outcome(index, outcome)` is awaited as soon as the server
        answered that message, before the next one is sent (the dispatcher records it then)."""
        outcomes: list[Outcome] = []
        client: aiosmtplib.SMTP | None = None
        try:
            for index, message in enumerate(messages):
                try:
                    if client is None:
                        client = self._client()
                        await client.connect()
                    await client.send_message(message)
                    outcome = SENT
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    outcome = classify(exc)
                    # Whatever state the session is in, the next message starts afresh.
                    if client is not None:
                        await _close(client)
                    client = None
                outcomes.append(outcome)
                if on_outcome is not None:
                    await on_outcome(index, outcome)
        finally:
            if client is not None:
                await _close(client)
        return outcomes


async def _close(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        if client.is_connected:
            await asyncio.wait_for(client.quit(), 2)
    with contextlib.suppress(Exception):
        client.close()

"""What an event gives: emails and an in-app notice.

An email about an account (identity's events) goes to an address the event carries (`Mail`
with a `recipient`). A family-facing email (`Letter`) is the same for every guardian of the
household: it is addressed to each guardian's account (`Mail` without `recipient`), and the
dispatcher writes to the account's latest known address. Exactly once: per (event, address)
or per (event, account); a `group` gathers an account's letters of that group (a basket) into
one email.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple


@dataclasses.dataclass(frozen=True)
class Mail:
    """An email to an address, or (`recipient` None) to an account's latest address."""

    recipient: str | None
    template: str
    context: dict[str, Any]
    account_id: uuid.UUID | None = None
    group: str | None = None  # gathered with the account's other mails of this group


@dataclasses.dataclass(frozen=True)
class Notice:
    """The in-app notification: the same for every account it goes to."""

    kind: str
    title: str
    body: str


class Plan(NamedTuple):
    mails: list[Mail]
    notice: Notice | None


@dataclasses.dataclass(frozen=True)
class Letter:
    """A family-facing email and its notice, the same for every guardian."""

    template: str
    context: dict[str, Any]
    notice: Notice
    group: str | None = None

    def to(self, accounts: Sequence[uuid.UUID]) -> Plan:
        """One email per account, to its latest address (resolved when sending)."""
        mails = [
            Mail(None, self.template, self.context, account_id, self.group)
            for account_id in accounts
        ]
        return Plan(mails, self.notice)


def jsonable(payload: Mapping[str, Any]) -> dict[str, Any]:
    """An event's payload as an email's context (JSON: dates and ids as strings)."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if isinstance(value, date):  # datetimes too
            out[key] = value.isoformat()
        elif isinstance(value, uuid.UUID):
            out[key] = str(value)
        elif isinstance(value, list | tuple):
            out[key] = [str(v) if isinstance(v, uuid.UUID) else v for v in value]
        else:
            out[key] = value
    return out


def iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def reason(value: Any) -> str | None:
    """A reason typed by staff; None when there is none (blank counts as none)."""
    text = str(value).strip() if value is not None else ""
    return text or None

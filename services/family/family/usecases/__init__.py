"""What the family service does, one module per area; called alike by the HTTP handlers
(`family.api`), the commands (`family.commands`) and the event handlers (`family.events`).

A use case that changes something takes a `UnitOfWork` and enters it once: the change and
the events it raises (`uow.emit`) commit together. The pieces several use cases share
(`members.add_member`, `quotients.add_quotient`, ...) take the open `uow` and do not enter
it. Reads take the pool (or a connection) and call the store.

Modules:
    households     the household file: create, search, read
    members        guardians, children, contacts
    health_records children's health records (sealed) and who read them
    photos         children's photos
    quotients      the family quotient
    edits          a change to the file applied at once (staff; an approved proposal)
    changes        changes proposed by families, and staff's decision
    catalog        the tenant's lists: document types, request topics
    permissions    the town's permissions per child and the proofs required with changes
    documents      supporting documents, and the room a household has for files
    town_requests  requests to the town and their threads
    linking        an account linked to its household (subscriber code, staff)
    privacy        the export of a household's data, deletion requests, anonymisation
    importing      the CSV import of the town's existing file
    subscriber_codes  the subscriber-code letters (PDF), a new code for a lost one
    onboarding     onboarding runs: the guardians of imported households invited
    demo           the demo households (development)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Actor:
    """Who acts: a person of a tenant (from an access token), or a command."""

    tenant: str
    account_id: uuid.UUID
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class File:
    """A file as received (its type read from the content) or as sent back."""

    filename: str
    content_type: str
    content: bytes
    size: int = 0
    sha256: str = ""


def utcnow() -> datetime:
    return datetime.now(UTC)

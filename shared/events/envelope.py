"""The one envelope every event travels in, and how events are created."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from marshmallow import Schema, ValidationError, fields, validate

from shared.events import registry
from shared.events.registry import InvalidEvent

__all__ = ["Event", "InvalidEvent", "event_of", "new_event", "parse_event"]


@dataclasses.dataclass(frozen=True)
class Event:
    id: uuid.UUID
    type: str
    version: int
    occurred_at: datetime
    tenant_id: str
    producer: str
    correlation_id: str
    causation_id: str | None
    payload: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """What `EnvelopeSchema().dump(self)` writes, written directly: every event goes
        through here on its way to the outbox, and the schema's dump costs ten times more
        (shared/tests/test_contract_fast.py compares the two)."""
        return {
            "id": str(self.id),
            "type": _text(self.type),
            "version": int(self.version),
            "occurred_at": self.occurred_at.isoformat(),
            "tenant_id": _text(self.tenant_id),
            "producer": _text(self.producer),
            "correlation_id": _text(self.correlation_id),
            "causation_id": _text(self.causation_id),
            "payload": dict(self.payload),
        }


def _text(value: Any) -> str | None:
    """A String field's dump: None stays None, anything else its str()."""
    return None if value is None else str(value)


class EnvelopeSchema(Schema):
    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(r"^[a-z]+\.[A-Z][A-Za-z]+$"))
    version = fields.Integer(required=True, validate=validate.Range(1, None))
    occurred_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    tenant_id = fields.String(required=True, validate=validate.Length(1, 63))
    producer = fields.String(required=True)
    correlation_id = fields.String(required=True)
    causation_id = fields.String(load_default=None, allow_none=True)
    payload = fields.Dict(required=True)


_ENVELOPE = EnvelopeSchema()


def new_event(
    type: str,
    payload: dict[str, Any],
    *,
    tenant_id: str,
    producer: str,
    version: int | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> Event:
    """Build an event; a payload that breaks the contract is a programming error (raises)."""
    version = version or registry.latest_version(type)
    data = registry.dump_payload(type, version, payload)
    return event_of(
        type,
        version,
        data,
        tenant_id=tenant_id,
        producer=producer,
        correlation_id=correlation_id,
        causation_id=causation_id,
    )


def event_of(
    type: str,
    version: int,
    data: dict[str, Any],
    *,
    tenant_id: str,
    producer: str,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> Event:
    """The envelope of a payload already checked against the contract and written as JSON
    (`new_event`, or `checked.PayloadCheck` for many events of one type)."""
    context = structlog.contextvars.get_contextvars()
    event_id = uuid.uuid4()
    return Event(
        id=event_id,
        type=type,
        version=version,
        occurred_at=datetime.now(UTC),
        tenant_id=tenant_id,
        producer=producer,
        correlation_id=correlation_id or context.get("correlation_id") or str(event_id),
        causation_id=causation_id or context.get("causation_id"),
        payload=data,
    )


def parse_event(body: dict[str, Any]) -> Event:
    """Validate an incoming envelope and its payload; payload values become Python types."""
    try:
        envelope = _ENVELOPE.load(body)
    except ValidationError as exc:
        raise InvalidEvent(f"invalid envelope: {exc.messages}") from None
    payload = registry.load_payload(envelope["type"], envelope["version"], envelope["payload"])
    return Event(**{**envelope, "payload": payload})

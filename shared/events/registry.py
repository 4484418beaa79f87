"""The registry of event types: the contract between services.

Each event type has a marshmallow payload schema per version, declared once in
`shared.events.contract`. Producers and consumers both go through this module.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

_SCHEMAS: dict[tuple[str, int], type[Schema]] = {}


class ContractError(Exception):
    """A producer built an event that does not follow its schema (a bug, caught by tests)."""


class InvalidEvent(Exception):
    """An incoming message is not a valid event of the contract (it goes to the parked queue)."""


def event_type(name: str, version: int = 1):  # type: ignore[no-untyped-def]
    """Class decorator registering a payload schema: `@event_type("booking.X")`."""

    def register(schema: type[Schema]) -> type[Schema]:
        key = (name, version)
        if key in _SCHEMAS:
            raise ContractError(f"event {name} v{version} is declared twice")
        _SCHEMAS[key] = schema
        return schema

    return register


def known_types() -> list[str]:
    return sorted({name for name, _ in _SCHEMAS})


def declared() -> list[tuple[str, int, type[Schema]]]:
    """Every (event type, version, payload schema), in order (the AsyncAPI document)."""
    return sorted(((n, v, s) for (n, v), s in _SCHEMAS.items()), key=lambda t: t[:2])


def latest_version(name: str) -> int:
    versions = [v for n, v in _SCHEMAS if n == name]
    if not versions:
        raise ContractError(f"unknown event type {name!r}")
    return max(versions)


_INSTANCES: dict[tuple[str, int], Schema] = {}


def schema_for(name: str, version: int) -> Schema:
    """The payload schema; instances are reused (building one costs more than using it)."""
    key = (name, version)
    schema = _INSTANCES.get(key)
    if schema is None:
        try:
            schema = _INSTANCES[key] = _SCHEMAS[key]()
        except KeyError:
            raise ContractError(f"unknown event type {name!r} version {version}") from None
    return schema


def dump_payload(name: str, version: int, payload: dict[str, Any]) -> dict[str, Any]:
    """Python values → JSON payload, refusing anything the schema would not accept."""
    schema = schema_for(name, version)
    data = schema.dump(payload)
    errors = schema.validate(data)
    missing = set(payload) - set(schema.fields)
    if errors or missing:
        raise ContractError(f"{name} v{version} payload breaks its schema: {errors or missing}")
    return data


def load_payload(name: str, version: int, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        schema = schema_for(name, version)
    except ContractError as exc:
        raise InvalidEvent(str(exc)) from None
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise InvalidEvent(f"{name} v{version} payload invalid: {exc.messages}") from None

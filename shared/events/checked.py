"""Many payloads of one event type checked against the contract at a fraction of the cost of
`registry.dump_payload` (a schema dump, then a schema validation of the result).

`PayloadCheck(type)` checks each payload field by field, with the contract's own fields:
each value is serialized by its field and loaded back by the same field (its type, its
validators, `required`, `allow_none`), lists item by item, nested objects by their schema's
fields, unknown and missing keys refused. That is what the schema does, and all it does,
for a contract schema with no schema-level hooks or validators and no `data_key` (checked
when the type is first used: otherwise every payload goes through `registry.dump_payload`).
A value already checked by the same field is not checked again: a whole window's events
carry the same few days, activity and window ids tens of thousands of times. The first
payload is also dumped by the whole schema and compared, so the two paths cannot drift
apart unnoticed.

Used where one change raises thousands of events (an opening window's allocation); single
events keep going through `new_event`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from marshmallow import Schema, ValidationError
from marshmallow.fields import UUID, Field, List, Nested

from shared.events import registry
from shared.events.registry import ContractError

__all__ = ["PayloadCheck"]

# Checked values kept per field (a bound: a window's dates and ids repeat, the rest is unique).
_CACHE_LIMIT = 100_000


_SCALAR, _LIST, _NESTED = 0, 1, 2


def _kind(field: Field) -> int:
    """How a field is checked: a list item by item, a nested object by its fields (neither
    with validators of its own), anything else as a whole by the field."""
    if field.validators:
        return _SCALAR
    if isinstance(field, List):
        return _LIST
    if isinstance(field, Nested) and not field.many and isinstance(field.schema, Schema):
        return _NESTED
    return _SCALAR


def _plain(schema: Schema) -> bool:
    """A schema the field-by-field check reproduces: no hooks, no schema validators, every
    field named as written, nested schemas alike."""
    if any(schema._hooks.values()):  # marshmallow keeps the hooks there
        return False
    for name, field in schema.fields.items():
        if field.data_key not in (None, name) or field.attribute not in (None, name):
            return False
        inner = field.inner if isinstance(field, List) else field
        if isinstance(inner, Nested):
            nested = inner.schema
            if not isinstance(nested, Schema) or not _plain(nested):
                return False
    return True


class PayloadCheck:
    """The contract check of many payloads of one event type (see the module)."""

    def __init__(
        self, type: str, version: int | None = None, *, sharing: PayloadCheck | None = None
    ) -> None:
        """`sharing`: another check whose checked values this one reuses (the same ids
        travel in several event types of one change)."""
        self.type = type
        self.version = version or registry.latest_version(type)
        self.schema = registry.schema_for(type, self.version)
        self._fast = _plain(self.schema)
        self._seen: dict[Any, dict[tuple[type, Hashable], Any]] = (
            {} if sharing is None else sharing._seen
        )
        self._compared = False
        self._kinds: dict[Field, int] = {} if sharing is None else sharing._kinds

    def __call__(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The payload as the contract writes it (JSON values); raises ContractError when it
        breaks the contract (a programming error)."""
        if not self._fast:
            return registry.dump_payload(self.type, self.version, dict(payload))
        try:
            data = self._object(self.schema, payload)
        except ValidationError as exc:
            raise ContractError(
                f"{self.type} v{self.version} payload breaks its schema: {exc.messages}"
            ) from None
        if not self._compared:
            whole = registry.dump_payload(self.type, self.version, dict(payload))
            if whole != data:
                raise ContractError(
                    f"{self.type}: the field-by-field check differs from its schema"
                )
            self._compared = True
        return data

    # The error's path is built only on the way out of a failure (the hot path builds none).

    def _object(self, schema: Schema, obj: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(obj, Mapping):
            raise ValidationError(["Not a mapping."])
        fields = schema.fields
        unknown = obj.keys() - fields.keys()
        if unknown:
            raise ValidationError({k: ["Unknown field."] for k in sorted(unknown)})
        out: dict[str, Any] = {}
        for name, field in fields.items():
            if name not in obj:
                if field.required:
                    raise ValidationError({name: ["Missing data for required field."]})
                continue
            try:
                out[name] = self._value(field, obj[name])
            except ValidationError as exc:
                raise ValidationError({name: exc.messages}) from None
        return out

    def _value(self, field: Field, value: Any) -> Any:
        kind = self._kinds.get(field)
        if kind is None:
            kind = self._kinds[field] = _kind(field)
        if value is not None:
            if kind == _LIST and isinstance(value, list | tuple):
                return self._list(field, value)
            if kind == _NESTED:
                return self._object(field.schema, value)  # type: ignore[attr-defined]
        return self._scalar(field, value)

    def _list(self, field: Field, value: list[Any] | tuple[Any, ...]) -> list[Any]:
        inner: Field = field.inner  # type: ignore[attr-defined]
        try:
            if _kind(inner) == _SCALAR:  # the common case (dates): no recursion per item
                scalar = self._scalar
                return [scalar(inner, v) for v in value]
            return [self._value(inner, v) for v in value]
        except ValidationError:
            for i, v in enumerate(value):  # which item: only on a failure
                try:
                    self._value(inner, v)
                except ValidationError as exc:
                    raise ValidationError({i: exc.messages}) from None
            raise

    def _scalar(self, field: Field, value: Any) -> Any:
        if value is None:  # cheap, and its answer depends on the field's allow_none
            return self._field(field, value)
        # A UUID field without validators checks a value the same way whichever it is: one
        # store for all of them (a household's id is in both event types of an allocation).
        store_key: Any = UUID if field.__class__ is UUID and not field.validators else field
        seen = self._seen.get(store_key)
        if seen is None:
            seen = self._seen[store_key] = {}
        try:
            # The type too: 1 == True == 1.0 would share an entry otherwise.
            key = (value.__class__, value)
            found = seen.get(key, self)
        except TypeError:  # unhashable: checked each time
            return self._field(field, value)
        if found is self:
            found = self._field(field, value)
            if len(seen) < _CACHE_LIMIT:
                seen[key] = found
        return found

    @staticmethod
    def _field(field: Field, value: Any) -> Any:
        try:
            # A value of the wrong type can fail in the field's serializer already.
            dumped = field.serialize("value", {"value": value})
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValidationError([f"Cannot be written: {exc}"]) from None
        field.deserialize(dumped, "value", {"value": dumped})
        return dumped

"""Reading request bodies and query strings through marshmallow schemas."""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web
from marshmallow import Schema, ValidationError, pre_load

from shared.errors import DomainError, NotFound, Problem, validation_problem


class RequestSchema(Schema):
    """Base of the request bodies' schemas: unknown fields are refused (marshmallow's
    default), strings are trimmed, except passwords, whose every character counts."""

    @pre_load
    def strip(self, data: object, **_: object) -> object:
        if isinstance(data, dict):
            return {
                k: v.strip() if isinstance(v, str) and "password" not in k else v
                for k, v in data.items()
            }
        return data


async def read_json(request: web.Request, schema: Schema) -> Any:
    """Parse and validate a JSON body: 415, 400 or 422 problems, never a 500."""
    if request.content_type != "application/json":
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Le corps de la requête doit être au format JSON (Content-Type: application/json).",
        )
    raw = await request.read()
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(
            400,
            "malformed-json",
            "Malformed JSON",
            "Le corps de la requête n'est pas un JSON valide.",
            position=getattr(exc, "pos", None),
        ) from None
    if not isinstance(data, dict) and not getattr(schema, "many", False):
        raise Problem(
            400,
            "malformed-json",
            "Malformed JSON",
            "Le corps de la requête doit être un objet JSON.",
        )
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise validation_problem(exc.messages) from None


def read_query(request: web.Request, schema: Schema) -> Any:
    try:
        return schema.load(dict(request.query))
    except ValidationError as exc:
        raise validation_problem(exc.messages) from None


def json_response(
    schema: Schema, data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(schema.dump(data), status=status, headers=headers)


def path_uuid(request: web.Request, name: str, error: type[DomainError] = NotFound) -> uuid.UUID:
    """The id in the URL's `{name}`; one that is not a UUID names nothing: `error` (404)."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise error() from None

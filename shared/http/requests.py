"""Reading request bodies and query strings through marshmallow schemas."""

from __future__ import annotations

import json
import re
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
    except RecursionError:
        # Thousands of `[`: the parser gives up before any bound of ours could be checked.
        raise too_deep() from None
    if raw:
        check_json(data, raw)
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


# Deeper than any body a client of ours sends; bounded so that no marshmallow schema, JSON
# column or log line ever walks an attacker's million-level structure.
MAX_JSON_DEPTH = 64
NUL = "\x00"
NUL_DETAIL = "Ce champ contient un caractère interdit (caractère nul)."
INVALID_DETAIL = "Ce champ contient un caractère invalide."
# What may decode to either: `\\u0000`, an escaped surrogate, or a raw UTF-8-encoded one
# (json.loads decodes bytes with "surrogatepass").
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


def too_deep() -> Problem:
    return Problem(
        400,
        "nested-too-deep",
        "JSON nested too deeply",
        f"Le corps de la requête est imbriqué trop profondément (au plus {MAX_JSON_DEPTH}).",
        max_depth=MAX_JSON_DEPTH,
    )


def nul_problem(fields: list[str], detail: str = NUL_DETAIL) -> Problem:
    """422 naming each field (or parameter) that holds a NUL: Postgres refuses it in text."""
    return validation_problem({field: [detail] for field in fields})


def check_json(data: Any, raw: bytes | str, *, field: str = "") -> None:
    """Refuse a parsed JSON value nested deeper than MAX_JSON_DEPTH (400), or holding in a
    string or key a NUL or a lone UTF-16 surrogate (`\\ud800`, which no UTF-8 text can
    carry: the driver fails to encode it): a 422 naming its dotted path, under `field`.
    `raw` is the text it was parsed from: most bodies are shallow and hold neither, and
    skip the walk."""
    text = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if text.count(b"[") + text.count(b"{") <= MAX_JSON_DEPTH and not _SUSPECT.search(text):
        return
    bad: dict[str, str] = {}
    # Iterative, so that the check itself cannot overflow the stack.
    stack: list[tuple[Any, str, int]] = [(data, field, 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise too_deep()
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                name = _FORBIDDEN.sub("\ufffd", str(key))
                child = f"{path}.{name}" if path else name
                if isinstance(key, str) and (found := _FORBIDDEN.search(key)):
                    bad[child] = NUL_DETAIL if found[0] == NUL else INVALID_DETAIL
                stack.append((item, child, depth + 1))
        elif isinstance(value, str) and (found := _FORBIDDEN.search(value)):
            bad[path or "_schema"] = NUL_DETAIL if found[0] == NUL else INVALID_DETAIL
    if bad:
        raise validation_problem({name: [bad[name]] for name in sorted(bad)})


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

"""OpenAPI 3 description built from the routes and their marshmallow schemas (apispec)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

_DOC = "__openapi__"


def doc(
    summary: str,
    *,
    request: type[Schema] | Schema | None = None,
    response: type[Schema] | Schema | None = None,
    status: int = 200,
    query: type[Schema] | None = None,
    auth: bool = True,
    tags: list[str] | None = None,
    responses: dict[int, str] | None = None,
    description: str | None = None,
    form: dict[str, str] | None = None,
    raw_types: list[str] | None = None,
    files: Iterable[str] | None = None,
) -> Callable[[Any], Any]:
    """Describe a handler for the OpenAPI document.

    `form` documents a multipart/form-data body: part name → "file" or "string" (a part whose
    name ends with "?" is optional). `raw_types` documents a raw binary body of those types;
    `files`, a success response that is a file of one of those types.
    """

    def attach(handler: Any) -> Any:
        setattr(
            handler,
            _DOC,
            {
                "summary": summary,
                "request": request,
                "response": response,
                "status": status,
                "query": query,
                "auth": auth,
                "tags": tags,
                "responses": responses or {},
                "description": description or (handler.__doc__ or "").strip() or None,
                "form": form,
                "raw_types": raw_types,
                "files": sorted(files or ()),
            },
        )
        return handler

    return attach


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "French, shown to the user"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "detail": {"type": "string"}},
            },
        },
    },
}


IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "A key of the client's (e.g. a UUID) naming this request: sent again with"
    " the same body, it gets the first answer again (status, body, Location; header"
    " Idempotent-Replayed: true) instead of creating twice. Kept 24 hours, per caller; only"
    " a success is kept.",
}


def build_spec(
    app: web.Application, *, title: str, version: str = "1.0.0", description: str = ""
) -> dict[str, Any]:
    spec = APISpec(
        title=title,
        version=version,
        openapi_version="3.1.0",
        plugins=[marshmallow_plugin()],
        info={"description": description},
    )
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    spec.components.schema("Problem", PROBLEM_SCHEMA)
    problem_ref = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    paths: dict[str, dict[str, Any]] = {}
    for route in app.router.routes():
        info = getattr(route.handler, _DOC, None)
        if info is None or route.resource is None or route.method == "HEAD":
            continue
        path = route.resource.canonical
        operation: dict[str, Any] = {"summary": info["summary"], "responses": {}}
        if info["description"]:
            operation["description"] = info["description"]
        if info["tags"]:
            operation["tags"] = info["tags"]
        params = [
            {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
            for name in _path_params(path)
        ]
        if info["query"] is not None:
            params.append({"in": "query", "schema": info["query"]})
        idempotent = getattr(route.handler, "__idempotent__", False)  # shared.http.idempotency
        if idempotent:
            params.append(IDEMPOTENCY_KEY)
        if params:
            operation["parameters"] = params
        if info["request"] is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": info["request"]}},
            }
        content = operation.setdefault("requestBody", {"required": True, "content": {}})["content"]
        if info["form"]:
            content["multipart/form-data"] = {"schema": _form_schema(info["form"])}
        for media_type in info["raw_types"] or []:
            content[media_type] = {"schema": {"type": "string", "format": "binary"}}
        if not content:
            del operation["requestBody"]
        ok: dict[str, Any] = {"description": "Success"}
        if info["response"] is not None:
            ok["content"] = {"application/json": {"schema": info["response"]}}
        elif info["files"]:
            binary = {"schema": {"type": "string", "format": "binary"}}
            ok["content"] = {media_type: binary for media_type in info["files"]}
        operation["responses"][str(info["status"])] = ok
        # An HTML page (a browser's, not an API client's) answers its refusals as pages too;
        # the shared middleware's own 404 stays problem+json.
        page = {"text/html": {"schema": {"type": "string"}}} if "text/html" in info["files"] else {}
        for status, text in info["responses"].items():
            described: dict[str, Any] = {"description": text}
            if 200 <= status < 300 and "content" in ok:
                described["content"] = ok["content"]  # another success (PUT: 201 created)
            elif status >= 400:
                described["content"] = {**problem_ref, **page}
            operation["responses"][str(status)] = described
        if info["query"] is not None or info["form"]:
            # read_query, read_form: a value refused is a 422 naming it.
            operation["responses"].setdefault(
                "422", {"description": "Invalid fields", "content": problem_ref}
            )
        if info["form"]:
            operation["responses"].setdefault(
                "400", {"description": "Malformed multipart body", "content": problem_ref}
            )
        if info["request"] is not None:
            operation["responses"].setdefault(
                "422", {"description": "Invalid fields", "content": problem_ref}
            )
            # read_json: a body that is not JSON (415) or not parseable (400).
            operation["responses"].setdefault(
                "400", {"description": "Malformed JSON body", "content": problem_ref}
            )
            operation["responses"].setdefault(
                "415", {"description": "Not a JSON body", "content": problem_ref}
            )
        if info["request"] is not None or info["form"]:
            # A body above the size limit (the service's HTTP_MAX_BODY_BYTES or the gateway's).
            operation["responses"].setdefault(
                "413", {"description": "Body too large", "content": problem_ref}
            )
        if params and any(p["in"] == "path" for p in params):
            # Every path parameter names a record (a tenant, an id): one unknown is a 404.
            operation["responses"].setdefault(
                "404", {"description": "Not found", "content": problem_ref}
            )
        if idempotent:
            operation["responses"].setdefault(
                "409",
                {
                    "description": "A request with the same Idempotency-Key is in progress"
                    " (retry after Retry-After)",
                    "content": problem_ref,
                },
            )
            operation["responses"].setdefault(
                "422", {"description": "Invalid fields", "content": problem_ref}
            )
            operation["responses"]["422"]["description"] += (
                "; or this Idempotency-Key was used for another request"
            )
        if info["auth"]:
            operation["security"] = [{"bearer": []}]
            operation["responses"].setdefault(
                "401", {"description": "Not authenticated", "content": problem_ref}
            )
            # Any authenticated operation may refuse this account: its role, its household,
            # terms of use not accepted yet, a feature the town turned off.
            operation["responses"].setdefault(
                "403", {"description": "Not allowed for this account", "content": problem_ref}
            )
        paths.setdefault(path, {})[route.method.lower()] = operation
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return _numeric_bounds(spec.to_dict())


def marshmallow_plugin() -> MarshmallowPlugin:
    """apispec's plugin, describing a Decimal sent as a string ("12.50") as such."""
    plugin = MarshmallowPlugin()
    init_spec = plugin.init_spec

    def init(spec: APISpec) -> None:
        init_spec(spec)
        assert plugin.converter is not None
        plugin.converter.add_attribute_function(_decimal_as_string)

    plugin.init_spec = init  # type: ignore[method-assign]
    return plugin


def _decimal_as_string(self: Any, field: Any, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    if isinstance(field, fields.Decimal) and field.as_string:
        nullable = field.allow_none or "null" in (ret.get("type") or [])
        return {"type": ["string", "null"] if nullable else "string", "format": "decimal"}
    return {}


_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _numeric_bounds(node: Any) -> Any:
    """A Decimal field serialised as a string gives its range as strings ("24.00"): JSON
    Schema wants numbers there."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _BOUNDS and isinstance(value, str):
                node[key] = float(value) if "." in value else int(value)
            else:
                _numeric_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _numeric_bounds(value)
    return node


def _form_schema(form: dict[str, str]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for raw_name, kind in form.items():
        name = raw_name.rstrip("?")
        if not raw_name.endswith("?"):
            required.append(name)
        properties[name] = (
            {"type": "string", "format": "binary"} if kind == "file" else {"type": "string"}
        )
    return {"type": "object", "properties": properties, "required": required}


def _path_params(path: str) -> list[str]:
    import re

    return [m.split(":")[0] for m in re.findall(r"{([^}]+)}", path)]

"""The suite's documentation as the gateway serves it, built from what each service declares.

- `combine_openapi`: the services' own OpenAPI documents (each one's `/openapi.json`) as one,
  every path under `/api/<service>` (the gateway's URL scheme), components renamed per service.
- `asyncapi_document`: the events (AsyncAPI 3.0) from the registry (`shared.events.contract`):
  one channel per routing key on the `<namespace>.events` topic exchange, the payload's JSON
  schema from its marshmallow schema, the producer from the type's prefix, the consumers from
  each service's handler map.
- `problem_types` and `problems_page`: every problem type an answer may carry.

Pure functions of what they are given: which services exist and what they declare is
gathered by `scripts/apidocs.py` (the shared code never imports a service).
"""

from __future__ import annotations

import copy
import html
import re
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from apispec import APISpec
from marshmallow import Schema

from shared.errors import KIND_STATUS, PROBLEM_BASE, DomainError
from shared.http.openapi import PROBLEM_SCHEMA, marshmallow_plugin

_REF = "#/components/schemas/"


def combine_openapi(
    documents: Mapping[str, dict[str, Any]],
    *,
    title: str = "Portail Famille API",
    version: str = "1.0.0",
) -> dict[str, Any]:
    """One OpenAPI 3.1 document for the gateway: `/api/<service><path>` for each service's
    paths; its schemas become `<service>.<Name>` (services may reuse a name); each operation
    is tagged `<service>` or `<service> · <tag>`, grouped per service (Redoc's x-tagGroups)."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Problem": copy.deepcopy(PROBLEM_SCHEMA)}
    groups = []
    descriptions = []
    for service, document in sorted(documents.items()):
        renamed = {name: f"{service}.{name}" for name in _schemas(document)}
        if "Problem" in renamed:
            renamed["Problem"] = "Problem"  # the same RFC 9457 schema everywhere
        document = _rename_refs(copy.deepcopy(document), renamed)
        for name, schema in _schemas(document).items():
            if renamed[name] != "Problem":
                schemas[renamed[name]] = schema
        tags: list[str] = []
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                if isinstance(operation, dict) and method != "parameters":
                    own = operation.get("tags") or []
                    operation["tags"] = [f"{service} · {t}" for t in own] or [service]
                    operation.setdefault("operationId", _operation_id(service, method, path))
                    tags.extend(t for t in operation["tags"] if t not in tags)
            paths[f"/api/{service}{path}"] = operations
        groups.append({"name": service, "tags": tags})
        info = document.get("info", {})
        descriptions.append(f"- **{service}** (`/api/{service}/…`): {info.get('title', '')}")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": (
                "Every service of Portail Famille behind its gateway: `/api/<service>/<the "
                "service's own path>`. Tokens come from identity "
                "(`POST /api/identity/tenants/{tenant}/login`) and go in "
                "`Authorization: Bearer …`; errors are RFC 9457 problem+json (their types: "
                "[/api/problems](/api/problems)); the events between services: "
                "[/api/asyncapi.json](/api/asyncapi.json).\n\n" + "\n".join(descriptions)
            ),
        },
        "servers": [{"url": "/", "description": "the gateway"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "tags": [{"name": t} for g in groups for t in g["tags"]],
        "x-tagGroups": groups,
    }


def _schemas(document: dict[str, Any]) -> dict[str, Any]:
    return document.get("components", {}).get("schemas", {})


def _rename_refs(node: Any, renamed: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            node["$ref"] = _REF + renamed.get(ref[len(_REF) :], ref[len(_REF) :])
        for value in node.values():
            _rename_refs(value, renamed)
    elif isinstance(node, list):
        for value in node:
            _rename_refs(value, renamed)
    return node


def _operation_id(service: str, method: str, path: str) -> str:
    words = re.sub(r"[{}]", "", path).replace("-", "_").strip("/").replace("/", "_")
    return f"{service}_{method}_{words}"


# --- events -----------------------------------------------------------------------------


def asyncapi_document(
    *,
    events: Iterable[tuple[str, int, type[Schema]]],
    consumers: Mapping[str, list[str]],
    namespace: str = "portail",
    server: str = "localhost:5672",
    version: str = "1.0.0",
) -> dict[str, Any]:
    """AsyncAPI 3.0 for the event bus: `events` as `shared.events.registry.declared()`
    gives them, `consumers` event type → the services whose handler map names it."""
    spec = APISpec(
        title="events", version=version, openapi_version="3.1.0", plugins=[marshmallow_plugin()]
    )
    exchange = f"{namespace}.events"
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    latest: dict[str, list[tuple[int, type[Schema]]]] = {}
    for name, version_, schema in events:
        latest.setdefault(name, []).append((version_, schema))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # apispec: nested schemas that share a class name
        for name, versions in sorted(latest.items()):
            producer, short = name.split(".", 1)
            key = name.replace(".", "_")
            refs = {}
            for number, schema in versions:
                message_id = f"{key}_v{number}"
                spec.components.schema(f"{name}.v{number}", schema=schema)
                messages[message_id] = {
                    "name": name,
                    "title": f"{short} (version {number})",
                    "summary": (schema.__doc__ or "").strip() or None,
                    "contentType": "application/json",
                    "payload": _envelope(name, number, f"{_REF}{name}.v{number}"),
                    "x-version": number,
                }
                messages[message_id] = {k: v for k, v in messages[message_id].items() if v}
                refs[message_id] = {"$ref": f"#/components/messages/{message_id}"}
            channel_ref = {"$ref": f"#/channels/{key}"}
            channels[key] = {
                "address": name,
                "title": name,
                "description": f"Routing key `{name}` on the topic exchange `{exchange}`.",
                "messages": refs,
                "bindings": {
                    "amqp": {
                        "is": "routingKey",
                        "exchange": {
                            "name": exchange,
                            "type": "topic",
                            "durable": True,
                            "autoDelete": False,
                            "vhost": "/",
                        },
                        "bindingVersion": "0.3.0",
                    }
                },
            }
            all_messages = [{"$ref": f"#/channels/{key}/messages/{m}"} for m in refs]
            operations[f"{producer}_sends_{key}"] = {
                "action": "send",
                "channel": channel_ref,
                "title": f"{producer} publishes {name}",
                "messages": all_messages,
                "x-service": producer,
            }
            for consumer in consumers.get(name, []):
                service = consumer.replace(" ", "_")
                operations[f"{service}_receives_{key}"] = {
                    "action": "receive",
                    "channel": channel_ref,
                    "title": f"{consumer} consumes {name}",
                    "description": (
                        f"Queue `{namespace}.{consumer}` bound to `{name}`"
                        if consumer != "every service"
                        else "Each service's queue is bound to it"
                    ),
                    "messages": all_messages,
                    "x-service": consumer,
                }
    schemas = spec.to_dict().get("components", {}).get("schemas", {})
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Portail Famille events",
            "version": version,
            "description": (
                "Every event the services exchange through RabbitMQ: one durable topic "
                f"exchange `{exchange}` (`<BUS_NAMESPACE>.events`) whose routing key is the "
                "event type; each consuming service has its own quorum queue bound to the "
                "types it handles. Every message is the same JSON envelope; its `payload` "
                "follows the type's schema (shared/events/contract.py). Events no queue was "
                f"bound for are kept in the stream `{exchange}.archive`."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {"rabbitmq": {"host": server, "protocol": "amqp", "protocolVersion": "0.9.1"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _envelope(name: str, version: int, payload_ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [
            "id",
            "type",
            "version",
            "occurred_at",
            "tenant_id",
            "producer",
            "correlation_id",
            "payload",
        ],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "type": {"type": "string", "const": name},
            "version": {"type": "integer", "const": version},
            "occurred_at": {"type": "string", "format": "date-time"},
            "tenant_id": {"type": "string"},
            "producer": {"type": "string", "const": name.split(".")[0]},
            "correlation_id": {"type": "string"},
            "causation_id": {"type": ["string", "null"]},
            "payload": {"$ref": payload_ref},
        },
    }


# --- problem types ----------------------------------------------------------------------


def problem_types(
    errors: Iterable[tuple[str, type[DomainError]]],
    literal: Iterable[tuple[str, int, str, str, str]],
) -> list[dict[str, Any]]:
    """Every problem type, by code: `errors` (owner, DomainError subclass) and `literal`
    problems raised by code (owner, status, code, title, detail). Sorted by code."""
    found: dict[str, dict[str, Any]] = {}

    def add(owner: str, status: int, code: str, title: str, detail: str) -> None:
        entry = found.setdefault(
            code,
            {
                "type": PROBLEM_BASE + code,
                "code": code,
                "title": title,
                "statuses": [],
                "examples": [],
                "owners": [],
            },
        )
        if status not in entry["statuses"]:
            entry["statuses"].append(status)
        if detail and detail not in entry["examples"]:
            entry["examples"].append(detail)
        if owner not in entry["owners"]:
            entry["owners"].append(owner)

    for owner, error in errors:
        add(owner, KIND_STATUS.get(error.kind, 409), error.code, error.title, error.detail)
    for owner, status, code, title, detail in literal:
        add(owner, status, code, title, detail)
    for entry in found.values():
        entry["statuses"].sort()
        entry["owners"].sort()
    return [found[code] for code in sorted(found)]


def problems_page(problems: list[dict[str, Any]]) -> str:
    """The HTML page of problem types (`/api/problems`): one anchor per code, so that a
    problem's `type` URL can point at its explanation."""
    rows = []
    for p in problems:
        examples = "".join(f"<li>{html.escape(e)}</li>" for e in p["examples"][:5])
        rows.append(
            f'<tr id="{html.escape(p["code"])}"><td><code>{html.escape(p["code"])}</code></td>'
            f"<td>{', '.join(str(s) for s in p['statuses'])}</td>"
            f"<td>{html.escape(p['title'])}</td><td><ul>{examples}</ul></td>"
            f"<td>{html.escape(', '.join(p['owners']))}</td></tr>"
        )
    return f"""<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><title>Portail Famille — types de problèmes</title>
<style>
body {{ font: 15px/1.4 sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }}
ul {{ margin: 0; padding-left: 1.2em; }}
</style></head>
<body>
<h1>Types de problèmes</h1>
<p>Every error of the API is an RFC 9457 <code>application/problem+json</code> answer:
<code>type</code> is <code>{PROBLEM_BASE}&lt;code&gt;</code>, <code>detail</code> is French
and meant for the user, <code>request_id</code> is the id to quote. {len(problems)} types
(<a href="/api/problems.json">JSON</a>, <a href="/api/docs/">API</a>).</p>
<table>
<thead><tr><th>code</th><th>status</th><th>title</th><th>detail (examples)</th>
<th>raised by</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""

"""Probes and descriptions every service serves: /healthz, /readyz, /metrics, /openapi.json."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from shared.http.app import create_service_app
from shared.testing.sample import SampleSettings, definition

NOTES_PATH = "/tenants/{tenant}/notes"
ALL_CHECKS = {"database", "migrations", "broker", "consumers", "outbox"}


async def wait_until_ready(client: TestClient, timeout: float = 30) -> dict[str, Any]:
    """Poll /readyz until every check passes (the broker connects in the background)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get("/readyz")
        body = await response.json(content_type=None)
        if body["status"] == "ready":
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not ready after {timeout} s: {body}")
        await asyncio.sleep(0.1)


async def metric_families(client: TestClient) -> dict[str, Any]:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    text = await response.text()
    return {family.name: family for family in text_string_to_metric_families(text)}


def samples(family: Any, name: str | None = None, **labels: str) -> list[Any]:
    return [
        s
        for s in family.samples
        if (name is None or s.name == name) and all(s.labels.get(k) == v for k, v in labels.items())
    ]


# --- /healthz, /readyz ------------------------------------------------------------------------


async def test_healthz_answers_alive(sample):
    response = await sample.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "alive"}


async def test_readyz_is_ready_with_every_check_ok(sample):
    body = await wait_until_ready(sample)
    checks = body["checks"]
    assert set(checks) == ALL_CHECKS
    assert all(check["ok"] for check in checks.values()), checks
    assert checks["outbox"]["backlog"] == 0
    response = await sample.get("/readyz")
    assert response.status == 200
    assert response.content_type == "application/json"


async def test_readyz_strict_is_ready_too_when_everything_is_ok(sample):
    await wait_until_ready(sample)
    response = await sample.get("/readyz?strict=1")
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == ALL_CHECKS
    assert all(check["ok"] for check in body["checks"].values())


@pytest.fixture
async def no_broker_sample(
    aiohttp_client: Any, make_settings: Callable[..., Any]
) -> AsyncIterator[TestClient]:
    """The sample service with its broker unreachable (nothing listens on port 1)."""
    settings = make_settings(
        SampleSettings, amqp_url="amqp://guest:guest@127.0.0.1:1/", broker_reconnect_max_seconds=0.5
    )
    client = await aiohttp_client(create_service_app(settings, definition()))
    yield client
    await client.close()


async def test_readyz_without_broker_is_degraded_but_serving(no_broker_sample, tokens):
    client = no_broker_sample
    response = await client.get("/readyz")
    assert response.status == 200  # state changes still work: events wait in the outbox
    body = await response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"] == {"ok": True}
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["reason"]
    assert body["checks"]["consumers"]["ok"] is False

    recorded = await client.post(
        "/tenants/testville/notes",
        json={"text": "bonjour"},
        headers=tokens.header(roles=("staff",)),
    )
    assert recorded.status == 201, await recorded.text()
    body = await (await client.get("/readyz")).json()
    assert body["checks"]["outbox"] == {"ok": True, "backlog": 1}


async def test_readyz_strict_without_broker_is_a_503_problem(no_broker_sample):
    response = await no_broker_sample.get("/readyz?strict=1")
    assert response.status == 503
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    assert body["status"] == "unavailable"
    assert body["type"].endswith("/not-ready")
    assert "broker" in body["detail"]


async def test_probes_are_not_documented_nor_authenticated(sample):
    for path in ("/healthz", "/readyz", "/metrics"):
        response = await sample.get(path, headers={"Authorization": "Bearer garbage"})
        assert response.status == 200, path


# --- /metrics ---------------------------------------------------------------------------------


async def test_metrics_expose_requests_latency_outbox_and_consumers(sample, tokens):
    await wait_until_ready(sample)
    recorded = await sample.post(
        "/tenants/testville/notes",
        json={"text": "bonjour"},
        headers=tokens.header(roles=("staff",)),
    )
    assert recorded.status == 201
    assert (await sample.get("/nowhere/12345")).status == 404

    families = await metric_families(sample)
    assert {
        "http_requests",
        "http_request_duration_seconds",
        "outbox_backlog",
        "consumer_lag_messages",
        "dead_letter_messages",
        "http_requests_shed",
    } <= set(families)

    requests = families["http_requests"]
    assert requests.type == "counter"
    [posted] = samples(
        requests, "http_requests_total", method="POST", route=NOTES_PATH, status="201"
    )
    assert posted.value == 1
    # Unknown paths share one label value: a scanner cannot blow up the series count.
    [unmatched] = samples(requests, "http_requests_total", route="unmatched", status="404")
    assert unmatched.value == 1
    assert not [s for s in requests.samples if "12345" in s.labels.get("route", "")]

    latency = families["http_request_duration_seconds"]
    assert latency.type == "histogram"
    buckets = samples(latency, "http_request_duration_seconds_bucket", route=NOTES_PATH)
    assert buckets and {"le"} <= set(buckets[0].labels)
    [inf] = [b for b in buckets if b.labels["le"] == "+Inf"]
    assert inf.value == 1

    assert families["outbox_backlog"].type == "gauge"
    assert [s.value for s in families["outbox_backlog"].samples] in ([0.0], [1.0])


async def test_metrics_text_names_the_documented_series(sample, tokens):
    await sample.post(
        "/tenants/testville/notes",
        json={"text": "bonjour"},
        headers=tokens.header(roles=("staff",)),
    )
    text = await (await sample.get("/metrics")).text()
    assert 'http_requests_total{method="POST",route="/tenants/{tenant}/notes",status="201"}' in text
    for name in (
        "outbox_backlog",
        "consumer_lag_messages",
        "dead_letter_messages",
        "http_request_duration_seconds_bucket",
    ):
        assert name in text, name


async def test_metrics_are_per_app(aiohttp_client, make_settings, sample):
    """Each app has its own registry: one app's requests never show in another's metrics."""
    await sample.get("/healthz")
    other = await aiohttp_client(create_service_app(make_settings(SampleSettings), definition()))
    try:
        families = await metric_families(other)
        assert not samples(families["http_requests"], "http_requests_total", route="/healthz")
    finally:
        await other.close()


# --- /openapi.json ----------------------------------------------------------------------------


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    assert ref.startswith("#/components/schemas/"), ref
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


async def test_openapi_describes_the_routes(sample):
    response = await sample.get("/openapi.json")
    assert response.status == 200
    spec = await response.json()

    try:
        from openapi_spec_validator import validate
    except ImportError:  # not a dependency: the structure is checked by hand below
        pass
    else:
        validate(spec)

    assert spec["openapi"] == "3.1.0"
    assert spec["info"]["title"] == "Sample service"
    assert spec["info"]["version"]
    assert NOTES_PATH in spec["paths"]
    assert not {"/healthz", "/readyz", "/metrics"} & set(spec["paths"])

    post = spec["paths"][NOTES_PATH]["post"]
    assert post["summary"] == "Record a note"
    assert post["tags"] == ["notes"]
    assert {"in": "path", "name": "tenant", "required": True, "schema": {"type": "string"}} in post[
        "parameters"
    ]
    assert post["security"] == [{"bearer": []}]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"

    body = post["requestBody"]
    assert body["required"] is True
    request_schema = resolve(spec, body["content"]["application/json"]["schema"])
    assert request_schema["type"] == "object"
    assert set(request_schema["properties"]) == {"text", "poison", "fail", "pause"}
    assert request_schema["required"] == ["text"]
    text = request_schema["properties"]["text"]
    assert text["type"] == "string"
    assert (text["minLength"], text["maxLength"]) == (1, 200)

    responses = post["responses"]
    created = resolve(spec, responses["201"]["content"]["application/json"]["schema"])
    assert set(created["properties"]) == {"id", "text"}
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    # 403 (authenticated), 404 (path parameters), 400/415 (JSON body): documented for every
    # such operation, as the services answer them (the schemathesis run checks statuses).
    for status in ("400", "401", "403", "404", "415", "422"):
        assert responses[status]["content"]["application/problem+json"]["schema"] == problem_ref

    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "request_id", "errors"} <= set(
        problem["properties"]
    )

    boom = spec["paths"]["/boom"]["get"]
    assert "security" not in boom  # documented as public
    assert not {"401", "403", "404"} & set(boom["responses"])
    assert "200" in boom["responses"]

    # Every $ref points at a component that exists.
    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [v for k, v in node.items() if k == "$ref"] + [
                r for v in node.values() for r in refs(v)
            ]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(spec):
        assert resolve(spec, {"$ref": ref}) is not None


def test_openapi_documents_multipart_and_raw_bodies():
    from aiohttp import web

    from shared.http.openapi import build_spec, doc

    @doc("Upload", form={"file": "file", "note?": "string"}, raw_types=["image/png"])
    async def upload(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_put("/things/{thing_id}/photo", upload)
    body = build_spec(app, title="t")["paths"]["/things/{thing_id}/photo"]["put"]["requestBody"]
    form = body["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["file"] == {"type": "string", "format": "binary"}
    assert form["required"] == ["file"]
    assert body["content"]["image/png"]["schema"]["format"] == "binary"

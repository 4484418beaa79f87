"""Every failure answers an RFC 9457 application/problem+json body, never a bare error page."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, make_mocked_request

from shared.errors import PROBLEM_BASE, Problem
from shared.http.app import create_service_app
from shared.http.middlewares import load_shedding, problem_response
from shared.keys import METRICS, POOL
from shared.metrics import ServiceMetrics
from shared.testing.sample import SampleSettings, definition

NOTES = "/tenants/testville/notes"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}


async def assert_problem(
    response: Any, status: int, code: str, *, instance: str | None = None
) -> dict[str, Any]:
    """The answer is a complete problem+json body of this status and type."""
    text = await response.text()
    assert response.status == status, text
    assert response.content_type == "application/problem+json", response.headers
    body = json.loads(text)
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["type"] == PROBLEM_BASE + code
    assert body["title"] and isinstance(body["title"], str)
    assert body["detail"] and isinstance(body["detail"], str)
    assert body["instance"] == (instance if instance is not None else response.url.path)
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


@pytest.fixture
def staff(tokens: Any) -> dict[str, str]:
    return tokens.header(roles=("staff",))


async def count_rows(client: TestClient, table: str) -> int:
    return await client.app[POOL].fetchval(f"SELECT count(*) FROM {table}")


# --- 422: marshmallow validation --------------------------------------------------------------


async def test_missing_field_is_a_422_listing_it_in_french(sample, staff):
    response = await sample.post(NOTES, json={}, headers=staff)
    body = await assert_problem(response, 422, "validation-error")
    assert body["errors"] == [{"field": "text", "detail": "Ce champ est obligatoire."}]
    assert "text" in body["detail"]


async def test_too_long_text_is_a_422(sample, staff):
    response = await sample.post(NOTES, json={"text": "x" * 201}, headers=staff)
    body = await assert_problem(response, 422, "validation-error")
    assert body["errors"] == [
        {"field": "text", "detail": "Entre 1 et 200 caractères sont attendus."}
    ]


async def test_wrong_types_are_each_listed(sample, staff):
    response = await sample.post(
        NOTES, json={"text": 123, "poison": "peut-être", "colour": "red"}, headers=staff
    )
    body = await assert_problem(response, 422, "validation-error")
    errors = {e["field"]: e["detail"] for e in body["errors"]}
    assert errors == {
        "text": "Une chaîne de caractères est attendue.",
        "poison": "Oui ou non (true/false) est attendu.",
        "colour": "Ce champ n'est pas attendu.",
    }
    for name in errors:
        assert name in body["detail"]
    assert await count_rows(sample, "notes") == 0


async def test_null_for_a_required_field_is_a_422(sample, staff):
    response = await sample.post(NOTES, json={"text": None}, headers=staff)
    body = await assert_problem(response, 422, "validation-error")
    assert body["errors"] == [{"field": "text", "detail": "Ce champ ne peut pas être vide."}]


# --- 400 / 415 / 413: the body itself ----------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"text": "bonjour"', id="truncated"),
        pytest.param(b"{'text': 'bonjour'}", id="single-quotes"),
        pytest.param(b"\xff\xfe\x00garbage", id="not-utf8"),
    ],
)
async def test_malformed_json_is_a_400(sample, staff, raw):
    response = await sample.post(
        NOTES, data=raw, headers={**staff, "Content-Type": "application/json"}
    )
    await assert_problem(response, 400, "malformed-json")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'["bonjour"]', id="array"),
        pytest.param(b'"bonjour"', id="string"),
        pytest.param(b"42", id="number"),
        pytest.param(b"null", id="null"),
        pytest.param(b"", id="empty-body"),
    ],
)
async def test_json_that_is_not_an_object_is_a_400(sample, staff, raw):
    response = await sample.post(
        NOTES, data=raw, headers={**staff, "Content-Type": "application/json"}
    )
    body = await assert_problem(response, 400, "malformed-json")
    assert "objet JSON" in body["detail"]


async def test_wrong_content_type_is_a_415(sample, staff):
    response = await sample.post(
        NOTES, data='{"text": "bonjour"}', headers={**staff, "Content-Type": "text/plain"}
    )
    body = await assert_problem(response, 415, "unsupported-media-type")
    assert "application/json" in body["detail"]


async def test_json_with_a_charset_parameter_is_accepted(sample, staff):
    response = await sample.post(
        NOTES,
        data=json.dumps({"text": "bonjour"}).encode(),
        headers={**staff, "Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status == 201, await response.text()


@pytest.fixture
async def small_body_sample(
    aiohttp_client: Any, make_settings: Callable[..., Any]
) -> AsyncIterator[TestClient]:
    settings = make_settings(SampleSettings, max_body_bytes=2048)
    client = await aiohttp_client(create_service_app(settings, definition()))
    yield client
    # Stop the app (its broker and consumer) as soon as the test ends, before the fixtures
    # it depends on (bus namespace, JWKS server) are torn down.
    await client.close()


async def test_oversized_body_is_a_413(small_body_sample, staff):
    response = await small_body_sample.post(NOTES, json={"text": "x" * 4000}, headers=staff)
    body = await assert_problem(response, 413, "payload-too-large")
    assert body["max_bytes"] == 2048
    assert "2048" in body["detail"]
    assert await count_rows(small_body_sample, "notes") == 0


async def test_a_body_under_the_limit_is_read(small_body_sample, staff):
    # 1.5 kB fits under 2 kB: the body is read and validated (too long text), not refused.
    response = await small_body_sample.post(NOTES, json={"text": "x" * 1500}, headers=staff)
    await assert_problem(response, 422, "validation-error")


# --- routing ----------------------------------------------------------------------------------


async def test_unknown_route_is_a_404(sample):
    response = await sample.get("/nowhere/at/all")
    body = await assert_problem(response, 404, "not-found")
    assert body["instance"] == "/nowhere/at/all"


async def test_wrong_method_is_a_405_with_allow(sample, staff):
    response = await sample.delete(NOTES, headers=staff)
    await assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response.headers["Allow"]


# --- 500 / domain errors ----------------------------------------------------------------------


async def test_unexpected_error_is_a_500_without_internals(sample):
    response = await sample.get("/boom")
    body = await assert_problem(response, 500, "internal-error")
    assert re.fullmatch(r"[0-9a-f]{32}", body["error_id"])
    text = json.dumps(body, ensure_ascii=False)
    assert "secret internal detail" not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text
    assert "sample.py" not in text
    # Each failure gets its own id, to find its log line.
    again = await (await sample.get("/boom")).json(content_type=None)
    assert again["error_id"] != body["error_id"]


async def test_unexpected_error_is_logged_with_its_id_and_traceback(sample, capsys, caplog):
    body = await (await sample.get("/boom")).json(content_type=None)
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    line = next(line for line in logged.splitlines() if body["error_id"] in line)
    assert "unhandled_error" in line
    # What the answer hides is in the log, for whoever investigates.
    assert "secret internal detail" in logged
    assert "RuntimeError" in logged


async def test_domain_error_is_a_409_and_nothing_is_written(sample, staff):
    response = await sample.post(NOTES, json={"text": "bonjour", "fail": True}, headers=staff)
    body = await assert_problem(response, 409, "note-refused")
    assert body["title"] == "Note refused"
    assert body["detail"] == "Cette note ne peut pas être enregistrée."
    # The handler wrote the note and its event before refusing: both rolled back.
    assert await count_rows(sample, "notes") == 0
    assert await count_rows(sample, "outbox") == 0
    # The same note without `fail` is recorded, with its event.
    ok = await sample.post(NOTES, json={"text": "bonjour"}, headers=staff)
    assert ok.status == 201, await ok.text()
    assert await count_rows(sample, "notes") == 1
    assert await count_rows(sample, "outbox") == 1


# --- request ids ------------------------------------------------------------------------------


async def test_request_id_is_echoed_when_given(sample):
    response = await sample.get("/nowhere", headers={"X-Request-ID": "gw-1234.abc:5"})
    assert response.headers["X-Request-ID"] == "gw-1234.abc:5"
    body = await response.json(content_type=None)
    assert body["request_id"] == "gw-1234.abc:5"


async def test_request_id_is_generated_otherwise(sample):
    first = await sample.get("/healthz")
    second = await sample.get("/healthz")
    assert first.status == 200
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert ids[0] != ids[1]


@pytest.mark.parametrize(
    "unsafe",
    [
        pytest.param("has spaces in it", id="spaces"),
        pytest.param("x" * 129, id="too-long"),
        pytest.param("<script>", id="markup"),
    ],
)
async def test_an_unsafe_request_id_is_replaced(sample, unsafe):
    response = await sample.get("/nowhere", headers={"X-Request-ID": unsafe})
    generated = response.headers["X-Request-ID"]
    assert generated != unsafe
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert (await response.json(content_type=None))["request_id"] == generated


async def test_success_answers_carry_the_request_id_too(sample, staff):
    response = await sample.post(
        NOTES, json={"text": "bonjour"}, headers={**staff, "X-Request-ID": "req-42"}
    )
    assert response.status == 201
    assert response.headers["X-Request-ID"] == "req-42"


# --- overload ---------------------------------------------------------------------------------


def _app_with_metrics() -> web.Application:
    app = web.Application()
    app[METRICS] = ServiceMetrics()
    return app


async def test_load_shedding_refuses_past_the_limit_with_503_and_retry_after():
    app = _app_with_metrics()
    shed = load_shedding(1)
    release = asyncio.Event()
    entered = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        entered.set()
        await release.wait()
        return web.Response(text="done")

    async def fast(request: web.Request) -> web.StreamResponse:
        return web.Response(text="fast")

    first = asyncio.create_task(shed(make_mocked_request("GET", "/slow", app=app), slow))
    await asyncio.wait_for(entered.wait(), 5)

    refused = make_mocked_request("GET", "/other", app=app)
    with pytest.raises(Problem) as caught:
        await shed(refused, fast)
    problem = caught.value
    assert problem.status == 503
    assert problem.code == "overloaded"
    assert problem.headers["Retry-After"] == "1"
    assert app[METRICS].registry.get_sample_value("http_requests_shed_total") == 1

    # Rendered by the problems middleware, it is a problem+json answer keeping Retry-After.
    rendered = problem_response(refused, problem)
    assert rendered.status == 503
    assert rendered.content_type == "application/problem+json"
    assert rendered.headers["Retry-After"] == "1"
    assert json.loads(rendered.body)["type"] == PROBLEM_BASE + "overloaded"

    # Probes are never shed: an orchestrator must still see the process alive.
    for probe in ("/healthz", "/readyz", "/metrics"):
        answer = await shed(make_mocked_request("GET", probe, app=app), fast)
        assert answer.status == 200

    release.set()
    assert (await asyncio.wait_for(first, 5)).text == "done"
    # The slot is given back, even when the handler fails.
    assert (await shed(make_mocked_request("GET", "/again", app=app), fast)).text == "fast"

    async def failing(request: web.Request) -> web.StreamResponse:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await shed(make_mocked_request("GET", "/fail", app=app), failing)
    assert (await shed(make_mocked_request("GET", "/after", app=app), fast)).text == "fast"


async def test_overload_over_http_is_a_503_problem(aiohttp_client, make_settings, tokens):
    """A request whose body is still arriving holds the only slot; the next one is shed."""
    settings = make_settings(SampleSettings, max_inflight_requests=1)
    client = await aiohttp_client(create_service_app(settings, definition()))
    release = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield b'{"text": '
        await release.wait()
        yield b'"lentement"}'

    slow = asyncio.create_task(
        client.post(
            NOTES,
            data=slow_body(),
            headers={**tokens.header(roles=("staff",)), "Content-Type": "application/json"},
        )
    )
    try:
        refused = None
        for _ in range(100):
            response = await client.get("/openapi.json")
            if response.status == 503:
                refused = response
                break
            await response.read()
            await asyncio.sleep(0.05)
        assert refused is not None, "the second request was never shed"
        await assert_problem(refused, 503, "overloaded")
        assert refused.headers["Retry-After"] == "1"
        # Probes still answer while the service is saturated.
        assert (await client.get("/healthz")).status == 200
    finally:
        release.set()
    try:
        done = await asyncio.wait_for(slow, 10)
        assert done.status == 201, await done.text()
        assert (await client.get("/openapi.json")).status == 200
    finally:
        await client.close()  # at once, like small_body_sample

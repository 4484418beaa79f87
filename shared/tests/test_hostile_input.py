"""Hostile input, refused by the shared layer for every service: deeply nested JSON, NUL
bytes in JSON, query strings, path parameters and forms, control characters in file names,
/metrics to strangers, the broker's reconnect schedule (jitter), and the HTTP parser's own
refusals (a huge header or path) on a service served on a real port."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from typing import Any
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from shared import files
from shared.backoff import Backoff
from shared.errors import PROBLEM_BASE, Problem
from shared.events import broker as broker_module
from shared.events.broker import Broker
from shared.events.topology import Topology
from shared.http import health, middlewares, server
from shared.http.app import PARSER_LIMITS, create_service_app
from shared.http.requests import MAX_JSON_DEPTH, check_json
from shared.http.uploads import read_form
from shared.keys import METRICS, SETTINGS
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings
from shared.testing.processes import ServiceProcess
from shared.testing.sample import definition

NOTES = "/tenants/testville/notes"


async def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    text = await response.text()
    assert response.status == status, text
    assert response.content_type == "application/problem+json"
    body = json.loads(text)
    assert body["type"] == PROBLEM_BASE + code
    return body


@pytest.fixture
def staff(tokens: Any) -> dict[str, str]:
    return tokens.header(roles=("staff",))


# --- 1. nesting ---------------------------------------------------------------------------------


async def test_a_json_body_of_200_000_brackets_is_a_400_not_a_recursion_error(sample, staff):
    for body in ("[" * 200_000, '{"text": ' + "[" * 200_000):
        response = await sample.post(
            NOTES, data=body, headers={**staff, "Content-Type": "application/json"}
        )
        answer = await problem(response, 400, "nested-too-deep")
        assert "imbriqué trop profondément" in answer["detail"]


async def test_nesting_past_the_bound_is_refused_even_when_python_could_parse_it(sample, staff):
    # 200 levels: json.loads copes, but no client of ours sends that.
    deep = '{"text": "a", "poison": ' + "[" * 200 + "]" * 200 + "}"
    response = await sample.post(
        NOTES, data=deep, headers={**staff, "Content-Type": "application/json"}
    )
    await problem(response, 400, "nested-too-deep")


def test_the_depth_bound_counts_levels():
    just = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    check_json(json.loads(just), just)  # exactly the bound: accepted
    over = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(Problem) as caught:
        check_json(json.loads(over), over)
    assert caught.value.code == "nested-too-deep"
    # Many brackets side by side are not depth.
    wide = json.dumps([[1]] * 1000)
    check_json(json.loads(wide), wide)


# --- 2. NUL bytes -------------------------------------------------------------------------------


async def test_a_nul_in_a_json_string_is_a_422_naming_the_field(sample, staff):
    response = await sample.post(NOTES, json={"text": "bon\x00jour"}, headers=staff)
    body = await problem(response, 422, "validation-error")
    assert body["errors"] == [
        {"field": "text", "detail": "Ce champ contient un caractère interdit (caractère nul)."}
    ]


@pytest.mark.parametrize(
    "body",
    [b'{"text": "a\\ud800b"}', b'{"text": "a\\uDFFF"}', b'{"text": "a\xed\xa0\x80b"}'],
    ids=["escaped-high", "escaped-low", "raw-utf8"],
)
async def test_a_lone_surrogate_in_a_json_string_is_a_422_not_a_500(sample, staff, body):
    # Valid JSON to Python, but no UTF-8 text can carry it: the driver failed (500).
    response = await sample.post(
        NOTES, data=body, headers={**staff, "Content-Type": "application/json"}
    )
    answer = await problem(response, 422, "validation-error")
    assert answer["errors"] == [
        {"field": "text", "detail": "Ce champ contient un caractère invalide."}
    ]


async def test_a_surrogate_pair_is_a_character_like_any_other(sample, staff):
    response = await sample.post(NOTES, json={"text": "Bonjour 😀"}, headers=staff)
    assert response.status == 201, await response.text()
    assert (await response.json())["text"] == "Bonjour 😀"


def test_a_nul_deep_in_json_or_in_a_key_is_named_by_its_path():
    raw = json.dumps({"children": [{"first_name": "Léo"}, {"first_name": "A\x00"}], "k\x00": 1})
    with pytest.raises(Problem) as caught:
        check_json(json.loads(raw), raw, field="change")
    fields = [e["field"] for e in caught.value.extra["errors"]]
    assert fields == ["change.children.1.first_name", "change.k\ufffd"]


@pytest.mark.parametrize(
    "query", ["?q=a%00b", "?a%00=1", "?strict=%00"], ids=["value", "name", "probe"]
)
async def test_a_nul_in_the_query_string_is_a_422_naming_the_parameter(sample, query):
    response = await sample.get("/readyz" + query)
    body = await problem(response, 422, "validation-error")
    assert body["errors"][0]["detail"] == (
        "Ce paramètre contient un caractère interdit (caractère nul)."
    )
    assert body["errors"][0]["field"] in ("q", "a\ufffd", "strict")


async def test_a_nul_in_a_path_parameter_is_a_400_naming_it(sample, staff):
    response = await sample.post("/tenants/test%00ville/notes", json={"text": "a"}, headers=staff)
    body = await problem(response, 400, "invalid-path")
    assert body["errors"][0]["field"] == "tenant"


def _form_app() -> web.Application:
    async def upload(request: web.Request) -> web.Response:
        form = await read_form(request, max_file_bytes=1024)
        return web.json_response({"fields": form.fields, "names": [f.filename for f in form.files]})

    app = web.Application(middlewares=[middlewares.problems])
    app.router.add_post("/upload", upload)
    return app


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def _multipart(disposition: bytes, content: bytes = PDF) -> bytes:
    return (
        b"--BB\r\nContent-Disposition: form-data; " + disposition + b"\r\n"
        b"Content-Type: application/pdf\r\n\r\n" + content + b"\r\n--BB--\r\n"
    )


MULTIPART = {"Content-Type": "multipart/form-data; boundary=BB"}


async def test_a_raw_nul_in_an_upload_name_is_a_400_not_a_500(aiohttp_client):
    client = await aiohttp_client(_form_app())
    body = _multipart(b'name="file"; filename="a\x00b.pdf"')
    response = await client.post("/upload", data=body, headers=MULTIPART)
    await problem(response, 400, "malformed-multipart")


async def test_an_encoded_nul_in_an_upload_name_is_stripped(aiohttp_client):
    client = await aiohttp_client(_form_app())
    body = _multipart(b"name=\"file\"; filename*=UTF-8''fac%00ture.pdf")
    response = await client.post("/upload", data=body, headers=MULTIPART)
    assert response.status == 200, await response.text()
    assert (await response.json())["names"] == ["fac_ture.pdf"]


async def test_a_nul_in_a_form_field_is_a_422_naming_it(aiohttp_client):
    client = await aiohttp_client(_form_app())
    body = (
        b'--BB\r\nContent-Disposition: form-data; name="comment"\r\n\r\nbon\x00jour\r\n--BB--\r\n'
    )
    response = await client.post("/upload", data=body, headers=MULTIPART)
    answer = await problem(response, 422, "validation-error")
    assert [e["field"] for e in answer["errors"]] == ["comment"]


# --- 3. file names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("facture\u202efdp.exe.pdf", "facturefdp.exe.pdf"),
        ("\u2066devis\u2069\u200e\u200f.pdf", "devis.pdf"),
        ("\u202a\u202b\u202c\u202dx.pdf", "x.pdf"),
        ("zéro\u200blargeur\ufeff.pdf", "zérolargeur.pdf"),
        ("c1\x85\x9fctl.pdf", "c1ctl.pdf"),
        ("a\x00b\tc.pdf", "a_b_c.pdf"),
        ("Été 2025 — menu 🍎.pdf", "Été 2025 — menu 🍎.pdf"),
    ],
)
def test_stored_file_names_lose_bidi_and_control_characters(name, expected):
    assert files.clean_filename(name, files.PDF) == expected


# --- 4. /metrics --------------------------------------------------------------------------------


def _metrics_request(peer: str, token: str = "", authorization: str | None = None):
    app = web.Application()
    app[SETTINGS] = ServiceSettings.from_env({}, metrics_token=token)
    app[METRICS] = ServiceMetrics()
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda key, default=None: (
        (peer, 40000) if key == "peername" else default
    )
    headers = {"Authorization": authorization} if authorization else {}
    return make_mocked_request("GET", "/metrics", headers=headers, app=app, transport=transport)


async def test_metrics_without_a_token_answer_only_the_local_machine():
    for peer in ("127.0.0.1", "::1"):
        assert (await health.metrics(_metrics_request(peer))).status == 200
    for peer in ("10.0.0.7", "192.168.1.2", "2001:db8::1"):
        with pytest.raises(Problem) as caught:
            await health.metrics(_metrics_request(peer))
        assert caught.value.status == 403


async def test_metrics_with_a_token_need_it_from_everyone():
    secret = "s3cr3t-metrics"
    for peer in ("127.0.0.1", "10.0.0.7"):
        for wrong in (None, "Bearer nope", f"Basic {secret}"):
            with pytest.raises(Problem) as caught:
                await health.metrics(_metrics_request(peer, secret, wrong))
            assert caught.value.status == 401
            assert caught.value.headers["WWW-Authenticate"].startswith("Bearer")
        answer = await health.metrics(_metrics_request(peer, secret, f"Bearer {secret}"))
        assert answer.status == 200
        assert b"http_requests" in answer.body


# --- 6. reconnect jitter ------------------------------------------------------------------------


def test_the_reconnect_backoff_is_jittered_under_a_doubling_ceiling():
    backoff = Backoff(0.2, 5.0, random.Random(17))
    ceilings, delays = [], []
    for _ in range(8):
        ceilings.append(backoff.ceiling)
        delays.append(backoff.next())
    assert ceilings == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    # Seeded: the same schedule again; and never the bare doubling sequence.
    again = Backoff(0.2, 5.0, random.Random(17))
    assert [again.next() for _ in range(8)] == delays
    assert delays != ceilings
    backoff.reset()
    assert backoff.ceiling == 0.2


def test_a_hundred_replicas_do_not_retry_together():
    firsts = [Backoff(0.2, 5.0, random.Random(seed)) for seed in range(100)]
    for backoff in firsts:
        for _ in range(5):
            backoff.next()
    sixth = [round(b.next(), 2) for b in firsts]  # all under the 5 s ceiling
    assert len(set(sixth)) > 50
    assert max(sixth) - min(sixth) > 2.5


async def test_the_broker_waits_a_jittered_delay_between_connection_attempts(monkeypatch):
    broker = Broker(
        ServiceSettings.from_env({}, broker_reconnect_max_seconds=1.0), Topology("t", "s")
    )
    waits: list[float] = []

    async def refused(*_: Any, **__: Any) -> None:
        raise ConnectionRefusedError("the broker is restarting")

    async def sleep(delay: float) -> None:
        waits.append(delay)
        if len(waits) == 6:
            await broker.stop()

    monkeypatch.setattr(broker_module.aio_pika, "connect", refused)
    monkeypatch.setattr(broker_module.asyncio, "sleep", sleep)
    await broker.run()
    ceilings = [0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    assert all(0 <= w <= c for w, c in zip(waits, ceilings, strict=True)), waits
    assert waits != ceilings  # not the bare doubling every replica would share


# --- 7. the HTTP parser's own refusals ----------------------------------------------------------


async def _raw_answer(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """One request written byte for byte to 127.0.0.1:port; the status, headers and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 10)  # the connection is closed after
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split(" ", 2)[1]), headers, body


@pytest.fixture
async def served(sample_settings: Any) -> AsyncIterator[int]:
    """The sample service served as `python -m <service> serve` serves it, on a free port."""
    app = create_service_app(sample_settings, definition())
    runner, _ = await server.start(app, "127.0.0.1", 0, access_log=None, **PARSER_LIMITS)
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
            431,
            "header-too-large",
        ),
        (b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri-too-long"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400, "bad-request"),
    ],
    ids=["huge-header", "huge-path", "malformed-header"],
)
async def test_the_parser_s_own_refusals_are_problems(served, request_bytes, status, code):
    answer, headers, body = await _raw_answer(served, request_bytes)
    assert answer == status, body[:300]
    assert headers["content-type"].startswith("application/problem+json")
    problem = json.loads(body)
    assert problem["type"] == PROBLEM_BASE + code
    assert problem["status"] == status
    assert problem["detail"]  # in French, for the user
    assert "instance" not in problem  # no request line was read
    assert "aiohttp" not in body.decode() and "Got more than" not in body.decode()


async def test_below_the_parser_s_limits_a_request_is_served(served):
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: "
    answer, _, body = await _raw_answer(served, request + b"a" * 9000 + b"\r\n\r\n")
    assert answer == 200, body[:300]
    path = b"/tenants/testville/" + b"b" * 20_000  # a long address: the router's 404
    answer, headers, _ = await _raw_answer(
        served, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert answer == 404
    assert headers["content-type"].startswith("application/problem+json")


async def test_a_service_process_answers_them_and_still_stops_in_order(sample_settings):
    """`python -m <service> serve` itself (shared/cli.py): the huge header refused in
    problem+json, then SIGTERM ends it cleanly (exit 0)."""
    service = ServiceProcess("shared.testing.sample", sample_settings)
    await service.start()
    try:
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"
        answer, headers, body = await _raw_answer(service.port, request)
        assert answer == 431, body[:300]
        assert headers["content-type"].startswith("application/problem+json")
        await service.terminate()
        assert service.process is not None and service.process.returncode == 0
    finally:
        await service.kill()

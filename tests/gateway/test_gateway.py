"""The gateway's routing, request ids, header hygiene, CORS, limits and own problem answers,
checked against the real nginx (tests/gateway/conftest.py)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yarl

from .conftest import free_port, gateway, running_gateway

FRONTEND = "https://portail.example.fr"
PROBLEM = "application/problem+json"


@pytest.fixture
async def gw(nginx: str, tmp_path: Path, echo_upstreams: dict[str, str]) -> Any:
    async with running_gateway(
        nginx, tmp_path / "gateway", echo_upstreams, cors_origins=(FRONTEND,)
    ) as running:
        yield running


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as session:
        yield session


async def _problem(response: aiohttp.ClientResponse, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    body = await response.json(content_type=PROBLEM)
    assert body["status"] == status
    assert body["type"].startswith("https://portail-famille.fr/problems/")
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


@pytest.mark.parametrize("service", sorted(gateway.SERVICES))
async def test_each_service_is_reached_under_its_prefix_which_is_stripped(gw, http, service):
    path = "/tenants/demo/files/a%20b%C3%A9?page=2&q=%C3%A9t%C3%A9+x%2By"
    async with http.get(gw(f"/api/{service}{path}")) as r:
        assert r.status == 200
        seen = await r.json()
    assert seen["service"] == service
    assert seen["raw_path"] == path
    # Keep-alive towards the upstream, and where the call came from.
    assert seen["headers"].get("Connection", "") != "close"
    assert seen["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert seen["headers"]["X-Forwarded-Proto"] == "http"


async def test_a_post_body_and_its_type_reach_the_service(gw, http):
    async with http.post(gw("/api/booking/tenants/demo/baskets"), json={"a": 1}) as r:
        seen = await r.json()
    assert seen["method"] == "POST"
    assert seen["headers"]["Content-Type"] == "application/json"
    assert seen["body_bytes"] == len(b'{"a": 1}')


async def test_a_request_id_is_made_when_missing_and_kept_when_given(gw, http):
    async with http.get(gw("/api/family/tenants/demo/me")) as r:
        made = r.headers["X-Request-ID"]
        seen = await r.json()
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert seen["headers"]["X-Request-ID"] == made
    assert r.headers.getall("X-Request-ID") == [made]  # said once, not by both

    given = "front-1234.abc:5"
    async with http.get(gw("/api/family/x"), headers={"X-Request-ID": given}) as r:
        assert r.headers["X-Request-ID"] == given
        assert (await r.json())["headers"]["X-Request-ID"] == given

    unsafe = 'bad id"with quotes'
    async with http.get(gw("/api/family/x"), headers={"X-Request-ID": unsafe}) as r:
        replaced = r.headers["X-Request-ID"]
        assert replaced != unsafe and re.fullmatch(r"[0-9a-f]{32}", replaced)
        assert (await r.json())["headers"]["X-Request-ID"] == replaced


async def test_identity_headers_sent_by_a_client_never_reach_a_service(gw, http):
    forged = {
        "X-User-Id": "00000000-0000-0000-0000-000000000001",
        "X-User-Roles": "admin",
        "X-User-Tenant": "demo",
        "X-Forwarded-User": "admin",
        "X-Forwarded-Email": "admin@demo.example",
        "X-Auth-Request-User": "admin",
        "X-Remote-User": "admin",
        "Remote-User": "admin",
        "X-Authenticated-Userid": "admin",
        "X-Anything-Else": "1",
    }
    headers = {**forged, "Authorization": "Bearer abc.def.ghi", "Accept-Language": "fr"}
    async with http.get(gw("/api/billing/tenants/demo/me"), headers=headers) as r:
        seen = {k.lower(): v for k, v in (await r.json())["headers"].items()}
    assert not {h.lower() for h in forged} & set(seen), seen
    assert seen["authorization"] == "Bearer abc.def.ghi"
    assert seen["accept-language"] == "fr"


async def test_security_headers_on_every_answer(gw, http):
    for path in ("/api/notify/tenants/demo/news", "/nowhere"):
        async with http.get(gw(path)) as r:
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert r.headers["X-Frame-Options"] == "DENY"
            assert r.headers["Referrer-Policy"] == "no-referrer"
            assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
            assert "Server" not in r.headers or "/" not in r.headers["Server"]  # no version


async def test_cors_preflight_is_answered_by_the_gateway_for_configured_origins(gw, http):
    preflight = {
        "Origin": FRONTEND,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    async with http.options(gw("/api/booking/tenants/demo/baskets"), headers=preflight) as r:
        assert r.status == 204
        assert r.headers["Access-Control-Allow-Origin"] == FRONTEND
        assert "POST" in r.headers["Access-Control-Allow-Methods"]
        allowed = r.headers["Access-Control-Allow-Headers"].lower()
        assert "authorization" in allowed and "content-type" in allowed
        assert int(r.headers["Access-Control-Max-Age"]) > 0
        assert "Access-Control-Allow-Credentials" not in r.headers
        assert await r.read() == b""  # nginx answered: the echo app would have said JSON

    stranger = {**preflight, "Origin": "https://evil.example"}
    async with http.options(gw("/api/booking/tenants/demo/baskets"), headers=stranger) as r:
        assert "Access-Control-Allow-Origin" not in r.headers
        assert "Access-Control-Allow-Methods" not in r.headers

    async with http.get(gw("/api/booking/x"), headers={"Origin": FRONTEND}) as r:
        assert r.status == 200
        assert r.headers["Access-Control-Allow-Origin"] == FRONTEND
        assert "X-Request-ID" in r.headers["Access-Control-Expose-Headers"]
        assert "Origin" in r.headers.getall("Vary")
    async with http.get(gw("/api/booking/x"), headers={"Origin": "https://evil.example"}) as r:
        assert "Access-Control-Allow-Origin" not in r.headers


async def test_bodies_over_the_route_s_limit_get_a_problem_413(gw, http):
    two_mib = b"x" * (2 * 1024 * 1024)
    async with http.post(gw("/api/identity/tenants/demo/signup"), data=two_mib) as r:
        body = await _problem(r, 413)
        assert body["detail"] == "Le contenu envoyé est trop volumineux."
    # Uploads are allowed more: a 2 MiB document reaches family, 9 MiB does not.
    documents = gw("/api/family/tenants/demo/me/household/documents")
    async with http.post(documents, data=two_mib) as r:
        assert r.status == 200
        assert (await r.json())["body_bytes"] == len(two_mib)
    async with http.post(documents, data=b"x" * (9 * 1024 * 1024)) as r:
        await _problem(r, 413)
    news = gw("/api/notify/tenants/demo/news/0b1e/attachments")
    async with http.post(news, data=b"x" * (20 * 1024 * 1024)) as r:
        assert r.status == 200
    # a town document's file (and its replacement): up to 8 MiB, as family's uploads
    for path in ("town-documents", "town-documents/0b1e/file"):
        town_document = gw(f"/api/notify/tenants/demo/{path}")
        async with http.post(town_document, data=two_mib) as r:
            assert r.status == 200
        async with http.post(town_document, data=b"x" * (9 * 1024 * 1024)) as r:
            await _problem(r, 413)


@pytest.mark.parametrize(
    ("path", "burst", "headers"),
    [
        ("/api/identity/tenants/demo/login", 10, {}),
        ("/api/identity/tenants/demo/signup", 5, {}),
        ("/api/identity/tenants/demo/password/forgot", 5, {}),
        ("/api/identity/tenants/demo/password/reset", 5, {}),
        ("/api/family/tenants/demo/me/household/link", 5, {"Authorization": "Bearer one"}),
        ("/api/booking/tenants/demo/baskets/b1/validate", 10, {"Authorization": "Bearer two"}),
    ],
)
async def test_sensitive_routes_are_rate_limited_with_a_problem_429(gw, http, path, burst, headers):
    statuses = []
    for _ in range(burst + 3):
        async with http.post(gw(path), json={}, headers=headers) as r:
            statuses.append(r.status)
            if r.status == 429:
                body = await _problem(r, 429)
                assert body["detail"].startswith("Trop de tentatives")
                assert r.headers["Retry-After"] == "60"
    assert statuses[: burst + 1] == [200] * (burst + 1), statuses
    assert statuses[-1] == 429, statuses
    # Another route of the same service is not limited by it.
    async with http.post(gw("/api/identity/tenants/demo/me/terms"), json={}) as r:
        assert r.status == 200


async def test_link_and_basket_limits_count_per_token(gw, http):
    path = gw("/api/family/tenants/demo/me/household/link")
    for _ in range(8):
        async with http.post(path, json={}, headers={"Authorization": "Bearer a"}) as r:
            pass
    assert r.status == 429
    async with http.post(path, json={}, headers={"Authorization": "Bearer b"}) as r:
        assert r.status == 200  # another family behind the same address


async def _logins(gw: Any, http: aiohttp.ClientSession, client: str, times: int) -> list[int]:
    statuses = []
    for _ in range(times):
        headers = {"X-Forwarded-For": client}
        async with http.post(gw("/api/identity/tenants/demo/login"), json={}, headers=headers) as r:
            statuses.append(r.status)
    return statuses


async def test_behind_trusted_proxies_each_client_address_has_its_own_limit(
    nginx, tmp_path, echo_upstreams, http
):
    # The test's requests come from 127.0.0.1: as a trusted proxy, its X-Forwarded-For
    # names the client; two families behind the same Ingress are limited apart.
    async with running_gateway(
        nginx, tmp_path / "gateway", echo_upstreams, trusted_proxies=("127.0.0.0/8",)
    ) as gw:
        first = await _logins(gw, http, "203.0.113.7", 14)
        assert first[-1] == 429, first
        assert (await _logins(gw, http, "198.51.100.9", 1)) == [200]


async def test_without_trusted_proxies_a_forged_forwarded_address_changes_nothing(gw, http):
    first = await _logins(gw, http, "203.0.113.7", 14)
    assert first[-1] == 429, first
    assert (await _logins(gw, http, "198.51.100.9", 1)) == [429]


async def test_unknown_api_addresses_get_a_problem_404(gw, http):
    for path in ("/api/nowhere", "/api/", "/api/web/tenants/demo"):
        async with http.get(gw(path)) as r:
            await _problem(r, 404)


async def test_no_service_s_metrics_are_routed(gw, http):
    """/metrics stays on each service's own port (METRICS_TOKEN): neither the portal's nor
    an API service's is reachable through the gateway, however the path is spelt."""
    paths = ["/metrics", "/metrics/", "/api/identity/metrics", "/api/web/metrics"]
    paths += [f"/api/{service}/metrics" for service in gateway.SERVICES]
    paths += ["/api/family//metrics", "/api/booking/%6Detrics", "/api/billing/./metrics?x=1"]
    for path in paths:
        async with http.get(yarl.URL(gw(path), encoded=True)) as r:
            await _problem(r, 404)
    # What merely starts like it is still routed.
    async with http.get(gw("/api/notify/metrics-like")) as r:
        assert r.status == 200 and (await r.json())["service"] == "notify"


async def _raw(gw: Any, request: bytes) -> tuple[int, bytes]:
    """One request written byte for byte (what an HTTP client library would not send)."""
    url = yarl.URL(gw(""))
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(request)
        await writer.drain()
        head, _, body = (await asyncio.wait_for(reader.read(), 10)).partition(b"\r\n\r\n")
    finally:
        writer.close()
    return int(head.split(b" ", 2)[1]), body


async def test_oversized_headers_and_addresses_get_problem_answers(gw, http):
    """nginx's parser limits answer problem+json; they are set below the services' own
    (which answer problem+json too: shared/http/server.py)."""
    async with http.get(gw("/api/family/tenants/demo/me"), headers={"X-Big": "a" * 9000}) as r:
        body = await _problem(r, 431)
        assert body["type"].endswith("/header-too-large")
    async with http.get(gw("/api/family/tenants/demo/me?q=" + "a" * 9000)) as r:
        body = await _problem(r, 414)
        assert body["type"].endswith("/uri-too-long")
    long_token = "Bearer " + "t" * 7000  # below the gateway's limit: reaches the service
    headers = {"Authorization": long_token}
    async with http.get(gw("/api/family/tenants/demo/me"), headers=headers) as r:
        assert r.status == 200
        assert (await r.json())["headers"]["Authorization"] == long_token
    # Raw UTF-8 in the path fits nginx's buffer, and nginx escapes each byte to three when
    # it forwards the path: the service's parser must still take it.
    path = "/api/family/tenants/demo/" + "é" * 2500
    status, body = await _raw(
        gw, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    )
    assert status == 200, body[:300]
    assert json.loads(body)["path"] == path.removeprefix("/api/family")


async def test_every_other_address_is_the_portal_s_with_its_cookie_and_policy(gw, http):
    """The families' portal (web) at /: path and query unchanged, its session cookie and
    htmx's header reach it (and never an API service), its pages may run their own scripts
    and style sheets only, and post forms that end at the bank's page."""
    headers = {"Cookie": "portail_session=abc", "HX-Request": "true"}
    for path in ("/", "/factures?page=2", "/static/htmx.min.js", "/nowhere"):
        async with http.get(gw(path), headers=headers) as r:
            assert r.status == 200
            seen = await r.json()
            assert seen["service"] == "web" and seen["raw_path"] == path
            assert seen["headers"]["Cookie"] == "portail_session=abc"
            assert seen["headers"]["HX-Request"] == "true"
            policy = r.headers["Content-Security-Policy"]
            assert "script-src 'self'" in policy and "style-src 'self';" in policy
            assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
            assert "form-action 'self' http: https:" in policy
            assert r.headers["X-Frame-Options"] == "DENY"
    for service in gateway.SERVICES:
        async with http.get(gw(f"/api/{service}/tenants/demo/me"), headers=headers) as r:
            seen = {k.lower(): v for k, v in (await r.json())["headers"].items()}
            assert "cookie" not in seen and "hx-request" not in seen, (service, seen)
            assert "script-src" not in r.headers["Content-Security-Policy"]


async def test_the_portal_s_login_form_is_rate_limited_per_address_but_not_its_page(gw, http):
    for _ in range(15):
        async with http.get(gw("/connexion")) as r:
            assert r.status == 200  # showing the form is not counted
    statuses = []
    for _ in range(13):
        async with http.post(gw("/connexion"), data={"login": "x"}) as r:
            statuses.append(r.status)
    assert statuses[:11] == [200] * 11 and statuses[-1] == 429, statuses


async def test_the_portal_s_sign_up_and_forgotten_password_forms_are_rate_limited(gw, http):
    for path in ("/inscription", "/activation/renvoi", "/mot-de-passe-oublie"):
        for _ in range(8):
            async with http.get(gw(path)) as r:
                assert r.status == 200  # showing the form is not counted
    signups = []
    for path in ("/inscription", "/activation/renvoi") * 4:  # one zone for both
        async with http.post(gw(path), data={"email": "x"}) as r:
            signups.append(r.status)
    assert signups[:6] == [200] * 6 and signups[-1] == 429, signups
    resets = []
    for _ in range(8):
        async with http.post(gw("/mot-de-passe-oublie"), data={"email": "x"}) as r:
            resets.append(r.status)
    assert resets[:6] == [200] * 6 and resets[-1] == 429, resets


async def test_an_upstream_that_is_down_gives_a_problem_502(nginx, tmp_path, echo_upstreams, http):
    upstreams = {**echo_upstreams, "billing": f"127.0.0.1:{free_port()}"}  # nobody listens
    async with running_gateway(nginx, tmp_path / "gateway", upstreams) as gw:
        async with http.get(gw("/api/billing/tenants/demo/invoices")) as r:
            body = await _problem(r, 502)
            assert "indisponible" in body["detail"]
            assert r.headers["Retry-After"] == "5"
            assert r.headers["X-Content-Type-Options"] == "nosniff"
        async with http.get(gw("/api/family/tenants/demo/me")) as r:
            assert r.status == 200  # the others still answer


async def test_a_service_s_own_problem_answers_pass_through(nginx, tmp_path, aiohttp_server, http):
    from aiohttp import web

    async def busy(request: web.Request) -> web.Response:
        return web.json_response(
            {"type": "https://portail-famille.fr/problems/overloaded", "status": 503},
            status=503,
            content_type=PROBLEM,
            headers={"Retry-After": "1"},
        )

    app = web.Application()
    app.router.add_get("/busy", busy)
    server = await aiohttp_server(app)
    upstreams = dict.fromkeys(gateway.UPSTREAMS, f"127.0.0.1:{server.port}")
    async with (
        running_gateway(nginx, tmp_path / "gateway", upstreams) as gw,
        http.get(gw("/api/booking/busy")) as r,
    ):
        assert r.status == 503
        assert (await r.json(content_type=PROBLEM))["type"].endswith("/overloaded")
        assert r.headers.getall("Retry-After") == ["1"]


async def test_the_gateway_logs_one_json_line_per_request(gw, http):
    async with http.get(gw("/api/family/logged"), headers={"X-Request-ID": "log-me-1"}) as r:
        assert r.status == 200
    for _ in range(50):
        if any("log-me-1" in line for line in gw.output):
            break
        await asyncio.sleep(0.05)
    line = next(line for line in gw.output if "log-me-1" in line)
    assert '"level":"info"' in line and '"path":"/api/family/logged"' in line


def test_the_renderer_refuses_what_nginx_could_not_use(tmp_path):
    ok = {name: "identity:8081" for name in gateway.UPSTREAMS}
    with pytest.raises(gateway.GatewayError):
        gateway.render(out=tmp_path, listen="8080", upstreams={"identity": "a:1"})
    with pytest.raises(gateway.GatewayError):
        gateway.render(out=tmp_path, listen="8080", upstreams={**ok, "family": "family; evil"})
    with pytest.raises(gateway.GatewayError):
        gateway.parse_origins("https://ok.example, javascript:alert(1)")
    assert gateway.parse_origins("https://a.example/, http://localhost:5173") == [
        "https://a.example",
        "http://localhost:5173",
    ]
    text = gateway.render(out=tmp_path, listen="8080", upstreams=ok, cors_origins=["https://a.b"])
    assert "${" not in text and "server identity:8081;" in text
    assert '"https://a.b" $http_origin;' in text
    assert "set_real_ip_from" not in text
    behind = gateway.render(
        out=tmp_path, listen="8080", upstreams=ok, trusted_proxies=["10.0.0.0/8", "::1"]
    )
    assert "set_real_ip_from 10.0.0.0/8;" in behind and "set_real_ip_from ::1;" in behind
    with pytest.raises(gateway.GatewayError):
        gateway.parse_proxies("10.0.0.0/8; evil")


async def test_real_services_behind_the_gateway(
    nginx, tmp_path, make_settings, aiohttp_server, http
):
    """identity and family themselves behind nginx: a login, the token verified by family,
    the request id the service logged and answered, the service's own problem answers."""
    from family.app import create_app as create_family
    from family.settings import FamilySettings
    from identity import commands
    from identity.app import create_app as create_identity
    from identity.settings import IdentitySettings

    identity_settings = make_settings(IdentitySettings, trusted_proxy_hops=1)
    identity = await aiohttp_server(create_identity(identity_settings))
    jwks = str(identity.make_url("/.well-known/jwks.json"))
    family = await aiohttp_server(
        create_family(
            make_settings(FamilySettings, jwks_url=jwks, jwt_issuer=identity_settings.jwt_issuer)
        )
    )
    await commands.load_demo(identity_settings)
    upstreams = dict.fromkeys(gateway.UPSTREAMS, f"127.0.0.1:{free_port()}")
    upstreams |= {"identity": f"127.0.0.1:{identity.port}", "family": f"127.0.0.1:{family.port}"}
    async with running_gateway(nginx, tmp_path / "gateway", upstreams) as gw:
        login = {"login": "famille@demo.example", "password": "Demo-2026-portail"}
        headers = {"X-Request-ID": "journey-42"}
        async with http.post(
            gw("/api/identity/tenants/demo/login"), json=login, headers=headers
        ) as r:
            assert r.status == 200, await r.text()
            assert r.headers.getall("X-Request-ID") == ["journey-42"]
            token = (await r.json())["access_token"]
        auth = {"Authorization": f"Bearer {token}", "X-User-Roles": "admin"}
        async with http.get(gw("/api/family/tenants/demo/me/household"), headers=auth) as r:
            assert r.status in (200, 404), await r.text()  # verified by family: not a 401
        async with http.get(gw("/api/family/tenants/demo/households"), headers=auth) as r:
            body = await r.json(content_type=PROBLEM)
            assert r.status == 403 and body["request_id"] == r.headers["X-Request-ID"]
        wrong = {**login, "password": "not-the-one"}
        async with http.post(gw("/api/identity/tenants/demo/login"), json=wrong) as r:
            assert r.status == 401
            assert r.content_type == PROBLEM

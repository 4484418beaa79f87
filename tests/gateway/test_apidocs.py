"""The API and event documentation the gateway serves (scripts/apidocs.py, shared.http.apidocs):
every route of every service is documented, every document is valid OpenAPI, the combined
one too; the AsyncAPI document covers every event type, its producer and consumers; the
problem types cover every DomainError; the Redoc page renders in Debian's chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from openapi_spec_validator import validate

from shared.errors import DomainError
from shared.events import registry
from shared.http.app import create_service_app

from .conftest import load_script, running_gateway

apidocs = load_script("apidocs")
NOT_DOCUMENTED = {"/healthz", "/readyz", "/metrics", "/openapi.json"}  # probes, the doc itself
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def definitions() -> dict[str, Any]:
    return apidocs.definitions()


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    apidocs.build(out)
    return out


def _load(docs: Path, name: str) -> Any:
    return json.loads((docs / name).read_text())


def test_every_service_is_described():
    assert set(apidocs.SERVICES) == {"identity", "family", "booking", "billing", "notify"}


@pytest.mark.parametrize("service", apidocs.SERVICES)
async def test_each_service_documents_every_route_in_a_valid_document(definitions, service):
    definition = definitions[service]
    app = create_service_app(definition.settings_type.from_env({}), definition)
    # What the service's own /openapi.json answers...
    route = next(r for r in app.router.routes() if r.resource.canonical == "/openapi.json")
    served = await route.handler(make_mocked_request("GET", "/openapi.json", app=app))
    assert isinstance(served, web.Response)
    document = json.loads(served.text or "")
    # ...is what the documentation is built from, when the services do not run.
    assert document == json.loads(json.dumps(apidocs.openapi_in_process(definition)))
    validate(document)
    undocumented = [
        f"{r.method} {r.resource.canonical}"
        for r in app.router.routes()
        if r.method != "HEAD"
        and r.resource.canonical not in NOT_DOCUMENTED
        and r.method.lower() not in document["paths"].get(r.resource.canonical, {})
    ]
    assert undocumented == [], f"{service}: routes without @doc: {undocumented}"


def test_the_combined_document_is_valid_and_prefixes_every_path(docs, definitions):
    combined = _load(docs, "openapi.json")
    validate(combined)
    for service, definition in definitions.items():
        own = apidocs.openapi_in_process(definition)["paths"]
        for path, operations in own.items():
            assert set(combined["paths"][f"/api/{service}{path}"]) == set(operations)
    ids = [
        op["operationId"]
        for operations in combined["paths"].values()
        for op in operations.values()
        if isinstance(op, dict)
    ]
    assert len(ids) == len(set(ids))
    assert [g["name"] for g in combined["x-tagGroups"]] == sorted(definitions)
    login = combined["paths"]["/api/identity/tenants/{tenant}/login"]["post"]
    assert login["tags"][0].startswith("identity")


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_asyncapi_document_has_every_event_its_producer_and_consumers(docs, definitions):
    document = _load(docs, "asyncapi.json")
    assert document["asyncapi"] == "3.0.0"
    for ref in _refs(document):  # every reference points somewhere
        _resolve(document, ref)
    types = [t for t in registry.known_types() if not t.startswith("test.")]
    channels = {c["address"]: c for c in document["channels"].values()}
    assert sorted(channels) == types
    consumers = apidocs.consumers(definitions)
    operations = document["operations"].values()
    for event_type in types:
        binding = channels[event_type]["bindings"]["amqp"]
        assert binding["is"] == "routingKey"
        assert binding["exchange"] == {
            "name": "portail.events",
            "type": "topic",
            "durable": True,
            "autoDelete": False,
            "vhost": "/",
        }
        on_channel = [
            o for o in operations if o["channel"]["$ref"].endswith(event_type.replace(".", "_"))
        ]
        senders = [o["x-service"] for o in on_channel if o["action"] == "send"]
        receivers = sorted(o["x-service"] for o in on_channel if o["action"] == "receive")
        assert senders == [event_type.split(".")[0]]
        assert receivers == sorted(consumers.get(event_type, []))
        for message in channels[event_type]["messages"].values():
            described = _resolve(document, message["$ref"])
            payload = described["payload"]["properties"]["payload"]
            schema = _resolve(document, payload["$ref"])
            fields = registry.schema_for(event_type, described["x-version"]).fields
            assert set(schema["properties"]) == set(fields)


# The official AsyncAPI 3.0.0 JSON Schema (@asyncapi/specs 6.11.1, Apache-2.0, its
# schemas/3.0.0-without-$id.json), kept here: the tests run without the network.
ASYNCAPI_SCHEMA = Path(__file__).parent / "schemas" / "asyncapi-3.0.0.json"


def test_the_asyncapi_document_is_valid_against_the_official_schema(docs):
    validator = jsonschema.Draft7Validator(json.loads(ASYNCAPI_SCHEMA.read_text()))
    document = _load(docs, "asyncapi.json")
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []
    # The schema is strict enough to catch what a hand-made document gets wrong.
    broken = {**document, "channels": {"x": {"address": 1}}}
    del broken["info"]
    assert len(list(validator.iter_errors(broken))) >= 2


def test_household_linked_is_described_in_full(docs):
    document = _load(docs, "asyncapi.json")
    schema = document["components"]["schemas"]["family.HouseholdLinked.v1"]
    assert "household_id" in schema["properties"]
    receivers = {
        o["x-service"]
        for o in document["operations"].values()
        if o["action"] == "receive" and o["channel"]["$ref"] == "#/channels/family_HouseholdLinked"
    }
    assert {"identity", "notify"} <= receivers


def test_every_problem_type_is_listed(docs):
    listed = {p["code"]: p for p in _load(docs, "problems.json")}
    apidocs.domain_errors()  # every module imported
    todo, codes = [DomainError], set()
    while todo:
        cls = todo.pop()
        codes.add(cls.code)
        todo.extend(cls.__subclasses__())
    assert codes - set(listed) == set()
    for code in ("validation-error", "unauthenticated", "payload-too-large", "rate-limited"):
        assert code in listed, code
    limited = listed["rate-limited"]
    assert 429 in limited["statuses"] and "gateway" in limited["owners"]
    for code, problem in listed.items():
        assert problem["type"] == f"https://portail-famille.fr/problems/{code}"
    page = (docs / "problems.html").read_text()
    assert all(f'id="{code}"' in page for code in listed)


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium") or CHROMIUM
    if not Path(path).is_file():
        pytest.fail(
            "the documentation page is checked in Debian's chromium: apt-get install -y chromium",
            pytrace=False,
        )
    return path


async def test_the_gateway_serves_the_documents_and_redoc_renders_them(
    nginx, chromium, docs, tmp_path, echo_upstreams
):
    from playwright.async_api import async_playwright

    async with (
        running_gateway(nginx, tmp_path / "gateway", echo_upstreams, docs_dir=docs) as gw,
        aiohttp.ClientSession() as http,
    ):
        for path, kind in [
            ("/api/openapi.json", "application/json"),
            ("/api/asyncapi.json", "application/json"),
            ("/api/problems.json", "application/json"),
            ("/api/problems", "text/html"),
            ("/api/docs/", "text/html"),
            ("/api/docs", "text/html"),
            ("/api/docs/redoc.standalone.js", "application/javascript"),
        ]:
            async with http.get(gw(path)) as r:
                assert r.status == 200, path
                assert r.content_type == kind, path
                if kind == "text/html":
                    assert "img-src 'self'" in r.headers["Content-Security-Policy"]
        async with http.get(gw("/api/openapi.json")) as r:
            assert (await r.json())["paths"]
        async with http.get(gw("/"), allow_redirects=False) as r:
            assert (await r.json())["service"] == "web"  # / is the families' portal

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = await browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                requests: list[str] = []
                page.on("request", lambda request: requests.append(request.url))
                await page.goto(gw("/api/docs/"))
                # Redoc lays out every operation of the suite in the browser: on a busy two-core
                # machine a minute was seen not to be enough.
                await page.wait_for_selector("h1:has-text('Portail Famille API')", timeout=180_000)
                assert await page.title() == "Portail Famille — API"
                body = await page.inner_text("body")
                assert "identity" in body and "booking" in body
                # The services' groups in the menu, their operations in the page.
                menu = await page.inner_text(".menu-content")
                assert "identity · sessions" in menu or "IDENTITY" in menu, menu[:500]
                login = "Log in with an email (or the part before the @) and a password"
                assert await page.locator(f"h2:has-text('{login}')").count() >= 1
                assert "/api/identity/tenants/{tenant}/login" in body
                assert errors == []
                # Nothing from elsewhere but Redoc's footer logo, which the gateway's CSP
                # (img-src 'self') refuses: the page works offline.
                foreign = [u for u in requests if not u.startswith((gw("/"), "blob:"))]
                assert foreign in ([], ["https://cdn.redoc.ly/redoc/logo-mini.svg"]), foreign

                await page.goto(gw("/api/problems"))
                assert "Types de problèmes" in await page.inner_text("h1")
                assert await page.locator("tr#rate-limited").count() == 1
            finally:
                await browser.close()

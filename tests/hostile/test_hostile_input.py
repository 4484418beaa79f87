"""Hostile input against every service (identity, family, booking, billing, notify, web):
deeply nested JSON, NUL bytes in JSON strings, query strings and path parameters, malformed
multipart headers. Each answer is a 4xx problem+json naming what is wrong, never a 500.
The classes are fixed once in the shared layer (shared/http); these tests prove each service
gets the fix (one login or JSON route, one search route, one path parameter per service)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from billing.app import create_app as create_billing
from billing.settings import BillingSettings
from booking.app import create_app as create_booking
from booking.settings import BookingSettings
from family.app import create_app as create_family
from family.settings import FamilySettings
from identity.app import create_app as create_identity
from identity.settings import IdentitySettings
from notify.app import create_app as create_notify
from notify.settings import NotifySettings
from shared.errors import PROBLEM_BASE
from web.app import create_app as create_web
from web.settings import WebSettings

TENANT = "testville"
NUL_FIELD = "Ce champ contient un caractère interdit (caractère nul)."
INVALID = "Ce champ contient un caractère invalide."
NUL_PARAMETER = "Ce paramètre contient un caractère interdit (caractère nul)."
DEEP = "[" * 200_000


@dataclass(frozen=True)
class Target:
    settings_type: type
    create: Callable[[Any], Any]
    json_route: str  # a POST route reading a JSON body
    text_field: str  # a string field of its body, or the dotted path of one
    search: str  # a GET route with a free-text query parameter
    parameter: str
    staff: bool = True  # the routes need a staff token (identity's are public)
    body: dict[str, Any] = field(default_factory=dict)


TARGETS = {
    "identity": Target(
        IdentitySettings,
        create_identity,
        f"/tenants/{TENANT}/login",
        "login",
        f"/tenants/{TENANT}/accounts",
        "q",
        staff=False,
        body={"login": "x", "password": "y"},
    ),
    "family": Target(
        FamilySettings,
        create_family,
        f"/tenants/{TENANT}/households",
        "address.line1",
        f"/tenants/{TENANT}/households",
        "q",
        body={"address": {"line1": "x", "postal_code": "74330", "city": "Epagny"}},
    ),
    "booking": Target(
        BookingSettings,
        create_booking,
        f"/tenants/{TENANT}/activities",
        "name",
        f"/tenants/{TENANT}/children",
        "q",
        body={"name": "x"},
    ),
    "billing": Target(
        BillingSettings,
        create_billing,
        f"/tenants/{TENANT}/payments",
        "reference",
        f"/tenants/{TENANT}/invoices",
        "number",
        body={"reference": "x"},
    ),
    "notify": Target(
        NotifySettings,
        create_notify,
        f"/tenants/{TENANT}/news",
        "title",
        f"/tenants/{TENANT}/emails",
        "recipient",
        body={"title": "x", "body": "y"},
    ),
}


def _with_nul(body: dict[str, Any], dotted: str) -> dict[str, Any]:
    """`body` with the string at `dotted` given a NUL in its middle."""
    copy = json.loads(json.dumps(body))
    *parents, last = dotted.split(".")
    node = copy
    for name in parents:
        node = node[name]
    node[last] = "ab\x00cd"
    return copy


async def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    text = await response.text()
    assert response.status == status, text
    assert response.content_type == "application/problem+json", text[:300]
    body = json.loads(text)
    assert body["type"] == PROBLEM_BASE + code, body
    assert body["detail"]
    return body


@pytest.mark.parametrize("name", sorted(TARGETS))
async def test_every_service_refuses_hostile_json_queries_and_paths(
    name: str, make_settings: Callable[..., Any], aiohttp_client: Any, tokens: Any
) -> None:
    target = TARGETS[name]
    client: TestClient = await aiohttp_client(target.create(make_settings(target.settings_type)))
    headers = tokens.header(tenant=TENANT, roles=("staff",)) if target.staff else {}
    as_json = {**headers, "Content-Type": "application/json"}

    # 1. Nesting: 400, not a RecursionError (500, traceback in the log).
    deep = await client.post(target.json_route, data=DEEP, headers=as_json)
    body = await problem(deep, 400, "nested-too-deep")
    assert "imbriqué trop profondément" in body["detail"]
    # Also past the bound when Python could still parse it.
    nested = json.dumps({**target.body, "x": json.loads("[" * 100 + "]" * 100)})
    await problem(
        await client.post(target.json_route, data=nested, headers=as_json), 400, "nested-too-deep"
    )

    # 2. NUL in a JSON string: 422 naming the field (Postgres refuses it in text).
    nul = await client.post(
        target.json_route, json=_with_nul(target.body, target.text_field), headers=headers
    )
    body = await problem(nul, 422, "validation-error")
    assert body["errors"] == [{"field": target.text_field, "detail": NUL_FIELD}]

    # A lone UTF-16 surrogate, which no UTF-8 text (nor Postgres) can hold: 422 too.
    surrogate = json.dumps(_with_nul(target.body, target.text_field)).replace("\\u0000", "\\ud800")
    answer = await client.post(target.json_route, data=surrogate, headers=as_json)
    body = await problem(answer, 422, "validation-error")
    assert body["errors"] == [{"field": target.text_field, "detail": INVALID}]

    # 2. NUL in a search parameter: 422 naming it.
    searched = await client.get(f"{target.search}?{target.parameter}=ab%00cd", headers=headers)
    body = await problem(searched, 422, "validation-error")
    assert body["errors"] == [{"field": target.parameter, "detail": NUL_PARAMETER}]

    # 2. NUL in a path parameter: 400 naming it.
    path = target.json_route.replace(TENANT, "test%00ville")
    body = await problem(
        await client.post(path, json=target.body, headers=headers), 400, "invalid-path"
    )
    assert body["errors"][0]["field"] == "tenant"


async def test_identity_public_pages_survive_a_nul_in_their_path(make_settings, aiohttp_client):
    # The tenant's public page looks the slug up in Postgres: a NUL there was a 500.
    identity = await aiohttp_client(create_identity(make_settings(IdentitySettings)))
    body = await problem(await identity.get("/tenants/de%00mo"), 400, "invalid-path")
    assert body["errors"][0]["field"] in ("tenant", "slug")


async def test_notify_pages_survive_a_nul_in_their_slug(make_settings, aiohttp_client, tokens):
    notify = await aiohttp_client(create_notify(make_settings(NotifySettings)))
    headers = tokens.header(tenant=TENANT, roles=("family",))
    body = await problem(
        await notify.get(f"/tenants/{TENANT}/pages/a%00b", headers=headers), 400, "invalid-path"
    )
    assert body["errors"][0]["field"] == "slug"


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def test_the_portal_refuses_nul_and_malformed_forms_without_a_500(
    make_settings, aiohttp_client
):
    identity_settings = make_settings(IdentitySettings)
    identity = await aiohttp_client(create_identity(identity_settings))
    url = str(identity.make_url("")).rstrip("/")
    portal = await aiohttp_client(
        create_web(
            make_settings(
                WebSettings,
                tenant=TENANT,
                identity_url=url,
                family_url=url,
                booking_url=url,
                billing_url=url,
                notify_url=url,
                theme_cache_seconds=0,
            )
        )
    )
    page = await portal.get("/connexion")
    assert page.status == 200
    token = CSRF.search(await page.text())[1]

    # A NUL in any form field: the portal's French page, before anything reads the form.
    login = await portal.post(
        "/connexion",
        data={"csrf_token": token, "login": "fa\x00mille@demo.example", "password": "x"},
        allow_redirects=False,
    )
    assert login.status == 400, await login.text()
    assert "Formulaire illisible" in await login.text()

    # A multipart form whose part headers aiohttp refuses (a NUL in a name): 400, not 500.
    malformed = (
        b'--BB\r\nContent-Disposition: form-data; name="csrf_token"; filename="a\x00b"\r\n'
        b"\r\nx\r\n--BB--\r\n"
    )
    refused = await portal.post(
        "/connexion",
        data=malformed,
        headers={"Content-Type": "multipart/form-data; boundary=BB"},
    )
    assert refused.status == 400, await refused.text()
    assert "text/html" in refused.content_type

    # A NUL in a query string: refused once for every route.
    searched = await portal.get("/connexion?suite=%2F%00")
    await problem(searched, 422, "validation-error")

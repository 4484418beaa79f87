"""Fixtures of the web portal's tests: the portal under test (its own schema, real Postgres)
in front of a stand-in of the services' public APIs (identity, notify, family, billing) that
answers as they do and records what it was sent."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from web.app import create_app
from web.settings import WebSettings

TENANT = "demo"
PASSWORD = "Demo-2026-portail"
INVOICE_ID = "5b0d6a43-9a8e-4a51-9f0c-6f1b1b1b1b1b"
TRANSACTION_ID = "0c9b2a1e-1111-4222-8333-944444444444"


class Services:
    """The stand-in: state the tests read and change."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None, Any]] = []  # method, path, token, body
        self.counter = itertools.count(1)
        self.valid_access: set[str] = set()
        self.valid_refresh: set[str] = set()
        self.expires_in = 300
        self.logged_out: list[str] = []
        self.down = False
        self.roles = ["family"]  # identity's /me: ["staff"] for a town's agent
        self.features: dict[str, bool] | None = None  # identity's public page: all on if None

    def tokens(self) -> dict[str, Any]:
        n = next(self.counter)
        access, refresh = f"access-{n}", f"refresh-{n}"
        self.valid_access.add(access)
        self.valid_refresh.add(refresh)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": refresh,
            "refresh_expires_in": 3600,
            "terms": {"must_accept": False},
            "password_change_required": False,
        }

    def app(
        self, extra: Callable[[Services, web.Application, str], None] | None = None
    ) -> web.Application:
        app = web.Application()
        t = f"/tenants/{TENANT}"
        if extra is not None:
            extra(self, app, t)  # a test module's own answers, before the common ones

        def record(request: web.Request, body: Any = None) -> str | None:
            header = request.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ") if header else None
            self.calls.append((request.method, request.path, token, body))
            return token

        def problem(status: int, detail: str, **extra: Any) -> web.Response:
            return web.json_response(
                {"status": status, "detail": detail, **extra},
                status=status,
                content_type="application/problem+json",
            )

        def authorised(request: web.Request, body: Any = None) -> bool:
            return record(request, body) in self.valid_access

        async def public(request: web.Request) -> web.Response:
            record(request)
            if self.down:
                return problem(503, "indisponible")
            return web.json_response(
                {
                    "slug": TENANT,
                    "display_name": "Ville de Démo",
                    "contact_email": "enfance@demo.example",
                    "contact_phone": "01 23 45 67 89",
                    **({"features": self.features} if self.features is not None else {}),
                }
            )

        async def theme(request: web.Request) -> web.Response:
            record(request)
            return web.json_response(
                {
                    "tenant": TENANT,
                    "configured": True,
                    "name": "Démo",
                    "contact_service": "le service Enfance",
                    "contact_email": "enfance@demo.example",
                    "contact_phone": None,
                    "primary_color": "#00695c",
                    "accent_color": "#ffb300",
                }
            )

        async def login(request: web.Request) -> web.Response:
            body = await request.json()
            record(request, body)
            if len(body["login"]) > 254:
                return problem(
                    422,
                    "Certaines informations sont manquantes ou incorrectes : login.",
                    errors=[{"field": "login", "detail": "Longueur maximale : 254 caractères."}],
                )
            if body["password"] != PASSWORD:
                return problem(401, "Identifiant ou mot de passe incorrect.")
            return web.json_response(self.tokens())

        async def refresh(request: web.Request) -> web.Response:
            body = await request.json()
            record(request, body)
            if body["refresh_token"] not in self.valid_refresh:
                return problem(401, "Jeton de rafraîchissement inconnu.")
            self.valid_refresh.discard(body["refresh_token"])  # rotated: used once
            return web.json_response(self.tokens())

        async def logout(request: web.Request) -> web.Response:
            body = await request.json()
            record(request, body)
            self.logged_out.append(body["refresh_token"])
            self.valid_refresh.discard(body["refresh_token"])
            return web.Response(status=204)

        async def me(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.json_response(
                {
                    "account_id": "9a1c0c1e-2222-4333-8444-955555555555",
                    "email": "famille@demo.example",
                    "display_name": "Marie Durand",
                    "roles": self.roles,
                }
            )

        async def news(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.json_response(
                {
                    "items": [
                        {
                            "id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                            "title": "Fermeture du centre <le 11 novembre>",
                            "body": "Le centre est fermé.\n\nBonne semaine.",
                            "publish_from": "2026-11-02T07:00:00+00:00",
                            "attachments": [],
                        }
                    ],
                    "next_offset": None,
                }
            )

        async def household(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return problem(404, "Aucun foyer n'est lié à votre compte.")

        async def invoices(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.json_response(
                {
                    "invoices": [
                        {
                            "id": INVOICE_ID,
                            "number": "F-ENFANCE-2026-000007",
                            "issue_date": "2026-10-05",
                            "due_date": "2026-10-31",
                            "total_cents": 4140,
                            "remaining_cents": 4140,
                            "regie": {"name": "Régie Enfance"},
                        }
                    ]
                }
            )

        async def pdf(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.Response(
                body=b"%PDF-1.7 stand-in",
                content_type="application/pdf",
                headers={"Content-Disposition": 'attachment; filename="F-7.pdf"'},
            )

        async def card_payment(request: web.Request) -> web.Response:
            body = await request.json()
            if not authorised(request, body):
                return problem(401, "Jeton invalide.")
            if body["invoice_ids"] != [INVOICE_ID]:
                return problem(404, "Facture introuvable.")
            return web.json_response(
                {
                    "transaction_id": TRANSACTION_ID,
                    "payment_url": "https://banque.example/payer?id=1",
                    "status": "pending",
                    "amount_cents": 4140,
                },
                status=201,
            )

        async def transaction(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.json_response(
                {
                    "transaction_id": TRANSACTION_ID,
                    "status": "paid",
                    "amount_cents": 4140,
                    "payment_number": "R-ENFANCE-2026-000003",
                    "settled_at": "2026-10-05T12:05:00+00:00",
                }
            )

        app.router.add_get(t, public)
        app.router.add_get(f"{t}/theme", theme)
        app.router.add_post(f"{t}/login", login)
        app.router.add_post(f"{t}/token/refresh", refresh)
        app.router.add_post(f"{t}/logout", logout)
        app.router.add_get(f"{t}/me", me)
        app.router.add_get(f"{t}/me/news", news)
        app.router.add_get(f"{t}/me/household", household)
        app.router.add_get(f"{t}/invoices", invoices)
        app.router.add_get(f"{t}/invoices/{{id}}/pdf", pdf)
        app.router.add_post(f"{t}/card-payments", card_payment)
        app.router.add_get(f"{t}/card-payments/{{id}}", transaction)
        return app


@pytest.fixture
def stand_in_routes() -> Callable[[Services, web.Application, str], None] | None:
    """A test module overrides this fixture to add the answers its pages need:
    (services, app, "/tenants/demo") -> None, adding routes to app.router."""
    return None


@pytest.fixture
async def services(
    aiohttp_server: Any, stand_in_routes: Callable[[Services, web.Application, str], None] | None
) -> tuple[Services, str]:
    stand_in = Services()
    server = await aiohttp_server(stand_in.app(stand_in_routes))
    return stand_in, str(server.make_url("")).rstrip("/")


@pytest.fixture
def web_settings(
    make_settings: Callable[..., Any], services: tuple[Services, str]
) -> Callable[..., WebSettings]:
    _, url = services

    def make(**overrides: Any) -> WebSettings:
        return make_settings(
            WebSettings,
            tenant=TENANT,
            identity_url=url,
            family_url=url,
            booking_url=url,
            billing_url=url,
            notify_url=url,
            theme_cache_seconds=0,
            **overrides,
        )

    return make


@pytest.fixture
async def portal(aiohttp_client: Any, web_settings: Callable[..., WebSettings]) -> TestClient:
    return await aiohttp_client(create_app(web_settings()))


# --- what the page tests share ------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found[1]


def problem(status: int, detail: str, **extra: Any) -> web.Response:
    """A service's problem+json answer."""
    return web.json_response(
        {"status": status, "detail": detail, **extra},
        status=status,
        content_type="application/problem+json",
    )


async def anonymous(portal: TestClient) -> str:
    """Opens the login page (an anonymous session, its cookie kept by the client's jar);
    returns the form's CSRF token."""
    r = await portal.get("/connexion")
    assert r.status == 200
    return csrf_of(await r.text())


async def log_in(portal: TestClient, target: str = "/") -> None:
    """The demo family logs in through the login form; the portal sends it to `target`."""
    token = await anonymous(portal)
    r = await portal.post(
        "/connexion",
        data={
            "csrf_token": token,
            "login": "famille@demo.example",
            "password": PASSWORD,
            "suite": target,
        },
        allow_redirects=False,
    )
    assert r.status == 303, await r.text()
    assert r.headers["Location"] == target

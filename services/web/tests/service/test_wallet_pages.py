"""The wallet, direct-debit and home-menu pages over HTTP, billing and notify stood in: the
wallet absent when the town holds none, amounts checked in French by the field, billing's
422 by its field, the card top-up sent to the bank's page, a mandate's IBAN error by the
field, its masked IBAN, revoking only after a confirmation, CSRF, the week's menu."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from aiohttp import web

from web.app import create_app
from web.pages import town

from ..conftest import Services, csrf_of, log_in, problem

HOUSEHOLD = "3f1c1e2a-1111-4222-8333-944444444444"
REGIE = "6a7b8c9d-1111-4222-8333-944444444444"
MANDATE = "7b8c9d0e-1111-4222-8333-944444444444"
BAD_IBAN = "La clé de contrôle de l'IBAN est fausse : vérifiez sa saisie."


@dataclass
class Billing:
    """What the stand-in of billing holds for these tests."""

    wallet_regie: str | None = REGIE
    wallet_active: bool = True
    regies: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "regie_id": REGIE,
                "regie_name": "Régie enfance",
                "creditor_name": "Ville de Démo",
                "prenotification_days": 14,
            }
        ]
    )
    mandates: list[dict[str, Any]] = field(default_factory=list)
    top_ups: list[dict[str, Any]] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    menus: dict[str, Any] = field(default_factory=lambda: {"weeks": []})
    menu_reads: int = 0
    debits: list[dict[str, Any]] = field(default_factory=list)


def mandate(status: str = "active") -> dict[str, Any]:
    return {
        "id": MANDATE,
        "regie_id": REGIE,
        "regie_name": "Régie enfance",
        "household_id": HOUSEHOLD,
        "payer_id": HOUSEHOLD,
        "rum": "ENFANCE-2026-000001",
        "holder": "Marie Durand",
        "iban_masked": "FR76 **** **** **** **** **** 189",
        "status": status,
        "signed_on": "2026-11-30" if status == "active" else None,
        "rejections": 0,
        "created_at": "2026-11-30T10:00:00+00:00",
    }


def access_token_of(household_id: str, serial: str) -> str:
    """A token shaped as identity's (a JWT whose claims name the household); the portal
    reads the household id from it."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {"sub": "9a1c0c1e-2222-4333-8444-955555555555", "household_id": household_id}
    return f"{part({'alg': 'EdDSA'})}.{part({**claims, 'jti': serial})}.c2lnbmF0dXJl"


@pytest.fixture(autouse=True)
def household_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in's access tokens carry the household, as identity's do once linked."""
    issue = Services.tokens

    def tokens(self: Services) -> dict[str, Any]:
        answer = issue(self)
        shaped = access_token_of(HOUSEHOLD, answer["access_token"])
        self.valid_access.discard(answer["access_token"])
        self.valid_access.add(shaped)
        return {**answer, "access_token": shaped}

    monkeypatch.setattr(Services, "tokens", tokens)


@pytest.fixture
def billing() -> Billing:
    return Billing()


@pytest.fixture
def stand_in_routes(billing: Billing) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def authorised(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "")
            return header.removeprefix("Bearer ") in services.valid_access

        async def household(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.json_response({"id": HOUSEHOLD, "children": [], "guardians": []})

        async def wallet_settings(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.json_response(
                {
                    "regie_id": billing.wallet_regie,
                    "regie_name": "Régie enfance" if billing.wallet_regie else None,
                    "top_up_min_cents": 500,
                    "top_up_max_cents": 30000,
                }
            )

        async def movements(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            if not billing.wallet_active:
                return problem(404, "Ce foyer n'a pas activé sa tirelire.")
            return web.json_response(
                {
                    "balance_cents": 1550,
                    "movements": [
                        {
                            "id": "m2",
                            "kind": "debit",
                            "amount_cents": -450,
                            "balance_cents": 1550,
                            "label": "Cantine du lundi 30 novembre 2026",
                            "reason": None,
                            "at": "2026-11-30T08:00:00+00:00",
                        },
                        {
                            "id": "m1",
                            "kind": "top_up",
                            "amount_cents": 2000,
                            "balance_cents": 2000,
                            "label": "Rechargement",
                            "reason": None,
                            "at": "2026-11-29T08:00:00+00:00",
                        },
                    ],
                }
            )

        async def activate(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            billing.wallet_active = True
            return web.json_response({"household_id": HOUSEHOLD, "balance_cents": 0}, status=201)

        async def top_up(request: web.Request) -> web.Response:
            body = await request.json()
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            billing.top_ups.append(body)
            if body["amount_cents"] == 29999:  # billing's own limit, stricter than the form's
                return problem(
                    422,
                    "Montant hors limites.",
                    errors=[{"field": "amount_cents", "detail": "Au plus 200,00 € par jour."}],
                )
            return web.json_response(
                {
                    "transaction_id": "t1",
                    "payment_url": "https://banque.example/payer?id=2",
                    "amount_cents": body["amount_cents"],
                },
                status=201,
            )

        async def regies(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.json_response({"regies": billing.regies})

        async def mandates(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.json_response({"mandates": billing.mandates})

        async def register(request: web.Request) -> web.Response:
            body = await request.json()
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            if body["iban"].replace(" ", "") != "FR7630006000011234567890189":
                return problem(
                    422,
                    "Certaines informations sont manquantes ou incorrectes : iban.",
                    errors=[{"field": "iban", "detail": BAD_IBAN}],
                )
            billing.mandates.append(mandate("pending_signature"))
            return web.json_response(mandate("pending_signature"), status=201)

        async def one_mandate(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            found = [m for m in billing.mandates if m["id"] == request.match_info["id"]]
            if not found:
                return problem(404, "Mandat introuvable.")
            return web.json_response(found[0])

        async def revoke(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            billing.revoked.append(request.match_info["id"])
            billing.mandates = [mandate("revoked")]
            return web.json_response(billing.mandates[0])

        async def sign(request: web.Request) -> web.Response:
            body = await request.json()
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            if body["token"] != "x" * 30:
                return problem(410, "Lien expiré.")
            billing.mandates = [mandate("active")]
            return web.json_response(billing.mandates[0])

        async def menus(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            billing.menu_reads += 1
            return web.json_response(billing.menus)

        async def pages(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.json_response(
                {"items": [{"slug": "tarifs", "title": "Tarifs de la cantine", "position": 0}]}
            )

        async def account(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.json_response(
                {"payer_id": HOUSEHOLD, "balance_cents": 1245, "credit_cents": 300}
            )

        async def debits(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.json_response({"debits": billing.debits})

        households = f"{t}/billing/households/{HOUSEHOLD}"
        app.router.add_get(f"{households}/direct-debits", debits)
        app.router.add_get(f"{households}/account", account)
        app.router.add_get(f"{t}/me/household", household)
        app.router.add_get(f"{t}/billing/wallet-settings", wallet_settings)
        app.router.add_get(f"{households}/wallet/movements", movements)
        app.router.add_post(f"{households}/wallet", activate)
        app.router.add_post(f"{households}/wallet/top-ups", top_up)
        app.router.add_get(f"{t}/billing/direct-debit-regies", regies)
        app.router.add_get(f"{households}/mandates", mandates)
        app.router.add_post(f"{households}/mandates", register)
        app.router.add_get(f"{t}/mandates/{{id}}", one_mandate)
        app.router.add_post(f"{t}/mandates/{{id}}/revoke", revoke)
        app.router.add_post(f"{t}/mandates/sign", sign)
        app.router.add_get(f"{t}/menus", menus)
        app.router.add_get(f"{t}/pages", pages)

    return add


async def page(portal, path: str, status: int = 200) -> str:
    r = await portal.get(path)
    html = await r.text()
    assert r.status == status, html
    return html


async def post(portal, path: str, data: dict[str, str], csrf_from: str) -> Any:
    token = csrf_of(await page(portal, csrf_from))
    return await portal.post(path, data={"csrf_token": token, **data}, allow_redirects=False)


async def test_the_wallet_shows_its_balance_and_movements_in_words(portal):
    await log_in(portal)
    html = await page(portal, "/tirelire")
    assert "<title>Ma tirelire – Portail Famille" in html
    assert "15,50\u00a0€" in html
    assert "Cantine du lundi 30 novembre 2026" in html and "Paiement de réservations" in html
    assert "<dt>Débit</dt>" in html and "<dt>Crédit</dt>" in html and "+20,00\u00a0€" in html
    assert "Entre 5,00\u00a0€ et 300,00\u00a0€" in html


async def test_the_wallet_is_absent_when_the_town_holds_none(portal, billing):
    billing.wallet_regie = None
    await log_in(portal)
    html = await page(portal, "/tirelire", status=404)
    assert "Page introuvable" in html
    assert 'href="/tirelire"' not in await page(portal, "/factures")


async def test_a_wallet_not_yet_activated_is_activated_from_its_page(portal, billing):
    billing.wallet_active = False
    await log_in(portal)
    html = await page(portal, "/tirelire")
    assert "Activer ma tirelire" in html and "Recharger" not in html
    r = await post(portal, "/tirelire/activer", {}, "/tirelire")
    assert (r.status, r.headers["Location"]) == (303, "/tirelire?active=1")
    html = await page(portal, "/tirelire?active=1")
    assert "Votre tirelire est activée." in html and "15,50\u00a0€" in html


async def test_a_wrong_amount_is_shown_by_its_field_without_calling_billing(portal, billing):
    await log_in(portal)
    r = await post(portal, "/tirelire/recharger", {"montant": "2,5€0"}, "/tirelire")
    html = await r.text()
    assert r.status == 422
    assert 'aria-invalid="true"' in html and 'id="montant-erreur"' in html
    assert "au plus deux décimales" in html and 'role="alert"' in html
    assert "<title>Erreur – Ma tirelire" in html
    r = await post(portal, "/tirelire/recharger", {"montant": "1"}, "/tirelire")
    assert "Le montant minimum est de 5,00\u00a0€." in await r.text()
    assert billing.top_ups == []


async def test_billing_s_refusal_is_shown_by_the_amount_field(portal):
    await log_in(portal)
    r = await post(portal, "/tirelire/recharger", {"montant": "299,99"}, "/tirelire")
    html = await r.text()
    assert r.status == 422
    assert 'id="montant-erreur">Au plus 200,00 € par jour.' in html
    assert 'value="299,99"' in html


async def test_a_top_up_goes_to_the_bank_s_page(portal, billing):
    await log_in(portal)
    r = await post(portal, "/tirelire/recharger", {"montant": "20"}, "/tirelire")
    assert (r.status, r.headers["Location"]) == (303, "https://banque.example/payer?id=2")
    assert billing.top_ups == [{"amount_cents": 2000, "email": "famille@demo.example"}]


async def test_a_top_up_without_the_csrf_token_is_refused(portal, billing):
    await log_in(portal)
    r = await portal.post("/tirelire/recharger", data={"montant": "20"}, allow_redirects=False)
    assert r.status == 403 and "Action refusée" in await r.text()
    assert billing.top_ups == []


async def test_a_mandate_with_a_wrong_iban_shows_the_error_by_the_field(portal, billing):
    await log_in(portal)
    html = await page(portal, "/prelevement")
    assert "Aucun mandat en cours" in html and "prochaine facture" in html
    form = {"regie_id": REGIE, "holder": "Marie Durand", "iban": "FR76 0000", "bic": ""}
    r = await post(portal, "/prelevement/mandat", form, "/prelevement")
    html = await r.text()
    assert r.status == 422
    assert f'id="iban-erreur">{BAD_IBAN}'.replace("'", "&#39;") in html
    assert 'aria-describedby="iban-aide iban-erreur"' in html and 'value="FR76 0000"' in html
    assert billing.mandates == []
    form["iban"] = "FR76 3000 6000 0112 3456 7890 189"
    r = await post(portal, "/prelevement/mandat", form, "/prelevement")
    assert (r.status, r.headers["Location"]) == (303, "/prelevement?demande=1")
    html = await page(portal, "/prelevement?demande=1")
    assert "un courriel vous a été envoyé" in html and "En attente de signature" in html
    assert "FR76 **** **** **** **** **** 189" in html and "0112 3456" not in html


async def test_the_emailed_link_signs_the_mandate(portal, billing):
    await log_in(portal)
    html = await page(portal, "/prelevement/signature?token=" + "x" * 30)
    assert "Je signe le mandat" in html
    r = await post(portal, "/prelevement/signature", {"token": "x" * 30}, "/prelevement")
    assert (r.status, r.headers["Location"]) == (303, "/prelevement?signe=1")
    assert "Actif" in await page(portal, "/prelevement?signe=1")
    r = await post(portal, "/prelevement/signature", {"token": "y" * 30}, "/prelevement")
    assert r.status == 410 and "n'est plus valable" in (await r.text()).replace("&#39;", "'")


async def test_revoking_asks_for_a_confirmation_first(portal, billing):
    billing.mandates = [mandate("active")]
    await log_in(portal)
    html = await page(portal, "/prelevement")
    assert "Actif" in html and f'href="/prelevement/{MANDATE}/revoquer"' in html
    html = await page(portal, f"/prelevement/{MANDATE}/revoquer")
    assert "Confirmer la révocation" in html and billing.revoked == []
    r = await post(
        portal, f"/prelevement/{MANDATE}/revoquer", {}, f"/prelevement/{MANDATE}/revoquer"
    )
    assert (r.status, r.headers["Location"]) == (303, "/prelevement?revoque=1")
    assert billing.revoked == [MANDATE]
    html = await page(portal, "/prelevement?revoque=1")
    assert "Anciens mandats" in html and "Révoqué" in html
    await page(portal, "/prelevement/not-a-uuid/revoquer", status=404)


async def test_the_direct_debit_page_is_absent_when_the_town_does_not_collect(portal, billing):
    billing.regies = []
    await log_in(portal)
    await page(portal, "/prelevement", status=404)


PUBLISHED = {
    "weeks": [
        {
            "week_start": "2026-11-30",
            "published": True,
            "days": [{"date": "2026-11-30", "main": "Hachis parmentier"}],
            "remarks": None,
        }
    ]
}


async def test_the_home_page_shows_the_week_menu_and_the_information_pages(portal, billing):
    await log_in(portal)
    assert "Le menu de cette semaine n'est pas encore publié." in (
        (await page(portal, "/")).replace("&#39;", "'")
    )
    billing.menus = PUBLISHED
    html = await page(portal, "/")
    assert "Lundi 30 novembre 2026" in html and "Hachis parmentier" in html
    assert '<a href="/informations/tarifs">Tarifs de la cantine</a>' in html
    assert '<a href="/tirelire">Alimenter ma tirelire</a>' in html
    assert 'href="/prelevement">Payer mes factures par prélèvement automatique</a>' in html


async def test_a_published_menu_is_kept_a_minute_an_unpublished_one_seconds(
    aiohttp_client, web_settings, billing, monkeypatch
):
    portal = await aiohttp_client(create_app(replace(web_settings(), theme_cache_seconds=60)))
    await log_in(portal)
    await page(portal, "/")
    await page(portal, "/")
    assert billing.menu_reads == 1
    monkeypatch.setattr(town, "UNSETTLED_SECONDS", 0.0)  # those seconds have passed
    await page(portal, "/")
    assert billing.menu_reads == 2  # not published yet: read again
    billing.menus = PUBLISHED
    for _ in range(3):
        assert "Hachis parmentier" in await page(portal, "/")
    assert billing.menu_reads == 3  # published: kept


async def test_the_invoices_page_links_the_wallet_and_the_direct_debit(portal, billing):
    await log_in(portal)
    html = await page(portal, "/factures")
    assert '<a href="/tirelire">Ma tirelire : solde et rechargement</a>' in html
    assert '<a href="/prelevement">Prélèvement automatique de mes factures</a>' in html
    assert "<dt>Reste dû</dt><dd>12,45\u00a0€</dd>" in html
    assert "<dt>Avoir à déduire des prochaines factures</dt><dd>3,00\u00a0€</dd>" in html
    billing.wallet_regie, billing.regies = None, []
    html = await page(portal, "/factures")
    assert 'href="/tirelire"' not in html and 'href="/prelevement"' not in html


async def test_an_unknown_information_page_is_not_found(portal):
    await log_in(portal)
    assert "Page introuvable" in await page(portal, "/informations/inconnue", status=404)


async def test_the_pre_notified_debits_are_listed(portal, billing):
    billing.mandates = [mandate("active")]
    debit = {
        "id": "i1",
        "invoice_number": "F-ENFANCE-2026-000012",
        "rum": "ENFANCE-2026-000001",
        "iban_masked": "FR76 **** **** **** **** **** 189",
        "amount_cents": 830,
        "status": "collected",
        "reason_label": None,
    }
    billing.debits = [
        {**debit, "collection_date": "2099-01-15"},
        {
            **debit,
            "id": "i0",
            "collection_date": "2020-01-15",
            "status": "rejected",
            "reason_label": "Provision insuffisante",
        },
    ]
    await log_in(portal)
    html = await page(portal, "/prelevement")
    assert "Mes prélèvements" in html
    assert "8,30\u00a0€ le jeudi 15 janvier 2099" in html and "À venir" in html
    assert "Rejeté par la banque : Provision insuffisante" in html

"""A household's wallet in the back-office (billing stood in): its balance and movements, the
whole balance paid back to the family (billing's payout) by transfer, cheque or cash, the
method checked first, billing's refusals said in French, families refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000001"
NO_WALLET = "0f0f0f0f-0000-4000-8000-000000000002"


class Billing:
    def __init__(self) -> None:
        self.balance = 1250
        self.movements: list[dict[str, Any]] = [
            {
                "id": "11111111-1111-4111-8111-111111111111",
                "kind": "top_up",
                "amount_cents": 1250,
                "balance_cents": 1250,
                "label": "Rechargement par carte bancaire",
                "reason": None,
                "at": "2026-09-01T08:00:00+00:00",
            }
        ]
        self.payouts: list[dict[str, Any]] = []


@pytest.fixture
def billing() -> Billing:
    return Billing()


@pytest.fixture
def stand_in_routes(billing: Billing) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            services.calls.append((request.method, request.path, header, dict(request.query)))
            return header in services.valid_access

        async def movements(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if request.match_info["id"] != HOUSEHOLD:
                return problem(404, "Ce foyer n'a pas activé sa tirelire.")
            body = {"balance_cents": billing.balance, "movements": billing.movements}
            return web.json_response(body)

        async def payout(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            body = await request.json()
            billing.payouts.append(body)
            if billing.balance == 0:
                return problem(
                    409, "La tirelire de ce foyer est vide : il n'y a rien à rembourser."
                )
            movement = {
                "id": "22222222-2222-4222-8222-222222222222",
                "kind": "payout",
                "amount_cents": -billing.balance,
                "balance_cents": 0,
                "label": "Remboursement du solde par la régie (virement)",
                "reason": body.get("reference") or None,
                "at": "2026-09-02T08:00:00+00:00",
            }
            billing.balance = 0
            billing.movements.insert(0, movement)
            return web.json_response(movement, status=201)

        app.router.add_get(f"{t}/billing/households/{{id}}/wallet/movements", movements)
        app.router.add_post(f"{t}/billing/households/{{id}}/wallet/payouts", payout)

    return add


async def staff_in(portal: TestClient, services: tuple[Services, str]) -> Services:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion/foyers")
    return stand_in


PAGE = f"/gestion/foyers/{HOUSEHOLD}/tirelire"


async def test_staff_pay_the_balance_back(portal, services, billing):
    await staff_in(portal, services)
    r = await portal.get(PAGE)
    assert r.status == 200
    html = await r.text()
    assert "12,50\u00a0€" in html and "Rembourser 12,50\u00a0€ à la famille" in html
    assert 'id="method-transfer" name="method" value="transfer" checked' in html
    assert "Rechargement par carte bancaire" in html
    r = await portal.post(
        f"{PAGE}/rembourser",
        data={"csrf_token": csrf_of(html), "method": "cheque", "reference": "Chèque 0042"},
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == f"{PAGE}?rembourse=1"
    assert billing.payouts == [{"method": "cheque", "reference": "Chèque 0042"}]
    html = await (await portal.get(r.headers["Location"])).text()
    assert "Le solde a été remboursé à la famille" in html
    assert "Remboursement du solde par la régie" in html and "Chèque 0042" in html
    assert 'action="/gestion/foyers/' not in html  # nothing left to pay back: no form


async def test_the_method_is_checked_and_billing_refusals_said(portal, services, billing):
    await staff_in(portal, services)
    token = csrf_of(await (await portal.get(PAGE)).text())
    r = await portal.post(f"{PAGE}/rembourser", data={"csrf_token": token, "method": "carte"})
    assert r.status == 422
    assert "Choisissez comment le solde est remboursé." in await r.text()
    assert not billing.payouts
    billing.balance = 0  # paid back meanwhile, from another tab
    r = await portal.post(f"{PAGE}/rembourser", data={"csrf_token": token, "method": "cash"})
    assert r.status == 409
    assert "La tirelire de ce foyer est vide" in await r.text()
    r = await portal.get(f"/gestion/foyers/{NO_WALLET}/tirelire")
    assert r.status == 200 and "Ce foyer n'a pas activé sa tirelire." in await r.text()


async def test_families_may_not(portal, services, billing):
    await log_in(portal)
    r = await portal.get(PAGE, allow_redirects=False)
    assert r.status == 403 and "réservée aux agents" in await r.text()
    r = await portal.post(f"{PAGE}/rembourser", data={"method": "cash"})
    assert r.status == 403 and not billing.payouts

"""The billing back-office's pages over HTTP (billing and family stood in): the home with
its régies, campaigns and overdue count; a campaign drafted (errors by field, billing's
conflict said), reviewed, refreshed, finalised after its confirmation page; a counter
payment with billing's refusals next to their fields, then its receipt; the overdue
households and the reminders' confirmation; CSRF, families and visitors refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

REGIE = "6f1b2a43-9a8e-4a51-9f0c-6f1b1b1b1b1b"
CAMPAIGN = "7a7a7a7a-0000-4000-8000-000000000001"
UNKNOWN = "7a7a7a7a-0000-4000-8000-0000000000ff"
HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000001"
INVOICE = "5b0d6a43-9a8e-4a51-9f0c-6f1b1b1b1b1c"
PAYMENT = "8b8b8b8b-0000-4000-8000-000000000001"
REMITTANCE = "9c9c9c9c-0000-4000-8000-000000000001"


class Answers:
    def __init__(self) -> None:
        self.campaign_status = "draft"
        self.create: web.Response | None = None
        self.refresh_status = 200
        self.payment: Callable[[dict[str, Any]], web.Response] | None = None
        self.sent_reminders = 0
        self.remittable = True


@pytest.fixture
def answers() -> Answers:
    return Answers()


def campaign(status: str) -> dict[str, Any]:
    return {
        "id": CAMPAIGN,
        "regie_id": REGIE,
        "period_from": "2026-09-01",
        "period_to": "2026-09-30",
        "status": status,
        "issue_date": "2026-10-01" if status == "finalised" else None,
        "due_date": "2026-10-16" if status == "finalised" else None,
        "invoice_count": 1,
        "issued_cents": 4150 if status == "finalised" else 0,
        "draft_cents": 4150,
        "error_count": 1,
        "warning_count": 0,
        "issues": [
            {
                "severity": "error",
                "code": "price-grid-missing",
                "detail": "Aucun tarif pour l'activité Étude ce jour-là.",
                "child_name": "Léa",
                "day": "2026-09-03",
            }
        ],
    }


def invoice(status: str) -> dict[str, Any]:
    finalised = status == "finalised"
    return {
        "id": INVOICE,
        "number": "F-PERI-2026-000001" if finalised else None,
        "status": "issued" if finalised else "draft",
        "regie_id": REGIE,
        "household_id": HOUSEHOLD,
        "total_cents": 4150,
        "remaining_cents": 4150,
        "due_date": "2026-10-16",
        "payer": {"name": "Karim Benali"},
        "lines": [
            {
                "label": "Accueil du soir — Léa",
                "quantity": "10.00",
                "unit_cents": 415,
                "amount_cents": 4150,
            }
        ],
    }


@pytest.fixture
def stand_in_routes(answers: Answers) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        async def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            body = await request.json() if request.can_read_body else dict(request.query)
            services.calls.append((request.method, request.path, header, body))
            return header in services.valid_access

        def guarded(
            answer: Callable[[web.Request, Any], web.Response],
        ) -> Callable[[web.Request], Any]:
            async def handler(request: web.Request) -> web.Response:
                if not await allowed(request):
                    return problem(401, "Jeton invalide.")
                return answer(request, services.calls[-1][3])

            return handler

        regie = {
            "id": REGIE,
            "code": "PERI",
            "name": "Régie périscolaire",
            "email": "regie@demo.example",
            "payment_delay_days": 15,
        }
        routes = [
            ("GET", "/regies", lambda r, b: web.json_response({"regies": [regie]})),
            (
                "GET",
                "/campaigns",
                lambda r, b: web.json_response({"campaigns": [campaign(answers.campaign_status)]}),
            ),
            (
                "POST",
                "/campaigns",
                lambda r, b: answers.create or web.json_response(campaign("draft"), status=201),
            ),
            (
                "GET",
                f"/campaigns/{CAMPAIGN}",
                lambda r, b: web.json_response(campaign(answers.campaign_status)),
            ),
            (
                "GET",
                f"/campaigns/{UNKNOWN}",
                lambda r, b: problem(404, "Cette campagne n'existe pas."),
            ),
            (
                "GET",
                f"/campaigns/{CAMPAIGN}/invoices",
                lambda r, b: web.json_response({"invoices": [invoice(answers.campaign_status)]}),
            ),
            (
                "POST",
                f"/campaigns/{CAMPAIGN}/refresh",
                lambda r, b: (
                    web.json_response(campaign("draft"))
                    if answers.refresh_status == 200
                    else problem(409, "Cette campagne n'est plus en brouillon.")
                ),
            ),
            ("DELETE", f"/campaigns/{CAMPAIGN}", lambda r, b: web.Response(status=204)),
            (
                "POST",
                f"/campaigns/{CAMPAIGN}/finalise",
                lambda r, b: (
                    setattr(answers, "campaign_status", "finalised")
                    or web.json_response(campaign("finalised"))
                ),
            ),
            (
                "GET",
                "/overdue-households",
                lambda r, b: web.json_response(
                    {
                        "today": "2026-11-02",
                        "total": 1,
                        "households": [
                            {
                                "household_id": HOUSEHOLD,
                                "payer_name": "Karim Benali",
                                "invoice_count": 1,
                                "amount_due_cents": 4150,
                                "oldest_due_date": "2026-10-16",
                                "days_late": 17,
                                "highest_level": 1,
                                "in_recovery_count": 0,
                                "in_recovery_cents": None,
                            }
                        ],
                    }
                ),
            ),
            (
                "GET",
                "/overdue-invoices",
                lambda r, b: web.json_response(
                    {
                        "today": "2026-11-02",
                        "total": 1,
                        "invoices": [
                            {
                                "invoice_id": INVOICE,
                                "number": "F-PERI-2026-000001",
                                "regie_id": REGIE,
                                "household_id": HOUSEHOLD,
                                "payer_name": "Karim Benali",
                                "issue_date": "2026-10-01",
                                "due_date": "2026-10-16",
                                "days_late": 17,
                                "total_cents": 4150,
                                "amount_due_cents": 4150,
                                "last_reminder_level": 1,
                                "last_reminded_on": "2026-10-26",
                                "in_recovery": False,
                            }
                        ],
                    }
                ),
            ),
            (
                "POST",
                "/reminders/run",
                lambda r, b: web.json_response(
                    {
                        "today": "2026-11-02",
                        "dry_run": b["dry_run"],
                        "count": 1,
                        "reminders": [
                            {
                                "invoice_id": INVOICE,
                                "number": "F-PERI-2026-000001",
                                "regie_id": REGIE,
                                "household_id": HOUSEHOLD,
                                "due_date": "2026-10-16",
                                "level": 2,
                                "last": True,
                                "amount_due_cents": 4150,
                            }
                        ],
                    }
                ),
            ),
            (
                "GET",
                f"/households/{HOUSEHOLD}",
                lambda r, b: web.json_response(
                    {
                        "id": HOUSEHOLD,
                        "subscriber_code": "ABCD-2345",
                        "guardians": [{"first_name": "Karim", "last_name": "Benali"}],
                    }
                ),
            ),
            (
                "GET",
                "/households",
                lambda r, b: web.json_response(
                    {
                        "items": [
                            {
                                "id": HOUSEHOLD,
                                "subscriber_code": "ABCD-2345",
                                "guardians": ["Karim Benali"],
                                "children": ["Léa Benali"],
                            }
                        ],
                        "total": 1,
                        "page": 1,
                        "per_page": 20,
                    }
                ),
            ),
            (
                "GET",
                "/invoices",
                lambda r, b: web.json_response({"invoices": [invoice("finalised")]}),
            ),
            ("POST", "/payments", lambda r, b: (answers.payment or receipt)(b)),
            ("GET", f"/payments/{PAYMENT}", lambda r, b: receipt(None)),
            (
                "POST",
                "/remittances",
                lambda r, b: (
                    web.json_response(remittance(), status=201)
                    if answers.remittable
                    else problem(
                        409, "Aucun paiement de ce mode n'attend d'être remis pour cette régie."
                    )
                ),
            ),
            ("GET", f"/remittances/{REMITTANCE}", lambda r, b: web.json_response(remittance())),
        ]
        for method, path, answer in routes:
            app.router.add_route(method, f"{t}{path}", guarded(answer))

    return add


def receipt(body: dict[str, Any] | None) -> web.Response:
    return web.json_response(receipt_body(), status=201 if body is not None else 200)


def receipt_body() -> dict[str, Any]:
    return {
        "id": PAYMENT,
        "number": "R-PERI-2026-000001",
        "regie_id": REGIE,
        "household_id": HOUSEHOLD,
        "method": "cheque",
        "amount_cents": 4150,
        "credit_cents": 0,
        "received_on": "2026-11-02",
        "reference": {"cheque_number": "1234567", "bank": "Banque Postale"},
        "status": "recorded",
        "payer": {"name": "Karim Benali"},
        "allocations": [
            {
                "invoice_id": INVOICE,
                "number": "F-PERI-2026-000001",
                "amount_cents": 4150,
                "lines": [],
            }
        ],
    }


def remittance() -> dict[str, Any]:
    payment = receipt_body()
    return {
        "id": REMITTANCE,
        "number": "B-PERI-2026-000001",
        "regie_id": REGIE,
        "method": "cheque",
        "total_cents": 4150,
        "payment_count": 1,
        "created_at": "2026-11-02T09:30:00+00:00",
        "payments": [payment],
    }


async def staff_in(portal: TestClient, services: tuple[Services, str]) -> Services:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion/facturation")
    return stand_in


def sent(stand_in: Services, method: str, path_end: str) -> list[Any]:
    return [b for m, path, _, b in stand_in.calls if m == method and path.endswith(path_end)]


async def test_the_home_lists_regies_campaigns_and_the_overdue_count(portal, services):
    await staff_in(portal, services)
    r = await portal.get("/gestion/facturation")
    assert r.status == 200
    html = await r.text()
    assert "<h1>Facturation</h1>" in html and "<title>Facturation –" in html
    assert f'href="/gestion/facturation/campagnes/{CAMPAIGN}"' in html
    assert "Brouillon" in html and "Régie périscolaire (PERI)" in html
    assert "1 foyer en retard" in html
    assert 'href="/gestion/facturation" aria-current="page"' in html


async def test_a_campaign_form_shows_its_errors_by_field_then_billings_conflict(
    portal, services, answers
):
    stand_in = await staff_in(portal, services)
    r = await portal.get("/gestion/facturation")
    token = csrf_of(await r.text())
    r = await portal.post(
        "/gestion/facturation/campagnes",
        data={
            "csrf_token": token,
            "regie_id": REGIE,
            "period_from": "2026-09-30",
            "period_to": "2026-09-01",
        },
    )
    assert r.status == 422
    html = await r.text()
    assert 'id="period_to-erreur">La fin de la période précède son début.' in html
    assert 'aria-invalid="true" aria-describedby="period_to-erreur"' in html
    assert not sent(stand_in, "POST", "/campaigns")
    answers.create = problem(
        409, "Une campagne en brouillon de cette régie couvre déjà une partie de la période."
    )
    form = {
        "csrf_token": token,
        "regie_id": REGIE,
        "period_from": "2026-09-01",
        "period_to": "2026-09-30",
    }
    r = await portal.post("/gestion/facturation/campagnes", data=form)
    assert r.status == 409 and "couvre déjà une partie" in await r.text()
    answers.create = None
    r = await portal.post("/gestion/facturation/campagnes", data=form, allow_redirects=False)
    assert r.status == 303
    assert r.headers["Location"] == f"/gestion/facturation/campagnes/{CAMPAIGN}"
    assert sent(stand_in, "POST", "/campaigns")[-1] == {
        "regie_id": REGIE,
        "period_from": "2026-09-01",
        "period_to": "2026-09-30",
    }


async def test_a_draft_is_reviewed_refreshed_and_finalised_after_confirmation(
    portal, services, answers
):
    stand_in = await staff_in(portal, services)
    page = f"/gestion/facturation/campagnes/{CAMPAIGN}"
    r = await portal.get(page)
    html = await r.text()
    assert r.status == 200
    assert "Étude ce jour-là" in html and "Erreur : non facturé" in html
    assert "41,50" in html and "Brouillon" in html
    token = csrf_of(html)
    r = await portal.post(f"{page}/actualiser", data={"csrf_token": token}, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == f"{page}?actualisee=1"
    answers.refresh_status = 409
    r = await portal.post(f"{page}/actualiser", data={"csrf_token": token})
    assert r.status == 409 and "plus en brouillon" in await r.text()
    r = await portal.get(f"{page}/finaliser")
    html = await r.text()
    assert r.status == 200 and "Confirmer la finalisation" in html
    assert not sent(stand_in, "POST", "/finalise")  # nothing before the confirmation
    r = await portal.post(f"{page}/finaliser", data={"csrf_token": token}, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == f"{page}?finalisee=1"
    r = await portal.get(f"{page}?finalisee=1")
    html = await r.text()
    assert "La campagne est finalisée" in html
    assert f'href="/gestion/facturation/factures/{INVOICE}/pdf"' in html
    assert "F-PERI-2026-000001" in html


async def test_an_unknown_campaign_is_a_french_404(portal, services):
    await staff_in(portal, services)
    r = await portal.get(f"/gestion/facturation/campagnes/{UNKNOWN}")
    assert r.status == 404 and "Page introuvable" in await r.text()
    r = await portal.get("/gestion/facturation/campagnes/pas-un-id")
    assert r.status == 404


async def test_a_counter_payment_with_its_errors_by_field_then_its_receipt(
    portal, services, answers
):
    stand_in = await staff_in(portal, services)
    r = await portal.get("/gestion/facturation/paiements/nouveau", params={"recherche": "léa"})
    html = await r.text()
    assert f'href="/gestion/facturation/paiements/nouveau?foyer={HOUSEHOLD}"' in html
    r = await portal.get("/gestion/facturation/paiements/nouveau", params={"foyer": HOUSEHOLD})
    html = await r.text()
    assert r.status == 200 and "Foyer de Karim Benali" in html
    assert f'value="{INVOICE}"' in html and "reste 41,50" in html
    token = csrf_of(html)
    form = {
        "csrf_token": token,
        "household_id": HOUSEHOLD,
        "regie_id": REGIE,
        "method": "cheque",
        "amount": "41,50",
        "invoice_ids": INVOICE,
        "cheque_number": "1234567",
        "bank": "",
    }
    r = await portal.post("/gestion/facturation/paiements", data=form)
    assert r.status == 422
    html = await r.text()
    assert 'id="bank-erreur">Indiquez la banque du chèque.' in html
    assert 'value="1234567"' in html  # what was typed stays
    assert not sent(stand_in, "POST", "/payments")
    answers.payment = lambda body: problem(
        422,
        "Certaines informations sont manquantes ou incorrectes : reference.bank.",
        errors=[{"field": "reference.bank", "detail": "Longueur maximale : 100 caractères."}],
    )
    r = await portal.post("/gestion/facturation/paiements", data={**form, "bank": "B" * 120})
    assert r.status == 422
    assert 'id="bank-erreur">Longueur maximale : 100 caractères.' in await r.text()
    answers.payment = None
    r = await portal.post(
        "/gestion/facturation/paiements",
        data={**form, "bank": "Banque Postale"},
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == f"/gestion/facturation/paiements/{PAYMENT}"
    assert sent(stand_in, "POST", "/payments")[-1] == {
        "regie_id": REGIE,
        "household_id": HOUSEHOLD,
        "method": "cheque",
        "amount_cents": 4150,
        "invoice_ids": [INVOICE],
        "reference": {"cheque_number": "1234567", "bank": "Banque Postale"},
    }
    r = await portal.get(f"/gestion/facturation/paiements/{PAYMENT}")
    html = await r.text()
    assert r.status == 200 and "<h1>Reçu R-PERI-2026-000001</h1>" in html
    assert f'href="/gestion/facturation/paiements/{PAYMENT}/pdf"' in html
    assert "n° 1234567, Banque Postale" in html


async def test_overdue_households_and_the_reminders_after_confirmation(portal, services):
    stand_in = await staff_in(portal, services)
    r = await portal.get("/gestion/facturation/impayes")
    html = await r.text()
    assert r.status == 200 and "Karim Benali" in html and "1re relance" in html
    assert "17 jours de retard" in html
    r = await portal.get("/gestion/facturation/impayes/relances")
    html = await r.text()
    assert "Confirmer l'envoi des relances" in html and "2e relance (dernière)" in html
    assert sent(stand_in, "POST", "/reminders/run") == [{"dry_run": True}]
    r = await portal.post(
        "/gestion/facturation/impayes/relances",
        data={"csrf_token": csrf_of(html)},
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == "/gestion/facturation/impayes?relances=1"
    assert sent(stand_in, "POST", "/reminders/run")[-1] == {"dry_run": False}
    r = await portal.get("/gestion/facturation/impayes?relances=1")
    assert "1 relance envoyée." in await r.text()


async def test_a_post_without_csrf_is_refused(portal, services):
    stand_in = await staff_in(portal, services)
    r = await portal.post(f"/gestion/facturation/campagnes/{CAMPAIGN}/finaliser", data={})
    assert r.status == 403 and "Action refusée" in await r.text()
    assert not sent(stand_in, "POST", "/finalise")


async def test_families_and_visitors_may_not_enter(portal, services):
    r = await portal.get("/gestion/facturation", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"].startswith("/connexion?suite=")
    await log_in(portal)
    for path in (
        "/gestion/facturation",
        f"/gestion/facturation/campagnes/{CAMPAIGN}",
        "/gestion/facturation/paiements/nouveau",
        "/gestion/facturation/impayes",
    ):
        r = await portal.get(path, allow_redirects=False)
        assert r.status == 403 and "réservée aux agents" in await r.text(), path


async def test_a_remittance_slip_or_why_there_is_none(portal, services, answers):
    stand_in = await staff_in(portal, services)
    r = await portal.get("/gestion/facturation")
    token = csrf_of(await r.text())
    r = await portal.post(
        "/gestion/facturation/remises", data={"csrf_token": token, "regie_id": "", "method": "x"}
    )
    html = await r.text()
    assert r.status == 422 and 'id="remise_regie-erreur">Choisissez la régie.' in html
    assert 'id="remise_method-erreur">' in html
    answers.remittable = False
    form = {"csrf_token": token, "regie_id": REGIE, "method": "cheque"}
    r = await portal.post("/gestion/facturation/remises", data=form)
    assert r.status == 409 and "attend d&#39;être remis" in await r.text()
    answers.remittable = True
    r = await portal.post("/gestion/facturation/remises", data=form, allow_redirects=False)
    assert r.status == 303
    assert r.headers["Location"] == f"/gestion/facturation/remises/{REMITTANCE}"
    assert sent(stand_in, "POST", "/remittances")[-1] == {"regie_id": REGIE, "method": "cheque"}
    r = await portal.get(r.headers["Location"])
    html = await r.text()
    assert r.status == 200 and "<h1>Bordereau de remise B-PERI-2026-000001</h1>" in html
    assert f'href="/gestion/facturation/remises/{REMITTANCE}/csv"' in html
    assert "Chèque n° 1234567, Banque Postale" in html


async def test_a_draft_is_cancelled_after_its_confirmation(portal, services):
    stand_in = await staff_in(portal, services)
    page = f"/gestion/facturation/campagnes/{CAMPAIGN}"
    r = await portal.get(f"{page}/annuler")
    html = await r.text()
    assert r.status == 200 and "Confirmer l'annulation du brouillon" in html
    assert "<title>Annuler le brouillon de la campagne du" in html
    assert not [c for c in stand_in.calls if c[0] == "DELETE"]
    r = await portal.post(
        f"{page}/annuler", data={"csrf_token": csrf_of(html)}, allow_redirects=False
    )
    assert r.status == 303 and r.headers["Location"] == "/gestion/facturation?brouillon-annule=1"
    assert [c[1] for c in stand_in.calls if c[0] == "DELETE"] == [
        f"/tenants/demo/campaigns/{CAMPAIGN}"
    ]
    r = await portal.get(r.headers["Location"])
    assert "Le brouillon est annulé" in await r.text()

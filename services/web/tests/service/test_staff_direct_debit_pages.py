"""The direct-debit back-office and the certificates over HTTP (billing and family stood in):
a régie's mandates (filtered, searched), batches and the next batch's form (errors by field,
billing's refusal said); a batch's lines, its pain.008 file passed on as XML; a rejection by
hand (errors by field, the suspended mandate said) and a bank's file imported as its raw
body; a household's certificates as PDFs, or why there is none; CSRF, families refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

REGIE = "6f1b2a43-9a8e-4a51-9f0c-6f1b1b1b1b1b"
OTHER_REGIE = "6f1b2a43-9a8e-4a51-9f0c-6f1b1b1b1b1c"
BATCH = "7a7a7a7a-0000-4000-8000-000000000001"
UNKNOWN = "7a7a7a7a-0000-4000-8000-0000000000ff"
ITEM = "8c8c8c8c-0000-4000-8000-000000000001"
MANDATE = "9d9d9d9d-0000-4000-8000-000000000001"
OTHER_MANDATE = "9d9d9d9d-0000-4000-8000-000000000002"
HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000001"
OTHER_HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000002"
CHILD = "1a1a1a1a-0000-4000-8000-000000000001"
INVOICE = "5b0d6a43-9a8e-4a51-9f0c-6f1b1b1b1b1c"
PAIN008 = b'<?xml version="1.0"?><Document><CtrlSum>41.50</CtrlSum></Document>'
PDF = b"%PDF-1.7 attestation"


class Answers:
    def __init__(self) -> None:
        self.batch_status = 201
        self.item_status = "collected"
        self.rejections = 1
        self.imported: list[tuple[str, bytes]] = []  # content type, body
        self.certificate_status = 200


@pytest.fixture
def answers() -> Answers:
    return Answers()


def mandate(
    mandate_id: str = MANDATE, holder: str = "Karim Benali", household: str = HOUSEHOLD
) -> dict[str, Any]:
    return {
        "id": mandate_id,
        "regie_id": REGIE,
        "regie_name": "Régie périscolaire",
        "household_id": household,
        "payer_id": household,
        "rum": f"RUM-{mandate_id[-4:]}",
        "holder": holder,
        "iban_masked": "FR76 **** **** **** **** ***0 189",
        "status": "active",
        "signed_on": "2026-09-01",
        "rejections": 0,
        "created_at": "2026-09-01T08:00:00+00:00",
    }


def item(status: str) -> dict[str, Any]:
    rejected = status == "rejected"
    return {
        "id": ITEM,
        "batch_id": BATCH,
        "batch_number": "P-PERI-2026-000001",
        "position": 1,
        "collection_date": "2026-12-10",
        "invoice_id": INVOICE,
        "invoice_number": "F-PERI-2026-000001",
        "household_id": HOUSEHOLD,
        "payer_id": HOUSEHOLD,
        "mandate_id": MANDATE,
        "rum": "RUM-0001",
        "holder": "Karim Benali",
        "iban_masked": "FR76 **** 0189",
        "end_to_end_id": "E2E-0001",
        "sequence_type": "FRST",
        "amount_cents": 4150,
        "payment_id": "2b2b2b2b-0000-4000-8000-000000000001",
        "status": status,
        "reason_code": "AM04" if rejected else None,
        "reason_label": "Provision insuffisante" if rejected else None,
        "rejected_at": "2026-12-12T09:00:00+00:00" if rejected else None,
    }


def batch(answers: Answers) -> dict[str, Any]:
    rejected = answers.item_status == "rejected"
    return {
        "id": BATCH,
        "regie_id": REGIE,
        "regie_name": "Régie périscolaire",
        "number": "P-PERI-2026-000001",
        "collection_date": "2026-12-10",
        "item_count": 1,
        "total_cents": 4150,
        "rejected_count": 1 if rejected else 0,
        "rejected_cents": 4150 if rejected else 0,
        "message_id": "MSG-0001",
        "created_by": "3c3c3c3c-0000-4000-8000-000000000001",
        "created_at": "2026-12-01T09:00:00+00:00",
        "items": [item(answers.item_status)],
    }


@pytest.fixture
def stand_in_routes(answers: Answers) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        async def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if request.path.endswith("/import"):
                raw = await request.read()
                answers.imported.append((request.content_type, raw))
                body: Any = raw
            else:
                body = await request.json() if request.can_read_body else dict(request.query)
            services.calls.append((request.method, request.path, header, body))
            return header in services.valid_access

        def guarded(
            answer: Callable[[web.Request, Any], web.StreamResponse],
        ) -> Callable[[web.Request], Any]:
            async def handler(request: web.Request) -> web.StreamResponse:
                if not await allowed(request):
                    return problem(401, "Jeton invalide.")
                return answer(request, services.calls[-1][3])

            return handler

        def mandates(request: web.Request, body: Any) -> web.Response:
            found = [mandate(), mandate(OTHER_MANDATE, "Julie Martin", OTHER_HOUSEHOLD)]
            if body.get("status") == "suspended":
                found = []
            return web.json_response({"mandates": found})

        def run_batch(request: web.Request, body: Any) -> web.Response:
            if answers.batch_status == 422:
                return problem(
                    422,
                    "La date est trop proche.",
                    errors=[
                        {
                            "field": "collection_date",
                            "detail": "Au plus tôt le 10 décembre 2026 (préavis).",
                        }
                    ],
                )
            if answers.batch_status == 409:
                return problem(409, "Aucune facture à prélever à cette date.")
            return web.json_response(batch(answers), status=answers.batch_status)

        def reject(request: web.Request, body: Any) -> web.Response:
            answers.item_status = "rejected"
            suspended = answers.rejections >= 2
            return web.json_response(
                {
                    "applied": True,
                    "item": item("rejected"),
                    "mandate": {
                        **mandate(),
                        "rejections": answers.rejections,
                        "status": "suspended" if suspended else "active",
                    },
                }
            )

        def imported(request: web.Request, body: Any) -> web.Response:
            if b"<" not in body and b"reason_code" not in body:
                return problem(422, "Colonnes attendues : end_to_end_id et reason_code.")
            return web.json_response(
                {"applied": [item("rejected")], "already_rejected": [], "unmatched": ["E2E-X"]}
            )

        def certificate(request: web.Request, body: Any) -> web.Response:
            if answers.certificate_status == 404:
                return problem(404, "Aucune facture n'a été émise sur la période.")
            return web.Response(
                body=PDF,
                content_type="application/pdf",
                headers={"Content-Disposition": 'attachment; filename="attestation.pdf"'},
            )

        routes: list[tuple[str, str, Callable[[web.Request, Any], web.StreamResponse]]] = [
            (
                "GET",
                "/billing/direct-debit-regies",
                lambda r, b: web.json_response(
                    {
                        "regies": [
                            {
                                "regie_id": REGIE,
                                "regie_name": "Régie périscolaire",
                                "creditor_name": "Ville de Démo",
                                "prenotification_days": 5,
                            },
                            {
                                "regie_id": OTHER_REGIE,
                                "regie_name": "Régie restauration",
                                "creditor_name": "Ville de Démo",
                                "prenotification_days": 5,
                            },
                        ]
                    }
                ),
            ),
            (
                "GET",
                f"/regies/{REGIE}/direct-debit",
                lambda r, b: web.json_response(
                    {
                        "regie_id": REGIE,
                        "creditor_id": "FR72ZZZ123456",
                        "creditor_name": "Ville de Démo",
                        "iban_masked": "FR76 **** 5605",
                        "prenotification_days": 5,
                        "earliest_collection_date": "2026-12-10",
                    }
                ),
            ),
            (
                "GET",
                f"/regies/{OTHER_REGIE}/direct-debit",
                lambda r, b: problem(409, "La régie ne prélève pas."),
            ),
            (
                "GET",
                "/direct-debit-batches",
                lambda r, b: web.json_response(
                    {"batches": [batch(answers)] if b.get("regie_id") == REGIE else []}
                ),
            ),
            ("POST", f"/regies/{REGIE}/direct-debit-batches", run_batch),
            ("GET", "/mandates", mandates),
            ("GET", f"/mandates/{MANDATE}", lambda r, b: web.json_response(mandate())),
            (
                "GET",
                f"/direct-debit-batches/{BATCH}",
                lambda r, b: web.json_response(batch(answers)),
            ),
            (
                "GET",
                f"/direct-debit-batches/{UNKNOWN}",
                lambda r, b: problem(404, "Ce lot n'existe pas."),
            ),
            (
                "GET",
                f"/direct-debit-batches/{BATCH}/pain008",
                lambda r, b: web.Response(
                    body=PAIN008,
                    content_type="application/xml",
                    headers={
                        "Content-Disposition": 'attachment; filename="P-PERI-2026-000001.xml"'
                    },
                ),
            ),
            ("POST", "/direct-debit-rejections", reject),
            ("POST", "/direct-debit-rejections/import", imported),
            (
                "GET",
                "/households",
                lambda r, b: web.json_response(
                    {"items": [{"id": HOUSEHOLD}] if b.get("q") == "ABCD" else [], "total": 1}
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
                        "children": [{"id": CHILD, "first_name": "Léa", "last_name": "Benali"}],
                    }
                ),
            ),
            *(
                ("GET", f"/billing/households/{HOUSEHOLD}/certificates/{kind}", certificate)
                for kind in ("attendance", "childcare", "payments")
            ),
        ]
        for method, path, answer in routes:
            app.router.add_route(method, f"{t}{path}", guarded(answer))

    return add


async def staff_in(portal: TestClient, services: tuple[Services, str]) -> Services:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion/facturation/prelevements")
    return stand_in


def sent(stand_in: Services, method: str, path_end: str) -> list[Any]:
    return [b for m, path, _, b in stand_in.calls if m == method and path.endswith(path_end)]


HOME = "/gestion/facturation/prelevements"


async def test_the_home_shows_a_regies_batches_mandates_and_the_next_batch(portal, services):
    stand_in = await staff_in(portal, services)
    r = await portal.get(HOME)
    assert r.status == 200
    html = await r.text()
    assert "<h1>Prélèvements SEPA : Régie périscolaire</h1>" in html
    assert f'href="{HOME}/lots/{BATCH}">P-PERI-2026-000001</a>' in html
    assert "41,50" in html and "Transmis à la banque" in html
    assert "Karim Benali" in html and "Julie Martin" in html and "2 mandats." in html
    # The next batch's date: the earliest billing allows, said beside the field.
    assert 'value="2026-12-10"' in html and "Au plus tôt le jeudi 10 décembre 2026" in html
    assert "Régie restauration</option>" in html  # two régies collect: a choice
    # Billing's lists asked for this régie only.
    assert sent(stand_in, "GET", "/mandates")[-1]["regie_id"] == REGIE
    # The link from the billing home.
    r = await portal.get("/gestion/facturation")
    assert f'href="{HOME}"' in await r.text()


async def test_mandates_are_filtered_and_searched_by_holder_or_household(portal, services):
    stand_in = await staff_in(portal, services)
    r = await portal.get(f"{HOME}?regie={REGIE}&recherche=julie")
    html = await r.text()
    assert "Julie Martin" in html and "Karim Benali" not in html
    assert "1 mandat pour « julie »." in html
    # A subscriber code: the family service finds the household, its mandate is kept.
    r = await portal.get(f"{HOME}?regie={REGIE}&recherche=ABCD")
    html = await r.text()
    assert "Karim Benali" in html and "Julie Martin" not in html
    r = await portal.get(f"{HOME}?regie={REGIE}&statut=suspended")
    assert "0 mandat (suspendus)." in await r.text()
    assert sent(stand_in, "GET", "/mandates")[-1]["status"] == "suspended"


async def test_a_regie_without_settings_still_shows_its_page(portal, services):
    await staff_in(portal, services)
    r = await portal.get(f"{HOME}?regie={OTHER_REGIE}")
    assert r.status == 200
    html = await r.text()
    assert "<h1>Prélèvements SEPA : Régie restauration</h1>" in html
    assert "ne peuvent pas être lues" in html and "Aucun lot" in html


async def test_a_batch_form_shows_its_errors_by_field_then_billings_refusals(
    portal, services, answers
):
    stand_in = await staff_in(portal, services)
    r = await portal.get(HOME)
    csrf = csrf_of(await r.text())
    data = {"csrf_token": csrf, "regie_id": REGIE, "collection_date": "2020-01-06"}
    r = await portal.post(f"{HOME}/lots", data=data)
    assert r.status == 422
    html = await r.text()
    assert "Le lot n&#39;a pas été préparé" in html and 'aria-invalid="true"' in html
    assert "doit être dans le futur" in html
    assert not sent(stand_in, "POST", "/direct-debit-batches")

    answers.batch_status = 422
    data["collection_date"] = "2099-01-05"
    r = await portal.post(f"{HOME}/lots", data=data)
    assert r.status == 422
    html = await r.text()
    assert "Au plus tôt le 10 décembre 2026 (préavis)." in html
    assert 'id="collection_date-erreur"' in html

    answers.batch_status = 409
    r = await portal.post(f"{HOME}/lots", data=data)
    assert r.status == 409 and "Aucune facture à prélever à cette date." in await r.text()

    answers.batch_status = 201
    r = await portal.post(f"{HOME}/lots", data=data, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == f"{HOME}/lots/{BATCH}?lot-prepare=1"
    assert sent(stand_in, "POST", "/direct-debit-batches")[-1] == {"collection_date": "2099-01-05"}
    answers.batch_status = 200
    r = await portal.post(f"{HOME}/lots", data=data, allow_redirects=False)
    assert r.headers["Location"] == f"{HOME}/lots/{BATCH}?rien-de-nouveau=1"


async def test_a_batch_page_lists_its_debits_and_passes_its_file_on(portal, services):
    await staff_in(portal, services)
    r = await portal.get(f"{HOME}/lots/{BATCH}?lot-prepare=1")
    assert r.status == 200
    html = await r.text()
    assert "<h1>Lot de prélèvements P-PERI-2026-000001</h1>" in html
    assert "Le lot est préparé" in html
    assert "F-PERI-2026-000001" in html and "Premier" in html and "Prélevé" in html
    assert f'href="{HOME}/lots/{BATCH}/pain008"' in html
    r = await portal.get(f"{HOME}/lots/{BATCH}/pain008")
    assert r.status == 200 and await r.read() == PAIN008
    assert r.headers["Content-Type"] == "application/xml"
    assert r.headers["Content-Disposition"] == 'attachment; filename="P-PERI-2026-000001.xml"'
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r = await portal.get(f"{HOME}/lots/{UNKNOWN}")
    assert r.status == 404 and "introuvable" in (await r.text()).lower()
    r = await portal.get(f"{HOME}/lots/{UNKNOWN}/pain008")
    assert r.status == 404


async def test_a_rejection_by_hand_then_the_suspended_mandate(portal, services, answers):
    stand_in = await staff_in(portal, services)
    r = await portal.get(f"{HOME}/lots/{BATCH}")
    csrf = csrf_of(await r.text())
    r = await portal.post(
        f"{HOME}/lots/{BATCH}/rejets", data={"csrf_token": csrf, "item_id": ITEM, "reason_code": ""}
    )
    assert r.status == 422
    html = await r.text()
    assert "Choisissez le motif du rejet" in html and 'id="reason_code-erreur"' in html
    assert not sent(stand_in, "POST", "/direct-debit-rejections")

    answers.rejections = 2
    r = await portal.post(
        f"{HOME}/lots/{BATCH}/rejets",
        data={"csrf_token": csrf, "item_id": ITEM, "reason_code": "am04"},
    )
    assert r.status == 200
    html = await r.text()
    assert sent(stand_in, "POST", "/direct-debit-rejections")[-1] == {
        "item_id": ITEM,
        "reason_code": "AM04",
    }
    assert "1 rejet appliqué" in html and "Factures de nouveau à payer" in html
    assert "AM04 : Provision insuffisante" in html
    assert "Mandats suspendus" in html and "Suspendu" in html
    # The batch now says it, and offers nothing more to reject.
    r = await portal.get(f"{HOME}/lots/{BATCH}")
    html = await r.text()
    assert "Rejeté" in html and "Tous les prélèvements du lot sont déjà rejetés." in html


async def test_a_banks_file_is_imported_as_its_raw_body(portal, services, answers):
    await staff_in(portal, services)
    r = await portal.get(HOME)
    csrf = csrf_of(await r.text())
    r = await portal.post(f"{HOME}/rejets/import", data={"csrf_token": csrf, "regie_id": REGIE})
    assert r.status == 422 and "Choisissez le fichier des rejets" in await r.text()

    report = (
        b'<?xml version="1.0"?><Document><OrgnlEndToEndId>E2E-0001</OrgnlEndToEndId></Document>'
    )
    form = {"csrf_token": csrf, "regie_id": REGIE}
    r = await portal.post(
        f"{HOME}/rejets/import",
        data=_multipart(form, report, "rejets.xml"),
    )
    assert r.status == 200, await r.text()
    html = await r.text()
    assert answers.imported[-1] == ("application/xml", report)
    assert "1 rejet appliqué" in html and "1 référence sans prélèvement" in html
    assert "E2E-X" in html

    r = await portal.post(f"{HOME}/rejets/import", data=_multipart(form, b"a;b\n1;2\n", "x.csv"))
    assert r.status == 422
    assert "Colonnes attendues" in await r.text()
    assert answers.imported[-1][0] == "text/csv"


def _multipart(fields: dict[str, str], content: bytes, filename: str) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for name, value in fields.items():
        data.add_field(name, value)
    data.add_field("file", content, filename=filename, content_type="application/octet-stream")
    return data


async def test_certificates_are_passed_on_as_pdfs_or_say_why_not(portal, services, answers):
    stand_in = await staff_in(portal, services)
    base = f"/gestion/foyers/{HOUSEHOLD}/attestations"
    r = await portal.get(base)
    assert r.status == 200
    html = await r.text()
    assert "<h1>Attestations du foyer de Karim Benali</h1>" in html
    assert f'action="{base}/frais-de-garde"' in html and "Léa Benali" in html

    r = await portal.get(f"{base}/frais-de-garde?annee=2025")
    assert r.status == 200 and await r.read() == PDF
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"] == 'attachment; filename="attestation.pdf"'
    assert sent(stand_in, "GET", "/certificates/childcare")[-1] == {"year": "2025"}

    r = await portal.get(f"{base}/presence?annee=2025&enfant={CHILD}")
    assert r.status == 200
    assert sent(stand_in, "GET", "/certificates/attendance")[-1] == {
        "from": "2025-01-01",
        "to": "2025-12-31",
        "child_id": CHILD,
    }
    r = await portal.get(f"{base}/paiements?annee=2025")
    assert r.status == 200
    assert sent(stand_in, "GET", "/certificates/payments")[-1] == {
        "from": "2025-01-01",
        "to": "2025-12-31",
    }

    r = await portal.get(f"{base}/presence?annee=25")
    assert r.status == 422
    html = await r.text()
    assert "Indiquez l&#39;année" in html and "Choisissez l&#39;enfant." in html

    answers.certificate_status = 404
    r = await portal.get(f"{base}/paiements?annee=2024")
    assert r.status == 404
    assert "Aucune facture n&#39;a été émise sur la période." in await r.text()


async def test_a_post_without_csrf_is_refused(portal, services):
    stand_in = await staff_in(portal, services)
    r = await portal.post(f"{HOME}/lots", data={"regie_id": REGIE, "collection_date": "2099-01-05"})
    assert r.status == 403 and "Action refusée" in await r.text()
    assert not sent(stand_in, "POST", "/direct-debit-batches")


async def test_families_and_visitors_may_not_enter(portal, services):
    r = await portal.get(HOME, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"].startswith("/connexion?suite=")
    await log_in(portal)
    for path in (
        HOME,
        f"{HOME}/lots/{BATCH}",
        f"{HOME}/lots/{BATCH}/pain008",
        f"/gestion/foyers/{HOUSEHOLD}/attestations",
        f"/gestion/foyers/{HOUSEHOLD}/attestations/paiements?annee=2025",
    ):
        r = await portal.get(path, allow_redirects=False)
        assert r.status == 403 and "réservée aux agents" in await r.text(), path

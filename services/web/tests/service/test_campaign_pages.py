"""Enrollment campaigns and renewals for families over HTTP (booking and family stood in):
the campaigns listed on /inscriptions, a child enrolled in several activities at once and
each activity's answer, the errors by field, the closed window; the yearly file check, then
each renewal confirmed or declined with booking's refusals next to it; the town's documents
in force for the campaign's activities on both pages (notify stood in); the home page's
notice; CSRF on every form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import pytest
from aiohttp import web

from ..conftest import Services, csrf_of, log_in, problem

LEO = "11111111-1111-4111-8111-111111111111"
ZOE = "22222222-2222-4222-8222-222222222222"
HOUSEHOLD = "dddddddd-0000-4000-8000-000000000001"
OPEN = "cccccccc-0000-4000-8000-000000000001"
UPCOMING = "cccccccc-0000-4000-8000-000000000002"
CLOSED = "cccccccc-0000-4000-8000-000000000003"
PERI = "aaaaaaaa-0000-4000-8000-000000000001"
CANTINE = "aaaaaaaa-0000-4000-8000-000000000002"
ETUDE = "aaaaaaaa-0000-4000-8000-000000000003"
R_PERI = "eeeeeeee-0000-4000-8000-000000000001"
R_ETUDE = "eeeeeeee-0000-4000-8000-000000000002"
RULES = "dddddddd-1111-4000-8000-000000000001"
MENU_FORM = "dddddddd-1111-4000-8000-000000000002"
OLD_RULES = "dddddddd-1111-4000-8000-000000000003"
STUDY_RULES = "dddddddd-1111-4000-8000-000000000004"


def an_activity(id: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "name": name,
        "type": "PERI",
        "site": "École du Centre",
        "period_from": "2027-09-02",
        "period_to": "2028-07-03",
        "min_age": None,
        "max_age": None,
        "grades": None,
        "required_documents": [],
        "requires_approval": False,
        **extra,
    }


def a_campaign(id: str, state: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "name": "Périscolaire 2027-2028",
        "school_year": "2027-2028",
        "opens_on": "2027-06-01",
        "closes_on": "2027-07-15",
        "description": "Cantine, accueil du matin et du soir.",
        "state": state,
        "previous_campaign_id": "cccccccc-0000-4000-8000-000000000009",
        "activities": [
            an_activity(PERI, "Accueil du soir 2027-2028", grades=["CP", "CE1", "CE2"]),
            an_activity(
                CANTINE,
                "Cantine 2027-2028",
                type="CANTINE",
                required_documents=["assurance"],
                requires_approval=True,
            ),
        ],
        "counts": None,
        **extra,
    }


def a_town_document(
    id: str, title: str, category: str, activity_ids: list[str], **extra: Any
) -> dict[str, Any]:
    """notify's town document as its list gives it."""
    return {
        "id": id,
        "title": title,
        "category": category,
        "description": None,
        "filename": "document.pdf",
        "content_type": "application/pdf",
        "size": 2048,
        "sha256": "x",
        "version": 1,
        "valid_from": None,
        "valid_until": None,
        "published": True,
        "position": 0,
        "state": "in_force",
        "activity_ids": activity_ids,
        "page_slugs": [],
        "created_at": "2027-05-01T08:00:00+00:00",
        "updated_at": "2027-05-01T08:00:00+00:00",
        **extra,
    }


def a_renewal(id: str, activity_id: str, name: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "campaign_id": OPEN,
        "household_id": HOUSEHOLD,
        "child_id": LEO,
        "child_first_name": "Léo",
        "child_last_name": "Durand",
        "from_activity_id": "aaaaaaaa-0000-4000-8000-0000000000f1",
        "from_activity_name": name.replace("2027-2028", "2026-2027"),
        "activity_id": activity_id,
        "activity_name": name,
        "next_grade": "CM1",
        "status": status,
        "reason": None,
        "enrollment_id": None,
        "answered_at": None,
        "file_checked": False,
        **extra,
    }


@dataclass
class Booking:
    """What the stand-in of booking and family answers; what it was sent."""

    campaigns: list[dict[str, Any]] = field(default_factory=list)
    renewals: list[dict[str, Any]] = field(default_factory=list)
    checked: dict[str, Any] | None = None
    enroll_answer: tuple[int, dict[str, Any]] | None = None
    answer_answer: tuple[int, dict[str, Any]] | None = None
    town_documents: list[dict[str, Any]] = field(default_factory=list)  # notify's, all states
    sent: list[tuple[str, str, Any]] = field(default_factory=list)


@pytest.fixture
def booking() -> Booking:
    return Booking(
        campaigns=[
            a_campaign(OPEN, "open"),
            a_campaign(
                UPCOMING,
                "upcoming",
                name="Vacances d'été 2027",
                opens_on="2027-09-01",
                previous_campaign_id=None,
            ),
            a_campaign(CLOSED, "closed", name="Mercredis 2026-2027"),
        ],
        renewals=[
            a_renewal(R_PERI, PERI, "Accueil du soir 2027-2028", "proposed"),
            a_renewal(
                R_ETUDE,
                ETUDE,
                "Étude 2027-2028",
                "ineligible",
                reason="Cette activité est réservée aux classes CP, CE1, CE2.",
            ),
        ],
    )


@pytest.fixture
def stand_in_routes(booking: Booking) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return header in services.valid_access

        async def household(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            contact = {
                "id": "x",
                "child_id": LEO,
                "first_name": "Jeanne",
                "last_name": "Martin",
                "phone": "06 11 22 33 44",
                "relationship": "Grand-mère",
            }
            return web.json_response(
                {
                    "id": HOUSEHOLD,
                    "guardians": [
                        {
                            "id": "g1",
                            "first_name": "Marie",
                            "last_name": "Durand",
                            "email": "marie@example.org",
                            "phones": ["06 00 00 00 01"],
                        }
                    ],
                    "children": [
                        {
                            "id": LEO,
                            "first_name": "Léo",
                            "last_name": "Durand",
                            "birth_date": "2018-05-03",
                            "grade": "CE2",
                            "contacts": [contact],
                        },
                        {
                            "id": ZOE,
                            "first_name": "Zoé",
                            "last_name": "Durand",
                            "birth_date": "2021-02-01",
                            "grade": "PS",
                            "contacts": [],
                        },
                    ],
                }
            )

        async def campaigns(request: web.Request) -> web.Response:
            booking.sent.append(("GET", request.path, None))
            return web.json_response({"items": booking.campaigns})

        async def campaign(request: web.Request) -> web.Response:
            found = [c for c in booking.campaigns if c["id"] == request.match_info["id"]]
            if not found:
                return problem(404, "Cette campagne n'existe pas.")
            return web.json_response(found[0])

        async def activities(request: web.Request) -> web.Response:
            items = [
                {**a, "weekdays": [1, 2, 4, 5], "booking_mode": "free", "eligible": True}
                for a in booking.campaigns[0]["activities"]
            ]
            if request.query.get("child_id") == ZOE:  # in PS: not for the evening care
                items[0] = {
                    **items[0],
                    "eligible": False,
                    "ineligibility_reason": "Cette activité est réservée aux classes CP, CE1, CE2.",
                }
            return web.json_response({"items": items})

        async def enroll(request: web.Request) -> web.Response:
            body = await request.json()
            booking.sent.append(("POST", request.path, body))
            if booking.enroll_answer is not None:
                status, answer = booking.enroll_answer
                return problem(status, **answer)
            items = [
                {
                    "activity_id": PERI,
                    "outcome": "approved",
                    "enrollment": {"id": "e1", "status": "approved"},
                    "problem": None,
                },
                {
                    "activity_id": CANTINE,
                    "outcome": "refused",
                    "enrollment": None,
                    "problem": {
                        "code": "missing-documents",
                        "detail": "Document manquant : assurance.",
                        "missing_documents": ["assurance"],
                    },
                },
            ]
            return web.json_response({"items": items[: len(body["lines"])]})

        async def document_types(request: web.Request) -> web.Response:
            return web.json_response(
                {"items": [{"code": "assurance", "label": "Attestation d'assurance"}]}
            )

        async def documents(request: web.Request) -> web.Response:
            return web.json_response(
                {
                    "items": [
                        {
                            "id": "d1",
                            "document_type": "assurance",
                            "document_label": "Attestation d'assurance",
                            "member_id": LEO,
                            "status": "validated",
                            "valid_until": "2027-08-31",
                            "uploaded_at": "2026-09-01T08:00:00+00:00",
                        }
                    ]
                }
            )

        async def renewals(request: web.Request) -> web.Response:
            booking.sent.append(("GET", request.path, None))
            return web.json_response({"items": booking.renewals})

        async def file_check(request: web.Request) -> web.Response:
            if request.method == "POST":
                booking.sent.append(("POST", request.path, None))
                booking.checked = {
                    "household_id": HOUSEHOLD,
                    "checked_at": "2027-06-10T08:00:00+00:00",
                    "checked_by": "a1",
                }
            if booking.checked is None:
                return problem(404, "Le dossier n'est pas encore vérifié.")
            return web.json_response(booking.checked)

        async def answer(request: web.Request) -> web.Response:
            body = await request.json()
            booking.sent.append(("POST", request.path, body))
            if booking.answer_answer is not None:
                status, said = booking.answer_answer
                return problem(status, **said)
            found = next(r for r in booking.renewals if r["id"] == request.match_info["id"])
            found["status"] = "confirmed" if body["answer"] == "confirm" else "declined"
            found["answered_at"] = "2027-06-10T09:00:00+00:00"
            return web.json_response({"renewal": found, "enrollment": None})

        async def town_documents(request: web.Request) -> web.Response:
            # notify's contract: families get those in force, `activity_id`: linked there.
            query = dict(request.query)
            booking.sent.append(("GET", request.path, query))
            items = [
                d
                for d in booking.town_documents
                if d["state"] == "in_force"
                and ("activity_id" not in query or query["activity_id"] in d["activity_ids"])
            ]
            return web.json_response({"items": items})

        app.router.add_get(f"{t}/me/household", household)
        app.router.add_get(f"{t}/town-documents", town_documents)
        app.router.add_get(f"{t}/me/household/documents", documents)
        app.router.add_get(f"{t}/document-types", document_types)
        app.router.add_get(f"{t}/campaigns", campaigns)
        app.router.add_get(f"{t}/campaigns/{{id}}", campaign)
        app.router.add_post(f"{t}/campaigns/{{id}}/enrollments", enroll)
        app.router.add_get(f"{t}/campaigns/{{id}}/renewals", renewals)
        app.router.add_route("*", f"{t}/campaigns/{{id}}/file-check", file_check)
        app.router.add_post(f"{t}/renewals/{{id}}/answer", answer)
        app.router.add_get(f"{t}/activities", activities)

    return add


def sent_posts(booking: Booking) -> list[tuple[str, str, Any]]:
    return [s for s in booking.sent if s[0] == "POST"]


async def test_the_enrollments_page_lists_open_and_upcoming_campaigns(portal, booking):
    await log_in(portal)
    html = unescape(await (await portal.get("/inscriptions")).text())
    assert "Campagnes d'inscription</h2>" in html
    assert "Ouvertes jusqu'au 15 juillet 2027" in html
    assert "Ouverture le 1er septembre 2027" in html
    assert "Mercredis 2026-2027" not in html  # closed: not shown
    assert f'href="/inscriptions/campagnes/{OPEN}"' in html
    assert f'href="/inscriptions/renouvellement/{OPEN}"' in html
    assert f'href="/inscriptions/renouvellement/{UPCOMING}"' not in html


async def test_a_child_enrolled_in_two_activities_at_once(portal, booking):
    await log_in(portal)
    r = await portal.get(f"/inscriptions/campagnes/{OPEN}")
    html = await r.text()
    assert r.status == 200
    text = unescape(html)
    assert "<h1>Périscolaire 2027-2028</h1>" in text
    assert f'id="enfant-{LEO}"' in html and f'id="enfant-{ZOE}"' in html
    assert "Classes : CP, CE1, CE2" in text  # who it is for
    # and which child may go, as booking says it for each
    evening = text.split("Accueil du soir 2027-2028</strong>")[1].split("</dl>")[0]
    assert "<li>Léo : peut s'inscrire</li>" in evening
    assert "<li>Zoé : Cette activité est réservée aux classes CP, CE1, CE2.</li>" in evening
    assert "Attestation d'assurance" in text  # its required document, by its label
    assert "Inscription validée par la mairie" in text
    assert f'id="jour-4-{PERI}"' in html  # the weekdays the catalogue gives
    form = [
        ("csrf_token", csrf_of(html)),
        ("enfant", LEO),
        ("activites", PERI),
        ("activites", CANTINE),
        (f"mode-{PERI}", "regular"),
        (f"weekdays-{PERI}", "2"),
        (f"weekdays-{PERI}", "1"),
        (f"every_n_weeks-{PERI}", "1"),
        (f"mode-{CANTINE}", "occasional"),
    ]
    r = await portal.post(f"/inscriptions/campagnes/{OPEN}", data=form)
    html = unescape(await r.text())
    assert r.status == 200
    assert sent_posts(booking) == [
        (
            "POST",
            f"/tenants/demo/campaigns/{OPEN}/enrollments",
            {
                "child_id": LEO,
                "lines": [
                    {
                        "activity_id": PERI,
                        "mode": "regular",
                        "weekdays": [1, 2],
                        "every_n_weeks": 1,
                    },
                    {"activity_id": CANTINE, "mode": "occasional"},
                ],
            },
        )
    ]
    assert "Inscriptions de Léo Durand : la réponse" in html
    assert "Accueil du soir 2027-2028</h2>" in html and "Inscription acceptée" in html
    assert "Inscription refusée" in html
    assert "Document manquant ou expiré pour cette inscription : Attestation d'assurance." in html
    assert f"/inscriptions/nouvelle?enfant={LEO}&activite={CANTINE}#documents" in html
    # Shown after a redirect: reloading the answer page shows it again, booking not asked twice.
    assert r.url.path == f"/inscriptions/campagnes/{OPEN}/reponse"
    again = unescape(await (await portal.get(r.url.path)).text())
    assert "Inscription acceptée" in again and len(sent_posts(booking)) == 1


async def test_the_grouped_form_s_errors_next_to_their_fields(portal, booking):
    await log_in(portal)
    html = await (await portal.get(f"/inscriptions/campagnes/{OPEN}")).text()
    token = csrf_of(html)
    # Nothing ticked: by the activities' fieldset, booking not asked.
    r = await portal.post(f"/inscriptions/campagnes/{OPEN}", data={"csrf_token": token})
    html = await r.text()
    assert r.status == 422 and sent_posts(booking) == []
    assert '<p class="field-error" id="activites-erreur">Cochez au moins une activité.' in html
    assert 'id="enfant-erreur">Choisissez l&#39;enfant à inscrire.' in html
    assert '<a href="#activites">' in html and 'aria-describedby="activites-erreur"' in html
    # booking names a line: by that activity, the choices kept.
    booking.enroll_answer = (
        422,
        {
            "detail": "Certaines informations sont incorrectes : lines.1.activity_id.",
            "errors": [{"field": "lines.1.activity_id", "detail": "Activité en double."}],
        },
    )
    form = [
        ("csrf_token", token),
        ("enfant", ZOE),
        ("activites", PERI),
        ("activites", CANTINE),
        (f"mode-{PERI}", "occasional"),
        (f"mode-{CANTINE}", "occasional"),
    ]
    r = await portal.post(f"/inscriptions/campagnes/{OPEN}", data=form)
    html = await r.text()
    assert r.status == 422
    assert f'<p class="field-error" id="activite-{CANTINE}-erreur">Activité en double.' in html
    assert f'<a href="#activite-{CANTINE}">Activité en double.' in html
    assert f'id="enfant-{ZOE}" name="enfant" value="{ZOE}" checked' in html
    assert f'name="activites" value="{CANTINE}" checked' in html


async def test_a_closed_window_is_said_without_the_form(portal, booking):
    await log_in(portal)
    html = await (await portal.get(f"/inscriptions/campagnes/{OPEN}")).text()
    detail = (
        "Les inscriptions pour « Périscolaire 2027-2028 » sont ouvertes du 1er juin au"
        " 15 juillet 2027."
    )
    booking.enroll_answer = (409, {"code": "campaign-not-open", "detail": detail})
    form = [
        ("csrf_token", csrf_of(html)),
        ("enfant", LEO),
        ("activites", PERI),
        (f"mode-{PERI}", "occasional"),
    ]
    r = await portal.post(f"/inscriptions/campagnes/{OPEN}", data=form)
    html = await r.text()
    assert r.status == 409
    assert detail in unescape(html) and "Envoyer les inscriptions" not in html
    # A campaign not open yet: its opening said, no form; an unknown one: 404.
    html = unescape(await (await portal.get(f"/inscriptions/campagnes/{UPCOMING}")).text())
    assert "ouverture le 1er septembre 2027" in html and "Envoyer les inscriptions" not in html
    r = await portal.get("/inscriptions/campagnes/cccccccc-0000-4000-8000-00000000000f")
    assert r.status == 404


async def test_the_yearly_file_check_then_the_renewals_answered(portal, booking):
    await log_in(portal)
    page = f"/inscriptions/renouvellement/{OPEN}"
    r = await portal.get(page)
    html = await r.text()
    text = unescape(html)
    assert r.status == 200
    assert "Étape 1 : Vérification annuelle du dossier" in text
    assert "Marie Durand" in text and "marie@example.org" in text
    assert "Classe en 2027-2028</dt><dd>CM1" in text  # Léo's next grade
    assert "Classe actuelle</dt><dd>PS" in text  # Zoé has no renewal
    assert "Jeanne Martin (Grand-mère, 06 11 22 33 44)" in text
    # valid until 31 August, the new activities start 2 September: to renew
    assert "valide jusqu'au mardi 31 août 2027" in text and "à renouveler" in text
    assert "Je confirme que les informations de mon dossier sont à jour" in text
    # Before the check: the renewals shown, no button; the ineligible one with its reason.
    assert "Accueil du soir 2027-2028" in text and "Confirmer<" not in text
    assert "Renouvellement impossible" in text and "réservée aux classes CP, CE1, CE2" in text
    token = csrf_of(html)
    # The box not ticked: said next to it, booking not asked.
    r = await portal.post(f"{page}/verification", data={"csrf_token": token})
    html = await r.text()
    assert r.status == 422 and sent_posts(booking) == []
    assert 'id="confirme-erreur">Cochez la case' in html and 'aria-invalid="true"' in html
    r = await portal.post(
        f"{page}/verification", data={"csrf_token": token, "confirme": "oui"}, allow_redirects=False
    )
    assert r.status == 303 and r.headers["Location"].startswith(f"{page}?fait=verifie")
    assert sent_posts(booking) == [("POST", f"/tenants/demo/campaigns/{OPEN}/file-check", None)]
    html = unescape(await (await portal.get(page)).text())
    assert "Vous avez confirmé que votre dossier est à jour le jeudi 10 juin 2027" in html
    assert html.count(">Confirmer<") == 1 and html.count(">Ne pas renouveler<") == 1
    # Confirmed: sent, and said.
    r = await portal.post(
        f"{page}/reponse",
        data={"csrf_token": token, "renouvellement": R_PERI, "reponse": "confirm"},
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == f"{page}?fait=confirme#r-{R_PERI}"
    assert sent_posts(booking)[-1] == (
        "POST",
        f"/tenants/demo/renewals/{R_PERI}/answer",
        {"answer": "confirm"},
    )
    html = unescape(await (await portal.get(f"{page}?fait=confirme")).text())
    assert "Le renouvellement est confirmé." in html and "Renouvellement confirmé" in html
    assert ">Confirmer<" not in html  # answered: no button any more


async def test_booking_s_refusals_next_to_the_renewal(portal, booking):
    await log_in(portal)
    page = f"/inscriptions/renouvellement/{OPEN}"
    booking.checked = {"household_id": HOUSEHOLD, "checked_at": "2027-06-10T08:00:00+00:00"}
    token = csrf_of(await (await portal.get(page)).text())
    data = {"csrf_token": token, "renouvellement": R_PERI, "reponse": "confirm"}
    booking.answer_answer = (
        422,
        {"code": "missing-documents", "detail": "x", "missing_documents": ["assurance"]},
    )
    r = await portal.post(f"{page}/reponse", data=data)
    html = unescape(await r.text())
    assert r.status == 422
    block = html.split(f'id="r-{R_PERI}"')[1].split("</li>")[0]
    assert "Document manquant ou expiré pour cette inscription : Attestation d'assurance." in block
    assert f"/inscriptions/nouvelle?enfant={LEO}&activite={PERI}#documents" in block
    for code, detail in (
        ("file-check-required", "Confirmez d'abord que votre dossier est à jour."),
        ("campaign-not-open", "Les inscriptions sont fermées depuis le 15 juillet 2027."),
    ):
        booking.answer_answer = (409, {"code": code, "detail": detail})
        r = await portal.post(f"{page}/reponse", data={**data, "reponse": "decline"})
        html = unescape(await r.text())
        assert r.status == 409
        assert detail in html.split(f'id="r-{R_PERI}"')[1].split("</li>")[0]
    assert sent_posts(booking)[-1][2] == {"answer": "decline"}


async def test_the_home_page_invites_to_renew_only_for_an_open_campaign(portal, booking):
    await log_in(portal)
    html = unescape(await (await portal.get("/")).text())
    assert f'<a href="/inscriptions/renouvellement/{OPEN}">' in html
    assert "Renouvelez les inscriptions pour 2027-2028 avant le 15 juillet" in html
    # the renewals asked for the open campaign only
    asked = [s[1] for s in booking.sent if s[1].endswith("/renewals")]
    assert asked == [f"/tenants/demo/campaigns/{OPEN}/renewals"]
    # Nothing left to answer, or no campaign open: no notice, no renewals asked.
    for renewal in booking.renewals:
        renewal["status"] = "confirmed"
    assert "Renouvelez" not in await (await portal.get("/")).text()
    booking.campaigns = [c for c in booking.campaigns if c["state"] != "open"]
    booking.sent.clear()
    assert "Renouvelez" not in await (await portal.get("/")).text()
    assert [s for s in booking.sent if s[1].endswith("/renewals")] == []


async def test_the_forms_need_the_session_s_csrf_token(portal, booking):
    await log_in(portal)
    page = f"/inscriptions/renouvellement/{OPEN}"
    for path, data in (
        (f"/inscriptions/campagnes/{OPEN}", {"enfant": LEO, "activites": PERI}),
        (f"{page}/verification", {"confirme": "oui"}),
        (f"{page}/reponse", {"renouvellement": R_PERI, "reponse": "confirm"}),
    ):
        r = await portal.post(path, data=data)
        assert r.status == 403 and "Action refusée" in await r.text()
    assert sent_posts(booking) == []


async def test_the_town_s_documents_of_the_campaign_s_activities(portal, booking):
    booking.town_documents = [
        a_town_document(RULES, "Règlement intérieur du périscolaire", "rules", [PERI, CANTINE]),
        a_town_document(
            MENU_FORM,
            "Fiche d'inscription à la cantine",
            "form",
            [CANTINE],
            size=120 * 1024,
            description="À rendre signée à l'école.",
        ),
        a_town_document(
            OLD_RULES, "Ancien règlement de la cantine", "rules", [CANTINE], state="expired"
        ),
        a_town_document(STUDY_RULES, "Règlement de l'étude", "rules", [ETUDE]),  # not in it
    ]
    await log_in(portal)
    campaign_page = f"/inscriptions/campagnes/{OPEN}"
    renewal_page = f"/inscriptions/renouvellement/{OPEN}"
    for path in (campaign_page, renewal_page):
        booking.sent.clear()
        r = await portal.get(path)
        html = unescape(await r.text())
        assert r.status == 200, path
        # Asked as the single enrollment form asks: each activity's documents in force.
        asked = [s[2] for s in booking.sent if s[1] == "/tenants/demo/town-documents"]
        assert sorted(a["activity_id"] for a in asked) == sorted([PERI, CANTINE]), path
        assert all(set(a) == {"activity_id"} for a in asked), path  # never `all=true`
        assert '<h2 id="documents-campagne">Documents des activités à consulter</h2>' in html
        # Linked to both activities: listed once, for all of them; the link names it.
        rules_link = (
            f'<a href="/documents-officiels/{RULES}">Règlement intérieur du périscolaire</a>'
        )
        assert html.count(rules_link) == 1, path
        everyone = html.index("<h3>Toutes les activités de la campagne</h3>")
        canteen = html.index("<h3>« Cantine 2027-2028 »</h3>")
        assert everyone < html.index(rules_link) < canteen
        form_link = (
            f'<a href="/documents-officiels/{MENU_FORM}">Fiche d\'inscription à la cantine</a>'
        )
        assert canteen < html.index(form_link)
        assert "(Formulaire, PDF, 120 Ko)" in html and "À rendre signée à l'école." in html
        assert "(Règlement intérieur, PDF, 2 Ko)" in html
        # Not in force, or linked to an activity outside the campaign: not shown.
        assert "Ancien règlement" not in html and "Règlement de l'étude" not in html
        assert html.index("<h1>") < html.index('id="documents-campagne"')
    # Shown again with the form's errors.
    token = csrf_of(html)
    r = await portal.post(campaign_page, data={"csrf_token": token})
    html = unescape(await r.text())
    assert r.status == 422 and html.count(rules_link) == 1
    # No document in force for these activities: no empty section.
    booking.town_documents = booking.town_documents[2:]
    for path in (campaign_page, renewal_page):
        html = unescape(await (await portal.get(path)).text())
        assert "Documents des activités à consulter" not in html, path

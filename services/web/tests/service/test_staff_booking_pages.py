"""The back-office's enrollments, absences, attendance sheet and kitchen pages over HTTP
(booking and family stood in): the queue opened at the oldest item, a refusal without its
reason shown next to the field (422, never a 500), an item decided meanwhile, a French 404,
a tap refused by booking said in the child's row, the allergies on the sheet, the kitchen's
counts, CSRF and families refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000001"
ACTIVITY = "aaaaaaaa-0000-4000-8000-000000000001"
ANNA = "11111111-1111-4111-8111-111111111111"
OLDEST = "e0000000-0000-4000-8000-000000000001"
NEWER = "e0000000-0000-4000-8000-000000000002"
ABSENCE = "ab000000-0000-4000-8000-000000000001"
DAY = "2026-12-01"


class Answers:
    """What the stood-in booking answers to a decision or a tap (changed by each test)."""

    def __init__(self) -> None:
        self.decision: web.Response | None = None
        self.tap: web.Response | None = None
        self.bodies: list[Any] = []


@pytest.fixture
def answers() -> Answers:
    return Answers()


def enrollment(id_: str, requested_at: str) -> dict[str, Any]:
    return {
        "id": id_,
        "activity_id": ACTIVITY,
        "child_id": ANNA,
        "household_id": HOUSEHOLD,
        "mode": "regular",
        "weekdays": [1, 4],
        "every_n_weeks": 1,
        "status": "pending",
        "reason": None,
        "requested_at": requested_at,
        "decided_at": None,
    }


@pytest.fixture
def stand_in_routes(answers: Answers) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return header in services.valid_access

        async def enrollments(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            items = [
                enrollment(NEWER, "2026-11-30T09:00:00+00:00"),
                enrollment(OLDEST, "2026-11-28T09:00:00+00:00"),
            ]
            return web.json_response({"items": items})

        async def absences(request: web.Request) -> web.Response:
            item = {
                "id": ABSENCE,
                "booking_id": "b0000000-0000-4000-8000-000000000001",
                "activity_id": ACTIVITY,
                "child_id": ANNA,
                "household_id": HOUSEHOLD,
                "date": DAY,
                "reason": "illness",
                "note": "Fièvre",
                "document_id": "d0000000-0000-4000-8000-000000000001",
                "status": "pending",
                "requested_at": "2026-12-01T07:00:00+00:00",
                "decided_at": None,
                "decision_reason": None,
            }
            return web.json_response({"items": [item]})

        async def decide(request: web.Request) -> web.Response:
            answers.bodies.append(await request.json())
            return answers.decision or web.json_response({})

        async def activities(request: web.Request) -> web.Response:
            item = {
                "id": ACTIVITY,
                "name": "Restauration scolaire",
                "type": "CANTINE",
                "site": "École du Bourg",
                "period_from": "2026-09-01",
                "period_to": "2027-07-03",
                "weekdays": [1, 2, 4, 5],
                "closed_dates": [],
                "extra_dates": [],
                "required_documents": [],
            }
            return web.json_response({"items": [item]})

        async def household(request: web.Request) -> web.Response:
            child = {"id": ANNA, "first_name": "Anna", "last_name": "Martin", "grade": "CE1"}
            return web.json_response({"id": HOUSEHOLD, "children": [child]})

        async def health(request: web.Request) -> web.Response:
            return web.json_response({"child_id": ANNA, "allergies": ["arachide"], "pai": False})

        async def roll(request: web.Request) -> web.Response:
            child = {
                "booking_id": "b0000000-0000-4000-8000-000000000001",
                "child_id": ANNA,
                "household_id": HOUSEHOLD,
                "first_name": "Anna",
                "last_name": "Martin",
                "grade": "CE1",
                "diet": "vegetarian",
                "late": False,
                "attendance": None,
                "absence_id": None,
                "absence_status": None,
            }
            return web.json_response({"children": [child], "booked": 1, "present": 0})

        async def tap(request: web.Request) -> web.Response:
            answers.bodies.append(await request.json())
            return answers.tap or web.json_response({})

        async def meals(request: web.Request) -> web.Response:
            day = {
                "date": request.query["from"],
                "site": "École du Bourg",
                "meals": 3,
                "expected": 2,
                "diets": {"standard": 2, "vegetarian": 1},
                "expected_diets": {"standard": 1, "vegetarian": 1},
            }
            return web.json_response({"days": [day]})

        attendance = f"{t}/activities/{{activity}}/days/{{day}}/attendance"
        app.router.add_get(f"{t}/enrollments", enrollments)
        app.router.add_post(f"{t}/enrollments/{{id}}/decision", decide)
        app.router.add_get(f"{t}/absences", absences)
        app.router.add_post(f"{t}/absences/{{id}}/decision", decide)
        app.router.add_get(f"{t}/activities", activities)
        app.router.add_get(f"{t}/attendance/activities", activities)
        app.router.add_get(f"{t}/households/{{id}}", household)
        app.router.add_get(f"{t}/households/{{id}}/children/{{child}}/care-needs", health)
        app.router.add_get(attendance, roll)
        app.router.add_post(attendance, tap)
        app.router.add_get(f"{t}/meals", meals)

    return add


async def as_staff(portal: TestClient, services: tuple[Services, str], target: str) -> str:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, target)
    r = await portal.get(target)
    assert r.status == 200, await r.text()
    return await r.text()


async def test_the_queue_opens_the_oldest_enrollment_with_its_pattern(portal, services):
    html = await as_staff(portal, services, "/gestion/inscriptions")
    assert "<h1>Inscriptions à valider</h1>" in html
    opened = html.index('id="demande-ouverte"')
    assert f"/gestion/inscriptions/{OLDEST}/decision" in html[opened:]
    assert "Chaque semaine : lundi, jeudi" in html
    assert f"/gestion/inscriptions?id={NEWER}" in html  # the next one, listed


async def test_a_refusal_without_reason_is_shown_next_to_the_field(portal, services, answers):
    html = await as_staff(portal, services, "/gestion/inscriptions")
    answers.decision = problem(
        422,
        "Certaines informations sont incorrectes.",
        errors=[{"field": "reason", "detail": "Indiquez le motif du refus."}],
    )
    r = await portal.post(
        f"/gestion/inscriptions/{NEWER}/decision",
        data={"csrf_token": csrf_of(html), "decision": "rejected", "reason": ""},
    )
    assert r.status == 422
    page = await r.text()
    assert 'aria-invalid="true"' in page
    assert 'id="reason-erreur">Indiquez le motif du refus.</p>' in page
    assert f"/gestion/inscriptions/{NEWER}/decision" in page  # the same item stays opened
    assert answers.bodies == [{"decision": "rejected"}]


async def test_after_a_decision_the_next_opens_and_a_decided_one_is_said(portal, services, answers):
    html = await as_staff(portal, services, "/gestion/inscriptions")
    token = csrf_of(html)
    r = await portal.post(
        f"/gestion/inscriptions/{OLDEST}/decision",
        data={"csrf_token": token, "decision": "approved"},
        allow_redirects=False,
    )
    assert (r.status, r.headers["Location"]) == (303, "/gestion/inscriptions?decision=approved")
    answers.decision = problem(409, "Cette inscription a déjà été traitée.")
    r = await portal.post(
        f"/gestion/inscriptions/{OLDEST}/decision",
        data={"csrf_token": token, "decision": "approved"},
    )
    assert r.status == 200
    assert "Cette demande avait déjà été traitée ; voici la suivante." in await r.text()


async def test_an_absence_shows_its_reason_and_document_and_404s_are_french(
    portal, services, answers
):
    html = await as_staff(portal, services, "/gestion/absences")
    assert "Maladie" in html and "Fièvre" in html
    assert "/gestion/justificatifs/d0000000-0000-4000-8000-000000000001" in html
    answers.decision = problem(404, "Cette absence n'existe pas.")
    r = await portal.post(
        f"/gestion/absences/{ABSENCE}/decision",
        data={"csrf_token": csrf_of(html), "decision": "accepted"},
    )
    assert r.status == 404
    assert "Page introuvable" in await r.text()
    r = await portal.post(
        "/gestion/absences/pas-un-id/decision",
        data={"csrf_token": csrf_of(html), "decision": "accepted"},
    )
    assert r.status == 404


async def test_the_sheet_shows_the_allergy_and_a_refused_tap_in_the_row(portal, services, answers):
    target = f"/gestion/presences?jour={DAY}&activite={ACTIVITY}"
    html = await as_staff(portal, services, target)
    assert "arachide" in html and "Végétarien" in html
    assert "Non pointé" in html
    answers.tap = problem(409, "Ce jour n'a pas encore commencé.")
    r = await portal.post(
        "/gestion/presences/pointage",
        data={
            "csrf_token": csrf_of(html),
            "jour": DAY,
            "site": "",
            "activite": ACTIVITY,
            "enfant": ANNA,
            "statut": "present",
        },
        allow_redirects=False,
    )
    assert r.status == 303
    assert "refus=trop-tot" in r.headers["Location"]
    assert answers.bodies == [{"marks": [{"child_id": ANNA, "status": "present"}]}]
    page = await (await portal.get(r.headers["Location"])).text()
    assert "le pointage se fait le jour même" in page


async def test_the_kitchen_counts_meals_per_diet(portal, services):
    html = await as_staff(portal, services, f"/gestion/presences/cuisine?jour={DAY}")
    assert "2 repas attendus sur 3 réservés" in html
    assert '<th scope="row">Végétarien</th><td>1</td><td>1</td>' in html


async def test_families_visitors_and_forged_posts_are_refused(portal, services):
    r = await portal.get("/gestion/presences", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"].startswith("/connexion")
    await log_in(portal)  # the family
    for path in ("/gestion/inscriptions", "/gestion/absences", "/gestion/presences/cuisine"):
        r = await portal.get(path)
        assert r.status == 403, path
        assert "réservée aux agents" in await r.text()
    r = await portal.post(f"/gestion/inscriptions/{OLDEST}/decision", data={"decision": "approved"})
    assert r.status == 403  # no CSRF token

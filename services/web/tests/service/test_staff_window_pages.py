"""The fair opening back-office over HTTP (issue 18; booking stood in, keeping its windows
in memory and answering as the documented API): the windows listed and one created (the
exact body: moments at the Paris offset of their day, the rules in the numbered order),
errors next to their field (checked here, or booking's 422), the edit while scheduled
(only what changed), the requests table and the criteria verification, the draw's button
and booking's 409, the results and the CSV passed through with its headers; an activity's
offers chain of a day, the activity form's two waiting-list fields; families and site
animators refused; CSRF enforced."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from html import unescape
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

WINDOW = "f0f0f0f0-0000-4000-8000-000000000001"
CREATED = "f0f0f0f0-0000-4000-8000-000000000009"
ACTIVITY = "aaaaaaaa-0000-4000-8000-000000000001"
OTHER_ACTIVITY = "aaaaaaaa-0000-4000-8000-000000000002"
REQUEST_1 = "eeeeeeee-0000-4000-8000-000000000001"
REQUEST_2 = "eeeeeeee-0000-4000-8000-000000000002"
HOUSEHOLD_1 = "dddddddd-0000-4000-8000-000000000001"
HOUSEHOLD_2 = "dddddddd-0000-4000-8000-000000000002"
CHILD_1 = "c0c0c0c0-0000-4000-8000-000000000001"
CHILD_2 = "c0c0c0c0-0000-4000-8000-000000000002"
SEED_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
CSV = "rang;niveau;foyer;enfant;jour;résultat\r\n1;1;Durand;Léo;2027-04-12;réservé\r\n"
HOME = "/gestion/fenetres"
RULES = [
    {"code": "resident", "label": "Résident de la commune"},
    {"code": "sibling_enrolled", "label": "Frère ou sœur déjà inscrit"},
    {"code": "quotient_bas", "label": "Quotient familial inférieur à 700"},
]


def an_activity(**extra: Any) -> dict[str, Any]:
    return {
        "id": ACTIVITY,
        "name": "Centre de loisirs – printemps",
        "type": "VACANCES",
        "site": "Centre des Tilleuls",
        "period_from": "2027-04-12",
        "period_to": "2027-04-23",
        "weekdays": [1, 2, 3, 4, 5],
        "closed_dates": [],
        "extra_dates": [],
        "skip_public_holidays": True,
        "school_time": False,
        "capacity": 40,
        "min_age": None,
        "max_age": None,
        "grades": None,
        "booking_deadline": {"days_before": 2, "at": "12:00", "working_days": False},
        "cancel_deadline": {"days_before": 1, "at": "12:00", "working_days": False},
        "late_allowed": False,
        "late_deadline": None,
        "requires_approval": False,
        "booking_mode": "free",
        "required_documents": [],
        "waiting_list_mode": "offer",
        "offer_hours": 24,
        "opening_days": 10,
        "closed": False,
        "closed_at": None,
        "archived": False,
        "archived_at": None,
        **extra,
    }


def a_window(**extra: Any) -> dict[str, Any]:
    return {
        "id": WINDOW,
        "activity_id": ACTIVITY,
        "activity_name": "Centre de loisirs – printemps",
        "name": "Vacances de printemps 2027",
        "opens_at": "2027-03-20T07:00:00+00:00",  # 08:00 in Paris (winter time)
        "closes_at": "2027-04-02T16:00:00+00:00",  # 18:00 in Paris (summer time)
        "date_from": "2027-04-12",
        "date_to": "2027-04-23",
        "days": ["2027-04-12", "2027-04-13"],
        "status": "scheduled",
        "priority_rules": copy.deepcopy(RULES),
        "first_come_after": True,
        "seed_hash": SEED_HASH,
        "seed": None,
        "allocated_at": None,
        "requests": 2,
        **extra,
    }


def a_request(id: str, household: str, child: str, first_name: str, **extra: Any) -> dict:
    return {
        "id": id,
        "household_id": household,
        "children": [
            {"child_id": child, "first_name": first_name, "dates": ["2027-04-12", "2027-04-13"]}
        ],
        "criteria": ["resident", "quotient_bas"],
        "verified_criteria": ["resident"],
        "submitted_at": "2027-03-20T07:00:03+00:00",
        "level": None,
        "rank": None,
        **extra,
    }


class Booking:
    def __init__(self) -> None:
        self.windows: dict[str, dict[str, Any]] = {WINDOW: a_window()}
        self.activities: dict[str, dict[str, Any]] = {ACTIVITY: an_activity()}
        self.requests = [
            a_request(REQUEST_1, HOUSEHOLD_1, CHILD_1, "Léo"),
            a_request(REQUEST_2, HOUSEHOLD_2, CHILD_2, "Inès", criteria=[], verified_criteria=[]),
        ]
        self.sent: list[tuple[str, str, Any]] = []
        self.queries: list[tuple[str, dict[str, str]]] = []
        self.answer: tuple[int, dict[str, Any]] | None = None  # booking's next refusal
        self.csv_status = 200


@pytest.fixture
def booking() -> Booking:
    return Booking()


@pytest.fixture
def stand_in_routes(booking: Booking) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return header in services.valid_access

        def refused() -> web.Response | None:
            if booking.answer is None:
                return None
            status, said = booking.answer
            booking.answer = None
            return problem(status, **said)

        async def windows(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            return web.json_response(list(booking.windows.values()))  # a bare list, as said

        async def create(request: web.Request) -> web.Response:
            body = await request.json()
            booking.sent.append(("POST", request.path, body))
            if (answer := refused()) is not None:
                return answer
            created = a_window(**body, id=CREATED, requests=0)
            booking.windows[CREATED] = created
            return web.json_response(created, status=201)

        async def one(request: web.Request) -> web.Response:
            found = booking.windows.get(request.match_info["id"])
            if found is None:
                return problem(404, "Cette fenêtre n'existe pas.")
            return web.json_response(found)

        async def patch(request: web.Request) -> web.Response:
            body = await request.json()
            booking.sent.append(("PATCH", request.path, body))
            if (answer := refused()) is not None:
                return answer
            booking.windows[request.match_info["id"]].update(body)
            return web.json_response(booking.windows[request.match_info["id"]])

        async def requests(request: web.Request) -> web.Response:
            booking.queries.append((request.path, dict(request.query)))
            offset, limit = int(request.query["offset"]), int(request.query["limit"])
            return web.json_response({"items": booking.requests[offset : offset + limit]})

        async def verify(request: web.Request) -> web.Response:
            body = await request.json()
            booking.sent.append(("PATCH", request.path, body))
            if (answer := refused()) is not None:
                return answer
            return web.json_response({"id": request.match_info["rid"], **body})

        async def allocation(request: web.Request) -> web.Response:
            booking.sent.append(("POST", request.path, None))
            if (answer := refused()) is not None:
                return answer
            window = booking.windows[request.match_info["id"]]
            window.update(
                status="allocated",
                seed="graine-0123456789abcdef",
                allocated_at="2027-04-02T16:05:00+00:00",
            )
            booking.requests[0].update(level=1, rank=1)
            booking.requests[1].update(level=3, rank=2)
            return web.json_response(the_draw(window))  # booking answers the draw (DrawOut)

        def the_draw(window: dict[str, Any]) -> dict[str, Any]:
            # booking's DrawOut: no names; per entry a count of children and each day's asks.
            return {
                "window_id": window["id"],
                "allocated_at": window["allocated_at"],
                "seed": window["seed"],
                "seed_hash": SEED_HASH,
                "rules": window["priority_rules"],
                "entries": [
                    {
                        "request_id": REQUEST_2,
                        "level": 3,
                        "lottery_key": "b7e1",
                        "rank": 2,
                        "children": 1,
                        "together": False,
                        "asks": [{"date": "2027-04-12", "children": 1, "booked": 0, "waiting": 1}],
                    },
                    {
                        "request_id": REQUEST_1,
                        "level": 1,
                        "lottery_key": "0a3c",
                        "rank": 1,
                        "children": 2,
                        "together": True,
                        "asks": [
                            {"date": "2027-04-12", "children": 2, "booked": 2, "waiting": 0},
                            {"date": "2027-04-13", "children": 1, "booked": 1, "waiting": 0},
                        ],
                    },
                ],
                "days": [
                    {"date": "2027-04-12", "places": 2},
                    {"date": "2027-04-13", "places": 5},
                ],
            }

        async def draw(request: web.Request) -> web.Response:
            return web.json_response(the_draw(booking.windows[request.match_info["id"]]))

        async def allocation_csv(request: web.Request) -> web.Response:
            if booking.csv_status != 200:
                return problem(booking.csv_status, "Le tirage n'est pas encore fait.")
            return web.Response(
                body=CSV.encode(),
                headers={
                    "Content-Type": "text/csv; charset=utf-8",
                    "Content-Disposition": 'attachment; filename="attribution-printemps.csv"',
                },
            )

        async def activities(request: web.Request) -> web.Response:
            return web.json_response({"items": list(booking.activities.values())})

        async def activity(request: web.Request) -> web.Response:
            found = booking.activities.get(request.match_info["id"])
            if found is None:
                return problem(404, "Cette activité n'existe pas.")
            return web.json_response(found)

        async def activity_create(request: web.Request) -> web.Response:
            body = await request.json()
            booking.sent.append(("POST", request.path, body))
            created = an_activity(**body, id=OTHER_ACTIVITY)
            booking.activities[OTHER_ACTIVITY] = created
            return web.json_response(created, status=201)

        async def activity_patch(request: web.Request) -> web.Response:
            body = await request.json()
            booking.sent.append(("PATCH", request.path, body))
            if (answer := refused()) is not None:
                return answer
            booking.activities[request.match_info["id"]].update(body)
            return web.json_response(booking.activities[request.match_info["id"]])

        async def offers(request: web.Request) -> web.Response:
            booking.queries.append((request.path, dict(request.query)))
            item = {
                "activity_id": ACTIVITY,
                "activity_name": "Centre de loisirs – printemps",
                "day": request.query["day"],
                "household_id": HOUSEHOLD_2,
                "offered_at": "2027-04-05T08:00:00+00:00",
                "expires_at": "2027-04-06T08:00:00+00:00",
            }
            return web.json_response(
                [
                    {
                        **item,
                        "id": "0f0f0f0f-0000-4000-8000-000000000001",
                        "child_id": CHILD_2,
                        "child_first_name": "Inès",
                        "status": "expired",
                        "answered_at": None,
                    },
                    {
                        **item,
                        "id": "0f0f0f0f-0000-4000-8000-000000000002",
                        "child_id": CHILD_1,
                        "child_first_name": "Léo",
                        "household_id": HOUSEHOLD_1,
                        "status": "accepted",
                        "offered_at": "2027-04-06T08:00:00+00:00",
                        "expires_at": "2027-04-07T08:00:00+00:00",
                        "answered_at": "2027-04-06T09:30:00+00:00",
                    },
                ]
            )

        async def waiting(request: web.Request) -> web.Response:
            day = {"date": "2027-04-12", "capacity": 40, "booked": 40}
            child = {
                "position": 1,
                "child_first_name": "Inès",
                "child_last_name": "Martin",
                "household_id": HOUSEHOLD_2,
                "since": "2027-04-02T16:05:00+00:00",
            }
            return web.json_response({"days": [{**day, "children": [child]}]})

        w = f"{t}/windows/{{id:[0-9a-f-]{{36}}}}"
        app.router.add_get(f"{t}/windows", windows)
        app.router.add_post(f"{t}/windows", create)
        app.router.add_get(w, one)
        app.router.add_patch(w, patch)
        app.router.add_get(f"{w}/requests", requests)
        app.router.add_patch(f"{w}/requests/{{rid}}", verify)
        app.router.add_post(f"{w}/allocation", allocation)
        app.router.add_get(f"{w}/draw", draw)
        app.router.add_get(f"{w}/allocation.csv", allocation_csv)
        a = f"{t}/activities/{{id:[0-9a-f-]{{36}}}}"
        app.router.add_get(f"{t}/activities", activities)
        app.router.add_post(f"{t}/activities", activity_create)
        app.router.add_get(a, activity)
        app.router.add_patch(a, activity_patch)
        app.router.add_get(f"{a}/offers", offers)
        app.router.add_get(f"{a}/waiting-list", waiting)

    return add


async def as_role(
    portal: TestClient, services: tuple[Services, str], target: str, *roles: str
) -> str:
    stand_in, _ = services
    stand_in.roles = list(roles)
    await log_in(portal, target)
    r = await portal.get(target)
    assert r.status == 200, await r.text()
    return await r.text()


def create_form(token: str, **changes: str) -> list[tuple[str, str]]:
    fields = {
        "csrf_token": token,
        "activity_id": ACTIVITY,
        "name": "Vacances de printemps 2027",
        "opens_at": "2027-03-20T08:00",  # winter time: +01:00
        "closes_at": "02/04/2027 18:00",  # after the change of hour: +02:00
        "date_from": "2027-04-12",
        "date_to": "23/04/2027",
        "regle-resident": "oui",
        "ordre-resident": "2",
        "regle-both_parents_working": "oui",
        "ordre-both_parents_working": "1",
        "regle-disability_plan": "oui",  # no number: after the numbered ones
        "ordre-disability_plan": "",
        "ordre-sibling_enrolled": "4",  # a number without its box: not a rule
        "autre-0-code": "quotient_bas",
        "autre-0-label": "Quotient familial inférieur à 700",
        "autre-0-ordre": "3",
        "autre-1-code": "",
        "autre-1-label": "",
        "autre-1-ordre": "",
        "first_come_after": "oui",
        **changes,
    }
    return [(k, v) for k, v in fields.items() if v is not None]


async def test_the_list_and_a_window_created_with_its_rules_in_order(portal, services, booking):
    html = unescape(await as_role(portal, services, HOME, "staff"))
    assert "<h1>Fenêtres d'inscription</h1>" in html
    assert '<a href="/gestion/fenetres" aria-current="page">Fenêtres</a>' in html  # the nav
    assert html.index('href="/gestion/campagnes"') < html.index('href="/gestion/fenetres"')
    row = html.split(f'<a href="/gestion/fenetres/{WINDOW}">Vacances de printemps 2027</a>')[1]
    row = row.split("</tr>")[0]
    assert "<td>Centre de loisirs – printemps</td>" in row
    assert "samedi 20 mars 2027 à 8 h 00" in row and "vendredi 2 avril 2027 à 18 h 00" in row
    assert ">Programmée</span>" in row and "<td>2</td>" in row
    assert f'<option value="{ACTIVITY}">Centre de loisirs – printemps (Centre des Tilleuls)' in html
    # A new window opens the places left after the draw, as booking's default.
    assert 'name="first_come_after" type="checkbox" value="oui" checked' in html
    r = await portal.post(HOME, data=create_form(csrf_of(html)), allow_redirects=False)
    assert r.status == 303, await r.text()
    assert r.headers["Location"] == f"{HOME}/{CREATED}?fait=creee"
    assert booking.sent == [
        (
            "POST",
            "/tenants/demo/windows",
            {
                "activity_id": ACTIVITY,
                "name": "Vacances de printemps 2027",
                "opens_at": "2027-03-20T08:00:00+01:00",
                "closes_at": "2027-04-02T18:00:00+02:00",
                "priority_rules": [
                    {"code": "both_parents_working", "label": "Les deux parents travaillent"},
                    {"code": "resident", "label": "Résident de la commune"},
                    {"code": "quotient_bas", "label": "Quotient familial inférieur à 700"},
                    {
                        "code": "disability_plan",
                        "label": "Enfant bénéficiant d'un PAI / projet d'accueil adapté",
                    },
                ],
                "first_come_after": True,
                "date_from": "2027-04-12",
                "date_to": "2027-04-23",
            },
        )
    ]
    html = unescape(await (await portal.get(r.headers["Location"])).text())
    assert "La fenêtre est créée." in html


async def test_errors_next_to_their_fields(portal, services, booking):
    html = await as_role(portal, services, HOME, "staff", "admin")
    token = csrf_of(html)
    # Checked here first: booking not asked, what was typed kept.
    form = create_form(
        token,
        name="Été 2027",
        closes_at="2027-03-19T08:00",
        **{"autre-0-code": "Quotient bas"},
    )
    r = await portal.post(HOME, data=form)
    html = unescape(await r.text())
    assert r.status == 422 and booking.sent == []
    assert '<p class="field-error" id="closes_at-erreur">La fermeture doit suivre' in html
    assert 'aria-invalid="true" aria-describedby="closes_at-erreur closes_at-aide"' in html
    assert '<a href="#closes_at">' in html
    assert 'id="priority_rules-erreur">Le code « Quotient bas » doit commencer' in html
    assert 'value="Été 2027"' in html and 'value="2027-03-19T08:00"' in html
    assert 'id="regle-resident" name="regle-resident" type="checkbox" value="oui" checked' in html
    assert (
        'id="ordre-resident" name="ordre-resident" type="text" inputmode="numeric" size="3"'
        ' value="2"' in html
    )
    # Two rules with one number: refused here too.
    r = await portal.post(HOME, data=create_form(token, **{"ordre-resident": "1"}))
    assert r.status == 422 and "même numéro d'ordre" in unescape(await r.text())
    assert booking.sent == []
    # booking's 422 naming a rule: by the rules.
    booking.answer = (
        422,
        {
            "detail": "Certaines informations sont incorrectes : priority_rules.2.code.",
            "errors": [
                {"field": "priority_rules.2.code", "detail": "Ce code est réservé par la commune."}
            ],
        },
    )
    r = await portal.post(HOME, data=create_form(token))
    html = unescape(await r.text())
    assert r.status == 422 and len(booking.sent) == 1
    assert (
        '<p class="field-error" id="priority_rules-erreur">Ce code est réservé par la commune.</p>'
        in html
    )
    assert 'value="quotient_bas"' in html


async def test_an_edit_while_scheduled_sends_only_what_changed(portal, services, booking):
    path = f"{HOME}/{WINDOW}/modifier"
    html = unescape(await as_role(portal, services, path, "staff"))
    # the moments in Paris time, the rules numbered in their order
    assert 'id="opens_at" name="opens_at" type="datetime-local" value="2027-03-20T08:00"' in html
    assert 'id="closes_at" name="closes_at" type="datetime-local" value="2027-04-02T18:00"' in html
    assert 'id="regle-resident" name="regle-resident" type="checkbox" value="oui" checked' in html
    assert (
        'id="ordre-sibling_enrolled" name="ordre-sibling_enrolled" type="text"'
        ' inputmode="numeric" size="3" value="2"' in html
    )
    assert (
        'id="autre-0-code" name="autre-0-code" type="text" size="16" maxlength="40"'
        ' value="quotient_bas"' in html
    )
    assert (
        'id="first_come_after" name="first_come_after" type="checkbox" value="oui" checked' in html
    )
    token = csrf_of(html)
    same = [
        ("csrf_token", token),
        ("activity_id", ACTIVITY),
        ("name", "Vacances de printemps 2027"),
        ("opens_at", "2027-03-20T08:00"),
        ("closes_at", "2027-04-02T18:00"),
        ("date_from", "2027-04-12"),
        ("date_to", "2027-04-23"),
        ("regle-resident", "oui"),
        ("ordre-resident", "1"),
        ("regle-sibling_enrolled", "oui"),
        ("ordre-sibling_enrolled", "2"),
        ("autre-0-code", "quotient_bas"),
        ("autre-0-label", "Quotient familial inférieur à 700"),
        ("autre-0-ordre", "3"),
        ("first_come_after", "oui"),
    ]
    r = await portal.post(path, data=same, allow_redirects=False)
    assert r.headers["Location"] == f"{HOME}/{WINDOW}?fait=inchangee" and booking.sent == []
    changed = [
        (
            k,
            {
                "closes_at": "2027-04-03T12:00",
                "ordre-resident": "2",
                "ordre-sibling_enrolled": "1",
            }.get(k, v),
        )
        for k, v in same
        if k not in ("date_to", "first_come_after")
    ]
    r = await portal.post(path, data=changed, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == f"{HOME}/{WINDOW}?fait=enregistree"
    assert booking.sent == [
        (
            "PATCH",
            f"/tenants/demo/windows/{WINDOW}",
            {
                "first_come_after": False,
                "closes_at": "2027-04-03T12:00:00+02:00",
                "date_to": None,
                "priority_rules": [RULES[1], RULES[0], RULES[2]],
            },
        )
    ]
    # booking's refusal (it opened meanwhile): said, the form kept.
    booking.answer = (409, {"code": "window-not-scheduled", "detail": "La fenêtre est ouverte."})
    r = await portal.post(path, data=[*same[:-1]])
    assert r.status == 409 and "La fenêtre est ouverte." in unescape(await r.text())
    # Once open: no form, and nothing sent.
    booking.windows[WINDOW]["status"] = "open"
    count = len(booking.sent)
    html = unescape(await (await portal.get(path)).text())
    assert "elle ne peut plus être modifiée" in html and "Enregistrer les modifications" not in html
    r = await portal.post(path, data=same)
    assert r.status == 409 and len(booking.sent) == count
    html = unescape(await (await portal.get(f"{HOME}/{WINDOW}")).text())
    assert "Modifier la fenêtre" not in html and "Lancer le tirage" not in html


async def test_the_requests_and_their_verified_criteria(portal, services, booking):
    booking.windows[WINDOW]["status"] = "closed"
    page = f"{HOME}/{WINDOW}"
    html = unescape(await as_role(portal, services, page, "staff"))
    assert booking.queries[-1] == (
        f"/tenants/demo/windows/{WINDOW}/requests",
        {"limit": "51", "offset": "0"},
    )
    assert SEED_HASH in html and "Graine du tirage" not in html
    assert "<ol><li>Résident de la commune</li><li>Frère ou sœur déjà inscrit</li>" in html
    row = html.split(f'<tr id="demande-{REQUEST_1}">')[1].split("</tr>")[0]
    assert f'<a href="/gestion/foyers/{HOUSEHOLD_1}">Dossier du foyer' in row
    assert "<strong>Léo</strong> : 12/04/2027 ; 13/04/2027" in row
    assert "<li>Résident de la commune</li><li>Quotient familial inférieur à 700</li>" in row
    # one box per criterion the town checks (not the sibling one, computed by booking)
    assert (
        f'id="verif-{REQUEST_1}-resident" name="verified_criteria" type="checkbox"'
        ' value="resident" checked' in row
    )
    assert (
        f'id="verif-{REQUEST_1}-quotient_bas" name="verified_criteria" type="checkbox"'
        ' value="quotient_bas">' in row
    )
    assert "sibling_enrolled" not in row
    assert 'Quotient familial inférieur à 700 <span class="hint">(déclaré)</span>' in row
    form = [
        ("csrf_token", csrf_of(html)),
        ("page", "1"),
        ("verified_criteria", "quotient_bas"),
        ("verified_criteria", "resident"),
        ("verified_criteria", "inconnu"),  # not a rule of the window: dropped
    ]
    action = f"{page}/demandes/{REQUEST_1}/criteres"
    r = await portal.post(action, data=form, allow_redirects=False)
    assert r.status == 303
    assert r.headers["Location"] == f"{page}?fait=verifiee#demande-{REQUEST_1}"
    assert booking.sent == [
        (
            "PATCH",
            f"/tenants/demo/windows/{WINDOW}/requests/{REQUEST_1}",
            {"verified_criteria": ["resident", "quotient_bas"]},
        )
    ]
    # None ticked: an empty list (the verification withdrawn).
    await portal.post(action, data=form[:2], allow_redirects=False)
    assert booking.sent[-1][2] == {"verified_criteria": []}
    # booking's refusal: next to that request's form.
    booking.answer = (409, {"code": "window-allocated", "detail": "Le tirage est déjà fait."})
    r = await portal.post(action, data=form)
    html = unescape(await r.text())
    assert r.status == 409
    assert (
        f'<p class="field-error" id="verification-{REQUEST_1}-erreur" role="alert">'
        "Le tirage est déjà fait.</p>" in html
    )
    # The next pages: asked by offset, the links shown.
    booking.requests = [
        a_request(f"eeeeeeee-0000-4000-8000-{n:012d}", HOUSEHOLD_1, CHILD_1, f"Enfant{n}")
        for n in range(60)
    ]
    html = unescape(await (await portal.get(page)).text())
    assert "Page suivante" in html and "Page précédente" not in html
    assert "Enfant49" in html and "Enfant50" not in html
    html = unescape(await (await portal.get(f"{page}?page=2")).text())
    assert booking.queries[-1][1] == {"limit": "51", "offset": "50"}
    assert "Enfant50" in html and "Page précédente" in html and "Page suivante" not in html


async def test_the_draw_its_409_its_results_and_the_csv(portal, services, booking):
    page = f"{HOME}/{WINDOW}"
    booking.windows[WINDOW]["status"] = "open"
    html = unescape(await as_role(portal, services, page, "staff"))
    assert "Lancer le tirage" not in html and "Exporter (CSV)" not in html
    booking.windows[WINDOW]["status"] = "closed"
    html = unescape(await (await portal.get(page)).text())
    assert f'<form method="post" action="{page}/tirage"' in html
    token = csrf_of(html)
    # booking says it is not closed yet (its clock decides): shown plainly, nothing drawn.
    booking.answer = (
        409,
        {
            "code": "window-not-closed",
            "detail": "La fenêtre ferme le 2 avril 2027 à 18 h 00 : le tirage se lance ensuite.",
        },
    )
    r = await portal.post(f"{page}/tirage", data={"csrf_token": token})
    html = unescape(await r.text())
    assert r.status == 409
    alert = html.split('<div class="error-summary" role="alert" id="erreur-tirage"')[1]
    assert "Le tirage n'a pas été lancé" in alert
    assert "La fenêtre ferme le 2 avril 2027 à 18 h 00 : le tirage se lance ensuite." in alert
    assert booking.windows[WINDOW]["status"] == "closed"
    # Launched.
    r = await portal.post(f"{page}/tirage", data={"csrf_token": token}, allow_redirects=False)
    assert r.status == 303
    assert r.headers["Location"] == f"{page}?fait=tirage&entries=2&booked=3&waiting=1"
    assert booking.sent[-1] == ("POST", f"/tenants/demo/windows/{WINDOW}/allocation", None)
    html = unescape(await (await portal.get(r.headers["Location"])).text())
    assert "Le tirage est effectué" in html
    assert "2 demandes départagées ; 3 journées réservées ; 1 en liste d'attente." in html
    assert "graine-0123456789abcdef" in html and ">Tirage effectué</span>" in html
    assert "Lancer le tirage" not in html and 'name="verified_criteria"' not in html
    # the requests with their level and rank
    row = html.split(f'<tr id="demande-{REQUEST_1}">')[1].split("</tr>")[0]
    assert "<td>1 – Résident de la commune</td><td>1</td>" in row
    row = html.split(f'<tr id="demande-{REQUEST_2}">')[1].split("</tr>")[0]
    assert "<td>3 – Quotient familial inférieur à 700</td><td>2</td>" in row
    # the draw's results in rank order (no names: counts), with each day's outcome
    results = html.split('id="resultats-titre"')[1]
    assert results.index("0a3c") < results.index("b7e1")
    assert "12/04/2027 : 2 enfants, 2 places réservées" in results
    assert "13/04/2027 : 1 enfant, 1 place réservée" in results
    assert "12/04/2027 : 1 enfant, 1 en liste d'attente" in results
    assert '<span class="code">0a3c</span>' in results
    assert (
        f'<a href="{page}/export.csv" class="button secondary" download>Exporter (CSV)</a>' in html
    )
    # The CSV passed through: booking's bytes, type and name; never cached.
    r = await portal.get(f"{page}/export.csv")
    assert r.status == 200
    assert await r.read() == CSV.encode()
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="attribution-printemps.csv"'
    assert r.headers["Cache-Control"] == "private, no-store"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    booking.csv_status = 409
    r = await portal.get(f"{page}/export.csv")
    assert r.status == 404 and "Page introuvable" in unescape(await r.text())


async def test_the_offers_chain_of_a_day(portal, services, booking):
    path = f"/gestion/activites/{ACTIVITY}/offres"
    html = unescape(await as_role(portal, services, f"{path}?jour=2027-04-12", "staff"))
    assert booking.queries[-1] == (
        f"/tenants/demo/activities/{ACTIVITY}/offers",
        {"day": "2027-04-12"},
    )
    assert "<h1>Propositions de place : Centre de loisirs – printemps</h1>" in html
    assert f'<a href="{path}" aria-current="page">Propositions de place</a>' in html  # subnav
    assert "qui a 24 heures pour l'accepter" in html
    assert 'id="jour" name="jour" type="date" value="2027-04-12"' in html
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")
    assert (
        "<td>1</td>" in rows[0] and "Inès" in rows[0] and "<td>Expirée sans réponse</td>" in rows[0]
    )
    assert f'<a href="/gestion/foyers/{HOUSEHOLD_2}">' in rows[0]
    assert "lundi 5 avril 2027 à 10 h 00" in rows[0] and "<td>—</td>" in rows[0]
    assert "Léo" in rows[1] and "<td>Acceptée</td>" in rows[1]
    assert "mardi 6 avril 2027 à 11 h 30" in rows[1]
    # No day, or not a day: today's chain.
    for query in ("", "?jour=demain"):
        await portal.get(f"{path}{query}")
        date.fromisoformat(booking.queries[-1][1]["day"])
    # Linked from the activity's pages.
    html = unescape(await (await portal.get(f"/gestion/activites/{ACTIVITY}/attente")).text())
    assert f'<a href="{path}">Propositions de place</a>' in html  # the activity's sub-menu
    assert (
        f'<a href="{path}?jour=2027-04-12">Propositions de place du lundi 12 avril 2027</a>' in html
    )


async def test_the_activity_form_s_waiting_list_fields(portal, services, booking):
    path = f"/gestion/activites/{ACTIVITY}"
    html = unescape(await as_role(portal, services, path, "staff", "admin"))
    assert (
        'id="waiting_list_mode-offer" name="waiting_list_mode" type="radio" value="offer" checked'
        in html
    )
    assert "Proposition de place à accepter par la famille" in html
    assert 'id="offer_hours" name="offer_hours" type="text" value="24"' in html
    assert "Délai pour accepter (heures)" in html
    token = csrf_of(html)
    base = [
        ("csrf_token", token),
        ("name", "Centre de loisirs – printemps"),
        ("site", "Centre des Tilleuls"),
        ("period_from", "2027-04-12"),
        ("period_to", "2027-04-23"),
        *[("weekdays", str(d)) for d in range(1, 6)],
        ("skip_public_holidays", "oui"),
        ("school_time", "non"),
        ("capacity", "40"),
        ("booking_deadline_days", "2"),
        ("booking_deadline_at", "12:00"),
        ("cancel_deadline_days", "1"),
        ("cancel_deadline_at", "12:00"),
        ("booking_mode", "free"),
    ]
    r = await portal.post(
        path,
        data=[*base, ("waiting_list_mode", "offer"), ("offer_hours", "48")],
        allow_redirects=False,
    )
    assert r.status == 303 and booking.sent == [
        ("PATCH", f"/tenants/demo/activities/{ACTIVITY}", {"offer_hours": 48})
    ]
    r = await portal.post(
        path, data=[*base, ("waiting_list_mode", "automatic"), ("offer_hours", "200")]
    )
    html = unescape(await r.text())
    assert r.status == 422 and len(booking.sent) == 1
    assert 'id="offer_hours-erreur">Indiquez un nombre d\'heures entre 1 et 168.' in html
    assert 'value="200"' in html
    assert 'name="waiting_list_mode" type="radio" value="automatic" checked' in html
    # A new activity: both fields sent.
    html = await (await portal.get("/gestion/activites/nouvelle")).text()
    assert 'id="offer_hours" name="offer_hours" type="text" value="24"' in html
    r = await portal.post(
        "/gestion/activites/nouvelle",
        data=[*base, ("type", "VACANCES"), ("waiting_list_mode", "offer"), ("offer_hours", "12")],
        allow_redirects=False,
    )
    assert r.status == 303, await r.text()
    sent = booking.sent[-1][2]
    assert sent["waiting_list_mode"] == "offer" and sent["offer_hours"] == 12
    # booking's refusal of a mode: next to it.
    booking.answer = (
        422,
        {
            "detail": "Certaines informations sont incorrectes : waiting_list_mode.",
            "errors": [{"field": "waiting_list_mode", "detail": "Mode inconnu."}],
        },
    )
    r = await portal.post(path, data=[*base, ("waiting_list_mode", "automatic")])
    assert r.status == 422
    assert 'id="waiting_list_mode-erreur">Mode inconnu.' in unescape(await r.text())


async def test_families_and_animators_are_refused(portal, services, booking):
    stand_in, _ = services
    for roles in (["family"], ["animator"]):
        stand_in.roles = roles
        await log_in(portal, HOME)
        for page in (
            HOME,
            f"{HOME}/{WINDOW}",
            f"{HOME}/{WINDOW}/modifier",
            f"{HOME}/{WINDOW}/export.csv",
            f"/gestion/activites/{ACTIVITY}/offres",
        ):
            r = await portal.get(page)
            assert r.status == 403, (roles, page)
            assert "Accès réservé" in await r.text()
        token = csrf_of(await (await portal.get(HOME)).text())
        for action in (HOME, f"{HOME}/{WINDOW}/tirage", f"{HOME}/{WINDOW}/modifier"):
            r = await portal.post(action, data={"csrf_token": token})
            assert r.status == 403, (roles, action)
        portal.session.cookie_jar.clear()
    assert booking.sent == []


async def test_the_forms_need_the_session_s_csrf_token(portal, services, booking):
    booking.windows[WINDOW]["status"] = "closed"
    await as_role(portal, services, HOME, "staff")
    for path, data in (
        (HOME, {"name": "X"}),
        (f"{HOME}/{WINDOW}/modifier", {"name": "X"}),
        (f"{HOME}/{WINDOW}/tirage", {}),
        (f"{HOME}/{WINDOW}/demandes/{REQUEST_1}/criteres", {"verified_criteria": "resident"}),
    ):
        r = await portal.post(path, data=data)
        assert r.status == 403 and "Action refusée" in await r.text()
    assert booking.sent == []

"""The attendance sheet for a site animator over HTTP (booking and family stood in): only
their sites, the rest of the back-office refused with the 403 page, another site's sheet
refused, a health record they may not read said so (never shown as « no allergy »), and a
child who came without a booking found by name (no JS: a GET form) and added present."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000001"
CENTRE = "aaaaaaaa-0000-4000-8000-000000000001"
BOIS = "aaaaaaaa-0000-4000-8000-000000000002"
ANNA = "11111111-1111-4111-8111-111111111111"
ELOISE = "22222222-2222-4222-8222-222222222222"
DAY = "2025-12-01"  # a past Monday: children may be added that day


class Booking:
    """What the stood-in booking answers and was asked (changed by each test)."""

    def __init__(self) -> None:
        self.unexpected: web.Response | None = None
        self.bodies: list[Any] = []
        self.searches: list[str] = []
        self.health_status = 403  # what family answers for the care needs (403: refused)


@pytest.fixture
def booking() -> Booking:
    return Booking()


def activity(id_: str, name: str, site: str) -> dict[str, Any]:
    return {
        "id": id_,
        "name": name,
        "type": "PERI",
        "site": site,
        "period_from": "2025-09-01",
        "period_to": "2026-07-03",
        "weekdays": [1, 2, 4, 5],
        "closed_dates": [],
        "extra_dates": [],
        "required_documents": [],
    }


def roll_child(child_id: str, first_name: str, **extra: Any) -> dict[str, Any]:
    return {
        "booking_id": f"b{child_id[1:]}",
        "child_id": child_id,
        "household_id": HOUSEHOLD,
        "first_name": first_name,
        "last_name": "Martin",
        "grade": "CE1",
        "diet": "standard",
        "late": False,
        "unexpected": False,
        "attendance": None,
        "absence_id": None,
        "absence_status": None,
        **extra,
    }


@pytest.fixture
def stand_in_routes(booking: Booking) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        async def sheet_activities(request: web.Request) -> web.Response:
            # booking answers an animator their sites' activities only
            return web.json_response(
                {"items": [activity(CENTRE, "Accueil du soir", "École du centre")]}
            )

        async def roll(request: web.Request) -> web.Response:
            if request.match_info["activity"] != CENTRE:
                return problem(403, "Cette activité a lieu sur un autre site.")
            children = [roll_child(ANNA, "Anna")]
            if booking.unexpected is None and booking.bodies:
                children.append(roll_child(ELOISE, "Éloïse", unexpected=True, attendance="present"))
            return web.json_response({"children": children, "booked": len(children)})

        async def health(request: web.Request) -> web.Response:
            if booking.health_status == 200:
                care = {"child_id": ANNA, "allergies": ["arachide"], "pai": True}
                return web.json_response({**care, "pai_details": "Trousse au bureau"})
            return problem(booking.health_status, "Refusé.")

        async def children(request: web.Request) -> web.Response:
            booking.searches.append(request.query.get("q", ""))
            items = [
                {
                    "id": ELOISE,
                    "first_name": "Éloïse",
                    "last_name": "Martin",
                    "birth_date": "2018-05-03",
                    "grade": "CE2",
                    "school": "École du centre",
                },
                {
                    "id": ANNA,
                    "first_name": "Anna",
                    "last_name": "Martin",
                    "birth_date": "2019-01-09",
                    "grade": "CE1",
                    "school": "École du centre",
                },
            ]
            return web.json_response({"items": items})

        async def unexpected(request: web.Request) -> web.Response:
            booking.bodies.append(await request.json())
            if request.match_info["activity"] != CENTRE:
                return problem(403, "Cette activité a lieu sur un autre site.")
            return booking.unexpected or web.json_response({}, status=201)

        attendance = f"{t}/activities/{{activity}}/days/{{day}}/attendance"
        app.router.add_get(f"{t}/attendance/activities", sheet_activities)
        app.router.add_get(attendance, roll)
        app.router.add_post(f"{attendance}/unexpected", unexpected)
        app.router.add_get(f"{t}/households/{{id}}/children/{{child}}/care-needs", health)
        app.router.add_get(f"{t}/children", children)

    return add


async def as_animator(portal: TestClient, services: tuple[Services, str], target: str) -> str:
    stand_in, _ = services
    stand_in.roles = ["animator"]
    await log_in(portal, target)
    r = await portal.get(target)
    assert r.status == 200, await r.text()
    return await r.text()


def sheet(**extra: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"jour": DAY, "activite": CENTRE, **extra}.items())
    return f"/gestion/presences?{query}"


async def test_an_animator_sees_their_sites_only_and_no_other_staff_page(portal, services):
    html = await as_animator(portal, services, "/gestion/presences")
    assert "École du centre" in html and "Tous mes sites" in html
    assert "/gestion/presences/cuisine" not in html  # neither the kitchen nor the queues
    assert "/gestion/inscriptions" not in html
    for path in ("/gestion", "/gestion/foyers", "/gestion/presences/cuisine"):
        r = await portal.get(path)
        assert r.status == 403, path
        assert "réservée aux agents" in await r.text()
    # Another site's sheet: the 403 page, whether the picker or booking refuses it.
    r = await portal.get(f"/gestion/presences?jour={DAY}&activite={BOIS}")
    assert r.status == 403
    assert "site dont vous n'êtes pas l'animateur" in unescape(await r.text())


async def test_the_animator_sees_the_care_needs_or_is_told_they_could_not_be_read(
    portal, services, booking
):
    booking.health_status = 200
    html = await as_animator(portal, services, sheet())
    assert "Anna Martin" in html and "arachide" in html
    assert "fiche santé non consultable" not in html
    booking.health_status = 403
    html = await (await portal.get(sheet())).text()
    assert "fiche santé non consultable" in html
    booking.health_status = 404  # no record at all: nothing to say
    r = await portal.get(sheet())
    assert "fiche santé non consultable" not in await r.text()


async def test_a_child_without_booking_is_found_and_added_present(portal, services, booking):
    html = await as_animator(portal, services, sheet(recherche="eloise"))
    assert booking.searches == ["eloise"]
    assert "Ajouter un enfant présent sans réservation" in html
    assert "2 enfants trouvés" in html and "né(e) le 03/05/2018 · CE2" in html
    assert html.count('action="/gestion/presences/sans-reservation"') == 1  # Anna is on it
    assert f'href="#enfant-{ANNA}"' in html

    form = {"csrf_token": csrf_of(html), "jour": DAY, "site": "", "activite": CENTRE}
    r = await portal.post(
        "/gestion/presences/sans-reservation",
        data={**form, "enfant": ELOISE},
        allow_redirects=False,
    )
    assert r.status == 303
    location = r.headers["Location"]
    assert location.endswith(f"#enfant-{ELOISE}")
    assert parse_qs(urlsplit(location).query)["ajoute"] == [ELOISE]
    assert booking.bodies == [{"child_id": ELOISE}]
    page = await (await portal.get(location)).text()
    assert "Sans réservation" in page
    assert "Éloïse Martin a été ajouté(e) présent(e) sans réservation" in page

    booking.unexpected = problem(
        422, "Déjà inscrit.", type="https://errors.example/already-booked-that-day"
    )
    r = await portal.post(
        "/gestion/presences/sans-reservation", data={**form, "enfant": ANNA}, allow_redirects=False
    )
    assert r.status == 303 and "refus-ajout=deja-inscrit" in r.headers["Location"]
    page = await (await portal.get(r.headers["Location"])).text()
    assert "déjà inscrit ce jour-là : pointez-le" in page

    r = await portal.post(
        "/gestion/presences/sans-reservation",
        data={**form, "activite": BOIS, "enfant": ELOISE},
        allow_redirects=False,
    )
    assert r.status == 403


async def test_a_family_may_not_add_a_child(portal, services):
    await log_in(portal)  # the family
    r = await portal.get(sheet())
    assert r.status == 403

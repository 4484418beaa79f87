"""Closing one day of an activity from the back-office (issue 16), booking stood in: the
admin types the day and the reason, booking is asked once with them, the outcome is said
(bookings cancelled, families told); the fields' mistakes and booking's refusals (a past
day, no activity that day) are shown next to their field; an agent gets the 403 page."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem
from .test_staff_activities_pages import ACTIVITY, an_activity

PAGE = f"/gestion/activites/{ACTIVITY}/fermer-un-jour"


class Booking:
    def __init__(self) -> None:
        self.activity = an_activity()
        self.sent: list[tuple[str, Any]] = []


@pytest.fixture
def booking() -> Booking:
    return Booking()


@pytest.fixture
def stand_in_routes(booking: Booking) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        async def one(request: web.Request) -> web.Response:
            if request.match_info["id"] != ACTIVITY:
                return problem(404, "Cette activité n'existe pas.")
            return web.json_response(booking.activity)

        async def close_day(request: web.Request) -> web.Response:
            body = await request.json()
            day = request.match_info["day"]
            booking.sent.append((day, body))
            if day < "2026-09-01":
                return problem(422, "Un jour passé ne peut pas être fermé.")
            if day == "2026-09-16":
                return problem(404, "L'activité n'a pas lieu ce jour-là.")
            already = day in booking.activity["closed_dates"]
            booking.activity["closed_dates"] = sorted({*booking.activity["closed_dates"], day})
            return web.json_response(
                {
                    "activity_id": ACTIVITY,
                    "date": day,
                    "reason": body["reason"],
                    "cancelled": 0 if already else 2,
                    "waiting_removed": 0 if already else 1,
                    "already_closed": already,
                }
            )

        activity = f"{t}/activities/{{id:[0-9a-f-]{{36}}}}"
        app.router.add_get(activity, one)
        app.router.add_post(f"{activity}/days/{{day}}/close", close_day)

    return add


async def as_role(portal: TestClient, services: tuple[Services, str], *roles: str) -> str:
    stand_in, _ = services
    stand_in.roles = list(roles)
    await log_in(portal, PAGE)
    r = await portal.get(PAGE)
    assert r.status == 200, await r.text()
    return await r.text()


async def test_the_admin_closes_a_day_and_is_told_what_it_did(portal, services, booking):
    html = await as_role(portal, services, "staff", "admin")
    assert "<h1>Fermer un jour : Cantine du Centre</h1>" in html
    assert '<label for="date">Jour à fermer</label>' in html
    assert '<label for="reason">Motif (envoyé aux familles)</label>' in html
    assert 'aria-current="page">Fermer un jour</a>' in html
    data = {"csrf_token": csrf_of(html), "date": "17/09/2027", "reason": "  Grève du personnel "}
    r = await portal.post(PAGE, data=data, allow_redirects=False)
    assert r.status == 303
    assert r.headers["Location"] == f"{PAGE}?ferme=2027-09-17&annules=2&attente=1&deja=0"
    assert booking.sent == [("2027-09-17", {"reason": "Grève du personnel"})]
    page = unescape(await (await portal.get(r.headers["Location"])).text())
    assert "Le vendredi 17 septembre 2027 est fermé." in page
    assert "2 réservations annulées sans facturation ; chaque famille est prévenue" in page
    assert (
        "1 enfant retiré de la liste d'attente ; chaque famille est prévenue par courriel"
        " que sa demande est annulée." in page
    )
    assert "Jours déjà fermés à venir" in page
    # Again: nothing changes, and it is said.
    r = await portal.post(PAGE, data=data)
    page = unescape(await r.text())
    assert "Le vendredi 17 septembre 2027 était déjà fermé : rien n'a changé." in page
    # A forged address says nothing (and never fails).
    r = await portal.get(f"{PAGE}?ferme=pas-une-date&annules=x")
    assert r.status == 200 and 'role="status"' not in await r.text()


async def test_mistakes_and_refusals_are_shown_next_to_their_field(portal, services, booking):
    html = await as_role(portal, services, "staff", "admin")
    token = csrf_of(html)
    r = await portal.post(PAGE, data={"csrf_token": token, "date": "31/02/2026", "reason": ""})
    assert r.status == 422
    page = unescape(await r.text())
    assert 'id="date-erreur">Le jour doit être une date au format jj/mm/aaaa.</p>' in page
    assert 'id="reason-erreur">Indiquez le motif : il est envoyé aux familles.</p>' in page
    assert 'aria-invalid="true" aria-describedby="date-erreur date-aide"' in page
    assert booking.sent == []
    for day, said in (
        ("27/08/2026", "Un jour passé ne peut pas être fermé."),
        ("16/09/2026", "L'activité n'a pas lieu ce jour-là."),
    ):
        data = {"csrf_token": token, "date": day, "reason": "Grève"}
        r = await portal.post(PAGE, data=data)
        assert r.status == 422
        page = unescape(await r.text())
        assert f'id="date-erreur">{said}</p>' in page
        assert 'value="Grève"' not in page and ">Grève</textarea>" in page  # kept as typed


async def test_an_agent_may_not_close_a_day(portal, services, booking):
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion")
    r = await portal.get(PAGE)
    assert r.status == 403
    r = await portal.post(PAGE, data={"csrf_token": csrf_of(await r.text()), "date": "17/09/2027"})
    assert r.status == 403 and booking.sent == []

"""Reservations over HTTP (the services stood in): the month calendar in the legend's states
with its words, days ticked or a rhythm put in the basket (kept in the session), the basket
with its late days "sera majorée", validation and its outcome (waiting-list position), a
basket already validated, a day cancelled or its 409 said plainly, the iCalendar link shown
once and revoked; the API's 422 by field, a child of another household 404, CSRF."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import CSRF, Services, log_in, problem

LEO = "11111111-1111-4111-8111-111111111111"
STRANGER = "22222222-2222-4222-8222-222222222222"
CENTRE = "aaaaaaaa-0000-4000-8000-000000000001"
CANTINE = "aaaaaaaa-0000-4000-8000-000000000002"
BASKET = "cccccccc-0000-4000-8000-000000000001"
BOOKED = "bbbbbbbb-0000-4000-8000-000000000001"
LOCKED = "bbbbbbbb-0000-4000-8000-000000000002"
WAITING = "bbbbbbbb-0000-4000-8000-000000000003"


DAYS = [
    {"date": "2027-01-01", "state": "deadline_passed", "booking_id": None},
    {"date": "2027-01-04", "state": "booked_locked", "booking_id": LOCKED},
    {"date": "2027-01-05", "state": "booked_cancellable", "booking_id": BOOKED},
    {"date": "2027-01-06", "state": "waiting_list", "booking_id": WAITING, "waiting_position": 2},
    {"date": "2027-01-07", "state": "full", "booking_id": None},
    {"date": "2027-01-08", "state": "late", "booking_id": None},
    {"date": "2027-01-11", "state": "bookable", "booking_id": None},
    {"date": "2027-01-12", "state": "bookable", "booking_id": None},
]
# The fair opening (issue 18): days a window not yet allocated covers, a waiting day offered.
OFFERED = "bbbbbbbb-0000-4000-8000-000000000004"
FAIR_DAYS = [
    {"date": "2027-02-01", "state": "window_pending", "booking_id": None},
    {"date": "2027-02-02", "state": "window_pending", "booking_id": None},
    {"date": "2027-02-03", "state": "offered", "booking_id": OFFERED, "waiting_position": 1},
    {"date": "2027-02-04", "state": "bookable", "booking_id": None},
]


@dataclass
class Booking:
    """What the stand-in of booking answers; what it was sent."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    status: str = "open"
    sent: list[tuple[str, Any]] = field(default_factory=list)
    lines_answer: tuple[int, dict[str, Any]] | None = None
    validate_answer: tuple[int, dict[str, Any]] | None = None
    cancel_answer: tuple[int, dict[str, Any]] | None = None


@pytest.fixture
def booking() -> Booking:
    return Booking()


@pytest.fixture
def stand_in_routes(booking: Booking) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def authorised(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "")
            return header.removeprefix("Bearer ") in services.valid_access

        async def household(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            child = {"id": LEO, "first_name": "Léo", "last_name": "Durand"}
            return web.json_response({"id": "h1", "children": [child], "guardians": []})

        async def activities(request: web.Request) -> web.Response:
            return web.json_response({"items": [{"id": CENTRE, "name": "Centre de loisirs"}]})

        async def enrollments(request: web.Request) -> web.Response:
            return web.json_response(
                {"items": [{"child_id": LEO, "activity_id": CENTRE, "status": "approved"}]}
            )

        async def child_calendar(request: web.Request) -> web.Response:
            if request.match_info["child"] != LEO:
                return problem(404, "Cet enfant est introuvable dans votre foyer.")
            month = request.query["month"]
            days = {"2027-01": DAYS, "2027-02": FAIR_DAYS}.get(month, [])
            return web.json_response(
                {
                    "child_id": LEO,
                    "month": month,
                    "activities": [
                        {
                            "activity_id": CENTRE,
                            "name": "Centre de loisirs",
                            "type": "PERI",
                            "site": "Centre du Lac",
                            "days": days,
                        },
                        {
                            "activity_id": CANTINE,
                            "name": "Cantine",
                            "type": "CANTINE",
                            "site": "École",
                            "days": [],
                        },
                    ],
                }
            )

        def basket_body() -> dict[str, Any]:
            return {"id": BASKET, "status": booking.status, "lines": booking.lines}

        def expand(line: dict[str, Any]) -> None:
            for n, day in enumerate(line.get("dates") or ["2027-01-11"]):
                booking.lines.append(
                    {
                        "id": f"dddddddd-0000-4000-8000-{len(booking.lines) + n:012d}",
                        "child_id": line["child_id"],
                        "activity_id": line["activity_id"],
                        "date": day,
                        "action": "add",
                    }
                )

        async def create_basket(request: web.Request) -> web.Response:
            body = await request.json()
            booking.sent.append(("create", body))
            if booking.lines_answer is not None:
                status, answer = booking.lines_answer
                return problem(status, **answer)
            booking.status = "open"
            booking.lines = []
            for line in body["lines"]:
                expand(line)
            return web.json_response(basket_body(), status=201)

        async def get_basket(request: web.Request) -> web.Response:
            return web.json_response(basket_body())

        async def add_lines(request: web.Request) -> web.Response:
            body = await request.json()
            booking.sent.append(("lines", body))
            if booking.status != "open":
                return problem(409, "Ce panier a déjà été validé.")
            if booking.lines_answer is not None:
                status, answer = booking.lines_answer
                return problem(status, **answer)
            expand(body)
            return web.json_response(basket_body())

        async def delete_line(request: web.Request) -> web.Response:
            booking.sent.append(("delete", request.match_info["line"]))
            booking.lines = [x for x in booking.lines if x["id"] != request.match_info["line"]]
            return web.Response(status=204)

        async def validate(request: web.Request) -> web.Response:
            booking.sent.append(("validate", await request.json()))
            if booking.validate_answer is not None:
                status, answer = booking.validate_answer
                return problem(status, **answer)
            booking.status = "validated"

            def outcome(day: str, result: str, **extra: Any) -> dict[str, Any]:
                return {
                    "child_id": LEO,
                    "activity_id": CENTRE,
                    "date": day,
                    "action": "add",
                    "outcome": result,
                    "reason": None,
                    "detail": None,
                    "late": False,
                    **extra,
                }

            return web.json_response(
                {
                    "basket_id": BASKET,
                    "confirmed": 1,
                    "waiting_list": 1,
                    "cancelled": 0,
                    "refused": 1,
                    "lines": [
                        outcome("2027-01-08", "confirmed", late=True),
                        outcome("2027-01-06", "waiting_list", reason="full"),
                        outcome(
                            "2027-01-09",
                            "refused",
                            reason="closed_day",
                            detail="L'activité n'a pas lieu ce jour-là.",
                        ),
                    ],
                }
            )

        async def cancel(request: web.Request) -> web.Response:
            booking.sent.append(("cancel", request.match_info["booking"]))
            if booking.cancel_answer is not None:
                status, answer = booking.cancel_answer
                return problem(status, **answer)
            return web.json_response(
                {"id": request.match_info["booking"], "date": "2027-01-05", "status": "cancelled"}
            )

        async def create_token(request: web.Request) -> web.Response:
            booking.sent.append(("token", request.match_info["child"]))
            return web.json_response(
                {"child_id": LEO, "token": "secret-token", "url": "/calendars/secret-token.ics"},
                status=201,
            )

        async def revoke_token(request: web.Request) -> web.Response:
            booking.sent.append(("revoke", request.match_info["child"]))
            return web.Response(status=204)

        app.router.add_get(f"{t}/me/household", household)
        app.router.add_get(f"{t}/activities", activities)
        app.router.add_get(f"{t}/enrollments", enrollments)
        app.router.add_get(f"{t}/children/{{child}}/calendar", child_calendar)
        app.router.add_post(f"{t}/children/{{child}}/calendar-token", create_token)
        app.router.add_delete(f"{t}/children/{{child}}/calendar-token", revoke_token)
        app.router.add_post(f"{t}/baskets", create_basket)
        app.router.add_get(f"{t}/baskets/{{basket}}", get_basket)
        app.router.add_post(f"{t}/baskets/{{basket}}/lines", add_lines)
        app.router.add_delete(f"{t}/baskets/{{basket}}/lines/{{line}}", delete_line)
        app.router.add_post(f"{t}/baskets/{{basket}}/validate", validate)
        app.router.add_post(f"{t}/bookings/{{booking}}/cancel", cancel)

    return add


async def page(portal: TestClient, path: str, status: int = 200) -> str:
    r = await portal.get(path, allow_redirects=False)
    text = await r.text()
    assert r.status == status, text
    return text


async def post(
    portal: TestClient, path: str, data: dict[str, Any] | list[tuple[str, str]], status: int = 303
) -> tuple[str, str]:
    token = CSRF.search(await page(portal, "/reservations"))
    assert token
    fields = list(data.items()) if isinstance(data, dict) else list(data)
    r = await portal.post(path, data=[("csrf_token", token[1]), *fields], allow_redirects=False)
    text = await r.text()
    assert r.status == status, text
    return r.headers.get("Location", ""), text


CALENDAR = f"/reservations/{LEO}?mois=2027-01&activite={CENTRE}"


async def test_the_month_shows_each_day_in_the_legends_words_with_its_actions(portal):
    await log_in(portal)
    listing = await page(portal, "/reservations")
    assert "Centre de loisirs : Inscription acceptée" in listing
    assert f'href="/reservations/{LEO}"' in listing
    html = await page(portal, CALENDAR)
    assert "<h1>Calendrier de Léo Durand</h1>" in html
    assert "<caption>Centre de loisirs (Centre du Lac) – janvier 2027</caption>" in html
    assert "Calendrier de Léo Durand – janvier 2027 – Centre de loisirs" in html  # the title
    # Each state as words in its cell; the legend lists the guide's eight.
    assert html.count('class="swatch ') == 10  # the eight, past-deadline and closed days
    # A day past its booking deadline ("sens interdit"): its own cell, words and symbol, in
    # the legend too, never the colour alone; no box to tick.
    past = r'<td class="day day-past-deadline" data-date="2027-01-01">(.*?)</td>'
    cell = re.search(past, html, re.S)
    assert cell and "Délai dépassé" in cell[1] and 'aria-hidden="true">⛔' in cell[1]
    assert "Délai de réservation dépassé : l&#39;activité a lieu" in html
    assert "<strong>Fermé</strong> : pas d'activité ce jour" in html
    assert "Oups ! Hors délais, l&#39;inscription sera majorée" in html
    assert "Attente n°&nbsp;2" in html
    # Checkboxes on the bookable, late and full days only.
    boxes = re.findall(r'name="jour" value="([\d-]+)"', html)
    assert boxes == ["2027-01-07", "2027-01-08", "2027-01-11", "2027-01-12"]
    assert "Liste d'attente le jeudi 7 janvier 2027" in html
    assert "Réserver le vendredi 8 janvier 2027 (sera majorée)" in html
    # The booked days: the cancellable one has its link, the locked one says why.
    assert f"/annuler/{BOOKED}?" in html and f"/annuler/{LOCKED}" not in html
    assert "Annulation impossible : le délai d'annulation est dépassé." in html
    assert f"/annuler/{WAITING}?" in html and "(position n°&nbsp;2)" in html
    # Several activities: the choice, and the months around.
    assert 'aria-current="page">Centre de loisirs</a>' in html
    assert f"?mois=2026-12&amp;activite={CENTRE}" in html
    assert f"?mois=2027-02&amp;activite={CENTRE}" in html


async def test_the_days_of_a_draw_and_a_place_offered_have_their_own_state(portal):
    await log_in(portal)
    html = await page(portal, f"/reservations/{LEO}?mois=2027-02&activite={CENTRE}")
    # A day a window not yet allocated covers: its words, no box to tick.
    cell = re.search(r'<td class="day day-draw" data-date="2027-02-01">(.*?)</td>', html, re.S)
    assert cell and "Tirage au sort" in cell[1] and 'name="jour"' not in cell[1]
    assert re.findall(r'name="jour" value="([\d-]+)"', html) == ["2027-02-04"]
    # A waiting day with a place offered: links to the offers, in its cell and the list.
    cell = re.search(r'<td class="day day-offered" data-date="2027-02-03">(.*?)</td>', html, re.S)
    assert cell and '<a href="/reservations/offres">Place proposée' in cell[1]
    assert "Répondre à la proposition" in html and f"/annuler/{OFFERED}" not in html
    # The legend lists both, under the guide's ten, and links to the windows.
    assert html.count('class="swatch ') == 12
    assert "<strong>Tirage au sort</strong> : Attribution par tirage au sort : " in html
    assert '<a href="/reservations/fenetres">Inscriptions par tirage au sort</a>' in html
    assert "<strong>Place proposée</strong> : " in html
    # A month without such days keeps the guide's legend alone.
    html = await page(portal, CALENDAR)
    assert html.count('class="swatch ') == 10 and "day-draw" not in html


async def test_days_ticked_go_into_a_basket_kept_in_the_session(portal, booking):
    await log_in(portal)
    form = [("activite", CENTRE), ("mois", "2027-01"), ("jour", "2027-01-08")]
    location, _ = await post(portal, f"/reservations/{LEO}/jours", [*form, ("jour", "2027-01-11")])
    assert location == "/panier"
    assert booking.sent[-1] == (
        "create",
        {
            "lines": [
                {"child_id": LEO, "activity_id": CENTRE, "dates": ["2027-01-08", "2027-01-11"]}
            ]
        },
    )
    # The next days go into the same basket.
    await post(portal, f"/reservations/{LEO}/jours", [*form[:2], ("jour", "2027-01-07")])
    assert booking.sent[-1][0] == "lines"
    html = await page(portal, "/panier")
    assert '<h2 id="groupe-1">Léo Durand – Centre de loisirs</h2>' in html
    assert "vendredi 8 janvier 2027" in html
    assert "Hors délais : l&#39;inscription sera majorée" in html
    assert "Complet : votre enfant sera inscrit sur la liste d&#39;attente" in html
    assert html.index("jeudi 7 janvier") < html.index("vendredi 8 janvier")
    # A day removed.
    line_id = booking.lines[0]["id"]
    location, _ = await post(portal, f"/panier/lignes/{line_id}/retirer", {})
    assert location == "/panier" and ("delete", line_id) in booking.sent


async def test_no_day_ticked_is_said_next_to_the_calendar(portal, booking):
    await log_in(portal)
    _, html = await post(
        portal, f"/reservations/{LEO}/jours", {"activite": CENTRE, "mois": "2027-01"}, 422
    )
    assert 'id="jours-choisis-erreur">Cochez au moins un jour du calendrier.' in html
    assert booking.sent == []


async def test_the_rhythm_form_says_its_mistakes_by_field(portal, booking):
    await log_in(portal)
    data = {"activite": CENTRE, "mois": "2027-01", "mode": "rythme", "du": "04/01/2027"}
    _, html = await post(portal, f"/reservations/{LEO}/rythme", data, 422)
    assert re.search(r'id="au"[^>]*aria-describedby="periode-aide au-erreur"', html)
    assert 'id="au-erreur">Indiquez la date de fin' in html
    assert 'id="jours-erreur">Cochez au moins un jour de la semaine.' in html
    assert 'value="04/01/2027"' in html  # what was typed is kept
    assert booking.sent == []
    # The API's 422 naming a field: next to that field.
    booking.lines_answer = (
        422,
        {
            "detail": "Certaines informations sont incorrectes.",
            "errors": [
                {"field": "lines.0.to", "detail": "La fin de la période précède son début."}
            ],
        },
    )
    data.update({"au": "29/01/2027", "frequence": "2"})
    _, html = await post(
        portal, f"/reservations/{LEO}/rythme", [*data.items(), ("jours", "1"), ("jours", "3")], 422
    )
    assert 'id="au-erreur">La fin de la période précède son début.' in html
    assert booking.sent[-1][1]["lines"] == [
        {
            "child_id": LEO,
            "activity_id": CENTRE,
            "weekdays": [1, 3],
            "every_n_weeks": 2,
            "from": "2027-01-04",
            "to": "2027-01-29",
        }
    ]


async def test_validation_shows_the_outcome_then_a_validated_basket_is_said_plainly(
    portal, booking
):
    await log_in(portal)
    await post(
        portal,
        f"/reservations/{LEO}/jours",
        [("activite", CENTRE), ("mois", "2027-01"), ("jour", "2027-01-08")],
    )
    location, _ = await post(portal, "/panier/valider", {})
    assert location == "/panier/resultat"
    html = await page(portal, location)
    assert "Jours confirmés (1)" in html and "(hors délais : majorée)" in html
    assert "Jours sur liste d'attente (1)" in html
    assert "position n°&nbsp;2 sur la liste d'attente" in html
    assert "Jours refusés (1)" in html and "L&#39;activité n&#39;a pas lieu ce jour-là." in html
    # The basket is forgotten: the next days open a new one.
    assert "Votre panier est vide" in await page(portal, "/panier")
    # A basket validated meanwhile (another tab): said, never a 500.
    await post(
        portal,
        f"/reservations/{LEO}/jours",
        [("activite", CENTRE), ("mois", "2027-01"), ("jour", "2027-01-11")],
    )
    booking.status = "validated"  # in another tab
    assert "Votre panier a déjà été validé" in await page(portal, "/panier")
    assert "Votre panier est vide" in await page(portal, "/panier")  # then forgotten
    await post(
        portal,
        f"/reservations/{LEO}/jours",
        [("activite", CENTRE), ("mois", "2027-01"), ("jour", "2027-01-12")],
    )
    booking.validate_answer = (409, {"detail": "Ce panier a déjà été validé.", "code": "x"})
    _, html = await post(portal, "/panier/valider", {}, 409)
    assert "Ce panier a déjà été validé ; vos réservations figurent" in html


async def test_cancelling_a_day_confirms_first_and_says_a_refusal_plainly(portal, booking):
    await log_in(portal)
    confirm = await page(
        portal,
        f"/reservations/{LEO}/annuler/{BOOKED}?date=2027-01-05&mois=2027-01&activite={CENTRE}",
    )
    assert "Confirmer l'annulation du mardi 5 janvier 2027" in confirm
    form = {"date": "2027-01-05", "mois": "2027-01", "activite": CENTRE}
    location, _ = await post(portal, f"/reservations/{LEO}/annuler/{BOOKED}", form)
    assert location == (
        f"/reservations/{LEO}?mois=2027-01&activite={CENTRE}&annule=2027-01-05#reservations"
    )
    assert "La réservation du mardi 5 janvier 2027 est annulée." in await page(portal, location)
    booking.cancel_answer = (
        409,
        {
            "detail": "Le délai d'annulation est dépassé : cette réservation ne peut plus être"
            " annulée."
        },
    )
    _, html = await post(portal, f"/reservations/{LEO}/annuler/{BOOKED}", form, 409)
    assert "<h1>Annulation impossible</h1>" in html
    assert "Le délai d&#39;annulation est dépassé" in html


async def test_the_icalendar_link_is_shown_once_then_revoked(portal, booking):
    await log_in(portal)
    location, _ = await post(portal, f"/reservations/{LEO}/agenda", {"mois": "2027-01"})
    assert location == f"/reservations/{LEO}?mois=2027-01#agenda"
    html = await page(portal, location)
    assert re.search(r'value="http://[^"]+/api/booking/calendars/secret-token\.ics"', html)
    assert "secret-token" not in await page(portal, location)  # shown once
    location, _ = await post(portal, f"/reservations/{LEO}/agenda/revoquer", {"mois": "2027-01"})
    assert "Le lien d'agenda est révoqué" in await page(portal, location)
    assert ("revoke", LEO) in booking.sent


async def test_another_households_child_is_not_found_and_forms_need_the_csrf_token(portal, booking):
    await log_in(portal)
    await page(portal, f"/reservations/{STRANGER}", 404)
    await page(portal, "/reservations/pas-un-enfant", 404)
    r = await portal.post(
        f"/reservations/{LEO}/jours",
        data={"activite": CENTRE, "jour": "2027-01-11"},
        allow_redirects=False,
    )
    assert r.status == 403 and booking.sent == []
    r = await portal.post("/panier/valider", data={"csrf_token": "faux"}, allow_redirects=False)
    assert r.status == 403


async def test_the_pages_need_a_login(portal):
    r = await portal.get(f"/reservations/{LEO}", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"].startswith("/connexion?suite=")

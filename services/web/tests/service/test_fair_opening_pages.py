"""The fair opening for families over HTTP (booking, family and notify stood in, answering as
the issue-18 contract says): the windows listed and linked from /reservations, a window's
rules and draw explained, the request form sending exactly the documented body, booking's
422 next to the field and 409 when closed, the request withdrawn, the outcome after the
draw and the draw's table checked against its seed; the offers answered with one button;
the emailed one-click link, which accepts only on POST and says each refusal; the reminder
preference saved from /compte; CSRF on every form."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import pytest
from aiohttp import web

from ..conftest import Services, anonymous, csrf_of, log_in, problem

LEO = "11111111-1111-4111-8111-111111111111"
ZOE = "22222222-2222-4222-8222-222222222222"
HOUSEHOLD = "dddddddd-0000-4000-8000-000000000001"
ACTIVITY = "aaaaaaaa-0000-4000-8000-000000000001"
OPEN = "f0000000-0000-4000-8000-000000000001"
ALLOCATED = "f0000000-0000-4000-8000-000000000002"
REQUEST = "e0000000-0000-4000-8000-000000000001"
OFFER_OPEN = "0ff00000-0000-4000-8000-000000000001"
OFFER_PAST = "0ff00000-0000-4000-8000-000000000002"
SEED = "5eed" * 16
LINK_TOKEN = "v1.abc-DEF_123.sig"
RULES = [
    {"code": "resident", "label": "Résident de la commune"},
    {"code": "sibling_enrolled", "label": "Frère ou sœur déjà inscrit"},
    {"code": "both_parents_working", "label": "Les deux parents travaillent"},
]


def a_window(id: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "activity_id": ACTIVITY,
        "activity_name": "Centre de loisirs été",
        "name": "Vacances d'été 2027",
        "opens_at": "2027-05-03T06:00:00+00:00",
        "closes_at": "2027-05-17T21:59:00+00:00",
        "date_from": "2027-07-06",
        "date_to": "2027-07-08",
        "days": ["2027-07-06", "2027-07-07", "2027-07-08"],
        "status": status,
        "priority_rules": RULES,
        "first_come_after": True,
        "seed_hash": hashlib.sha256(SEED.encode()).hexdigest(),
        "seed": None,
        "allocated_at": None,
        **extra,
    }


def key(request_id: str) -> str:
    return hashlib.sha256(f"{SEED}:{request_id}".encode()).hexdigest()


def a_draw() -> dict[str, Any]:
    ids = [f"e0000000-0000-4000-8000-00000000000{n}" for n in range(1, 5)]
    levels = {ids[0]: 1, ids[1]: 1, ids[2]: 2, ids[3]: 4}
    ordered = sorted(ids, key=lambda i: (levels[i], key(i)))
    # booking's DrawOut: no names; per entry a count of children and each day's asks.
    return {
        "window_id": ALLOCATED,
        "allocated_at": "2027-05-18T06:00:00+00:00",
        "seed": SEED,
        "seed_hash": hashlib.sha256(SEED.encode()).hexdigest(),
        "rules": RULES,
        "days": [{"date": "2027-07-06", "places": 3}, {"date": "2027-07-07", "places": 2}],
        "entries": [
            {
                "request_id": i,
                "level": levels[i],
                "lottery_key": key(i),
                "rank": rank,
                "children": 2 if i == ids[0] else 1,
                "together": i == ids[0],
                "asks": [
                    {
                        "date": "2027-07-06",
                        "children": 2 if i == ids[0] else 1,
                        "booked": 2 if i == ids[0] else 0,
                        "waiting": 0 if i == ids[0] else 1,
                    }
                ],
            }
            for rank, i in enumerate(ordered, 1)
        ],
    }


def an_offer(id: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "activity_id": ACTIVITY,
        "activity_name": "Centre de loisirs été",
        "child_id": LEO,
        "child_first_name": "Léo",
        "booking_id": "b0000000-0000-4000-8000-000000000001",
        "date": "2027-07-07",
        "status": status,
        "offered_at": "2027-06-29T16:00:00+00:00",
        "expires_at": "2027-06-30T16:00:00+00:00",
        "answered_at": None,
        "answered_by": None,
        **extra,
    }


@dataclass
class Booking:
    """What the stand-in answers; what it was sent (method, path, body)."""

    windows: list[dict[str, Any]] = field(default_factory=list)
    mine: dict[str, dict[str, Any]] = field(default_factory=dict)
    put_answer: tuple[int, dict[str, Any]] | None = None
    offers: list[dict[str, Any]] = field(default_factory=list)
    offer_answer: tuple[int, dict[str, Any]] | None = None
    link_answer: tuple[int, dict[str, Any]] = (
        200,
        {
            "offer_id": OFFER_OPEN,
            "status": "accepted",
            "date": "2027-07-07",
            "activity_name": "Centre de loisirs été",
        },
    )
    draw: dict[str, Any] | None = None
    reminders: bool = True
    sent: list[tuple[str, str, Any]] = field(default_factory=list)
    link_tokens: list[str | None] = field(default_factory=list)  # the Authorization sent


@pytest.fixture
def booking() -> Booking:
    return Booking(
        windows=[a_window(OPEN, "open"), a_window(ALLOCATED, "allocated", name="Toussaint 2027")],
        offers=[
            an_offer(OFFER_PAST, "expired", expires_at="2027-06-20T16:00:00+00:00"),
            an_offer(OFFER_OPEN, "open"),
        ],
    )


@pytest.fixture
def stand_in_routes(booking: Booking) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return header in services.valid_access

        def guarded(handler: Callable[[web.Request], Any]) -> Callable[[web.Request], Any]:
            async def run(request: web.Request) -> web.StreamResponse:
                if not allowed(request):
                    return problem(401, "Jeton invalide.")
                return await handler(request)

            return run

        async def household(request: web.Request) -> web.Response:
            child = {"last_name": "Durand", "birth_date": "2018-05-03", "contacts": []}
            return web.json_response(
                {
                    "id": HOUSEHOLD,
                    "guardians": [],
                    "children": [
                        {**child, "id": LEO, "first_name": "Léo"},
                        {**child, "id": ZOE, "first_name": "Zoé"},
                    ],
                }
            )

        async def nothing(request: web.Request) -> web.Response:
            return web.json_response({"items": []})

        async def windows(request: web.Request) -> web.Response:
            return web.json_response({"items": booking.windows})  # as booking's WindowListOut

        def window_of(request: web.Request) -> dict[str, Any] | None:
            found = [w for w in booking.windows if w["id"] == request.match_info["id"]]
            return found[0] if found else None

        async def window(request: web.Request) -> web.Response:
            found = window_of(request)
            if found is None:
                return problem(404, "Cette période de demandes n'existe pas.")
            return web.json_response(found)

        async def mine(request: web.Request) -> web.Response:
            window_id = request.match_info["id"]
            if request.method == "GET":
                if window_id not in booking.mine:
                    return problem(404, "Aucune demande.")
                return web.json_response(booking.mine[window_id])
            if request.method == "DELETE":
                booking.sent.append(("DELETE", request.path, None))
                booking.mine.pop(window_id, None)
                return web.Response(status=204)
            body = await request.json()
            booking.sent.append(("PUT", request.path, body))
            if booking.put_answer is not None:
                status, said = booking.put_answer
                return problem(status, **said)
            names = {LEO: "Léo", ZOE: "Zoé"}
            booking.mine[window_id] = {
                "id": REQUEST,
                "siblings_together": body["siblings_together"],
                "criteria": body["criteria"],
                "submitted_at": "2027-05-03T06:00:05+00:00",
                "updated_at": "2027-05-03T06:00:05+00:00",
                "children": [
                    {
                        "child_id": c["child_id"],
                        "first_name": names[c["child_id"]],
                        "dates": [
                            {"date": d, "outcome": None, "waiting_position": None}
                            for d in c["dates"]
                        ],
                    }
                    for c in body["children"]
                ],
                "level": None,
                "level_label": None,
                "rank": None,
                "entries": None,
                "reasons": [],
            }
            return web.json_response(booking.mine[window_id])

        async def draw(request: web.Request) -> web.Response:
            if booking.draw is None:
                return problem(409, "Le tirage n'a pas encore eu lieu.")
            return web.json_response(booking.draw)

        async def offers(request: web.Request) -> web.Response:
            return web.json_response({"items": booking.offers})  # as booking's OfferListOut

        async def answer_offer(request: web.Request) -> web.Response:
            booking.sent.append(("POST", request.path, None))
            if booking.offer_answer is not None:
                status, said = booking.offer_answer
                return problem(status, **said)
            found = next(o for o in booking.offers if o["id"] == request.match_info["id"])
            found["status"] = "accepted" if request.path.endswith("accept") else "declined"
            found["answered_at"] = "2027-06-29T17:00:00+00:00"
            return web.json_response(found)

        async def accept_by_link(request: web.Request) -> web.Response:
            body = await request.json()
            booking.sent.append(("POST", request.path, body))
            booking.link_tokens.append(request.headers.get("Authorization"))
            status, said = booking.link_answer
            if status == 200:
                return web.json_response(said)
            return problem(status, **said)

        async def preferences(request: web.Request) -> web.Response:
            if request.method == "PUT":
                body = await request.json()
                booking.sent.append(("PUT", request.path, body))
                booking.reminders = body["booking_reminders"]
            return web.json_response({"booking_reminders": booking.reminders})

        app.router.add_get(f"{t}/me/household", guarded(household))
        app.router.add_get(f"{t}/enrollments", guarded(nothing))
        app.router.add_get(f"{t}/activities", guarded(nothing))
        app.router.add_get(f"{t}/windows", guarded(windows))
        app.router.add_get(f"{t}/windows/{{id}}", guarded(window))
        app.router.add_route("*", f"{t}/windows/{{id}}/requests/mine", guarded(mine))
        app.router.add_get(f"{t}/windows/{{id}}/draw", guarded(draw))
        app.router.add_get(f"{t}/offers", guarded(offers))
        app.router.add_post(f"{t}/offers/accept-by-link", accept_by_link)  # no login
        app.router.add_post(f"{t}/offers/{{id}}/accept", guarded(answer_offer))
        app.router.add_post(f"{t}/offers/{{id}}/decline", guarded(answer_offer))
        app.router.add_route("*", f"{t}/accounts/me/preferences", guarded(preferences))

    return add


def sent(booking: Booking, method: str) -> list[tuple[str, str, Any]]:
    return [s for s in booking.sent if s[0] == method]


def form_of(html: str, **fields: Any) -> list[tuple[str, str]]:
    data = [("csrf_token", csrf_of(html))]
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            data.append((name.replace("_", "-"), one))
    return data


# --- the windows ------------------------------------------------------------------------


async def test_the_windows_are_listed_and_linked_from_reservations(portal, booking):
    await log_in(portal)
    html = unescape(await (await portal.get("/reservations")).text())
    assert '<a href="/reservations/fenetres">Inscriptions par tirage au sort</a>' in html
    assert '<a href="/reservations/offres">Places proposées</a>' in html
    r = await portal.get("/reservations/fenetres")
    html = unescape(await r.text())
    assert r.status == 200
    assert "<h1>Inscriptions par tirage au sort</h1>" in html
    assert f'<a href="/reservations/fenetres/{OPEN}">Vacances d\'été 2027</a>' in html
    assert f'<a href="/reservations/fenetres/{ALLOCATED}">Toussaint 2027</a>' in html
    assert "<dd>Demandes ouvertes</dd>" in html and "<dd>Tirage effectué</dd>" in html
    assert "du 6 juillet 2027 au 8 juillet 2027" in html
    # Paris time: 21:59 UTC in May is 23 h 59 in Paris.
    assert "Demandes ouvertes jusqu'au lundi 17 mai 2027 à 23 h 59" in html


async def test_an_open_window_explains_its_rules_and_offers_the_form(portal, booking):
    await log_in(portal)
    r = await portal.get(f"/reservations/fenetres/{OPEN}")
    html = unescape(await r.text())
    assert r.status == 200
    # The rules in their published order, then the others.
    assert (
        "<li>Niveau 1 : Résident de la commune</li><li>Niveau 2 : Frère ou sœur déjà inscrit</li>"
        "<li>Niveau 3 : Les deux parents travaillent</li><li>Niveau 4 : Autres familles</li>"
    ) in html
    assert "un seul ticket" in html
    sentence = (
        "Si vous demandez que vos enfants aient les mêmes jours, ils obtiennent une place "
        "ensemble ou vont ensemble en liste d'attente."
    )
    assert sentence in html
    assert a_window(OPEN, "open")["seed_hash"] in html
    assert "Nombre révélé" not in html and "/tirage" not in html  # the seed is still secret
    # The form: each child a fieldset of the window's days, the siblings box, the criteria
    # a family declares (not the one the town computes).
    assert f'<fieldset class="field" id="jours-{LEO}">' in html
    assert "<legend>Jours demandés pour Léo</legend>" in html
    assert f'<label for="jour-{ZOE}-2027-07-08">jeudi 8 juillet 2027</label>' in html
    assert '<label for="memes-jours">Mêmes jours pour mes enfants</label>' in html
    assert 'id="critere-resident" name="criteres" value="resident"' in html
    assert 'id="critere-both_parents_working"' in html
    assert 'value="sibling_enrolled"' not in html
    assert "Envoyer tôt ou tard ne change rien." in html
    assert "Retirer ma demande" not in html  # nothing to withdraw yet


async def test_the_request_sends_exactly_the_documented_body(portal, booking):
    await log_in(portal)
    page = f"/reservations/fenetres/{OPEN}"
    html = await (await portal.get(page)).text()
    data = form_of(
        html,
        **{
            f"jours-{LEO}": ["2027-07-08", "2027-07-06"],
            f"jours-{ZOE}": ["2027-07-06"],
            "memes_jours": "oui",
            "criteres": ["both_parents_working", "resident"],
        },
    )
    r = await portal.post(page, data=data)
    html = unescape(await r.text())
    assert r.status == 200 and r.url.path == page and r.url.query["fait"] == "envoyee"
    assert sent(booking, "PUT") == [
        (
            "PUT",
            f"/tenants/demo/windows/{OPEN}/requests/mine",
            {
                "children": [
                    {"child_id": LEO, "dates": ["2027-07-06", "2027-07-08"]},
                    {"child_id": ZOE, "dates": ["2027-07-06"]},
                ],
                "siblings_together": True,
                "criteria": ["both_parents_working", "resident"],
            },
        )
    ]
    assert "Votre demande est enregistrée." in html
    assert "qu'elles soient envoyées tôt ou tard" in html
    # The request shown ticked again, to change or withdraw.
    assert f'id="jour-{LEO}-2027-07-08" name="jours-{LEO}" value="2027-07-08" checked' in html
    assert f'id="jour-{LEO}-2027-07-07" name="jours-{LEO}" value="2027-07-07">' in html
    assert 'id="memes-jours" name="memes-jours" value="oui" checked' in html
    assert "Modifier ma demande" in html and "Retirer ma demande" in html
    # One child, no box ticked: the siblings box unticked, no criteria.
    html = await (await portal.get(page)).text()
    await portal.post(page, data=form_of(html, **{f"jours-{ZOE}": "2027-07-07"}))
    assert sent(booking, "PUT")[-1][2] == {
        "children": [{"child_id": ZOE, "dates": ["2027-07-07"]}],
        "siblings_together": False,
        "criteria": [],
    }


async def test_errors_are_shown_next_to_their_field(portal, booking):
    await log_in(portal)
    page = f"/reservations/fenetres/{OPEN}"
    html = await (await portal.get(page)).text()
    # Nothing ticked: said by the portal, booking not asked.
    r = await portal.post(page, data=form_of(html))
    text = unescape(await r.text())
    assert r.status == 422 and sent(booking, "PUT") == []
    assert '<p class="field-error" id="enfants-erreur">Cochez au moins un jour' in text
    # booking's 422 naming the second child's dates and the criteria.
    booking.put_answer = (
        422,
        {
            "detail": "Certaines informations sont manquantes ou incorrectes.",
            "errors": [
                {"field": "children.1.dates.0", "detail": "Ce jour est complet pour Zoé."},
                {"field": "criteria", "detail": "Ce critère n'est pas publié."},
            ],
        },
    )
    data = form_of(
        html, **{f"jours-{LEO}": "2027-07-06", f"jours-{ZOE}": "2027-07-07", "criteres": "resident"}
    )
    r = await portal.post(page, data=data)
    text = unescape(await r.text())
    assert r.status == 422
    zoe = text.split(f'id="jours-{ZOE}"')[1].split("</fieldset>")[0]
    assert (
        f'<p class="field-error" id="jours-{ZOE}-erreur">Ce jour est complet pour Zoé.</p>' in zoe
    )
    assert f'aria-describedby="jours-{ZOE}-erreur"' in text
    criteria = text.split('id="criteres"')[1].split("</fieldset>")[0]
    assert "Ce critère n'est pas publié." in criteria
    assert f'<a href="#jours-{ZOE}">Ce jour est complet pour Zoé.</a>' in text
    # What was ticked stays ticked.
    assert f'name="jours-{ZOE}" value="2027-07-07" checked' in text
    assert 'value="resident" checked' in text
    # A day the window does not give: refused here, by its field.
    r = await portal.post(page, data=form_of(html, **{f"jours-{LEO}": "2027-08-01"}))
    assert r.status == 422 and len(sent(booking, "PUT")) == 1
    assert f'id="jours-{LEO}-erreur">Choisissez parmi les jours proposés.' in await r.text()


async def test_a_window_closed_meanwhile_answers_409(portal, booking):
    await log_in(portal)
    page = f"/reservations/fenetres/{OPEN}"
    html = await (await portal.get(page)).text()
    booking.put_answer = (
        409,
        {"code": "window-not-open", "detail": "Les demandes sont closes depuis le 17 mai."},
    )
    r = await portal.post(page, data=form_of(html, **{f"jours-{LEO}": "2027-07-06"}))
    text = unescape(await r.text())
    assert r.status == 409
    assert "La demande n'a pas abouti" in text
    assert "Les demandes sont closes depuis le 17 mai." in text


async def test_the_request_is_withdrawn(portal, booking):
    await log_in(portal)
    page = f"/reservations/fenetres/{OPEN}"
    html = await (await portal.get(page)).text()
    await portal.post(page, data=form_of(html, **{f"jours-{LEO}": "2027-07-06"}))
    html = await (await portal.get(page)).text()
    r = await portal.post(f"{page}/retrait", data=form_of(html))
    text = unescape(await r.text())
    assert sent(booking, "DELETE") == [
        ("DELETE", f"/tenants/demo/windows/{OPEN}/requests/mine", None)
    ]
    assert r.url.query["fait"] == "retiree" and "Votre demande est retirée." in text
    assert "Retirer ma demande" not in text and "Envoyer ma demande" in text


async def test_the_outcome_after_the_draw(portal, booking):
    booking.windows[1].update(seed=SEED, allocated_at="2027-05-18T08:00:00+00:00")
    booking.mine[ALLOCATED] = {
        "id": REQUEST,
        "siblings_together": True,
        "criteria": ["resident"],
        "submitted_at": "2027-05-03T06:00:05+00:00",
        "updated_at": "2027-05-03T06:00:05+00:00",
        "children": [
            {
                "child_id": LEO,
                "first_name": "Léo",
                "dates": [
                    {"date": "2027-07-06", "outcome": "booked", "waiting_position": None},
                    {"date": "2027-07-07", "outcome": "waiting", "waiting_position": 2},
                ],
            }
        ],
        "level": 1,
        "level_label": "Résident de la commune",
        "rank": 3,
        "entries": 42,
        "reasons": ["Résident de la commune"],
    }
    await log_in(portal)
    r = await portal.get(f"/reservations/fenetres/{ALLOCATED}")
    html = unescape(await r.text())
    assert r.status == 200
    assert "<dd>Niveau 1 : Résident de la commune</dd>" in html
    assert "<dd>3 sur 42</dd>" in html
    assert "<dt>Critères retenus</dt><dd>Résident de la commune</dd>" in html
    assert '<caption id="resultat-' + LEO + '">Résultat pour Léo</caption>' in html
    assert '<th scope="row">mardi 6 juillet 2027</th><td>Place obtenue</td>' in html
    assert "<td>Liste d'attente, position 2</td>" in html
    assert SEED in html  # revealed
    assert f'href="/reservations/fenetres/{ALLOCATED}/tirage"' in html
    assert "<form" not in html.split('id="demande"')[1]  # no form once allocated


async def test_the_draw_is_a_table_checked_against_its_seed(portal, booking):
    await log_in(portal)
    page = f"/reservations/fenetres/{ALLOCATED}/tirage"
    html = unescape(await (await portal.get(page)).text())
    assert "Le tirage n'a pas encore eu lieu." in html and "<table" not in html  # booking's 409
    booking.draw = a_draw()
    r = await portal.get(page)
    html = unescape(await r.text())
    assert r.status == 200
    assert "<caption" in html and '<th scope="col">Ticket</th>' in html
    first = booking.draw["entries"][0]
    row = html.split('<th scope="row">1</th>')[1].split("</tr>")[0]
    assert first["lottery_key"] in row and first["request_id"] in row
    assert f"<td>{first['children']}</td>" in row  # booking gives a count
    assert "<li>mardi 6 juillet 2027 : 2 enfants, 2 places obtenues</li>" in row
    assert "<li>mardi 6 juillet 2027 : 3 places</li>" in html  # the places drawn, per day
    assert "Vérification faite par le portail" in html
    # Tampered: a ticket that is not the seed's.
    booking.draw["entries"][1]["lottery_key"] = "0" * 64
    html = unescape(await (await portal.get(page)).text())
    assert "Attention : la vérification du portail ne correspond pas (tickets)" in html
    r = await portal.get(page + ".json")
    assert r.status == 200 and (await r.json())["seed"] == SEED


# --- the offers ----------------------------------------------------------------------------


async def test_the_offers_are_answered_with_one_button(portal, booking):
    await log_in(portal)
    html = unescape(await (await portal.get("/reservations")).text())
    assert "Une place vous est proposée pour Léo (Centre de loisirs été)" in html
    assert "répondez avant le mercredi 30 juin 2027 à 18 h 00" in html
    r = await portal.get("/reservations/offres")
    html = unescape(await r.text())
    assert r.status == 200
    opened, past = html.split('id="passees"')
    assert "Répondez avant le <strong>mercredi 30 juin 2027 à 18 h 00</strong>" in opened
    assert "Léo : Centre de loisirs été, mercredi 7 juillet 2027</h3>" in opened
    assert f'action="/reservations/offres/{OFFER_OPEN}/accepter"' in opened
    assert f'action="/reservations/offres/{OFFER_OPEN}/refuser"' in opened
    assert "Délai dépassé" in past and "/accepter" not in past
    assert "Léo : Centre de loisirs été, mercredi 7 juillet 2027 – Délai dépassé" in past
    r = await portal.post(
        f"/reservations/offres/{OFFER_OPEN}/accepter", data=form_of(await r.text())
    )
    text = unescape(await r.text())
    assert sent(booking, "POST") == [("POST", f"/tenants/demo/offers/{OFFER_OPEN}/accept", None)]
    assert r.url.path == "/reservations/offres" and "La place est acceptée" in text
    assert "Aucune place ne vous est proposée en ce moment." in text
    assert "Place acceptée" in text
    # Declining; then booking refusing (answered already): said next to the offer.
    booking.offers[1]["status"] = "open"
    r = await portal.post(f"/reservations/offres/{OFFER_OPEN}/refuser", data=form_of(text))
    assert sent(booking, "POST")[-1][1] == f"/tenants/demo/offers/{OFFER_OPEN}/decline"
    assert "La place est refusée" in unescape(await r.text())
    booking.offers[1]["status"] = "open"
    booking.offer_answer = (409, {"code": "offer-answered", "detail": "Déjà répondu."})
    r = await portal.post(
        f"/reservations/offres/{OFFER_OPEN}/accepter", data=form_of(await r.text())
    )
    text = unescape(await r.text())
    assert r.status == 409
    assert '<p class="field-error">Déjà répondu.</p>' in text.split(f'id="offre-{OFFER_OPEN}"')[1]


async def test_online_booking_off_leaves_only_declining_an_offer(portal, services, booking):
    """booking refuses a family's acceptance of an offer, and its request in an opening
    window, while the town does not let families book online (403 feature-off): the pages
    offer no button that would fail, and say whom to contact; declining stays possible."""
    stand_in, _ = services
    stand_in.features = {
        "family_edits": True,
        "online_booking": False,
        "wallet": True,
        "direct_debit": True,
    }
    off = "La mairie ne permet pas de réserver en ligne : contactez le service Enfance"
    await log_in(portal)
    html = unescape(await (await portal.get("/reservations/offres")).text())
    opened = html.split('id="passees"')[0]
    assert off in opened
    assert f'action="/reservations/offres/{OFFER_OPEN}/accepter"' not in opened
    assert f'action="/reservations/offres/{OFFER_OPEN}/refuser"' in opened
    html = unescape(await (await portal.get(f"/offres/accepter/{LINK_TOKEN}")).text())
    assert off in html and "Accepter la place</button>" not in html
    # Nor a request in an open window (booking refuses it too).
    html = unescape(await (await portal.get(f"/reservations/fenetres/{OPEN}")).text())
    assert off in html and f'action="/reservations/fenetres/{OPEN}"' not in html
    stand_in.features = None
    html = unescape(await (await portal.get(f"/reservations/fenetres/{OPEN}")).text())
    assert off not in html and f'action="/reservations/fenetres/{OPEN}"' in html
    html = unescape(await (await portal.get(f"/offres/accepter/{LINK_TOKEN}")).text())
    assert off not in html and "Accepter la place</button>" in html


async def test_the_emailed_link_accepts_only_on_post_without_a_login(portal, booking):
    page = f"/offres/accepter/{LINK_TOKEN}"
    r = await portal.get(page)
    html = unescape(await r.text())
    assert r.status == 200
    assert "<h1>Une place vous est proposée</h1>" in html
    assert f'<form method="post" action="{page}"' in html
    assert "Accepter la place</button>" in html
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert booking.sent == []  # a link scanner's GET accepts nothing
    # Without the page's CSRF token: refused, booking not asked.
    r = await portal.post(page, data={})
    assert r.status == 403 and booking.sent == []
    r = await portal.post(page, data={"csrf_token": csrf_of(html)})
    text = unescape(await r.text())
    assert r.status == 200
    assert booking.sent == [("POST", "/tenants/demo/offers/accept-by-link", {"token": LINK_TOKEN})]
    assert booking.link_tokens == [None]  # no login, no token
    assert "Place confirmée pour le mercredi 7 juillet 2027 (Centre de loisirs été)." in text
    assert "Léo" not in text  # the child only after login
    assert 'href="/connexion?suite=%2Freservations%2Foffres"' in text
    for status, code, title, reason in (
        (409, "offer-answered", "Lien déjà utilisé", "a déjà reçu une réponse"),
        (410, "offer-expired", "Délai dépassé", "Le délai pour accepter cette place est dépassé"),
        (404, "offer-link-invalid", "Lien invalide", "Ce lien n'est pas valide"),
    ):
        booking.link_answer = (status, {"code": code, "detail": f"Détail {code}."})
        r = await portal.post(page, data={"csrf_token": csrf_of(html)})
        text = unescape(await r.text())
        assert r.status == status
        assert f"<h1>{title}</h1>" in text and reason in text and f"Détail {code}." in text


async def test_the_link_page_keeps_a_logged_in_family_s_session(portal, booking):
    await log_in(portal)
    page = f"/offres/accepter/{LINK_TOKEN}"
    html = await (await portal.get(page)).text()
    r = await portal.post(page, data={"csrf_token": csrf_of(html)})
    text = unescape(await r.text())
    assert r.status == 200 and "Place confirmée" in text
    assert '<a href="/reservations/offres">Voir mes places proposées</a>' in text


# --- reminders and CSRF --------------------------------------------------------------------


async def test_the_reminder_preference_is_saved_from_the_account_page(portal, booking):
    await log_in(portal)
    html = unescape(await (await portal.get("/compte")).text())
    assert '<h2 id="rappels">Rappels de réservation</h2>' in html
    assert 'id="rappels-reservation" name="rappels" value="oui" checked' in html
    # Unticked: the browser sends no field.
    r = await portal.post("/compte/rappels", data=form_of(html))
    text = unescape(await r.text())
    assert sent(booking, "PUT") == [
        ("PUT", "/tenants/demo/accounts/me/preferences", {"booking_reminders": False})
    ]
    assert r.url.path == "/compte"
    assert "Votre choix est enregistré : vous ne recevrez plus les rappels" in text
    assert 'id="rappels-reservation" name="rappels" value="oui" aria-describedby' in text
    await portal.post("/compte/rappels", data=form_of(text, rappels="oui"))
    assert sent(booking, "PUT")[-1][2] == {"booking_reminders": True}


async def test_every_form_needs_the_session_s_csrf_token(portal, booking):
    await log_in(portal)
    for path in (
        f"/reservations/fenetres/{OPEN}",
        f"/reservations/fenetres/{OPEN}/retrait",
        f"/reservations/offres/{OFFER_OPEN}/accepter",
        f"/reservations/offres/{OFFER_OPEN}/refuser",
        "/compte/rappels",
    ):
        r = await portal.post(path, data={f"jours-{LEO}": "2027-07-06", "rappels": "oui"})
        assert r.status == 403 and "Action refusée" in await r.text()
    assert booking.sent == []


async def test_an_anonymous_visitor_is_sent_to_log_in(portal, booking):
    await anonymous(portal)
    r = await portal.get(f"/reservations/fenetres/{OPEN}", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"].startswith("/connexion?suite=")

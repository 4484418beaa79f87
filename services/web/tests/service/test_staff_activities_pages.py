"""The activities back-office over HTTP (booking and billing stood in, keeping activities,
billing settings and price grids in memory): the list with its occupancy per site, an
activity created and edited by the admin (only the changed fields sent), booking's refusal
shown next to its field, closed and reopened, its billing and price grid saved in cents; an
agent reads occupancy and waiting lists but gets the 403 page on the admin's pages; a
family is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

ACTIVITY = "a1a1a1a1-0000-4000-8000-000000000001"
REGIE = "b2b2b2b2-0000-4000-8000-000000000002"
GRID = "c3c3c3c3-0000-4000-8000-000000000003"
HOUSEHOLD = "d4d4d4d4-0000-4000-8000-000000000004"
TODAY = date.today()


def an_activity(**extra: Any) -> dict[str, Any]:
    return {
        "id": ACTIVITY,
        "name": "Cantine du Centre",
        "type": "CANTINE",
        "site": "École du Centre",
        "period_from": "2026-09-01",
        "period_to": "2027-07-03",
        "weekdays": [1, 2, 4, 5],
        "closed_dates": [],
        "extra_dates": [],
        "skip_public_holidays": True,
        "school_time": True,
        "school_zone": "A",
        "capacity": 120,
        "min_age": None,
        "max_age": None,
        "grades": None,
        "booking_deadline": {"days_before": 2, "at": "12:00", "working_days": False},
        "cancel_deadline": {"days_before": 1, "at": "12:00", "working_days": False},
        "late_allowed": False,
        "late_deadline": {"days_before": 0, "at": "00:00", "working_days": False},
        "requires_approval": False,
        "booking_mode": "free",
        "required_documents": [],
        "opening_days": 140,
        "closed": False,
        "closed_at": None,
        "archived": False,
        "archived_at": None,
        **extra,
    }


class Backends:
    """What the booking and billing stand-ins keep and were sent."""

    def __init__(self) -> None:
        self.activities: dict[str, dict[str, Any]] = {ACTIVITY: an_activity()}
        self.sent: list[tuple[str, str, Any]] = []
        self.patch_answer: web.Response | None = None
        self.billing: dict[str, Any] | None = None
        self.grids: list[dict[str, Any]] = []


@pytest.fixture
def backends() -> Backends:
    return Backends()


@pytest.fixture
def stand_in_routes(backends: Backends) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return header in services.valid_access

        async def listing(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            archived = request.query.get("archived") == "true"
            items = [a for a in backends.activities.values() if a["archived"] == archived]
            return web.json_response({"items": items})

        async def create(request: web.Request) -> web.Response:
            body = await request.json()
            backends.sent.append(("POST", request.path, body))
            if body["name"] == "Doublon":
                return problem(
                    422,
                    "Certaines informations sont incorrectes : period_to.",
                    errors=[{"field": "period_to", "detail": "La fin précède le début."}],
                )
            created = an_activity(**body, id="a1a1a1a1-0000-4000-8000-000000000009")
            backends.activities[created["id"]] = created
            return web.json_response(created, status=201)

        async def one(request: web.Request) -> web.Response:
            found = backends.activities.get(request.match_info["id"])
            if found is None:
                return problem(404, "Cette activité n'existe pas.")
            return web.json_response(found)

        async def patch(request: web.Request) -> web.Response:
            body = await request.json()
            backends.sent.append(("PATCH", request.path, body))
            if backends.patch_answer is not None:
                return backends.patch_answer
            backends.activities[request.match_info["id"]].update(body)
            return web.json_response(backends.activities[request.match_info["id"]])

        async def close(request: web.Request) -> web.Response:
            backends.sent.append(("POST", request.path, None))
            found = backends.activities[request.match_info["id"]]
            closing = request.path.endswith("/close")
            found.update(closed=closing, closed_at="2026-11-02T09:00:00+00:00" if closing else None)
            return web.json_response(found)

        async def archive(request: web.Request) -> web.Response:
            backends.sent.append(("POST", request.path, None))
            found = backends.activities[request.match_info["id"]]
            archiving = request.path.endswith("/archive")
            found.update(archived=archiving, closed=found["closed"] or archiving)
            return web.json_response(found)

        async def occupancy(request: web.Request) -> web.Response:
            start = date.fromisoformat(request.query["from"])
            return web.json_response(
                {
                    "days": [
                        {
                            "date": (start + timedelta(days=n)).isoformat(),
                            "site": "École du Centre",
                            "capacity": 120,
                            "booked": 120 if n == 0 else 80,
                            "waiting": 3 if n == 0 else 0,
                            "activities": [],
                        }
                        for n in range(2)
                    ]
                }
            )

        async def days(request: web.Request) -> web.Response:
            return web.json_response(
                {
                    "activity_id": ACTIVITY,
                    "days": [
                        {"date": request.query["from"], "capacity": 2, "booked": 2, "waiting": 1}
                    ],
                }
            )

        async def waiting(request: web.Request) -> web.Response:
            if backends.activities[request.match_info["id"]]["site"] != "École du Centre":
                return problem(403, "Cette activité n'est pas sur l'un de vos sites.")
            child = {
                "position": 1,
                "booking_id": GRID,
                "child_id": GRID,
                "child_first_name": "Zoé",
                "child_last_name": "Martin",
                "household_id": HOUSEHOLD,
                "since": "2026-09-10T08:00:00+00:00",
            }
            return web.json_response(
                {
                    "activity_id": ACTIVITY,
                    "site": "École du Centre",
                    "days": [
                        {
                            "date": request.query["from"],
                            "capacity": 2,
                            "booked": 2,
                            "children": [
                                child,
                                {**child, "position": 2, "child_first_name": "Tom"},
                            ],
                        }
                    ],
                }
            )

        async def billing_get(request: web.Request) -> web.Response:
            if backends.billing is None:
                return problem(404, "Activité non configurée.")
            return web.json_response(backends.billing)

        async def billing_put(request: web.Request) -> web.Response:
            body = await request.json()
            backends.sent.append(("PUT", request.path, body))
            backends.billing = {**body, "activity_id": ACTIVITY}
            return web.json_response(backends.billing)

        async def grids(request: web.Request) -> web.Response:
            if backends.billing is None:
                return problem(404, "Activité non configurée.")
            return web.json_response({"grids": backends.grids})

        async def grid_create(request: web.Request) -> web.Response:
            body = await request.json()
            backends.sent.append(("POST", request.path, body))
            if backends.billing is None:
                return problem(404, "Activité non configurée.")
            backends.grids.append({**body, "id": GRID, "activity_id": ACTIVITY})
            return web.json_response(backends.grids[-1], status=201)

        async def grid_put(request: web.Request) -> web.Response:
            body = await request.json()
            backends.sent.append(("PUT", request.path, body))
            backends.grids[-1] = {**body, "id": GRID, "activity_id": ACTIVITY}
            return web.json_response(backends.grids[-1])

        async def regies(request: web.Request) -> web.Response:
            return web.json_response({"regies": [{"id": REGIE, "code": "ENF", "name": "Enfance"}]})

        activity = f"{t}/activities/{{id:[0-9a-f-]{{36}}}}"
        app.router.add_get(f"{t}/activities", listing)
        app.router.add_post(f"{t}/activities", create)
        app.router.add_get(activity, one)
        app.router.add_patch(activity, patch)
        app.router.add_post(f"{activity}/close", close)
        app.router.add_post(f"{activity}/reopen", close)
        app.router.add_post(f"{activity}/archive", archive)
        app.router.add_post(f"{activity}/unarchive", archive)
        app.router.add_get(f"{activity}/days", days)
        app.router.add_get(f"{activity}/waiting-list", waiting)
        app.router.add_get(f"{t}/occupancy", occupancy)
        app.router.add_get(f"{t}/billing/activities/{{id}}", billing_get)
        app.router.add_put(f"{t}/billing/activities/{{id}}", billing_put)
        app.router.add_get(f"{t}/billing/activities/{{id}}/price-grids", grids)
        app.router.add_post(f"{t}/billing/activities/{{id}}/price-grids", grid_create)
        app.router.add_put(f"{t}/price-grids/{{id}}", grid_put)
        app.router.add_get(f"{t}/regies", regies)

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


def form_of_page(backends: Backends, **changes: Any) -> dict[str, Any]:
    """What the edit form posts when nothing is touched but `changes`."""
    return {
        "name": "Cantine du Centre",
        "site": "École du Centre",
        "period_from": "2026-09-01",
        "period_to": "2027-07-03",
        "weekdays": ["1", "2", "4", "5"],
        "skip_public_holidays": "oui",
        "school_time": "oui",
        "capacity": "120",
        "booking_deadline_days": "2",
        "booking_deadline_at": "12:00",
        "cancel_deadline_days": "1",
        "cancel_deadline_at": "12:00",
        "booking_mode": "free",
        **changes,
    }


def multidict(data: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        for v in value if isinstance(value, list) else [value]:
            out.append((key, v))
    return out


async def test_the_list_shows_activities_and_occupancy_per_site(portal, services, backends):
    backends.activities["x"] = an_activity(id="x", name="Étude", type="ETUDE", closed=True)
    html = await as_role(portal, services, "/gestion/activites", "staff")
    assert "<h1>Activités</h1>" in html
    assert "Cantine du Centre" in html and "Restauration scolaire" in html
    assert "Fermée" in html and "Ouverte" in html
    assert "120 / 120" in html and "complet" in html and "3 en attente" in html
    assert "Créer une activité" not in html  # an agent does not create
    assert f"/gestion/activites/{ACTIVITY}/occupation" in html
    admin = await as_role(portal, services, "/gestion/activites", "staff", "admin")
    assert "Créer une activité" in admin and f'href="/gestion/activites/{ACTIVITY}"' in admin


async def test_the_admin_creates_an_activity(portal, services, backends):
    html = await as_role(portal, services, "/gestion/activites/nouvelle", "staff", "admin")
    data = form_of_page(
        backends,
        csrf_token=csrf_of(html),
        name="Accueil du soir",
        type="PERI",
        closed_dates="11/11/2026 24/12/2026",
        min_age="3",
    )
    r = await portal.post(
        "/gestion/activites/nouvelle", data=multidict(data), allow_redirects=False
    )
    assert r.status == 303, await r.text()
    assert r.headers["Location"].endswith("?fait=creee")
    (_, _, sent), *_ = backends.sent
    assert sent["type"] == "PERI" and sent["weekdays"] == [1, 2, 4, 5]
    assert sent["closed_dates"] == ["2026-11-11", "2026-12-24"]
    assert sent["capacity"] == 120 and sent["min_age"] == 3 and sent["max_age"] is None
    assert sent["booking_deadline"] == {"days_before": 2, "at": "12:00", "working_days": False}
    assert sent["school_time"] is True and sent["late_deadline"] is None


async def test_errors_are_shown_next_to_their_fields(portal, services, backends):
    html = await as_role(portal, services, "/gestion/activites/nouvelle", "staff", "admin")
    bad = form_of_page(backends, csrf_token=csrf_of(html), type="PERI", capacity="beaucoup")
    r = await portal.post("/gestion/activites/nouvelle", data=multidict(bad))
    assert r.status == 422
    page = unescape(await r.text())
    assert 'id="capacity-erreur">Indiquez un nombre de places' in page
    assert backends.sent == []  # refused here, nothing sent
    refused = form_of_page(backends, csrf_token=csrf_of(html), type="PERI", name="Doublon")
    r = await portal.post("/gestion/activites/nouvelle", data=multidict(refused))
    assert r.status == 422
    page = unescape(await r.text())
    assert 'id="period_to-erreur">La fin précède le début.</p>' in page
    assert 'value="Doublon"' in page  # what was typed stays


async def test_an_edit_sends_only_what_changed_and_shows_a_refused_capacity(
    portal, services, backends
):
    path = f"/gestion/activites/{ACTIVITY}"
    html = await as_role(portal, services, path, "staff", "admin")
    assert "Fermer l'activité" in html and "Restauration scolaire" in html
    token = csrf_of(html)
    data = form_of_page(backends, csrf_token=token, capacity="90")
    r = await portal.post(path, data=multidict(data), allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (303, f"{path}?fait=enregistree")
    assert backends.sent[-1] == ("PATCH", f"/tenants/demo/activities/{ACTIVITY}", {"capacity": 90})
    backends.patch_answer = problem(
        422,
        "La capacité 10 est inférieure aux enfants déjà inscrits : 17/09/2026 (80 inscrits).",
        errors=[{"field": "capacity", "detail": "Inférieure aux inscrits : 17/09/2026."}],
        days=["2026-09-17"],
    )
    data = form_of_page(backends, csrf_token=token, capacity="10")
    r = await portal.post(path, data=multidict(data))
    assert r.status == 422
    page = unescape(await r.text())
    assert 'id="capacity-erreur">Inférieure aux inscrits : 17/09/2026.</p>' in page
    unchanged = form_of_page(backends, csrf_token=token, capacity="90")
    count = len(backends.sent)
    r = await portal.post(path, data=multidict(unchanged), allow_redirects=False)
    assert r.headers["Location"] == f"{path}?fait=inchangee" and len(backends.sent) == count


async def test_close_and_reopen(portal, services, backends):
    path = f"/gestion/activites/{ACTIVITY}"
    html = await as_role(portal, services, path, "staff", "admin")
    r = await portal.post(f"{path}/fermer", data={"csrf_token": csrf_of(html)})
    page = await r.text()
    assert "Rouvrir l'activité" in page and "L'activité est fermée" in unescape(page)
    r = await portal.post(f"{path}/rouvrir", data={"csrf_token": csrf_of(page)})
    assert "Fermer l'activité" in unescape(await r.text())
    assert [s[1].rsplit("/", 1)[1] for s in backends.sent] == ["close", "reopen"]


async def test_archive_and_bring_back(portal, services, backends):
    path = f"/gestion/activites/{ACTIVITY}"
    html = await as_role(portal, services, path, "staff", "admin")
    r = await portal.post(f"{path}/archiver", data={"csrf_token": csrf_of(html)})
    page = unescape(await r.text())
    assert "L'activité est archivée" in page and "Remettre dans la liste" in page
    assert "Archivée" in page
    # Out of the list, in the archived ones.
    listed = unescape(await (await portal.get("/gestion/activites")).text())
    assert backends.activities[ACTIVITY]["name"] not in listed
    assert "Voir les activités archivées" in listed
    only = unescape(await (await portal.get("/gestion/activites?archivees=1")).text())
    assert "Les activités archivées" in only and backends.activities[ACTIVITY]["name"] in only
    r = await portal.post(f"{path}/desarchiver", data={"csrf_token": csrf_of(page)})
    page = unescape(await r.text())
    assert "de nouveau dans la liste" in page and "Archiver l'activité" in page
    assert [s[1].rsplit("/", 1)[1] for s in backends.sent] == ["archive", "unarchive"]


async def test_an_agent_cannot_archive(portal, services, backends):
    html = await as_role(portal, services, "/gestion/activites", "staff")
    r = await portal.post(
        f"/gestion/activites/{ACTIVITY}/archiver", data={"csrf_token": csrf_of(html)}
    )
    assert r.status == 403
    assert backends.sent == []


async def test_billing_and_price_grid_in_cents(portal, services, backends):
    path = f"/gestion/activites/{ACTIVITY}/tarifs"
    html = await as_role(portal, services, path, "staff", "admin")
    assert "pas encore renseignée" in html
    token = csrf_of(html)
    r = await portal.post(
        f"{path}/grille",
        data={
            "csrf_token": token,
            "valid_from": "2026-09-01",
            "tranche-0-qf_min": "0",
            "tranche-0-amount": "3,20",
        },
    )
    assert r.status == 422
    assert "Enregistrez d'abord la facturation" in unescape(await r.text())
    r = await portal.post(
        f"{path}/facturation",
        data={
            "csrf_token": token,
            "regie_id": REGIE,
            "billing_mode": "postpaid",
            "unit": "meal",
            "payment": "invoice",
            "bill_present": "oui",
        },
        allow_redirects=False,
    )
    assert r.status == 303
    sent = backends.sent[-1][2]
    assert sent["regie_id"] == REGIE and sent["name"] == "Cantine du Centre"
    assert sent["bill_present"] is True and sent["bill_absent"] is False
    grid = {
        "csrf_token": token,
        "valid_from": "01/09/2026",
        "tranche-0-qf_min": "0",
        "tranche-0-qf_max": "700",
        "tranche-0-amount": "3,20",
        "tranche-1-qf_min": "701",
        "tranche-1-qf_max": "",
        "tranche-1-amount": "4.5",
        "tranche-2-qf_min": "",
        "tranche-2-amount": "",
    }
    r = await portal.post(f"{path}/grille", data=grid, allow_redirects=False)
    assert r.status == 303
    assert backends.sent[-1][2]["brackets"] == [
        {"qf_min": 0, "qf_max": 700, "amounts": [320]},
        {"qf_min": 701, "qf_max": None, "amounts": [450]},
    ]
    assert backends.sent[-1][2]["valid_from"] == "2026-09-01"
    page = await (await portal.get(path)).text()
    assert 'value="3,20"' in page and 'value="4,50"' in page and f'value="{GRID}"' in page
    grid |= {"tranche-1-amount": "5", "grid_id": GRID}  # the form's hidden field now
    await portal.post(f"{path}/grille", data=grid, allow_redirects=False)
    assert backends.sent[-1][:2] == ("PUT", f"/tenants/demo/price-grids/{GRID}")
    grid["tranche-0-amount"] = "trois euros"
    r = await portal.post(f"{path}/grille", data=grid)
    assert r.status == 422
    assert 'id="tranche-0-amount-erreur"' in await r.text()


async def test_an_agent_reads_occupancy_and_waiting_lists_not_the_admin_pages(
    portal, services, backends
):
    base = f"/gestion/activites/{ACTIVITY}"
    html = await as_role(portal, services, f"{base}/occupation?du=2026-09-17", "staff")
    assert "Places libres" in html and "complet" in html
    html = await as_role(portal, services, f"{base}/attente?du=2026-09-17", "staff")
    assert "Zoé Martin" in html and "Tom Martin" in html
    assert html.index("Zoé") < html.index("Tom")
    assert f"/gestion/foyers/{HOUSEHOLD}" in html
    for page in (base, f"{base}/tarifs", "/gestion/activites/nouvelle"):
        r = await portal.get(page)
        assert r.status == 403, page
    r = await portal.post(f"{base}/fermer", data={"csrf_token": csrf_of(html)})
    assert r.status == 403
    assert not any(s[0] == "POST" for s in backends.sent)


async def test_an_animator_reads_the_waiting_lists_of_their_sites_only(portal, services, backends):
    other = "a1a1a1a1-0000-4000-8000-000000000002"
    backends.activities[other] = an_activity(id=other, site="École du Lac")
    html = await as_role(portal, services, f"/gestion/activites/{ACTIVITY}/attente", "animator")
    assert "Zoé Martin" in html and "/gestion/foyers/" not in html
    r = await portal.get(f"/gestion/activites/{other}/attente")
    assert r.status == 403
    assert "pas sur l'un de vos sites" in unescape(await r.text())
    for page in ("/gestion/activites", f"/gestion/activites/{ACTIVITY}/occupation"):
        assert (await portal.get(page)).status == 403, page


async def test_a_family_is_refused(portal, services, backends):
    stand_in, _ = services
    stand_in.roles = ["family"]
    await log_in(portal, "/")
    for page in ("/gestion/activites", f"/gestion/activites/{ACTIVITY}/attente"):
        r = await portal.get(page)
        assert r.status == 403, page

"""The enrollment campaigns back-office over HTTP (booking stood in, keeping campaigns in
memory): the list with windows, states and counts; a campaign created and edited (only the
changed fields sent), booking's refusals by their field, archived; one campaign's
activities with their enrollments, the renewals prepared from the previous campaign with
the mapping pre-selected by name, the result, the renewals filtered by status; families and
site animators refused; CSRF enforced."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

NEW = "cccccccc-0000-4000-8000-000000000002"
OLD = "cccccccc-0000-4000-8000-000000000001"
PERI_26 = "aaaaaaaa-0000-4000-8000-000000000001"
SKI_26 = "aaaaaaaa-0000-4000-8000-000000000002"
PERI_27 = "aaaaaaaa-0000-4000-8000-000000000003"
CANTINE_27 = "aaaaaaaa-0000-4000-8000-000000000004"
HOUSEHOLD = "dddddddd-0000-4000-8000-000000000001"


def an_activity(id: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "name": name,
        "type": "PERI",
        "site": "École du Centre",
        "period_from": "2027-09-02",
        "period_to": "2028-07-03",
        "required_documents": [],
        "requires_approval": False,
        **extra,
    }


ACTIVITIES = {
    PERI_26: an_activity(PERI_26, "Accueil du soir 2026-2027", period_from="2026-09-01"),
    SKI_26: an_activity(SKI_26, "Séjour ski 2027", type="VACANCES", site="Alpes"),
    PERI_27: an_activity(PERI_27, "Accueil du soir 2027-2028"),
    CANTINE_27: an_activity(CANTINE_27, "Cantine 2027-2028", type="CANTINE"),
}


def a_campaign(id: str, name: str, year: str, activity_ids: list[str], **extra: Any) -> dict:
    return {
        "id": id,
        "name": name,
        "school_year": year,
        "opens_on": f"{year[:4]}-06-01",
        "closes_on": f"{year[:4]}-07-15",
        "description": None,
        "state": "open",
        "previous_campaign_id": None,
        "activities": [ACTIVITIES[a] for a in activity_ids],
        "counts": {
            "enrollments": 12,
            "pending": 3,
            "renewals_proposed": 4,
            "renewals_confirmed": 2,
            "renewals_declined": 1,
            "renewals_ineligible": 1,
            "file_checks": 5,
        },
        **extra,
    }


class Backend:
    def __init__(self) -> None:
        self.campaigns: dict[str, dict[str, Any]] = {
            OLD: a_campaign(OLD, "Périscolaire 2026-2027", "2026-2027", [PERI_26, SKI_26],
                            state="closed"),
            NEW: a_campaign(NEW, "Périscolaire 2027-2028", "2027-2028", [PERI_27, CANTINE_27],
                            previous_campaign_id=OLD),
        }  # fmt: skip
        self.sent: list[tuple[str, str, Any]] = []
        self.answer: tuple[int, dict[str, Any]] | None = None
        self.renewal_queries: list[dict[str, str]] = []


@pytest.fixture
def backend() -> Backend:
    return Backend()


@pytest.fixture
def stand_in_routes(backend: Backend) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return header in services.valid_access

        def refused() -> web.Response | None:
            if backend.answer is None:
                return None
            status, said = backend.answer
            return problem(status, **said)

        async def listing(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            return web.json_response({"items": list(backend.campaigns.values())})

        async def one(request: web.Request) -> web.Response:
            found = backend.campaigns.get(request.match_info["id"])
            if found is None:
                return problem(404, "Cette campagne n'existe pas.")
            return web.json_response(found)

        async def create(request: web.Request) -> web.Response:
            body = await request.json()
            backend.sent.append(("POST", request.path, body))
            if (answer := refused()) is not None:
                return answer
            created = a_campaign(
                "cccccccc-0000-4000-8000-000000000009",
                body["name"],
                body["school_year"],
                body["activity_ids"],
                state="upcoming",
            )
            backend.campaigns[created["id"]] = created
            return web.json_response(created, status=201)

        async def patch(request: web.Request) -> web.Response:
            body = await request.json()
            backend.sent.append(("PATCH", request.path, body))
            if (answer := refused()) is not None:
                return answer
            found = backend.campaigns[request.match_info["id"]]
            found.update({k: v for k, v in body.items() if k != "activity_ids"})
            return web.json_response(found)

        async def activities(request: web.Request) -> web.Response:
            return web.json_response({"items": list(ACTIVITIES.values())})

        async def enrollments(request: web.Request) -> web.Response:
            activity = request.query.get("activity_id")
            statuses = ["approved", "approved", "pending"] if activity == PERI_27 else []
            return web.json_response({"items": [{"status": s} for s in statuses]})

        async def renewals(request: web.Request) -> web.Response:
            backend.renewal_queries.append(dict(request.query))
            items = [
                {
                    "id": "r1",
                    "campaign_id": NEW,
                    "household_id": HOUSEHOLD,
                    "child_id": "c1",
                    "child_first_name": "Léo",
                    "child_last_name": "Durand",
                    "from_activity_id": PERI_26,
                    "from_activity_name": "Accueil du soir 2026-2027",
                    "activity_id": PERI_27,
                    "activity_name": "Accueil du soir 2027-2028",
                    "next_grade": "CM1",
                    "status": "ineligible",
                    "reason": "Cette activité est réservée aux classes CP, CE1.",
                    "enrollment_id": None,
                    "answered_at": None,
                    "file_checked": True,
                }
            ]
            wanted = request.query.get("status")
            return web.json_response(
                {"items": [r for r in items if not wanted or r["status"] == wanted]}
            )

        async def prepare(request: web.Request) -> web.Response:
            body = await request.json()
            backend.sent.append(("POST", request.path, body))
            if (answer := refused()) is not None:
                return answer
            return web.json_response(
                {
                    "proposed": 3,
                    "ineligible": 1,
                    "already": 0,
                    "unmapped": [{"activity_id": SKI_26, "name": "Séjour ski 2027"}],
                }
            )

        app.router.add_get(f"{t}/campaigns", listing)
        app.router.add_post(f"{t}/campaigns", create)
        app.router.add_get(f"{t}/campaigns/{{id}}", one)
        app.router.add_patch(f"{t}/campaigns/{{id}}", patch)
        app.router.add_get(f"{t}/campaigns/{{id}}/renewals", renewals)
        app.router.add_post(f"{t}/campaigns/{{id}}/renewals", prepare)
        app.router.add_get(f"{t}/activities", activities)
        app.router.add_get(f"{t}/enrollments", enrollments)

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


async def test_the_list_shows_windows_states_and_counts(portal, services, backend):
    html = unescape(await as_role(portal, services, "/gestion/campagnes", "staff"))
    assert "<h1>Campagnes d'inscription</h1>" in html
    assert '<a href="/gestion/campagnes" aria-current="page">Campagnes</a>' in html  # the nav
    assert f'<a href="/gestion/campagnes/{NEW}">Périscolaire 2027-2028</a>' in html
    assert "du 1er juin 2027 au 15 juillet 2027" in html
    assert ">Ouverte</span>" in html and ">Fermée</span>" in html
    assert '12 <span class="hint">(dont 3 en attente)</span>' in html
    assert "2 confirmés, 4 à confirmer, 1 refusé, 1 impossible" in html
    # the newest first
    assert html.index("Périscolaire 2027-2028") < html.index("Périscolaire 2026-2027")


async def test_a_campaign_created_with_its_activities(portal, services, backend):
    html = await as_role(portal, services, "/gestion/campagnes/nouvelle", "staff")
    assert f'id="activite-{PERI_27}" name="activity_ids" type="checkbox"' in html
    assert f'<option value="{OLD}">Périscolaire 2026-2027 (2026-2027)</option>' in html
    # an activity of another campaign: said so
    label = unescape(html).split(f'<label for="activite-{PERI_26}">')[1].split("</label>")[0]
    assert "déjà dans la campagne « Périscolaire 2026-2027 »" in label
    token = csrf_of(html)
    form = [
        ("csrf_token", token),
        ("name", "Vacances d'été 2028"),
        ("school_year", "2027-2028"),
        ("opens_on", "01/05/2028"),
        ("closes_on", "31/05/2028"),
        ("description", "Séjours et centre de loisirs."),
        ("activity_ids", PERI_27),
        ("activity_ids", CANTINE_27),
        ("previous_campaign_id", OLD),
    ]
    r = await portal.post("/gestion/campagnes/nouvelle", data=form, allow_redirects=False)
    assert r.status == 303
    assert (
        r.headers["Location"]
        == "/gestion/campagnes/cccccccc-0000-4000-8000-000000000009?fait=creee"
    )
    assert backend.sent == [
        (
            "POST",
            "/tenants/demo/campaigns",
            {
                "name": "Vacances d'été 2028",
                "school_year": "2027-2028",
                "opens_on": "2028-05-01",
                "closes_on": "2028-05-31",
                "description": "Séjours et centre de loisirs.",
                "activity_ids": [PERI_27, CANTINE_27],
                "previous_campaign_id": OLD,
            },
        )
    ]


async def test_errors_next_to_their_fields(portal, services, backend):
    html = await as_role(portal, services, "/gestion/campagnes/nouvelle", "staff", "admin")
    base = [
        ("csrf_token", csrf_of(html)),
        ("name", "Périscolaire 2028"),
        ("opens_on", "01/06/2028"),
        ("closes_on", "15/07/2028"),
        ("activity_ids", PERI_26),
    ]
    # Checked here first: booking not asked.
    r = await portal.post("/gestion/campagnes/nouvelle", data=[*base, ("school_year", "2028")])
    html = await r.text()
    assert r.status == 422 and backend.sent == []
    assert 'id="school_year-erreur">Indiquez l&#39;année scolaire sous la forme 2027-2028.' in html
    assert 'aria-invalid="true" aria-describedby="school_year-erreur school_year-aide"' in html
    assert '<a href="#school_year">' in html
    assert 'value="Périscolaire 2028"' in unescape(html)  # kept as typed
    # An activity in another campaign (409): by the activities.
    detail = (
        "L'activité « Accueil du soir 2026-2027 » est déjà dans la campagne"
        " « Périscolaire 2026-2027 »."
    )
    backend.answer = (409, {"code": "activity-in-campaign", "detail": detail})
    r = await portal.post("/gestion/campagnes/nouvelle", data=[*base, ("school_year", "2028-2029")])
    html = unescape(await r.text())
    assert r.status == 409
    assert f'<p class="field-error" id="activity_ids-erreur">{detail}</p>' in html
    assert (
        f'id="activite-{PERI_26}" name="activity_ids" type="checkbox" value="{PERI_26}" checked'
        in html
    )
    # booking's 422 naming a field: by it.
    backend.answer = (
        422,
        {
            "detail": "Certaines informations sont incorrectes : closes_on.",
            "errors": [{"field": "closes_on", "detail": "La fermeture précède l'ouverture."}],
        },
    )
    r = await portal.post("/gestion/campagnes/nouvelle", data=[*base, ("school_year", "2028-2029")])
    html = unescape(await r.text())
    assert r.status == 422 and 'id="closes_on-erreur">La fermeture précède l\'ouverture.' in html


async def test_an_edit_sends_only_what_changed_and_archiving(portal, services, backend):
    path = f"/gestion/campagnes/{NEW}/modifier"
    html = await as_role(portal, services, path, "staff")
    assert 'value="15/07/2027"' in html and "ne change plus une fois la campagne créée" in html
    token = csrf_of(html)
    form = [
        ("csrf_token", token),
        ("name", "Périscolaire 2027-2028"),
        ("opens_on", "01/06/2027"),
        ("closes_on", "20/07/2027"),
        ("activity_ids", PERI_27),
    ]
    r = await portal.post(path, data=form, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == f"/gestion/campagnes/{NEW}?fait=enregistree"
    assert backend.sent == [
        (
            "PATCH",
            f"/tenants/demo/campaigns/{NEW}",
            {"closes_on": "2027-07-20", "activity_ids": [PERI_27]},
        )
    ]
    r = await portal.post(
        f"/gestion/campagnes/{NEW}/archiver", data={"csrf_token": token}, allow_redirects=False
    )
    assert r.status == 303 and r.headers["Location"] == "/gestion/campagnes?fait=archivee"
    assert backend.sent[-1] == ("PATCH", f"/tenants/demo/campaigns/{NEW}", {"archived": True})
    # Archived: its page offers to bring it back.
    backend.campaigns[NEW]["state"] = "archived"
    html = await (await portal.get(f"/gestion/campagnes/{NEW}")).text()
    assert "Archiver la campagne" not in html and "Sortir la campagne des archives" in html
    r = await portal.post(
        f"/gestion/campagnes/{NEW}/restaurer", data={"csrf_token": token}, allow_redirects=False
    )
    assert r.headers["Location"] == f"/gestion/campagnes/{NEW}?fait=restauree"
    assert backend.sent[-1] == ("PATCH", f"/tenants/demo/campaigns/{NEW}", {"archived": False})


async def test_renewals_prepared_with_the_mapping_and_listed(portal, services, backend):
    page = f"/gestion/campagnes/{NEW}"
    html = unescape(await as_role(portal, services, page, "staff"))
    # The activities and their enrollments.
    row = html.split("Accueil du soir 2027-2028</a></th>")[1].split("</tr>")[0]
    assert "<td>2</td>" in row and ">1</a></td>" in row
    # The previous campaign chosen by default; the mapping pre-selected by name.
    assert (
        f'<option value="{OLD}" selected>Périscolaire 2026-2027 (2026-2027) – campagne précédente'
        in html
    )
    assert f'<option value="{PERI_27}" selected>Accueil du soir 2027-2028' in html
    ski = html.split(f'<select id="vers-{SKI_26}"')[1].split("</select>")[0]
    assert "selected" not in ski
    # The renewals' table, with the link to the household.
    assert f'<a href="/gestion/foyers/{HOUSEHOLD}">Léo Durand</a>' in html
    assert (
        "réservée aux classes CP, CE1." in html
        and "<td>Oui</td>" in html
        and "<td>CM1</td>" in html
    )
    form = [
        ("csrf_token", csrf_of(html)),
        ("depuis", OLD),
        (f"vers-{PERI_26}", PERI_27),
        (f"vers-{SKI_26}", ""),
    ]
    r = await portal.post(f"{page}/renouvellements", data=form)
    html = unescape(await r.text())
    assert r.status == 200
    assert backend.sent == [
        (
            "POST",
            f"/tenants/demo/campaigns/{NEW}/renewals",
            {
                "from_campaign_id": OLD,
                "mapping": [{"from_activity_id": PERI_26, "to_activity_id": PERI_27}],
            },
        )
    ]
    assert "3 renouvellements proposés aux familles" in html and "1 impossible " in html
    assert "Activités sans correspondance, non renouvelées" in html
    assert "<li>Séjour ski 2027</li>" in html
    # Filtered by status: passed on to booking.
    backend.renewal_queries.clear()
    html = unescape(await (await portal.get(f"{page}?statut=confirmed")).text())
    assert backend.renewal_queries == [{"status": "confirmed"}]
    assert "Aucun renouvellement avec ce statut." in html
    assert '<option value="confirmed" selected>' in html
    # booking's refusal of the preparation: by the campaign's choice.
    backend.answer = (
        422,
        {
            "detail": "Certaines informations sont incorrectes : from_campaign_id.",
            "errors": [{"field": "from_campaign_id", "detail": "Choisissez une campagne."}],
        },
    )
    r = await portal.post(f"{page}/renouvellements", data=form)
    html = unescape(await r.text())
    assert r.status == 422 and 'id="depuis-erreur">Choisissez une campagne.' in html


async def test_families_and_animators_are_refused(portal, services, backend):
    stand_in, _ = services
    for roles in (["family"], ["animator"]):
        stand_in.roles = roles
        await log_in(portal, "/gestion/campagnes")
        for page in (
            "/gestion/campagnes",
            f"/gestion/campagnes/{NEW}",
            "/gestion/campagnes/nouvelle",
        ):
            r = await portal.get(page)
            assert r.status == 403, (roles, page)
            assert "Accès réservé" in await r.text()
        token = csrf_of(await (await portal.get("/gestion/campagnes")).text())
        r = await portal.post(f"/gestion/campagnes/{NEW}/archiver", data={"csrf_token": token})
        assert r.status == 403
        portal.session.cookie_jar.clear()
    assert backend.sent == []


async def test_the_forms_need_the_session_s_csrf_token(portal, services, backend):
    await as_role(portal, services, "/gestion/campagnes", "staff")
    for path, data in (
        ("/gestion/campagnes/nouvelle", {"name": "X"}),
        (f"/gestion/campagnes/{NEW}/modifier", {"name": "X"}),
        (f"/gestion/campagnes/{NEW}/archiver", {}),
        (f"/gestion/campagnes/{NEW}/renouvellements", {"depuis": OLD}),
    ):
        r = await portal.post(path, data=data)
        assert r.status == 403 and "Action refusée" in await r.text()
    assert backend.sent == []

"""The enrollment and absence queues filtered by site (booking and family stood in): only
the chosen site's items, the filter kept through a decision."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in

HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000001"
ANNA = "11111111-1111-4111-8111-111111111111"
CANTEEN = "a0000000-0000-4000-8000-000000000001"
CAMP = "a0000000-0000-4000-8000-000000000002"
AT_SCHOOL = "e0000000-0000-4000-8000-000000000001"
AT_LAKE = "e0000000-0000-4000-8000-000000000002"


def enrollment(id_: str, activity_id: str, requested_at: str) -> dict[str, Any]:
    return {
        "id": id_,
        "activity_id": activity_id,
        "child_id": ANNA,
        "household_id": HOUSEHOLD,
        "mode": "occasional",
        "weekdays": [],
        "every_n_weeks": 1,
        "status": "pending",
        "reason": None,
        "requested_at": requested_at,
        "decided_at": None,
    }


@pytest.fixture
def stand_in_routes() -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        async def enrollments(request: web.Request) -> web.Response:
            items = [
                enrollment(AT_SCHOOL, CANTEEN, "2026-11-28T09:00:00+00:00"),
                enrollment(AT_LAKE, CAMP, "2026-11-29T09:00:00+00:00"),
            ]
            return web.json_response({"items": items})

        async def activities(request: web.Request) -> web.Response:
            def activity(id_: str, name: str, site: str) -> dict[str, Any]:
                return {"id": id_, "name": name, "site": site, "required_documents": []}

            items = [
                activity(CANTEEN, "Restauration scolaire", "École du centre"),
                activity(CAMP, "Semaine au lac", "Centre du Lac"),
            ]
            return web.json_response({"items": items})

        async def household(request: web.Request) -> web.Response:
            child = {"id": ANNA, "first_name": "Anna", "last_name": "Martin", "grade": "CE1"}
            return web.json_response({"id": HOUSEHOLD, "children": [child]})

        async def decide(request: web.Request) -> web.Response:
            return web.json_response({})

        app.router.add_get(f"{t}/enrollments", enrollments)
        app.router.add_post(f"{t}/enrollments/{{id}}/decision", decide)
        app.router.add_get(f"{t}/activities", activities)
        app.router.add_get(f"{t}/households/{{id}}", household)

    return add


@pytest.fixture
async def agent(portal: TestClient, services: tuple[Services, str]) -> TestClient:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion")
    return portal


async def test_the_enrollment_queue_shows_the_chosen_site_only(agent: TestClient) -> None:
    every = await (await agent.get("/gestion/inscriptions")).text()
    assert "Semaine au lac" in every and "Restauration scolaire" in every
    assert "Tous les sites" in every
    lake = await (await agent.get("/gestion/inscriptions?site=Centre+du+Lac")).text()
    assert "Semaine au lac" in lake and "Restauration scolaire" not in lake
    assert "<option selected>Centre du Lac</option>" in lake
    # The decision keeps the filter: the next item is of the same site.
    action = f"/gestion/inscriptions/{AT_LAKE}/decision?site=Centre%20du%20Lac"
    assert action in lake
    r = await agent.post(
        action,
        data={"csrf_token": csrf_of(lake), "decision": "approved"},
        allow_redirects=False,
    )
    assert (r.status, r.headers["Location"]) == (
        303,
        "/gestion/inscriptions?decision=approved&site=Centre%20du%20Lac",
    )

"""Staff's search of households: case and accents ignored on names (both ways), by email
and subscriber code, paginated, the address's city in each result, each tenant's staff
seeing only their own tenant's households, families refused."""

from __future__ import annotations

from typing import Any

Town = Any


async def test_the_search_ignores_case_and_accents(town: Town) -> None:
    ines = await town.household(
        guardians=[town.guardian("Hélène", "Lefèvre")], children=[town.child("Inès", "Lefèvre")]
    )
    other = await town.household(
        guardians=[town.guardian("Noel", "Garcon")], children=[town.child("Zoe", "Garcon")]
    )
    staff = town.staff()

    async def ids(q: str) -> list[str]:
        found = await town.call("GET", f"/tenants/epagny/households?q={q}", staff)
        return [h["id"] for h in found["items"]]

    assert await ids("ines") == [ines["id"]]
    assert await ids("INES lefevre") == [ines["id"]]
    assert await ids("lefèvre hélène") == [ines["id"]]
    assert await ids("zoé garçon") == [other["id"]]  # accents typed, none stored
    assert await ids("NOËL") == [other["id"]]
    found = await town.call("GET", "/tenants/epagny/households?q=Ines", staff)
    assert found["items"][0]["address"]["city"]
    assert found["items"][0]["children"] == ["Inès Lefèvre"]
    assert found["items"][0]["guardians"] == ["Hélène Lefèvre"]


async def test_staff_search_only_their_tenant_and_families_may_not(town: Town) -> None:
    here = await town.household(children=[town.child("Inès", "Martin")])
    there = await town.household("annecy", children=[town.child("Inès", "Martin")])
    found = await town.call("GET", "/tenants/epagny/households?q=ines", town.staff())
    assert [h["id"] for h in found["items"]] == [here["id"]]
    found = await town.call("GET", "/tenants/annecy/households?q=ines", town.staff("annecy"))
    assert [h["id"] for h in found["items"]] == [there["id"]]
    code = there["subscriber_code"]
    found = await town.call("GET", f"/tenants/epagny/households?q={code}", town.staff())
    assert found["items"] == []  # another tenant's code finds nothing here
    await town.call("GET", "/tenants/annecy/households?q=ines", town.staff(), status=403)
    await town.call("GET", "/tenants/epagny/households?q=ines", town.family(), status=403)


async def test_staff_find_the_households_no_account_is_linked_to(town: Town) -> None:
    """`linked=false`: the households whose subscriber-code letters are still to send."""
    waiting = await town.household(children=[town.child("Inès", "Martin")])
    linked = await town.household(children=[town.child("Hugo", "Martin")])
    gone = await town.household(children=[town.child("Léo", "Martin")])
    later = await town.household(children=[town.child("Zoé", "Durand")])
    await town.linked_family(linked)
    family = await town.linked_family(gone)
    staff = town.staff()
    asked = await town.call(
        "POST",
        "/tenants/epagny/me/household/deletion-request",
        family,
        {"message": "Nous partons."},
        status=202,
    )
    await town.call(
        "POST", f"/tenants/epagny/deletion-requests/{asked['id']}/anonymise", staff, status=200
    )

    async def ids(query: str) -> tuple[list[str], int]:
        found = await town.call("GET", f"/tenants/epagny/households?{query}", staff)
        return [h["id"] for h in found["items"]], found["total"]

    assert await ids("linked=false") == ([waiting["id"], later["id"]], 2)
    assert await ids("linked=false&q=ines") == ([waiting["id"]], 1)
    assert await ids("linked=false&per_page=1&page=2") == ([later["id"]], 2)
    assert await ids("linked=true") == ([linked["id"]], 1)
    everyone, total = await ids("q=")
    assert total == 4 and gone["id"] in everyone  # without the filter: as before
    problem = await town.call(
        "GET", "/tenants/epagny/households?linked=peut-etre", staff, status=422
    )
    assert [e["field"] for e in problem["errors"]] == ["linked"]

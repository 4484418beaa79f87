"""Information pages and canteen menus: rights, validation in French, weeks."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

PAGES = "/tenants/epagny/pages"
MENUS = "/tenants/epagny/menus"


def this_monday() -> date:
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    return today - timedelta(days=today.weekday())


async def test_pages_are_kept_by_staff_and_read_by_families(notify, tokens):
    staff = tokens.header(tenant="epagny", roles=("staff",))
    family = tokens.header(tenant="epagny")
    other = tokens.header(tenant="annecy", roles=("admin",))
    page = {"title": "Horaires", "body": "Accueil de 7h30 à 18h30.", "position": 2}
    assert (await notify.put(f"{PAGES}/horaires", json=page, headers=family)).status == 403
    assert (await notify.put(f"{PAGES}/horaires", json=page, headers=other)).status == 403
    assert (await notify.get(PAGES, headers=other)).status == 403
    assert (await notify.get(PAGES)).status == 401

    r = await notify.put(f"{PAGES}/horaires", json=page, headers=staff)
    assert r.status == 201
    r = await notify.put(f"{PAGES}/horaires", json={**page, "body": "7h30 – 18h00"}, headers=staff)
    assert r.status == 200 and (await r.json())["body"] == "7h30 – 18h00"
    tarifs = {"title": "Tarifs 2025", "body": "Selon le quotient familial.", "position": 1}
    assert (await notify.put(f"{PAGES}/tarifs-2025", json=tarifs, headers=staff)).status == 201

    r = await notify.get(PAGES, headers=family)
    assert [p["slug"] for p in (await r.json())["items"]] == ["tarifs-2025", "horaires"]
    r = await notify.get(f"{PAGES}/horaires", headers=family)
    assert (await r.json())["body"] == "7h30 – 18h00"
    assert (await notify.delete(f"{PAGES}/horaires", headers=family)).status == 403
    assert (await notify.delete(f"{PAGES}/horaires", headers=staff)).status == 204
    r = await notify.get(f"{PAGES}/horaires", headers=family)
    assert r.status == 404
    assert (await r.json())["detail"] == "Cette page d'information est introuvable."
    r = await notify.get("/tenants/annecy/pages", headers=tokens.header(tenant="annecy"))
    assert (await r.json())["items"] == []


async def test_page_validation_errors_are_in_french(notify, tokens):
    staff = tokens.header(tenant="epagny", roles=("admin",))
    r = await notify.put(
        f"{PAGES}/Mauvaise_Adresse", json={"title": "T", "body": "B"}, headers=staff
    )
    assert r.status == 422
    (error,) = (await r.json())["errors"]
    assert error["field"] == "slug"
    assert error["detail"].startswith("Adresse de page invalide")
    r = await notify.put(
        f"{PAGES}/ok", json={"title": "Deux\nlignes", "position": "x"}, headers=staff
    )
    errors = {e["field"]: e["detail"] for e in (await r.json())["errors"]}
    assert errors == {
        "title": "Le titre doit tenir sur une ligne.",
        "body": "Ce champ est obligatoire.",
        "position": "Un nombre entier est attendu.",
    }


async def test_menus_by_week(notify, tokens):
    staff = tokens.header(tenant="epagny", roles=("staff",))
    family = tokens.header(tenant="epagny")
    monday = date(2025, 3, 3)
    menu = {
        "days": [
            {"date": "2025-03-04", "text": "Repas de carnaval", "allergens": "Gluten"},
            {
                "date": "2025-03-03",
                "starter": "Carottes râpées",
                "main": "Poisson pané, riz",
                "dessert": "Yaourt",
                "snack": "Pain et chocolat",
            },
        ],
        "remarks": "Viandes d'origine française.",
    }
    assert (await notify.put(f"{MENUS}/2025-03-03", json=menu, headers=family)).status == 403
    r = await notify.put(f"{MENUS}/2025-03-03", json=menu, headers=staff)
    assert r.status == 201, await r.text()
    assert (await notify.put(f"{MENUS}/2025-03-03", json=menu, headers=staff)).status == 200
    nxt = {"days": [{"date": "2025-03-10", "main": "Lasagnes"}]}
    assert (await notify.put(f"{MENUS}/2025-03-10", json=nxt, headers=staff)).status == 201
    assert (
        await notify.put(
            f"{MENUS}/2025-03-17",
            json=nxt | {"days": [{"date": "2025-03-17", "main": "Hachis"}]},
            headers=staff,
        )
    ).status == 201

    r = await notify.get(MENUS, params={"week": "2025-03-05"}, headers=family)  # a Wednesday
    assert r.status == 200
    first, second = (await r.json())["weeks"]
    assert (first["week_start"], first["week"], first["published"]) == (
        str(monday),
        "2025-W10",
        True,
    )
    assert [d["date"] for d in first["days"]] == ["2025-03-03", "2025-03-04"]
    assert first["days"][0]["main"] == "Poisson pané, riz"
    assert first["days"][1] == {
        "date": "2025-03-04",
        "starter": None,
        "main": None,
        "dessert": None,
        "snack": None,
        "text": "Repas de carnaval",
        "allergens": "Gluten",
    }
    assert first["remarks"] == "Viandes d'origine française."
    assert (second["week_start"], second["days"][0]["main"]) == ("2025-03-10", "Lasagnes")

    r = await notify.get(MENUS, params={"week": "2025-03-16"}, headers=family)  # a Sunday
    assert [w["week_start"] for w in (await r.json())["weeks"]] == ["2025-03-10", "2025-03-17"]

    # by default: the current week and the next, even when nothing is entered yet
    current = this_monday()
    today_menu = {"days": [{"date": str(current + timedelta(days=1)), "main": "Couscous"}]}
    assert (await notify.put(f"{MENUS}/{current}", json=today_menu, headers=staff)).status == 201
    r = await notify.get(MENUS, headers=family)
    first, second = (await r.json())["weeks"]
    assert (first["week_start"], first["published"]) == (str(current), True)
    assert (second["week_start"], second["published"], second["days"]) == (
        str(current + timedelta(days=7)),
        False,
        [],
    )
    assert (await notify.delete(f"{MENUS}/{current}", headers=family)).status == 403
    assert (await notify.delete(f"{MENUS}/{current}", headers=staff)).status == 204
    assert (await notify.delete(f"{MENUS}/{current}", headers=staff)).status == 404
    r = await notify.get(MENUS, headers=tokens.header(tenant="annecy"))
    assert r.status == 403


async def test_menu_validation_errors_are_in_french(notify, tokens):
    staff = tokens.header(tenant="epagny", roles=("staff",))
    day = {"date": "2025-03-04", "main": "Gratin"}
    r = await notify.put(f"{MENUS}/2025-03-04", json={"days": [day]}, headers=staff)
    assert r.status == 422
    assert (await r.json())["errors"] == [
        {"field": "week_start", "detail": "Une semaine commence un lundi (AAAA-MM-JJ d'un lundi)."}
    ]
    r = await notify.put(f"{MENUS}/pas-une-date", json={"days": [day]}, headers=staff)
    assert (await r.json())["errors"][0]["detail"] == "Date invalide (format attendu : AAAA-MM-JJ)."
    r = await notify.put(
        f"{MENUS}/2025-03-03",
        json={
            "days": [day, {"date": "2025-03-04", "main": "x"}, {"date": "2025-03-12", "main": "y"}]
        },
        headers=staff,
    )
    errors = {e["field"]: e["detail"] for e in (await r.json())["errors"]}
    assert errors == {
        "days.1.date": "Ce jour est déjà saisi.",
        "days.2.date": "Ce jour n'est pas dans la semaine du 03/03/2025.",
    }
    r = await notify.put(
        f"{MENUS}/2025-03-03",
        json={"days": [{"date": "2025-03-04", "allergens": "Lait"}]},
        headers=staff,
    )
    assert (await r.json())["errors"] == [
        {
            "field": "days.0.text",
            "detail": (
                "Indiquez au moins un plat (entrée, plat, dessert, goûter) ou un texte libre."
            ),
        }
    ]
    r = await notify.put(f"{MENUS}/2025-03-03", json={"days": []}, headers=staff)
    assert (await r.json())["errors"][0]["field"] == "days"
    r = await notify.get(MENUS, params={"week": "03/03/2025"}, headers=staff)
    assert r.status == 422 and (await r.json())["errors"][0]["field"] == "week"

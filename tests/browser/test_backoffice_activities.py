"""The back-office's activities in a real browser (issue 15): the town's admin creates an
activity by keyboard only (a wrong capacity first: the error next to its field), lowers its
capacity to one place, sets its billing and its price grid (euros typed, cents kept by
billing); a family enrolls two children and books the same day through the public APIs, so
that the second waits; an agent sees the day full on the list and the activity's occupancy,
the waiting child in the waiting list, and gets the 403 page on the edit form. axe-core on
every page."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from shared.french import weekday_day_month_year
from shared.testing.browser import (
    PASSWORD,
    STAFF,
    TENANT,
    Api,
    Stack,
    eventually,
    household_of,
    linked_household,
    new_family,
)

T = f"/tenants/{TENANT}"
ADMIN = "admin@demo.example"
DESKTOP = {"width": 1280, "height": 900}


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/gestion")


def typed(page: Page, field: Locator, text: str) -> None:
    """Keyboard only: focus the field, replace what it holds by `text`."""
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def ticked(page: Page, box: Locator) -> None:
    box.focus()
    if not box.is_checked():
        page.keyboard.press("Space")


def test_an_admin_sets_up_an_activity_and_an_agent_follows_its_waiting_list(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    base = stack.url
    staff = api.login(STAFF)
    suffix = uuid.uuid4().hex[:6].upper()
    regie = api.call(
        "POST",
        f"/billing{T}/regies",
        staff,
        {
            "code": f"ACT{suffix}",
            "name": f"Régie loisirs {suffix}",
            "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
            "email": "regie@demo.example",
        },
    )
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    tomorrow = today + timedelta(days=1)
    site = f"Centre {suffix}"
    name = f"Accueil de loisirs {suffix}"

    # The admin creates the activity, keyboard only.
    desk = open_tab("gestion-activites", viewport=DESKTOP)
    page, visits = desk.page, desk.visits
    log_in(page, base, ADMIN)
    page.goto(f"{base}/gestion/activites")
    expect(page.get_by_role("heading", level=1)).to_have_text("Activités")
    visits.check("liste")
    page.get_by_role("link", name="Créer une activité").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle activité")
    visits.check("nouvelle")
    form = page.locator("form.activity-form")
    typed(page, form.get_by_label("Nom"), name)
    form.get_by_label("Type").focus()
    form.get_by_label("Type").select_option("VACANCES")  # a select: chosen by its value
    typed(page, form.get_by_label("Site"), site)
    # Date inputs take the ISO date (typing into their segments depends on the browser).
    form.get_by_label("Premier jour").fill(today.isoformat())
    form.get_by_label("Dernier jour").fill((today + timedelta(days=30)).isoformat())
    for day in ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"):
        ticked(page, form.get_by_label(day, exact=True))
    box = form.get_by_label("Fermée les jours fériés")
    box.focus()
    if box.is_checked():
        page.keyboard.press("Space")
    form.get_by_label("Vacances scolaires").select_option("non")
    typed(page, form.get_by_label("Capacité (places par jour)"), "beaucoup")
    reservation = form.locator("fieldset.deadline", has_text="Réservation").first
    typed(page, reservation.get_by_label("Jours avant"), "0")
    typed(page, reservation.get_by_label("À (HH:MM)"), "23:59")
    cancellation = form.locator("fieldset.deadline", has_text="Annulation")
    typed(page, cancellation.get_by_label("Jours avant"), "0")
    typed(page, cancellation.get_by_label("À (HH:MM)"), "23:59")
    page.keyboard.press("Enter")
    expect(page.locator("#capacity-erreur")).to_contain_text("Indiquez un nombre de places")
    expect(form.get_by_label("Nom")).to_have_value(name)  # what was typed stays
    visits.check("erreur-capacite")
    typed(page, form.get_by_label("Capacité (places par jour)"), "5")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("L'activité est créée")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    activity_id = page.url.split("/gestion/activites/")[1].split("?")[0]
    visits.check("fiche")

    # Its capacity lowered to one place (from tomorrow: today keeps five).
    typed(page, form.get_by_label("Capacité (places par jour)"), "1")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Les modifications sont enregistrées")
    expect(form.get_by_label("Capacité (places par jour)")).to_have_value("1")
    days = api.call("GET", f"/booking{T}/activities/{activity_id}/days", staff)["days"]
    by_day = {d["date"]: d["capacity"] for d in days}
    assert by_day[today.isoformat()] == 5 and by_day[tomorrow.isoformat()] == 1, by_day

    # Its billing, then its price grid: euros typed, cents kept.
    page.get_by_role("navigation", name=f"Activité {name}").get_by_role(
        "link", name="Tarifs"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Tarifs : {name}")
    visits.check("tarifs")
    billing = page.locator("form", has=page.get_by_label("Régie"))
    billing.get_by_label("Régie").select_option(regie["id"])
    billing.get_by_label("Facturation", exact=True).select_option("postpaid")
    billing.get_by_label("Unité facturée").select_option("day")
    billing.get_by_role("button", name="Enregistrer la facturation").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(
        "La facturation de l'activité est enregistrée"
    )
    grid = page.locator("form.grid-form")
    typed(page, grid.get_by_label("Quotient de début, tranche 1"), "0")
    typed(page, grid.get_by_label("Quotient de fin, tranche 1"), "700")
    typed(page, grid.get_by_label("Prix en euros, tranche 1"), "3,20")
    typed(page, grid.get_by_label("Quotient de début, tranche 2"), "701")
    typed(page, grid.get_by_label("Prix en euros, tranche 2"), "4,50")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("La grille de prix est enregistrée")
    expect(grid.get_by_label("Prix en euros, tranche 2")).to_have_value("4,50")
    visits.check("grille")
    grids = api.call("GET", f"/billing{T}/billing/activities/{activity_id}/price-grids", staff)
    (saved,) = grids["grids"]
    assert [(b["qf_min"], b["qf_max"], b["amounts"]) for b in saved["brackets"]] == [
        (0, 700, [320]),
        (701, None, [450]),
    ]

    # A family books tomorrow for two children: one place, the second child waits.
    email = f"attente-{uuid.uuid4().hex[:10]}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Claire Petit")
    children = [
        {"first_name": first, "last_name": "Petit", "birth_date": "2017-04-02"}
        for first in ("Lina", "Malo")
    ]
    household, family = linked_household(
        api, family, household_of(email, "Claire", "Petit", children)
    )
    lina, malo = sorted(household["children"], key=lambda c: c["first_name"])
    answers: list[str] = []

    def enrolled(child: dict[str, Any]) -> bool:
        r = api.request.post(
            f"{api.base}/booking{T}/enrollments",
            headers=family,
            data={"child_id": child["id"], "activity_id": activity_id},
        )
        answers.append(f"{r.status} {r.text()}")
        return r.status == 201

    for child in (lina, malo):
        eventually(lambda c=child: enrolled(c), message=lambda: answers[-1])
        basket = api.call(
            "POST",
            f"/booking{T}/baskets",
            family,
            {
                "lines": [
                    {
                        "child_id": child["id"],
                        "activity_id": activity_id,
                        "dates": [tomorrow.isoformat()],
                    }
                ]
            },
        )
        api.call("POST", f"/booking{T}/baskets/{basket['id']}/validate", family, {})

    # An agent follows the occupancy and the waiting list, and may not edit.
    agent = open_tab("gestion-activites-agent", viewport=DESKTOP)
    page, visits = agent.page, agent.visits
    log_in(page, base, STAFF)
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Activités"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activités")
    row = page.locator("tr", has=page.get_by_role("rowheader", name=site, exact=True))
    expect(row).to_contain_text("1 / 1")
    expect(row).to_contain_text("1 en attente")
    expect(page.get_by_role("link", name="Créer une activité")).to_have_count(0)
    visits.check("liste-agent")
    page.get_by_role("link", name=f"Occupation de {name}").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Occupation : {name}")
    tomorrow_row = page.locator("tr", has_text=_long(tomorrow))
    expect(tomorrow_row).to_contain_text("complet")
    visits.check("occupation")
    page.get_by_role("link", name=f"1 en attente le {_long(tomorrow)}").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Liste d'attente : {name}")
    waiting = page.locator("table", has_text="Malo")
    expect(waiting).to_contain_text("1")
    expect(waiting).not_to_contain_text("Lina")
    visits.check("attente")
    page.goto(f"{base}/gestion/activites/{activity_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès réservé")
    visits.check("fiche-refusee")


def _long(day: Any) -> str:
    """The day as the pages write it: « mercredi 2 décembre 2026 »."""
    return weekday_day_month_year(day)

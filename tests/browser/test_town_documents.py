"""The town's documents in a real browser (issue 16): an agent publishes a rules PDF through
the back-office, shown on an activity and on an information page; the family finds it on the
activity's enrollment form, on the information page and among the documents in force, and
downloads it. axe-core on every page."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from shared.testing.browser import (
    PASSWORD,
    STAFF,
    TENANT,
    Api,
    Stack,
    household_of,
    linked_household,
    new_family,
    paris_today,
)

T = f"/tenants/{TENANT}"
DESKTOP = {"width": 1280, "height": 900}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CHILD = {
    "first_name": "Léo",
    "last_name": "Garnier",
    "birth_date": "2017-05-03",
    "sex": "M",
    "school": "École du centre",
    "grade": "CE2",
}


def log_in(page: Page, base: str, login: str, then: str) -> None:
    page.goto(f"{base}{then}")
    page.get_by_label("Adresse e-mail ou identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base}{then}")


def test_staff_publish_the_rules_and_the_family_finds_them(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    staff = api.login(STAFF)
    run = uuid.uuid4().hex[:6]
    start = paris_today() + timedelta(days=35 - paris_today().weekday())  # a Monday
    activity = api.call(
        "POST",
        f"/booking{T}/activities",
        staff,
        {
            "name": f"Club nature {run}",
            "type": "VACANCES",
            "site": "Centre du Lac",
            "period_from": start.isoformat(),
            "period_to": (start + timedelta(days=4)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5],
            "capacity": 10,
            "booking_deadline": {"days_before": 2, "at": "23:59"},
            "cancel_deadline": {"days_before": 2, "at": "23:59"},
        },
    )
    slug = f"periscolaire-{run}"
    api.call(
        "PUT",
        f"/notify{T}/pages/{slug}",
        staff,
        {"title": f"Le périscolaire {run}", "body": "Accueil de 7 h 30 à 18 h 30."},
    )
    email = f"documents-{run}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Anne Garnier")
    household, _ = linked_household(api, family, household_of(email, "Anne", "Garnier", [CHILD]))
    child = household["children"][0]
    title = f"Règlement intérieur {run}"
    base = stack.url

    # The agent publishes the rules, shown on the activity and on the page.
    tab = open_tab("documents-mairie", viewport=DESKTOP)
    page, visits = tab.page, tab.visits
    log_in(page, base, STAFF, "/gestion/communication")
    page.get_by_role("navigation", name="Communication").get_by_role(
        "link", name="Documents", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Documents de la mairie")
    visits.check("liste-vide")
    page.get_by_role("link", name="Publier un document").click()
    page.get_by_role("button", name="Publier le document").click()  # empty: errors shown
    expect(page.locator("#file-erreur")).to_be_visible()
    visits.check("erreurs")
    page.get_by_label("Titre", exact=True).fill(title)
    page.get_by_label("Catégorie", exact=True).select_option("rules")
    page.get_by_label("Description (facultative)").fill("À lire avant toute inscription.")
    page.get_by_label(f"{activity['name']} (Centre du Lac)").check()
    page.get_by_label(f"Le périscolaire {run}").check()
    page.get_by_label("Fichier", exact=True).set_input_files(
        {"name": "reglement.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Publier le document").click()
    expect(page.get_by_role("status")).to_have_text("Le document est publié.")
    expect(page.locator("main")).to_contain_text("en vigueur")
    visits.check("publie")
    page.get_by_role("link", name="Documents de la mairie").first.click()
    expect(page.get_by_role("link", name=title)).to_be_visible()
    visits.check("liste")

    # The family: on the activity's enrollment form, the information page, the list.
    family_tab = open_tab("documents-famille")
    family_page = family_tab.page
    form = f"/inscriptions/nouvelle?enfant={child['id']}&activite={activity['id']}"
    log_in(family_page, base, email, form)
    section = family_page.locator("section", has_text="Documents de l'activité à consulter")
    expect(section.get_by_role("link", name=title)).to_be_visible()
    expect(section).to_contain_text("Règlement intérieur, PDF, 1 Ko")
    family_tab.visits.check("inscription")
    with family_page.expect_download() as downloaded:
        section.get_by_role("link", name=title).click()
    assert Path(downloaded.value.path()).read_bytes() == PDF
    assert downloaded.value.suggested_filename == "reglement.pdf"

    family_page.goto(f"{base}/informations/{slug}")
    expect(family_page.locator("main")).to_contain_text("Documents à consulter")
    expect(family_page.get_by_role("link", name=title)).to_be_visible()
    family_tab.visits.check("information")

    family_page.goto(f"{base}/")
    family_page.get_by_role("link", name="Documents officiels en vigueur").click()
    expect(family_page.get_by_role("heading", level=1)).to_have_text(
        "Documents officiels en vigueur"
    )
    expect(family_page.get_by_role("link", name=title)).to_be_visible()
    family_tab.visits.check("documents-officiels")

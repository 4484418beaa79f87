"""Issue 15's journey, both sides in a real browser: a family signs up on the portal (the
proof of work solved by the page), activates its account from the email, accepts the terms,
links its account with the subscriber code the town gave it and changes its child's diet; an
agent, in another browser, finds the change on the work queue, reads current and proposed
values side by side and accepts it with the keyboard; the family sees its file updated and
has the email. axe-core on every page."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from shared.testing.browser import (
    PASSWORD,
    STAFF,
    TENANT,
    Api,
    Mailbox,
    Stack,
    household_of,
)

DESKTOP = {"width": 1280, "height": 900}


def emailed_link(message: Any, base: str, path: str) -> str:
    """The emailed link, opened on the test's own gateway."""
    (link,) = [u for u in Mailbox.links(message) if f"/{TENANT}/{path}?token=" in u][:1]
    return base + link[link.index(f"/{TENANT}/") :]


def log_in(page: Page, base: str, login: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(login)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def press_tab_to(page: Page, name: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.textContent")
        if (focused or "").strip() == name:
            return
    raise AssertionError(f"« {name} » never got the focus with Tab")


def test_a_family_signs_up_links_and_changes_its_file_an_agent_validates(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    base = stack.url
    email = f"parcours-{uuid.uuid4().hex[:10]}@exemple.fr"
    # The town opened the household (as staff or an import do) and gave the family its code.
    child = {"first_name": "Inès", "last_name": "Garnier", "birth_date": "2018-11-20"}
    opened = api.call(
        "POST",
        f"/family/tenants/{TENANT}/households",
        api.login(STAFF),
        household_of(email, "Julie", "Garnier", [child]),
    )

    # --- the family signs up in the browser, activates, accepts the terms ------------------
    family = open_tab("parcours-famille")
    page, visits = family.page, family.visits
    page.goto(f"{base}/inscription")
    page.get_by_label("Nom et prénom").fill("Julie Garnier")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.locator("altcha-widget input[type=checkbox]").focus()  # its styled box covers it
    page.keyboard.press("Space")
    expect(page.locator("altcha-widget [data-state]").first).to_have_attribute(
        "data-state", "verified", timeout=20_000
    )
    visits.check("inscription")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url(f"{base}/inscription/envoyee")
    message = stack.mailbox.wait_for(email, "Activez votre compte")
    page.goto(emailed_link(message, base, "activation"))
    page.get_by_role("button", name="Activer mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compte activé")
    log_in(page, base, email)
    expect(page).to_have_url(f"{base}/conditions")
    page.get_by_role("button", name="J'accepte les conditions d'utilisation").click()
    expect(page).to_have_url(f"{base}/")

    # --- linked with the subscriber code; the child's diet changed ------------------------
    page.goto(f"{base}/foyer")
    page.locator("#lien-code").fill(opened["subscriber_code"])
    page.get_by_role("button", name="Rattacher mon compte").click()
    expect(page).to_have_url(f"{base}/foyer?lie=1")
    expect(page.locator("main")).to_contain_text("Inès Garnier")
    page.get_by_role("link", name=re.compile(r"^Fiche d'Inès : modifier")).click()
    page.locator("#enfant-diet").select_option("vegetarian")
    page.get_by_role("button", name="Envoyer la modification").click()
    expect(page).to_have_url(f"{base}/foyer?envoye=1")
    expect(page.locator(".changes")).to_contain_text("En attente de validation")
    visits.check("foyer-en-attente")

    # --- the agent, in another browser: the queue, the change, accepted by keyboard --------
    agent = open_tab("parcours-agent", viewport=DESKTOP)
    staff_page = agent.page
    log_in(staff_page, base, STAFF)
    expect(staff_page).to_have_url(f"{base}/gestion")
    change = staff_page.get_by_role("link", name="Modification d'un enfant : Inès Garnier")
    expect(change).to_be_visible()
    agent.visits.check("file")
    change.click()
    row = staff_page.locator("table.compare tr", has_text="Régime alimentaire")
    expect(row).to_contain_text("Standard")
    expect(row).to_contain_text("Végétarien")
    agent.visits.check("modification")
    press_tab_to(staff_page, "Accepter la modification")
    staff_page.keyboard.press("Enter")
    expect(staff_page.get_by_role("status")).to_contain_text("La modification a été acceptée")
    agent.visits.check("acceptee")

    # --- the family sees its file updated and has the email -------------------------------
    page.reload()
    expect(page.locator(".changes .status-approved")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("Végétarien")
    visits.check("foyer-a-jour")
    stack.mailbox.wait_for(email, "Votre modification du dossier famille a été acceptée")

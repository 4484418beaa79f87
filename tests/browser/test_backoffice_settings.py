"""The town's online features in a real browser (issue 16): the admin turns families' edits
of the household file off by keyboard on « Réglages »; identity announces it, the family
service refuses the family's change (403 feature-off) and the family's « Mon foyer » shows
the file without its edit links, with the town's message; turned on again, the links are
back. axe-core on every page."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from shared.testing.browser import (
    PASSWORD,
    TENANT,
    Api,
    Stack,
    eventually,
    household_of,
    linked_household,
    new_family,
)

ADMIN = "admin@demo.example"
DESKTOP = {"width": 1280, "height": 900}
OFF = "La mairie ne permet pas de modifier le dossier en ligne : contactez"


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).not_to_have_url(re.compile(r"/connexion"))


def switch_by_keyboard(page: Page, name: str) -> None:
    """The switch focused, the Space key toggles it (keyboard only)."""
    box = page.get_by_role("checkbox", name=name)
    box.focus()
    before = box.is_checked()
    page.keyboard.press("Space")
    assert box.is_checked() is not before


def test_the_admin_turns_family_edits_off_and_the_family_sees_it(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    base = stack.url
    email = f"reglages-{uuid.uuid4().hex[:8]}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Ana Roux")
    child = {"first_name": "Léa", "last_name": "Roux", "birth_date": "2018-04-02"}
    _, family = linked_household(api, family, household_of(email, "Ana", "Roux", [child]))

    admin_tab = open_tab("gestion-reglages", viewport=DESKTOP)
    page, visits = admin_tab.page, admin_tab.visits
    log_in(page, base, ADMIN)
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Réglages"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Réglages de la mairie")
    visits.check("reglages")
    switch_by_keyboard(page, "Les familles modifient leur dossier en ligne")
    page.get_by_role("button", name="Enregistrer les réglages").click()
    expect(page.get_by_role("status")).to_contain_text("Les réglages sont enregistrés")
    visits.check("reglages-enregistres")

    # The family service heard it: the family's change is refused with the town's words.
    me = f"/family/tenants/{TENANT}/me/household"

    def refused() -> dict[str, Any] | None:
        r = api.request.patch(
            f"{api.base}{me}", headers=family, data={"phones": ["04 50 99 99 99"]}
        )
        return r.json() if r.status == 403 else None

    problem = eventually(refused)
    assert problem["detail"].startswith(OFF), problem

    family_tab = open_tab("foyer-sans-modification")
    fpage, fvisits = family_tab.page, family_tab.visits
    log_in(fpage, base, email)
    fpage.goto(f"{base}/foyer")
    expect(fpage.locator("#feature-off-family-edits")).to_contain_text(OFF)
    expect(
        fpage.get_by_role("link", name="Modifier l'adresse ou le téléphone du foyer")
    ).to_have_count(0)
    expect(fpage.get_by_role("link", name="Ajouter un enfant")).to_have_count(0)
    expect(fpage.locator("main")).to_contain_text("Léa Roux")
    fvisits.check("foyer")

    # On again (the demo town as it was): the links are back.
    page.goto(f"{base}/gestion/reglages")
    switch_by_keyboard(page, "Les familles modifient leur dossier en ligne")
    page.get_by_role("button", name="Enregistrer les réglages").click()
    expect(page.get_by_role("status")).to_contain_text("Les réglages sont enregistrés")
    fpage.goto(f"{base}/foyer")
    expect(fpage.get_by_role("link", name="Ajouter un enfant")).to_be_visible()

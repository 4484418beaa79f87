"""The one history of a household's procedures in a real browser (issue 16): a family linked
to its household asks for a change and sends a document through the API; it opens « Historique »
from the menu, sees both newest first with their status, filters on documents with the
keyboard; an agent opens the same history from the household file with the back-office's
links. The forgotten-password form takes the login identifier: the link arrives by email.
axe-core on every page."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from shared.testing.browser import (
    STAFF,
    TENANT,
    Api,
    Stack,
    household_of,
    linked_household,
    new_family,
)

T = f"/family/tenants/{TENANT}"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DESKTOP = {"width": 1280, "height": 900}


def log_in(page: Any, base: str, login: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(login)
    page.get_by_label("Mot de passe").fill("Demo-2026-portail")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).not_to_have_url(re.compile(r"/connexion"))


def test_the_history_for_the_family_and_for_staff(stack: Stack, api: Api, open_tab: Any) -> None:
    base = stack.url
    identifier = f"histo-{uuid.uuid4().hex[:8]}"
    email = f"{identifier}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Nadia Perrin")
    child = {"first_name": "Jules", "last_name": "Perrin", "birth_date": "2017-06-12"}
    household, family = linked_household(
        api, family, household_of(email, "Nadia", "Perrin", [child])
    )
    child_id = household["children"][0]["id"]
    api.call(
        "PATCH", f"{T}/me/household/children/{child_id}", family, {"diet": "no_pork"}, ok=(202,)
    )
    r = api.request.fetch(
        f"{api.base}{T}/me/household/documents",
        method="POST",
        headers=family,
        multipart={
            "document_type": "avis_imposition",
            "file": {"name": "avis.pdf", "mimeType": "application/pdf", "buffer": PDF},
        },
    )
    assert r.status in (201, 202), r.text()

    tab = open_tab("historique")
    page = tab.page
    log_in(page, base, email)
    menu = page.get_by_role("navigation", name="Menu principal")
    menu.get_by_role("link", name="Historique").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Historique de mes démarches")
    entries = page.locator("ol.history > li")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text("Document :")  # the newest first
    expect(entries.nth(0)).to_contain_text("À valider")
    expect(entries.nth(1)).to_contain_text("Modification du dossier")
    expect(entries.nth(1)).to_contain_text("En attente de validation")
    tab.visits.check("liste")

    # Only the documents, chosen and shown with the keyboard.
    page.get_by_label("Type de démarche").focus()
    page.get_by_label("Type de démarche").select_option("documents")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"type=documents"))
    expect(entries).to_have_count(1)
    expect(page.get_by_text("1 démarche de type « documents »")).to_be_visible()
    entries.nth(0).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes documents")

    # Staff: the same history from the household file.
    desk = open_tab("gestion-historique", viewport=DESKTOP)
    log_in(desk.page, base, STAFF)
    desk.page.goto(f"{base}/gestion/foyers/{household['id']}")
    desk.page.get_by_role("link", name="Toutes les démarches du foyer").click()
    expect(desk.page.get_by_role("heading", level=1)).to_have_text("Historique des démarches")
    staff_entries = desk.page.locator("ol.history > li")
    expect(staff_entries).to_have_count(2)
    link = staff_entries.nth(1).get_by_role("link")
    expect(link).to_have_attribute("href", re.compile(r"^/gestion/modifications/"))
    desk.visits.check("liste")
    link.click()
    expect(desk.page).to_have_url(re.compile(r"/gestion/modifications/"))

    # The forgotten-password form takes the identifier alone.
    other = open_tab("historique-oubli")
    other.page.goto(f"{base}/mot-de-passe-oublie")
    other.page.get_by_label("Adresse e-mail ou identifiant").fill(identifier)
    other.page.get_by_role("button", name="Recevoir le lien").click()
    expect(other.page.get_by_role("heading", level=1)).to_have_text("Lien envoyé")
    other.visits.check("lien-envoye")
    message = stack.mailbox.wait_for(email, re.compile("mot de passe", re.I))
    assert any("password/reset" in link for link in stack.mailbox.links(message))

"""The back-office's households in a real browser (issue 15): staff open two households
through the API (one linked to a family's account, its child's health record written); an
agent logs in, searches with the keyboard only by the child's name typed without accents and
by the other household's subscriber code, opens the first household's whole file (members,
history, documents, invoices and balance, emails), then the child's health record; the
family's API then lists that reading in its health access log. axe-core on every page."""

from __future__ import annotations

import random
import string
import uuid
from typing import Any

from playwright.sync_api import Page, expect

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


def tag() -> str:
    """Letters only (names refuse digits), so this test's households are its own."""
    return "".join(random.choices(string.ascii_lowercase, k=8))


def search_by_keyboard(page: Page, text: str) -> None:
    """Focus the search field with Tab from the page's top, type, press Enter."""
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == "q":
            break
    else:
        raise AssertionError("the search field never got the focus with Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_an_agent_finds_a_household_and_reads_its_file(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    base = stack.url
    name = tag()
    last = f"Rivière{name}"
    email = f"foyer-{uuid.uuid4().hex[:8]}@demo.example"
    family = new_family(api, stack.mailbox, email, name=f"Hélène {last}")
    child = {"first_name": "Inès", "last_name": last, "birth_date": "2017-06-12"}
    household, family = linked_household(api, family, household_of(email, "Hélène", last, [child]))
    child_id = household["children"][0]["id"]
    staff = api.login(STAFF)
    api.call(
        "PUT",
        f"{T}/households/{household['id']}/children/{child_id}/health",
        staff,
        {"allergies": ["Arachide"], "pai": True, "pai_details": "Trousse d'urgence"},
    )
    # The family's side, through the API: a change waiting for staff, a document.
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
    other_last = f"Garcon{tag()}"
    other = api.call(
        "POST",
        f"{T}/households",
        staff,
        household_of(
            f"autre-{uuid.uuid4().hex[:8]}@demo.example",
            "Noël",
            other_last,
            [{"first_name": "Zoé", "last_name": other_last, "birth_date": "2018-02-01"}],
        ),
    )

    tab = open_tab("gestion-foyers", viewport=DESKTOP)
    page = tab.page
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(STAFF)
    page.get_by_label("Mot de passe").fill("Demo-2026-portail")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Foyers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rechercher un foyer")
    tab.visits.check("recherche")

    # By the other household's subscriber code, as printed (the keyboard only).
    search_by_keyboard(page, other["subscriber_code"])
    results = page.locator("#resultats")
    expect(results.get_by_role("link", name=f"Noël {other_last}")).to_be_visible()
    expect(results).to_contain_text("1 foyer trouvé")
    tab.visits.check("resultats-code")

    # By the child's name, typed without its accent: « ines riviere… » finds Inès Rivière….
    search_by_keyboard(page, f"ines riviere{name}")
    link = results.get_by_role("link", name=f"Hélène {last}")
    expect(link).to_be_visible()
    expect(results).to_contain_text(f"Inès {last}")
    expect(results).to_contain_text(household["subscriber_code"])
    tab.visits.check("resultats-enfant")
    link.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Foyer de Hélène {last}")
    main = page.locator("main")
    for text in (
        household["subscriber_code"],
        "3 place de la Mairie",
        "Droit à l'image",
        "La famille (code abonné)",  # the account linked with the code
        "Enfant : modification",  # the family's change, in the history
        "En attente de validation",
        "avis.pdf",
        "À valider",
        "Solde : 0,00 €",
        "À jour",
        "Aucune facture émise pour ce foyer.",
    ):
        expect(main).to_contain_text(text)
    linked = page.locator("section", has=page.locator("#comptes"))
    expect(linked).to_contain_text(email)  # the account as identity knows it
    expect(linked).to_contain_text("Actif")
    expect(page.get_by_role("heading", name="Factures et solde")).to_be_visible()
    expect(page.get_by_role("heading", name="Courriels envoyés")).to_be_visible()
    emails = page.locator("section", has=page.locator("#courriels"))
    expect(emails).to_contain_text("Activez votre compte")  # sent to the linked account
    tab.visits.check("dossier")

    page.get_by_role("link", name="Consulter la fiche sanitaire d'Inès").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Fiche sanitaire d'Inès {last}")
    expect(main).to_contain_text("votre consultation vient d'être enregistrée")
    expect(main).to_contain_text("Arachide")
    readings = page.locator("section", has=page.locator("#consultations"))
    expect(readings).to_contain_text("Agent de la mairie")
    tab.visits.check("sante")

    # The family sees the agent's reading of its child's health record.
    log = api.call("GET", f"{T}/me/household/health-access-log", family)
    read = [e for e in log["items"] if e["child_id"] == child_id and "staff" in e["roles"]]
    assert read, log

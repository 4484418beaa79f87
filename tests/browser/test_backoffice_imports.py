"""The back-office's household import in a real browser (issue 15): an agent opens
/gestion/imports from the menu, uploads a CSV of four households, one with an error; the
preview names the error first and offers to import the three valid ones; the agent imports
them with the keyboard, reads the report, and finds an imported household in /gestion/foyers.
axe-core on every page."""

from __future__ import annotations

import random
import string
from typing import Any

from playwright.sync_api import expect

from shared.testing.browser import STAFF, Api, Stack

DESKTOP = {"width": 1280, "height": 900}


def tag() -> str:
    """Letters only (names refuse digits), so this test's households are its own."""
    return "".join(random.choices(string.ascii_lowercase, k=8))


def test_an_agent_previews_imports_and_finds_the_households(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    base = stack.url
    name = tag()
    last = f"Importé{name}"
    csv = (
        "reference;adresse;code_postal;ville;responsable1_nom;responsable1_prenom;"
        "enfant_nom;enfant_prenom;enfant_naissance\n"
        f"I1;1 rue des Écoles;74330;Epagny;{last};Amélie;{last};Noé;04/05/2017\n"
        f"I2;2 rue des Écoles;74330;Epagny;{last}b;Paul;{last}b;Jade;01/01/2018\n"
        f"I3;3 rue des Écoles;7433;Epagny;{last}c;Lucie;{last}c;Hugo;02/02/2016\n"
        f"I4;4 rue des Écoles;74330;Epagny;{last}d;Marc;{last}d;Zoé;03/03/2019\n"
    ).encode("cp1252")  # as Excel writes it

    tab = open_tab("gestion-imports", viewport=DESKTOP)
    page = tab.page
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(STAFF)
    page.get_by_label("Mot de passe").fill("Demo-2026-portail")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Imports"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer des foyers")
    expect(page.get_by_role("link", name="Télécharger le modèle de fichier (CSV)")).to_be_visible()
    tab.visits.check("accueil")

    page.get_by_label("Fichier CSV des foyers").set_input_files(
        {"name": "foyers.csv", "mimeType": "text/csv", "buffer": csv}
    )
    page.get_by_role("button", name="Vérifier le fichier").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aperçu de l'import")
    main = page.locator("main")
    expect(main).to_contain_text("rien n'est encore enregistré")
    rows = page.locator("table.import-lines tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("En erreur")  # errors first
    expect(rows.first).to_contain_text("Colonne « code_postal »")
    expect(rows.first).to_contain_text("I3")
    tab.visits.check("apercu")

    commit = page.get_by_role("button", name="Importer les 3 foyers valides")
    commit.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import terminé")
    expect(main).to_contain_text("3 foyers créés")
    expect(main).to_contain_text("1 ligne non importée")
    created = page.locator(".import-created")
    expect(created.get_by_role("link")).to_have_count(3)
    expect(created).to_contain_text("Noé " + last)
    tab.visits.check("rapport")

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Foyers").click()
    page.get_by_label("Nom d'un responsable ou d'un enfant, code abonné ou courriel").fill(
        f"noe {last.replace('é', 'e')}"
    )
    page.keyboard.press("Enter")
    link = page.locator("#resultats").get_by_role("link", name=f"Amélie {last}")
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Foyer de Amélie {last}")
    expect(page.locator("main")).to_contain_text("1 rue des Écoles")
    tab.visits.check("foyer-importe")

    # The same file again: its three households are now already in the town's file.
    page.goto(f"{base}/gestion/imports")
    page.get_by_label("Fichier CSV des foyers").set_input_files(
        {"name": "foyers.csv", "mimeType": "text/csv", "buffer": csv}
    )
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aperçu de l'import")
    expect(page.locator("table.import-lines")).to_contain_text("Déjà au fichier")
    expect(page.locator("main")).to_contain_text("Aucun foyer valide à importer")

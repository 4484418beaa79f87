"""The invitation of imported families in a real browser (issue 16): an agent imports a CSV
of two households (one guardian with an email, one without), invites the imported families
from the import's report, follows the run's progress until every request is answered, and
reads who could not be invited; the invited parent's email arrives, they choose a password
and land on their household file, already linked. axe-core on every page."""

from __future__ import annotations

import random
import string
from typing import Any

from playwright.sync_api import expect

from shared.testing.browser import STAFF, TENANT, Mailbox, Stack

DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "Demo-2026-portail"


def tag() -> str:
    """Letters only (names refuse digits), so this test's households are its own."""
    return "".join(random.choices(string.ascii_lowercase, k=8))


def test_an_agent_invites_the_imported_families_who_reach_their_household(
    stack: Stack, open_tab: Any
) -> None:
    base = stack.url
    name = tag()
    last = f"Invité{name}"
    parent = f"parent.{name}@exemple.fr"
    csv = (
        "reference;adresse;code_postal;ville;responsable1_nom;responsable1_prenom;"
        "responsable1_email;enfant_nom;enfant_prenom;enfant_naissance\n"
        f"V1;1 rue des Écoles;74330;Epagny;{last};Amélie;{parent};{last};Noé;04/05/2017\n"
        f"V2;2 rue des Écoles;74330;Epagny;{last}b;Paul;;{last}b;Jade;01/01/2018\n"
    ).encode()

    tab = open_tab("gestion-invitations", viewport=DESKTOP)
    page, visits = tab.page, tab.visits
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(STAFF)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{base}/gestion/imports")
    page.get_by_label("Fichier CSV des foyers").set_input_files(
        {"name": "foyers.csv", "mimeType": "text/csv", "buffer": csv}
    )
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.get_by_role("button", name="Importer les 2 foyers valides").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import terminé")

    # From the report, by keyboard.
    invite = page.get_by_role("button", name="Inviter les familles importées")
    invite.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invitations du")
    status = page.locator("#progression")
    # htmx refreshes the counts until identity has answered every request.
    expect(status).to_contain_text("Toutes les demandes ont été traitées", timeout=30_000)
    expect(status).to_contain_text("1 invitation envoyée")
    report = page.locator("section[aria-labelledby='non-invites-titre']")
    expect(report).to_contain_text(f"Paul {last}b")
    expect(report).to_contain_text("Aucune adresse email dans le dossier.")
    visits.check("rapport")

    # The list of runs, from the imports page.
    page.goto(f"{base}/gestion/imports")
    page.get_by_role("link", name="Inviter les familles importées").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inviter les familles")
    expect(page.get_by_role("link", name="Voir le rapport").first).to_be_visible()
    visits.check("liste")

    # The parent's invitation: a password, and the household is theirs at once.
    message = stack.mailbox.wait_for(parent, "Votre compte sur le portail famille")
    (link,) = [u for u in Mailbox.links(message) if f"/{TENANT}/invitation?token=" in u][:1]
    family = open_tab("invitation-famille").page
    family.goto(base + link[link.index(f"/{TENANT}/") :])
    family.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    family.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    family.get_by_role("button", name="Enregistrer mon mot de passe").click()
    if "/conditions" in family.url:
        family.get_by_role("button", name="J'accepte les conditions d'utilisation").click()
    family.goto(f"{base}/foyer")
    expect(family.locator("main")).to_contain_text(f"Noé {last}")

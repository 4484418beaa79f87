"""The household file, documents and requests in a real browser (guides 001, 002, 004):
a new family links its account with the subscriber code the town gave it, changes a child's
diet and adds a contact (each « en attente de validation »), staff approve them through the
API and the family sees them applied and gets the email; the family changes the contact's
phone and withdraws pick-up, sees it waiting on the card, and staff see it in their queue;
a document uploaded, validated by staff, shown « Validé »; a request with an attachment
answered by staff, read in its thread and announced by email. axe-core runs on every page
visited (0 serious or critical)."""

from __future__ import annotations

import re
import struct
import uuid
import zlib
from typing import Any

from playwright.sync_api import Page, expect

from shared.testing.browser import (
    STAFF,
    TENANT,
    Api,
    Stack,
    eventually,
    household_of,
    new_family,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
T = f"/family/tenants/{TENANT}"


def png() -> bytes:
    """A 1×1 PNG (the services read the type from the content)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(email)
    page.get_by_label("Mot de passe").fill("Demo-2026-portail")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).not_to_have_url(re.compile(r"/connexion"))


def pending_changes(api: Api, staff: dict[str, str], household_id: str) -> list[dict[str, Any]]:
    page = api.call("GET", f"{T}/changes?status=pending&household_id={household_id}", staff)
    return page["items"]


def test_a_family_links_its_file_changes_it_sends_documents_and_requests(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    base = stack.url
    email = f"foyer-{uuid.uuid4().hex[:8]}@demo.example"
    new_family(api, stack.mailbox, email, name="Ana Roux")
    staff = api.login(STAFF)
    child = {"first_name": "Léa", "last_name": "Roux", "birth_date": "2018-04-02"}
    opened = api.call("POST", f"{T}/households", staff, household_of(email, "Ana", "Roux", [child]))
    household_id = opened["id"]

    tab = open_tab("foyer")
    page, visits = tab.page, tab.visits
    log_in(page, base, email)

    # --- not linked yet: the subscriber code, a wrong one first (its error by the field) ----
    page.goto(f"{base}/foyer")
    expect(page.get_by_role("heading", name="J'ai un code abonné")).to_be_visible()
    visits.check("rattacher")
    code = page.locator("#lien-code")
    code.fill("ZZZZ-0000")
    page.get_by_role("button", name="Rattacher mon compte").click()
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#lien-code-erreur")).to_be_visible()
    visits.check("rattacher-erreur")
    code.fill(opened["subscriber_code"])
    page.get_by_role("button", name="Rattacher mon compte").click()
    expect(page).to_have_url(f"{base}/foyer?lie=1")
    expect(page.get_by_role("status")).to_contain_text("Votre compte est rattaché")
    expect(page.locator("main")).to_contain_text("Léa Roux")
    visits.check("foyer")

    # --- a child's diet and a new contact: each waits for the town's validation ------------
    page.get_by_role("link", name=re.compile(r"^Fiche de Léa : modifier")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fiche de Léa Roux")
    visits.check("enfant")
    page.locator("#enfant-diet").select_option("vegetarian")
    page.get_by_role("button", name="Envoyer la modification").click()
    expect(page).to_have_url(f"{base}/foyer?envoye=1")
    expect(page.locator(".changes")).to_contain_text("En attente de validation")
    page.get_by_role("link", name=re.compile(r"^Fiche de Léa : modifier")).click()
    page.locator("#contact-first_name").fill("Paul")
    page.locator("#contact-last_name").fill("Roux")
    page.locator("#contact-relationship").fill("grand-père")
    page.locator("#contact-phone").fill("pas un numéro")
    page.get_by_role("button", name="Ajouter cette personne").click()
    phone = page.locator("#contact-phone")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(re.compile("Numéro de téléphone invalide"))
    visits.check("contact-erreur")
    phone.fill("06 11 22 33 44")
    page.locator("#contact-can_pick_up").check()
    page.get_by_role("button", name="Ajouter cette personne").click()
    expect(page).to_have_url(f"{base}/foyer?envoye=1")
    changes = page.locator(".changes")
    expect(changes).to_contain_text("Paul Roux")
    expect(changes.locator(".status-pending")).to_have_count(2)
    visits.check("foyer-en-attente")

    # Staff approve both through the API: the family sees them applied, and is emailed.
    proposed = eventually(lambda: pending_changes(api, staff, household_id))
    assert len(proposed) == 2, proposed
    for change in proposed:
        api.call("POST", f"{T}/changes/{change['id']}/approve", staff)
    page.reload()
    expect(changes.locator(".status-approved")).to_have_count(2)
    expect(page.locator("main")).to_contain_text("Végétarien")
    stack.mailbox.wait_for(email, "Votre modification du dossier famille a été acceptée")
    page.get_by_role("link", name=re.compile(r"^Fiche de Léa : modifier")).click()
    expect(page.locator("main")).to_contain_text("Peut venir chercher l'enfant")

    # --- the contact changed: a new phone, pick-up withdrawn; it waits, staff see it --------
    page.get_by_role("link", name="Modifier Paul Roux").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier Paul Roux (contact de Léa)")
    expect(page.locator("#phone")).to_have_value("06 11 22 33 44")
    pick_up = page.get_by_role("group", name="Autorisé(e) à venir chercher l'enfant")
    expect(pick_up.get_by_label("Oui")).to_be_checked()
    visits.check("contact-modifier")
    page.locator("#phone").fill("06 99 88 77 66")
    pick_up.get_by_label("Non").check()
    page.get_by_role("button", name="Envoyer la modification").click()
    expect(page).to_have_url(f"{base}/foyer?envoye=1")
    expect(page.get_by_role("status")).to_contain_text("en attente de validation")
    page.get_by_role("link", name=re.compile(r"^Fiche de Léa : modifier")).click()
    card = page.locator("li.card", has_text="Paul Roux")
    expect(card).to_contain_text("Modification en attente de validation")
    expect(card).to_contain_text("Téléphone : 06 99 88 77 66")
    expect(card).to_contain_text("Peut venir chercher l'enfant : non")
    expect(card).to_contain_text("06 11 22 33 44")  # the file unchanged until the town decides
    visits.check("contact-en-attente")
    edited = eventually(
        lambda: [c for c in pending_changes(api, staff, household_id) if c["entity"] == "contact"]
    )
    assert [(c["operation"], c["proposed"]["can_pick_up"]) for c in edited] == [("update", False)]
    agent = open_tab("foyer-gestion", viewport={"width": 1280, "height": 900}).page
    log_in(agent, base, STAFF)
    agent.goto(f"{base}/gestion")
    expect(agent.locator("main")).to_contain_text("Paul Roux")
    agent.goto(f"{base}/gestion/modifications/{edited[0]['id']}")
    phone_row = agent.locator("table.compare tr", has_text="Téléphone")
    expect(phone_row).to_contain_text("06 11 22 33 44")
    expect(phone_row).to_contain_text("06 99 88 77 66")
    pick_up_row = agent.locator("table.compare tr", has_text="Peut venir chercher")
    expect(pick_up_row).to_contain_text("Oui")
    expect(pick_up_row).to_contain_text("Non")
    page.get_by_role("button", name="Retirer Paul Roux").click()
    expect(page).to_have_url(f"{base}/foyer?envoye=1")
    expect(page.locator(".changes")).to_contain_text("Suppression d'une personne à contacter")
    page.get_by_role("link", name=re.compile(r"^Fiche de Léa : modifier")).click()

    # The photo (a change too), the health record and its access log, the quotient.
    page.locator("#photo-file").set_input_files(
        files=[{"name": "lea.png", "mimeType": "image/png", "buffer": png()}]
    )
    page.get_by_role("button", name="Envoyer la photo").click()
    expect(page).to_have_url(f"{base}/foyer?envoye=1")
    proposed_photo = page.get_by_role("img", name="Photo proposée")
    expect(proposed_photo).to_be_visible()
    assert proposed_photo.evaluate("img => img.complete && img.naturalWidth") == 1
    page.goto(f"{base}/foyer/enfants/{opened['children'][0]['id']}/sante")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fiche sanitaire de Léa Roux")
    expect(page.locator("main")).to_contain_text("chaque consultation est enregistrée")
    page.locator("#allergies").fill("arachide")
    page.get_by_role("button", name="Envoyer la fiche sanitaire").click()  # not certified
    expect(page.locator("#certified-erreur")).to_be_visible()
    visits.check("sante")
    page.locator("#certified").check()
    page.get_by_role("button", name="Envoyer la fiche sanitaire").click()
    expect(page).to_have_url(f"{base}/foyer?envoye=1")
    page.goto(f"{base}/foyer/quotient")
    visits.check("quotient")
    page.locator("#qf-value").fill("850")
    page.get_by_role("button", name="Déclarer ce quotient").click()
    expect(page).to_have_url(f"{base}/foyer?envoye=1")
    expect(page.locator(".changes")).to_contain_text("Déclaration du quotient")
    page.goto(f"{base}/foyer/enfants/nouveau")
    visits.check("nouvel-enfant")
    page.goto(f"{base}/foyer/adresse")
    visits.check("adresse")
    page.get_by_role("link", name="Retour à mon foyer").click()
    page.get_by_role("link", name="Modifier Ana Roux").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier Ana Roux")
    visits.check("responsable")

    # --- a document: uploaded, « À valider », validated by staff: « Validé » --------------
    page.get_by_role("link", name="Documents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes documents")
    visits.check("documents")
    page.locator("#document_type").select_option("avis_imposition")
    page.locator("#file").set_input_files(
        files=[{"name": "avis.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Envoyer le document").click()
    expect(page).to_have_url(f"{base}/documents?envoye=1")
    card = page.locator(".cards li", has_text="Avis d'imposition")
    expect(card).to_contain_text("À valider")
    documents = api.call("GET", f"{T}/documents?status=pending&household_id={household_id}", staff)[
        "items"
    ]
    api.call("POST", f"{T}/documents/{documents[0]['id']}/validate", staff)
    page.reload()
    expect(card).to_contain_text("Validé")
    visits.check("document-valide")
    with page.expect_download() as download:
        card.get_by_role("link", name=re.compile(r"^Télécharger")).click()
    assert download.value.suggested_filename.endswith(".pdf")

    # --- a request with an attachment, answered by staff, read in its thread -------------
    page.get_by_role("link", name="Demandes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes demandes")
    visits.check("demandes")
    page.locator("#topic").select_option("justificatif_absence")
    page.locator("#child_id").select_option(label="Léa Roux")
    page.locator("#message").fill("Léa était malade lundi ; voici le certificat.")
    page.locator("#file").set_input_files(
        files=[{"name": "certificat.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page).to_have_url(re.compile(r"/demandes/[0-9a-f-]{36}\?envoye=1$"))
    request_id = page.url.rsplit("/", 1)[1].split("?")[0]
    expect(page.locator(".thread")).to_contain_text("certificat.pdf")
    visits.check("demande")
    api.call(
        "POST",
        f"{T}/requests/{request_id}/messages",
        staff,
        {"message": "Bien reçu, l'absence de Léa est justifiée."},
    )
    page.goto(f"{base}/demandes/{request_id}")
    expect(page.locator(".message.from-staff")).to_contain_text("l'absence de Léa est justifiée")
    expect(page.locator("main")).to_contain_text("Répondue")
    visits.check("demande-repondue")
    stack.mailbox.wait_for(email, "Réponse à votre demande")
    page.get_by_role("button", name="Clôturer la demande").click()
    expect(page.get_by_role("status")).to_contain_text("La demande est clôturée")
    page.goto(f"{base}/demandes")
    expect(page.locator(".cards")).to_contain_text("Clôturée")

"""The back-office's work queue in a real browser (issue 15): a family (through the API)
changes its child's diet, proposes a photo, uploads a document and sends a request; an agent
logs in, lands on the queue, sees the items, opens the change (current and proposed values
side by side), accepts it with the keyboard only and the next change opens; refuses the
photo and the document with a reason; answers the request with an attachment and closes it.
The family then reads the change applied and got the emails. axe-core on every page."""

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
    linked_household,
    new_family,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ME = f"/family/tenants/{TENANT}/me/household"
T = f"/family/tenants/{TENANT}"
DESKTOP = {"width": 1280, "height": 900}


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


def upload(api: Api, method: str, path: str, headers: dict[str, str], parts: dict) -> Any:
    r = api.request.fetch(f"{api.base}{path}", method=method, headers=headers, multipart=parts)
    assert r.status in (200, 201, 202), f"{method} {path}: {r.status} {r.text()}"
    return r.json()


def press_tab_to(page: Page, name: str, limit: int = 80) -> None:
    """Moves the focus with Tab only until it is on the button named `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement && document.activeElement.innerText")
        if (focused or "").strip() == name:
            return
    raise AssertionError(f"« {name} » never got the focus with Tab")


def test_an_agent_works_through_the_queue(stack: Stack, api: Api, open_tab: Any) -> None:
    base = stack.url
    email = f"file-{uuid.uuid4().hex[:8]}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Nour Haddad")
    child = {"first_name": "Sami", "last_name": "Haddad", "birth_date": "2017-06-12"}
    household, family = linked_household(
        api, family, household_of(email, "Nour", "Haddad", [child])
    )
    child_id = household["children"][0]["id"]

    # The family's side, through the API: two changes, a document, a request.
    diet = api.call("PATCH", f"{ME}/children/{child_id}", family, {"diet": "vegetarian"}, ok=(202,))
    photo = upload(
        api,
        "PUT",
        f"{ME}/children/{child_id}/photo",
        family,
        {"file": {"name": "sami.png", "mimeType": "image/png", "buffer": png()}},
    )
    document = upload(
        api,
        "POST",
        f"{ME}/documents",
        family,
        {
            "document_type": "avis_imposition",
            "file": {"name": "avis.pdf", "mimeType": "application/pdf", "buffer": PDF},
        },
    )
    asked = api.call(
        "POST",
        f"{ME}/requests",
        family,
        {"topic": "autre", "subject": "Garderie du mercredi", "message": "Quels horaires ?"},
    )

    # --- the agent lands on the queue and sees the items --------------------------------
    tab = open_tab("gestion-file", viewport=DESKTOP)
    page, visits = tab.page, tab.visits
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(STAFF)
    page.get_by_label("Mot de passe").fill("Demo-2026-portail")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base}/gestion")
    expect(page.get_by_role("heading", level=1)).to_have_text("File d'attente")
    main = page.locator("main")
    expect(main).to_contain_text("Modification d'un enfant : Sami Haddad")
    expect(main).to_contain_text("Avis d'imposition : avis.pdf")
    expect(main).to_contain_text("Garderie du mercredi")
    expect(
        page.get_by_role("link", name=re.compile(r"^Inscriptions à décider : ouvrir"))
    ).to_have_attribute("href", "/gestion/inscriptions")
    visits.check("file")
    page.get_by_role("link", name=re.compile(r"^Justificatifs à valider")).click()
    expect(page).to_have_url(f"{base}/gestion?type=documents")
    expect(main).not_to_contain_text("Modification d'un enfant")
    visits.check("file-documents")

    # --- the change: current and proposed side by side, accepted with the keyboard ------
    page.goto(f"{base}/gestion/modifications/{diet['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Modification d'un enfant : Sami Haddad"
    )
    row = page.locator("table.compare tr", has_text="Régime alimentaire")
    expect(row).to_contain_text("Standard")
    expect(row).to_contain_text("Végétarien")
    expect(row).to_contain_text("Modifié")
    expect(page.locator("table.compare .tag")).to_have_count(1)  # only the diet changed
    visits.check("modification")
    press_tab_to(page, "Accepter la modification")
    page.keyboard.press("Enter")
    # The next pending change opens (the photo, the oldest left in this fresh stack).
    expect(page).to_have_url(re.compile(r"/gestion/modifications/[0-9a-f-]{36}\?fait=acceptee$"))
    expect(page.get_by_role("status")).to_contain_text("La modification a été acceptée")
    assert diet["id"] not in page.url
    if photo["id"] not in page.url:
        page.goto(f"{base}/gestion/modifications/{photo['id']}")
    proposed = page.get_by_role("img", name="Photo proposée")
    expect(proposed).to_be_visible()
    assert proposed.evaluate("img => img.complete && img.naturalWidth") == 1
    expect(main).to_contain_text("Pas de photo actuellement")
    visits.check("modification-photo")
    page.get_by_role("button", name="Refuser la modification").click()  # no reason yet
    reason = page.get_by_label("Motif du refus")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile("Indiquez le motif du refus"))
    visits.check("modification-motif")
    reason.fill("Le visage n'est pas visible.")
    page.get_by_role("button", name="Refuser la modification").click()
    expect(page).to_have_url(re.compile(r"/gestion(/modifications/[0-9a-f-]{36})?\?fait=refusee$"))

    # --- the document: preview link, refused with a reason ------------------------------
    page.goto(f"{base}/gestion/documents/{document['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Avis d'imposition")
    expect(page.get_by_role("link", name=re.compile(r"^Ouvrir avis\.pdf"))).to_have_attribute(
        "href", f"/gestion/documents/{document['id']}/contenu"
    )
    content = page.request.get(f"{base}/gestion/documents/{document['id']}/contenu")
    assert content.status == 200 and content.body().startswith(b"%PDF")
    visits.check("document")
    page.get_by_label("Motif du refus").fill("Il manque la deuxième page.")
    page.get_by_role("button", name="Refuser le justificatif").click()
    expect(page).to_have_url(re.compile(r"\?(type=documents&)?fait=refuse$"))
    expect(page.get_by_role("status")).to_contain_text("Le justificatif a été refusé")

    # --- the request: answered with an attachment, then closed --------------------------
    page.goto(f"{base}/gestion/demandes")
    expect(page.get_by_role("heading", level=1)).to_have_text("Demandes des familles")
    visits.check("demandes")
    page.get_by_role("link", name="Garderie du mercredi").click()
    expect(page).to_have_url(f"{base}/gestion/demandes/{asked['id']}")
    expect(page.locator(".message.from-family")).to_contain_text("Quels horaires ?")
    expect(main).to_contain_text("Foyer Haddad")
    visits.check("demande")
    page.get_by_label("Réponse de la mairie").fill("De 7 h 30 à 18 h 30 ; voici le règlement.")
    page.get_by_label("Pièce jointe (facultative)").set_input_files(
        files=[{"name": "reglement.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page).to_have_url(f"{base}/gestion/demandes/{asked['id']}?envoye=1")
    expect(page.locator(".message.from-staff")).to_contain_text("reglement.pdf")
    visits.check("demande-repondue")
    page.get_by_role("button", name="Clôturer la demande").click()
    expect(page.get_by_role("status")).to_contain_text("La demande est clôturée")
    assert tab.errors == []

    # --- the family's side: the change applied, the emails ------------------------------
    def applied() -> bool:
        found = api.call("GET", ME, family)
        return found["children"][0]["diet"] == "vegetarian"

    eventually(applied)
    stack.mailbox.wait_for(email, "Votre modification du dossier famille a été acceptée")
    stack.mailbox.wait_for(email, "Votre modification du dossier famille a été refusée")
    stack.mailbox.wait_for(email, "Votre document « Avis d'imposition » a été refusé")
    stack.mailbox.wait_for(email, "Réponse à votre demande")
    thread = api.call("GET", f"{ME}/requests/{asked['id']}", family)
    assert thread["status"] == "closed"
    assert thread["messages"][-1]["attachment"]["filename"] == "reglement.pdf"

"""Issue 16 in a real browser (guides 001, 004): a family states its family situation,
answers its child's permissions as the town lists them, and changes its address with the
proof of address in the same form (refused, next to the file field, without it); an agent
sees the proof beside the change in the queue and accepts it, which validates the proof; an
admin keeps the town's permissions and the proofs required. axe-core on every page."""

from __future__ import annotations

import re
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

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
T = f"/family/tenants/{TENANT}"
ADMIN = "admin@demo.example"
DESKTOP = {"width": 1280, "height": 900}


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(email)
    page.get_by_label("Mot de passe").fill("Demo-2026-portail")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).not_to_have_url(re.compile(r"/connexion"))


def test_situation_permissions_and_a_proved_change_of_address(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    base = stack.url
    email = f"situation-{uuid.uuid4().hex[:8]}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Inès Morel")
    child = {"first_name": "Tom", "last_name": "Morel", "birth_date": "2017-03-09"}
    household, family = linked_household(api, family, household_of(email, "Inès", "Morel", [child]))
    household_id = household["id"]
    staff = api.login(STAFF)

    tab = open_tab("foyer-situation")
    page, visits = tab.page, tab.visits
    log_in(page, base, email)

    # --- the family situation ------------------------------------------------------------
    page.goto(f"{base}/foyer")
    page.get_by_role("link", name="Modifier la situation familiale").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Situation familiale")
    visits.check("situation")
    page.get_by_label("Situation des responsables").select_option("divorced")
    page.get_by_label("Mode de garde des enfants").select_option("other")
    page.get_by_role("button", name="Envoyer la modification").click()
    detail = page.locator("#custody_detail")
    expect(detail).to_have_attribute("aria-invalid", "true")
    expect(detail).to_have_accessible_description(re.compile("Précisez le mode de garde"))
    visits.check("situation-erreur")
    detail.fill("Une semaine sur deux")
    page.get_by_label("Responsable à qui les factures sont adressées").select_option(
        label="Inès Morel"
    )
    page.get_by_role("button", name="Envoyer la modification").click()
    expect(page).to_have_url(f"{base}/foyer?envoye=1")

    # --- the child's permissions, as the town lists them ----------------------------------
    page.get_by_role("link", name=re.compile(r"^Fiche de Tom : modifier")).click()
    visits.check("enfant-autorisations")
    # Each a yes/no question; one left unanswered stays « Non renseigné », never a refusal.
    leaving = page.get_by_role("group", name="Rentrer seul")
    expect(leaving).to_contain_text("Non renseigné : choisissez oui ou non.")
    leaving.get_by_label("Oui").check()
    page.get_by_role("group", name="Droit à l'image").get_by_label("Non").check()
    page.get_by_role("button", name="Envoyer la modification").click()
    expect(page).to_have_url(f"{base}/foyer?envoye=1")

    # --- the address: refused without its proof, then sent with it ------------------------
    page.goto(f"{base}/foyer/adresse")
    visits.check("adresse")
    page.locator("#line1").fill("5 allée des Cèdres")
    page.get_by_role("button", name="Envoyer la modification").click()
    proof = page.locator("#file")
    expect(proof).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#file-erreur")).to_contain_text("justificatif de domicile")
    visits.check("adresse-sans-justificatif")
    proof.set_input_files(files=[{"name": "edf.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="Envoyer la modification").click()
    expect(page).to_have_url(f"{base}/foyer?envoye=1")
    expect(page.locator(".changes .status-pending")).to_have_count(3)

    # Staff accept the situation and the permissions through the API.
    pending = api.call("GET", f"{T}/changes?status=pending&household_id={household_id}", staff)
    by_entity = {c["entity"]: c for c in pending["items"] if not c.get("proof_document_id")}
    api.call("POST", f"{T}/changes/{by_entity['child']['id']}/approve", staff)
    situation = [
        c for c in pending["items"] if c["entity"] == "household" and not c.get("proof_document_id")
    ]
    api.call("POST", f"{T}/changes/{situation[0]['id']}/approve", staff)
    (proved,) = [c for c in pending["items"] if c.get("proof_document_id")]

    # --- the agent sees the proof beside the change and accepts it -------------------------
    agent_tab = open_tab("gestion-justificatif", viewport=DESKTOP)
    apage, avisits = agent_tab.page, agent_tab.visits
    log_in(apage, base, STAFF)
    apage.goto(f"{base}/gestion/modifications/{proved['id']}")
    justificatif = apage.locator(
        "section", has=apage.get_by_role("heading", name="Justificatif joint")
    )
    expect(justificatif).to_contain_text("Justificatif de domicile : edf.pdf")
    expect(justificatif).to_contain_text("Accepter la modification valide ce justificatif")
    expect(apage.locator("main")).to_contain_text("5 allée des Cèdres")
    avisits.check("modification-justificatif")
    apage.get_by_role("button", name="Accepter la modification").click()
    document = api.call("GET", f"{T}/documents/{proved['proof_document_id']}", staff)
    assert document["status"] == "validated", document

    # The family reads it all applied.
    page.goto(f"{base}/foyer")
    main = page.locator("main")
    expect(main).to_contain_text("5 allée des Cèdres")
    expect(main).to_contain_text("Divorcé(e)s")
    expect(main).to_contain_text("Une semaine sur deux")
    expect(main.locator("dd", has_text="Inès Morel")).to_have_count(1)
    answers = {
        "Rentrer seul": r"Autorisé \(le \w+ \d",
        "Droit à l'image": r"Non autorisé \(le \w+ \d",
        "Transport en car ou minibus": r"^Non renseigné$",
    }
    for label, answer in answers.items():
        expect(
            main.locator("dt", has_text=label).locator("xpath=following-sibling::dd[1]")
        ).to_have_text(re.compile(answer))
    visits.check("foyer-applique")
    # Who may pick Tom up carries the date given too (entered by staff: applied at once).
    tom = household["children"][0]["id"]
    grandpa = {"first_name": "Yves", "last_name": "Morel", "phone": "06 12 34 56 78"}
    api.call(
        "POST",
        f"{T}/households/{household_id}/children/{tom}/contacts",
        staff,
        {**grandpa, "relationship": "grand-père", "can_pick_up": True},
    )
    # Staff read the same answers with their date in the household file.
    apage.goto(f"{base}/gestion/foyers/{household_id}")
    expect(
        apage.locator("main td", has_text=re.compile(r"^Autorisé depuis le \w+ \d"))
    ).to_have_count(1)
    staff_answers = {
        "Rentrer seul": r"Autorisé \(le \w+ \d",
        "Droit à l'image": r"Refusé \(le \w+ \d",
        "Transport en car ou minibus": r"^Non renseigné$",
    }
    for label, answer in staff_answers.items():
        expect(
            apage.locator("main dt", has_text=label).locator("xpath=following-sibling::dd[1]")
        ).to_have_text(re.compile(answer))
    avisits.check("foyer-autorisations")

    # --- the admin's settings: the town's permissions and the proofs required --------------
    admin_tab = open_tab("gestion-reglages-dossier", viewport=DESKTOP)
    dpage, dvisits = admin_tab.page, admin_tab.visits
    log_in(dpage, base, ADMIN)
    dpage.get_by_role("link", name="Dossier famille", exact=True).click()
    expect(dpage.get_by_role("heading", level=1)).to_have_text("Réglages du dossier famille")
    dvisits.check("reglages-dossier")
    code = f"p{uuid.uuid4().hex[:6]}"
    dpage.locator("#ajout-label").fill("Piscine")
    dpage.locator("#ajout-code").fill(code)
    dpage.get_by_role("button", name="Ajouter l'autorisation").click()
    expect(dpage.get_by_role("status")).to_contain_text("L'autorisation est ajoutée")
    dpage.locator(f"#active-{code}").uncheck()
    dpage.get_by_role("button", name="Enregistrer Piscine").click()
    expect(dpage.locator(f"#active-{code}")).not_to_be_checked()
    dvisits.check("reglages-dossier-enregistre")

    # --- the town asks a proof with a change of marital status: the family's form follows --
    admin = api.login(ADMIN)
    try:
        dpage.locator("#preuve-marital_status").check()
        dpage.get_by_role("button", name="Enregistrer les justificatifs exigés").click()
        expect(dpage.locator("#preuve-marital_status")).to_be_checked()
        page.goto(f"{base}/foyer/situation")
        proof = page.get_by_label("Justificatif", exact=True)
        expect(proof).to_have_accessible_description(
            re.compile("Demandé par la commune si la situation des responsables change")
        )
        visits.check("situation-justificatif")
        page.get_by_label("Situation des responsables").select_option("married")
        page.get_by_role("button", name="Envoyer la modification").click()
        expect(page.locator("#file")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#file-erreur")).to_contain_text("Joignez un justificatif")
        page.locator("#file").set_input_files(
            files=[{"name": "livret.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        page.get_by_role("button", name="Envoyer la modification").click()
        expect(page).to_have_url(f"{base}/foyer?envoye=1")
        pending = api.call("GET", f"{T}/changes?status=pending&household_id={household_id}", staff)
        (married,) = [
            c for c in pending["items"] if (c.get("proposed") or {}).get("marital_status")
        ]
        proof_document = api.call("GET", f"{T}/documents/{married['proof_document_id']}", staff)
        assert proof_document["document_type"] == "livret_famille", proof_document
    finally:
        # The stack is shared by the session's tests: the town's default comes back.
        api.call("PUT", f"{T}/proof-settings", admin, {"proof_fields": ["address"]})

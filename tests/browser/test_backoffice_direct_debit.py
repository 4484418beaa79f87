"""The direct-debit back-office and the certificates in a real browser (issue 15), on a
desktop viewport, axe-core on every page.

Staff (through the gateway's APIs) open a régie collecting by SEPA direct debit, an
after-school activity billed afterwards (childcare, 4,15 € a day) and a family whose young
child is booked on three days; staff record the family's signed paper mandate, then a
campaign issues its invoice. In the browser an AGENT opens Facturation, then the direct-debit
page (the mandate listed, searched), prepares the batch KEYBOARD ONLY (a past date first: the
error by its field), sees it, downloads its pain.008 file (an XML document naming the
amount), records the bank's rejection (the invoice is due again, said and checked through
the API), imports the same rejection from a CSV file (already recorded: nothing changes);
then, from the household's file, downloads the childcare-expenses certificate (a PDF)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from shared.testing.browser import (
    PASSWORD,
    STAFF,
    TENANT,
    Api,
    Stack,
    eventually,
    household_of,
    linked_household,
    new_family,
    paris_today,
)

T = f"/tenants/{TENANT}"
DESKTOP = {"width": 1280, "height": 900}
DAY_CENTS = 415
IBAN = "FR7630006000011234567890189"
CREDITOR = {
    "creditor_id": "FR72ZZZ123456",
    "creditor_name": "Ville de Démo – accueils périscolaires",
    "iban": "FR7630001000000079412345605",
    "bic": "BDFEFRPP",
}
HOME = "/gestion/facturation/prelevements"


def prepare(api: Api, stack: Stack) -> dict[str, Any]:
    staff = api.login(STAFF)
    suffix = uuid.uuid4().hex[:6].upper()
    regie = api.call(
        "POST",
        f"/billing{T}/regies",
        staff,
        {
            "code": f"SDD{suffix}",
            "name": f"Régie prélèvements {suffix}",
            "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
            "email": "regie@demo.example",
        },
    )
    api.call("PUT", f"/billing{T}/regies/{regie['id']}/direct-debit", staff, CREDITOR)
    today = paris_today()
    activity = api.call(
        "POST",
        f"/booking{T}/activities",
        staff,
        {
            "name": f"Accueil du soir {suffix}",
            "type": "PERI",
            "site": "École du Centre",
            "period_from": (today + timedelta(days=1)).isoformat(),
            "period_to": (today + timedelta(days=30)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "school_time": False,
            "capacity": 10,
            "booking_deadline": {"days_before": 1, "at": "23:59"},
            "cancel_deadline": {"days_before": 1, "at": "23:59"},
            "late_allowed": False,
        },
    )
    api.call(
        "PUT",
        f"/billing{T}/billing/activities/{activity['id']}",
        staff,
        {
            "regie_id": regie["id"],
            "name": activity["name"],
            "billing_mode": "postpaid",
            "unit": "day",
            "childcare": True,
        },
    )
    api.call(
        "POST",
        f"/billing{T}/billing/activities/{activity['id']}/price-grids",
        staff,
        {
            "valid_from": today.isoformat(),
            "brackets": [{"qf_min": 0, "qf_max": None, "amounts": [DAY_CENTS]}],
        },
    )
    email = f"prelevement-{suffix.lower()}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Maëlle Roux")
    # Under 6 on 1 January: her childcare is on the tax-credit certificate.
    child = {"first_name": "Noé", "last_name": "Roux", "birth_date": f"{today.year - 3}-03-14"}
    household, family = linked_household(
        api, family, household_of(email, "Maëlle", "Roux", [child])
    )

    def known_to_billing() -> bool:
        r = api.request.get(
            f"{api.base}/billing{T}/billing/households/{household['id']}/profile", headers=staff
        )
        return r.status == 200

    eventually(known_to_billing)
    # The signed paper mandate, recorded by staff: active at once, before the invoice.
    mandate = api.call(
        "POST",
        f"/billing{T}/billing/households/{household['id']}/mandates",
        staff,
        {
            "regie_id": regie["id"],
            "holder": "Maëlle Roux",
            "iban": IBAN,
            "signed_on": today.isoformat(),
        },
        ok=(201,),
    )
    assert mandate["status"] == "active", mandate
    (noe,) = household["children"]
    answers: list[str] = []

    def enrolled() -> bool:
        r = api.request.post(
            f"{api.base}/booking{T}/enrollments",
            headers=family,
            data={"child_id": noe["id"], "activity_id": activity["id"]},
        )
        answers.append(f"{r.status} {r.text()}")
        return r.status == 201

    eventually(enrolled, message=lambda: answers[-1])
    days = [today + timedelta(days=n) for n in (3, 4, 5)]
    basket = api.call(
        "POST",
        f"/booking{T}/baskets",
        family,
        {
            "lines": [
                {
                    "child_id": noe["id"],
                    "activity_id": activity["id"],
                    "dates": [d.isoformat() for d in days],
                }
            ]
        },
    )
    taken = api.call("POST", f"/booking{T}/baskets/{basket['id']}/validate", family, {})
    assert taken["confirmed"] == 3, taken
    period = (today + timedelta(days=1), today + timedelta(days=30))
    drafts: list[dict[str, Any]] = []

    def billing_knows_the_days() -> bool:
        # A draft tried and cancelled at once (its days billable again) until it bills them.
        draft = api.call(
            "POST",
            f"/billing{T}/campaigns",
            staff,
            {
                "regie_id": regie["id"],
                "period_from": period[0].isoformat(),
                "period_to": period[1].isoformat(),
            },
            ok=(201,),
        )
        if draft["draft_cents"] == 3 * DAY_CENTS:
            drafts.append(draft)
            return True
        api.call("DELETE", f"/billing{T}/campaigns/{draft['id']}", staff, ok=(204,))
        return False

    eventually(billing_knows_the_days)
    api.call("POST", f"/billing{T}/campaigns/{drafts[-1]['id']}/finalise", staff, {})
    (invoice,) = [
        i
        for i in api.call("GET", f"/billing{T}/invoices?household_id={household['id']}", staff)[
            "invoices"
        ]
        if i["regie_id"] == regie["id"]
    ]
    assert invoice["number"] and invoice["remaining_cents"] == 3 * DAY_CENTS, invoice
    return {"regie": regie, "household": household, "invoice": invoice, "staff": staff}


def press(page: Page, control: Locator) -> None:
    """Keyboard only: the control focused, then Enter (a link, a button)."""
    control.focus()
    page.keyboard.press("Enter")


def typed(page: Page, control: Locator, text: str) -> None:
    control.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def remaining(api: Api, prepared: dict[str, Any]) -> int:
    invoice = prepared["invoice"]
    found = api.call("GET", f"/billing{T}/invoices/{invoice['id']}", prepared["staff"])
    return int(found["remaining_cents"])


def test_an_agent_collects_by_direct_debit_records_a_rejection_and_a_certificate(
    stack: Stack, api: Api, open_tab: Any, tmp_path: Path
) -> None:
    prepared = prepare(api, stack)
    regie, invoice, household = prepared["regie"], prepared["invoice"], prepared["household"]
    base = stack.url
    tab = open_tab("gestion-prelevements", viewport=DESKTOP)
    page, visits = tab.page, tab.visits
    main = page.locator("main")

    page.goto(f"{base}/connexion")
    typed(page, page.get_by_label("Adresse e-mail ou identifiant"), STAFF)
    typed(page, page.get_by_label("Mot de passe"), PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/gestion")
    menu = page.get_by_role("navigation", name="Menu principal")
    press(page, menu.get_by_role("link", name="Facturation", exact=True))
    press(page, page.get_by_role("link", name="Prélèvements SEPA", exact=False))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Prélèvements SEPA")
    choice = page.locator("form.regie-choice")
    if choice.count():  # other régies of the town may collect by direct debit too
        choice.get_by_label("Régie").select_option(regie["id"])
        press(page, choice.get_by_role("button", name="Afficher cette régie"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Prélèvements SEPA : {regie['name']}"
    )
    expect(main).to_contain_text("Aucun lot n'a encore été préparé")
    mandates = page.get_by_role("region", name="Mandats de la régie")
    expect(mandates).to_contain_text("Maëlle Roux")
    expect(mandates).to_contain_text("Actif")
    visits.check("accueil")

    # The mandate searched by its holder, then a search finding nothing.
    typed(page, page.get_by_label("Foyer, titulaire ou référence du mandat"), "roux")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="mandat")).to_contain_text(
        "1 mandat pour « roux »"
    )
    typed(page, page.get_by_label("Foyer, titulaire ou référence du mandat"), "personne-zz")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="mandat")).to_contain_text("0 mandat")

    # Keyboard only: a past date first (the error by its field), then the earliest date.
    when = page.get_by_label("Date d'échéance (prélèvement)")
    earliest = when.input_value()
    assert earliest > paris_today().isoformat(), earliest
    when.fill((paris_today() - timedelta(days=1)).isoformat())
    press(page, page.get_by_role("button", name="Préparer le lot"))
    when = page.get_by_label("Date d'échéance (prélèvement)")
    expect(when).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("La date d'échéance doit être dans le futur.")
    visits.check("lot-erreur")
    when.fill(earliest)
    press(page, page.get_by_role("button", name="Préparer le lot"))
    # Making the batch seals a file checked against its XSD: it may take a few seconds.
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Lot de prélèvements", timeout=30_000
    )
    expect(page.get_by_role("status")).to_contain_text("Le lot est préparé")
    expect(main).to_contain_text(invoice["number"])
    expect(main).to_contain_text("12,45")
    expect(main).to_contain_text("Transmis à la banque")
    visits.check("lot")
    assert remaining(api, prepared) == 0  # the debit pays the invoice, until a rejection

    # The bank's file: a pain.008 XML document naming the amount.
    with page.expect_download() as info:
        page.get_by_role("link", name="pain.008", exact=False).click()
    download = info.value
    assert download.suggested_filename.endswith(".xml"), download.suggested_filename
    saved = tmp_path / "pain008.xml"
    download.save_as(saved)
    root = ET.fromstring(saved.read_bytes())
    assert "pain.008" in root.tag, root.tag
    amounts = [e.text for e in root.iter() if e.tag.endswith("InstdAmt")]
    assert amounts == ["12.45"], amounts

    # The bank rejects it: recorded by hand, the invoice is due again.
    page.get_by_label("Prélèvement rejeté").select_option(index=1)
    page.get_by_label("Motif du rejet (code de la banque)").select_option("AM04")
    press(page, page.get_by_role("button", name="Enregistrer le rejet"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rejets enregistrés")
    expect(page.get_by_role("status")).to_contain_text("1 rejet appliqué")
    expect(main).to_contain_text("Factures de nouveau à payer")
    expect(main).to_contain_text(invoice["number"])
    expect(main).to_contain_text("AM04 : Provision insuffisante")
    expect(main).to_contain_text("Aucun mandat n'est suspendu")
    visits.check("rejet")
    eventually(lambda: remaining(api, prepared) == 3 * DAY_CENTS)

    # The same rejection in the bank's CSV: already recorded, nothing changes.
    press(page, page.get_by_role("link", name="Retour aux prélèvements"))
    choice = page.locator("form.regie-choice")
    if choice.count():
        choice.get_by_label("Régie").select_option(regie["id"])
        press(page, choice.get_by_role("button", name="Afficher cette régie"))
    expect(page.get_by_role("region", name="Lots de la régie")).to_contain_text(
        "Entièrement rejeté"
    )
    page.get_by_label("Fichier des rejets (XML ou CSV)").set_input_files(
        {
            "name": "rejets.csv",
            "mimeType": "text/csv",
            "buffer": f"invoice_number,reason_code\n{invoice['number']},AM04\n".encode(),
        }
    )
    press(page, page.get_by_role("button", name="Importer les rejets"))
    expect(page.get_by_role("status")).to_contain_text("0 rejet appliqué, 1 déjà enregistré")
    visits.check("import")
    assert remaining(api, prepared) == 3 * DAY_CENTS

    # The household's childcare certificate for this year, a PDF.
    page.goto(f"{base}/gestion/foyers/{household['id']}")
    expect(page.get_by_role("heading", name="Attestations")).to_be_visible()
    press(page, page.get_by_role("link", name="Télécharger une attestation du foyer"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Attestations du foyer de Maëlle Roux"
    )
    visits.check("attestations")
    page.get_by_label("Année").first.select_option(str(paris_today().year))
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger l'attestation de frais de garde (PDF)").click()
    pdf = info.value
    assert pdf.suggested_filename.endswith(".pdf"), pdf.suggested_filename
    certificate = tmp_path / "attestation.pdf"
    pdf.save_as(certificate)
    assert certificate.read_bytes().startswith(b"%PDF")
    # A payments certificate for a year with nothing: said on the page, by the form.
    page.locator("#paiements-annee").select_option(str(paris_today().year - 3))
    page.get_by_role("button", name="Télécharger l'attestation de paiement (PDF)").click()
    expect(page.get_by_role("alert")).to_contain_text("L'attestation n'a pas été préparée")
    visits.check("attestation-refusee")

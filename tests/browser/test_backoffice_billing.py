"""The billing back-office in a real browser (issue 15: "an admin runs a billing campaign and
the family sees the invoice"), on a desktop viewport, axe-core on every page.

Staff (through the gateway's APIs) open a régie, an activity billed afterwards (postpaid,
4,15 € a day) and a family whose child is enrolled and booked on three days. In the browser
an ADMIN opens Facturation, drafts the campaign of the period (a wrong period first: the
error by its field), reviews the draft (its invoice and total), recalculates it, finalises it
after the confirmation step and opens the invoice's PDF; the family then sees the invoice
through its own API. At the counter, KEYBOARD ONLY, the admin finds the household, ticks the
invoice, records a cheque (without its bank first: the error by the field), and opens the
receipt's PDF; puts the cheque on a remittance slip; then the overdue page and the
reminders' confirmation page."""

from __future__ import annotations

import uuid
from datetime import timedelta
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
from web.domain.french import long_date

T = f"/tenants/{TENANT}"
ADMIN = "admin@demo.example"
DESKTOP = {"width": 1280, "height": 900}
DAY_CENTS = 415


def prepare(api: Api, stack: Stack) -> dict[str, Any]:
    staff = api.login(STAFF)
    suffix = uuid.uuid4().hex[:6].upper()
    regie = api.call(
        "POST",
        f"/billing{T}/regies",
        staff,
        {
            "code": f"CAM{suffix}",
            "name": f"Régie périscolaire {suffix}",
            "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
            "email": "regie@demo.example",
        },
    )
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
    email = f"campagne-{suffix.lower()}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Nora Petit")
    child = {"first_name": "Lou", "last_name": "Petit", "birth_date": "2018-05-20"}
    household, family = linked_household(api, family, household_of(email, "Nora", "Petit", [child]))

    def known_to_billing() -> bool:
        r = api.request.get(
            f"{api.base}/billing{T}/billing/households/{household['id']}/profile", headers=staff
        )
        return r.status == 200

    eventually(known_to_billing)
    (lou,) = household["children"]
    answers: list[str] = []

    def enrolled() -> bool:
        r = api.request.post(
            f"{api.base}/booking{T}/enrollments",
            headers=family,
            data={"child_id": lou["id"], "activity_id": activity["id"]},
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
                    "child_id": lou["id"],
                    "activity_id": activity["id"],
                    "dates": [d.isoformat() for d in days],
                }
            ]
        },
    )
    taken = api.call("POST", f"/booking{T}/baskets/{basket['id']}/validate", family, {})
    assert taken["confirmed"] == 3, taken
    period = (today + timedelta(days=1), today + timedelta(days=30))

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
        api.call("DELETE", f"/billing{T}/campaigns/{draft['id']}", staff, ok=(204,))
        return draft["draft_cents"] == 3 * DAY_CENTS

    eventually(billing_knows_the_days)
    return {
        "email": email,
        "regie": regie,
        "household": household,
        "period": period,
        "family": family,
    }


def press(page: Page, control: Locator) -> None:
    """Keyboard only: the control focused, then Enter (a link, a button)."""
    control.focus()
    page.keyboard.press("Enter")


def typed(page: Page, control: Locator, text: str) -> None:
    """Keyboard only: the field focused, its text typed."""
    control.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_an_admin_runs_a_campaign_and_records_a_cheque_at_the_counter(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    prepared = prepare(api, stack)
    regie, period = prepared["regie"], prepared["period"]
    base = stack.url
    tab = open_tab("gestion-billing", viewport=DESKTOP)
    page, visits = tab.page, tab.visits

    page.goto(f"{base}/connexion")
    typed(page, page.get_by_label("Adresse e-mail ou identifiant"), ADMIN)
    typed(page, page.get_by_label("Mot de passe"), PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/gestion")
    menu = page.get_by_role("navigation", name="Menu principal")
    press(page, menu.get_by_role("link", name="Facturation", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Facturation")
    visits.check("accueil")

    # A period the wrong way round first: the error by its field.
    form = page.locator("form[action='/gestion/facturation/campagnes']")
    form.get_by_label("Régie").select_option(regie["id"])
    form.get_by_label("Premier jour de la période").fill(period[1].isoformat())
    form.get_by_label("Dernier jour de la période").fill(period[0].isoformat())
    form.get_by_role("button", name="Préparer le brouillon").click()
    end = page.get_by_label("Dernier jour de la période")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(end).to_have_accessible_description("La fin de la période précède son début.")
    visits.check("campagne-erreur")
    page.get_by_label("Premier jour de la période").fill(period[0].isoformat())
    end.fill(period[1].isoformat())
    page.get_by_role("button", name="Préparer le brouillon").click()
    title = f"Campagne du {long_date(period[0])} au {long_date(period[1])}"
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    main = page.locator("main")
    expect(main).to_contain_text("Brouillon")
    expect(main).to_contain_text("Nora Petit")
    expect(main).to_contain_text("12,45")
    visits.check("brouillon")

    page.get_by_role("button", name="Recalculer le brouillon").click()
    expect(page.get_by_role("status")).to_contain_text("Le brouillon a été recalculé")
    page.get_by_role("link", name="Annuler le brouillon…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Annuler le brouillon du")
    visits.check("annuler")
    page.get_by_role("link", name="Garder le brouillon").click()
    page.get_by_role("link", name="Finaliser la campagne…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Finaliser la campagne")
    expect(main).to_contain_text("1 facture")
    visits.check("finaliser")
    page.get_by_role("button", name="Confirmer la finalisation").click()
    expect(page.get_by_role("status")).to_contain_text("La campagne est finalisée")
    expect(main).to_contain_text("Finalisée")
    pdf_link = page.get_by_role("link", name="(PDF)")
    expect(pdf_link).to_have_count(1)
    visits.check("finalisee")
    pdf = page.request.get(base + pdf_link.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # The family sees its invoice, in its own portal.
    invoices = api.call("GET", f"/billing{T}/invoices", api.login(prepared["email"]))["invoices"]
    (invoice,) = [i for i in invoices if i["regie_id"] == regie["id"]]
    assert invoice["number"] and invoice["total_cents"] == 3 * DAY_CENTS
    assert invoice["remaining_cents"] == 3 * DAY_CENTS
    family_tab = open_tab("gestion-billing-famille")
    family_page = family_tab.page
    family_page.goto(f"{base}/connexion")
    family_page.get_by_label("Adresse e-mail ou identifiant").fill(prepared["email"])
    family_page.get_by_label("Mot de passe").fill(PASSWORD)
    family_page.get_by_role("button", name="Se connecter").click()
    family_page.goto(f"{base}/factures")
    expect(family_page.locator("main")).to_contain_text(invoice["number"])
    expect(family_page.locator("main")).to_contain_text("12,45")
    family_tab.visits.check("famille-factures")

    # At the counter, keyboard only: the household found, a cheque without its bank first.
    press(page, menu.get_by_role("link", name="Facturation", exact=True))
    press(page, page.get_by_role("link", name="Encaisser un paiement au guichet"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Encaisser un paiement au guichet")
    typed(page, page.get_by_label("Rechercher un foyer"), prepared["email"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Foyers trouvés")).to_be_visible()
    visits.check("paiement-recherche")
    press(page, page.get_by_role("link", name="Nora Petit"))
    expect(page.get_by_role("heading", level=2, name="Foyer de Nora Petit")).to_be_visible()
    ticked = page.get_by_label(f"Facture {invoice['number']}", exact=False)
    ticked.focus()
    page.keyboard.press("Space")
    expect(ticked).to_be_checked()
    expect(page.get_by_label("Mode de paiement")).to_have_value("cheque")
    typed(page, page.get_by_label("Montant reçu (en euros)"), "12,45")
    typed(page, page.get_by_label("Numéro du chèque"), "0012345")
    page.keyboard.press("Enter")
    bank = page.get_by_label("Banque", exact=True)
    expect(bank).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Indiquez la banque du chèque.")
    expect(page.get_by_label(f"Facture {invoice['number']}", exact=False)).to_be_checked()
    visits.check("paiement-erreur")
    typed(page, bank, "Crédit Agricole des Savoie")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reçu R-")
    expect(main).to_contain_text("n° 0012345, Crédit Agricole des Savoie")
    expect(main).to_contain_text(f"Facture {invoice['number']} : 12,45")
    visits.check("recu")
    receipt = page.get_by_role("link", name="(PDF)")
    pdf = page.request.get(base + receipt.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    paid = api.call("GET", f"/billing{T}/invoices", api.login(prepared["email"]))["invoices"]
    assert [i["remaining_cents"] for i in paid if i["id"] == invoice["id"]] == [0]

    # The day's cheques of the régie on a remittance slip, with its PDF and CSV.
    press(page, menu.get_by_role("link", name="Facturation", exact=True))
    slip = page.locator("form[action='/gestion/facturation/remises']")
    slip.get_by_label("Régie").select_option(regie["id"])
    slip.get_by_label("Mode de paiement").select_option("cheque")
    slip.get_by_role("button", name="Préparer le bordereau").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bordereau de remise B-")
    expect(main).to_contain_text("Chèque n° 0012345, Crédit Agricole des Savoie")
    visits.check("remise")
    for name, kind in (("(PDF)", "application/pdf"), ("(tableur CSV)", "text/csv")):
        href = page.get_by_role("link", name=name).get_attribute("href")
        found = page.request.get(base + href)
        assert found.status == 200 and found.headers["content-type"].startswith(kind)

    # The overdue invoices and the reminders' confirmation step (nothing sent from here).
    page.goto(f"{base}/gestion/facturation/impayes")
    expect(page.get_by_role("heading", level=1)).to_have_text("Impayés et relances")
    visits.check("impayes")
    press(page, page.get_by_role("link", name="Envoyer les relances du jour…"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Envoyer les relances du")
    visits.check("relances")

"""The families' web portal in a real browser: every service, the portal and the gateway run
as processes (`scripts/run_services.py`, as `scripts/dev` runs them, with their own database,
bus namespace and ports); Debian's Chromium is driven by Playwright.

The demo family's journey: keyboard-only login (after a refused one, each error shown next to
its field), home with the town's news, the household file, the invoices with a PDF, a card
payment through billing's dummy backend (its development payment page), the return page, the
invoice settled, logout. axe-core (vendored, tests/browser/vendor/) runs on every page visited:
no serious or critical violation. Each page's screenshot is saved under var/screenshots/.

What staff would do beforehand goes through the public APIs behind the gateway: a news item,
an activity billed by a régie taking card payments (dummy backend), its price; the family's
account is linked to its household with its subscriber code and a basket of three days is
validated, which billing invoices (3 × 4,15 € = 12,45 €).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from shared.testing.browser import (
    FAMILY,
    PASSWORD,
    SCREENSHOTS,
    STAFF,
    TENANT,
    Api,
    Stack,
    Visits,
    eventually,
    paris_today,
)

PRICE = 415


HOUSEHOLD = {
    "address": {"line1": "3 place de la Mairie", "postal_code": "74330", "city": "Epagny"},
    "guardians": [
        {
            "first_name": "Marie",
            "last_name": "Durand",
            "email": FAMILY,
            "phones": ["06 12 34 56 78"],
        }
    ],
    "children": [
        {
            "first_name": "Léo",
            "last_name": "Durand",
            "birth_date": "2017-05-03",
            "sex": "M",
            "school": "École du centre",
            "grade": "CE2",
        }
    ],
}


def prepare_demo(api: Api) -> dict[str, Any]:
    """News, an activity billed by card, the household linked, a basket validated: returns
    the family's unpaid invoice."""
    staff = api.login(STAFF)
    t = f"/tenants/{TENANT}"
    api.call(
        "POST",
        f"/notify{t}/news",
        staff,
        {
            "title": "Inscriptions aux vacances d'hiver",
            "body": "Les inscriptions au centre de loisirs ouvrent lundi.\n\nPlaces limitées.",
        },
    )
    # A household opened by staff now (booking and billing hear of it: the demo households
    # were created before their queues existed), linked with its subscriber code.
    opened = api.call("POST", f"/family{t}/households", staff, HOUSEHOLD)
    api.call(
        "POST",
        f"/family{t}/me/household/link",
        api.login(FAMILY),
        {"code": opened["subscriber_code"]},
    )

    def linked() -> dict[str, str] | None:
        headers = api.login(FAMILY)
        r = api.request.get(f"{api.base}/booking{t}/enrollments", headers=headers)
        return headers if r.status == 200 else None

    family = eventually(linked)
    household = api.call("GET", f"/family{t}/me/household", family)
    child = household["children"][0]

    start = paris_today() + timedelta(days=35 - paris_today().weekday())
    activity = api.call(
        "POST",
        f"/booking{t}/activities",
        staff,
        {
            "name": "Centre de loisirs — semaine de vacances",
            "type": "VACANCES",
            "site": "Centre du Lac",
            "period_from": start.isoformat(),
            "period_to": (start + timedelta(days=4)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5],
            "capacity": 10,
            "booking_deadline": {"days_before": 2, "at": "23:59"},
            "cancel_deadline": {"days_before": 2, "at": "23:59"},
        },
    )
    regie = api.call(
        "POST",
        f"/billing{t}/regies",
        staff,
        {
            "code": "ENFANCE",
            "name": "Régie Enfance-Jeunesse",
            "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
            "email": "regie@demo.example",
        },
    )
    api.call(
        "PUT",
        f"/billing{t}/regies/{regie['id']}/card-payment",
        staff,
        {"backend": "dummy", "options": {"origin": "Portail Famille"}},
    )
    api.call(
        "PUT",
        f"/billing{t}/billing/activities/{activity['id']}",
        staff,
        {
            "regie_id": regie["id"],
            "name": "Centre de loisirs",
            "billing_mode": "prepaid",
            "unit": "day",
        },
    )
    api.call(
        "POST",
        f"/billing{t}/billing/activities/{activity['id']}/price-grids",
        staff,
        {
            "valid_from": (start - timedelta(days=60)).isoformat(),
            "brackets": [{"qf_min": 0, "qf_max": None, "amounts": [PRICE]}],
        },
    )
    days = api.call("GET", f"/booking{t}/activities/{activity['id']}/days", staff)
    dates = [d["date"] for d in days["days"]][:3]

    answers: list[str] = []

    def enrolled() -> bool:
        r = api.request.post(
            f"{api.base}/booking{t}/enrollments",
            headers=family,
            data={"child_id": child["id"], "activity_id": activity["id"]},
        )
        answers.append(f"{r.status} {r.text()}")
        return r.status == 201

    eventually(enrolled, message=lambda: answers[-1])
    basket = api.call(
        "POST",
        f"/booking{t}/baskets",
        family,
        {"lines": [{"child_id": child["id"], "activity_id": activity["id"], "dates": dates}]},
    )
    validated = api.call("POST", f"/booking{t}/baskets/{basket['id']}/validate", family, {})
    assert validated["confirmed"] == 3

    def invoiced() -> list[dict[str, Any]]:
        return api.call("GET", f"/billing{t}/invoices?status=current", family)["invoices"]

    (invoice,) = eventually(invoiced)
    assert invoice["remaining_cents"] == 3 * PRICE
    return {"invoice": invoice, "household": household}


# --- the browser ---------------------------------------------------------------------------


def test_the_demo_family_logs_in_reads_its_file_and_pays_an_invoice_by_card(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    prepared = prepare_demo(api)
    invoice, household = prepared["invoice"], prepared["household"]
    tab = open_tab("portal")
    _journey(tab.page, tab.visits, stack.url, invoice, household)
    # One title per page of the portal, each its own, with the town's name.
    portal = {
        urlsplit(url).path: title for url, title in tab.visits.titles.values() if "/api/" not in url
    }
    assert len(set(portal.values())) == len(portal), portal
    assert all(t.endswith("– Portail Famille – Ville de Démo") for t in portal.values())
    print("\n".join(sorted(str(s) for s in SCREENSHOTS.glob("portal-*.png"))))


def _journey(
    page: Page, visits: Visits, base: str, invoice: dict[str, Any], household: dict[str, Any]
) -> None:
    # Not logged in: the home page sends to the login page.
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/connexion\?suite=%2F$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    visits.check("connexion")

    # An empty form: each error next to its field, tied to it.
    page.get_by_role("button", name="Se connecter").click()
    login = page.get_by_label("Adresse e-mail ou identifiant")
    expect(login).to_have_attribute("aria-invalid", "true")
    expect(login).to_have_accessible_description(
        re.compile("Saisissez votre adresse e-mail ou votre identifiant")
    )
    visits.check("connexion-champs-manquants")
    # An error the API names (identity's 422 on a login over 254 characters): by its field.
    login.fill("x" * 255)
    page.get_by_label("Mot de passe").fill("quelque-chose")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#login-erreur")).to_be_visible()
    expect(login).to_have_attribute("aria-describedby", re.compile(r"\blogin-erreur\b"))
    # A wrong password: identity's 401, said at the top of the form.
    login.fill(FAMILY)
    page.get_by_label("Mot de passe").fill("pas-le-bon-mot-de-passe")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("Identifiant ou mot de passe incorrect")
    visits.check("connexion-refusee")

    # Keyboard only: Tab reaches the skip link first, then the form; Enter submits.
    page.goto(f"{base}/connexion")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Aller au contenu"
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_in_viewport()
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "login":
            break
    assert page.evaluate("document.activeElement.id") == "login"
    page.keyboard.type(FAMILY)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/")

    # Home: the town's news.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    expect(page.get_by_role("heading", name="Inscriptions aux vacances d'hiver")).to_be_visible()
    expect(page.locator("main")).to_contain_text(re.compile(r"Publiée le \w+di \d"))
    visits.check("accueil")

    # The household file.
    page.get_by_role("link", name="Mon foyer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon foyer")
    guardian = household["guardians"][0]
    child = household["children"][0]
    main = page.locator("main")
    expect(main).to_contain_text("mercredi 3 mai 2017")  # Léo's birth date
    expect(main).to_contain_text(f"{guardian['first_name']} {guardian['last_name']}")
    expect(main).to_contain_text(f"{child['first_name']} {child['last_name']}")
    expect(main).to_contain_text(household["subscriber_code"])
    visits.check("foyer")

    # The invoices: what remains to pay, the PDF.
    page.get_by_role("link", name="Mes factures").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes factures")
    due = "12,45\u00a0€"
    expect(main).to_contain_text(f"Facture {invoice['number']}")
    expect(main).to_contain_text(due)
    visits.check("factures")
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Télécharger la facture {invoice['number']} (PDF)").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")

    # Card payment: billing's dummy backend (its development page), paid.
    page.get_by_role("button", name=re.compile(r"^Payer 12,45\s€ par carte")).click()
    expect(page).to_have_url(re.compile(r"/api/billing/dev/dummy-payment\?"))
    expect(page.locator("body")).to_contain_text("12,45")
    visits.check("paiement-banque")
    page.get_by_role("button", name="Payer").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/paiement/retour\?transaction="))
    status = page.locator("#etat-paiement")
    expect(status).to_contain_text("Paiement accepté", timeout=15_000)
    expect(status).to_contain_text(re.compile(r"R-ENFANCE-\d{4}-\d+"))
    visits.check("paiement-retour")

    # Settled.
    page.get_by_role("link", name="Retour à mes factures").click()
    expect(page.locator("main")).to_contain_text("Aucune facture à payer")
    expect(page.locator("#reglees + p, #reglees ~ ul")).to_contain_text(invoice["number"])
    visits.check("factures-reglees")

    # Logout: the session is over, the pages need a login again.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("status")).to_contain_text("Vous êtes déconnecté")
    visits.check("deconnexion")
    page.goto(f"{base}/factures")
    expect(page).to_have_url(re.compile(r"/connexion\?suite=%2Ffactures$"))

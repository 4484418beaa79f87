"""The one history of a household's procedures in a real browser (issue 16): a family linked
to its household asks for a change, sends a document and a request, enrolls its child, books
a day, declares an absence, and pays at the counter (all through the public APIs); it opens
« Historique » from the menu, sees the seven kinds of procedures newest first, each with its
status in words, filters on documents with the keyboard; an agent opens the same history
from the household file with the back-office's links. The forgotten-password form takes the
login identifier: the link arrives by email. axe-core on every page."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from shared.testing.browser import (
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

BT = f"/tenants/{TENANT}"
T = f"/family{BT}"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DESKTOP = {"width": 1280, "height": 900}


def log_in(page: Any, base: str, login: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(login)
    page.get_by_label("Mot de passe").fill("Demo-2026-portail")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).not_to_have_url(re.compile(r"/connexion"))


# Each kind of procedure: (its entry's title, its status in words).
SEVEN = (
    ("Modification du dossier", "En attente de validation"),
    ("Document : ", "À valider"),
    ("Demande : Horaires du centre de loisirs", "En attente de réponse"),
    ("Inscription de Jules Perrin : Accueil du soir", "Acceptée"),
    ("Réservations validées", "Validées"),
    ("Absence de Jules Perrin le", "En attente de validation"),
    ("Paiement de 12,50", "Enregistré"),
)


def seven_kinds(
    api: Api, household: dict[str, Any], family: dict[str, str], child_id: str
) -> dict[str, Any]:
    """Through the public APIs, besides the change and the document: a request, an
    enrollment, a validated booking, an absence on it and a counter payment."""
    staff = api.login(STAFF)
    api.call(
        "POST",
        f"{T}/me/household/requests",
        family,
        {"topic": "autre", "subject": "Horaires du centre de loisirs", "message": "Merci."},
    )
    today = paris_today()
    activity = api.call(
        "POST",
        f"/booking{BT}/activities",
        staff,
        {
            "name": "Accueil du soir",
            "type": "PERI",
            "site": f"École {uuid.uuid4().hex[:6]}",
            "period_from": today.isoformat(),
            "period_to": (today + timedelta(days=30)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "school_time": False,
            "skip_public_holidays": False,
            "capacity": 20,
            "booking_deadline": {"days_before": 0, "at": "23:59"},
            "cancel_deadline": {"days_before": 0, "at": "23:59"},
            "requires_approval": False,
        },
    )
    answers: list[str] = []

    def enrolled() -> bool:
        r = api.request.post(
            f"{api.base}/booking{BT}/enrollments",
            headers=family,
            data={"child_id": child_id, "activity_id": activity["id"]},
        )
        answers.append(f"{r.status} {r.text()}")
        return r.status == 201

    eventually(enrolled, message=lambda: answers[-1])
    basket = api.call(
        "POST",
        f"/booking{BT}/baskets",
        family,
        {"lines": [{"child_id": child_id, "activity_id": activity["id"], "dates": [str(today)]}]},
    )
    taken = api.call("POST", f"/booking{BT}/baskets/{basket['id']}/validate", family, {})
    assert taken["confirmed"] == 1, taken
    roll = api.call(
        "GET", f"/booking{BT}/activities/{activity['id']}/days/{today}/attendance", staff
    )
    (booking,) = [c["booking_id"] for c in roll["children"] if c["child_id"] == child_id]
    api.call(
        "POST",
        f"/booking{BT}/bookings/{booking}/absence",
        family,
        {"reason": "illness", "note": "Fièvre"},
    )
    suffix = uuid.uuid4().hex[:6].upper()
    regie = api.call(
        "POST",
        f"/billing{BT}/regies",
        staff,
        {
            "code": f"HIS{suffix}",
            "name": f"Régie {suffix}",
            "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
            "email": "regie@demo.example",
        },
    )
    paid: list[Any] = []

    def recorded() -> bool:
        r = api.request.post(
            f"{api.base}/billing{BT}/payments",
            headers=staff,
            data={
                "regie_id": regie["id"],
                "household_id": household["id"],
                "method": "cash",
                "amount_cents": 1250,
            },
        )
        paid.append(r.json() if r.status == 201 else f"{r.status} {r.text()}")
        return r.status == 201

    eventually(recorded, message=lambda: str(paid[-1]))
    return {"payment_id": paid[-1]["id"]}


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
    done = seven_kinds(api, household, family, child_id)

    tab = open_tab("historique")
    page = tab.page
    log_in(page, base, email)
    menu = page.get_by_role("navigation", name="Menu principal")
    menu.get_by_role("link", name="Historique").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Historique de mes démarches")
    entries = page.locator("ol.history > li")
    # The seven kinds of procedures, each with its status in words; the oldest (the change
    # and the document, sent first) at the bottom, the newest first.
    expect(entries).to_have_count(len(SEVEN))
    for title, status in SEVEN:
        entry = entries.filter(has_text=title)
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text(status)
    expect(entries.nth(len(SEVEN) - 1)).to_contain_text("Modification du dossier")
    expect(entries.nth(len(SEVEN) - 2)).to_contain_text("Document :")
    expect(page.get_by_text(f"{len(SEVEN)} démarches")).to_be_visible()
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
    expect(staff_entries).to_have_count(len(SEVEN))
    for title, status in SEVEN:
        expect(staff_entries.filter(has_text=title)).to_contain_text(status)
    payment = staff_entries.filter(has_text="Paiement de").get_by_role("link")
    expect(payment).to_have_attribute(
        "href", f"/gestion/facturation/paiements/{done['payment_id']}"
    )
    link = staff_entries.filter(has_text="Modification du dossier").get_by_role("link")
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

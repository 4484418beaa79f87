"""The back-office's enrollments, absences and attendance sheet in a real browser: staff
make a school canteen needing approval and a household of two children (Anna: an allergy
and a no-pork diet), the family asks to enroll both (public APIs); an agent approves both
by keyboard only in /gestion/inscriptions; the family books today for both and declares
Basile absent; the agent first refuses without a reason (the error next to the field), then
accepts the justification by keyboard; an animator on a phone opens today's sheet, sees
Anna's allergy and diet, taps her present and Basile absent; the kitchen's page counts the
meals per diet. axe-core on every page."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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
)

T = f"/tenants/{TENANT}"
DESKTOP = {"width": 1280, "height": 900}


def prepare(api: Api, stack: Stack) -> dict[str, Any]:
    staff = api.login(STAFF)
    email = f"pointage-{uuid.uuid4().hex[:10]}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Lucie Martin")
    children = [
        {
            "first_name": first,
            "last_name": "Martin",
            "birth_date": "2018-03-09",
            "sex": sex,
            "school": "École du Bourg",
            "grade": "CE1",
            "diet": diet,
        }
        for first, sex, diet in (("Anna", "F", "no_pork"), ("Basile", "M", "standard"))
    ]
    household, family = linked_household(
        api, family, household_of(email, "Lucie", "Martin", children)
    )
    anna, basile = sorted(household["children"], key=lambda c: c["first_name"])
    api.call(
        "PUT",
        f"/family{T}/households/{household['id']}/children/{anna['id']}/health",
        staff,
        {"allergies": ["arachide"], "pai": True, "pai_details": "Trousse d'urgence au bureau"},
    )
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    site = f"École {uuid.uuid4().hex[:6]}"
    activity = api.call(
        "POST",
        f"/booking{T}/activities",
        staff,
        {
            "name": "Restauration scolaire",
            "type": "CANTINE",
            "site": site,
            "period_from": today.isoformat(),
            "period_to": (today + timedelta(days=30)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "school_time": False,
            "skip_public_holidays": False,
            "capacity": 20,
            "booking_deadline": {"days_before": 0, "at": "23:59"},
            "cancel_deadline": {"days_before": 0, "at": "23:59"},
            "requires_approval": True,
        },
    )
    answers: list[str] = []

    def enrolled(child: dict[str, Any]) -> str | None:
        r = api.request.post(
            f"{api.base}/booking{T}/enrollments",
            headers=family,
            data={"child_id": child["id"], "activity_id": activity["id"]},
        )
        answers.append(f"{r.status} {r.text()}")
        return r.json()["id"] if r.status == 201 else None

    enrollments = [
        eventually(lambda c=child: enrolled(c), message=lambda: answers[-1])
        for child in (anna, basile)
    ]
    return {
        "staff": staff,
        "family": family,
        "anna": anna,
        "basile": basile,
        "activity": activity,
        "site": site,
        "today": today,
        "enrollments": enrollments,
    }


def log_in(page: Page, base: str) -> None:
    """The agent logs in with the keyboard; staff land on the work queue."""
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").focus()
    page.keyboard.type(STAFF)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/gestion")


def tab_to(page: Page, control: Locator, limit: int = 15) -> None:
    """Keyboard only: Tab from where the focus is until `control` has it."""
    for _ in range(limit):
        if control.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{control} never reached with Tab")


def test_staff_approve_justify_and_an_animator_takes_attendance(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    prepared = prepare(api, stack)
    base, site, today = stack.url, prepared["site"], prepared["today"]
    anna, basile = prepared["anna"], prepared["basile"]

    # An agent approves both enrollments, keyboard only (the opened item has the focus).
    desk = open_tab("gestion-inscriptions", viewport=DESKTOP)
    page, visits = desk.page, desk.visits
    log_in(page, base)
    for enrollment, child in zip(prepared["enrollments"], (anna, basile), strict=True):
        page.goto(f"{base}/gestion/inscriptions?id={enrollment}")
        opened = page.locator("#demande-ouverte")
        expect(opened).to_have_text(f"{child['first_name']} Martin – Restauration scolaire")
        expect(opened).to_be_focused()
        expect(page.locator(".queue-item")).to_contain_text("Réservations ponctuelles")
        if child is anna:
            visits.check("inscription")
        tab_to(page, page.get_by_role("button", name="Accepter l'inscription"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_have_text("Inscription acceptée.")
    visits.check("inscriptions-suivantes")

    # The family books today for both; Basile is declared absent.
    family, staff, activity = prepared["family"], prepared["staff"], prepared["activity"]
    basket = api.call(
        "POST",
        f"/booking{T}/baskets",
        family,
        {
            "lines": [
                {"child_id": c["id"], "activity_id": activity["id"], "dates": [str(today)]}
                for c in (anna, basile)
            ]
        },
    )
    taken = api.call("POST", f"/booking{T}/baskets/{basket['id']}/validate", family, {})
    assert taken["confirmed"] == 2, taken
    roll = api.call(
        "GET", f"/booking{T}/activities/{activity['id']}/days/{today}/attendance", staff
    )
    (booking,) = [c["booking_id"] for c in roll["children"] if c["child_id"] == basile["id"]]
    absence = api.call(
        "POST",
        f"/booking{T}/bookings/{booking}/absence",
        family,
        {"reason": "illness", "note": "Fièvre depuis hier soir"},
    )

    # Refused without a reason: the error next to the field; then accepted by keyboard.
    page.goto(f"{base}/gestion/absences?id={absence['id']}")
    expect(page.locator("#demande-ouverte")).to_contain_text("Basile Martin, absence du")
    expect(page.locator(".queue-item")).to_contain_text("Maladie")
    expect(page.locator(".queue-item")).to_contain_text("Fièvre depuis hier soir")
    visits.check("absence")
    page.get_by_role("button", name="Refuser la justification").click()
    expect(page.locator("#reason")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#reason-erreur")).to_have_text("Indiquez le motif du refus.")
    visits.check("absence-erreur")
    page.locator("#demande-ouverte").focus()
    tab_to(page, page.get_by_role("button", name="Accepter : absence justifiée"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(
        "Absence justifiée : le jour ne sera pas facturé."
    )

    # The animator's sheet on a phone: the allergy and diet shown, one tap each.
    phone = open_tab("gestion-presences")
    page, visits = phone.page, phone.visits
    log_in(page, base)
    page.get_by_role("link", name="Présences", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feuille de présence")
    page.get_by_label("Site").select_option(site)
    page.get_by_role("button", name="Afficher la feuille").click()
    row_anna = page.locator(f"#enfant-{anna['id']}")
    row_basile = page.locator(f"#enfant-{basile['id']}")
    expect(row_anna.locator(".alert-health")).to_contain_text("arachide")
    expect(row_anna.locator(".alert-health")).to_contain_text("PAI")
    expect(row_anna).to_contain_text("Régime : Sans porc")
    expect(row_basile).to_contain_text("Absence justifiée par la mairie")
    expect(page.locator("#totaux")).to_contain_text("2 inscrits")
    visits.check("feuille")
    row_anna.get_by_role("button", name="Présent : Anna Martin").click()
    expect(row_anna.locator(".mark-state")).to_have_text("Pointage : Présent")
    expect(page.locator("#totaux")).to_contain_text("1 présent")
    page.locator(f"#enfant-{basile['id']}").get_by_role("button", name="Absent").click()
    # His absence was justified: booking records the mark as such (not charged).
    expect(row_basile.locator(".mark-state")).to_have_text("Pointage : Absence justifiée")
    expect(page.locator("#totaux")).to_contain_text("1 absent")
    expect(page.locator("#totaux")).to_contain_text("0 non pointé")
    visits.check("feuille-pointee")
    marked = api.call(
        "GET", f"/booking{T}/activities/{activity['id']}/days/{today}/attendance", staff
    )
    assert {c["first_name"]: c["attendance"] for c in marked["children"]} == {
        "Anna": "present",
        "Basile": "absent_justified",
    }

    # The kitchen's counts per diet for the day and site.
    page.get_by_role("link", name="Repas par régime de ce jour").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Repas par régime du")
    table = page.locator(".kitchen-site", has_text=site)
    expect(table.get_by_role("row", name="Sans porc")).to_contain_text("1")
    expect(table.get_by_role("row", name="Standard")).to_be_visible()
    expect(table.locator("caption")).to_contain_text("1 repas attendu sur 2 réservés")
    visits.check("cuisine")

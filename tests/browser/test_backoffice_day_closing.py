"""A day closed from the back-office in a real browser (issue 16), keyboard only: the town's
admin types the day and the reason (a missing reason first: the error next to its field),
the booked child's day is cancelled; the family gets the email with the reason and "vous ne
serez pas facturé", sees the notification, and the child's calendar shows the day closed and
a day past its booking deadline in its own state ("Délai dépassé", with the legend's
words). axe-core on every page."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Locator, Page, expect

from shared.testing.browser import (
    PASSWORD,
    STAFF,
    TENANT,
    Api,
    Mailbox,
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
REASON = "Grève du personnel d'animation"


def typed(page: Page, field: Locator, text: str) -> None:
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def test_an_admin_closes_a_booked_day_and_the_family_is_told(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    base = stack.url
    staff = api.login(STAFF)
    email = f"ferme-{uuid.uuid4().hex[:10]}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Claire Roux")
    child = {
        "first_name": "Lina",
        "last_name": "Roux",
        "birth_date": "2017-04-12",
        "sex": "F",
        "school": "École du centre",
        "grade": "CE2",
    }
    household, family = linked_household(
        api, family, household_of(email, "Claire", "Roux", [child])
    )
    (lina,) = household["children"]
    today = paris_today()
    yesterday, closing = today - timedelta(days=1), today + timedelta(days=3)
    name = f"Accueil de loisirs {uuid.uuid4().hex[:4]}"
    activity = api.call(
        "POST",
        f"/booking{T}/activities",
        staff,
        {
            "name": name,
            "type": "VACANCES",
            "site": "Centre du Lac",
            "period_from": (today - timedelta(days=5)).isoformat(),
            "period_to": (today + timedelta(days=30)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "school_time": False,
            "skip_public_holidays": False,
            "capacity": 5,
            "booking_deadline": {"days_before": 1, "at": "23:59"},
            "cancel_deadline": {"days_before": 1, "at": "23:59"},
        },
    )
    answers: list[str] = []

    def enrolled() -> bool:
        r = api.request.post(
            f"{api.base}/booking{T}/enrollments",
            headers=family,
            data={"child_id": lina["id"], "activity_id": activity["id"]},
        )
        answers.append(f"{r.status} {r.text()}")
        return r.status == 201

    eventually(enrolled, message=lambda: answers[-1])
    basket = api.call(
        "POST",
        f"/booking{T}/baskets",
        family,
        {
            "lines": [
                {
                    "child_id": lina["id"],
                    "activity_id": activity["id"],
                    "dates": [closing.isoformat()],
                }
            ]
        },
    )
    taken = api.call("POST", f"/booking{T}/baskets/{basket['id']}/validate", family, {})
    assert taken["confirmed"] == 1, taken

    # The admin closes the day, keyboard only; the reason forgotten first.
    desk = open_tab("gestion-fermer-un-jour", viewport=DESKTOP)
    page, visits = desk.page, desk.visits
    log_in(page, base, ADMIN)
    expect(page).to_have_url(f"{base}/gestion")
    page.goto(f"{base}/gestion/activites/{activity['id']}")
    page.get_by_role("navigation", name=f"Activité {name}").get_by_role(
        "link", name="Fermer un jour"
    ).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Fermer un jour : {name}")
    visits.check("formulaire")
    typed(page, page.get_by_label("Jour à fermer"), closing.strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Fermer ce jour et prévenir les familles").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#reason-erreur")).to_have_text(
        "Indiquez le motif : il est envoyé aux familles."
    )
    expect(page.get_by_label("Motif (envoyé aux familles)")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page.get_by_label("Jour à fermer")).to_have_value(closing.strftime("%d/%m/%Y"))
    visits.check("erreur-motif")
    typed(page, page.get_by_label("Motif (envoyé aux familles)"), REASON)
    page.get_by_role("button", name="Fermer ce jour et prévenir les familles").focus()
    page.keyboard.press("Enter")
    status = page.get_by_role("status")
    expect(status).to_contain_text(f"Le {long_date(closing)} est fermé.")
    expect(status).to_contain_text("1 réservation annulée sans facturation")
    visits.check("ferme")
    days = api.call("GET", f"/booking{T}/activities/{activity['id']}/days", staff)["days"]
    assert closing.isoformat() not in {d["date"] for d in days}

    # The family's email: the child, the activity, the day, the reason, not billed.
    message = stack.mailbox.wait_for(email, "Jour fermé : Lina")
    text = Mailbox.text(message)
    for said in (name, long_date(closing), REASON, "Vous ne serez pas facturé pour ce jour."):
        assert said in text, text

    # The family: the notification, then the calendar's states.
    tab = open_tab("famille-jour-ferme")
    page, visits = tab.page, tab.visits
    log_in(page, base, email)
    expect(page).to_have_url(f"{base}/")
    page.goto(f"{base}/notifications")
    expect(page.locator("main")).to_contain_text("Jour fermé : réservation annulée")
    expect(page.locator("main")).to_contain_text(REASON)
    visits.check("notifications")
    page.goto(f"{base}/reservations/{lina['id']}?mois={month_of(closing)}")
    expect(page.locator(f'td[data-date="{closing.isoformat()}"] .state')).to_have_text("Fermé")
    page.goto(f"{base}/reservations/{lina['id']}?mois={month_of(yesterday)}")
    past = page.locator(f'td[data-date="{yesterday.isoformat()}"]')
    expect(past.locator(".state")).to_have_text("⛔Délai dépassé")
    expect(past.get_by_role("checkbox")).to_have_count(0)
    expect(page.locator(".legend")).to_contain_text(
        "Délai dépassé : Délai de réservation dépassé : l'activité a lieu"
    )
    visits.check("calendrier")

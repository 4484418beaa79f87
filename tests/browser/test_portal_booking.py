"""Reservations in a real browser, keyboard only (every control reached by focus and worked
with Space or Enter, never a click): a child's month calendar in the legend's states (guide
003), days ticked into the basket (a late one "sera majorée", a full one on the waiting
list), days added by rhythm, the basket validated with Enter, its outcome (confirmed, waiting
list with its position), the recap email, the calendar's states afterwards (booked and
cancellable, booked and locked, waiting list), a day cancelled after a confirm step, the
child's iCalendar feed created, fetched as text/calendar and revoked. axe-core on every page.

Staff make what the family needs through the public APIs: an activity open every day from
tomorrow, capacity 1, bookings and cancellations closing 2 days before at 23:59 and late
booking allowed (tomorrow is late, and locked once booked; the day after tomorrow is
bookable); a household of two children enrolled; the second child books day 5 so it is full
for the first.
"""

from __future__ import annotations

import re
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


def prepare(api: Api, stack: Stack) -> dict[str, Any]:
    """The activity, the family (two children, both enrolled), day 5 taken by the second."""
    staff = api.login(STAFF)
    email = f"resa-{uuid.uuid4().hex[:10]}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Claire Moreau")
    children = [
        {
            "first_name": first,
            "last_name": "Moreau",
            "birth_date": "2017-04-12",
            "sex": "F",
            "school": "École du centre",
            "grade": "CE2",
        }
        for first in ("Inès", "Jules")
    ]
    household, family = linked_household(
        api, family, household_of(email, "Claire", "Moreau", children)
    )
    ines, jules = sorted(household["children"], key=lambda c: c["first_name"])
    today = paris_today()
    activity = api.call(
        "POST",
        f"/booking{T}/activities",
        staff,
        {
            "name": f"Accueil de loisirs {uuid.uuid4().hex[:4]}",
            "type": "VACANCES",
            "site": "Centre du Lac",
            "period_from": (today + timedelta(days=1)).isoformat(),
            "period_to": (today + timedelta(days=40)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "school_time": False,
            "capacity": 1,
            "booking_deadline": {"days_before": 2, "at": "23:59"},
            "cancel_deadline": {"days_before": 2, "at": "23:59"},
            "late_allowed": True,
        },
    )
    answers: list[str] = []

    def enrolled(child: dict[str, Any]) -> bool:
        r = api.request.post(
            f"{api.base}/booking{T}/enrollments",
            headers=family,
            data={"child_id": child["id"], "activity_id": activity["id"]},
        )
        answers.append(f"{r.status} {r.text()}")
        return r.status == 201

    for child in (ines, jules):
        eventually(lambda c=child: enrolled(c), message=lambda: answers[-1])
    days = [today + timedelta(days=n) for n in range(6)]  # days[1] tomorrow .. days[5]
    basket = api.call(
        "POST",
        f"/booking{T}/baskets",
        family,
        {
            "lines": [
                {
                    "child_id": jules["id"],
                    "activity_id": activity["id"],
                    "dates": [days[5].isoformat()],
                }
            ]
        },
    )
    taken = api.call("POST", f"/booking{T}/baskets/{basket['id']}/validate", family, {})
    assert taken["confirmed"] == 1, taken
    return {"email": email, "child": ines, "activity": activity, "days": days}


def press(page: Page, control: Locator) -> None:
    """Keyboard only: the control focused, then Enter (a link, a button)."""
    control.focus()
    page.keyboard.press("Enter")


def tick(page: Page, control: Locator) -> None:
    """Keyboard only: a checkbox or a radio button focused, then Space."""
    control.focus()
    page.keyboard.press("Space")
    expect(control).to_be_checked()


def cell(page: Page, day: date) -> Locator:
    return page.locator(f'td[data-date="{day.isoformat()}"] .state')


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def test_a_family_books_by_day_and_rhythm_validates_cancels_and_subscribes(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    prepared = prepare(api, stack)
    email, child, days = prepared["email"], prepared["child"], prepared["days"]
    name = f"{child['first_name']} {child['last_name']}"
    base = stack.url
    tab = open_tab("reservations")
    page, visits = tab.page, tab.visits

    # Logged in with the keyboard.
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/")

    # The children and their activities; a child's calendar.
    press(page, page.get_by_role("link", name="Réservations", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Réservations")
    expect(page.locator("main")).to_contain_text("Inscription acceptée")
    visits.check("enfants")
    press(page, page.get_by_role("link", name=f"Calendrier de {name}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Calendrier de {name}")

    def calendar(day: date) -> None:
        if f"mois={month_of(day)}" not in page.url:
            page.goto(f"{base}/reservations/{child['id']}?mois={month_of(day)}")

    # The month in the legend's words: tomorrow late, the day after bookable, day 5 full.
    calendar(days[1])
    expect(cell(page, days[1])).to_have_text("Hors délais, majoré")
    calendar(days[2])
    expect(cell(page, days[2])).to_have_text("Libre")
    calendar(days[5])
    expect(cell(page, days[5])).to_have_text("Complet")
    expect(page.get_by_role("table")).to_be_visible()
    legend = page.locator(".legend li")
    expect(legend).to_have_count(10)  # the eight, past deadline, closed
    expect(legend.nth(3)).to_contain_text("Oups ! Hors délais, l'inscription sera majorée")
    visits.check("calendrier")

    # Days chosen on the calendar with the keyboard: tomorrow (late), day 5 (waiting list).
    calendar(days[1])
    tick(page, page.get_by_label(f"Réserver le {long_date(days[1])} (sera majorée)"))
    press(page, page.get_by_role("button", name="Ajouter les jours cochés au panier"))
    expect(page).to_have_url(f"{base}/panier")
    expect(page.locator("main")).to_contain_text("l'inscription sera majorée")
    calendar(days[5])
    tick(page, page.get_by_label(f"Liste d'attente le {long_date(days[5])}"))
    press(page, page.get_by_role("button", name="Ajouter les jours cochés au panier"))
    expect(page).to_have_url(f"{base}/panier")

    # Days 3 and 4 by rhythm: their weekdays, every week, from day 3 to day 4.
    calendar(days[3])
    tick(page, page.get_by_label("Un rythme : certains jours de la semaine, du … au …"))
    # Sent without its dates nor days first: each mistake next to its field.
    press(page, page.get_by_role("button", name="Ajouter au panier"))
    start = page.get_by_label("Du (période ou rythme)")
    expect(start).to_have_attribute("aria-invalid", "true")
    expect(start).to_have_accessible_description(re.compile("Indiquez la date de début"))
    expect(page.get_by_role("alert")).to_contain_text("Cochez au moins un jour de la semaine.")
    visits.check("rythme-erreurs")
    page.get_by_label("Du (période ou rythme)").focus()
    page.keyboard.type(days[3].strftime("%d/%m/%Y"))
    page.get_by_label("Au (période ou rythme)").focus()
    page.keyboard.type(days[4].strftime("%d/%m/%Y"))
    weekdays = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
    for day in (days[3], days[4]):
        tick(page, page.get_by_label(weekdays[day.weekday()].capitalize(), exact=True))
    press(page, page.get_by_role("button", name="Ajouter au panier"))
    expect(page).to_have_url(f"{base}/panier")

    # The basket: four days, by date, the late and full ones said before validating.
    lines = page.locator(".basket-lines li")
    expect(lines).to_have_count(4)
    expect(lines.nth(0)).to_contain_text(long_date(days[1]))
    expect(lines.nth(0)).to_contain_text("sera majorée")
    expect(lines.nth(3)).to_contain_text("liste d'attente")
    visits.check("panier")
    press(page, page.get_by_role("button", name="Valider mon panier"))

    # The outcome: three confirmed, one on the waiting list, first in line.
    expect(page).to_have_url(f"{base}/panier/resultat")
    expect(page.get_by_role("heading", name="Jours confirmés (3)")).to_be_visible()
    expect(page.get_by_role("heading", name="Jours sur liste d'attente (1)")).to_be_visible()
    expect(page.locator("main")).to_contain_text("position n°\u00a01 sur la liste d'attente")
    visits.check("resultat")
    recap = stack.mailbox.wait_for(
        email, f"Confirmation de vos réservations pour {child['first_name']}"
    )
    text = Mailbox.text(recap)
    for day in (days[1], days[3], days[4], days[5]):  # confirmed, and on the waiting list
        assert long_date(day) in text, text

    # The calendar afterwards: locked (tomorrow), cancellable (days 3, 4), waiting (day 5).
    calendar(days[1])
    expect(cell(page, days[1])).to_have_text("Inscrit, bloqué")
    calendar(days[3])
    expect(cell(page, days[3])).to_have_text("Inscrit")
    calendar(days[5])
    expect(cell(page, days[5])).to_have_text("Attente n°\u00a01")
    calendar(days[1])
    booked = page.locator("#reservations").locator("..")
    expect(booked).to_contain_text("Annulation impossible : le délai d'annulation est dépassé.")
    visits.check("calendrier-reserve")

    # Day 3 cancelled, after a confirm step.
    calendar(days[3])
    press(page, page.get_by_role("link", name=f"Annuler le {long_date(days[3])}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuler une réservation")
    visits.check("annulation")
    press(page, page.get_by_role("button", name=re.compile("Confirmer l'annulation")))
    expect(page.get_by_role("status").first).to_contain_text(
        f"La réservation du {long_date(days[3])} est annulée."
    )
    expect(cell(page, days[3])).to_have_text("Annulé")

    # The child's iCalendar feed: its address shown once, fetched, then revoked.
    press(page, page.get_by_role("button", name="Créer un lien d'agenda"))
    feed = page.get_by_label(f"Adresse de l'agenda de {name} (à copier dans votre agenda)")
    url = feed.input_value()
    assert re.fullmatch(rf"{re.escape(base)}/api/booking/calendars/[^/]+\.ics", url), url
    visits.check("agenda")
    r = api.request.get(url)
    assert r.status == 200 and r.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in r.text()
    press(page, page.get_by_role("button", name="Révoquer le lien d'agenda"))
    expect(page.locator("main")).to_contain_text("Le lien d'agenda est révoqué")
    assert api.request.get(url).status == 404
    assert tab.errors == []

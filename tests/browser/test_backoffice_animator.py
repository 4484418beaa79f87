"""A site animator's attendance sheet on a small phone (360×740), in a real browser: the
town's admin creates an animator account for one site (identity's API); a household of two
children, Anna booked today at that site, Basile not booked at all. The animator logs in by
keyboard, lands on today's sheet of their only site, taps Anna present, finds Basile by name
(typed without accents) and adds him present without a booking, by keyboard; he appears
flagged « Sans réservation » and booking counts him. Another site's sheet, and the rest of
the back-office, give the 403 page. No horizontal scrolling; axe-core on every page."""

from __future__ import annotations

import random
import string
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
ADMIN = "admin@demo.example"
SMALL_PHONE = {"width": 360, "height": 740}


def animator_account(api: Api, site: str) -> str:
    """An animator of `site`, created by the admin with a temporary password, which is
    changed (and the terms accepted) through the API: its email (password PASSWORD)."""
    email = f"animateur-{uuid.uuid4().hex[:10]}@demo.example"
    created = api.call(
        "POST",
        f"/identity{T}/accounts",
        api.login(ADMIN),
        {
            "display_name": "Inès Animatrice",
            "email": email,
            "roles": ["animator"],
            "sites": [site],
            "mode": "temporary_password",
        },
    )
    assert created["account"]["sites"] == [site], created
    temporary = created["temporary_password"]
    tokens = api.call(
        "POST",
        f"/identity{T}/me/password",
        api.login(email, temporary),
        {"current_password": temporary, "new_password": PASSWORD},
    )
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = api.call("GET", f"/identity{T}/me", headers)
    if me["terms"]["must_accept"]:
        version = me["terms"]["current_version"]
        api.call("POST", f"/identity{T}/me/terms", headers, {"version": version})
    return email


def activity_at(api: Api, staff: dict[str, str], site: str, today: Any) -> dict[str, Any]:
    return api.call(
        "POST",
        f"/booking{T}/activities",
        staff,
        {
            "name": f"Accueil du soir – {site}",
            "type": "PERI",
            "site": site,
            "period_from": today.isoformat(),
            "period_to": (today + timedelta(days=30)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "school_time": False,
            "skip_public_holidays": False,
            "capacity": 20,
            "booking_deadline": {"days_before": 0, "at": "23:59"},
            "cancel_deadline": {"days_before": 0, "at": "23:59"},
        },
    )


def prepare(api: Api, stack: Stack) -> dict[str, Any]:
    staff = api.login(STAFF)
    suffix = "".join(random.choices(string.ascii_lowercase, k=8))
    site = f"École des Tilleuls {suffix}"
    other_site = f"École des Saules {suffix}"
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    activity = activity_at(api, staff, site, today)
    other = activity_at(api, staff, other_site, today)

    email = f"animes-{uuid.uuid4().hex[:10]}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Lucie Dufrène")
    last_name = f"Dufrène{suffix}"  # unique: the search finds this household only
    children = [
        {
            "first_name": first,
            "last_name": last_name,
            "birth_date": "2018-03-09",
            "sex": sex,
            "school": site,
            "grade": "CE1",
            "diet": "standard",
        }
        for first, sex in (("Anna", "F"), ("Basile", "M"))
    ]
    household, family = linked_household(
        api, family, household_of(email, "Lucie", last_name, children)
    )
    anna, basile = sorted(household["children"], key=lambda c: c["first_name"])
    answers: list[str] = []

    def enrolled() -> bool:
        r = api.request.post(
            f"{api.base}/booking{T}/enrollments",
            headers=family,
            data={"child_id": anna["id"], "activity_id": activity["id"]},
        )
        answers.append(f"{r.status} {r.text()}")
        return r.status == 201

    eventually(enrolled, message=lambda: answers[-1])  # booking has heard of the child
    basket = api.call(
        "POST",
        f"/booking{T}/baskets",
        family,
        {"lines": [{"child_id": anna["id"], "activity_id": activity["id"], "dates": [str(today)]}]},
    )
    taken = api.call("POST", f"/booking{T}/baskets/{basket['id']}/validate", family, {})
    assert taken["confirmed"] == 1, taken
    return {
        "staff": staff,
        "animator": animator_account(api, site),
        "activity": activity,
        "other": other,
        "site": site,
        "today": today,
        "anna": anna,
        "basile": basile,
        "last_name": last_name,
        "suffix": suffix,
    }


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SMALL_PHONE["width"], f"the page is {width}px wide"


def tab_to(page: Page, control: Locator, limit: int = 40) -> None:
    """Keyboard only: Tab from where the focus is until `control` has it."""
    for _ in range(limit):
        if control.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{control} never reached with Tab")


def test_an_animator_takes_attendance_and_adds_a_child_without_booking(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    prepared = prepare(api, stack)
    base, site, today = stack.url, prepared["site"], prepared["today"]
    anna, basile, activity = prepared["anna"], prepared["basile"], prepared["activity"]

    tab = open_tab("animateur", viewport=SMALL_PHONE)
    page, visits = tab.page, tab.visits
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").focus()
    page.keyboard.type(prepared["animator"])
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    # Their only site and its only activity today: the sheet opens at once.
    expect(page).to_have_url(f"{base}/gestion/presences")
    expect(page.get_by_role("heading", level=1)).to_have_text("Feuille de présence")
    options = page.get_by_label("Site").locator("option")
    expect(options).to_have_text(["Tous mes sites", site])
    expect(page.get_by_role("link", name="Repas par régime de ce jour")).to_have_count(0)
    row_anna = page.locator(f"#enfant-{anna['id']}")
    expect(row_anna).to_contain_text(f"Anna {prepared['last_name']}")
    expect(page.locator("#totaux")).to_contain_text("1 inscrit")
    no_horizontal_scroll(page)
    visits.check("feuille")

    row_anna.get_by_role("button", name=f"Présent : Anna {prepared['last_name']}").click()
    expect(row_anna.locator(".mark-state")).to_have_text("Pointage : Présent")
    expect(page.locator("#totaux")).to_contain_text("1 présent")

    # Basile came without a booking: found by name typed without accents, added by keyboard.
    search = page.get_by_label("Nom ou prénom de l'enfant")
    search.focus()
    page.keyboard.type(f"basile dufrene{prepared['suffix']}")
    page.keyboard.press("Enter")
    match = page.locator(".match", has_text=f"Basile {prepared['last_name']}")
    expect(match).to_contain_text("né(e) le 09/03/2018 · CE1")
    expect(page.locator(".match")).to_have_count(1)
    no_horizontal_scroll(page)
    visits.check("recherche")
    add = match.get_by_role("button", name=f"Ajouter présent : Basile {prepared['last_name']}")
    search.focus()
    tab_to(page, add)
    page.keyboard.press("Enter")
    row_basile = page.locator(f"#enfant-{basile['id']}")
    expect(row_basile.locator(".unexpected-flag")).to_have_text("Sans réservation")
    expect(row_basile.locator(".mark-state")).to_have_text("Pointage : Présent")
    expect(row_basile.get_by_role("status")).to_contain_text("sans réservation")
    expect(page.locator("#totaux")).to_contain_text("2 inscrits")
    expect(page.locator("#totaux")).to_contain_text("2 présents")
    no_horizontal_scroll(page)
    visits.check("ajoute")

    roll = api.call(
        "GET",
        f"/booking{T}/activities/{activity['id']}/days/{today}/attendance",
        prepared["staff"],
    )
    assert {c["first_name"]: (c["attendance"], c["unexpected"]) for c in roll["children"]} == {
        "Anna": ("present", False),
        "Basile": ("present", True),
    }

    # Another site's sheet, and the rest of the back-office: the 403 page.
    page.goto(f"{base}/gestion/presences?jour={today}&activite={prepared['other']['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès réservé")
    expect(page.get_by_text("site dont vous n'êtes pas l'animateur")).to_be_visible()
    no_horizontal_scroll(page)
    visits.check("autre-site")
    page.goto(f"{base}/gestion/foyers")
    expect(page.get_by_text("réservée aux agents")).to_be_visible()
    visits.check("foyers-refuse")

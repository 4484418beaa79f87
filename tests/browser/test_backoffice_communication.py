"""The back-office's communication in a real browser (issue 15): staff make a canteen and two
households (public APIs), one child enrolled and approved in it. An agent writes a news for
that canteen's families with a PDF and publishes it by keyboard; sets this week's menu;
creates then edits an information page; finds the family's emails in the log and opens one.
The enrolled family sees the news on its home page, downloads the PDF, sees the menu and
reads the page at /informations/{slug}; the other family does not see the news. axe-core on
every page."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
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
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def family_with_child(api: Api, stack: Stack, prefix: str, first: str) -> dict[str, Any]:
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@demo.example"
    family = new_family(api, stack.mailbox, email, name=f"{first} Moreau")
    child = {"first_name": "Jules", "last_name": "Moreau", "birth_date": "2018-04-02"}
    household, family = linked_household(api, family, household_of(email, first, "Moreau", [child]))
    return {"email": email, "headers": family, "household": household}


def prepare(api: Api, stack: Stack) -> dict[str, Any]:
    staff = api.login(STAFF)
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    activity = api.call(
        "POST",
        f"/booking{T}/activities",
        staff,
        {
            "name": f"Cantine {uuid.uuid4().hex[:6]}",
            "type": "CANTINE",
            "site": "École du Lac",
            "period_from": today.isoformat(),
            "period_to": (today + timedelta(days=30)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5],
            "school_time": False,
            "skip_public_holidays": False,
            "capacity": 20,
            "booking_deadline": {"days_before": 0, "at": "23:59"},
            "cancel_deadline": {"days_before": 0, "at": "23:59"},
            "requires_approval": True,
        },
    )
    enrolled = family_with_child(api, stack, "abonnee", "Claire")
    other = family_with_child(api, stack, "autre", "Paul")
    child = enrolled["household"]["children"][0]
    answers: list[str] = []

    def enrollment() -> str | None:
        r = api.request.post(
            f"{api.base}/booking{T}/enrollments",
            headers=enrolled["headers"],
            data={"child_id": child["id"], "activity_id": activity["id"]},
        )
        answers.append(f"{r.status} {r.text()}")
        return r.json()["id"] if r.status == 201 else None

    enrollment_id = eventually(enrollment, message=lambda: answers[-1])
    api.call(
        "POST",
        f"/booking{T}/enrollments/{enrollment_id}/decision",
        staff,
        {"decision": "approved"},
    )
    # notify learns the household attends the canteen from the same event as this email.
    stack.mailbox.wait_for(enrolled["email"], "acceptée")
    return {"activity": activity, "enrolled": enrolled, "other": other, "today": today}


def log_in(page: Page, base: str, login: str) -> None:
    """Keyboard only: the login form."""
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").focus()
    page.keyboard.type(login)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/connexion"))  # the login is through


def tab_to(page: Page, control: Locator, limit: int = 30) -> None:
    """Keyboard only: Tab from where the focus is until `control` has it."""
    for _ in range(limit):
        if control.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{control} never reached with Tab")


def test_an_agent_tells_the_families_of_an_activity(stack: Stack, api: Api, open_tab: Any) -> None:
    prepared = prepare(api, stack)
    base, activity = stack.url, prepared["activity"]
    enrolled, other = prepared["enrolled"], prepared["other"]
    mark = uuid.uuid4().hex[:6]
    title = f"Repas de Noël {mark}"
    slug = f"cantine-{mark}"

    tab = open_tab("gestion-communication", viewport=DESKTOP)
    page, visits = tab.page, tab.visits
    log_in(page, base, STAFF)
    expect(page).to_have_url(f"{base}/gestion")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Communication"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Communication")
    visits.check("accueil")

    # A news for the canteen's families, with a PDF, published by keyboard.
    page.get_by_role("link", name="Écrire une actualité").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Écrire une actualité")
    visits.check("actualite-nouvelle")
    page.get_by_label("Titre").focus()
    page.keyboard.type(title)
    page.keyboard.press("Tab")
    page.keyboard.type("Le repas de Noël aura lieu jeudi.")
    page.get_by_label("Destinataires").select_option(activity["id"])
    page.get_by_label("Pièces jointes (facultatives)").set_input_files(
        {"name": "menu-noel.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    publish = page.get_by_role("button", name="Publier l'actualité")
    tab_to(page, publish)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("L'actualité est enregistrée.")
    expect(page.locator("main")).to_contain_text("Publiée")
    expect(page.get_by_role("link", name="menu-noel.pdf")).to_be_visible()
    visits.check("actualite-publiee")

    page.get_by_role("link", name="Supprimer l'actualité").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Supprimer l'actualité")
    visits.check("actualite-suppression")
    page.get_by_role("link", name="Annuler et revenir").click()

    page.goto(f"{base}/gestion/communication/actualites")
    row = page.get_by_role("row", name=title)
    expect(row).to_contain_text(f"Familles de {activity['name']} (École du Lac)")
    visits.check("actualites")

    # This week's menu.
    page.get_by_role("navigation", name="Communication").get_by_role("link", name="Menus").click()
    dish = f"Poulet basquaise {mark}"
    page.locator("#jour-0-main").fill(dish)
    page.locator("#jour-0-dessert").fill("Clémentine")
    visits.check("menus")
    page.locator("#jour-0-dessert").press("Enter")  # Enter in a field submits its form
    expect(page.get_by_role("status")).to_have_text("Le menu de la semaine est enregistré.")
    expect(page.locator("#jour-0-main")).to_have_value(dish)
    visits.check("menus-enregistre")

    # An information page, created then edited.
    page.goto(f"{base}/gestion/communication/pages/nouvelle")
    page.get_by_role("button", name="Enregistrer la page").click()  # empty: errors shown
    expect(page.locator("#slug-erreur")).to_be_visible()
    visits.check("page-erreurs")
    page.get_by_label("Adresse de la page").fill(slug)
    page.get_by_label("Titre").fill(f"La cantine {mark}")
    page.get_by_label("Texte").fill("Premier texte.")
    page.get_by_role("button", name="Enregistrer la page").click()
    expect(page.get_by_role("status")).to_have_text("Les modifications sont enregistrées.")
    page.get_by_label("Texte").fill("Les repas sont préparés sur place.\n\nMenus bio le mardi.")
    page.get_by_label("Texte").focus()
    tab_to(page, page.get_by_role("button", name="Enregistrer la page"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Les modifications sont enregistrées.")
    visits.check("page-modifiee")
    page.goto(f"{base}/gestion/communication/pages")
    expect(page.get_by_role("link", name=f"La cantine {mark}")).to_be_visible()
    visits.check("pages")

    # The enrolled family's emails in the log, one opened.
    page.goto(f"{base}/gestion/communication/courriels")
    page.get_by_label("Adresse du destinataire").fill(enrolled["email"])
    page.get_by_label("Adresse du destinataire").press("Enter")
    link = page.get_by_role("link", name="Activez votre compte", exact=False).first
    expect(link).to_be_visible()
    visits.check("courriels")
    link.click()
    expect(page.locator("main")).to_contain_text(enrolled["email"])
    expect(page.locator("main")).to_contain_text("Envoyé")
    visits.check("courriel")

    # The enrolled family: the news with its PDF, the menu, the page.
    family_tab = open_tab("communication-famille")
    family = family_tab.page
    log_in(family, base, enrolled["email"])
    family.goto(f"{base}/")
    news = family.locator("article", has=family.get_by_role("heading", name=title))
    eventually(
        lambda: _shows(family, news),
        message=lambda: (
            family.url,
            api.call("GET", f"/notify{T}/me/news", api.login(enrolled["email"])),
            family.locator("main").inner_text()[:600],
        ),
    )
    expect(news).to_contain_text("Le repas de Noël aura lieu jeudi.")
    expect(family.locator("main")).to_contain_text(dish)
    family_tab.visits.check("accueil")
    with family.expect_download() as downloaded:
        news.get_by_role("link", name="menu-noel.pdf").click()
    assert Path(downloaded.value.path()).read_bytes() == PDF
    family.goto(f"{base}/informations/{slug}")
    expect(family.get_by_role("heading", level=1)).to_have_text(f"La cantine {mark}")
    expect(family.locator("main")).to_contain_text("Menus bio le mardi.")
    family_tab.visits.check("information")

    # The other family: not enrolled, the news is not for it.
    other_tab = open_tab("communication-autre-famille")
    log_in(other_tab.page, base, other["email"])
    other_tab.page.goto(f"{base}/")
    expect(other_tab.page.get_by_role("heading", name="Actualités")).to_be_visible()
    expect(other_tab.page.locator("main")).not_to_contain_text(title)
    other_tab.visits.check("accueil")


def _shows(page: Page, news: Locator) -> bool:
    """The home page once more, until the news is on it (the menu's short cache)."""
    if news.count():
        return True
    page.reload()
    return False

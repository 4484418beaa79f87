"""Several subscriptions on one account in a real browser (guide 004 « Mes abonnements »,
issue 16): a parent linked to a first household adds the second one with its subscriber code
from « Mon compte », switches to it and sees only its children, then switches back. axe-core
runs on every page visited (0 serious or critical)."""

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


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(email)
    page.get_by_label("Mot de passe").fill("Demo-2026-portail")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).not_to_have_url(re.compile(r"/connexion"))


def switch_to(page: Page, label: str) -> None:
    """« Passer à ce foyer » on the account page; identity may not have heard of a link made
    a moment ago (the page says so): the family tries again, as a person would."""
    for _ in range(20):
        page.get_by_role("button", name=f"Passer à ce foyer : {label}").click()
        if "/compte" not in page.url:
            return
        page.wait_for_timeout(500)
        page.goto(page.url.split("?")[0])
    raise AssertionError(f"never switched to {label}")


def test_a_parent_of_two_households_switches_between_them(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    base = stack.url
    suffix = uuid.uuid4().hex[:6]
    first, second = f"Roux{suffix}", f"Blanc{suffix}"
    email = f"parent-{suffix}@exemple.fr"
    family = new_family(api, stack.mailbox, email, name=f"Nadia {first}")
    linked_household(
        api,
        family,
        household_of(
            email,
            "Nadia",
            first,
            [{"first_name": "Lina", "last_name": first, "birth_date": "2018-03-04"}],
        ),
    )
    # The other parent's household, where Nadia is a guardian too (after a separation).
    staff = api.login(STAFF)
    other = household_of(
        email,
        "Nadia",
        second,
        [{"first_name": "Malo", "last_name": second, "birth_date": "2016-09-12"}],
    )
    opened = api.call("POST", f"/family/tenants/{TENANT}/households", staff, other)

    tab = open_tab("abonnements")
    page = tab.page
    log_in(page, base, email)
    page.goto(f"{base}/compte")
    expect(page.get_by_role("heading", name="Mes abonnements")).to_be_visible()
    tab.visits.check("compte-un-foyer")

    # A wrong code first: the error names the field.
    page.get_by_label("Code abonné").fill("AAAAA-BBBBB")
    page.get_by_role("button", name="Ajouter l'abonnement").click()
    expect(page.locator("#erreur-formulaire")).to_be_visible()
    tab.visits.check("compte-code-errone")

    page.get_by_label("Code abonné").fill(opened["subscriber_code"])
    page.get_by_role("button", name="Ajouter l'abonnement").click()
    expect(page.get_by_role("status")).to_contain_text("L'abonnement est ajouté à votre compte")
    expect(page.locator(".subscription")).to_have_count(2)
    tab.visits.check("compte-deux-foyers")

    switch_to(page, f"Foyer {second}")
    expect(page.locator("body")).to_contain_text(f"foyer {second}")
    page.goto(f"{base}/foyer")
    main = page.locator("main")
    expect(main).to_contain_text("Malo")
    expect(main).not_to_contain_text("Lina")
    tab.visits.check("foyer-second")

    page.goto(f"{base}/compte")
    switch_to(page, f"Foyer {first}")
    page.goto(f"{base}/foyer")
    expect(main).to_contain_text("Lina")
    expect(main).not_to_contain_text("Malo")

"""The back-office's accounts in a real browser (issue 15): the town's admin creates, by
keyboard, an agent by invitation (the email arrives in the stack's mailbox) and an animator
of one site with a temporary password shown once; the animator logs in with it, must choose
a password, lands on the attendance sheets and sees only the « Présences » menu; an agent is
refused the admin's audit log (the 403 page); the admin gives a family a temporary password
after its confirmation (it then leads to the forced change), disables then enables the new
agent, reads the audit log filtered by the family's email. axe-core on every page."""

from __future__ import annotations

import random
import string
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from shared.testing.browser import PASSWORD, STAFF, TENANT, Api, Stack, new_family

T = f"/tenants/{TENANT}"
ADMIN = "admin@demo.example"
DESKTOP = {"width": 1280, "height": 900}
NEW_PASSWORD = "Kermesse-2026-ete"


def activity_at(api: Api, site: str) -> dict[str, Any]:
    """An activity at `site`: the sites an animator may be given are the activities'."""
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    return api.call(
        "POST",
        f"/booking{T}/activities",
        api.login(STAFF),
        {
            "name": f"Accueil du soir – {site}",
            "type": "PERI",
            "site": site,
            "period_from": today.isoformat(),
            "period_to": (today + timedelta(days=30)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5],
            "school_time": False,
            "skip_public_holidays": False,
            "capacity": 20,
            "booking_deadline": {"days_before": 0, "at": "23:59"},
            "cancel_deadline": {"days_before": 0, "at": "23:59"},
        },
    )


def tab_to(page: Page, control: Locator, limit: int = 80) -> None:
    """Keyboard only: Tab from where the focus is until `control` has it."""
    for _ in range(limit):
        if control.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{control} never reached with Tab")


def log_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")


def choose_radio(page: Page, checked: Locator, wanted: Locator) -> None:
    """A radio group by keyboard: Tab reaches its checked radio, the arrows move the choice."""
    tab_to(page, checked)
    for _ in range(6):
        if wanted.is_checked():
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{wanted} never chosen with the arrows")


def create_by_keyboard(
    page: Page, email: str, name: str, kind: str, mode: str, site: str | None = None
) -> None:
    """The new account's form, filled and sent with the keyboard only."""
    page.locator("body").focus()
    tab_to(page, page.get_by_label("Adresse e-mail"))
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(name)
    choose_radio(page, page.locator("#kind-famille"), page.locator(f"#kind-{kind}"))
    if site is not None:
        box = page.get_by_role("checkbox", name=site, exact=True)
        tab_to(page, box)
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    choose_radio(page, page.locator("#mode-invitation"), page.locator(f"#mode-{mode}"))
    tab_to(page, page.get_by_role("button", name="Créer le compte"))
    page.keyboard.press("Enter")


def test_an_admin_manages_the_towns_accounts(stack: Stack, api: Api, open_tab: Any) -> None:
    base = stack.url
    suffix = "".join(random.choices(string.ascii_lowercase, k=8))
    site = f"École des Érables {suffix}"
    activity_at(api, site)
    family_email = f"comptes-{uuid.uuid4().hex[:8]}@demo.example"
    new_family(api, stack.mailbox, family_email, name=f"Famille Comptes {suffix}")
    agent_email = f"agent-{uuid.uuid4().hex[:8]}@demo.example"
    animator_email = f"anim-{uuid.uuid4().hex[:8]}@demo.example"

    tab = open_tab("gestion-comptes", viewport=DESKTOP)
    page, visits = tab.page, tab.visits
    log_in(page, base, ADMIN, PASSWORD)
    expect(page).to_have_url(f"{base}/gestion")
    menu = page.get_by_role("navigation", name="Menu principal")
    menu.get_by_role("link", name="Comptes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comptes")
    visits.check("liste")

    # An agent, by invitation: the email goes out.
    page.get_by_role("link", name="Créer un compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte")
    expect(page.get_by_role("checkbox", name=site, exact=True)).to_be_visible()
    visits.check("nouveau")
    create_by_keyboard(page, agent_email, f"Agent {suffix}", "agent", "invitation")
    expect(page.get_by_role("status")).to_contain_text("l'invitation part par courriel")
    expect(page.locator(".facts")).to_contain_text("Invité, pas encore activé")
    agent_page = page.url
    visits.check("agent-invite")
    stack.mailbox.wait_for(agent_email, "Votre compte sur le portail famille")

    # The form's errors next to their fields: an animator without a site.
    page.goto(f"{base}/gestion/comptes/nouveau")
    create_by_keyboard(page, animator_email, "Animatrice", "animateur", "temporary_password")
    expect(page.locator("#sites-erreur")).to_have_text("Cochez au moins un site pour un animateur.")
    expect(page.get_by_role("alert")).to_be_visible()
    visits.check("nouveau-erreurs")

    # An animator of one site, with a temporary password shown once.
    page.goto(f"{base}/gestion/comptes/nouveau")
    create_by_keyboard(
        page, animator_email, f"Animatrice {suffix}", "animateur", "temporary_password", site
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Compte créé : mot de passe provisoire"
    )
    expect(page.locator(".password-once")).to_contain_text("il ne sera plus jamais affiché")
    temporary = page.locator("#mot-de-passe").inner_text().strip()
    assert len(temporary) >= 12
    visits.check("animateur-mot-de-passe")
    page.get_by_role("link", name="Voir le compte").click()
    expect(page.locator(".facts")).to_contain_text(site)
    assert temporary not in page.content()  # never shown again
    visits.check("animateur-compte")

    # The animator: the forced change, then their only pages.
    animator_tab = open_tab("gestion-comptes-animateur")
    other = animator_tab.page
    log_in(other, base, animator_email, temporary)
    expect(other).to_have_url(f"{base}/compte/mot-de-passe")
    animator_tab.visits.check("changement-force")
    other.get_by_label("Mot de passe actuel (provisoire)").fill(temporary)
    other.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    other.get_by_label("Confirmez le nouveau mot de passe").fill(NEW_PASSWORD)
    other.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    if "/conditions" in other.url:
        animator_tab.visits.check("conditions")
        other.get_by_role("button", name="J'accepte les conditions d'utilisation").click()
    expect(other).to_have_url(f"{base}/gestion/presences")
    links = other.get_by_role("navigation", name="Menu principal").get_by_role("link")
    expect(links).to_have_text(["Présences"])
    animator_tab.visits.check("presences")

    # An agent is refused the admin's log.
    agent_tab = open_tab("gestion-comptes-agent", viewport=DESKTOP)
    log_in(agent_tab.page, base, STAFF, PASSWORD)
    expect(agent_tab.page).to_have_url(f"{base}/gestion")
    refused = agent_tab.page.goto(f"{base}/gestion/journal")
    assert refused is not None and refused.status == 403
    expect(agent_tab.page.get_by_role("heading", level=1)).to_have_text("Accès réservé")
    agent_tab.visits.check("journal-refuse")

    # The admin gives the family a temporary password, after its confirmation.
    page.goto(f"{base}/gestion/comptes")
    search = page.get_by_label("Courriel ou nom")
    tab_to(page, search)
    page.keyboard.type(family_email)
    page.keyboard.press("Enter")
    link = page.locator("#resultats").get_by_role("link", name=f"Famille Comptes {suffix}")
    expect(link).to_be_visible()
    visits.check("recherche")
    link.click()
    page.get_by_role("link", name="Donner un mot de passe provisoire").click()
    expect(page.locator(".warning-text")).to_contain_text("ne fonctionnera plus")
    visits.check("confirmation")
    confirm = page.get_by_role("button", name="Donner un mot de passe provisoire")
    tab_to(page, confirm)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe provisoire")
    given = page.locator("#mot-de-passe").inner_text().strip()
    visits.check("famille-mot-de-passe")
    r = api.request.post(
        f"{api.base}/identity{T}/login", data={"login": family_email, "password": given}
    )
    assert r.status == 200 and r.json()["password_change_required"] is True, r.text()
    r = api.request.post(
        f"{api.base}/identity{T}/login", data={"login": family_email, "password": PASSWORD}
    )
    assert r.status == 401  # the old password no longer works

    # The new agent disabled, then enabled again.
    page.goto(agent_page)
    disable = page.get_by_role("button", name="Désactiver le compte (plus de connexion possible)")
    tab_to(page, disable)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Le compte est désactivé")
    expect(page.locator(".facts")).to_contain_text("Désactivé")
    visits.check("desactive")
    page.get_by_role("button", name="Réactiver le compte").click()
    expect(page.get_by_role("status")).to_contain_text("Le compte est réactivé")
    expect(page.locator(".facts")).to_contain_text("Invité, pas encore activé")
    visits.check("reactive")

    # The audit log, filtered by the family's email.
    page.get_by_role("link", name="Comptes", exact=True).first.click()
    page.get_by_role("link", name="Journal des comptes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Journal des comptes")
    visits.check("journal")
    field = page.get_by_label("Adresse e-mail d'un compte")
    tab_to(page, field)
    page.keyboard.type(family_email)
    page.keyboard.press("Enter")
    entries = page.locator(".accounts-table")
    expect(entries).to_contain_text("Mot de passe provisoire donné")
    expect(entries).to_contain_text(ADMIN)
    visits.check("journal-famille")

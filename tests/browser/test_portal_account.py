"""The account journeys in a real browser against the whole stack (guide 000, 003, 004):
keyboard-only sign-up with the ALTCHA proof of work, activation from the email, first login
and the town's terms; the forgotten password through its emailed link; a temporary password
given by staff, changed at first login; notifications marked read; the household's data
downloaded and its deletion asked for. axe-core on every page (Visits.check)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from shared.testing.browser import (
    PASSWORD,
    STAFF,
    TENANT,
    Api,
    Mailbox,
    Stack,
    Visits,
    household_of,
    new_family,
)

NEW_PASSWORD = "Portail-Neuf-2027"


def unique_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@exemple.fr"


def link_in(message: Any, path: str) -> str:
    (found,) = [u for u in Mailbox.links(message) if f"/{TENANT}/{path}?token=" in u][:1]
    return found


def same_origin(link: str, base: str) -> str:
    """An emailed link opened on the test's own gateway (identity writes PUBLIC_BASE_URL)."""
    return base + link[link.index(f"/{TENANT}/") :]


def tab_to(page: Page, check: str, limit: int = 40) -> None:
    """Tab until the focused element passes `check` (a JS expression on `el`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {check}; }})()"):
            return
    raise AssertionError(f"Tab never reached {check}")


_STAFF: dict[str, dict[str, str]] = {}


def staff_headers(api: Api) -> dict[str, str]:
    """Staff's bearer, logged in once for the module: the gateway allows 10 API logins a
    minute per address, shared by every browser test of the run."""
    if "headers" not in _STAFF:
        _STAFF["headers"] = api.login(STAFF)
    return _STAFF["headers"]


def invited_family(
    page: Page, stack: Stack, api: Api, email: str, name: str, visits: Visits | None = None
) -> None:
    """An account staff create by invitation; the family chooses its password on the
    portal's invitation page (logged in), then accepts the town's terms: home.

    (Not new_family: the API's sign-up and activation are limited to 5 a minute per address
    at the gateway, for the whole run.)"""
    base = stack.url
    api.call(
        "POST",
        f"/identity/tenants/{TENANT}/accounts",
        staff_headers(api),
        {"display_name": name, "email": email, "roles": ["family"], "mode": "invitation"},
        ok=(201,),
    )
    message = stack.mailbox.wait_for(email, "Votre compte sur le portail famille")
    page.goto(same_origin(link_in(message, "invitation"), base))
    if visits is not None:
        visits.check("invitation")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    expect(page).to_have_url(f"{base}/conditions")
    page.get_by_role("button", name="J'accepte les conditions d'utilisation").click()
    expect(page).to_have_url(f"{base}/")


def log_in(page: Page, base: str, login: str, password: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(login)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_keyboard_only_sign_up_activation_terms_and_home(stack: Stack, open_tab: Any) -> None:
    tab = open_tab("compte-inscription")
    page, visits, base = tab.page, tab.visits, stack.url
    email = unique_email("inscription")

    page.goto(f"{base}/connexion")
    page.get_by_role("link", name="Créer mon compte").click()
    expect(page).to_have_url(f"{base}/inscription")
    visits.check("inscription")
    # Sent empty (Tab to the button, Enter): each error next to its field, in a summary too.
    tab_to(page, "el.type === 'submit'")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Nom et prénom")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Saisissez votre adresse e-mail")
    visits.check("inscription-erreurs")

    # Keyboard only: each field reached with Tab, typed into.
    for field, text in (
        ("display_name", "Camille Lefèvre"),
        ("email", email),
        ("password", NEW_PASSWORD),
        ("password_confirmation", NEW_PASSWORD),
    ):
        tab_to(page, f"el.id === {json.dumps(field)}")
        page.keyboard.type(text)
    # The widget's checkbox, then Space: the browser solves the proof of work.
    tab_to(
        page, "el.closest && el.closest('altcha-widget') !== null || el.tagName === 'ALTCHA-WIDGET'"
    )
    page.keyboard.press("Space")
    expect(page.locator("altcha-widget [data-state]").first).to_have_attribute(
        "data-state", "verified", timeout=20_000
    )
    assert page.locator("input[name=captcha]").input_value()
    # The page's JavaScript (the widget, its worker, its set-up; no htmx here) ≤ 100 KB.
    scripts = page.evaluate(
        "performance.getEntriesByType('resource').filter(e => e.name.endsWith('.js'))"
        ".map(e => [e.name, e.decodedBodySize])"
    )
    assert any("altcha.pbkdf2.js" in name for name, _ in scripts), scripts
    assert sum(size for _, size in scripts) <= 100_000, scripts
    visits.check("inscription-verifiee")
    tab_to(page, "el.type === 'submit'")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/inscription/envoyee")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre boîte mail")
    visits.check("inscription-envoyee")

    # The emailed link: a page with a button (nothing done on GET), then activated.
    message = stack.mailbox.wait_for(email, "Activez votre compte")
    page.goto(same_origin(link_in(message, "activation"), base))
    visits.check("activation")
    page.get_by_role("button", name="Activer mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compte activé")
    visits.check("activation-faite")
    # The same link again: already used, said so.
    page.go_back()
    page.reload()
    page.get_by_role("button", name="Activer mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lien déjà utilisé")
    visits.check("activation-lien-utilise")

    # Login with the identifier (the part before the @), then the town's terms first.
    log_in(page, base, email.partition("@")[0], NEW_PASSWORD)
    expect(page).to_have_url(f"{base}/conditions")
    expect(page.get_by_role("heading", name=re.compile("Texte des conditions"))).to_be_visible()
    visits.check("conditions")
    page.goto(f"{base}/foyer")
    expect(page).to_have_url(f"{base}/conditions")  # every page leads there
    page.get_by_role("button", name="J'accepte les conditions d'utilisation").click()
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    visits.check("accueil")

    page.goto(f"{base}/compte")
    expect(page.get_by_text("version 1 acceptée")).to_be_visible()
    expect(page.get_by_text(email.partition("@")[0], exact=True)).to_be_visible()
    visits.check("compte")


def test_forgotten_password_by_identifier_through_the_emailed_link(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    email = unique_email("oubli")
    tab = open_tab("compte-oubli")
    page, visits, base = tab.page, tab.visits, stack.url
    invited_family(page, stack, api, email, "Paul Girard")
    page.get_by_role("button", name="Se déconnecter").click()

    page.goto(f"{base}/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    visits.check("mot-de-passe-oublie")
    # The identifier (before the « @ ») is enough: the link goes to the account's address.
    page.get_by_label("Adresse e-mail ou identifiant").fill(email.partition("@")[0])
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lien envoyé")
    visits.check("lien-envoye")

    message = stack.mailbox.wait_for(email, re.compile("mot de passe", re.I))
    page.goto(same_origin(link_in(message, "password/reset"), base))
    visits.check("nouveau-mot-de-passe")
    # A weak password: identity's rules next to the field.
    page.get_by_label("Nouveau mot de passe", exact=True).fill("court")
    page.get_by_label("Confirmez le nouveau mot de passe").fill("court")
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    field = page.get_by_label("Nouveau mot de passe", exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#new_password-erreur")).to_contain_text("au moins")
    visits.check("nouveau-mot-de-passe-refuse")
    page.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe modifié")
    visits.check("mot-de-passe-modifie")

    log_in(page, base, email, NEW_PASSWORD)
    expect(page).to_have_url(f"{base}/")


def test_a_temporary_password_from_staff_is_changed_at_first_login(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    email = unique_email("provisoire")
    created = api.call(
        "POST",
        f"/identity/tenants/{TENANT}/accounts",
        staff_headers(api),
        {
            "display_name": "Léa Moreau",
            "email": email,
            "roles": ["family"],
            "mode": "temporary_password",
        },
    )
    temporary = created["temporary_password"]
    tab = open_tab("compte-provisoire")
    page, visits, base = tab.page, tab.visits, stack.url

    log_in(page, base, email, temporary)
    expect(page).to_have_url(f"{base}/compte/mot-de-passe")
    page.goto(f"{base}/factures")
    expect(page).to_have_url(f"{base}/compte/mot-de-passe")  # every page leads there
    expect(page.get_by_text("est provisoire")).to_be_visible()
    visits.check("mot-de-passe-provisoire")
    page.get_by_label("Mot de passe actuel (provisoire)").fill(temporary)
    page.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    # Then the town's terms (a new account), then home.
    expect(page).to_have_url(f"{base}/conditions")
    page.get_by_role("button", name="J'accepte les conditions d'utilisation").click()
    expect(page).to_have_url(f"{base}/")
    visits.check("accueil-apres-changement")


def test_notifications_are_listed_unread_first_and_marked_read(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    email = unique_email("notifications")
    tab = open_tab("compte-notifications")
    page, visits, base = tab.page, tab.visits, stack.url
    invited_family(page, stack, api, email, "Inès Faure", visits)

    # notify writes a welcome notification when it hears of the invitation.
    page.goto(f"{base}/notifications")
    for _ in range(30):
        if page.get_by_text("Bienvenue sur le portail famille").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    item = page.locator("li.notification", has_text="Bienvenue sur le portail famille")
    # The menu says how many are unread (asked by htmx once the page is shown).
    expect(page.locator("nav .menu-count")).to_contain_text(re.compile(r"\d+ non lue"))
    expect(item.get_by_text("Non lue")).to_be_visible()
    expect(item.get_by_role("link", name="Voir mon compte")).to_be_visible()
    visits.check("notifications")
    item.get_by_role("button", name=re.compile("Marquer comme lue")).click()
    welcome = page.locator("li.notification", has_text="Bienvenue sur le portail famille")
    expect(welcome.get_by_text("Non lue")).to_have_count(0)
    if page.get_by_role("button", name="Tout marquer comme lu").count():
        page.get_by_role("button", name="Tout marquer comme lu").click()
    expect(page.get_by_text("Aucune notification non lue.")).to_be_visible()
    expect(page.locator("nav .menu-count")).to_have_count(0)
    visits.check("notifications-lues")


def test_the_household_s_data_is_downloaded_and_its_deletion_asked_for(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    email = unique_email("donnees")
    family = new_family(api, stack.mailbox, email, name="Hugo Petit")
    children = [
        {
            "first_name": "Zoé",
            "last_name": "Petit",
            "birth_date": "2018-02-11",
            "sex": "F",
            "school": "École du centre",
            "grade": "CE1",
        }
    ]
    t = f"/family/tenants/{TENANT}"
    opened = api.call(
        "POST",
        f"{t}/households",
        staff_headers(api),
        household_of(email, "Hugo", "Petit", children),
    )
    api.call("POST", f"{t}/me/household/link", family, {"code": opened["subscriber_code"]})
    household = opened
    tab = open_tab("compte-donnees")
    page, visits, base = tab.page, tab.visits, stack.url
    log_in(page, base, email, PASSWORD)
    expect(page).to_have_url(f"{base}/")

    page.goto(f"{base}/compte")
    page.get_by_role("link", name=re.compile("Télécharger mes données ou demander")).click()
    expect(page).to_have_url(f"{base}/compte/donnees")
    visits.check("donnees")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger mes données (JSON)").click()
    assert download.value.suggested_filename.startswith("mes-donnees-")
    exported = json.loads(open(download.value.path(), encoding="utf-8").read())  # noqa: SIM115
    assert exported["household"]["subscriber_code"] == household["subscriber_code"]
    assert [c["first_name"] for c in exported["household"]["children"]] == ["Zoé"]

    page.get_by_role("link", name="Demander la suppression de mes données").click()
    visits.check("suppression")
    # Not confirmed: said next to the box.
    page.get_by_role("button", name="Envoyer ma demande de suppression").click()
    expect(page.get_by_label(re.compile("Je confirme"))).to_have_attribute("aria-invalid", "true")
    visits.check("suppression-non-confirmee")
    page.get_by_label("Message à la mairie (facultatif)").fill("Nous déménageons.")
    page.get_by_label(re.compile("Je confirme")).check()
    page.get_by_role("button", name="Envoyer ma demande de suppression").click()
    expect(page).to_have_url(f"{base}/compte/donnees?suppression=1")
    expect(page.get_by_text("en attente de la décision de la mairie")).to_be_visible()
    visits.check("suppression-demandee")


def test_a_new_email_address_is_confirmed_from_the_link_sent_to_it(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    email, new_email = unique_email("adresse"), unique_email("nouvelle")
    tab = open_tab("compte-adresse")
    page, visits, base = tab.page, tab.visits, stack.url
    invited_family(page, stack, api, email, "Nora Blanc")

    page.goto(f"{base}/compte")
    page.get_by_role("link", name="Changer d'adresse e-mail").click()
    visits.check("changer-adresse")
    page.get_by_label("Nouvelle adresse e-mail").fill(new_email)
    page.get_by_label("Mot de passe actuel").fill("pas-le-bon")
    page.get_by_role("button", name="Envoyer le lien de confirmation").click()
    expect(page.get_by_label("Mot de passe actuel")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password-erreur")).to_contain_text("incorrect")
    visits.check("changer-adresse-refuse")
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    page.get_by_role("button", name="Envoyer le lien de confirmation").click()
    expect(page).to_have_url(f"{base}/compte?adresse-e-mail=1")

    message = stack.mailbox.wait_for(new_email, "Confirmez votre nouvelle adresse e-mail")
    page.goto(same_origin(link_in(message, "email/confirm"), base))
    visits.check("confirmer-adresse")
    page.get_by_role("button", name="Confirmer la nouvelle adresse").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Adresse e-mail modifiée")
    expect(page.get_by_text(new_email)).to_be_visible()
    visits.check("adresse-modifiee")

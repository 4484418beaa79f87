"""The portal's pages over HTTP (real Postgres for its sessions; the services' APIs stood in
by tests/conftest.py): sessions and their cookie, CSRF on every form, login errors by their
field, the access token refreshed transparently, invoices, card payment and its return page,
logout."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from shared.keys import POOL
from web.app import create_app
from web.domain import security
from web.pages.common import lifetime
from web.state import CLOCK
from web.usecases import sessions

from ..conftest import INVOICE_ID, PASSWORD, TRANSACTION_ID, anonymous, csrf_of, log_in


def session_cookie(portal: TestClient) -> str:
    return next(c.value for c in portal.session.cookie_jar if c.key == security.COOKIE)


async def test_the_home_page_needs_a_login_and_comes_back_after_it(portal):
    r = await portal.get("/", allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (303, "/connexion?suite=%2F")
    r = await portal.get("/connexion?suite=%2Ffactures")
    html = await r.text()
    assert r.status == 200 and r.headers["Cache-Control"] == "no-store"
    assert '<html lang="fr">' in html and 'href="#contenu">Aller au contenu</a>' in html
    assert "<title>Connexion – Portail Famille – Ville de Démo</title>" in html
    assert 'name="suite" value="/factures"' in html
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith(f"{security.COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Secure" not in cookie  # APP_ENV=test
    assert security.well_formed(session_cookie(portal))


async def test_the_session_cookie_is_secure_in_production(aiohttp_client, web_settings):
    portal = await aiohttp_client(create_app(web_settings(environment="production")))
    r = await portal.get("/connexion")
    assert "Secure" in r.headers["Set-Cookie"]


async def test_a_form_without_the_session_s_csrf_token_is_refused_in_french(portal, services):
    stand_in, _ = services
    token = await anonymous(portal)
    for data in (
        {"login": "famille@demo.example", "password": PASSWORD},
        {"csrf_token": token[:-1] + "x", "login": "famille@demo.example", "password": PASSWORD},
    ):
        r = await portal.post("/connexion", data=data, allow_redirects=False)
        html = await r.text()
        assert r.status == 403 and "<h1>Action refusée</h1>" in html
    # Without a session at all (no cookie): refused too, and identity was never asked.
    portal.session.cookie_jar.clear()
    r = await portal.post("/connexion", data={"csrf_token": token, "login": "x", "password": "y"})
    assert r.status == 403
    assert not [c for c in stand_in.calls if c[1].endswith("/login")]


async def test_login_errors_are_shown_by_their_field_or_for_the_form(portal):
    token = await anonymous(portal)
    r = await portal.post("/connexion", data={"csrf_token": token, "login": "", "password": ""})
    html = await r.text()
    assert r.status == 422
    assert "<title>Erreur de connexion – Portail Famille – Ville de Démo</title>" in html
    assert 'aria-describedby="login-aide login-erreur"' in html
    assert '<p class="field-error" id="login-erreur">Saisissez votre adresse' in html
    assert 'aria-describedby="password-erreur"' in html
    # identity's 422 names the field: next to it.
    r = await portal.post(
        "/connexion", data={"csrf_token": token, "login": "x" * 255, "password": "abc"}
    )
    html = await r.text()
    assert 'id="login-erreur">Longueur maximale : 254 caractères.</p>' in html
    assert 'aria-invalid="true"' in html and 'value="' + "x" * 255 + '"' in html
    # identity's 401 names none: said for the form, the login kept, the password not.
    r = await portal.post(
        "/connexion", data={"csrf_token": token, "login": "famille@demo.example", "password": "z"}
    )
    html = await r.text()
    assert 'role="alert"' in html and "Identifiant ou mot de passe incorrect." in html
    assert 'value="famille@demo.example"' in html and 'value="z"' not in html


async def test_login_gives_a_new_session_id_and_keeps_the_tokens_server_side(portal, services):
    await anonymous(portal)
    before = session_cookie(portal)
    await log_in(portal, "/factures")
    after = session_cookie(portal)
    assert after != before and security.well_formed(after)
    assert "access-" not in after and "refresh-" not in after
    # The id known before the login is worth nothing now (session fixation).
    portal.session.cookie_jar.clear()
    r = await portal.get(
        "/", headers={"Cookie": f"{security.COOKIE}={before}"}, allow_redirects=False
    )
    assert r.status == 303 and r.headers["Location"].startswith("/connexion")
    r = await portal.get("/", headers={"Cookie": f"{security.COOKIE}={after}"})
    html = await r.text()
    assert r.status == 200 and "<h1>Bonjour Marie Durand</h1>" in html
    assert "Fermeture du centre &lt;le 11 novembre&gt;" in html  # escaped
    assert "lundi 2 novembre 2026" in html


async def test_an_expiring_access_token_is_refreshed_transparently(portal, services):
    stand_in, _ = services
    stand_in.expires_in = 10  # under the 30 s margin: refreshed before each use
    await log_in(portal)
    r = await portal.get("/")
    assert r.status == 200
    refreshes = [c for c in stand_in.calls if c[1].endswith("/token/refresh")]
    assert [c[3]["refresh_token"] for c in refreshes] == ["refresh-1"]
    news = [c for c in stand_in.calls if c[1].endswith("/me/news")]
    assert news[-1][2] == "access-2"


async def test_a_refused_access_token_is_refreshed_once_then_the_call_made_again(portal, services):
    stand_in, _ = services
    await log_in(portal)
    stand_in.valid_access.clear()  # e.g. identity rotated its keys meanwhile
    r = await portal.get("/factures")
    assert r.status == 200 and "41,40\u00a0€" in await r.text()
    invoices = [c for c in stand_in.calls if c[1].endswith("/invoices")]
    assert [c[2] for c in invoices] == ["access-1", "access-2"]


async def test_when_the_session_cannot_be_refreshed_the_family_logs_in_again(portal, services):
    stand_in, _ = services
    await log_in(portal)
    stand_in.valid_access.clear()
    stand_in.valid_refresh.clear()  # revoked (password changed elsewhere, account disabled)
    r = await portal.get("/factures", allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (303, "/connexion?suite=%2Ffactures")


async def test_invoices_their_pdf_and_a_card_payment(portal, services):
    stand_in, _ = services
    await log_in(portal)
    r = await portal.get("/factures")
    html = await r.text()
    assert "Facture F-ENFANCE-2026-000007" in html and "lundi 5 octobre 2026" in html
    assert "Payer 41,40\u00a0€ par carte" in html
    r = await portal.get(f"/factures/{INVOICE_ID}/pdf")
    assert r.status == 200 and r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"] == 'attachment; filename="F-7.pdf"'
    assert (await r.read()).startswith(b"%PDF")
    assert (await portal.get("/factures/not-an-id/pdf")).status == 404

    r = await portal.post(
        "/factures/payer",
        data={"csrf_token": csrf_of(html), "invoice_id": INVOICE_ID},
        allow_redirects=False,
    )
    assert (r.status, r.headers["Location"]) == (303, "https://banque.example/payer?id=1")
    (started,) = [c for c in stand_in.calls if c[1].endswith("/card-payments")]
    assert started[3] == {"invoice_ids": [INVOICE_ID], "email": "famille@demo.example"}

    r = await portal.get(f"/paiement/retour?transaction={TRANSACTION_ID}&statut=paid")
    html = await r.text()
    assert "<title>Paiement accepté – Portail Famille – Ville de Démo</title>" in html
    assert "R-ENFANCE-2026-000003" in html and "lundi 5 octobre 2026 à 14 h 05" in html
    # htmx asks for the status alone.
    r = await portal.get(
        f"/paiement/retour?transaction={TRANSACTION_ID}", headers={"HX-Request": "true"}
    )
    fragment = await r.text()
    assert fragment.lstrip().startswith('<div id="etat-paiement"') and "<html" not in fragment


async def test_a_household_not_linked_yet_is_said_so(portal):
    await log_in(portal)
    html = await (await portal.get("/foyer")).text()
    assert "Aucun dossier famille n'est encore lié à votre compte" in html


async def test_logout_ends_the_session_here_and_at_identity(portal, services):
    stand_in, _ = services
    await log_in(portal)
    cookie = session_cookie(portal)
    html = await (await portal.get("/")).text()
    r = await portal.post("/deconnexion", data={"csrf_token": csrf_of(html)}, allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (303, "/connexion?deconnecte=1")
    assert stand_in.logged_out == ["refresh-1"]
    portal.session.cookie_jar.clear()
    r = await portal.get(
        "/", headers={"Cookie": f"{security.COOKIE}={cookie}"}, allow_redirects=False
    )
    assert r.status == 303


async def test_unknown_pages_and_unavailable_services_get_french_pages(portal, services):
    stand_in, _ = services
    r = await portal.get("/nulle-part")
    assert r.status == 404 and "<h1>Page introuvable</h1>" in await r.text()
    assert r.content_type == "text/html"
    await log_in(portal)
    stand_in.down = True  # the town's page is not answered: the default theme, still a page
    r = await portal.get("/connexion")
    assert r.status in (200, 303)


async def test_pages_wear_the_town_s_colours_and_contact(portal):
    r = await portal.get("/theme.css")
    css = await r.text()
    assert r.content_type == "text/css"
    assert "--primary:#00695c;--on-primary:#ffffff" in css and "--accent:#ffb300" in css
    html = await (await portal.get("/connexion")).text()
    assert '<link rel="stylesheet" href="/theme.css">' in html
    assert "Contacter le service Enfance" in html
    assert 'href="mailto:enfance@demo.example"' in html and 'href="tel:0123456789"' in html


async def test_requests_side_by_side_refresh_the_session_once(portal, services):
    """identity refuses a refresh token used twice: the requests of one session wait for
    the one refreshing (a lock on its row), then use the token it obtained."""
    stand_in, _ = services
    stand_in.expires_in = 10  # refreshed by the next request
    await log_in(portal)
    answers = await asyncio.gather(
        *(portal.get("/factures", allow_redirects=False) for _ in range(6))
    )
    assert [r.status for r in answers] == [200] * 6
    used = [c[3]["refresh_token"] for c in stand_in.calls if c[1].endswith("/token/refresh")]
    # Never one refresh token twice; a request that read the session after a refresh may
    # refresh again (these tokens live 10 s, under the 30 s margin), never in parallel.
    assert len(used) == len(set(used)) and 1 <= len(used) < 6, used


async def test_a_session_keeps_small_values_between_requests(portal):
    await log_in(portal)
    app = portal.server.app
    cookie = portal.session.cookie_jar.filter_cookies(portal.make_url("/"))[security.COOKIE].value
    now = app[CLOCK].now()
    found = await sessions.load(app[POOL], cookie, tenant="demo", now=now, lifetime=lifetime(app))
    assert found is not None and found.data == {"roles": ["family"]}  # kept at login
    await sessions.remember(app[POOL], found, basket="b-1", step="terms")
    await sessions.remember(app[POOL], found, step=None)
    assert found.data == {"roles": ["family"], "basket": "b-1"}
    again = await sessions.load(app[POOL], cookie, tenant="demo", now=now, lifetime=lifetime(app))
    assert again is not None and again.data == {"roles": ["family"], "basket": "b-1"}


async def test_staff_land_in_the_back_office_and_families_may_not_enter_it(portal, services):
    stand_in, _ = services
    await log_in(portal)
    r = await portal.get("/gestion/foyers", allow_redirects=False)
    assert r.status == 403
    assert "réservée aux agents" in await r.text()
    await portal.post(
        "/deconnexion", data={"csrf_token": csrf_of(await (await portal.get("/")).text())}
    )
    stand_in.roles = ["staff"]
    token = await anonymous(portal)
    r = await portal.post(
        "/connexion",
        data={
            "csrf_token": token,
            "login": "agent@demo.example",
            "password": PASSWORD,
            "suite": "/",
        },
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == "/gestion"
    r = await portal.get("/", allow_redirects=False)  # the family's home is not theirs
    assert r.status == 303 and r.headers["Location"] == "/gestion"

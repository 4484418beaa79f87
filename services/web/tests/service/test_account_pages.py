"""The account pages over HTTP (real Postgres for the sessions; identity, family and notify
stood in): sign-up errors by their field, the captcha challenge proxied, emailed links that
act only on POST and say why they are refused, a temporary password and new terms leading
every page to their step, the household's data exported and its deletion asked for,
notifications marked read."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from ..conftest import PASSWORD, TENANT, Services, anonymous, csrf_of, log_in

NOTIFICATION = "7d1f0c0e-1111-4222-8333-944444444444"
PROBLEMS = "https://portail-famille.fr/problems/"


def problem(status: int, code: str, detail: str, **extra: Any) -> web.Response:
    return web.json_response(
        {"type": PROBLEMS + code, "status": status, "detail": detail, **extra},
        status=status,
        content_type="application/problem+json",
    )


def account_routes(services: Services, app: web.Application, t: str) -> None:
    state: dict[str, Any] = services.__dict__.setdefault("account", {})
    state.setdefault("linked", True)
    state.setdefault("read", set())

    def bearer(request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        return header.removeprefix("Bearer ") or None

    def record(request: web.Request, body: Any = None) -> None:
        services.calls.append((request.method, request.path, bearer(request), body))

    @web.middleware
    async def terms_pending(request: web.Request, handler: Any) -> web.StreamResponse:
        # While the family has new terms to accept, identity's /me says so.
        if state.get("terms_pending") and request.path == f"{t}/me":
            record(request)
            return web.json_response(
                {
                    "account_id": "9a1c0c1e-2222-4333-8444-955555555555",
                    "email": "famille@demo.example",
                    "display_name": "Marie Durand",
                    "terms": {"must_accept": True, "current_version": 3, "accepted_version": 2},
                }
            )
        if state.get("not_activated") and request.path == f"{t}/login":
            record(request)
            return problem(403, "account-not-activated", "Votre compte n'est pas encore activé.")
        return await handler(request)

    app.middlewares.append(terms_pending)

    async def challenge(request: web.Request) -> web.Response:
        record(request)
        return web.json_response({"parameters": {"algorithm": "PBKDF2/SHA-256"}, "signature": "s"})

    async def signup(request: web.Request) -> web.Response:
        body = await request.json()
        record(request, body)
        if body["captcha"] == "rejouee":
            return problem(422, "captcha-invalid", "Cette vérification a déjà servi.")
        if body["password"] == "faible":
            return problem(
                422,
                "weak-password",
                "Le mot de passe ne respecte pas les règles de sécurité.",
                errors=[
                    {"field": "password", "detail": "Au moins 8 caractères."},
                    {"field": "password", "detail": "Au moins un chiffre."},
                ],
            )
        return web.json_response({"detail": "Vérifiez vos e-mails."}, status=202)

    links = {
        "ok": None,
        "used": (409, "link-already-used"),
        "old": (410, "link-expired"),
        "replaced": (410, "link-superseded"),
    }

    def link_answer(token: str, ok: web.Response) -> web.Response:
        if token not in links:
            return problem(404, "invalid-link", "Ce lien n'est pas valide.")
        refused = links[token]
        return ok if refused is None else problem(refused[0], refused[1], "Refusé.")

    async def activation(request: web.Request) -> web.Response:
        body = await request.json()
        record(request, body)
        ok = web.json_response({"account_id": "x", "email": "new@demo.example"})
        return link_answer(body["token"], ok)

    async def accepted(request: web.Request) -> web.Response:
        record(request, await request.json())
        return web.json_response({"detail": "Envoyé."}, status=202)

    async def reset(request: web.Request) -> web.Response:
        body = await request.json()
        record(request, body)
        return link_answer(body["token"], web.json_response({"detail": "Modifié."}))

    async def invitation(request: web.Request) -> web.Response:
        body = await request.json()
        record(request, body)
        return link_answer(body["token"], web.json_response(services.tokens()))

    async def change_password(request: web.Request) -> web.Response:
        body = await request.json()
        record(request, body)
        if bearer(request) not in services.valid_access:
            return problem(401, "unauthenticated", "Jeton invalide.")
        if body["current_password"] != PASSWORD:
            return problem(
                422,
                "wrong-password",
                "Le mot de passe actuel est incorrect.",
                errors=[{"field": "current_password", "detail": "Le mot de passe est incorrect."}],
            )
        return web.json_response(services.tokens())

    async def accept_terms(request: web.Request) -> web.Response:
        body = await request.json()
        record(request, body)
        if body["version"] != 3:
            return problem(409, "terms-version-mismatch", "Ces conditions ne sont plus en vigueur.")
        state["terms_pending"] = False
        tokens = {**services.tokens(), "refresh_token": None}
        return web.json_response(tokens)

    async def change_email(request: web.Request) -> web.Response:
        body = await request.json()
        record(request, body)
        if body["password"] != PASSWORD:
            return problem(
                422,
                "wrong-password",
                "Le mot de passe actuel est incorrect.",
                errors=[{"field": "password", "detail": "Le mot de passe actuel est incorrect."}],
            )
        return web.json_response({"detail": "Lien envoyé."}, status=202)

    async def deletions(request: web.Request) -> web.Response:
        record(request)
        if not state["linked"]:
            return problem(404, "household-not-linked", "Aucun foyer lié.")
        return web.json_response({"items": state.get("deletions", []), "total": 0})

    async def ask_deletion(request: web.Request) -> web.Response:
        body = await request.json()
        record(request, body)
        if state.get("deletions"):
            return problem(409, "deletion-pending", "Une demande est déjà en attente.")
        state["deletions"] = [
            {"status": "pending", "requested_at": "2026-10-05T10:00:00+00:00", "message": ""}
        ]
        return web.json_response(state["deletions"][0], status=202)

    async def export(request: web.Request) -> web.Response:
        record(request)
        return web.json_response(
            {"household": {"subscriber_code": "ABC123"}},
            headers={"Content-Disposition": 'attachment; filename="mes-donnees.json"'},
        )

    async def notifications(request: web.Request) -> web.Response:
        record(request)
        read = NOTIFICATION in state["read"]
        return web.json_response(
            {
                "items": [
                    {
                        "id": "00000000-0000-4000-8000-000000000001",
                        "kind": "invoice_issued",
                        "title": "Ancienne facture",
                        "body": "Lue.",
                        "created_at": "2026-10-01T10:00:00+00:00",
                        "read_at": "2026-10-02T10:00:00+00:00",
                    },
                    {
                        "id": NOTIFICATION,
                        "kind": "change_approved",
                        "title": "Modification validée",
                        "body": "Votre adresse est à jour.",
                        "created_at": "2026-10-05T10:00:00+00:00",
                        "read_at": "2026-10-05T11:00:00+00:00" if read else None,
                    },
                ],
                "unread_count": 0 if read else 1,
                "next_offset": None,
            }
        )

    async def read_one(request: web.Request) -> web.Response:
        record(request)
        if request.match_info["id"] != NOTIFICATION:
            return problem(404, "notification-not-found", "Introuvable.")
        state["read"].add(NOTIFICATION)
        return web.json_response({"id": NOTIFICATION})

    async def read_all(request: web.Request) -> web.Response:
        record(request)
        state["read"].add(NOTIFICATION)
        return web.json_response({"marked": 1, "unread_count": 0})

    app.router.add_get(f"{t}/captcha/challenge", challenge)
    app.router.add_post(f"{t}/signup", signup)
    app.router.add_post(f"{t}/activation", activation)
    app.router.add_post(f"{t}/activation/resend", accepted)
    app.router.add_post(f"{t}/password/forgot", accepted)
    app.router.add_post(f"{t}/password/reset", reset)
    app.router.add_post(f"{t}/invitation/accept", invitation)
    app.router.add_post(f"{t}/me/password", change_password)
    app.router.add_post(f"{t}/me/terms", accept_terms)
    app.router.add_post(f"{t}/me/email", change_email)
    app.router.add_get(f"{t}/me/household/deletion-request", deletions)
    app.router.add_post(f"{t}/me/household/deletion-request", ask_deletion)
    app.router.add_get(f"{t}/me/household/export", export)
    app.router.add_get(f"{t}/me/notifications", notifications)
    app.router.add_post(f"{t}/me/notifications/read", read_all)
    app.router.add_post(f"{t}/me/notifications/{{id}}/read", read_one)


@pytest.fixture
def stand_in_routes() -> Callable[[Services, web.Application, str], None]:
    return account_routes


def calls_to(services: Services, suffix: str) -> list[Any]:
    return [c for c in services.calls if c[1].endswith(suffix)]


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-erreur">([^<]*)</p>', html)
    assert found, html
    assert f'id="{name}"' in html
    if name != "captcha":  # the widget's own checkbox cannot point at it
        tag = re.search(rf'<(input|textarea) id="{name}"[^>]*>', html, re.S)
        assert tag and 'aria-invalid="true"' in tag[0] and f"{name}-erreur" in tag[0], html
    return found[1]


# --- sign-up --------------------------------------------------------------------------------


async def test_sign_up_errors_are_shown_next_to_their_fields(portal, services):
    stand_in, _ = services
    r = await portal.get("/inscription")
    html = await r.text()
    assert r.status == 200 and "<h1>Créer mon compte</h1>" in html
    assert 'challenge="/inscription/defi"' in html and "htmx.min.js" not in html
    form = {"csrf_token": csrf_of(html), "display_name": "Marie Durand", "email": "m@x.fr"}
    # Checked here first: the confirmation and the captcha, identity not asked.
    r = await portal.post("/inscription", data={**form, "password": "Abc12345"})
    html = await r.text()
    assert r.status == 422
    assert field_error(html, "password_confirmation") == (
        "Les deux mots de passe saisis sont différents."
    )
    assert "Je ne suis pas un robot" in field_error(html, "captcha")
    assert 'value="Marie Durand"' in html and 'role="alert"' in html
    assert not calls_to(stand_in, "/signup")
    # identity's refusals: every broken rule by the password, the captcha by the widget.
    filled = {**form, "password_confirmation": "faible", "captcha": "p"}
    r = await portal.post("/inscription", data={**filled, "password": "faible"})
    html = await r.text()
    assert r.status == 422
    assert field_error(html, "password") == "Au moins 8 caractères. Au moins un chiffre."
    filled = {**form, "password_confirmation": "Abc12345", "captcha": "rejouee"}
    r = await portal.post("/inscription", data={**filled, "password": "Abc12345"})
    assert field_error(await r.text(), "captcha") == "Cette vérification a déjà servi."


async def test_sign_up_leads_to_the_mailbox_page_and_the_link_can_be_resent(portal, services):
    stand_in, _ = services
    r = await portal.get("/inscription")
    token = csrf_of(await r.text())
    r = await portal.post(
        "/inscription",
        data={
            "csrf_token": token,
            "display_name": "Marie Durand",
            "email": "marie@exemple.fr",
            "password": "Abc12345",
            "password_confirmation": "Abc12345",
            "captcha": "payload",
        },
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == "/inscription/envoyee"
    assert calls_to(stand_in, "/signup")[0][3]["captcha"] == "payload"
    r = await portal.get("/inscription/envoyee")
    html = await r.text()
    assert "<h1>Vérifiez votre boîte mail</h1>" in html and "marie@exemple.fr" in html
    r = await portal.get("/activation/renvoi")
    html = await r.text()
    assert 'value="marie@exemple.fr"' in html
    r = await portal.post(
        "/activation/renvoi",
        data={"csrf_token": csrf_of(html), "email": "marie@exemple.fr"},
        allow_redirects=False,
    )
    assert r.status == 303
    assert calls_to(stand_in, "/activation/resend")[0][3] == {"email": "marie@exemple.fr"}


async def test_the_captcha_challenge_comes_from_identity_through_the_portal(portal, services):
    r = await portal.get("/inscription/defi")
    assert r.status == 200 and (await r.json())["signature"] == "s"
    assert r.headers["Cache-Control"] == "no-store"


async def test_a_sign_up_without_the_csrf_token_is_refused(portal, services):
    stand_in, _ = services
    await portal.get("/inscription")
    r = await portal.post("/inscription", data={"email": "m@x.fr", "password": "x"})
    assert r.status == 403 and "<h1>Action refusée</h1>" in await r.text()
    assert not calls_to(stand_in, "/signup")


# --- emailed links --------------------------------------------------------------------------


async def test_an_activation_link_acts_only_on_its_button(portal, services):
    stand_in, _ = services
    r = await portal.get(f"/{TENANT}/activation?token=ok")
    html = await r.text()
    assert r.status == 200 and "<h1>Activer mon compte</h1>" in html
    assert not calls_to(stand_in, "/activation")  # a mail scanner's GET does nothing
    r = await portal.post(
        f"/{TENANT}/activation", data={"csrf_token": csrf_of(html), "token": "ok"}
    )
    html = await r.text()
    assert r.status == 200 and "<h1>Compte activé</h1>" in html
    assert calls_to(stand_in, "/activation")[0][3] == {"token": "ok"}


@pytest.mark.parametrize(
    ("link", "status", "title", "resend"),
    [
        ("used", 409, "Lien déjà utilisé", False),
        ("old", 410, "Lien expiré", True),
        ("replaced", 410, "Lien remplacé", True),
        ("unknown", 404, "Lien non valable", True),
    ],
)
async def test_refused_links_say_why_and_what_to_do(portal, link, status, title, resend):
    r = await portal.get(f"/{TENANT}/activation?token={link}")
    r = await portal.post(
        f"/{TENANT}/activation", data={"csrf_token": csrf_of(await r.text()), "token": link}
    )
    html = await r.text()
    assert r.status == status and f"<h1>{title}</h1>" in html
    assert ('href="/activation/renvoi"' in html) is resend


async def test_links_of_another_town_are_not_this_portal_s(portal):
    for path in ("activation", "invitation", "password/reset", "email/confirm"):
        r = await portal.get(f"/autre-ville/{path}?token=ok")
        assert r.status == 404, path


async def test_a_password_reset_link_checks_the_confirmation_then_resets(portal, services):
    stand_in, _ = services
    r = await portal.get(f"/{TENANT}/password/reset?token=ok")
    html = await r.text()
    assert "<h1>Choisir un nouveau mot de passe</h1>" in html and "au moins 8 caractères" in html
    data = {"csrf_token": csrf_of(html), "token": "ok", "new_password": "Nouveau-2026"}
    r = await portal.post(f"/{TENANT}/password/reset", data=data)
    assert r.status == 422 and field_error(await r.text(), "new_password_confirmation")
    data["new_password_confirmation"] = "Nouveau-2026"
    r = await portal.post(f"/{TENANT}/password/reset", data=data)
    assert r.status == 200 and "<h1>Mot de passe modifié</h1>" in await r.text()
    assert calls_to(stand_in, "/password/reset")[0][3] == {
        "token": "ok",
        "new_password": "Nouveau-2026",
    }


async def test_forgotten_password_by_email_or_identifier(portal, services):
    stand_in, _ = services
    r = await portal.get("/mot-de-passe-oublie")
    html = await r.text()
    assert "Adresse e-mail ou identifiant" in html
    token = csrf_of(html)
    r = await portal.post("/mot-de-passe-oublie", data={"csrf_token": token, "login": " "})
    assert r.status == 422 and "identifiant" in field_error(await r.text(), "login")
    for typed in ("marie", "marie@exemple.fr"):
        r = await portal.post("/mot-de-passe-oublie", data={"csrf_token": token, "login": typed})
        assert r.status == 200 and "<h1>Lien envoyé</h1>" in await r.text()
    assert [c[3] for c in calls_to(stand_in, "/password/forgot")] == [
        {"login": "marie"},
        {"login": "marie@exemple.fr"},
    ]


async def test_an_invitation_sets_the_password_and_logs_in(portal, services):
    r = await portal.get(f"/{TENANT}/invitation?token=ok")
    html = await r.text()
    data = {
        "csrf_token": csrf_of(html),
        "token": "ok",
        "password": "Abc12345",
        "password_confirmation": "Abc12345",
    }
    r = await portal.post(f"/{TENANT}/invitation", data=data, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/"
    r = await portal.get("/compte", allow_redirects=False)
    assert r.status == 200 and "Marie Durand" in await r.text()


# --- steps a login leaves pending -------------------------------------------------------------


async def test_a_temporary_password_must_be_changed_before_any_page(portal, services):
    stand_in, _ = services
    full = stand_in.tokens

    def temporary() -> dict[str, Any]:
        return {**full(), "refresh_token": None, "password_change_required": True}

    stand_in.tokens = temporary  # type: ignore[method-assign]
    await log_in(portal)
    stand_in.tokens = full  # type: ignore[method-assign]
    for path in ("/", "/foyer", "/compte"):
        r = await portal.get(path, allow_redirects=False)
        assert r.status == 303 and r.headers["Location"] == "/compte/mot-de-passe", path
    r = await portal.get("/compte/mot-de-passe")
    html = await r.text()
    assert r.status == 200 and "provisoire" in html
    data = {
        "csrf_token": csrf_of(html),
        "current_password": "mauvais",
        "new_password": "Nouveau-2026",
        "new_password_confirmation": "Nouveau-2026",
    }
    r = await portal.post("/compte/mot-de-passe", data=data)
    assert r.status == 422
    assert field_error(await r.text(), "current_password") == "Le mot de passe est incorrect."
    r = await portal.post(
        "/compte/mot-de-passe",
        data={**data, "current_password": PASSWORD},
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == "/"
    # The temporary token could not read the account; the new one does (its email kept).
    assert [c[2] for c in calls_to(stand_in, f"/tenants/{TENANT}/me")] == ["access-2"]
    r = await portal.get("/", allow_redirects=False)
    assert r.status == 200


async def test_new_terms_must_be_accepted_before_any_page(portal, services):
    stand_in, _ = services
    stand_in.account["terms_pending"] = True  # type: ignore[attr-defined]
    full = stand_in.tokens
    stand_in.tokens = lambda: {**full(), "terms": {"must_accept": True}}  # type: ignore[method-assign]
    await log_in(portal, "/factures")
    stand_in.tokens = full  # type: ignore[method-assign]
    r = await portal.get("/factures", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/conditions"
    r = await portal.get("/conditions")
    html = await r.text()
    assert "J'accepte les conditions d'utilisation" in html
    token = csrf_of(html)
    r = await portal.post("/conditions", data={"csrf_token": token, "version": "2"})
    assert r.status == 409 and "ne sont plus en vigueur" in await r.text()
    r = await portal.post(
        "/conditions",
        data={"csrf_token": token, "version": "3", "suite": "/factures"},
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == "/factures"
    r = await portal.get("/factures", allow_redirects=False)
    assert r.status == 200
    # The refresh token kept: the session goes on after the new access token expires.
    assert calls_to(stand_in, "/me/terms")[-1][3] == {"version": 3}


# --- my account, my data, notifications ----------------------------------------------------


async def test_a_wrong_password_for_a_new_email_is_shown_by_its_field(portal, services):
    await log_in(portal)
    r = await portal.get("/compte/adresse-e-mail")
    data = {"csrf_token": csrf_of(await r.text()), "new_email": "n@x.fr", "password": "faux"}
    r = await portal.post("/compte/adresse-e-mail", data=data)
    assert r.status == 422
    assert field_error(await r.text(), "password") == "Le mot de passe actuel est incorrect."
    r = await portal.post(
        "/compte/adresse-e-mail", data={**data, "password": PASSWORD}, allow_redirects=False
    )
    assert r.status == 303 and r.headers["Location"] == "/compte?adresse-e-mail=1"


async def test_the_household_s_data_downloads_and_its_deletion_is_confirmed(portal, services):
    stand_in, _ = services
    await log_in(portal)
    r = await portal.get("/compte/donnees/export")
    assert r.status == 200 and (await r.json())["household"]["subscriber_code"] == "ABC123"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="mes-donnees-')
    r = await portal.get("/compte/donnees/suppression")
    token = csrf_of(await r.text())
    r = await portal.post("/compte/donnees/suppression", data={"csrf_token": token})
    assert r.status == 422 and field_error(await r.text(), "confirmation")
    assert not calls_to(stand_in, "/deletion-request")
    r = await portal.post(
        "/compte/donnees/suppression",
        data={"csrf_token": token, "confirmation": "oui", "message": "Merci"},
        allow_redirects=False,
    )
    assert r.status == 303
    r = await portal.get("/compte/donnees?suppression=1")
    html = await r.text()
    assert "en attente de la décision de la mairie" in html and "déjà en attente" in html


async def test_an_account_without_household_is_told_so(portal, services):
    stand_in, _ = services
    stand_in.account["linked"] = False  # type: ignore[attr-defined]
    await log_in(portal)
    r = await portal.get("/compte/donnees")
    html = await r.text()
    assert r.status == 200 and "Aucun dossier famille n'est lié" in html
    assert "/compte/donnees/export" not in html


async def test_notifications_unread_first_and_marked_read(portal, services):
    await log_in(portal)
    r = await portal.get("/notifications")
    html = await r.text()
    assert r.status == 200 and "1 notification non lue" in html
    assert html.index("Modification validée") < html.index("Ancienne facture")
    assert 'href="/foyer"' in html and "Non lue" in html
    r = await portal.post(
        f"/notifications/{NOTIFICATION}/lue",
        data={"csrf_token": csrf_of(html)},
        allow_redirects=False,
    )
    assert r.status == 303
    r = await portal.get("/notifications")
    assert "Aucune notification non lue" in await r.text()
    r = await portal.post("/notifications/pas-un-id/lue", data={"csrf_token": csrf_of(html)})
    assert r.status == 404


async def test_the_login_page_leads_to_sign_up_and_forgotten_password(portal):
    await anonymous(portal)
    html = await (await portal.get("/connexion")).text()
    assert 'href="/inscription"' in html and 'href="/mot-de-passe-oublie"' in html


async def test_the_menu_s_unread_count_comes_after_the_page(portal, services):
    r = await portal.get("/notifications/non-lues")
    assert r.status == 200 and await r.text() == ""  # not logged in: nothing to say
    await log_in(portal)
    html = await (await portal.get("/compte")).text()
    assert 'hx-get="/notifications/non-lues"' in html
    r = await portal.get("/notifications/non-lues")
    assert await r.text() == (
        '<span class="menu-count">1<span class="visually-hidden"> non lue</span></span>'
    )


async def test_a_login_not_activated_yet_offers_a_new_activation_link(portal, services):
    stand_in, _ = services
    stand_in.account["not_activated"] = True  # type: ignore[attr-defined]
    token = await anonymous(portal)
    r = await portal.post(
        "/connexion", data={"csrf_token": token, "login": "m@x.fr", "password": PASSWORD}
    )
    html = await r.text()
    assert r.status == 422 and "pas encore activé" in html
    assert 'href="/activation/renvoi"' in html


async def test_the_terms_can_be_read_without_an_account(portal, services):
    r = await portal.get("/conditions")
    html = await r.text()
    assert r.status == 200 and "<h1>Conditions d'utilisation</h1>" in html
    assert "J'accepte" not in html

"""Accounts created by staff, passwords, email change, terms of use, tenants, isolation."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import jwt

Portal = Any


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


async def staff_token(portal: Portal) -> str:
    r = await portal.post(
        "/accounts",
        {
            "display_name": "Agent",
            "email": "agent@epagny.fr",
            "roles": ["staff"],
            "mode": "temporary_password",
        },
        portal.admins["epagny"],
    )
    assert r.status == 201, await r.text()
    temporary = (await r.json())["temporary_password"]
    first = await portal.login("agent@epagny.fr", temporary)
    r = await portal.post(
        "/me/password",
        {"current_password": temporary, "new_password": portal.PASSWORD},
        first["access_token"],
    )
    assert r.status == 200
    return (await r.json())["access_token"]


async def test_temporary_password_gives_a_password_change_only_token(portal: Portal) -> None:
    staff = await staff_token(portal)
    r = await portal.post(
        "/accounts",
        {
            "display_name": "Famille Petit",
            "email": "petit@live.fr",
            "roles": ["family"],
            "mode": "temporary_password",
        },
        staff,
    )
    assert r.status == 201
    created = await r.json()
    assert created["account"]["must_change_password"] is True
    temporary = created["temporary_password"]
    invited = await portal.event("identity.AccountInvited", "petit@live.fr")
    assert invited["payload"]["invitation_url"] is None
    body = await portal.login("petit@live.fr", temporary)
    assert body["password_change_required"] is True
    assert body["refresh_token"] is None
    assert claims(body["access_token"])["scope"] == "password-change"
    r = await portal.get("/me", body["access_token"])
    assert r.status == 403
    assert (await r.json())["type"].endswith("/password-change-required")
    r = await portal.post(
        "/me/password",
        {"current_password": "Mauvais123", "new_password": "Vacances2025"},
        body["access_token"],
    )
    assert r.status == 422
    assert (await r.json())["errors"][0] == {
        "field": "current_password",
        "detail": "Le mot de passe actuel est incorrect.",
    }
    r = await portal.post(
        "/me/password",
        {"current_password": temporary, "new_password": "petit"},
        body["access_token"],
    )
    assert r.status == 422
    assert {e["field"] for e in (await r.json())["errors"]} == {"new_password"}
    r = await portal.post(
        "/me/password",
        {"current_password": temporary, "new_password": "Vacances2025"},
        body["access_token"],
    )
    assert r.status == 200
    fresh = await r.json()
    assert claims(fresh["access_token"])["scope"] == "full"
    assert (await portal.get("/me", fresh["access_token"])).status == 200
    changed = await portal.event("identity.PasswordChanged", "petit@live.fr")
    assert changed["payload"]["reason"] == "change"


async def test_invitation_link_and_roles_staff_may_give(portal: Portal) -> None:
    staff = await staff_token(portal)
    r = await portal.post(
        "/accounts",
        {
            "display_name": "Collègue",
            "email": "collegue@epagny.fr",
            "roles": ["staff"],
            "mode": "invitation",
        },
        staff,
    )
    assert r.status == 403
    assert (await r.json())["detail"].startswith("Seul un administrateur")
    r = await portal.post(
        "/accounts",
        {
            "display_name": "Famille Blanc",
            "email": "blanc@live.fr",
            "roles": ["family"],
            "mode": "invitation",
        },
        staff,
    )
    assert r.status == 201
    assert (await r.json())["temporary_password"] is None
    event = await portal.event("identity.AccountInvited", "blanc@live.fr")
    token = portal.link_token(event["payload"]["invitation_url"])
    r = await portal.post("/invitation/accept", {"token": token, "password": "court"})
    assert r.status == 422
    r = await portal.post("/invitation/accept", {"token": token, "password": "Jardin2025x"})
    assert r.status == 200
    assert claims((await r.json())["access_token"])["roles"] == ["family"]
    r = await portal.post("/invitation/accept", {"token": token, "password": "Jardin2025x"})
    assert r.status == 409
    r = await portal.post(
        "/accounts",
        {
            "display_name": "Doublon",
            "email": "blanc@live.fr",
            "roles": ["family"],
            "mode": "invitation",
        },
        staff,
    )
    assert r.status == 409
    # A family cannot create accounts at all.
    family = await portal.family("famille@live.fr")
    r = await portal.post(
        "/accounts",
        {"display_name": "X", "email": "x@live.fr", "roles": ["family"], "mode": "invitation"},
        family["access_token"],
    )
    assert r.status == 403
    r = await portal.get("/accounts?role=family&limit=2", staff)
    page = await r.json()
    assert page["total"] == 2 and len(page["items"]) == 2
    r = await portal.get("/accounts?limit=0", staff)
    assert r.status == 422


async def test_password_change_ends_other_sessions(portal: Portal) -> None:
    phone = await portal.family("deux@live.fr")
    laptop = await portal.login("deux@live.fr")
    r = await portal.post(
        "/me/password",
        {"current_password": portal.PASSWORD, "new_password": "Montagne2025"},
        laptop["access_token"],
    )
    assert r.status == 200
    r = await portal.post("/token/refresh", {"refresh_token": phone["refresh_token"]})
    assert r.status == 401
    await portal.login("deux@live.fr", "Montagne2025")


async def test_forgotten_password_same_answer_and_bad_links(portal: Portal) -> None:
    session = await portal.family("oubli@live.fr")
    known = await portal.post("/password/forgot", {"email": "oubli@live.fr"})
    unknown = await portal.post("/password/forgot", {"email": "jamais@live.fr"})
    assert known.status == unknown.status == 202
    assert await known.json() == await unknown.json()
    event = await portal.event("identity.PasswordResetRequested", "oubli@live.fr")
    assert len(portal.tap.of_type("identity.PasswordResetRequested")) == 1
    token = portal.link_token(event["payload"]["reset_url"])
    r = await portal.post("/password/reset", {"token": token, "new_password": "oubli"})
    assert r.status == 422
    r = await portal.post("/password/reset", {"token": token, "new_password": "Riviere2025"})
    assert r.status == 200
    changed = await portal.event("identity.PasswordChanged", "oubli@live.fr")
    assert changed["payload"]["reason"] == "reset"
    r = await portal.post("/token/refresh", {"refresh_token": session["refresh_token"]})
    assert r.status == 401  # every session ended
    r = await portal.post("/password/reset", {"token": token, "new_password": "Riviere2026"})
    assert r.status == 409
    await portal.post("/password/forgot", {"email": "oubli@live.fr"})
    second = await portal.event("identity.PasswordResetRequested", "oubli@live.fr", index=1)
    await portal.pool.execute("UPDATE link_tokens SET expires_at = now() - interval '1 second'")
    r = await portal.post(
        "/password/reset",
        {"token": portal.link_token(second["payload"]["reset_url"]), "new_password": "Riviere2026"},
    )
    assert r.status == 410
    r = await portal.post("/password/reset", {"new_password": "Riviere2026"})
    assert r.status == 422
    assert (await r.json())["errors"] == [{"field": "token", "detail": "Ce champ est obligatoire."}]


async def test_email_change_confirmed_by_the_new_address(portal: Portal) -> None:
    body = await portal.family("ancienne@live.fr")
    token = body["access_token"]
    r = await portal.post(
        "/me/email", {"new_email": "nouvelle@live.fr", "password": "Faux1234"}, token
    )
    assert r.status == 422
    r = await portal.post(
        "/me/email", {"new_email": "ancienne@live.fr", "password": portal.PASSWORD}, token
    )
    assert r.status == 422
    assert (await r.json())["detail"] == "C'est déjà l'adresse e-mail de votre compte."
    r = await portal.post(
        "/me/email", {"new_email": "Nouvelle@live.fr", "password": portal.PASSWORD}, token
    )
    assert r.status == 202
    requested = await portal.event("identity.EmailChangeRequested", "nouvelle@live.fr")
    assert requested["payload"]["email"] == "ancienne@live.fr"  # the old address is told
    link = portal.link_token(requested["payload"]["confirmation_url"])
    r = await portal.post("/email/confirm", {"token": link})
    assert r.status == 200
    changed = await portal.event("identity.EmailChanged", "nouvelle@live.fr")
    assert changed["payload"]["old_email"] == "ancienne@live.fr"
    await portal.login("nouvelle@live.fr")
    assert (await portal.post("/email/confirm", {"token": link})).status == 409


async def test_terms_of_use_pending_until_accepted(portal: Portal) -> None:
    admin = portal.admins["epagny"]
    body = await portal.family("cgu@live.fr")
    r = await portal.client.patch(
        "/tenants/epagny/settings",
        json={"terms_version": 2, "terms_url": "https://epagny.fr/cgu-v2.pdf"},
        headers=portal.bearer(admin),
    )
    assert r.status == 200, await r.text()
    login = await portal.login("cgu@live.fr")
    assert login["terms"]["must_accept"] is True
    assert login["terms"]["current_version"] == 2
    token = login["access_token"]
    assert claims(token)["terms_pending"] is True
    r = await portal.get("/accounts", token)
    assert r.status == 403
    assert (await r.json())["type"].endswith("/terms-not-accepted")
    me = await (await portal.get("/me", token)).json()  # allowed while pending
    assert me["terms"]["must_accept"] is True
    r = await portal.post("/me/terms", {"version": 1}, token)
    assert r.status == 409
    r = await portal.post("/me/terms", {"version": 2}, token)
    assert r.status == 200
    accepted = await r.json()
    assert claims(accepted["access_token"])["terms_pending"] is False
    assert accepted["terms"]["accepted_version"] == 2
    r = await portal.post("/token/refresh", {"refresh_token": login["refresh_token"]})
    assert claims((await r.json())["access_token"])["terms_pending"] is False
    assert body  # the first session predates the new terms
    r = await portal.client.patch(
        "/tenants/epagny/settings", json={"terms_version": 1}, headers=portal.bearer(admin)
    )
    assert r.status == 409


async def test_tenant_pages_and_settings(portal: Portal) -> None:
    r = await portal.client.get("/tenants/epagny")
    assert r.status == 200
    public = await r.json()
    assert public["display_name"] == "Ville de epagny"
    assert public["contact_email"] == "famille@epagny.fr"
    assert (await portal.client.get("/tenants/nulle-part")).status == 404
    admin = portal.admins["epagny"]
    r = await portal.client.patch(
        "/tenants/epagny/settings",
        json={"password_min_length": 12, "display_name": "Épagny Metz-Tessy"},
        headers=portal.bearer(admin),
    )
    assert (await r.json())["display_name"] == "Épagny Metz-Tessy"
    r = await portal.signup("long@live.fr", password="Court2025")
    assert r.status == 422
    assert "au moins 12 caractères" in (await r.json())["detail"]
    family = await portal.family("famille@live.fr", password="Assez2025Long")
    r = await portal.get("/settings", family["access_token"])
    assert r.status == 403
    r = await portal.get("/audit", family["access_token"])
    assert r.status == 403
    r = await portal.get("/audit?action=login_succeeded", admin)
    entry = (await r.json())["items"][0]
    assert entry["ip"] == "127.0.0.1" and entry["user_agent"]


async def test_tenant_isolation(portal: Portal) -> None:
    other_admin = await portal.create_tenant("annecy")
    epagny = await portal.family("meme@live.fr", tenant="epagny")
    annecy = await portal.family("meme@live.fr", password="Annecy2025x", tenant="annecy")
    assert claims(epagny["access_token"])["sub"] != claims(annecy["access_token"])["sub"]
    await portal.login("meme@live.fr", "Annecy2025x", tenant="annecy", status=200)
    await portal.login("meme@live.fr", "Annecy2025x", tenant="epagny", status=401)
    r = await portal.client.get(
        "/tenants/annecy/accounts", headers=portal.bearer(portal.admins["epagny"])
    )
    assert r.status == 403
    assert (await r.json())["type"].endswith("/wrong-tenant")
    r = await portal.client.post(
        "/tenants/annecy/token/refresh", json={"refresh_token": epagny["refresh_token"]}
    )
    assert r.status == 401
    r = await portal.client.get("/tenants/annecy/accounts", headers=portal.bearer(other_admin))
    assert [a["email"] for a in (await r.json())["items"]] == ["admin@annecy.fr", "meme@live.fr"]


async def test_create_tenant_command(portal: Portal) -> None:
    env = {**portal.settings.to_env(), "LOG_LEVEL": "warning"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "identity", "create-tenant", "--slug", "thones", "--name", "Thônes",
        "--contact-email", "famille@thones.fr", "--admin-email", "dgs@thones.fr",
        "--admin-name", "DGS", "--temporary-password",
        env=env, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await process.communicate()
    assert process.returncode == 0, out
    result = json.loads(out)
    body = await portal.login("dgs", result["temporary_password"], tenant="thones")
    assert body["password_change_required"] is True
    assert set(claims(body["access_token"])["roles"]) == {"admin", "staff"}


async def test_public_tenant_page_shows_the_terms_text(portal: Portal) -> None:
    r = await portal.client.patch(
        "/tenants/epagny/settings",
        json={"terms_version": 1, "terms_text": "Article 1 : le portail est gratuit."},
        headers=portal.bearer(portal.admins["epagny"]),
    )
    assert r.status == 200
    public = await (await portal.client.get("/tenants/epagny")).json()
    assert public["terms"] == {
        "version": 1,
        "url": None,
        "text": "Article 1 : le portail est gratuit.",
    }


async def test_admin_disables_and_enables_an_account(portal: Portal) -> None:
    admin = portal.admins["epagny"]
    session = await portal.family("suspendu@live.fr")
    account_id = claims(session["access_token"])["sub"]
    staff = await staff_token(portal)
    r = await portal.post(f"/accounts/{account_id}/disable", None, staff)
    assert r.status == 403  # admin only
    r = await portal.post(f"/accounts/{account_id}/disable", None, admin)
    assert r.status == 200, await r.text()
    assert (await r.json())["status"] == "disabled"
    assert (await portal.post(f"/accounts/{account_id}/disable", None, admin)).status == 200
    # Right password or not: the generic answer. The session cannot be refreshed either.
    generic = await portal.login("suspendu@live.fr", status=401)
    assert generic["type"].endswith("/invalid-credentials")
    r = await portal.post("/token/refresh", {"refresh_token": session["refresh_token"]})
    assert r.status == 401
    # Its tokens, valid for a few minutes more, get nothing from identity (404: no active
    # account), and are refused outright (401) once identity.AccountDisabled, which every
    # service hears, is handled here too.
    assert (await portal.get("/me", session["access_token"])).status in (401, 404)
    assert (await portal.post("/password/forgot", {"email": "suspendu@live.fr"})).status == 202
    r = await portal.post(f"/accounts/{account_id}/enable", None, admin)
    assert (await r.json())["status"] == "active"
    again = await portal.login("suspendu@live.fr")
    assert (await portal.get("/me", again["access_token"])).status == 200
    r = await portal.get(f"/audit?account_id={account_id}", admin)
    logged = [(e["action"], e["details"]) for e in (await r.json())["items"]]
    assert ("account_disabled", {"status_before": "active", "status": "disabled"}) in logged
    assert ("account_enabled", {"status_before": "disabled", "status": "active"}) in logged
    assert [a for a, _ in logged].count("account_disabled") == 1  # the second call: no-op
    announced = await portal.pool.fetch(
        "SELECT type, envelope FROM outbox WHERE envelope -> 'payload' ->> 'account_id' = $1"
        " AND type IN ('identity.AccountDisabled', 'identity.AccountEnabled') ORDER BY seq",
        account_id,
    )
    assert [r["type"] for r in announced] == [
        "identity.AccountDisabled",
        "identity.AccountEnabled",
    ]
    assert announced[0]["envelope"]["payload"]["disabled_by"] == claims(admin)["sub"]
    reset = await portal.pool.fetchval(
        "SELECT details->>'reason' FROM audit_log WHERE action = 'password_reset_request_ignored'"
    )
    assert reset == "disabled"
    # An invited account gets back to "invited"; an admin cannot disable themselves.
    r = await portal.post(
        "/accounts",
        {"display_name": "Inv", "email": "inv@live.fr", "roles": ["family"], "mode": "invitation"},
        admin,
    )
    invited = (await r.json())["account"]["id"]
    await portal.post(f"/accounts/{invited}/disable", None, admin)
    r = await portal.post(f"/accounts/{invited}/enable", None, admin)
    assert (await r.json())["status"] == "invited"
    r = await portal.post(f"/accounts/{claims(admin)['sub']}/disable", None, admin)
    assert r.status == 409
    assert (await r.json())["detail"] == "Vous ne pouvez pas désactiver votre propre compte."
    assert (await portal.post("/accounts/pas-un-uuid/disable", None, admin)).status == 404
    other = await portal.create_tenant("annecy")
    r = await portal.client.post(
        f"/tenants/annecy/accounts/{account_id}/disable", headers=portal.bearer(other)
    )
    assert r.status == 404  # not an account of that tenant


async def run_identity(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "identity", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_load_demo_is_idempotent_and_refused_in_production(portal: Portal) -> None:
    env = {**portal.settings.to_env(), "LOG_LEVEL": "warning"}
    code, out, err = await run_identity(env, "load-demo")
    assert code == 0, err
    first = json.loads(out)
    assert first["tenant"] == {"demo": "created"}
    assert first["accounts"] == {
        "admin@demo.example": "created (admin, staff)",
        "agent@demo.example": "created (staff)",
        "animateur@demo.example": "created (animator)",
        "famille@demo.example": "created (family)",
    }
    code, out, err = await run_identity(env, "load-demo")
    assert code == 0, err
    second = json.loads(out)
    assert second["tenant"] == {"demo": "already present"}
    assert set(second["accounts"].values()) == {"already present"}
    # Each account was announced once, as an activation (notify's address book learns it).
    announced = await portal.pool.fetch(
        "SELECT envelope FROM outbox WHERE type = 'identity.AccountActivated'"
        " AND envelope ->> 'tenant_id' = 'demo'"
    )
    assert sorted(r["envelope"]["payload"]["email"] for r in announced) == [
        "admin@demo.example",
        "agent@demo.example",
        "animateur@demo.example",
        "famille@demo.example",
    ]
    public = await (await portal.client.get("/tenants/demo")).json()
    assert public["display_name"] == "Ville de Démo"
    assert (public["contact_email"], public["contact_phone"]) == (
        "famille@demo.example",
        "01 23 45 67 89",
    )
    assert public["terms"]["version"] == 1 and public["terms"]["text"]
    for login, roles in (
        ("admin", {"admin", "staff"}),
        ("agent", {"staff"}),
        ("animateur", {"animator"}),
        ("famille", {"family"}),
    ):
        body = await portal.login(f"{login}@demo.example", "Demo-2026-portail", tenant="demo")
        assert set(claims(body["access_token"])["roles"]) == roles
        sites = claims(body["access_token"]).get("sites")
        assert sites == (["École du centre"] if login == "animateur" else None)
        assert body["terms"]["must_accept"] is False
    code, out, err = await run_identity({**env, "APP_ENV": "production"}, "load-demo")
    assert code == 2
    assert "refused: APP_ENV=production" in err and out == ""


async def test_announce_accounts_tells_every_account_again(portal: Portal) -> None:
    session = await portal.family("annonce@live.fr")
    account_id = claims(session["access_token"])["sub"]
    r = await portal.post(f"/accounts/{account_id}/disable", None, portal.admins["epagny"])
    assert r.status == 200
    env = {**portal.settings.to_env(), "LOG_LEVEL": "warning"}
    code, out, err = await run_identity(env, "announce-accounts", "--tenant", "epagny")
    assert code == 0, err
    count = json.loads(out)["announced"]
    accounts = await portal.pool.fetchval("SELECT count(*) FROM accounts WHERE tenant = 'epagny'")
    assert count == accounts >= 2
    announced = await portal.pool.fetch(
        "SELECT envelope FROM outbox WHERE type = 'identity.AccountAnnounced'"
    )
    assert len(announced) == count
    mine = next(
        r["envelope"]["payload"]
        for r in announced
        if r["envelope"]["payload"]["account_id"] == account_id
    )
    assert mine["email"] == "annonce@live.fr" and mine["status"] == "disabled"
    assert all(r["envelope"]["tenant_id"] == "epagny" for r in announced)

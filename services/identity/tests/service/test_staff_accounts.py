"""Accounts as the back-office manages them: site animators, roles changed by an admin,
temporary passwords given to existing accounts, the audit log read per account."""

from __future__ import annotations

from typing import Any

import jwt

Portal = Any


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


async def create(portal: Portal, token: str, email: str, roles: list[str], **extra: Any) -> Any:
    body = {"display_name": "Nouveau compte", "email": email, "roles": roles}
    return await portal.post("/accounts", {"mode": "temporary_password", **body, **extra}, token)


async def first_login(portal: Portal, email: str, temporary: str) -> dict[str, Any]:
    """Log in with a temporary password and choose the real one: the login body."""
    first = await portal.login(email, temporary)
    r = await portal.post(
        "/me/password",
        {"current_password": temporary, "new_password": portal.PASSWORD},
        first["access_token"],
    )
    assert r.status == 200, await r.text()
    return await r.json()


async def staff_token(portal: Portal) -> str:
    """An agent of the town (created by its admin), logged in."""
    r = await create(portal, portal.admins["epagny"], "agent@epagny.fr", ["staff"])
    assert r.status == 201, await r.text()
    body = await first_login(portal, "agent@epagny.fr", (await r.json())["temporary_password"])
    return body["access_token"]


async def patch(portal: Portal, account_id: str, body: Any, token: str) -> Any:
    return await portal.client.patch(
        f"/tenants/epagny/accounts/{account_id}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_an_animator_has_sites_in_tokens_and_profile(portal: Portal) -> None:
    admin = portal.admins["epagny"]
    r = await create(portal, admin, "anim@epagny.fr", ["animator"])
    assert r.status == 422
    problem = await r.json()
    assert [e["field"] for e in problem["errors"]] == ["sites"]
    r = await create(portal, admin, "anim@epagny.fr", ["staff"], sites=["École du centre"])
    assert r.status == 422
    assert [e["field"] for e in (await r.json())["errors"]] == ["sites"]
    staff = await staff_token(portal)
    r = await create(portal, staff, "anim@epagny.fr", ["animator"], sites=["École du centre"])
    assert r.status == 403
    r = await create(
        portal, admin, "anim@epagny.fr", ["animator"], sites=["École du centre", "Centre du Lac"]
    )
    assert r.status == 201, await r.text()
    created = await r.json()
    assert created["account"]["sites"] == ["École du centre", "Centre du Lac"]
    invited = await portal.event("identity.AccountInvited", "anim@epagny.fr")
    assert invited["payload"]["roles"] == ["animator"]
    session = await first_login(portal, "anim@epagny.fr", created["temporary_password"])
    token = claims(session["access_token"])
    assert token["roles"] == ["animator"]
    assert token["sites"] == ["École du centre", "Centre du Lac"]
    me = await (await portal.get("/me", session["access_token"])).json()
    assert (me["roles"], me["sites"]) == (["animator"], ["École du centre", "Centre du Lac"])
    # Other roles carry no sites.
    assert "sites" not in claims(staff)
    admin_me = await (await portal.get("/me", admin)).json()
    assert admin_me["sites"] == []


async def test_an_admin_changes_roles_and_sites(portal: Portal) -> None:
    admin = portal.admins["epagny"]
    r = await create(portal, admin, "collegue@epagny.fr", ["staff"])
    created = await r.json()
    account_id = created["account"]["id"]
    session = await first_login(portal, "collegue@epagny.fr", created["temporary_password"])
    assert claims(session["access_token"])["roles"] == ["staff"]

    staff = await staff_token(portal)
    r = await patch(portal, account_id, {"roles": ["staff", "admin"]}, staff)
    assert r.status == 403
    r = await patch(portal, account_id, {"roles": ["animator"]}, admin)
    assert r.status == 422
    assert [e["field"] for e in (await r.json())["errors"]] == ["sites"]
    r = await patch(portal, account_id, {"roles": ["boss"]}, admin)
    assert r.status == 422
    r = await patch(
        portal,
        account_id,
        {"roles": ["animator"], "sites": ["Centre du Lac"], "display_name": "Léa Animatrice"},
        admin,
    )
    assert r.status == 200, await r.text()
    changed = await r.json()
    assert (changed["roles"], changed["sites"], changed["display_name"]) == (
        ["animator"],
        ["Centre du Lac"],
        "Léa Animatrice",
    )
    # The next refresh carries the new roles; the other services hear of them.
    r = await portal.post("/token/refresh", {"refresh_token": session["refresh_token"]})
    assert r.status == 200
    refreshed = claims((await r.json())["access_token"])
    assert (refreshed["roles"], refreshed["sites"]) == (["animator"], ["Centre du Lac"])
    announced = await portal.pool.fetch(
        "SELECT envelope FROM outbox WHERE type = 'identity.AccountAnnounced'"
        " AND envelope -> 'payload' ->> 'email' = 'collegue@epagny.fr'"
    )
    assert [r["envelope"]["payload"]["roles"] for r in announced] == [["animator"]]
    # Back to staff: the sites go with the animator role.
    r = await patch(portal, account_id, {"roles": ["staff"]}, admin)
    assert (await r.json())["sites"] == []
    r = await portal.get(f"/audit?account_id={account_id}&action=account_updated", admin)
    entries = (await r.json())["items"]
    assert len(entries) == 2
    assert entries[1]["details"]["roles"] == {"before": ["staff"], "after": ["animator"]}
    assert entries[1]["actor_email"] == "admin@epagny.fr"

    # An admin cannot take their own admin role away.
    admin_id = claims(admin)["sub"]
    r = await patch(portal, admin_id, {"roles": ["staff"]}, admin)
    assert r.status == 409
    assert (await r.json())["errors"][0]["field"] == "roles"
    r = await patch(portal, admin_id, {"display_name": "La Maire"}, admin)
    assert r.status == 200
    r = await patch(portal, "00000000-0000-0000-0000-000000000000", {"roles": ["staff"]}, admin)
    assert r.status == 404


async def temporary(portal: Portal, account_id: str, token: str) -> Any:
    return await portal.post(f"/accounts/{account_id}/temporary-password", None, token)


async def test_staff_give_a_family_a_temporary_password(portal: Portal) -> None:
    family = await portal.family("martin@live.fr")
    account_id = claims(family["access_token"])["sub"]
    staff = await staff_token(portal)
    r = await temporary(portal, account_id, staff)
    assert r.status == 200, await r.text()
    given = await r.json()
    password = given["temporary_password"]
    assert given["account"]["must_change_password"] is True
    assert len(password) >= 12
    # The old session ends; the new password leads to the forced change only.
    r = await portal.post("/token/refresh", {"refresh_token": family["refresh_token"]})
    assert r.status == 401
    await portal.login("martin@live.fr", portal.PASSWORD, status=401)
    body = await portal.login("martin@live.fr", password)
    assert body["refresh_token"] is None
    assert claims(body["access_token"])["scope"] == "password-change"
    # Logged: who, whom, never the password.
    r = await portal.get("/audit?action=temporary_password_given", portal.admins["epagny"])
    entries = (await r.json())["items"]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["account_id"], entry["actor_id"]) == (account_id, claims(staff)["sub"])
    assert password not in str(entry)
    rows = await portal.pool.fetch("SELECT details::text FROM audit_log")
    assert all(password not in row[0] for row in rows)


async def test_who_may_give_a_temporary_password_to_whom(portal: Portal) -> None:
    admin = portal.admins["epagny"]
    staff = await staff_token(portal)
    r = await create(portal, admin, "autre@epagny.fr", ["staff"])
    colleague = (await r.json())["account"]["id"]
    r = await temporary(portal, colleague, staff)
    assert r.status == 403
    assert (await r.json())["detail"].startswith("Seul un administrateur")
    r = await temporary(portal, colleague, admin)
    assert r.status == 200
    r = await temporary(portal, claims(staff)["sub"], staff)
    assert r.status == 409
    family = await portal.family("famille@live.fr")
    assert (await temporary(portal, colleague, family["access_token"])).status == 403
    r = await portal.post(f"/accounts/{colleague}/disable", None, admin)
    assert r.status == 200
    r = await temporary(portal, colleague, admin)
    assert r.status == 409
    assert (await r.json())["type"].endswith("/account-disabled")


async def test_a_temporary_password_activates_an_invited_account(portal: Portal) -> None:
    admin = portal.admins["epagny"]
    r = await portal.post(
        "/accounts",
        {
            "display_name": "Famille Invitée",
            "email": "invitee@live.fr",
            "roles": ["family"],
            "mode": "invitation",
        },
        admin,
    )
    created = (await r.json())["account"]
    assert created["status"] == "invited"
    invited = await portal.event("identity.AccountInvited", "invitee@live.fr")
    r = await temporary(portal, created["id"], admin)
    assert r.status == 200
    given = await r.json()
    assert given["account"]["status"] == "active"
    # The invitation link no longer works: the staff handed a password instead.
    link = portal.link_token(invited["payload"]["invitation_url"])
    r = await portal.post("/invitation/accept", {"token": link, "password": portal.PASSWORD})
    assert r.status in (409, 410)
    body = await portal.login("invitee@live.fr", given["temporary_password"])
    assert body["password_change_required"] is True


async def test_the_audit_log_per_account_by_email_paginated(portal: Portal) -> None:
    admin = portal.admins["epagny"]
    for _ in range(3):
        await portal.login("admin@epagny.fr")
    await portal.family("suivi@live.fr")
    await portal.login("suivi@live.fr", "Mauvais-1234", status=401)
    r = await portal.get("/audit?email=suivi@live.fr", admin)
    everything = (await r.json())["items"]
    assert {"login_succeeded", "login_failed"} <= {e["action"] for e in everything}
    assert all(e["account_email"] == "suivi@live.fr" for e in everything)
    r = await portal.get("/audit?email=SUIVI@live.fr&limit=2", admin)
    assert r.status == 200
    page = await r.json()
    assert page["total"] == len(everything) > 2
    assert len(page["items"]) == 2 and page["limit"] == 2
    r = await portal.get("/audit?email=suivi@live.fr&limit=2&offset=2", admin)
    rest = (await r.json())["items"]
    assert page["items"] + rest == everything[:4]
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids, reverse=True)
    # An email typed at the login without an account is found too.
    await portal.login("inconnu@live.fr", "Mauvais-1234", status=401)
    r = await portal.get("/audit?email=inconnu@live.fr", admin)
    assert [e["action"] for e in (await r.json())["items"]] == ["login_failed"]
    # The actor's own entries: what the admin did.
    r = await portal.get("/audit?email=admin@epagny.fr&action=login_succeeded", admin)
    assert (await r.json())["total"] >= 3


async def test_accounts_are_searched_by_name_or_email(portal: Portal) -> None:
    admin = portal.admins["epagny"]
    await create(portal, admin, "lea.dupont@live.fr", ["family"], display_name="Léa Dupont")
    await create(portal, admin, "marc@live.fr", ["family"], display_name="Marc DUPONT")
    await create(portal, admin, "zoe@live.fr", ["family"], display_name="Zoé Martin")
    r = await portal.get("/accounts?q=dupont", admin)
    found = await r.json()
    assert sorted(a["email"] for a in found["items"]) == ["lea.dupont@live.fr", "marc@live.fr"]
    r = await portal.get("/accounts?q=ZOE@&role=family", admin)
    assert [a["email"] for a in (await r.json())["items"]] == ["zoe@live.fr"]

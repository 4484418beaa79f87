"""The staff and family endpoints: rights, validation, pagination, OpenAPI."""

from __future__ import annotations

from notify.events import HANDLERS
from shared.events.consumer import HandlerContext
from shared.keys import POOL

SETTINGS = "/tenants/epagny/settings"


async def test_tenant_settings_defaults_then_set(notify, tokens, h):
    admin = tokens.header(tenant="epagny", roles=("admin",))
    r = await notify.get(SETTINGS, headers=admin)
    assert r.status == 200
    body = await r.json()
    assert body["configured"] is False
    assert body["sender_address"] == "ne-pas-repondre@portail-famille.fr"

    r = await notify.put(SETTINGS, json={**h.CONTACT, "primary_color": "red"}, headers=admin)
    assert r.status == 422
    assert (await r.json())["errors"][0]["field"] == "primary_color"

    r = await notify.put(SETTINGS, json=h.CONTACT, headers=admin)
    assert r.status == 200
    r = await notify.get(SETTINGS, headers=admin)
    body = await r.json()
    assert body["configured"] is True
    assert body["contact_phone"] == "04.50.22.05.57"
    assert body["reply_to"] == "petite-enfance@epagnymetztessy.fr"  # the contact by default


async def test_the_theme_is_public_and_shows_no_sender(notify, tokens, h):
    r = await notify.get("/tenants/epagny/theme")  # no token: the portal's login page
    assert r.status == 200
    body = await r.json()
    assert body["configured"] is False and body["primary_color"] == "#1d4f91"
    admin = tokens.header(tenant="epagny", roles=("admin",))
    assert (await notify.put(SETTINGS, json=h.CONTACT, headers=admin)).status == 200
    body = await (await notify.get("/tenants/epagny/theme")).json()
    assert body == {
        "tenant": "epagny",
        "configured": True,
        "name": "Ville d'Épagny Metz-Tessy",
        "contact_service": "le service Petite Enfance",
        "contact_email": "petite-enfance@epagnymetztessy.fr",
        "contact_phone": "04.50.22.05.57",
        "primary_color": "#00695c",
        "accent_color": "#ffb300",
    }


async def apply(app, conn, event) -> None:
    """The event's handler, in the test's transaction (below the inbox)."""
    await HANDLERS[event.type](HandlerContext(conn, app, producer="notify"), event)


async def test_settings_and_emails_are_for_staff_of_the_tenant(notify, tokens):
    family = tokens.header(tenant="epagny", roles=("family",))
    staff = tokens.header(tenant="epagny", roles=("staff",))
    other = tokens.header(tenant="annecy", roles=("admin",))
    assert (await notify.get(SETTINGS)).status == 401
    assert (await notify.get(SETTINGS, headers=family)).status == 403
    assert (await notify.put(SETTINGS, json={"name": "x"}, headers=staff)).status == 403
    assert (await notify.get(SETTINGS, headers=other)).status == 403
    assert (await notify.get("/tenants/epagny/emails", headers=family)).status == 403
    assert (await notify.get("/tenants/epagny/emails", headers=staff)).status == 200


async def test_emails_listing_filters_and_pages(notify, tokens, h):
    pool = notify.app[POOL]
    events = [h.identity_event("identity.PasswordChanged") for _ in range(3)]
    events.append(h.identity_event("identity.PasswordChanged", email="autre@example.org"))
    events.append(h.identity_event("identity.PasswordChanged", tenant="annecy"))
    async with pool.acquire() as conn, conn.transaction():
        for event in events:
            await apply(notify.app, conn, event)
    staff = tokens.header(tenant="epagny", roles=("staff",))
    url = "/tenants/epagny/emails"
    r = await notify.get(
        url, params={"recipient": "Simon.Durand@example.org", "limit": 2}, headers=staff
    )
    page = await r.json()
    assert len(page["items"]) == 2 and page["next_offset"] == 2
    r = await notify.get(
        url,
        params={"recipient": "simon.durand@example.org", "offset": 2, "limit": 2},
        headers=staff,
    )
    page = await r.json()
    assert len(page["items"]) == 1 and page["next_offset"] is None
    account = str(events[3].payload["account_id"])
    r = await notify.get(url, params={"account_id": account}, headers=staff)
    (item,) = (await r.json())["items"]
    assert item["recipient"] == "autre@example.org"
    r = await notify.get(url, params={"status": "nope"}, headers=staff)
    assert r.status == 422


async def test_one_email_for_staff_of_its_tenant(notify, tokens, h):
    event = h.identity_event("identity.PasswordChanged")
    async with notify.app[POOL].acquire() as conn, conn.transaction():
        await apply(notify.app, conn, event)
    staff = tokens.header(tenant="epagny", roles=("staff",))
    r = await notify.get("/tenants/epagny/emails", headers=staff)
    (listed,) = (await r.json())["items"]
    url = f"/tenants/epagny/emails/{listed['id']}"
    r = await notify.get(url, headers=staff)
    assert r.status == 200
    # The dispatcher may send it between the two reads: its sending state may have moved on.
    sending = {"status", "attempts", "next_attempt_at", "last_error", "sent_at", "subject"}
    one = await r.json()
    assert {k: v for k, v in one.items() if k not in sending} == {
        k: v for k, v in listed.items() if k not in sending
    }
    assert set(one) == set(listed)
    family = tokens.header(tenant="epagny", roles=("family",))
    assert (await notify.get(url, headers=family)).status == 403
    other = tokens.header(tenant="annecy", roles=("staff",))
    r = await notify.get(url.replace("epagny", "annecy"), headers=other)
    assert r.status == 404
    assert (await r.json())["detail"] == "Ce courriel est introuvable."
    r = await notify.get("/tenants/epagny/emails/pas-un-id", headers=staff)
    assert r.status == 404


async def test_notifications_are_the_callers_own(notify, tokens, h):
    pool = notify.app[POOL]
    mine = h.identity_event("identity.PasswordChanged")
    theirs = h.identity_event("identity.AccountLocked")
    async with pool.acquire() as conn, conn.transaction():
        await apply(notify.app, conn, mine)
        await apply(notify.app, conn, theirs)
    me = tokens.header(tenant="epagny", account_id=str(mine.payload["account_id"]))
    them = tokens.header(tenant="epagny", account_id=str(theirs.payload["account_id"]))
    r = await notify.get("/tenants/epagny/me/notifications", headers=me)
    page = await r.json()
    assert page["unread_count"] == 1
    (item,) = page["items"]
    assert item["title"] == "Mot de passe modifié" and item["read"] is False
    r = await notify.post(f"/tenants/epagny/me/notifications/{item['id']}/read", headers=them)
    assert r.status == 404
    r = await notify.post("/tenants/epagny/me/notifications/pas-un-id/read", headers=me)
    assert r.status == 404
    r = await notify.post("/tenants/epagny/me/notifications/read", headers=me)
    assert (await r.json()) == {"marked": 1, "unread_count": 0}
    r = await notify.get("/tenants/epagny/me/notifications", headers=them)
    assert (await r.json())["unread_count"] == 1


async def test_openapi_describes_the_endpoints(notify):
    r = await notify.get("/openapi.json")
    spec = await r.json()
    assert {
        "/tenants/{tenant}/settings",
        "/tenants/{tenant}/emails",
        "/tenants/{tenant}/emails/{email_id}",
        "/tenants/{tenant}/me/notifications",
        "/tenants/{tenant}/me/notifications/{notification_id}/read",
        "/tenants/{tenant}/news",
        "/tenants/{tenant}/news/{news_id}",
        "/tenants/{tenant}/news/{news_id}/attachments",
        "/tenants/{tenant}/news/{news_id}/attachments/{attachment_id}",
        "/tenants/{tenant}/me/news",
        "/tenants/{tenant}/me/news/{news_id}/attachments/{attachment_id}",
        "/tenants/{tenant}/pages",
        "/tenants/{tenant}/pages/{slug}",
        "/tenants/{tenant}/menus",
        "/tenants/{tenant}/menus/{week_start}",
    } <= set(spec["paths"])
    create = spec["paths"]["/tenants/{tenant}/news"]["post"]
    assert {"201", "403", "413", "415", "422"} <= set(create["responses"])
    news = spec["components"]["schemas"]["NewsIn"]["properties"]
    assert "string" in news["publish_from"]["type"]

"""What a family receives, through the real bus, Postgres and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

from notify.dispatcher import DISPATCHER
from shared.keys import POOL
from shared.testing.bus import eventually
from shared.testing.processes import free_port

EMAILS = "/tenants/epagny/emails"


async def configure(notify, tokens, h) -> None:
    r = await notify.put(
        "/tenants/epagny/settings",
        json=h.CONTACT,
        headers=tokens.header(tenant="epagny", roles=("admin",)),
    )
    assert r.status == 200, await r.text()


async def delivered(smtp, count: int = 1):
    async def enough():
        return len(smtp.messages) >= count

    await eventually(enough)
    return smtp.messages


def parts(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


async def test_activation_email_as_the_family_receives_it(notify, smtp, tokens, h):
    await configure(notify, tokens, h)
    event = h.identity_event("identity.AccountRegistered", display_name="Léa Martin")
    url = event.payload["activation_url"]
    await h.publish(notify, event)
    (message,) = await delivered(smtp)

    assert (
        message["Subject"] == "Activez votre compte du portail famille de Ville d'Épagny Metz-Tessy"
    )
    assert message["To"] == "simon.durand@example.org"
    assert message["From"].addresses[0].display_name == "Portail famille d'Épagny Metz-Tessy"
    assert message["From"].addresses[0].addr_spec == "portail-famille@epagnymetztessy.fr"
    assert message["Reply-To"] == "petite-enfance@epagnymetztessy.fr"
    text, html = parts(message)
    assert "Bonjour Léa Martin," in text
    assert "Pour l'activer" in text
    assert url in text
    assert f'href="{url}"' in html  # the button: the link works as is (no & in it)
    assert "Activer mon compte" in html
    footer = (
        "contactez le service Petite Enfance : petite-enfance@epagnymetztessy.fr"
        " ou au 04.50.22.05.57."
    )
    assert footer in text
    assert footer in html
    assert "#00695c" in html  # the tenant's colour

    (row,) = await notify.app[POOL].fetch("SELECT id, status, attempts FROM emails")
    assert message["Message-ID"] == f"<{row['id']}@epagnymetztessy.fr>"
    await eventually(lambda: _status(notify, row["id"], "sent"))

    staff = tokens.header(tenant="epagny", roles=("staff",))
    r = await notify.get(EMAILS, params={"recipient": "simon.durand@example.org"}, headers=staff)
    assert r.status == 200
    (listed,) = (await r.json())["items"]
    assert listed["status"] == "sent"
    assert listed["subject"] == message["Subject"]
    assert listed["attempts"] == 1
    assert "context" not in listed  # the activation token stays out of staff listings

    family = tokens.header(
        tenant="epagny", roles=("family",), account_id=str(event.payload["account_id"])
    )
    r = await notify.get("/tenants/epagny/me/notifications", headers=family)
    page = await r.json()
    assert page["unread_count"] == 1
    (notification,) = page["items"]
    assert "simon.durand@example.org" in notification["body"]
    r = await notify.post(
        f"/tenants/epagny/me/notifications/{notification['id']}/read", headers=family
    )
    assert r.status == 200 and (await r.json())["read"] is True
    r = await notify.get("/tenants/epagny/me/notifications", headers=family)
    assert (await r.json())["unread_count"] == 0


async def _status(notify, email_id, status: str) -> bool:
    value = await notify.app[POOL].fetchval("SELECT status FROM emails WHERE id = $1", email_id)
    return value == status


async def test_redelivered_event_sends_one_email(notify, smtp, h):
    event = h.identity_event("identity.PasswordResetRequested")
    await h.publish(notify, event)
    await h.publish(notify, event)  # the same envelope again (a relay crashed after publishing)
    await delivered(smtp)
    await asyncio.sleep(1.0)  # the second delivery has been consumed by now
    assert len(smtp.messages) == 1
    pool = notify.app[POOL]
    assert await pool.fetchval("SELECT count(*) FROM emails") == 1
    assert await pool.fetchval("SELECT count(*) FROM notifications") == 1


async def test_the_same_event_applied_twice_queues_one_email(notify, h):
    """Below the inbox: the unique (event, recipient) key alone keeps it exactly once."""
    from notify.usecases import accounts

    event = h.identity_event("identity.EmailChangeRequested")
    async with notify.app[POOL].acquire() as conn, conn.transaction():
        assert await accounts.email_change_requested(h.joining(conn), event) == 2
        assert await accounts.email_change_requested(h.joining(conn), event) == 0
    assert await notify.app[POOL].fetchval("SELECT count(*) FROM emails") == 2


async def test_temporary_refusals_are_retried_and_delivered_once(notify, smtp, tokens, h):
    smtp.refuse("451 4.3.0 Serveur surchargé, réessayez plus tard", times=2)
    event = h.identity_event("identity.PasswordResetRequested")
    await h.publish(notify, event)
    (message,) = await delivered(smtp)
    assert event.payload["reset_url"] in parts(message)[0]
    assert smtp.refused == 2
    row = await notify.app[POOL].fetchrow("SELECT * FROM emails")
    await eventually(lambda: _status(notify, row["id"], "sent"))
    row = await notify.app[POOL].fetchrow("SELECT * FROM emails")
    assert row["attempts"] == 3
    assert row["last_error"] is None
    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 1


async def test_permanent_refusal_is_recorded_with_the_answer(notify, smtp, tokens, h):
    smtp.refuse("550 5.1.1 Adresse inconnue", times=1)
    await h.publish(notify, h.identity_event("identity.AccountLocked", email="nobody@example.org"))
    staff = tokens.header(tenant="epagny", roles=("staff",))

    async def failed():
        r = await notify.get(EMAILS, params={"status": "failed"}, headers=staff)
        return (await r.json())["items"]

    (listed,) = await eventually(failed)
    assert listed["recipient"] == "nobody@example.org"
    assert listed["attempts"] == 1
    assert "550" in listed["last_error"] and "Adresse inconnue" in listed["last_error"]
    assert listed["subject"] == "Votre compte est temporairement bloqué"
    await asyncio.sleep(0.5)
    assert smtp.messages == []


async def test_connection_refused_is_retried_until_the_server_answers(
    make_settings, aiohttp_client, smtp, h
):
    from notify.app import create_app
    from notify.settings import NotifySettings
    from shared.keys import CONSUMERS

    settings = make_settings(
        NotifySettings,
        smtp_port=free_port(),  # nothing listens there
        dispatch_sweep_seconds=0.1,
        mail_retry_delays_ms=(100, 200),
        mail_max_attempts=50,
    )
    client = await aiohttp_client(create_app(settings))
    await eventually(lambda: _consuming(client.app[CONSUMERS]), timeout=20)
    await h.publish(client, h.identity_event("identity.PasswordChanged"))

    async def refused():
        row = await client.app[POOL].fetchrow("SELECT * FROM emails")
        return row if row and row["attempts"] >= 2 and row["last_error"] else None

    row = await eventually(refused)
    assert row["status"] == "queued"
    assert "Connect" in row["last_error"] or "refused" in row["last_error"].lower()
    # The server comes back (here: the dispatcher is pointed at it).
    dispatcher = client.app[DISPATCHER]
    dispatcher.mailer.settings = dataclasses.replace(settings, smtp_port=smtp.port)
    (message,) = await delivered(smtp)
    assert message["Subject"] == "Votre mot de passe a été modifié"
    await eventually(lambda: _status(client, row["id"], "sent"))


async def _consuming(consumers) -> bool:
    return all(c.running for c in consumers)


async def test_email_change_warns_both_addresses(notify, smtp, h):
    requested = h.identity_event(
        "identity.EmailChangeRequested",
        email="ancienne@example.org",
        new_email="nouvelle@example.org",
    )
    changed = h.identity_event(
        "identity.EmailChanged",
        account_id=requested.payload["account_id"],
        email="nouvelle@example.org",
        old_email="ancienne@example.org",
    )
    await h.publish(notify, requested)
    await delivered(smtp, 2)
    await h.publish(notify, changed)
    await delivered(smtp, 3)

    (confirm,) = smtp.to("nouvelle@example.org")
    assert confirm["Subject"] == "Confirmez votre nouvelle adresse e-mail"
    assert requested.payload["confirmation_url"] in parts(confirm)[0]
    notice, done = smtp.to("ancienne@example.org")
    if notice["Subject"] != "Demande de changement de votre adresse e-mail":
        notice, done = done, notice
    assert notice["Subject"] == "Demande de changement de votre adresse e-mail"
    assert requested.payload["confirmation_url"] not in parts(notice)[0]  # the link: new only
    assert "nouvelle@example.org" in parts(notice)[0]
    assert done["Subject"] == "L'adresse e-mail de votre compte a été modifiée"
    assert "est désormais nouvelle@example.org" in parts(done)[0]


async def test_invitation_without_link_sends_no_email(notify, smtp, tokens, h):
    event = h.identity_event(
        "identity.AccountInvited", invitation_url=None, expires_at=None, roles=["family"]
    )
    await h.publish(notify, event)
    family = tokens.header(
        tenant="epagny", roles=("family",), account_id=str(event.payload["account_id"])
    )

    async def notified():
        r = await notify.get("/tenants/epagny/me/notifications", headers=family)
        return (await r.json())["items"]

    await eventually(notified)
    await asyncio.sleep(0.3)
    assert smtp.messages == []
    assert await notify.app[POOL].fetchval("SELECT count(*) FROM emails") == 0


async def test_every_identity_email_goes_out_with_defaults(notify, smtp, h):
    """No tenant settings: sensible defaults, still a working link and a footer."""
    types = [
        "identity.AccountRegistered",
        "identity.AccountActivated",
        "identity.AccountInvited",
        "identity.PasswordResetRequested",
        "identity.PasswordChanged",
        "identity.EmailChanged",
        "identity.AccountLocked",
    ]
    for event_type in types:
        await h.publish(notify, h.identity_event(event_type))
    messages = await delivered(smtp, len(types))
    for message in messages:
        assert message["From"].addresses[0].addr_spec == "ne-pas-repondre@portail-famille.fr"
        text, html = parts(message)
        assert text.startswith("Epagny\r\n\r\nBonjour")
        assert "En cas de problème lié à l'utilisation du portail famille" in text
        assert '<html lang="fr">' in html


async def test_an_announced_account_is_recorded_and_nobody_is_emailed(notify, smtp, h):
    """identity's announce-accounts, for a notify deployed after the accounts existed."""
    import uuid

    event = h.identity_event(
        "identity.AccountAnnounced",
        email="deja.inscrite@example.org",
        display_name="Déjà Inscrite",
        roles=["family"],
        status="active",
    )
    await h.publish(notify, event)
    pool = notify.app[POOL]

    async def recorded():
        return await pool.fetchval(
            "SELECT email FROM accounts WHERE account_id = $1",
            uuid.UUID(str(event.payload["account_id"])),
        )

    assert await eventually(recorded) == "deja.inscrite@example.org"
    await asyncio.sleep(0.5)  # an email would be queued in the same transaction as the account
    assert await pool.fetchval("SELECT count(*) FROM emails") == 0
    assert smtp.messages == []


async def test_the_invitations_the_server_refused_listed_by_type_and_status(
    notify, smtp, tokens, h
):
    """The onboarding report's question: of these accounts, whose invitation bounced."""
    staff = tokens.header(tenant="epagny", roles=("staff",))
    invited = dict(roles=["family"])
    smtp.refuse("550 5.1.1 <inconnu@example.org>: Recipient address rejected", times=1)
    bounced = h.identity_event("identity.AccountInvited", email="inconnu@example.org", **invited)
    await h.publish(notify, bounced)

    async def listed(**params: str) -> list[dict]:
        r = await notify.get(EMAILS, params=params, headers=staff)
        assert r.status == 200, await r.text()
        return (await r.json())["items"]

    failed = {"event_type": "identity.AccountInvited", "status": "failed"}
    await eventually(lambda: listed(**failed))
    delivered_one = h.identity_event(
        "identity.AccountInvited", email="claire@example.org", **invited
    )
    await h.publish(notify, delivered_one)
    await delivered(smtp)
    # Another event type failed for the same account: not an invitation.
    smtp.refuse("550 5.1.1 Adresse inconnue", times=1)
    locked = h.identity_event(
        "identity.AccountLocked",
        account_id=bounced.payload["account_id"],
        email="inconnu@example.org",
    )
    await h.publish(notify, locked)

    async def all_settled() -> bool:
        return len(await listed(status="failed")) == 2 and len(await listed(status="sent")) == 1

    await eventually(all_settled)

    both = f"{bounced.payload['account_id']},{delivered_one.payload['account_id']}"
    (one,) = await listed(**failed, account_id=both)
    assert one["account_id"] == str(bounced.payload["account_id"])
    assert one["event_type"] == "identity.AccountInvited"
    assert one["recipient"] == "inconnu@example.org"
    assert "550" in one["last_error"] and "Recipient address rejected" in one["last_error"]
    # Without the status: both invitations; one account alone still works as before.
    assert len(await listed(event_type="identity.AccountInvited", account_id=both)) == 2
    alone = await listed(account_id=str(bounced.payload["account_id"]), status="failed")
    assert {e["event_type"] for e in alone} == {
        "identity.AccountInvited",
        "identity.AccountLocked",
    }
    assert await listed(**failed, account_id=str(delivered_one.payload["account_id"])) == []

    for bad, field in (
        ({"account_id": "pas-un-id"}, "account_id"),
        ({"account_id": ",".join(str(uuid.uuid4()) for _ in range(201))}, "account_id"),
        ({"event_type": "AccountInvited; DROP"}, "event_type"),
    ):
        r = await notify.get(EMAILS, params=bad, headers=staff)
        assert r.status == 422, bad
        assert (await r.json())["errors"][0]["field"] == field

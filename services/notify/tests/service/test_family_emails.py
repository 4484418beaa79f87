"""The family events' emails, through the real bus, Postgres and an SMTP server (aiosmtpd):
addressed to accounts, they reach every account linked to the household, in French."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import date, timedelta

from shared.keys import CONSUMERS, POOL
from shared.testing.bus import eventually

EMAILS = "/tenants/epagny/emails"
FOOTER = (
    "contactez le service Petite Enfance : petite-enfance@epagnymetztessy.fr ou au 04.50.22.05.57."
)


async def configure(notify, tokens, h) -> None:
    r = await notify.put(
        "/tenants/epagny/settings",
        json=h.CONTACT,
        headers=tokens.header(tenant="epagny", roles=("admin",)),
    )
    assert r.status == 200, await r.text()


async def known_account(notify, h, email: str, name: str, tenant: str = "epagny") -> uuid.UUID:
    """An account identity told notify about (an invitation without link: no email of its own)."""
    event = h.identity_event(
        "identity.AccountInvited",
        tenant=tenant,
        account_id=uuid.uuid4(),
        email=email,
        display_name=name,
        roles=["family"],
        invitation_url=None,
        expires_at=None,
    )
    await h.publish(notify, event)
    account_id = event.payload["account_id"]
    pool = notify.app[POOL]

    async def recorded():
        return await pool.fetchval(
            "SELECT email FROM accounts WHERE tenant = $1 AND account_id = $2",
            tenant,
            uuid.UUID(account_id),
        )

    assert await eventually(recorded) == email
    return uuid.UUID(account_id)


async def household(notify, h, *accounts: uuid.UUID) -> uuid.UUID:
    household_id = uuid.uuid4()
    for account_id in accounts:
        await h.publish(
            notify,
            h.family_event(
                "family.HouseholdLinked", household_id=household_id, account_id=account_id
            ),
        )
    pool = notify.app[POOL]

    async def linked():
        count = await pool.fetchval(
            "SELECT count(*) FROM household_members WHERE household_id = $1", household_id
        )
        return count == len(accounts)

    await eventually(linked)
    return household_id


async def delivered(smtp, count: int):
    async def enough():
        return len(smtp.messages) >= count

    await eventually(enough)
    return smtp.messages


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


async def notifications(notify, tokens, account_id: uuid.UUID) -> list[dict]:
    """The account's unread notifications, but the welcome one of its (test) invitation."""
    family = tokens.header(tenant="epagny", roles=("family",), account_id=str(account_id))
    r = await notify.get(
        "/tenants/epagny/me/notifications", params={"unread": "true"}, headers=family
    )
    assert r.status == 200
    return [item for item in (await r.json())["items"] if item["kind"] != "account_invited"]


async def test_both_guardians_are_told_of_a_rejected_change(notify, smtp, tokens, h):
    await configure(notify, tokens, h)
    simon = await known_account(notify, h, "simon.durand@example.org", "Simon Durand")
    claire = await known_account(notify, h, "claire.durand@example.org", "Claire Durand")
    household_id = await household(notify, h, simon, claire)
    reason = "Le justificatif de domicile fourni date de plus de trois mois."
    event = h.family_event(
        "family.ChangeRequestDecided",
        household_id=household_id,
        decision="rejected",
        reason=reason,
        summary="Modification du foyer : adresse",
        submitted_by=simon,
        account_ids=[simon],  # family names who it knows; the household's other account too
    )
    await h.publish(notify, event)
    messages = await delivered(smtp, 2)

    assert sorted(m["To"] for m in messages) == [
        "claire.durand@example.org",
        "simon.durand@example.org",
    ]
    assert sorted(rcpts[0] for _, rcpts in smtp.envelopes) == [
        "claire.durand@example.org",
        "simon.durand@example.org",
    ]
    for message in messages:
        name = "Simon Durand" if message["To"].startswith("simon") else "Claire Durand"
        assert message["Subject"] == "Votre modification du dossier famille a été refusée"
        assert message["From"].addresses[0].addr_spec == "portail-famille@epagnymetztessy.fr"
        text, html = text_of(message), html_of(message)
        assert f"Bonjour {name}," in text and f"Bonjour {name}," in html
        assert "Le service Petite Enfance n'a pas accepté la modification" in text
        assert "Modification du foyer : adresse" in text
        assert f"Motif du refus :\n{reason}\n" in text
        assert reason in html
        assert "\nhttps://portail.epagnymetztessy.fr/dossier\n" in text
        assert FOOTER in text and FOOTER in html
        assert "#00695c" in html

    for account_id in (simon, claire):
        (item,) = await notifications(notify, tokens, account_id)
        assert item["kind"] == "change_rejected"
        assert item["title"] == "Modification refusée"
        assert reason in item["body"]

    staff = tokens.header(tenant="epagny", roles=("staff",))

    async def sent():
        r = await notify.get(EMAILS, params={"account_id": str(claire)}, headers=staff)
        items = (await r.json())["items"]
        return items if items and items[0]["status"] == "sent" else None

    (listed,) = await eventually(sent)
    assert listed["recipient"] == "claire.durand@example.org"
    assert listed["subject"] == "Votre modification du dossier famille a été refusée"

    # Redelivered (a relay crashed after publishing): nothing more.
    await h.publish(notify, event)
    await asyncio.sleep(1.0)
    assert len(smtp.messages) == 2
    pool = notify.app[POOL]
    assert await pool.fetchval("SELECT count(*) FROM emails WHERE event_id = $1", event.id) == 2
    assert (
        await pool.fetchval("SELECT count(*) FROM notifications WHERE event_id = $1", event.id) == 2
    )


async def test_documents_and_request_answers(notify, smtp, tokens, h):
    await configure(notify, tokens, h)
    lea = await known_account(notify, h, "lea.martin@example.org", "Léa Martin")
    household_id = await household(notify, h, lea)
    validated = h.family_event(
        "family.DocumentValidated",
        household_id=household_id,
        document_type="avis_imposition",
        document_label="Avis d'imposition",
        valid_until=date(2026, 8, 31),
        account_ids=[lea],
    )
    await h.publish(notify, validated)
    (message,) = await delivered(smtp, 1)
    assert message["To"] == "lea.martin@example.org"
    assert message["Subject"] == "Votre document « Avis d'imposition » a été validé"
    assert "Il est valable jusqu'au 31 août 2026." in text_of(message)
    assert "\nhttps://portail.epagnymetztessy.fr/documents\n" in text_of(message)

    rejected = h.family_event(
        "family.DocumentRejected",
        household_id=household_id,
        document_type="attestation_caf",
        reason="L'attestation est au nom d'une autre famille.",
        account_ids=[lea],
    )
    await h.publish(notify, rejected)
    message = (await delivered(smtp, 2))[1]
    assert message["Subject"] == "Votre document « Attestation CAF » a été refusé"
    text = text_of(message)
    assert "n'a pas pu valider votre document « Attestation CAF »" in text
    assert "Motif du refus :\nL'attestation est au nom d'une autre famille.\n" in text

    request_id = uuid.uuid4()
    answered = h.family_event(
        "family.RequestAnswered",
        household_id=household_id,
        request_id=request_id,
        subject="Absence de Léa le 3 mars",
        status="answered",
        account_ids=[lea],
    )
    await h.publish(notify, answered)
    message = (await delivered(smtp, 3))[2]
    assert message["Subject"] == "Réponse à votre demande « Absence de Léa le 3 mars »"
    link = f"https://portail.epagnymetztessy.fr/demandes/{request_id}"
    assert f"\n{link}\n" in text_of(message)
    assert f'<a href="{link}"' in html_of(message)
    assert "Le service Petite Enfance a répondu à votre demande" in text_of(message)

    items = await notifications(notify, tokens, lea)
    assert [item["title"] for item in items] == [
        "Réponse à votre demande",
        "Document refusé",
        "Document validé",
    ]


async def test_email_waits_for_an_address_not_known_yet(notify, smtp, tokens, h):
    """The family event overtook identity's: the notification is there at once, the email
    waits (queued, « adresse inconnue ») and goes out when the address arrives."""
    await configure(notify, tokens, h)
    newcomer = uuid.uuid4()
    event = h.family_event(
        "family.DocumentValidated",
        document_type="livret_famille",
        document_label="Livret de famille",
        account_ids=[newcomer],
    )
    await h.publish(notify, event)
    pool = notify.app[POOL]

    async def waiting():
        row = await pool.fetchrow("SELECT * FROM emails WHERE event_id = $1", event.id)
        return row if row and row["last_error"] else None

    row = await eventually(waiting)
    assert row["status"] == "queued"
    assert row["recipient"] is None
    assert row["attempts"] == 0  # waiting for an address is not an SMTP attempt
    assert row["last_error"].startswith("adresse inconnue")
    items = await notifications(notify, tokens, newcomer)
    assert [item["title"] for item in items] == ["Document validé"]
    assert smtp.messages == []

    await known_account(notify, h, "quelqu.un@example.org", "Quelqu'un d'autre")
    await asyncio.sleep(0.3)  # another account's address: still waiting
    assert smtp.messages == []
    invited = h.identity_event(
        "identity.AccountInvited",
        account_id=newcomer,
        email="ines.nouvelle@example.org",
        display_name="Inès Nouvelle",
        roles=["family"],
        invitation_url=None,
        expires_at=None,
    )
    await h.publish(notify, invited)
    (message,) = await delivered(smtp, 1)
    assert message["To"] == "ines.nouvelle@example.org"
    assert message["Subject"] == "Votre document « Livret de famille » a été validé"
    assert "Bonjour Inès Nouvelle," in text_of(message)

    async def sent():
        row = await pool.fetchrow("SELECT * FROM emails WHERE event_id = $1", event.id)
        return row if row["status"] == "sent" else None

    row = await eventually(sent)
    assert row["recipient"] == "ines.nouvelle@example.org"
    assert row["attempts"] == 1
    assert row["last_error"] is None


async def test_unknown_address_is_failed_after_the_wait(
    make_settings, aiohttp_client, smtp, tokens, h
):
    from notify.app import create_app
    from notify.settings import NotifySettings

    settings = make_settings(
        NotifySettings,
        smtp_port=smtp.port,
        dispatch_sweep_seconds=0.1,
        mail_address_wait_seconds=1.0,
        mail_address_recheck_seconds=0.2,
    )
    client = await aiohttp_client(create_app(settings))

    async def consuming():
        return all(c.running for c in client.app[CONSUMERS])

    await eventually(consuming, timeout=20)
    stranger = uuid.uuid4()
    await h.publish(
        client,
        h.family_event("family.RequestAnswered", account_ids=[stranger]),
    )
    staff = tokens.header(tenant="epagny", roles=("staff",))

    async def failed():
        r = await client.get(EMAILS, params={"status": "failed"}, headers=staff)
        return (await r.json())["items"]

    (listed,) = await eventually(failed)
    assert listed["account_id"] == str(stranger)
    assert listed["recipient"] is None
    assert listed["attempts"] == 0
    assert listed["last_error"].startswith("adresse inconnue : aucune adresse e-mail connue")
    assert smtp.messages == []


async def test_the_latest_address_of_the_tenant_is_used(notify, smtp, h):
    """An older identity event delivered late does not bring back an old address; an account
    of another tenant is not this one."""
    from notify.usecases import accounts, households

    pool = notify.app[POOL]
    account_id = uuid.uuid4()
    changed = h.identity_event(
        "identity.EmailChanged",
        account_id=account_id,
        email="simon.nouveau@example.org",
        old_email="simon.ancien@example.org",
    )
    late = h.identity_event(
        "identity.AccountActivated", account_id=account_id, email="simon.ancien@example.org"
    )
    late = dataclasses.replace(late, occurred_at=changed.occurred_at - timedelta(minutes=5))
    elsewhere = h.identity_event(
        "identity.AccountActivated",
        tenant="annecy",
        account_id=account_id,
        email="autre@example.org",
    )
    decided = h.family_event("family.ChangeRequestDecided", account_ids=[account_id])
    async with pool.acquire() as conn, conn.transaction():
        await accounts.email_changed(h.joining(conn), changed)
        await accounts.account_activated(h.joining(conn), late)
        await accounts.account_activated(h.joining(conn), elsewhere)
        assert await households.change_request_decided(h.joining(conn), decided) == 1
        # once per (event, account)
        assert await households.change_request_decided(h.joining(conn), decided) == 0
    assert (
        await pool.fetchval(
            "SELECT email FROM accounts WHERE tenant = 'epagny' AND account_id = $1", account_id
        )
        == "simon.nouveau@example.org"
    )

    async def to_the_new_address():
        return [m for m in smtp.messages if m["Subject"].startswith("Votre modification")]

    (message,) = await eventually(to_the_new_address)
    assert message["To"] == "simon.nouveau@example.org"


async def test_creation_refused_and_anonymised_household(notify, smtp, tokens, h):
    """A refused household creation is told to the account that asked; once a household is
    anonymised its accounts are no longer told of it."""
    from notify.usecases import households

    await configure(notify, tokens, h)
    paul = await known_account(notify, h, "paul.bernard@example.org", "Paul Bernard")
    await h.publish(
        notify,
        h.family_event(
            "family.HouseholdCreationRejected",
            change_id=uuid.uuid4(),
            account_id=paul,
            reason="Un dossier existe déjà à votre adresse : utilisez votre code abonné.",
        ),
    )
    (message,) = await delivered(smtp, 1)
    assert message["To"] == "paul.bernard@example.org"
    assert message["Subject"] == "Votre demande de création de dossier famille a été refusée"
    assert "Un dossier existe déjà à votre adresse" in text_of(message)
    (item,) = await notifications(notify, tokens, paul)
    assert item["title"] == "Création du dossier famille refusée"

    household_id = await household(notify, h, paul)
    await h.publish(
        notify,
        h.family_event("family.HouseholdAnonymised", household_id=household_id, account_ids=[paul]),
    )
    pool = notify.app[POOL]

    async def unlinked():
        count = await pool.fetchval(
            "SELECT count(*) FROM household_members WHERE household_id = $1", household_id
        )
        return count == 0

    await eventually(unlinked)
    late = h.family_event("family.DocumentValidated", household_id=household_id, account_ids=[])
    async with pool.acquire() as conn, conn.transaction():
        assert await households.document_validated(h.joining(conn), late) == 0

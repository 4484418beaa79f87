"""The billing events' emails, through the real bus, Postgres and an SMTP server (aiosmtpd):
a new invoice and a credit note reach every guardian linked to the household, in French,
once each, with an in-app notification; staff (who finalise campaigns and cancel days) never
receive them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from shared.keys import POOL
from shared.testing.bus import eventually

SIMON, CLAIRE = "simon.durand@example.org", "claire.durand@example.org"
AGENT = "regisseur@epagnymetztessy.fr"
FACTURES = "https://portail.epagnymetztessy.fr/factures"
FOOTER = (
    "contactez le service Petite Enfance : petite-enfance@epagnymetztessy.fr ou au 04.50.22.05.57."
)


async def known_account(notify, h, email: str, name: str, roles: list[str]) -> uuid.UUID:
    """An account identity told notify about (an invitation without link: no email of its own)."""
    account_id = uuid.uuid4()
    await h.publish(
        notify,
        h.identity_event(
            "identity.AccountInvited",
            account_id=account_id,
            email=email,
            display_name=name,
            roles=roles,
            invitation_url=None,
            expires_at=None,
        ),
    )
    pool = notify.app[POOL]

    async def recorded():
        return await pool.fetchval(
            "SELECT email FROM accounts WHERE tenant = 'epagny' AND account_id = $1", account_id
        )

    assert await eventually(recorded) == email
    return account_id


async def family(notify, tokens, h) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]:
    """Simon and Claire linked to their household, and an agent of the régie (staff):
    (household, simon, claire, agent)."""
    r = await notify.put(
        "/tenants/epagny/settings",
        json=h.CONTACT,
        headers=tokens.header(tenant="epagny", roles=("admin",)),
    )
    assert r.status == 200, await r.text()
    simon = await known_account(notify, h, SIMON, "Simon Durand", ["family"])
    claire = await known_account(notify, h, CLAIRE, "Claire Durand", ["family"])
    agent = await known_account(notify, h, AGENT, "Régisseur", ["staff"])
    household_id = uuid.uuid4()
    for account_id in (simon, claire):
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
        return count == 2

    await eventually(linked)
    return household_id, simon, claire, agent


async def delivered(smtp, count: int):
    async def enough():
        return len(smtp.messages) >= count

    await eventually(enough)
    return smtp.messages


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


async def notices(notify, tokens, account_id: uuid.UUID, kind: str) -> list[dict]:
    header = tokens.header(tenant="epagny", roles=("family",), account_id=str(account_id))
    r = await notify.get("/tenants/epagny/me/notifications", headers=header)
    assert r.status == 200
    return [item for item in (await r.json())["items"] if item["kind"] == kind]


async def nothing_for_staff(notify, smtp, agent: uuid.UUID, event_ids: list[uuid.UUID]) -> None:
    pool = notify.app[POOL]
    assert smtp.to(AGENT) == []
    assert not await pool.fetchval(
        "SELECT count(*) FROM emails WHERE account_id = $1 OR recipient = $2", agent, AGENT
    )
    assert not await pool.fetchval(
        "SELECT count(*) FROM notifications WHERE account_id = $1 AND event_id = ANY($2::uuid[])",
        agent,
        event_ids,
    )


def invoice(h, household_id: uuid.UUID, **extra):
    values = {
        "household_id": household_id,
        "invoice_id": uuid.uuid4(),
        "number": "F-CANTINE-2026-000042",
        "due_date": date(2027, 1, 15),
        "total_cents": 8255,
        "credit_cents": 1200,
        "amount_due_cents": 7055,
        "origin": "campaign",
        "basket_id": None,
        "campaign_id": uuid.uuid4(),
    }
    return h.billing_event("billing.InvoiceIssued", **{**values, **extra})


async def test_new_invoice_to_both_guardians_once_never_to_staff(notify, smtp, tokens, h):
    household_id, simon, claire, agent = await family(notify, tokens, h)
    issued = invoice(h, household_id)
    await h.publish(notify, issued)
    messages = await delivered(smtp, 2)

    assert sorted(m["To"] for m in messages) == [CLAIRE, SIMON]
    assert sorted(rcpts[0] for _, rcpts in smtp.envelopes) == [CLAIRE, SIMON]
    for message in messages:
        name = "Simon Durand" if message["To"] == SIMON else "Claire Durand"
        assert (
            message["Subject"] == "Nouvelle facture disponible : facture n° F-CANTINE-2026-000042"
        )
        assert message["From"].addresses[0].addr_spec == "portail-famille@epagnymetztessy.fr"
        text, html = text_of(message), html_of(message)
        assert f"Bonjour {name}," in text and f"Bonjour {name}," in html
        assert "Une nouvelle facture est disponible sur votre portail famille." in text
        assert (
            "  Régie : Régie Enfance-Jeunesse\n"
            "  Facture n° : F-CANTINE-2026-000042\n"
            "  Date d'émission : 31 décembre 2026\n"
            "  Montant total : 82,55 €\n"
            "  Avoir déduit : -12,00 €\n"
            "  Montant à payer : 70,55 €\n"
            "  Date limite de paiement : 15 janvier 2027\n"
        ) in text
        assert "<strong>70,55 €</strong>" in html and "Régie Enfance-Jeunesse" in html
        assert f"\n{FACTURES}\n" in text and f'<a href="{FACTURES}"' in html
        assert FOOTER in text and FOOTER in html

    for account_id in (simon, claire):
        (notice,) = await notices(notify, tokens, account_id, "invoice_issued")
        assert notice["title"] == "Nouvelle facture disponible"
        assert notice["body"].endswith("70,55 € à payer au plus tard le 15 janvier 2027.")

    pool = notify.app[POOL]

    async def sent():
        rows = await pool.fetch("SELECT status FROM emails WHERE event_id = $1", issued.id)
        return [r["status"] for r in rows] == ["sent", "sent"]

    await eventually(sent)

    # Redelivered (a relay crashed after publishing): nothing more.
    await h.publish(notify, issued)
    await asyncio.sleep(1)
    assert len(smtp.messages) == 2
    assert await pool.fetchval("SELECT count(*) FROM emails WHERE event_id = $1", issued.id) == 2
    assert (
        await pool.fetchval("SELECT count(*) FROM notifications WHERE event_id = $1", issued.id)
        == 2
    )
    await nothing_for_staff(notify, smtp, agent, [issued.id])


async def test_invoice_covered_by_credits_and_a_credit_note(notify, smtp, tokens, h):
    household_id, simon, claire, agent = await family(notify, tokens, h)
    note = h.billing_event(
        "billing.CreditNoteIssued",
        household_id=household_id,
        credit_note_id=uuid.uuid4(),
        number="A-CANTINE-2026-000007",
        issue_date=date(2026, 12, 20),
        total_cents=1200,
        reason="Annulation par la famille",
        invoice_ids=[uuid.uuid4()],
    )
    await h.publish(notify, note)
    messages = await delivered(smtp, 2)
    assert sorted(m["To"] for m in messages) == [CLAIRE, SIMON]
    for message in messages:
        assert message["Subject"] == "Avoir émis : avoir n° A-CANTINE-2026-000007 de 12,00 €"
        text = text_of(message)
        assert (
            "  Avoir n° : A-CANTINE-2026-000007\n"
            "  Date d'émission : 20 décembre 2026\n"
            "  Montant : 12,00 €\n"
            "  Motif : Annulation par la famille\n"
        ) in text
        assert "sera déduit automatiquement de votre prochaine facture" in text
        assert f"\n{FACTURES}\n" in text
    for account_id in (simon, claire):
        (notice,) = await notices(notify, tokens, account_id, "credit_note_issued")
        assert notice["title"] == "Avoir émis"
        assert notice["body"].endswith("Il sera déduit de votre prochaine facture.")

    # The next invoice is all credit: nothing to pay, no due date.
    covered = invoice(
        h,
        household_id,
        number="F-CANTINE-2027-000001",
        total_cents=1200,
        credit_cents=1200,
        amount_due_cents=0,
        origin="basket",
        basket_id=uuid.uuid4(),
        campaign_id=None,
    )
    await h.publish(notify, covered)
    await h.publish(notify, note)  # redelivered: nothing more
    messages = (await delivered(smtp, 4))[2:]
    assert sorted(m["To"] for m in messages) == [CLAIRE, SIMON]
    for message in messages:
        text = text_of(message)
        assert "elle correspond aux réservations de votre panier." in text
        assert "  Montant à payer : 0,00 €\n" in text
        assert "vous n'avez rien à payer" in text
        assert "Date limite de paiement" not in text
    await asyncio.sleep(1)
    assert len(smtp.messages) == 4
    await nothing_for_staff(notify, smtp, agent, [note.id, covered.id])


async def test_a_separated_parents_bills_reach_only_that_parent(notify, smtp, tokens, h):
    """Split billing: an invoice Simon pays alone goes to Simon only, a credit note of
    Claire's to Claire only; the household's own invoice still reaches both."""
    household_id, simon, claire, agent = await family(notify, tokens, h)
    simons = invoice(h, household_id, payer_account_id=simon, number="F-CANTINE-2026-000050")
    await h.publish(notify, simons)
    (message,) = await delivered(smtp, 1)
    assert message["To"] == SIMON
    assert "F-CANTINE-2026-000050" in message["Subject"]

    claires = h.billing_event(
        "billing.CreditNoteIssued",
        household_id=household_id,
        payer_account_id=claire,
        credit_note_id=uuid.uuid4(),
        number="A-CANTINE-2026-000008",
        total_cents=1200,
        reason="Annulation par la famille",
        invoice_ids=[uuid.uuid4()],
    )
    await h.publish(notify, claires)
    messages = await delivered(smtp, 2)
    assert messages[1]["To"] == CLAIRE
    assert "A-CANTINE-2026-000008" in messages[1]["Subject"]

    joint = invoice(h, household_id, payer_account_id=None, number="F-CANTINE-2026-000051")
    await h.publish(notify, joint)
    messages = await delivered(smtp, 4)
    assert sorted(m["To"] for m in messages[2:]) == [CLAIRE, SIMON]
    assert all("F-CANTINE-2026-000051" in m["Subject"] for m in messages[2:])

    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 4
    pool = notify.app[POOL]
    for event, account_id in ((simons, simon), (claires, claire)):
        rows = await pool.fetch(
            "SELECT account_id FROM notifications WHERE event_id = $1", event.id
        )
        assert [r["account_id"] for r in rows] == [account_id]
        rows = await pool.fetch("SELECT account_id FROM emails WHERE event_id = $1", event.id)
        assert [r["account_id"] for r in rows] == [account_id]
    await nothing_for_staff(notify, smtp, agent, [simons.id, claires.id, joint.id])

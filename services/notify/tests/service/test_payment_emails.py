"""billing's payment events as emails, through the real bus, Postgres and an SMTP server
(aiosmtpd): receipts, refused card payments, wallet credits and reminders reach the
household's guardians (or the separated parent who pays alone) once each, in French, with an
in-app notification; staff never get them; a payment from the wallet and an abandoned card
payment are consumed without a word."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

from shared.keys import POOL
from shared.testing.bus import eventually

FACTURES = "https://portail.epagnymetztessy.fr/factures"
TIRELIRE = "https://portail.epagnymetztessy.fr/tirelire"
FOOTER = (
    "contactez le service Petite Enfance : petite-enfance@epagnymetztessy.fr ou au 04.50.22.05.57."
)


def received(h, household_id: uuid.UUID, **extra: Any):
    values: dict[str, Any] = {
        "household_id": household_id,
        "payment_id": uuid.uuid4(),
        "number": "R-CANTINE-2027-000012",
        "method": "card",
        "amount_cents": 10000,
        "received_on": date(2027, 1, 15),
        "allocations": [
            {
                "invoice_id": uuid.uuid4(),
                "invoice_number": "F-CANTINE-2026-000042",
                "basket_id": None,
                "amount_cents": 7055,
                "remaining_cents": 0,
            },
            {
                "invoice_id": uuid.uuid4(),
                "invoice_number": "F-CANTINE-2026-000043",
                "basket_id": None,
                "amount_cents": 2000,
                "remaining_cents": 1250,
            },
        ],
        "credit_cents": 945,
    }
    return h.billing_event("billing.PaymentReceived", **{**values, **extra})


def refused(h, household_id: uuid.UUID, outcome: str, **extra: Any):
    values: dict[str, Any] = {
        "household_id": household_id,
        "transaction_id": uuid.uuid4(),
        "amount_cents": 7055,
        "invoice_ids": [uuid.uuid4()],
        "basket_ids": [],
        "outcome": outcome,
    }
    return h.billing_event("billing.PaymentRefused", **{**values, **extra})


def reminded(h, household_id: uuid.UUID, level: int, last: bool, **extra: Any):
    values: dict[str, Any] = {
        "household_id": household_id,
        "invoice_id": uuid.uuid4(),
        "number": "F-CANTINE-2026-000042",
        "total_cents": 8255,
        "due_date": date(2027, 1, 15),
        "amount_due_cents": 7055,
        "level": level,
        "last": last,
    }
    return h.billing_event("billing.InvoiceReminded", **{**values, **extra})


async def notices(notify, tokens, account_id: uuid.UUID, kind: str) -> list[dict]:
    header = tokens.header(tenant="epagny", roles=("family",), account_id=str(account_id))
    r = await notify.get("/tenants/epagny/me/notifications", headers=header)
    assert r.status == 200
    return [item for item in (await r.json())["items"] if item["kind"] == kind]


async def consumed(notify, *events) -> None:
    """The events are in notify's inbox: applied (a redelivery is a duplicate)."""
    pool = notify.app[POOL]

    async def all_there() -> bool:
        count = await pool.fetchval(
            "SELECT count(*) FROM inbox WHERE event_id = ANY($1::uuid[])", [e.id for e in events]
        )
        return count == len(events)

    await eventually(all_there)


async def nothing_for(notify, *events) -> None:
    pool = notify.app[POOL]
    ids = [e.id for e in events]
    assert not await pool.fetchval("SELECT count(*) FROM emails WHERE event_id = ANY($1)", ids)
    assert not await pool.fetchval(
        "SELECT count(*) FROM notifications WHERE event_id = ANY($1)", ids
    )


async def nothing_for_staff(notify, smtp, h, agent: uuid.UUID) -> None:
    pool = notify.app[POOL]
    assert smtp.to(h.AGENT) == []
    assert not await pool.fetchval(
        "SELECT count(*) FROM emails WHERE account_id = $1 OR recipient = $2", agent, h.AGENT
    )
    assert not await pool.fetchval(
        "SELECT count(*) FROM notifications WHERE account_id = $1 AND kind <> 'account_invited'",
        agent,
    )


async def test_receipt_to_both_guardians_once_and_none_for_the_wallet(notify, smtp, tokens, h):
    household_id, simon, claire, agent = await h.durand_family(notify, tokens)
    from_wallet = received(h, household_id, method="wallet", number="R-CANTINE-2027-000011")
    await h.publish(notify, from_wallet)
    await consumed(notify, from_wallet)

    by_card = received(h, household_id)
    await h.publish(notify, by_card)
    messages = await h.delivered(smtp, 2)
    assert sorted(m["To"] for m in messages) == [h.CLAIRE, h.SIMON]
    for message in messages:
        name = "Simon Durand" if message["To"] == h.SIMON else "Claire Durand"
        assert message["Subject"] == "Reçu de paiement n° R-CANTINE-2027-000012 : 100,00 €"
        text, html = h.text_of(message), h.html_of(message)
        assert f"Bonjour {name}," in text and f"Bonjour {name}," in html
        assert (
            "  Reçu n° : R-CANTINE-2027-000012\n"
            "  Régie : Régie Enfance-Jeunesse\n"
            "  Date du paiement : 15 janvier 2027\n"
            "  Mode de paiement : Carte bancaire\n"
            "  Montant reçu : 100,00 €\n"
            "\n"
            "Factures réglées :\n"
            "  - Facture n° F-CANTINE-2026-000042 : 70,55 € réglés, facture soldée\n"
            "  - Facture n° F-CANTINE-2026-000043 : 20,00 € réglés, reste à payer 12,50 €\n"
        ) in text
        assert "Le montant restant, 9,45 €, n'a été affecté à aucune facture" in text
        assert "<strong>100,00 €</strong>" in html and "facture soldée" in html
        assert f"\n{FACTURES}\n" in text and f'<a href="{FACTURES}"' in html
        assert FOOTER in text and FOOTER in html
    for account_id in (simon, claire):
        (notice,) = await notices(notify, tokens, account_id, "payment_received")
        assert notice["title"] == "Paiement reçu"
        assert notice["body"].startswith("Paiement de 100,00 € reçu le 15 janvier 2027")

    # Redelivered, both (a relay crashed after publishing): nothing more.
    pool = notify.app[POOL]

    async def sent() -> bool:
        rows = await pool.fetch("SELECT status FROM emails WHERE event_id = $1", by_card.id)
        return [r["status"] for r in rows] == ["sent", "sent"]

    await eventually(sent)
    await h.publish(notify, by_card)
    await h.publish(notify, from_wallet)
    await asyncio.sleep(1)
    assert len(smtp.messages) == 2
    assert await pool.fetchval("SELECT count(*) FROM emails WHERE event_id = $1", by_card.id) == 2
    assert (
        await pool.fetchval("SELECT count(*) FROM notifications WHERE event_id = $1", by_card.id)
        == 2
    )
    await nothing_for(notify, from_wallet)
    assert all("R-CANTINE-2027-000011" not in m["Subject"] for m in smtp.messages)
    await nothing_for_staff(notify, smtp, h, agent)


async def test_a_separated_parents_payments_and_reminders_reach_only_that_parent(
    notify, smtp, tokens, h
):
    household_id, simon, claire, agent = await h.durand_family(notify, tokens)
    simons_receipt = received(h, household_id, payer_account_id=simon, method="cheque")
    await h.publish(notify, simons_receipt)
    (message,) = await h.delivered(smtp, 1)
    assert message["To"] == h.SIMON
    assert "  Mode de paiement : Chèque\n" in h.text_of(message)

    claires_refusal = refused(h, household_id, "refused", payer_account_id=claire)
    await h.publish(notify, claires_refusal)
    messages = await h.delivered(smtp, 2)
    assert messages[1]["To"] == h.CLAIRE
    assert messages[1]["Subject"] == "Votre paiement de 70,55 € n'a pas abouti"

    simons_reminder = reminded(h, household_id, 1, False, payer_account_id=simon)
    await h.publish(notify, simons_reminder)
    messages = await h.delivered(smtp, 3)
    assert messages[2]["To"] == h.SIMON
    assert messages[2]["Subject"] == "1re relance : facture n° F-CANTINE-2026-000042 à régler"

    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 3
    pool = notify.app[POOL]
    for event, account_id in (
        (simons_receipt, simon),
        (claires_refusal, claire),
        (simons_reminder, simon),
    ):
        for table in ("emails", "notifications"):
            rows = await pool.fetch(f"SELECT account_id FROM {table} WHERE event_id = $1", event.id)
            assert [r["account_id"] for r in rows] == [account_id]
    await nothing_for_staff(notify, smtp, h, agent)


async def test_refused_card_payment_told_abandoned_ones_not(notify, smtp, tokens, h):
    household_id, simon, claire, agent = await h.durand_family(notify, tokens)
    cancelled = refused(h, household_id, "cancelled")
    expired = refused(h, household_id, "expired", basket_ids=[uuid.uuid4()])
    await h.publish(notify, cancelled)
    await h.publish(notify, expired)
    await consumed(notify, cancelled, expired)

    bank_said_no = refused(h, household_id, "refused", invoice_ids=[uuid.uuid4(), uuid.uuid4()])
    await h.publish(notify, bank_said_no)
    messages = await h.delivered(smtp, 2)
    assert sorted(m["To"] for m in messages) == [h.CLAIRE, h.SIMON]
    for message in messages:
        assert message["Subject"] == "Votre paiement de 70,55 € n'a pas abouti"
        text, html = h.text_of(message), h.html_of(message)
        assert "n'a pas abouti : il a été refusé. Aucune somme n'a été débitée" in text
        assert "Vos factures restent à payer." in text
        assert f"\n{FACTURES}\n" in text and f'<a href="{FACTURES}"' in html
    for account_id in (simon, claire):
        (notice,) = await notices(notify, tokens, account_id, "payment_refused")
        assert notice["title"] == "Paiement refusé"
    await h.publish(notify, bank_said_no)
    await asyncio.sleep(1)
    assert len(smtp.messages) == 2
    await nothing_for(notify, cancelled, expired)
    await nothing_for_staff(notify, smtp, h, agent)


async def test_wallet_credits_reach_every_guardian(notify, smtp, tokens, h):
    """The wallet is the household's: Simon's top-up is told to Claire as well; a refund and a
    credit staff recorded too."""
    household_id, simon, claire, agent = await h.durand_family(notify, tokens)
    credits = [
        h.billing_event(
            "billing.WalletCredited",
            household_id=household_id,
            account_id=account_id,
            movement_id=uuid.uuid4(),
            amount_cents=amount,
            balance_cents=balance,
            reason=reason,
        )
        for account_id, amount, balance, reason in (
            (simon, 5000, 6250, "top_up"),
            (None, 1200, 7450, "refund"),
            (None, 300000, 307450, "staff"),
        )
    ]
    for event in credits:
        await h.publish(notify, event)
    messages = await h.delivered(smtp, 6)
    subjects = {
        "Votre tirelire a été rechargée de 50,00 €": "  Nouveau solde : 62,50 €\n",
        "Remboursement de 12,00 € sur votre tirelire": "  Nouveau solde : 74,50 €\n",
        # A subject's spaces are plain ones (the renderer's): a no-break space in it would be
        # lost before the '€' when Python's email folds the header.
        "Votre tirelire a été créditée de 3 000,00 €": "  Nouveau solde : 3\u202f074,50 €\n",
    }
    for subject, balance in subjects.items():
        got = [m for m in messages if m["Subject"] == subject]
        assert sorted(m["To"] for m in got) == [h.CLAIRE, h.SIMON]
        for message in got:
            text = h.text_of(message)
            assert balance in text
            assert f"\n{TIRELIRE}\n" in text and f'<a href="{TIRELIRE}"' in h.html_of(message)
    for account_id in (simon, claire):
        titles = sorted(
            n["title"] for n in await notices(notify, tokens, account_id, "wallet_credited")
        )
        assert titles == [
            "Remboursement sur votre tirelire",
            "Tirelire créditée",
            "Tirelire rechargée",
        ]
    for event in credits:
        await h.publish(notify, event)
    await asyncio.sleep(1)
    assert len(smtp.messages) == 6
    await nothing_for_staff(notify, smtp, h, agent)


async def test_reminders_up_to_the_last_one(notify, smtp, tokens, h):
    household_id, simon, claire, agent = await h.durand_family(notify, tokens)
    invoice_id = uuid.uuid4()
    first = reminded(h, household_id, 1, False, invoice_id=invoice_id)
    await h.publish(notify, first)
    messages = await h.delivered(smtp, 2)
    for message in messages:
        assert message["Subject"] == "1re relance : facture n° F-CANTINE-2026-000042 à régler"
        text = h.text_of(message)
        assert (
            "  Régie : Régie Enfance-Jeunesse\n"
            "  Facture n° : F-CANTINE-2026-000042\n"
            "  Date d'émission : 31 décembre 2026\n"
            "  Montant total : 82,55 €\n"
            "  Date limite de paiement : 15 janvier 2027\n"
            "  Reste à payer : 70,55 €\n"
        ) in text
        assert "Trésor public" not in text
        assert f"\n{FACTURES}\n" in text

    last = reminded(h, household_id, 3, True, invoice_id=invoice_id, amount_due_cents=5055)
    await h.publish(notify, last)
    messages = (await h.delivered(smtp, 4))[2:]
    assert sorted(m["To"] for m in messages) == [h.CLAIRE, h.SIMON]
    for message in messages:
        assert message["Subject"] == (
            "Dernière relance avant transmission au Trésor public :"
            " facture n° F-CANTINE-2026-000042"
        )
        text, html = h.text_of(message), h.html_of(message)
        assert "  Reste à payer : 50,55 €\n" in text
        assert "malgré nos précédents rappels" in text
        assert "cette facture sera transmise au Trésor public pour recouvrement" in text
        assert "<strong>Trésor public</strong>" in html
    for account_id in (simon, claire):
        titles = [n["title"] for n in await notices(notify, tokens, account_id, "invoice_reminded")]
        assert sorted(titles) == [
            "1re relance : facture impayée",
            "Dernière relance avant transmission au Trésor public",
        ]
    await h.publish(notify, first)
    await h.publish(notify, last)
    await asyncio.sleep(1)
    assert len(smtp.messages) == 4
    await nothing_for_staff(notify, smtp, h, agent)

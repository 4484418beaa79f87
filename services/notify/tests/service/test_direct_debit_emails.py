"""billing's direct-debit events as emails, through the real bus, Postgres and an SMTP server
(aiosmtpd): a mandate's emails reach the guardian who signs it (every guardian when it names
none), a debit's the household's guardians or the separated parent who pays alone; once
each, in French; never an IBAN in clear, in the emails, the notifications or notify's
tables."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from shared.keys import POOL
from shared.testing.bus import eventually

MASKED = "FR76 **** **** **** **** **** 189"
CLEAR = "FR7630006000011234567890189"
# An IBAN showing more than its country, check digits and last three characters.
IBAN_IN_CLEAR = re.compile(r"[A-Z]{2}\d{2}[ ]?(?:[0-9A-Z]{4}[ ]?){2,}")
FACTURES = "https://portail.epagnymetztessy.fr/factures"
SIGN = "https://portail.epagnymetztessy.fr/prelevement/signer?jeton=6f1c2b"
MANDATE_LINES = (
    "  Créancier : Régie Enfance-Jeunesse\n"
    "  Référence du mandat (RUM) : RUM-EPAGNY-2027-000123\n"
    "  Titulaire du compte : Simon Durand\n"
    f"  Compte à débiter (IBAN) : {MASKED}\n"
)


def mandate(h, event_type: str, household_id: uuid.UUID, **extra: Any):
    values: dict[str, Any] = {
        "household_id": household_id,
        "mandate_id": uuid.uuid4(),
        "account_id": None,
        "rum": "RUM-EPAGNY-2027-000123",
        "holder": "Simon Durand",
        "iban_masked": MASKED,
    }
    return h.billing_event(event_type, **{**values, **extra})


def debit(h, event_type: str, household_id: uuid.UUID, **extra: Any):
    values: dict[str, Any] = {
        "invoice_id": uuid.uuid4(),
        "invoice_number": "F-CANTINE-2027-000007",
        "amount_cents": 7055,
        "collection_date": date(2027, 2, 5),
    }
    return mandate(h, event_type, household_id, **{**values, **extra})


async def no_iban_in_clear(notify, smtp, h) -> None:
    """Every email sent, every queued email's context and every notification: the masked
    IBAN only."""
    seen = 0
    for message in smtp.messages:
        for part in (str(message["Subject"]), h.text_of(message), h.html_of(message)):
            assert CLEAR not in part
            assert not IBAN_IN_CLEAR.search(part.replace(MASKED, "")), part
            seen += part.count(MASKED)
    assert seen  # the masked one is there
    pool = notify.app[POOL]
    contexts = [json.dumps(r["context"]) for r in await pool.fetch("SELECT context FROM emails")]
    bodies = [r["body"] for r in await pool.fetch("SELECT body FROM notifications")]
    for stored in contexts + bodies:
        assert CLEAR not in stored and "3000 6000" not in stored
        assert not IBAN_IN_CLEAR.search(stored.replace(MASKED, "")), stored


async def test_mandate_to_sign_reaches_the_signer_only(notify, smtp, tokens, h):
    household_id, simon, claire, agent = await h.durand_family(notify, tokens)
    requested = mandate(
        h,
        "billing.MandateRequested",
        household_id,
        account_id=simon,
        signature_url=SIGN,
        expires_at=datetime(2027, 1, 20, 10, 0, tzinfo=UTC),
    )
    await h.publish(notify, requested)
    (message,) = await h.delivered(smtp, 1)
    assert message["To"] == h.SIMON
    assert message["Subject"] == "Votre mandat de prélèvement SEPA à signer"
    text, html = h.text_of(message), h.html_of(message)
    assert "Bonjour Simon Durand," in text
    assert MANDATE_LINES in text
    assert f"\n{SIGN}\n" in text and f'<a href="{SIGN.replace("&", "&amp;")}"' in html
    assert "Ce lien est valable jusqu'au mercredi 20 janvier 2027 à 11 h 00." in text
    assert "<strong>mercredi 20 janvier 2027 à 11 h 00</strong>" in html

    # Signed on paper, recorded by staff: the mandate names no guardian, both are told.
    activated = mandate(
        h,
        "billing.MandateActivated",
        household_id,
        signed_on=date(2027, 1, 18),
        recorded_by="staff",
    )
    await h.publish(notify, activated)
    messages = (await h.delivered(smtp, 3))[1:]
    assert sorted(m["To"] for m in messages) == [h.CLAIRE, h.SIMON]
    for message in messages:
        assert message["Subject"] == "Votre prélèvement automatique est activé"
        text = h.text_of(message)
        paper = "signé sur papier et enregistré par la régie"
        assert f"{paper}, est actif depuis le 18 janvier 2027" in text
        assert "à partir de votre prochaine facture" in text

    await h.publish(notify, requested)
    await h.publish(notify, activated)
    await asyncio.sleep(1)
    assert len(smtp.messages) == 3
    pool = notify.app[POOL]
    rows = await pool.fetch(
        "SELECT account_id FROM notifications WHERE event_id = $1", requested.id
    )
    assert [r["account_id"] for r in rows] == [simon]
    rows = await pool.fetch(
        "SELECT account_id FROM notifications WHERE event_id = $1", activated.id
    )
    assert sorted(r["account_id"] for r in rows) == sorted([simon, claire])
    assert smtp.to(h.AGENT) == []
    assert not await notify.app[POOL].fetchval(
        "SELECT count(*) FROM emails WHERE account_id = $1", agent
    )
    await no_iban_in_clear(notify, smtp, h)


async def test_debits_rejections_suspension_and_revocation(notify, smtp, tokens, h):
    household_id, simon, claire, agent = await h.durand_family(notify, tokens)
    announced = debit(h, "billing.DirectDebitAnnounced", household_id)
    await h.publish(notify, announced)
    messages = await h.delivered(smtp, 2)
    assert sorted(m["To"] for m in messages) == [h.CLAIRE, h.SIMON]
    for message in messages:
        assert message["Subject"] == "Avis de prélèvement : 70,55 € le 5 février 2027"
        text = h.text_of(message)
        assert (
            "  Facture n° : F-CANTINE-2027-000007\n"
            "  Montant prélevé : 70,55 €\n"
            "  Date de prélèvement : vendredi 5 février 2027\n" + MANDATE_LINES
        ) in text

    first = debit(
        h,
        "billing.DirectDebitRejected",
        household_id,
        reason_code="AM04",
        reason_label="Provision insuffisante",
        rejections=1,
    )
    await h.publish(notify, first)
    messages = (await h.delivered(smtp, 4))[2:]
    assert sorted(m["To"] for m in messages) == [h.CLAIRE, h.SIMON]
    for message in messages:
        assert (
            message["Subject"] == "Prélèvement rejeté : facture n° F-CANTINE-2027-000007 à régler"
        )
        text = h.text_of(message)
        assert "  Motif du rejet : Provision insuffisante (code AM04)\n" in text
        assert "elle est de nouveau à régler" in text
        assert "après deux rejets, votre mandat de prélèvement est suspendu" in text
        assert f"\n{FACTURES}\n" in text

    # The second rejection, of an invoice Simon pays alone; then the mandate (Simon's) is
    # suspended.
    second = debit(
        h,
        "billing.DirectDebitRejected",
        household_id,
        payer_account_id=simon,
        account_id=simon,
        invoice_number="F-CANTINE-2027-000019",
        reason_code="MD06",
        reason_label="Remboursement demandé par le débiteur",
        rejections=2,
    )
    suspended = mandate(h, "billing.MandateSuspended", household_id, account_id=simon, rejections=2)
    await h.publish(notify, second)
    await h.publish(notify, suspended)
    messages = (await h.delivered(smtp, 6))[4:]
    assert [m["To"] for m in messages] == [h.SIMON, h.SIMON]
    by_subject = {m["Subject"]: h.text_of(m) for m in messages}
    rejected = by_subject["Prélèvement rejeté : facture n° F-CANTINE-2027-000019 à régler"]
    assert "(code MD06)" in rejected and "après deux rejets" not in rejected
    suspension = by_subject["Votre prélèvement automatique est suspendu"]
    assert "Votre banque a rejeté 2 prélèvements au titre de votre mandat." in suspension
    assert "en ligne par carte bancaire depuis vos factures sur le portail" in suspension
    assert MANDATE_LINES in suspension

    revoked = mandate(h, "billing.MandateRevoked", household_id, revoked_by="staff")
    await h.publish(notify, revoked)
    messages = (await h.delivered(smtp, 8))[6:]
    assert sorted(m["To"] for m in messages) == [h.CLAIRE, h.SIMON]
    for message in messages:
        assert message["Subject"] == "Votre mandat de prélèvement est révoqué"
        assert "La régie a révoqué votre mandat de prélèvement SEPA" in h.text_of(message)

    for event in (announced, first, second, suspended, revoked):
        await h.publish(notify, event)
    await asyncio.sleep(1)
    assert len(smtp.messages) == 8
    for account_id, kinds in (
        (simon, ["direct_debit_announced", "direct_debit_rejected", "direct_debit_rejected"]),
        (claire, ["direct_debit_announced", "direct_debit_rejected"]),
    ):
        header = tokens.header(tenant="epagny", roles=("family",), account_id=str(account_id))
        r = await notify.get("/tenants/epagny/me/notifications", headers=header)
        got = sorted(i["kind"] for i in (await r.json())["items"] if "debit" in i["kind"])
        assert got == kinds
    assert smtp.to(h.AGENT) == []
    assert not await notify.app[POOL].fetchval(
        "SELECT count(*) FROM emails WHERE account_id = $1", agent
    )
    await no_iban_in_clear(notify, smtp, h)


async def test_an_iban_sent_in_clear_by_mistake_is_masked(notify, smtp, tokens, h):
    household_id, *_ = await h.durand_family(notify, tokens)
    announced = debit(h, "billing.DirectDebitAnnounced", household_id, iban_masked=CLEAR)
    await h.publish(notify, announced)
    messages = await h.delivered(smtp, 2)
    for message in messages:
        assert f"  Compte à débiter (IBAN) : {MASKED}\n" in h.text_of(message)
    pool = notify.app[POOL]

    async def noticed() -> bool:
        count = await pool.fetchval(
            "SELECT count(*) FROM notifications WHERE event_id = $1", announced.id
        )
        return count == 2

    await eventually(noticed)
    await no_iban_in_clear(notify, smtp, h)

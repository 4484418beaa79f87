"""billing's direct-debit events as the family reads them: the mandate to sign, active,
suspended, revoked; the pre-notification of a debit; a rejected debit. Never an IBAN in
clear."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from notify.domain import direct_debit_emails
from notify.domain.direct_debit_emails import masked_iban
from notify.domain.recipients import bill_payers
from notify.events import HANDLERS
from notify.render import Renderer, Tenant
from shared.events.envelope import new_event, parse_event

RENDERER = Renderer()
TENANT = Tenant.build(
    "epagny",
    {
        "name": "Ville d'Épagny Metz-Tessy",
        "contact_service": "le service Petite Enfance",
        "contact_email": "petite-enfance@epagnymetztessy.fr",
        "contact_phone": "04.50.22.05.57",
        "primary_color": "#00695c",
        "portal_url": "https://portail.epagnymetztessy.fr/",
    },
    default_sender="ne-pas-repondre@portail-famille.fr",
    default_portal_url="http://127.0.0.1:8080",
)
SIMON, CLAIRE = uuid.uuid4(), uuid.uuid4()
REGIE = "Régie Enfance-Jeunesse"
MASKED = "FR76 **** **** **** **** **** 189"
CLEAR = "FR7630006000011234567890189"
# An IBAN with more than its first four and last three characters showing.
IBAN_IN_CLEAR = re.compile(r"[A-Z]{2}\d{2}[ ]?(?:[0-9A-Z]{4}[ ]?){2,}")
FACTURES = "https://portail.epagnymetztessy.fr/factures"
SANS_PRELEVEMENT = (
    "en ligne par carte bancaire depuis vos factures sur le portail, ou auprès de la"
    " régie (espèces, chèque…)"
)


def billing_event(event_type: str, **payload: Any):
    event = new_event(event_type, payload, tenant_id="epagny", producer="billing")
    return parse_event(event.to_json())


def mandate(event_type: str, iban: str = MASKED, **extra: Any):
    values = {
        "mandate_id": uuid.uuid4(),
        "regie_id": uuid.uuid4(),
        "regie_name": REGIE,
        "household_id": uuid.uuid4(),
        "account_id": SIMON,
        "rum": "RUM-EPAGNY-2027-000123",
        "holder": "Simon Durand",
        "iban_masked": iban,
    }
    return billing_event(event_type, **{**values, **extra})


def debit(event_type: str, **extra: Any):
    values = {
        "invoice_id": uuid.uuid4(),
        "invoice_number": "F-CANTINE-2027-000007",
        "amount_cents": 7055,
        "collection_date": date(2027, 2, 5),
    }
    return mandate(event_type, **{**values, **extra})


def render(letter, name: str = "Simon Durand"):
    return RENDERER.render(letter.template, {**letter.context, "display_name": name}, TENANT)


def assert_mandate(out) -> None:
    """The mandate's details, the IBAN only masked."""
    assert (
        "  Créancier : Régie Enfance-Jeunesse\n"
        "  Référence du mandat (RUM) : RUM-EPAGNY-2027-000123\n"
        "  Titulaire du compte : Simon Durand\n"
        f"  Compte à débiter (IBAN) : {MASKED}\n"
    ) in out.text
    assert MASKED in out.html and "RUM-EPAGNY-2027-000123" in out.html
    for part in (out.subject, out.text, out.html):
        assert not IBAN_IN_CLEAR.search(part.replace(MASKED, ""))


def test_direct_debit_events_are_consumed():
    assert {
        "billing.MandateRequested",
        "billing.MandateActivated",
        "billing.MandateSuspended",
        "billing.MandateRevoked",
        "billing.DirectDebitAnnounced",
        "billing.DirectDebitRejected",
    } <= set(HANDLERS)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (MASKED, MASKED),
        (CLEAR, MASKED),
        ("FR76 3000 6000 0112 3456 7890 189", MASKED),
        ("DE89370400440532013000", "DE89 **** **** **** ***0 00"),
        ("FR76 3000 6000 **** **** **** 189", MASKED),  # partly masked: masked again
        ("FR7", "***"),
    ],
)
def test_the_iban_is_never_shown_in_clear(value, shown):
    got = masked_iban(value)
    assert got == shown
    assert not IBAN_IN_CLEAR.search(got.replace(MASKED, ""))


def test_mandate_to_sign_online():
    expires = datetime(2027, 1, 20, 10, 0, tzinfo=UTC)
    event = mandate(
        "billing.MandateRequested",
        signature_url="https://sign.example.fr/m/abc",
        expires_at=expires,
    )
    letter = direct_debit_emails.mandate_requested(event.payload, "Europe/Paris")
    mails, notice = letter.to(bill_payers([SIMON, CLAIRE], event.payload["account_id"]))
    assert [m.account_id for m in mails] == [SIMON]
    out = render(letter)
    assert out.subject == "Votre mandat de prélèvement SEPA à signer"
    assert_mandate(out)
    assert "\nhttps://sign.example.fr/m/abc\n" in out.text
    assert '<a href="https://sign.example.fr/m/abc"' in out.html
    assert "Ce lien est valable jusqu'au mercredi 20 janvier 2027 à 11 h 00." in out.text
    assert "le prélèvement s'appliquera à partir de votre prochaine facture" in out.text
    assert "dans les 8 semaines suivant la date de débit" in out.text
    assert notice is not None and notice.title == "Mandat de prélèvement à signer"
    assert notice.body.endswith("le lien est valable jusqu'au mercredi 20 janvier 2027 à 11 h 00.")


@pytest.mark.parametrize(("by", "words"), [("family", ""), ("staff", ", signé sur papier")])
def test_mandate_activated(by, words):
    event = mandate("billing.MandateActivated", signed_on=date(2027, 1, 3), recorded_by=by)
    letter = direct_debit_emails.mandate_activated(event.payload)
    out = render(letter)
    assert out.subject == "Votre prélèvement automatique est activé"
    assert f"Votre mandat de prélèvement SEPA{words}" in out.text
    assert "est actif depuis le 3 janvier 2027." in out.text
    assert "à partir de votre prochaine facture" in out.text
    assert "  Date de signature : 3 janvier 2027\n" in out.text
    assert_mandate(out)
    assert letter.notice.body == (
        "Votre mandat de prélèvement SEPA (référence RUM-EPAGNY-2027-000123, Régie"
        " Enfance-Jeunesse), signé le 3 janvier 2027, est actif : il s'applique à partir de"
        " votre prochaine facture."
    )


def test_mandate_suspended_after_two_rejections():
    letter = direct_debit_emails.mandate_suspended(
        mandate("billing.MandateSuspended", rejections=2).payload
    )
    out = render(letter)
    assert out.subject == "Votre prélèvement automatique est suspendu"
    assert "Votre banque a rejeté 2 prélèvements au titre de votre mandat." in out.text
    assert "votre mandat de prélèvement est suspendu" in out.text
    assert f"comme vos prochaines factures, sont à régler {SANS_PRELEVEMENT}." in out.text
    assert f"\n{FACTURES}\n" in out.text and f'<a href="{FACTURES}"' in out.html
    assert_mandate(out)
    assert letter.notice.title == "Prélèvement automatique suspendu"


@pytest.mark.parametrize(
    ("by", "sentence"),
    [
        ("family", "Comme vous l'avez demandé, votre mandat de prélèvement SEPA est révoqué"),
        ("staff", "La régie a révoqué votre mandat de prélèvement SEPA"),
    ],
)
def test_mandate_revoked(by, sentence):
    letter = direct_debit_emails.mandate_revoked(
        mandate("billing.MandateRevoked", revoked_by=by).payload
    )
    out = render(letter)
    assert out.subject == "Votre mandat de prélèvement est révoqué"
    assert f"{sentence} : vos prochaines factures ne seront plus prélevées" in out.text
    assert f"Vos factures sont désormais à régler {SANS_PRELEVEMENT}." in out.text
    assert ("Si vous n'êtes pas à l'origine" in out.text) is (by == "family")
    assert_mandate(out)
    assert ("à votre demande" in letter.notice.body) is (by == "family")


def test_pre_notification_of_a_debit():
    event = debit("billing.DirectDebitAnnounced", amount_cents=123456)
    letter = direct_debit_emails.direct_debit_announced(event.payload)
    out = render(letter)
    assert out.subject == "Avis de prélèvement : 1 234,56 € le 5 février 2027"
    assert (
        "la facture n° F-CANTINE-2027-000007 sera prélevée sur votre compte le vendredi"
        " 5 février 2027." in out.text
    )
    assert (
        "  Facture n° : F-CANTINE-2027-000007\n"
        "  Montant prélevé : 1\u202f234,56 €\n"
        "  Date de prélèvement : vendredi 5 février 2027\n"
    ) in out.text
    assert_mandate(out)
    assert "<strong>1\u202f234,56 €</strong>" in out.html
    assert letter.notice.body == (
        "La facture n° F-CANTINE-2027-000007 (Régie Enfance-Jeunesse) sera prélevée le"
        f" 5 février 2027 : 1\u202f234,56 € sur le compte {MASKED}."
    )


def test_rejected_debit_first_then_second():
    event = debit(
        "billing.DirectDebitRejected",
        reason_code="AM04",
        reason_label="Provision insuffisante",
        rejections=1,
    )
    letter = direct_debit_emails.direct_debit_rejected(event.payload)
    out = render(letter)
    assert out.subject == "Prélèvement rejeté : facture n° F-CANTINE-2027-000007 à régler"
    assert "elle est de nouveau à régler" in out.text
    assert "  Motif du rejet : Provision insuffisante (code AM04)\n" in out.text
    assert "  Montant à régler : 70,55 €\n  Date du prélèvement : 5 février 2027\n" in out.text
    assert f"Merci de régler cette facture {SANS_PRELEVEMENT}." in out.text
    assert "après deux rejets, votre mandat de prélèvement est suspendu" in out.text
    assert_mandate(out)
    assert letter.notice.body == (
        "Le prélèvement de 70,55 € pour la facture n° F-CANTINE-2027-000007 (Régie"
        " Enfance-Jeunesse) a été rejeté par votre banque (motif : Provision insuffisante)."
        " La facture est de nouveau à payer."
    )
    second = debit(
        "billing.DirectDebitRejected",
        reason_code="MD06",
        reason_label="Remboursement demandé par le débiteur",
        rejections=2,
    )
    out = render(direct_debit_emails.direct_debit_rejected(second.payload))
    assert "(code MD06)" in out.text
    assert "après deux rejets" not in out.text  # the suspension's own email says it


def test_a_clear_iban_sent_by_mistake_is_masked_everywhere():
    for event, build in (
        (debit("billing.DirectDebitAnnounced", iban=CLEAR), "direct_debit_announced"),
        (mandate("billing.MandateRevoked", iban=CLEAR, revoked_by="staff"), "mandate_revoked"),
    ):
        letter = getattr(direct_debit_emails, build)(event.payload)
        assert letter.context["iban_masked"] == MASKED
        out = render(letter)
        for part in (out.text, out.html, letter.notice.body, str(letter.context)):
            assert CLEAR not in part and "3000 6000" not in part

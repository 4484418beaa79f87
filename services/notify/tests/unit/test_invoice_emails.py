"""The billing events' emails and notifications: a new invoice (amount to pay, due date) and a
credit note (deducted from the next invoice), in French, to the household's guardians."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from notify.domain import invoice_emails
from notify.domain.french import euros
from notify.domain.plans import Plan
from notify.domain.recipients import guardians
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
FACTURES = "https://portail.epagnymetztessy.fr/factures"

# What each billing event writes (its use case sends it to the household's guardians).
LETTERS = {
    "billing.InvoiceIssued": invoice_emails.invoice_issued,
    "billing.CreditNoteIssued": invoice_emails.credit_note_issued,
}


def plan(event, accounts) -> Plan:
    return LETTERS[event.type](event.payload).to(accounts)


def billing_event(event_type: str, **payload: Any):
    """As the consumer sees it: through the contract both ways (payload values typed)."""
    event = new_event(event_type, payload, tenant_id="epagny", producer="billing")
    return parse_event(event.to_json())


def invoice(total: int = 7055, credit: int = 0, **extra: Any):
    values: dict[str, Any] = {
        "invoice_id": uuid.uuid4(),
        "regie_id": uuid.uuid4(),
        "regie_name": REGIE,
        "household_id": uuid.uuid4(),
        "payer_id": uuid.uuid4(),
        "number": "F-CANTINE-2026-000042",
        "issue_date": date(2026, 12, 31),
        "due_date": date(2027, 1, 15),
        "total_cents": total,
        "credit_cents": credit,
        "amount_due_cents": total - credit,
        "origin": "campaign",
        "basket_id": None,
        "campaign_id": uuid.uuid4(),
    }
    return billing_event("billing.InvoiceIssued", **{**values, **extra})


def credit_note(total: int = 1200, reason: str = "Absence justifiée"):
    return billing_event(
        "billing.CreditNoteIssued",
        credit_note_id=uuid.uuid4(),
        regie_id=uuid.uuid4(),
        regie_name=REGIE,
        household_id=uuid.uuid4(),
        payer_id=uuid.uuid4(),
        number="A-CANTINE-2026-000007",
        issue_date=date(2026, 12, 20),
        total_cents=total,
        reason=reason,
        invoice_ids=[uuid.uuid4()],
    )


def render(mail, name: str = "Simon Durand"):
    return RENDERER.render(mail.template, {**mail.context, "display_name": name}, TENANT)


def test_billing_events_are_consumed():
    assert set(LETTERS) <= set(HANDLERS)


def test_amounts_the_french_way():
    assert euros(7055) == "70,55 €"
    assert euros(0) == "0,00 €"
    assert euros(5) == "0,05 €"
    assert euros(-1200) == "-12,00 €"
    assert euros(123456) == "1\u202f234,56 €"


def test_one_email_per_guardian_addressed_to_the_account():
    """Billing names no account: the guardians the address book links, once each."""
    mails, notice = plan(invoice(), guardians([SIMON, CLAIRE, SIMON]))
    assert [(m.recipient, m.account_id, m.template, m.group) for m in mails] == [
        (None, SIMON, "invoice_issued", None),
        (None, CLAIRE, "invoice_issued", None),
    ]
    assert notice is not None and notice.kind == "invoice_issued"
    context = mails[0].context
    assert context["issue_date"] == "2026-12-31" and context["due_date"] == "2027-01-15"
    assert "household_id" not in context and "payer_id" not in context
    assert plan(invoice(), [])[0] == []


def test_invoice_issued_without_credit():
    event = invoice(total=7055)
    (mail,), notice = plan(event, [SIMON])
    out = render(mail)
    assert out.subject == "Nouvelle facture disponible : facture n° F-CANTINE-2026-000042"
    assert "Bonjour Simon Durand,\n\nUne nouvelle facture est disponible" in out.text
    assert (
        "  Régie : Régie Enfance-Jeunesse\n"
        "  Facture n° : F-CANTINE-2026-000042\n"
        "  Date d'émission : 31 décembre 2026\n"
        "  Montant total : 70,55 €\n"
        "  Montant à payer : 70,55 €\n"
        "  Date limite de paiement : 15 janvier 2027\n"
    ) in out.text
    assert "Avoir déduit" not in out.text and "Avoir déduit" not in out.html
    assert "Merci de la régler au plus tard le 15 janvier 2027." in out.text
    assert "panier" not in out.text  # a campaign's invoice
    assert f"\n{FACTURES}\n" in out.text and f'<a href="{FACTURES}"' in out.html
    assert "<strong>70,55 €</strong>" in out.html
    assert "<strong>15 janvier 2027</strong>" in out.html
    assert notice is not None and notice.title == "Nouvelle facture disponible"
    assert notice.body == (
        "La facture n° F-CANTINE-2026-000042 (Régie Enfance-Jeunesse) de 70,55 € est"
        " disponible : 70,55 € à payer au plus tard le 15 janvier 2027."
    )


def test_invoice_issued_with_a_credit_deducted():
    event = invoice(total=8255, credit=1200, origin="basket", basket_id=uuid.uuid4())
    (mail,), notice = plan(event, [SIMON])
    out = render(mail)
    assert (
        "  Montant total : 82,55 €\n  Avoir déduit : -12,00 €\n  Montant à payer : 70,55 €\n"
    ) in out.text
    assert "Avoir déduit" in out.html and "-12,00 €" in out.html
    assert "elle correspond aux réservations de votre panier." in out.text
    assert notice is not None
    assert notice.body == (
        "La facture n° F-CANTINE-2026-000042 (Régie Enfance-Jeunesse) de 82,55 € est"
        " disponible, avoir de 12,00 € déduit : 70,55 € à payer au plus tard le"
        " 15 janvier 2027."
    )


def test_invoice_covered_by_credits_leaves_nothing_to_pay():
    (mail,), notice = plan(invoice(total=1200, credit=1200), [SIMON])
    assert mail.context["to_pay"] is False
    out = render(mail)
    assert "  Montant à payer : 0,00 €\n" in out.text
    assert "Date limite de paiement" not in out.text + out.html
    assert "vous n'avez rien à payer" in out.text and "rien à payer" in out.html
    assert notice is not None and notice.body.endswith("vous n'avez rien à payer.")


def test_credit_note_issued():
    (mail,), notice = plan(credit_note(), [SIMON])
    out = render(mail)
    assert out.subject == "Avoir émis : avoir n° A-CANTINE-2026-000007 de 12,00 €"
    assert (
        "  Régie : Régie Enfance-Jeunesse\n"
        "  Avoir n° : A-CANTINE-2026-000007\n"
        "  Date d'émission : 20 décembre 2026\n"
        "  Montant : 12,00 €\n"
        "  Motif : Absence justifiée\n"
    ) in out.text
    assert "sera déduit automatiquement de votre prochaine facture de cette régie." in out.text
    assert "déduit automatiquement de votre prochaine facture</strong>" in out.html
    assert f"\n{FACTURES}\n" in out.text and f'<a href="{FACTURES}"' in out.html
    assert notice is not None and notice.kind == "credit_note_issued"
    assert notice.title == "Avoir émis"
    assert notice.body == (
        "Un avoir de 12,00 € (n° A-CANTINE-2026-000007, Régie Enfance-Jeunesse) a été émis en"
        " votre faveur. Motif : Absence justifiée. Il sera déduit de votre prochaine facture."
    )


def test_credit_note_reason_blank_or_typed():
    (mail,), notice = plan(credit_note(reason="  "), [SIMON])
    assert mail.context["reason"] is None
    assert "Motif" not in render(mail).text
    assert notice is not None and "Motif" not in notice.body
    (mail,), notice = plan(
        credit_note(reason="Annulation par la mairie : <sortie> & pluie."), [SIMON]
    )
    out = render(mail)
    assert "Motif : Annulation par la mairie : <sortie> & pluie.\n" in out.text
    assert "&lt;sortie&gt; &amp; pluie." in out.html
    assert notice is not None and "pluie. Il sera déduit" in notice.body

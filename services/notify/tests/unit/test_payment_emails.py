"""billing's payment events as the family reads them: the receipt of a payment, a refused card
payment, money added to the wallet, reminders of an unpaid invoice; and the events the family
is not emailed about (a payment from the wallet, an abandoned card payment)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from notify.domain import payment_emails
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
FACTURES = "https://portail.epagnymetztessy.fr/factures"
TIRELIRE = "https://portail.epagnymetztessy.fr/tirelire"
RESERVATIONS = "https://portail.epagnymetztessy.fr/reservations"


def billing_event(event_type: str, **payload: Any):
    """As the consumer sees it: through the contract both ways (payload values typed)."""
    event = new_event(event_type, payload, tenant_id="epagny", producer="billing")
    return parse_event(event.to_json())


def render(letter, name: str = "Simon Durand"):
    return RENDERER.render(letter.template, {**letter.context, "display_name": name}, TENANT)


def allocation(number: str, paid: int, remaining: int, basket=None) -> dict[str, Any]:
    return {
        "invoice_id": uuid.uuid4(),
        "invoice_number": number,
        "basket_id": basket,
        "amount_cents": paid,
        "remaining_cents": remaining,
    }


def received(method: str = "card", amount: int = 7055, allocations=None, credit: int = 0, **kw):
    values: dict[str, Any] = {
        "payment_id": uuid.uuid4(),
        "regie_id": uuid.uuid4(),
        "regie_name": REGIE,
        "household_id": uuid.uuid4(),
        "payer_id": uuid.uuid4(),
        "number": "R-CANTINE-2027-000012",
        "method": method,
        "amount_cents": amount,
        "received_on": date(2027, 1, 15),
        "allocations": (
            [allocation("F-CANTINE-2026-000042", amount, 0)] if allocations is None else allocations
        ),
        "credit_cents": credit,
    }
    return billing_event("billing.PaymentReceived", **{**values, **kw})


def refused(outcome: str = "refused", invoices: int = 1, baskets: int = 0):
    return billing_event(
        "billing.PaymentRefused",
        transaction_id=uuid.uuid4(),
        regie_id=uuid.uuid4(),
        household_id=uuid.uuid4(),
        amount_cents=7055,
        invoice_ids=[uuid.uuid4() for _ in range(invoices)],
        basket_ids=[uuid.uuid4() for _ in range(baskets)],
        outcome=outcome,
    )


def credited(reason: str, amount: int = 5000, balance: int = 6250):
    return billing_event(
        "billing.WalletCredited",
        household_id=uuid.uuid4(),
        account_id=None,
        movement_id=uuid.uuid4(),
        amount_cents=amount,
        balance_cents=balance,
        reason=reason,
    )


def reminded(level: int, last: bool):
    return billing_event(
        "billing.InvoiceReminded",
        regie_id=uuid.uuid4(),
        regie_name=REGIE,
        household_id=uuid.uuid4(),
        payer_id=uuid.uuid4(),
        number="F-CANTINE-2026-000042",
        issue_date=date(2026, 12, 31),
        total_cents=8255,
        invoice_id=uuid.uuid4(),
        due_date=date(2027, 1, 15),
        amount_due_cents=7055,
        level=level,
        last=last,
    )


def test_the_payment_events_are_consumed():
    consumed = {
        "billing.PaymentReceived",
        "billing.PaymentRefused",
        "billing.WalletCredited",
        "billing.InvoiceReminded",
    }
    assert consumed <= set(HANDLERS)
    # booking's business: notify does not listen to them.
    assert not {
        "billing.WalletActivated",
        "billing.WalletDebited",
        "billing.WalletDebitRefused",
        "billing.ActivityPaymentSet",
    } & set(HANDLERS)


def test_receipt_of_a_card_payment_settling_one_invoice():
    letter = payment_emails.payment_received(received().payload)
    assert letter is not None and letter.template == "payment_received"
    mails, notice = letter.to(bill_payers([SIMON, CLAIRE], None))
    assert [m.account_id for m in mails] == [SIMON, CLAIRE]
    assert mails[0].context["received_on"] == "2027-01-15"
    out = render(letter)
    assert out.subject == "Reçu de paiement n° R-CANTINE-2027-000012 : 70,55 €"
    assert (
        "  Reçu n° : R-CANTINE-2027-000012\n"
        "  Régie : Régie Enfance-Jeunesse\n"
        "  Date du paiement : 15 janvier 2027\n"
        "  Mode de paiement : Carte bancaire\n"
        "  Montant reçu : 70,55 €\n"
        "\n"
        "Facture réglée :\n"
        "  - Facture n° F-CANTINE-2026-000042 : 70,55 € réglés, facture soldée\n"
    ) in out.text
    assert "crédit" not in out.text
    assert "nous vous conseillons de le conserver" in out.text
    assert f"\n{FACTURES}\n" in out.text and f'<a href="{FACTURES}"' in out.html
    assert "<strong>70,55 €</strong>" in out.html and "facture soldée" in out.html
    assert notice is not None and notice.kind == "payment_received"
    assert notice.title == "Paiement reçu"
    assert notice.body == (
        "Paiement de 70,55 € reçu le 15 janvier 2027 (Régie Enfance-Jeunesse) : reçu"
        " n° R-CANTINE-2027-000012, mode de paiement : Carte bancaire. 1 facture réglée :"
        " F-CANTINE-2026-000042."
    )


def test_receipt_of_a_cheque_spread_over_invoices_with_a_credit_kept():
    event = received(
        "cheque",
        amount=123456,
        allocations=[
            allocation("F-CANTINE-2026-000040", 100000, 0),
            allocation("F-CANTINE-2026-000041", 20000, 1055),
        ],
        credit=3456,
    )
    letter = payment_emails.payment_received(event.payload)
    assert letter is not None
    out = render(letter)
    assert out.subject == "Reçu de paiement n° R-CANTINE-2027-000012 : 1 234,56 €"
    assert "  Mode de paiement : Chèque\n  Montant reçu : 1\u202f234,56 €\n" in out.text
    assert (
        "Factures réglées :\n"
        "  - Facture n° F-CANTINE-2026-000040 : 1\u202f000,00 € réglés, facture soldée\n"
        "  - Facture n° F-CANTINE-2026-000041 : 200,00 € réglés, reste à payer 10,55 €\n"
    ) in out.text
    assert (
        "Le montant restant, 34,56 €, n'a été affecté à aucune facture : il est conservé à"
        " votre crédit auprès de la régie et sera déduit de vos prochaines factures."
    ) in out.text
    assert "<strong>34,56 €</strong>" in out.html and "10,55 €" in out.html
    assert letter.notice.body.endswith(
        "1 facture réglée : F-CANTINE-2026-000040. 34,56 € conservés à votre crédit."
    )


def test_receipt_of_a_payment_that_found_no_invoice():
    """Paid after its basket was released: all of it is kept as credit."""
    letter = payment_emails.payment_received(
        received("card", amount=2400, allocations=[], credit=2400).payload
    )
    assert letter is not None
    out = render(letter)
    assert "Facture réglée" not in out.text and "Factures réglées" not in out.text
    assert (
        "Ce paiement de 24,00 € n'a été affecté à aucune facture : il est conservé à votre"
        " crédit auprès de la régie et sera déduit de vos prochaines factures."
    ) in out.text


@pytest.mark.parametrize(
    ("method", "label"),
    [
        ("cash", "Espèces"),
        ("cesu", "CESU (chèque emploi service universel)"),
        ("ancv", "Chèques-Vacances (ANCV)"),
        ("transfer", "Virement"),
    ],
)
def test_receipt_names_the_method_in_french(method, label):
    letter = payment_emails.payment_received(received(method).payload)
    assert letter is not None
    assert f"  Mode de paiement : {label}\n" in render(letter).text


def test_no_receipt_for_a_payment_from_the_wallet_or_a_direct_debit():
    assert payment_emails.payment_received(received("wallet").payload) is None
    assert payment_emails.payment_received(received("direct_debit").payload) is None
    assert payment_emails.payment_received(received("cheque").payload) is not None


def test_refused_card_payment_leaves_the_invoices_to_pay():
    letter = payment_emails.payment_refused(refused(invoices=2).payload)
    assert letter is not None and letter.template == "payment_refused"
    out = render(letter)
    assert out.subject == "Votre paiement de 70,55 € n'a pas abouti"
    assert "n'a pas abouti : il a été refusé. Aucune somme n'a été débitée" in out.text
    assert "Vos factures restent à payer." in out.text
    assert f"\n{FACTURES}\n" in out.text and f'<a href="{FACTURES}"' in out.html
    assert "libérés" not in out.text
    assert letter.notice.body == (
        "Votre paiement par carte bancaire de 70,55 € a été refusé : aucune somme n'a été"
        " débitée. Les 2 factures restent à payer."
    )
    single = render(payment_emails.payment_refused(refused(invoices=1).payload))
    assert "Votre facture reste à payer." in single.text


def test_refused_payment_of_a_basket_held_until_paid():
    letter = payment_emails.payment_refused(refused(baskets=1).payload)
    assert letter is not None
    out = render(letter)
    assert "ils sont libérés et proposés à d'autres familles" in out.text
    assert "Un message séparé vous en donne le détail." in out.text
    assert f"\n{RESERVATIONS}\n" in out.text
    assert "reste à payer" not in out.text
    assert letter.notice.body.endswith("Les jours réservés en attente de ce paiement sont libérés.")


@pytest.mark.parametrize("outcome", ["cancelled", "expired"])
def test_an_abandoned_payment_is_not_emailed(outcome):
    assert payment_emails.payment_refused(refused(outcome).payload) is None


@pytest.mark.parametrize(
    ("reason", "subject", "sentence", "title"),
    [
        (
            "top_up",
            "Votre tirelire a été rechargée de 50,00 €",
            "Votre rechargement par carte bancaire a bien été reçu",
            "Tirelire rechargée",
        ),
        (
            "refund",
            "Remboursement de 50,00 € sur votre tirelire",
            "ils vous sont remboursés sur votre tirelire",
            "Remboursement sur votre tirelire",
        ),
        (
            "staff",
            "Votre tirelire a été créditée de 50,00 €",
            "La régie a enregistré un crédit sur votre tirelire",
            "Tirelire créditée",
        ),
    ],
)
def test_wallet_credited_with_the_new_balance(reason, subject, sentence, title):
    letter = payment_emails.wallet_credited(credited(reason).payload)
    out = render(letter)
    assert out.subject == subject
    assert sentence in out.text and sentence in out.html
    assert "  Montant crédité : 50,00 €\n  Nouveau solde : 62,50 €\n" in out.text
    assert "<strong>62,50 €</strong>" in out.html
    assert f"\n{TIRELIRE}\n" in out.text and f'<a href="{TIRELIRE}"' in out.html
    assert letter.notice.title == title
    assert letter.notice.body.endswith("Nouveau solde : 62,50 €.")


def test_reminder_before_the_last():
    letter = payment_emails.invoice_reminded(reminded(1, last=False).payload)
    out = render(letter)
    assert out.subject == "1re relance : facture n° F-CANTINE-2026-000042 à régler"
    assert "malgré nos précédents rappels" not in out.text
    assert (
        "  Régie : Régie Enfance-Jeunesse\n"
        "  Facture n° : F-CANTINE-2026-000042\n"
        "  Date d'émission : 31 décembre 2026\n"
        "  Montant total : 82,55 €\n"
        "  Date limite de paiement : 15 janvier 2027\n"
        "  Reste à payer : 70,55 €\n"
    ) in out.text
    assert "Trésor public" not in out.text + out.html
    assert f"\n{FACTURES}\n" in out.text and f'<a href="{FACTURES}"' in out.html
    assert letter.notice.title == "1re relance : facture impayée"
    assert letter.notice.body == (
        "La facture n° F-CANTINE-2026-000042 (Régie Enfance-Jeunesse) n'est pas réglée : il"
        " reste 70,55 € à payer, la date limite était le 15 janvier 2027."
    )
    second = render(payment_emails.invoice_reminded(reminded(2, last=False).payload))
    assert second.subject == "2e relance : facture n° F-CANTINE-2026-000042 à régler"
    assert "malgré nos précédents rappels" in second.text


def test_last_reminder_announces_the_tresor_public():
    letter = payment_emails.invoice_reminded(reminded(3, last=True).payload)
    out = render(letter)
    assert out.subject == (
        "Dernière relance avant transmission au Trésor public : facture n° F-CANTINE-2026-000042"
    )
    assert "Il s'agit de la dernière relance." in out.text
    assert "cette facture sera transmise au Trésor public pour recouvrement" in out.text
    assert "<strong>Trésor public</strong>" in out.html
    assert letter.notice.title == "Dernière relance avant transmission au Trésor public"
    assert letter.notice.body.endswith(
        "Sans règlement, elle sera transmise au Trésor public pour recouvrement."
    )

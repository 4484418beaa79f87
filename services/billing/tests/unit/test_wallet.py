"""The wallet's rules: never below zero, refused whole, the balance is the sum of the
movements, top-ups within limits, what an invoice will ask once credits are deducted."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.domain import wallet
from billing.domain.errors import InsufficientBalance, InvalidWalletAmount, TopUpOutOfRange
from billing.domain.wallet import Movement


def test_a_debit_never_takes_the_balance_below_zero():
    assert wallet.debited(1000, 400) == 600
    assert wallet.debited(1000, 1000) == 0
    with pytest.raises(InsufficientBalance):
        wallet.debited(1000, 1001)
    with pytest.raises(InsufficientBalance):
        wallet.debited(0, 1)


def test_amounts_are_positive():
    for amount in (0, -5):
        with pytest.raises(InvalidWalletAmount):
            wallet.debited(1000, amount)
        with pytest.raises(InvalidWalletAmount):
            wallet.credited(1000, amount)
    assert wallet.credited(0, 2500) == 2500


def test_why_the_wallet_cannot_pay():
    assert wallet.refusal(None, 0) == "wallet_inactive"
    assert wallet.refusal(None, 500) == "wallet_inactive"
    assert wallet.refusal(499, 500) == "insufficient_balance"
    assert wallet.refusal(500, 500) is None
    assert wallet.refusal(0, 0) is None  # free days: confirmed, nothing debited


def test_the_due_amount_deducts_each_payers_credits_never_beyond_its_invoice():
    mother, father = uuid.uuid4(), uuid.uuid4()
    assert wallet.amount_due({mother: 1000}, {}) == 1000
    assert wallet.amount_due({mother: 1000}, {mother: 300}) == 700
    assert wallet.amount_due({mother: 1000}, {mother: 5000}) == 0
    # One payer's credit does not pay the other's invoice.
    assert wallet.amount_due({mother: 1000, father: 600}, {father: 1000}) == 1000


def test_a_top_up_is_within_the_limits_and_names_the_field():
    wallet.check_top_up(500, 500, 30000)
    wallet.check_top_up(30000, 500, 30000)
    for amount in (499, 30001):
        with pytest.raises(TopUpOutOfRange) as refused:
            wallet.check_top_up(amount, 500, 30000)
        assert refused.value.detail == (
            "Le rechargement doit être compris entre 5,00 € et 300,00 €."
        )
        assert refused.value.extra["errors"][0]["field"] == "amount_cents"


def test_the_history_adds_up_to_the_balance():
    history = [
        Movement("top_up", 2000, 2000),
        Movement("debit", -1500, 500),
        Movement("refund", 300, 800),
        Movement("staff", 200, 1000),
        Movement("debit", -1000, 0),
    ]
    assert wallet.replay(history) == 0


@pytest.mark.parametrize(
    "history",
    [
        [Movement("top_up", 1000, 1000), Movement("debit", -1001, -1)],  # below zero
        [Movement("top_up", 1000, 999)],  # a balance that does not add up
        [Movement("debit", 500, 500)],  # a debit must be negative
        [Movement("top_up", -500, 0)],  # a credit must be positive
        [Movement("gift", 500, 500)],
    ],
)
def test_a_history_that_breaks_a_rule_is_refused(history):
    with pytest.raises((ValueError, InsufficientBalance, InvalidWalletAmount)):
        wallet.replay(history)


@given(
    st.lists(
        st.tuples(st.sampled_from(wallet.KINDS), st.integers(min_value=1, max_value=10_000)),
        max_size=60,
    )
)
def test_whatever_is_asked_the_balance_never_goes_below_zero(requests):
    """Credits and debits in any order: each debit the balance cannot cover is refused whole
    (nothing taken), so the kept history always replays to a balance ≥ 0."""
    balance, kept = 0, []
    for kind, amount in requests:
        if kind == "debit":
            if wallet.refusal(balance, amount) is not None:
                with pytest.raises(InsufficientBalance):
                    wallet.debited(balance, amount)
                continue
            balance = wallet.debited(balance, amount)
            kept.append(Movement(kind, -amount, balance))
        else:
            balance = wallet.credited(balance, amount)
            kept.append(Movement(kind, amount, balance))
        assert balance >= 0
    assert wallet.replay(kept) == balance


def test_labels_the_family_reads():
    assert wallet.top_up_label() == "Rechargement par carte bancaire"
    assert wallet.staff_label("geste commercial") == "Crédit de la régie : geste commercial"
    assert wallet.refund_label("A-ENF-2026-000003") == (
        "Remboursement de l'avoir A-ENF-2026-000003 (annulation)"
    )
    assert wallet.debit_label("Mercredis", "Léa", 1, []) == "Réservation : Mercredis (Léa, 1 jour)"
    assert wallet.debit_label("Mercredis", "Léa", 3, ["F-ENF-2026-000001"]) == (
        "Réservation : Mercredis (Léa, 3 jours), facture F-ENF-2026-000001"
    )
    assert wallet.release_reason("insufficient_balance") == (
        "Réservation libérée : solde de la tirelire insuffisant"
    )

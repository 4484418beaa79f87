"""Payments in the ledger (spread, excess as a credit, reversal by opposite entries), counter
payment references, the card backends' options and the dummy page's answer."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs

import eopayment
import pytest

from billing import payment_backends as backends
from billing.domain.errors import InvalidCardBackend, InvalidPaymentReference
from billing.domain.ledger import (
    Entry,
    balance,
    credit_available,
    credits,
    invoice_remaining,
    spread,
)
from billing.domain.payments import counter_reference, reference_text
from billing.dummy_page import page_answer


def test_a_payment_spreads_in_order_never_beyond_what_each_owes():
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert spread(2500, [(a, 1660), (b, 415)]) == ([(a, 1660), (b, 415)], 425)
    assert spread(1000, [(a, 1660), (b, 415)]) == ([(a, 1000)], 0)
    assert spread(500, [(a, 0), (b, 415), (c, 300)]) == ([(b, 415), (c, 85)], 0)
    assert spread(300, []) == ([], 300)


def test_the_excess_is_a_credit_and_a_reversal_cancels_everything():
    f1, f2, p = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    entries = [
        Entry("invoice", f1, 1660),
        Entry("payment", f1, -1660, p),
        Entry("payment", p, -340, p),  # the excess: a credit of the payer
        Entry("invoice", f2, 415),
        Entry("allocation", f2, 340, p),  # deducted from the next invoice
    ]
    assert invoice_remaining(entries, f1) == 0
    assert invoice_remaining(entries, f2) == 75
    assert credit_available(entries, p) == 0
    assert balance(entries) == 1660 + 415 - 2000
    owed = sum(invoice_remaining(entries, f) for f in (f1, f2))
    assert balance(entries) == owed - sum(credits(entries).values())
    # The cheque bounces: the opposite of each entry related to the payment.
    reversed_ = entries + [
        Entry(e.kind, e.document_id, -e.amount_cents, e.related_id)
        for e in entries
        if e.related_id == p
    ]
    assert invoice_remaining(reversed_, f1) == 1660
    assert invoice_remaining(reversed_, f2) == 415
    assert credits(reversed_) == {p: 0}
    assert balance(reversed_) == 1660 + 415


def test_credit_notes_and_payments_are_both_credits():
    n, p, f = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    entries = [
        Entry("credit_note", n, -830),
        Entry("payment", p, -100, p),
        Entry("invoice", f, 415),
        Entry("allocation", f, 415, n),
    ]
    assert credits(entries) == {n: 415, p: 100}
    assert balance(entries) == -830 - 100 + 415


def test_counter_references():
    assert counter_reference("cheque", {"cheque_number": " 123 ", "bank": "LBP"}) == {
        "cheque_number": "123",
        "bank": "LBP",
    }
    with pytest.raises(InvalidPaymentReference) as refused:
        counter_reference("cheque", {"cheque_number": "123"})
    assert refused.value.extra == {"field": "bank"}
    with pytest.raises(InvalidPaymentReference) as refused:
        counter_reference("cash", {"cheque_number": "123"})
    assert refused.value.extra == {"field": "cheque_number"}
    assert counter_reference("cesu", {"title_count": 3, "note": ""}) == {"title_count": "3"}
    assert reference_text("cheque", {"cheque_number": "12", "bank": "LBP"}) == "n° 12 — LBP"


def test_backend_options_are_checked_as_eopayment_describes_them():
    assert backends.check_options("payfip_ws", {"numcli": "123456", "saisie": "W"}) == {
        "numcli": "123456",
        "saisie": "W",
    }
    assert backends.check_options("dummy", {}) == {}
    for backend, options, field in [
        ("payfip_ws", {}, "options.numcli"),
        ("payfip_ws", {"numcli": "12345a"}, "options.numcli"),
        ("tipi", {"numcli": "123456", "saisie": "W"}, "options.saisie"),  # TIPI: A, not W
        ("dummy", {"consider_all_response_signed": "1"}, "options.consider_all_response_signed"),
        ("dummy", {"automatic_return_url": "http://evil"}, "options.automatic_return_url"),
        ("sips2", {}, "backend"),
    ]:
        with pytest.raises(InvalidCardBackend) as refused:
            backends.check_options(backend, options)
        assert refused.value.extra == {"field": field}


def test_secrets_are_masked_and_kept_when_sent_back_masked():
    shown = backends.masked({"numcli": "123456", "secret_test": "s3cr3t", "platform_key": "k"})
    assert shown == {"numcli": "123456", "secret_test": "********", "platform_key": "********"}
    assert backends.merged(shown, {"secret_test": "s3cr3t", "platform_key": "k"}) == {
        "numcli": "123456",
        "secret_test": "s3cr3t",
        "platform_key": "k",
    }


def test_the_dummy_page_answer_is_what_eopayment_verifies():
    payment = eopayment.Payment(
        "dummy", {"normal_return_url": "http://b/r", "automatic_return_url": "http://b/n"}
    )
    bank_id, _, url = payment.request("12.45", email="a@b.fr", orderid="ref1")
    paid = page_answer(url, paid=True)
    assert (paid.notification_url, paid.return_url) == ("http://b/n", "http://b/r")
    response = payment.response(paid.body)
    assert (response.result, response.signed, response.transaction_id) == (
        eopayment.PAID,
        True,
        bank_id,
    )
    assert parse_qs(paid.body)["amount"] == ["12.45"]
    refused = payment.response(page_answer(url, paid=False).body)
    assert (refused.result, refused.signed) == (eopayment.ERROR, True)
    assert not payment.response(page_answer(url, paid=True, signed=False).body).signed

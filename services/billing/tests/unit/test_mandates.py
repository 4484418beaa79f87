"""Mandates: bank details checked and masked, the creditor identifier, the RUM, states and the
rejection rule (the second rejection suspends) [000]."""

from datetime import UTC, datetime, timedelta

import pytest

from billing.domain.mandates import (
    BankDetailsError,
    after_rejection,
    bank_account,
    can_revoke,
    can_sign,
    collects,
    collects_from,
    creditor_identifier,
    is_rum,
    mask_iban,
    rum,
    signature_digest,
    signature_token,
    signature_url,
)

IBAN = "FR7630006000011234567890189"


def test_an_iban_is_checked_and_kept_compact_with_its_bic():
    account = bank_account("fr76 3000 6000 0112 3456 7890 189")
    assert account.iban == IBAN
    assert account.bic == "AGRIFRPPXXX"  # derived from the bank code where schwifty knows it
    assert bank_account(IBAN, "AGRIFRPP").bic == "AGRIFRPP"
    assert bank_account(IBAN, "agri frpp xxx").bic == "AGRIFRPPXXX"


@pytest.mark.parametrize(
    ("iban", "bic", "field"),
    [
        ("FR7630006000011234567890188", None, "iban"),  # wrong check digits
        ("FR76300060000112345678901", None, "iban"),  # too short for France
        ("BR1800360305000010009795493C1", None, "iban"),  # valid, but outside SEPA
        ("not an iban at all", None, "iban"),
        (IBAN, "XX", "bic"),
        (IBAN, "DEUTDEFF", "bic"),  # a German bank for a French account
    ],
)
def test_wrong_bank_details_are_refused_without_being_repeated(iban, bic, field):
    with pytest.raises(BankDetailsError) as refused:
        bank_account(iban, bic)
    assert refused.value.field == field
    assert iban.replace(" ", "") not in str(refused.value)


def test_an_overseas_bank_is_a_french_one():
    # A bank of Réunion (BIC country RE) for a French IBAN.
    assert bank_account(IBAN, "BNPARERX").bic == "BNPARERX"


def test_the_iban_is_shown_masked():
    assert mask_iban(IBAN) == "FR76 **** **** **** **** **** 189"
    assert mask_iban("FR76 3000 6000 0112 3456 7890 189") == "FR76 **** **** **** **** **** 189"
    assert mask_iban("DE89370400440532013000") == "DE89 **** **** **** ***0 00"
    assert mask_iban("short") == "*****"
    account = bank_account(IBAN)
    assert account.masked == "FR76 **** **** **** **** **** 189"
    assert IBAN not in repr(account) and IBAN not in str(account)


def test_the_creditor_identifier_is_checked():
    assert creditor_identifier("fr72 zzz 123456") == "FR72ZZZ123456"
    assert creditor_identifier("DE98ZZZ09999999999") == "DE98ZZZ09999999999"
    with pytest.raises(BankDetailsError, match="clé") as wrong:
        creditor_identifier("FR73ZZZ123456")
    assert wrong.value.field == "creditor_id"
    with pytest.raises(BankDetailsError, match="forme"):
        creditor_identifier("ZZZ123456")


def test_the_rum_names_the_regie_the_year_and_a_number():
    assert rum("CANTINE", 2026, 42) == "M-CANTINE-2026-000042"
    assert len(rum("A" * 12, 2026, 999_999)) <= 35
    assert is_rum("M-CANTINE-2026-000042")
    assert not is_rum("M_CANTINE#1") and not is_rum("x" * 36)


def test_signature_links_store_only_a_digest():
    token = signature_token()
    assert len(token.value) >= 43 and token.value not in repr(token)
    assert token.digest == signature_digest(token.value) != signature_digest(token.value + "x")
    assert signature_token().value != token.value
    assert (
        signature_url("https://portail.example.fr/", "abc")
        == "https://portail.example.fr/prelevement/signature?token=abc"
    )


def test_states():
    assert can_sign("pending_signature") and not can_sign("active")
    assert all(can_revoke(s) for s in ("pending_signature", "active", "suspended"))
    assert not can_revoke("revoked")


def test_a_mandate_collects_only_invoices_issued_after_it_became_active():
    activated = datetime(2026, 9, 1, 8, tzinfo=UTC)
    assert collects("active", activated, activated + timedelta(seconds=1))
    assert not collects("active", activated, activated - timedelta(days=1))
    assert not collects("active", activated, activated)
    assert not collects("suspended", activated, activated + timedelta(days=1))
    assert not collects("pending_signature", None, activated)


def test_a_new_account_takes_over_the_invoices_of_the_active_mandate_it_replaces():
    first = datetime(2026, 9, 1, 8, tzinfo=UTC)
    now = first + timedelta(days=10)
    assert collects_from(now, []) == now
    assert collects_from(now, [("active", first)]) == first
    # A pending, suspended or revoked one collected nothing more: the new one starts now.
    assert collects_from(now, [("pending_signature", None), ("suspended", first)]) == now
    assert collects_from(now, [("revoked", first)]) == now


def test_the_second_rejection_suspends_the_mandate():
    first = after_rejection("active", 0)
    assert (first.rejections, first.suspended) == (1, False)
    second = after_rejection("active", 1)
    assert (second.rejections, second.suspended) == (2, True)
    # Already suspended or revoked: counted, the state stays.
    assert after_rejection("suspended", 2) == after_rejection("suspended", 2)
    assert not after_rejection("suspended", 2).suspended
    assert after_rejection("revoked", 1).rejections == 2
    assert not after_rejection("revoked", 1).suspended

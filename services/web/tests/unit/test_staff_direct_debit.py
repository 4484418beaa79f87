"""The direct-debit back-office's pure logic: statuses in words, the mandates a search
keeps, the forms read, the bank file's kind, the certificates' queries."""

from __future__ import annotations

from datetime import date

from web.domain import staff_direct_debit as dd

TODAY = date(2026, 12, 1)
ITEM = "8c8c8c8c-0000-4000-8000-000000000001"


def test_a_batch_says_what_the_bank_rejected() -> None:
    assert dd.batch_status({"item_count": 3, "rejected_count": 0}).label == "Transmis à la banque"
    assert dd.batch_status({"item_count": 3, "rejected_count": 2}).label == "2 rejets"
    assert dd.batch_status({"item_count": 1, "rejected_count": 1}).css == "error"


def test_statuses_and_reasons_have_words_even_unknown_ones() -> None:
    assert dd.mandate_status("suspended").label == "Suspendu"
    assert dd.mandate_status("odd").label == "odd"
    assert dd.reason_label("AM04") == "Provision insuffisante"
    assert dd.reason_label("ZZ99") == "Motif ZZ99" and dd.reason_label(None) == ""


def test_a_search_keeps_holders_references_and_found_households() -> None:
    mandates = [
        {"holder": "Karim Benali", "rum": "RUM-A", "household_id": "h1"},
        {"holder": "Julie Martin", "rum": "RUM-B", "household_id": "h2"},
    ]
    assert dd.matching_mandates(mandates, "  ", set()) == mandates
    assert dd.matching_mandates(mandates, "BENALI", set()) == mandates[:1]
    assert dd.matching_mandates(mandates, "rum-b", set()) == mandates[1:]
    assert dd.matching_mandates(mandates, "ABCD-2345", {"h2"}) == mandates[1:]


def test_a_batch_form_wants_a_regie_and_a_future_date() -> None:
    read = dd.read_batch_form({"regie_id": "x", "collection_date": "10/12/2026"}, TODAY)
    assert set(read.errors) == {"regie_id", "collection_date"}
    read = dd.read_batch_form({"regie_id": ITEM, "collection_date": "2026-12-01"}, TODAY)
    assert read.errors == {"collection_date": "La date d'échéance doit être dans le futur."}
    read = dd.read_batch_form({"regie_id": ITEM, "collection_date": "2026-12-10"}, TODAY)
    assert not read.errors and read.body() == {"collection_date": "2026-12-10"}


def test_a_rejection_names_a_collected_debit_and_a_known_reason() -> None:
    read = dd.read_rejection_form({"item_id": ITEM, "reason_code": "md06"}, {ITEM})
    assert not read.errors and read.body() == {"item_id": ITEM, "reason_code": "MD06"}
    read = dd.read_rejection_form({"item_id": ITEM, "reason_code": "XX00"}, set())
    assert set(read.errors) == {"item_id", "reason_code"}


def test_the_banks_file_kind() -> None:
    assert dd.import_type("rejets.XML", b"") == "application/xml"
    assert dd.import_type("report", b"  <?xml") == "application/xml"
    assert dd.import_type("rejets.csv", b"a;b") == "text/csv"
    assert dd.import_type("rejets.pdf", b"%PDF") is None


def test_certificates_ask_billing_for_a_calendar_year() -> None:
    read = dd.read_certificate_form("frais-de-garde", {"annee": "2025"}, set())
    assert read.params() == {"year": "2025"}
    read = dd.read_certificate_form("paiements", {"annee": "2025"}, set())
    assert read.params() == {"from": "2025-01-01", "to": "2025-12-31"}
    read = dd.read_certificate_form("presence", {"annee": "2025", "enfant": ITEM}, {ITEM})
    assert read.params()["child_id"] == ITEM
    read = dd.read_certificate_form("presence", {"annee": "1999"}, {ITEM})
    assert set(read.errors) == {"presence-annee", "presence-enfant"}
    assert dd.certificate_years(TODAY) == [2026, 2025, 2024, 2023]


def test_a_certificates_refusal_in_billings_words_or_ours() -> None:
    assert (
        dd.certificate_refusal(404, b'{"detail": "Rien sur la periode."}') == "Rien sur la periode."
    )
    assert dd.certificate_refusal(404, b"oops") == "Rien à attester pour cette année."
    assert "vérifiez l'année" in dd.certificate_refusal(422, b"")

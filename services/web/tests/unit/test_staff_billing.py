"""The billing back-office's pure logic: campaign forms, counter payment forms, billing's
problems by field, overdue households oldest first, labels in words."""

from __future__ import annotations

from multidict import MultiDict

from web.domain import staff_billing as domain

REGIE = "6f1b2a43-9a8e-4a51-9f0c-6f1b1b1b1b1b"
HOUSEHOLD = "0c9b2a1e-1111-4222-8333-944444444444"
INVOICE = "5b0d6a43-9a8e-4a51-9f0c-6f1b1b1b1b1b"


def test_a_campaign_form_needs_a_regie_and_a_period_in_order() -> None:
    read = domain.read_campaign_form(
        MultiDict(regie_id=REGIE, period_from="2026-09-01", period_to="2026-09-30")
    )
    assert read.errors == {}
    assert read.body() == {
        "regie_id": REGIE,
        "period_from": "2026-09-01",
        "period_to": "2026-09-30",
    }
    wrong = domain.read_campaign_form(
        MultiDict(regie_id="", period_from="", period_to="2026-13-01")
    )
    assert set(wrong.errors) == {"regie_id", "period_from", "period_to"}
    backwards = domain.read_campaign_form(
        MultiDict(regie_id=REGIE, period_from="2026-09-30", period_to="2026-09-01")
    )
    assert backwards.errors == {"period_to": "La fin de la période précède son début."}


def payment(**fields: str | list[str]) -> MultiDict[str]:
    form: MultiDict[str] = MultiDict(
        household_id=HOUSEHOLD, regie_id=REGIE, method="cheque", amount="41,50"
    )
    for name, value in fields.items():
        form.popall(name, None)
        for item in value if isinstance(value, list) else [value]:
            form.add(name, item)
    return form


def test_a_cheque_becomes_billings_counter_payment() -> None:
    read = domain.read_payment_form(
        payment(cheque_number="1234567", bank="Banque Postale", invoice_ids=[INVOICE, "x"])
    )
    assert read.errors == {}
    assert read.body() == {
        "regie_id": REGIE,
        "household_id": HOUSEHOLD,
        "method": "cheque",
        "amount_cents": 4150,
        "invoice_ids": [INVOICE],  # what is not an invoice id is dropped
        "reference": {"cheque_number": "1234567", "bank": "Banque Postale"},
    }


def test_a_cheque_without_number_or_bank_and_a_wrong_amount_are_named() -> None:
    read = domain.read_payment_form(payment(amount="12,345"))
    assert set(read.errors) == {"cheque_number", "bank", "amount"}
    assert "deux décimales" in read.errors["amount"]
    empty = domain.read_payment_form(payment(amount="", method="bitcoin"))
    assert empty.errors["amount"] == "Indiquez le montant reçu, en euros."
    assert empty.errors["method"] == "Choisissez le mode de paiement."


def test_only_the_references_of_the_method_go_to_billing() -> None:
    read = domain.read_payment_form(
        payment(method="cash", amount="1 250", cheque_number="99", bank="B")
    )
    assert read.errors == {}
    assert read.body()["reference"] == {}
    assert read.body()["amount_cents"] == 125000
    assert "invoice_ids" not in read.body()  # billing settles the oldest first
    transfer = domain.read_payment_form(payment(method="transfer", transfer_reference="VIR-12"))
    assert transfer.body()["reference"] == {"transfer_reference": "VIR-12"}


def test_billings_refusals_go_next_to_the_fields_they_name() -> None:
    validation = {
        "detail": "Certaines informations sont manquantes ou incorrectes : reference.bank.",
        "errors": [
            {"field": "reference.bank", "detail": "Longueur maximale : 100 caractères."},
            {"field": "amount_cents", "detail": "Doit être entre 1 et 100000000."},
        ],
    }
    errors = domain.payment_errors(validation)
    assert errors.fields == {
        "bank": "Longueur maximale : 100 caractères.",
        "amount": "Doit être entre 1 et 100000000.",
    }
    assert errors.general is None
    reference = {"detail": "Le numéro du chèque est obligatoire.", "field": "cheque_number"}
    assert domain.payment_errors(reference).fields == {
        "cheque_number": "Le numéro du chèque est obligatoire."
    }
    other_payer = {"detail": "Cette facture relève d'un autre payeur.", "invoice_id": INVOICE}
    assert domain.payment_errors(other_payer).fields == {
        "invoice_ids": "Cette facture relève d'un autre payeur."
    }
    unknown = domain.payment_errors({"detail": "Ce foyer n'existe pas."})
    assert unknown.fields == {} and unknown.general == "Ce foyer n'existe pas."
    assert domain.payment_errors(None).general


def test_overdue_households_oldest_debt_first() -> None:
    rows = [
        {"household_id": "a", "oldest_due_date": "2026-10-15", "amount_due_cents": 9000},
        {"household_id": "b", "oldest_due_date": "2026-09-15", "amount_due_cents": 100},
        {"household_id": "c", "oldest_due_date": "2026-09-15", "amount_due_cents": 500},
    ]
    assert [r["household_id"] for r in domain.oldest_first(rows)] == ["c", "b", "a"]


def test_words_for_states_levels_and_methods() -> None:
    assert domain.campaign_status("draft").label == "Brouillon"
    assert domain.campaign_status("finalised").label == "Finalisée"
    assert domain.severity("error").label.startswith("Erreur")
    assert domain.severity("warning").label == "À vérifier"
    assert domain.reminder_label(None) == "Aucune relance"
    assert domain.reminder_label(1) == "1re relance"
    assert domain.reminder_label(3) == "3e relance"
    assert domain.method_label("ancv") == "Chèques-Vacances (ANCV)"
    issues = [
        {"severity": "warning", "day": "2026-09-01", "child_name": "Max"},
        {"severity": "error", "day": "2026-09-03", "child_name": "Léa"},
    ]
    assert [i["severity"] for i in domain.issues_by_severity(issues)] == ["error", "warning"]


def test_an_invoice_is_for_its_payer_or_a_drafts_household() -> None:
    names = {HOUSEHOLD: "Nora Petit"}
    issued = {"payer": {"name": "Nora P."}, "household_id": HOUSEHOLD}
    assert domain.invoice_holder(issued, names) == "Nora P."
    draft = {"payer": None, "household_id": HOUSEHOLD}
    assert domain.invoice_holder(draft, names) == "Nora Petit"
    assert domain.invoice_holder({"household_id": "x"}, names) == "Foyer"
    household = {"guardians": [{"first_name": "Nora", "last_name": "Petit"}, {}]}
    assert domain.household_name(household) == "Nora Petit"
    assert domain.household_name({"guardians": []}) == "Foyer sans responsable"

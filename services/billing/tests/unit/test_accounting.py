"""The accounting CSV the French way: `;`, decimal comma, dd/mm/yyyy, UTF-8 with BOM, one
line per row, no cell a spreadsheet would read as a formula."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

from billing.domain.accounting import HEADER, amount_text, csv_bytes, text


def test_amounts_and_text_cells():
    assert [amount_text(c) for c in (0, 5, -415, 123456, -100)] == [
        "0,00",
        "0,05",
        "-4,15",
        "1234,56",
        "-1,00",
    ]
    assert text("3 rue des Lilas\n74330 Epagny\r\n") == "3 rue des Lilas, 74330 Epagny"
    assert text('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert text(None) == ""


def test_a_csv_a_french_spreadsheet_opens():
    payer_id, household_id = uuid.uuid4(), uuid.uuid4()
    entry = {
        "kind": "invoice",
        "number": "F-CANTINE-2026-000001",
        "issue_date": date(2026, 9, 1),
        "due_date": date(2026, 9, 16),
        "payer": {"name": "Martin; Claire", "address": "1 rue\nEpagny"},
        "payer_id": payer_id,
        "household_id": household_id,
        "accounting_code": "7067-251",
        "activity": "Cantine",
        "amount_cents": 7055,
        "related": None,
    }
    deducted = {**entry, "kind": "allocation", "amount_cents": -415, "related": "A-X-1"}
    body = csv_bytes("CANTINE", [entry, deducted])
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.count(b"\r\n") == 3
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == list(HEADER)
    assert rows[1] == [
        "Facture",
        "F-CANTINE-2026-000001",
        "01/09/2026",
        "16/09/2026",
        "CANTINE",
        "Martin; Claire",
        "1 rue, Epagny",
        str(payer_id),
        str(household_id),
        "7067-251",
        "Cantine",
        "70,55",
        "",
        "",
    ]
    assert (rows[2][0], rows[2][11], rows[2][12]) == ("Avoir déduit", "-4,15", "A-X-1")

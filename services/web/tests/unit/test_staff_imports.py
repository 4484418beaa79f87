from web.domain import staff_imports as domain


def test_the_template_opens_in_excel_with_its_accents() -> None:
    raw = domain.template_csv()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, first, _ = raw.decode("utf-8-sig").split("\r\n", 2)
    assert header.split(";") == list(domain.TEMPLATE_HEADER)
    assert len(first.split(";")) == len(domain.TEMPLATE_HEADER) and "Léa" in first


def test_an_upload_is_checked_before_it_is_sent() -> None:
    assert domain.upload_problem(None, None) == "Choisissez le fichier CSV des foyers."
    assert domain.upload_problem("a.csv", b"  \n") == "Le fichier choisi est vide."
    assert "extension .csv" in (domain.upload_problem("a.xlsx", b"x") or "")
    big = b"x" * (domain.MAX_UPLOAD_BYTES + 1)
    assert "8 Mo" in (domain.upload_problem("a.csv", big) or "")
    assert domain.upload_problem("Foyers.CSV", b"reference\n") is None


def test_the_counts_and_the_lines_errors_first() -> None:
    report = {
        "households": 2,
        "children": 3,
        "lines": [
            {"line": 2, "status": "valid"},
            {"line": 3, "status": "existing"},
            {"line": 4, "status": "invalid"},
            {"line": 5, "status": "valid"},
            {"line": 6, "status": "invalid"},
        ],
    }
    found = domain.summary(report)
    assert (found.lines, found.valid, found.errors, found.duplicates) == (5, 2, 2, 1)
    assert (found.households, found.children) == (2, 3)
    assert [x["line"] for x in domain.ordered_lines(report)] == [4, 6, 3, 2, 5]
    assert [x["line"] for x in domain.skipped_lines(report)] == [3, 4, 6]
    assert domain.field_label("_line") == "ligne entière"
    assert domain.field_label("code_postal") == "code_postal"

from family import household_csv

HEADER = (
    "reference;adresse;code_postal;ville;responsable1_nom;responsable1_prenom;"
    "enfant_nom;enfant_prenom;enfant_naissance;enfant_droit_image\n"
)


def test_lines_of_one_reference_make_one_household() -> None:
    text = HEADER + "A;1 rue X;74330;Epagny;Martin;Claire;Martin;Léa;3/9/2016;oui\n"
    text += "A;;;;;;Martin;Tom;2019-01-20;non\n\n"
    households, problems = household_csv.parse(text)
    assert problems == []
    (household,) = households
    assert [c["first_name"] for c in household.children] == ["Léa", "Tom"]
    assert household.children[0]["birth_date"].isoformat() == "2016-09-03"
    assert household.children[0]["image_rights"] is True


def test_every_problem_is_reported_with_its_line_and_column() -> None:
    text = HEADER + "A;1 rue X;74330;Epagny;Martin;Claire;Martin;Léa;2016-09-03;peut-être\n"
    text += "A;2 rue Y;;;;;;;;\n"
    _, problems = household_csv.parse(text)
    assert [(p["line"], p["field"]) for p in problems] == [
        (2, "enfant_droit_image"),
        (3, "adresse"),
    ]


def test_a_wrong_header_stops_at_line_one() -> None:
    _, problems = household_csv.parse("nom,prenom\nMartin,Claire\n")
    fields = {p["field"] for p in problems}
    assert {p["line"] for p in problems} == {1}
    assert {"nom", "prenom", "reference", "adresse"} <= fields


def test_excel_files_are_read_in_utf8_with_a_bom_or_windows_1252() -> None:
    text = "ville\nÉpagny\n"
    assert household_csv.decode(b"\xef\xbb\xbf" + text.encode()) == text
    assert household_csv.decode(text.encode("cp1252")) == text


def test_an_examination_keeps_the_households_without_problem() -> None:
    text = HEADER + "A;1 rue X;74330;Epagny;Martin;Claire;Martin;Léa;3/9/2016;oui\n"
    text += "B;2 rue Y;74330;Epagny;Roux;Anne;Roux;Lou;2016-01-01;oui\n"
    text += "B;;;;;;Roux;Tom;31/02/2017;non\n"
    examined = household_csv.examine(text)
    assert [(p["line"], p["field"]) for p in examined.problems] == [(4, "enfant_naissance")]
    assert examined.invalid_references() == {"B"}  # one line in error: the whole household
    assert [h.reference for h in examined.valid()] == ["A"]
    assert [(r["line"], r["reference"]) for r in examined.rows] == [(2, "A"), (3, "B"), (4, "B")]
    assert household_csv.parse(text) == ([], examined.problems)  # all or nothing

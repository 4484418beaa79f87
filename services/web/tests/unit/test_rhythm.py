"""The booking form read into one basket line of the booking API: a day, a week, a range, a
rhythm; its mistakes said in French by field."""

from __future__ import annotations

from datetime import date

from web.domain import rhythm

TODAY = date(2026, 12, 1)
IDS = {"child_id": "c", "activity_id": "a", "today": TODAY}


def read(weekdays: list[str] | None = None, **form: str) -> rhythm.Request:
    return rhythm.read_request(form, weekdays or [], **IDS)


def test_one_day_in_french_or_iso_format():
    assert read(mode="jour", date="04/01/2027").line == {
        "child_id": "c",
        "activity_id": "a",
        "dates": ["2027-01-04"],
    }
    assert read(mode="jour", date="2027-01-04").line["dates"] == ["2027-01-04"]
    assert read(mode="jour", date="4/1/2027").line["dates"] == ["2027-01-04"]


def test_a_week_is_its_monday_to_sunday_from_today_on():
    assert read(mode="semaine", date="06/01/2027").line == {
        "child_id": "c",
        "activity_id": "a",
        "from": "2027-01-04",
        "to": "2027-01-10",
    }
    # This week: from today, not its past Monday.
    assert read(mode="semaine", date="03/12/2026").line["from"] == "2026-12-01"


def test_a_range_and_a_rhythm():
    assert read(mode="periode", du="04/01/2027", au="29/01/2027").line == {
        "child_id": "c",
        "activity_id": "a",
        "from": "2027-01-04",
        "to": "2027-01-29",
    }
    line = read(["4", "1", "4"], mode="rythme", du="04/01/2027", au="26/02/2027", frequence="2")
    assert line.line is not None
    assert line.line["weekdays"] == [1, 4] and line.line["every_n_weeks"] == 2


def test_mistakes_are_said_by_field():
    assert set(read(mode="").errors) == {"mode"}
    assert set(read(mode="jour", date="31/02/2027").errors) == {"date"}
    assert "passée" in read(mode="jour", date="30/11/2026").errors["date"]
    errors = read(mode="periode", du="", au="01/01/2027").errors
    assert set(errors) == {"du"}
    assert "précède" in read(mode="periode", du="05/01/2027", au="04/01/2027").errors["au"]
    assert set(read(mode="periode", du="04/01/2027", au="04/03/2028").errors) == {"au"}
    errors = read(["9"], mode="rythme", du="04/01/2027", au="05/02/2027", frequence="5").errors
    assert set(errors) == {"jours", "frequence"}


def test_ticked_calendar_days_and_api_field_names():
    days, wrong = rhythm.chosen_days(["2027-01-05", "2027-01-04", "2027-01-05", "x"])
    assert days == [date(2027, 1, 4), date(2027, 1, 5)] and wrong == ["x"]
    assert rhythm.api_field("lines.0.to") == "au"
    assert rhythm.api_field("from") == "du" and rhythm.api_field("weekdays") == "jours"
    assert rhythm.week_of(date(2027, 1, 10)) == (date(2027, 1, 4), date(2027, 1, 10))

"""The month calendar: its grid of weeks (Monday first), each API state as one entry of the
legend of guide 003 with its words, the months around, the basket's forecasts and outcome."""

from __future__ import annotations

from datetime import date

from web.domain import basket, calendar


def test_the_grid_starts_on_monday_with_the_days_of_the_months_around():
    weeks = calendar.month_grid(date(2027, 1, 1))  # a Friday
    assert weeks[0][0] == date(2026, 12, 28)  # the Monday before
    assert weeks[0][4] == date(2027, 1, 1)
    assert weeks[-1][-1] == date(2027, 1, 31)  # a Sunday: no trailing days
    assert all(len(week) == 7 for week in weeks) and len(weeks) == 5
    march = calendar.month_grid(date(2027, 3, 1))  # ends on Wednesday 31
    assert march[-1][2] == date(2027, 3, 31) and march[-1][-1] == date(2027, 4, 4)
    assert all(week[0].weekday() == 0 for week in weeks)


def test_a_month_starting_on_monday_has_no_leading_days():
    weeks = calendar.month_grid(date(2027, 2, 1))  # Monday 1 February, 28 days
    assert weeks[0][0] == date(2027, 2, 1) and weeks[-1][-1] == date(2027, 2, 28)
    assert len(weeks) == 4


def test_the_legend_is_exactly_the_guides_eight_states_in_its_order():
    assert [e.state for e in calendar.LEGEND] == [
        "booked_cancellable",
        "booked_locked",
        "bookable",
        "late",
        "cancelled",
        "full",
        "waiting_list",
        "pending_validation",
    ]
    assert calendar.legend_of("late").label == "Oups ! Hors délais, l'inscription sera majorée"
    assert len({e.css for e in calendar.LEGEND}) == 8  # one colour each
    assert all(e.short for e in calendar.LEGEND)  # and words, never the colour alone


def test_days_not_offered_and_unknown_states_read_as_closed():
    assert calendar.legend_of("closed").short == "Fermé"
    assert calendar.legend_of("not_eligible").css == "day-closed"
    assert calendar.legend_of("something_new").state == "closed"


def test_a_day_past_its_booking_deadline_has_its_own_words_and_symbol():
    past = calendar.legend_of("deadline_passed")
    assert past.state == "deadline_passed" and past.short == "Délai dépassé"
    assert past.css not in {e.css for e in calendar.LEGEND} | {"day-closed"}
    assert past.icon == "⛔"  # the guide's "sens interdit"
    assert past != calendar.legend_of("closed")
    weeks = calendar.calendar_weeks(
        date(2027, 1, 1), [{"date": "2027-01-04", "state": "deadline_passed"}]
    )
    day = next(d for week in weeks for d in week if d.date == date(2027, 1, 4))
    assert day.legend == past and not day.choosable and not day.cancellable


def test_months_are_read_from_the_address_and_stepped():
    today = date(2026, 12, 1)
    assert calendar.parse_month("2027-01", today) == date(2027, 1, 1)
    assert calendar.parse_month("2027-13", today) == date(2026, 12, 1)
    assert calendar.parse_month("0000-01", today) == date(2026, 12, 1)  # no year 0
    assert calendar.parse_month("9999-12", today) == date(2026, 12, 1)  # no next month
    assert calendar.parse_month(None, today) == date(2026, 12, 1)
    assert calendar.previous_month(date(2027, 1, 1)) == date(2026, 12, 1)
    assert calendar.next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert calendar.month_key(date(2027, 3, 1)) == "2027-03"
    assert calendar.month_name(date(2027, 2, 1)) == "février 2027"


def test_each_day_of_the_month_takes_its_api_state_and_what_the_family_may_do():
    api_days = [
        {"date": "2027-01-04", "state": "bookable", "booking_id": None},
        {"date": "2027-01-05", "state": "booked_cancellable", "booking_id": "b-1"},
        {"date": "2027-01-06", "state": "booked_locked", "booking_id": "b-2"},
        {"date": "2027-01-07", "state": "full"},
        {"date": "2027-01-08", "state": "waiting_list", "booking_id": "b-3", "waiting_position": 2},
        {"date": "2027-01-11", "state": "late"},
    ]
    weeks = calendar.calendar_weeks(date(2027, 1, 1), api_days)
    days = {d.date: d for week in weeks for d in week}
    assert not days[date(2026, 12, 28)].in_month and days[date(2026, 12, 28)].legend is None
    assert days[date(2027, 1, 4)].choosable and not days[date(2027, 1, 4)].cancellable
    assert days[date(2027, 1, 5)].cancellable and not days[date(2027, 1, 5)].choosable
    assert not days[date(2027, 1, 6)].cancellable  # cadenas: no cancel
    assert days[date(2027, 1, 7)].choosable  # on the waiting list
    assert days[date(2027, 1, 8)].waiting_position == 2 and days[date(2027, 1, 8)].cancellable
    assert days[date(2027, 1, 11)].legend.short == "Hors délais, majoré"
    assert days[date(2027, 1, 2)].legend.state == "closed"  # not listed by the API


def test_the_basket_groups_days_by_child_and_activity_with_what_validation_will_do():
    lines = [
        {"id": "l2", "child_id": "c1", "activity_id": "a1", "date": "2027-01-12", "action": "add"},
        {"id": "l1", "child_id": "c1", "activity_id": "a1", "date": "2027-01-11", "action": "add"},
        {"id": "l3", "child_id": "c2", "activity_id": "a1", "date": "2027-01-11", "action": "add"},
    ]
    states = {("c1", "a1", "2027-01-11"): "late", ("c1", "a1", "2027-01-12"): "full"}
    groups = basket.group_lines(lines, {"c1": "Léo", "c2": "Alice"}, {"a1": "Cantine"}, states)
    assert [(g.child_name, g.activity_name) for g in groups] == [
        ("Alice", "Cantine"),
        ("Léo", "Cantine"),
    ]
    leo = groups[1].lines
    assert [x.date for x in leo] == ["2027-01-11", "2027-01-12"]
    assert leo[0].late and "sera majorée" in (leo[0].forecast or "")
    assert "liste d'attente" in (leo[1].forecast or "")
    assert groups[0].lines[0].forecast is None


def test_a_validation_is_kept_as_counts_and_lines():
    result = {
        "basket_id": "b",
        "confirmed": 1,
        "waiting_list": 1,
        "cancelled": 0,
        "refused": 0,
        "lines": [
            {"child_id": "c", "activity_id": "a", "date": "2027-01-12", "outcome": "waiting_list"},
            {"child_id": "c", "activity_id": "a", "date": "2027-01-11", "outcome": "confirmed"},
        ],
    }
    kept = basket.outcome_summary(result)
    assert kept["counts"] == {"confirmed": 1, "waiting_list": 1, "cancelled": 0, "refused": 0}
    assert [x["date"] for x in kept["lines"]] == ["2027-01-11", "2027-01-12"]


def test_the_fair_opening_states_have_their_words_and_legend() -> None:
    """A day of a window not yet allocated and a waiting day offered: their own words, not
    choosable, in the legend only when the month shows them."""
    weeks = calendar.calendar_weeks(
        date(2027, 2, 1),
        [
            {"date": "2027-02-01", "state": "window_pending"},
            {"date": "2027-02-03", "state": "offered", "booking_id": "b1"},
            {"date": "2027-02-04", "state": "bookable"},
        ],
    )
    days = {d.date.day: d for week in weeks for d in week if d.in_month}
    assert days[1].legend is not None and days[1].legend.short == "Tirage au sort"
    assert not days[1].choosable and not days[3].choosable and not days[3].cancellable
    assert days[3].legend is not None and days[3].legend.short == "Place proposée"
    assert [e.state for e in calendar.fair_legend(list(days.values()))] == [
        "window_pending",
        "offered",
    ]
    assert calendar.fair_legend([days[4]]) == []

"""Waiting-list offers: until when an offer may be accepted (working hours, public holidays,
DST, the day's own start) and its accept link's token."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from booking.domain import offers
from booking.domain.deadlines import PARIS


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


FAR = date(2027, 6, 30)  # an activity day far enough not to cut the expiry


@pytest.mark.parametrize(
    ("offered_at", "hours", "expected"),
    [
        # Tuesday 10:00 + 24 h: Wednesday 10:00, working time.
        (paris(2026, 9, 15, 10, 0), 24, paris(2026, 9, 16, 10, 0)),
        # Ends exactly at 18:00 or 08:00 of a working day: kept.
        (paris(2026, 9, 18, 17, 0), 1, paris(2026, 9, 18, 18, 0)),
        (paris(2026, 9, 15, 7, 0), 1, paris(2026, 9, 15, 8, 0)),
        # Friday evening: the weekend is skipped, Monday 18:00.
        (paris(2026, 9, 18, 19, 0), 24, paris(2026, 9, 21, 18, 0)),
        (paris(2026, 9, 18, 17, 30), 1, paris(2026, 9, 21, 18, 0)),
        # Ends in the night before a working day: that day's 18:00.
        (paris(2026, 9, 15, 20, 0), 4, paris(2026, 9, 16, 18, 0)),
        (paris(2026, 9, 15, 20, 0), 11, paris(2026, 9, 16, 18, 0)),
        # Ends after 18:00 on a Tuesday: Wednesday 18:00.
        (paris(2026, 9, 15, 17, 0), 2, paris(2026, 9, 16, 18, 0)),
        # Ends on Wednesday 11 November (Armistice): Thursday 18:00.
        (paris(2026, 11, 10, 12, 0), 24, paris(2026, 11, 12, 18, 0)),
        # Ends on Friday before the Christmas Day weekend: Friday 25 is a holiday, Monday 28.
        (paris(2026, 12, 24, 12, 0), 24, paris(2026, 12, 28, 18, 0)),
        # Ends on a Saturday, a week's offer: Monday 18:00.
        (paris(2026, 9, 12, 9, 0), 168, paris(2026, 9, 21, 18, 0)),
    ],
)
def test_the_expiry_moves_out_of_nights_weekends_and_holidays(
    offered_at: datetime, hours: int, expected: datetime
) -> None:
    assert offers.expiry(offered_at, hours, FAR) == expected


def test_autumn_dst_24_real_hours_then_monday_evening_in_winter_time() -> None:
    # Saturday 24 October 2026 10:00 CEST + 24 real hours = Sunday 09:00 CET (the clocks
    # went back), a Sunday: Monday 18:00 CET.
    offered = paris(2026, 10, 24, 10, 0)
    got = offers.expiry(offered, 24, FAR)
    assert got == paris(2026, 10, 26, 18, 0)
    assert got is not None and got.astimezone(UTC) == datetime(2026, 10, 26, 17, 0, tzinfo=UTC)
    # Friday 23 October 10:00 CEST + 70 real hours = Monday 07:00 CET (not 08:00): that
    # Monday's 18:00.
    assert offers.expiry(paris(2026, 10, 23, 10, 0), 70, FAR) == paris(2026, 10, 26, 18, 0)
    # + 71 real hours = Monday 08:00 CET, working time: kept.
    assert offers.expiry(paris(2026, 10, 23, 10, 0), 71, FAR) == paris(2026, 10, 26, 8, 0)


def test_spring_dst_monday_evening_in_summer_time() -> None:
    offered = paris(2026, 3, 28, 12, 0)  # Saturday, CET; Sunday 29 the clocks go forward
    got = offers.expiry(offered, 24, FAR)
    assert got == paris(2026, 3, 30, 18, 0)
    assert got is not None and got.astimezone(UTC) == datetime(2026, 3, 30, 16, 0, tzinfo=UTC)
    # Friday 27 March 10:00 CET + 69 real hours = Monday 08:00 CEST.
    assert offers.expiry(paris(2026, 3, 27, 10, 0), 69, FAR) == paris(2026, 3, 30, 8, 0)


def test_easter_monday_is_a_holiday() -> None:
    # Saturday 27 March 2027: Easter is Sunday 28, Monday 29 is a public holiday.
    assert offers.expiry(paris(2027, 3, 27, 12, 0), 24, FAR) == paris(2027, 3, 30, 18, 0)


def test_an_offer_made_in_utc_is_read_in_paris_time() -> None:
    # 16:30 UTC on a Tuesday in September is 18:30 in Paris: past working time.
    offered = datetime(2026, 9, 15, 16, 30, tzinfo=UTC)
    assert offers.expiry(offered, 1, FAR) == paris(2026, 9, 16, 18, 0)


def test_never_after_the_day_starts() -> None:
    # Monday 10:00 for Tuesday's place: 24 h would end Tuesday 10:00, the day has begun.
    assert offers.expiry(paris(2026, 9, 14, 10, 0), 24, date(2026, 9, 15)) == paris(
        2026, 9, 15, 0, 0
    )
    # Friday evening for Monday: Monday 18:00 is cut to Monday 00:00.
    assert offers.expiry(paris(2026, 9, 18, 20, 0), 24, date(2026, 9, 21)) == paris(
        2026, 9, 21, 0, 0
    )


def test_at_least_an_hour_or_no_offer_at_all() -> None:
    day = date(2026, 9, 15)
    # Exactly an hour before the day: offered, until the day starts.
    assert offers.expiry(paris(2026, 9, 14, 23, 0), 24, day) == paris(2026, 9, 15, 0, 0)
    # Less than an hour left, or the day begun: None (the place is booked directly).
    assert offers.expiry(paris(2026, 9, 14, 23, 1), 24, day) is None
    assert offers.expiry(paris(2026, 9, 15, 9, 0), 24, day) is None
    # Whatever the working hours say, an expiry is always at least an hour away.
    for minutes in range(0, 7 * 24 * 60, 37):
        offered = paris(2026, 9, 10, 0, 0) + timedelta(minutes=minutes)
        got = offers.expiry(offered, 1, day)
        assert got is None or offered + offers.MIN_ANSWER <= got <= offers.day_start(day)


def test_working_time() -> None:
    assert offers.is_working_day(date(2026, 9, 15))
    assert not offers.is_working_day(date(2026, 9, 19))  # Saturday
    assert not offers.is_working_day(date(2026, 7, 14))  # Bastille Day, a Tuesday
    inside = paris(2026, 9, 15, 12, 0)
    assert offers.working_end(inside) is inside


def test_a_link_token_is_random_and_only_its_digest_is_kept() -> None:
    one, two = offers.new_link(), offers.new_link()
    assert one.token != two.token and one.digest != two.digest
    assert offers.well_formed(one.token)
    assert offers.token_digest(one.token) == one.digest
    assert one.token not in repr(one)
    assert len(one.digest) == 32


def test_a_forged_or_altered_token_finds_nothing() -> None:
    link = offers.new_link()
    altered = ("A" if link.token[0] != "A" else "B") + link.token[1:]
    assert offers.token_digest(altered) != link.digest
    # Not what this service makes: refused before any lookup.
    for bad in ("", "abc", link.token + "x", link.token[:-1] + "é", "../" + link.token[3:]):
        assert not offers.well_formed(bad)


def test_the_accept_url_is_the_portal_page() -> None:
    assert (
        offers.accept_url("https://famille.example.fr/", "tok")
        == "https://famille.example.fr/offres/accepter/tok"
    )

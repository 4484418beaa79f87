"""Attachment sniffing and names, publication windows, weeks and menus (no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from notify.api.attachments import ATTACHMENT
from notify.domain import calendar, menus
from shared import files

NOW = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"%PDF-1.7\n...\n%%EOF\n", files.PDF),
        (b"%PDF-1.7 without its end", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR....", files.PNG),
        (b"\x89PNG\r\n\x1a\n garbage", None),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", files.JPEG),
        (b"\xff\xd8", None),
        (b"Bonjour, ceci est du texte.", None),
        (b"<html><script>alert(1)</script>", None),
        (b"GIF89a....", None),
        (b"", None),
    ],
)
def test_type_comes_from_the_magic_bytes(content, expected):
    assert files.sniff(content) == expected


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("menu.pdf", files.PDF, "menu.pdf"),
        ("MENU.PDF", files.PDF, "MENU.pdf"),
        ("photo.jpeg", files.JPEG, "photo.jpg"),
        ("photo.pdf", files.PNG, "photo.pdf.png"),
        ("../../etc/passwd", files.PDF, "passwd.pdf"),
        ("C:\\Users\\moi\\Été 2025.png", files.PNG, "Été 2025.png"),
        ('a"b;c\r\nd.pdf', files.PDF, "a_b_c_d.pdf"),
        ("", files.JPEG, "piece-jointe.jpg"),
        (None, files.PDF, "piece-jointe.pdf"),
        ("x" * 300 + ".pdf", files.PDF, "x" * 116 + ".pdf"),
    ],
)
def test_file_names_are_cleaned_and_match_the_real_type(name, kind, expected):
    assert files.clean_filename(name, kind, fallback=ATTACHMENT) == expected


def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name():
    assert files.content_disposition("Menus d'été.pdf") == (
        "attachment; filename=\"Menus d_ete.pdf\"; filename*=UTF-8''Menus%20d%27%C3%A9t%C3%A9.pdf"
    )


def test_window_dates_are_whole_days_in_paris():
    start, until = calendar.window(date(2025, 3, 1), date(2025, 3, 31), "Europe/Paris", NOW)
    assert start == datetime(2025, 2, 28, 23, 0, tzinfo=UTC)  # CET
    assert until == datetime(2025, 3, 31, 22, 0, tzinfo=UTC)  # 1 April 00:00 CEST
    start, until = calendar.window(None, None, "Europe/Paris", NOW)
    assert (start, until) == (NOW, None)
    naive = datetime(2025, 7, 1, 8, 30)
    start, _ = calendar.window(naive, None, "Europe/Paris", NOW)
    assert start == datetime(2025, 7, 1, 6, 30, tzinfo=UTC)
    # the same day as start and end: that whole day
    start, until = calendar.window(date(2025, 3, 5), date(2025, 3, 5), "Europe/Paris", NOW)
    assert until is not None and (until - start).total_seconds() == 86400


def test_a_window_must_end_after_it_starts():
    with pytest.raises(calendar.InvalidWindow) as caught:
        calendar.window(date(2025, 3, 10), date(2025, 3, 9), "Europe/Paris", NOW)
    assert caught.value.extra["errors"][0]["field"] == "publish_until"
    with pytest.raises(calendar.InvalidWindow):
        calendar.changed_window(NOW, None, {"publish_until": date(2025, 3, 1)}, "UTC", NOW)
    start, until = calendar.changed_window(
        NOW, datetime(2025, 4, 1, tzinfo=UTC), {"publish_until": None}, "UTC", NOW
    )
    assert (start, until) == (NOW, None)


def test_weeks():
    assert calendar.monday(date(2025, 3, 9)) == date(2025, 3, 3)
    assert calendar.monday(date(2025, 3, 3)) == date(2025, 3, 3)
    assert calendar.iso_week(date(2024, 12, 30)) == "2025-W01"
    late = datetime(2025, 3, 9, 23, 30, tzinfo=UTC)  # Monday 00:30 in Paris
    assert calendar.local_today("Europe/Paris", late) == date(2025, 3, 10)


def test_menu_weeks_and_days():
    assert menus.shown_weeks(date(2025, 3, 9)) == [date(2025, 3, 3), date(2025, 3, 10)]
    week = date(2025, 3, 3)
    days = [{"date": date(2025, 3, 4)}, {"date": date(2025, 3, 10)}, {"date": date(2025, 3, 4)}]
    assert menus.misplaced_days(week, days) == {
        "days.1.date": ["Ce jour n'est pas dans la semaine du 03/03/2025."],
        "days.2.date": ["Ce jour est déjà saisi."],
    }
    assert menus.misplaced_days(week, days[:1]) == {}
    view = menus.week_view(week, None)
    assert (view["week"], view["published"], view["days"]) == ("2025-W10", False, [])


def test_sizes_in_french():
    assert files.human_size(5 * 1024 * 1024) == "5 Mo"
    assert files.human_size(1536 * 1024) == "1,5 Mo"
    assert files.human_size(4096) == "4 Ko"
    assert files.human_size(10) == "10 octets"

"""The communication back-office's rules: the week of a menu, its form to notify's MenuIn and
notify's errors back to the form's fields, the news form, the page form's gaps, the emails'
search and its pages."""

from __future__ import annotations

from datetime import date

from web.domain import staff_communication as sc


def test_a_week_is_its_monday_and_this_week_when_unreadable() -> None:
    today = date(2026, 11, 5)  # a Thursday
    assert sc.week_wanted("2026-11-08", today) == date(2026, 11, 2)  # a Sunday: its Monday
    assert sc.week_wanted("2026-11-09", today) == date(2026, 11, 9)
    assert sc.week_wanted("lundi", today) == date(2026, 11, 2)
    assert sc.week_wanted(None, today) == date(2026, 11, 2)


def test_the_menu_form_sends_only_the_days_written() -> None:
    form = sc.read_menu_form(
        date(2026, 11, 2),
        {"jour-1-main": " Lasagnes ", "jour-1-allergens": "Gluten", "jour-3-text": "Férié"},
    )
    assert [d["weekday"] for d in form.days] == ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi"]
    assert form.payload() == {
        "days": [
            {"date": "2026-11-03", "main": "Lasagnes", "allergens": "Gluten"},
            {"date": "2026-11-05", "text": "Férié"},
        ],
        "remarks": None,
    }


def test_a_stored_menu_fills_its_days() -> None:
    stored = {
        "days": [{"date": "2026-11-04", "main": "Poisson", "starter": None}],
        "remarks": "Bio",
    }
    form = sc.menu_form(date(2026, 11, 2), stored)
    assert form.days[2]["main"] == "Poisson" and form.days[2]["starter"] == ""
    assert form.days[0]["main"] == "" and form.remarks == "Bio"
    assert sc.menu_form(date(2026, 11, 2), None).payload() == {"days": [], "remarks": None}


def test_notify_numbers_the_days_sent_and_the_form_its_weekdays() -> None:
    form = sc.read_menu_form(date(2026, 11, 2), {"jour-1-main": "A", "jour-4-main": "B"})
    problem = {
        "errors": [
            {"field": "days.1.main", "detail": "Trop long."},
            {"field": "remarks", "detail": "Caractères non autorisés."},
            {"field": "days", "detail": "Jour hors de la semaine."},
        ]
    }
    assert sc.day_errors(sc.menu_errors(problem), form) == {
        "jour-4-main": "Trop long.",
        "remarks": "Caractères non autorisés.",
        "days": "Jour hors de la semaine.",
    }


def test_the_news_form_clears_what_is_emptied_on_a_change() -> None:
    form = sc.read_news_form(
        {"title": " Fermeture ", "body": "Un\r\n\r\nDeux", "activity_id": "", "publish_from": ""}
    )
    assert form.fields() == {"title": "Fermeture", "body": "Un\n\nDeux"}
    stored = {
        "title": "T",
        "body": "B",
        "activity_id": "a1",
        "publish_from": "2026-11-01T23:30:00+00:00",  # Monday 00:30 in Paris
        "publish_until": "2026-11-20T22:59:59+00:00",
    }
    before = sc.news_form_of(stored)
    assert (before.publish_from, before.publish_until) == ("2026-11-02", "2026-11-20")
    # Unchanged dates are not sent (the window stays to the minute), emptied ones cleared.
    assert form.fields(before=before) == {
        "title": "Fermeture",
        "body": "Un\n\nDeux",
        "activity_id": None,
        "publish_until": None,
    }
    same = sc.read_news_form({"title": "T", "body": "B", "publish_from": "2026-11-02"})
    assert same.fields(before=before) == {
        "title": "T",
        "body": "B",
        "activity_id": None,
        "publish_until": None,
    }
    moved = sc.read_news_form({"title": "T", "body": "B", "publish_from": "2026-11-03"})
    assert moved.fields(before=before)["publish_from"] == "2026-11-03"


def test_news_are_counted_by_state() -> None:
    items = [{"state": "current"}, {"state": "current"}, {"state": "unpublished"}]
    assert sc.news_counts(items) == {"scheduled": 0, "current": 2, "expired": 0, "unpublished": 1}


def test_an_information_page_says_what_it_lacks() -> None:
    assert sc.page_missing({"slug": "a", "title": "T", "body": "B", "position": "3"}) == {}
    assert set(sc.page_missing({"position": "trois"})) == {"slug", "title", "body", "position"}


def test_the_emails_search_and_its_pages() -> None:
    search = sc.read_email_search({"destinataire": " a@b.fr ", "statut": "failed", "page": "3"})
    assert search.params == {
        "limit": "25",
        "offset": "50",
        "recipient": "a@b.fr",
        "status": "failed",
    }
    assert search.link(2) == {"page": "2", "destinataire": "a@b.fr", "statut": "failed"}
    odd = sc.read_email_search({"statut": "bounced", "page": "-4"})
    assert odd.status == "" and odd.page == 1
    assert sc.read_email_search({"page": "x"}).page == 1


def test_file_sizes_in_french() -> None:
    assert sc.file_size(300) == "1 Ko"
    assert sc.file_size(2 * 1024 * 1024 + 300_000) == "2,3 Mo"

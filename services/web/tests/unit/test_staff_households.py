"""The back-office households' pure logic: the search form read safely, where a page of
results sits, the changes' and balances' French words, the emails merged."""

from __future__ import annotations

from web.domain import staff_households as sh


def test_the_search_is_trimmed_cut_and_its_page_made_sane() -> None:
    assert sh.read_search({"q": "  Inès   Benali ", "page": "2"}) == sh.Search("Inès Benali", 2)
    assert sh.read_search({}) == sh.Search("", 1)
    assert sh.read_search({"q": "x", "page": "deux"}).page == 1
    assert sh.read_search({"q": "x", "page": "-3"}).page == 1
    assert sh.read_search({"q": "x", "page": "99999999"}).page == 100_000
    assert len(sh.read_search({"q": "a" * 300}).text) == sh.QUERY_MAX
    assert sh.Search("martin", 3).params == {"q": "martin", "page": "3", "per_page": "20"}


def test_where_a_page_of_results_sits() -> None:
    middle = sh.pages(total=45, page=2, per_page=20, shown=20)
    assert (middle.first_shown, middle.last_shown, middle.last) == (21, 40, 3)
    assert (middle.previous, middle.next) == (1, 3)
    end = sh.pages(total=45, page=3, per_page=20, shown=5)
    assert (end.first_shown, end.last_shown, end.next) == (41, 45, None)
    nothing = sh.pages(total=0, page=1, per_page=20, shown=0)
    assert (nothing.last, nothing.first_shown, nothing.previous, nothing.next) == (1, 0, None, None)


def test_a_change_is_named_in_french() -> None:
    assert sh.change_label({"entity": "child", "operation": "update"}) == "Enfant : modification"
    assert sh.change_label({"entity": "contact", "operation": "delete"}) == "Contact : suppression"
    assert sh.change_label({"entity": "new_household", "operation": "create"}) == (
        "Création du foyer"
    )
    assert sh.change_label({"entity": "unknown", "operation": ""}) == "unknown"


def test_the_balance_is_said_in_words() -> None:
    assert sh.balance_label(4140) == "Reste à payer"
    assert sh.balance_label(0) == "À jour"
    assert sh.balance_label(-500) == "En crédit"
    assert sh.balance_label(None) == "Solde inconnu"


def test_emails_found_twice_are_shown_once_newest_first() -> None:
    old = {"id": "1", "created_at": "2026-09-01T08:00:00+00:00"}
    new = {"id": "2", "created_at": "2026-10-01T08:00:00+00:00"}
    merged = sh.emails_merged([{"items": [old, new]}, None, {"items": [new]}])
    assert [e["id"] for e in merged] == ["2", "1"]
    assert sh.emails_merged([]) == []


def test_a_child_and_a_city_of_the_household() -> None:
    household = {
        "children": [{"id": "a", "first_name": "Léa"}],
        "address": {"postal_code": "74330", "city": "Epagny"},
    }
    assert sh.child_of(household, "a") == {"id": "a", "first_name": "Léa"}
    assert sh.child_of(household, "b") is None
    assert sh.city_of(household) == "74330 Epagny"
    assert sh.city_of({"address": None}) == ""


def test_the_health_readings_of_one_child() -> None:
    log = {"items": [{"child_id": "a", "roles": ["staff"]}, {"child_id": "b", "roles": []}]}
    assert sh.readings_of(log, "a") == [{"child_id": "a", "roles": ["staff"]}]
    assert sh.readings_of({"items": []}, "a") == []
    assert sh.readings_of(None, "a") is None

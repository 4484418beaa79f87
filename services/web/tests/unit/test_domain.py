"""The portal's plain rules: French dates and amounts, session ids and CSRF, API problems
shown by their fields, the town's theme."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from web.domain import security
from web.domain.french import euros, long_date, long_datetime
from web.domain.problems import GENERIC, form_errors
from web.domain.theme import DEFAULT_ACCENT, DEFAULT_PRIMARY, Theme, contrast_ratio, text_on


def test_dates_are_written_in_full_in_french():
    assert long_date(date(2026, 10, 5)) == "lundi 5 octobre 2026"
    assert long_date("2026-12-01") == "mardi 1er décembre 2026"
    assert long_date(None) == "" and long_date("") == ""
    # 23:30 UTC on 31 December is already 1 January in Paris.
    assert long_date(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == "jeudi 1er janvier 2026"
    assert long_date("2026-08-14T22:15:00+00:00") == "samedi 15 août 2026"
    assert long_datetime("2026-10-05T12:05:00+00:00") == "lundi 5 octobre 2026 à 14 h 05"


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (4140, "41,40\u00a0€"),
        (5, "0,05\u00a0€"),
        (0, "0,00\u00a0€"),
        (123456, "1\u202f234,56\u00a0€"),
        (-1200, "-12,00\u00a0€"),
        (None, ""),
    ],
)
def test_amounts_are_written_the_french_way_and_never_cut(cents, text):
    assert euros(cents) == text


def test_session_ids_are_random_well_formed_and_stored_hashed():
    ids = {security.new_session_id() for _ in range(100)}
    assert len(ids) == 100 and all(security.well_formed(i) for i in ids)
    one = next(iter(ids))
    other = one[:-1] + ("B" if one.endswith("A") else "A")  # another id, one character off
    assert security.id_hash(one) == security.id_hash(one) != security.id_hash(other)
    assert len(security.id_hash(one)) == 32
    for bad in (None, "", "x" * 43 + "=", "a" * 42, "é" * 43, "a" * 43 + ";"):
        assert not security.well_formed(bad)


def test_a_csrf_token_matches_only_itself():
    token = security.new_csrf_token()
    assert security.csrf_matches(token, token)
    assert not security.csrf_matches(token, security.new_csrf_token())
    assert not security.csrf_matches(token, None)
    assert not security.csrf_matches(token, "")
    assert not security.csrf_matches(None, None)
    assert not security.csrf_matches("", "")


def test_a_session_ends_when_idle_or_at_its_absolute_limit():
    life = security.Lifetime(idle=timedelta(minutes=60), absolute=timedelta(hours=12))
    start = datetime(2026, 10, 5, 8, tzinfo=UTC)
    assert life.expires(start, start) == start + timedelta(minutes=60)
    late = start + timedelta(hours=11, minutes=30)
    assert life.expires(start, late) == start + timedelta(hours=12)


def test_an_access_token_is_used_until_shortly_before_it_expires():
    now = datetime(2026, 10, 5, 8, tzinfo=UTC)
    assert security.access_token_fresh(now + timedelta(minutes=5), now)
    assert not security.access_token_fresh(now + timedelta(seconds=20), now)
    assert not security.access_token_fresh(None, now)


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/factures", "/factures"),
        ("/paiement/retour?transaction=1", "/paiement/retour?transaction=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_after_login_only_a_path_of_the_portal_is_followed(target, safe):
    assert security.safe_next(target) == safe


def test_a_problem_s_errors_go_next_to_the_fields_the_form_has():
    problem = {
        "status": 422,
        "detail": "Certaines informations sont manquantes ou incorrectes : login, x.",
        "errors": [
            {"field": "login", "detail": "Longueur maximale : 254 caractères."},
            {"field": "x.y", "detail": "Autre chose."},
        ],
    }
    errors = form_errors(problem, ("login", "password"))
    assert errors.fields == {"login": "Longueur maximale : 254 caractères."}
    assert errors.general is not None and "Autre chose." in errors.general
    only_fields = form_errors({**problem, "errors": problem["errors"][:1]}, ("login",))
    assert only_fields.general is None and only_fields
    unauthorised = form_errors({"status": 401, "detail": "Identifiant incorrect."}, ("login",))
    assert unauthorised.fields == {} and unauthorised.general == "Identifiant incorrect."
    assert form_errors(None, ()).general == GENERIC


def test_the_theme_takes_the_town_s_settings_and_defaults_for_the_rest():
    public = {
        "display_name": "Ville d'Épagny",
        "contact_email": "mairie@epagny.fr",
        "contact_phone": "04 50 00 00 00",
    }
    styled = {
        "configured": True,
        "name": "Épagny",
        "contact_service": "le service Petite Enfance",
        "contact_email": "enfance@epagny.fr",
        "contact_phone": None,
        "primary_color": "#00695c",
        "accent_color": "red; background: url(x)",
    }
    theme = Theme.build("epagny", public, styled)
    assert theme.name == "Ville d'Épagny"  # identity's name of the town
    # The families' contact notify's emails show, identity's for what it lacks.
    assert theme.contact_service == "le service Petite Enfance"
    assert (theme.contact_email, theme.contact_phone) == ("enfance@epagny.fr", "04 50 00 00 00")
    assert theme.primary_color == "#00695c"
    assert theme.accent_color == DEFAULT_ACCENT  # not #rrggbb: the default, never injected
    unset = Theme.build("epagny", public, {**styled, "configured": False})
    assert unset.contact_email == "mairie@epagny.fr" and unset.contact_service is None
    bare = Theme.build("saint-jean", None, None)
    assert bare.name == "Saint Jean" and bare.primary_color == DEFAULT_PRIMARY
    assert bare.contact_email is None


def test_text_on_the_town_s_colour_keeps_a_readable_contrast():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    for background in ("#1d4f91", "#00695c", "#f2a900", "#ffffff", "#777777", "#ffff00"):
        assert contrast_ratio(text_on(background), background) >= 4.4


def test_de_is_elided_before_a_vowel_or_a_mute_h() -> None:
    from web.domain.french import de

    assert de("Léa") == "de Léa"
    assert de("Inès") == "d'Inès"
    assert de("Hugo") == "d'Hugo"
    assert de("Élodie") == "d'Élodie"

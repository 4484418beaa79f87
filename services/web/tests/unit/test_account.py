"""The account's plain rules: the step a login leaves pending and where it leads, identity's
problems by field, the refused links' messages, where notifications lead."""

from __future__ import annotations

import pytest

from web.domain import account
from web.domain.problems import GENERIC


def test_a_temporary_password_then_new_terms_are_the_steps_a_login_leaves():
    full = {"refresh_token": "r", "terms": {"must_accept": False}}
    assert account.pending_step(full) is None
    assert account.pending_step({**full, "terms": {"must_accept": True}}) == "terms"
    # A temporary password's token has no refresh token: changing it comes first.
    temporary = {"refresh_token": None, "password_change_required": True}
    assert account.pending_step({**temporary, "terms": {"must_accept": True}}) == "password"


def test_every_page_leads_to_the_pending_step_except_its_own():
    assert account.step_redirect(None, "/foyer") is None
    assert account.step_redirect("terms", "/foyer") == "/conditions"
    assert account.step_redirect("terms", "/conditions") is None
    assert account.step_redirect("password", "/") == "/compte/mot-de-passe"
    assert account.step_redirect("password", "/compte/mot-de-passe") is None
    assert account.step_redirect("unknown", "/") is None


def test_every_broken_password_rule_is_shown_next_to_its_field():
    problem = {
        "detail": "Le mot de passe ne respecte pas les règles de sécurité.",
        "errors": [
            {"field": "password", "detail": "Au moins 12 caractères."},
            {"field": "password", "detail": "Au moins un chiffre."},
        ],
    }
    errors = account.field_errors(problem, ("password",))
    assert errors.fields == {"password": "Au moins 12 caractères. Au moins un chiffre."}
    assert errors.general is None


def test_errors_of_fields_the_form_lacks_and_bare_problems_are_for_the_form():
    problem = {"detail": "Incorrect.", "errors": [{"field": "other", "detail": "Non."}]}
    assert account.field_errors(problem, ("email",)).general == "Incorrect. Non."
    assert account.field_errors(None, ("email",)).general == GENERIC
    renamed = account.field_errors(
        {"errors": [{"field": "new_email", "detail": "Adresse invalide."}]},
        ("email",),
        renamed={"new_email": "email"},
    )
    assert renamed.fields == {"email": "Adresse invalide."}


def test_the_confirmation_must_repeat_the_password():
    assert account.confirmation_errors("Abc12345", "Abc12345", "c") == {}
    assert account.confirmation_errors("Abc12345", "abc12345", "c") == {
        "c": "Les deux mots de passe saisis sont différents."
    }
    assert account.confirmation_errors("", "", "c") == {}  # "missing" is said elsewhere


@pytest.mark.parametrize(
    ("status", "code", "title", "resend"),
    [
        (404, "invalid-link", "Lien non valable", True),
        (409, "link-already-used", "Lien déjà utilisé", False),
        (410, "link-expired", "Lien expiré", True),
        (410, "link-superseded", "Lien remplacé", True),
        (409, "email-already-used", "Adresse déjà utilisée", False),
    ],
)
def test_each_refused_link_has_its_own_message_and_next_step(status, code, title, resend):
    problem = {"type": f"https://portail-famille.fr/problems/{code}", "status": status}
    outcome = account.link_outcome(status, problem)
    assert (outcome.title, outcome.resend) == (title, resend)
    assert outcome.message


def test_the_password_rules_say_the_town_s_length():
    assert account.password_rules(12)[0] == "au moins 12 caractères ;"
    assert account.password_rules(None)[0] == "au moins 8 caractères ;"


@pytest.mark.parametrize(
    ("kind", "href"),
    [
        ("account_activated", "/compte"),
        ("password_changed", "/compte"),
        ("change_approved", "/foyer"),
        ("document_rejected", "/foyer"),
        ("request_answered", "/demandes"),
        ("enrollment_approved", "/inscriptions"),
        ("reservation_validated", "/reservations"),
        ("waiting_list_promoted", "/reservations"),
        ("invoice_issued", "/factures"),
        ("direct_debit_announced", "/factures"),
        ("something_new", "/"),
    ],
)
def test_each_notification_leads_to_its_page(kind, href):
    assert account.notification_target(kind)[0] == href


def test_unread_notifications_come_first_in_their_order():
    items = [
        {"id": 1, "read_at": "2026-10-01T10:00:00+00:00"},
        {"id": 2, "read_at": None},
        {"id": 3, "read_at": None},
    ]
    assert [n["id"] for n in account.unread_first(items)] == [2, 3, 1]

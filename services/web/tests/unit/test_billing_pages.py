"""The wallet's and the direct debit's pure logic: amounts typed in euros, mandate statuses,
the masked IBAN's visible end, the movements' words; the week's menu for the home page."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from web.domain.billing import (
    AmountError,
    access_purpose,
    amount_field,
    current_mandates,
    debit_schedule,
    debit_state,
    iban_ending,
    mandate_status,
    movement_direction,
    movement_kind,
    parse_amount,
    past_mandates,
    token_household,
)
from web.domain.menus import paragraphs, week_menu

LIMITS = (500, 30000)


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("12", 1200),
        ("12,5", 1250),
        ("12,50", 1250),
        ("12.50", 1250),
        (" 20,00 € ", 2000),
        ("1 50,00", 15000),
        ("300", 30000),
        ("5", 500),
        ("12,50\u00a0€", 1250),
    ],
)
def test_an_amount_in_euros_becomes_cents(typed: str, cents: int) -> None:
    assert parse_amount(typed, *LIMITS) == cents


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Indiquez le montant à ajouter, en euros."),
        ("   ", "Indiquez le montant à ajouter, en euros."),
        ("douze", "Indiquez un montant en euros avec au plus deux décimales"),
        ("12,505", "Indiquez un montant en euros avec au plus deux décimales"),
        ("-12", "Indiquez un montant en euros avec au plus deux décimales"),
        ("12,", "Indiquez un montant en euros avec au plus deux décimales"),
        ("4,99", "Le montant minimum est de 5,00\u00a0€."),
        ("300,01", "Le montant maximum est de 300,00\u00a0€."),
        ("0", "Le montant minimum est de 5,00\u00a0€."),
    ],
)
def test_a_wrong_amount_is_refused_in_french(typed: str, message: str) -> None:
    with pytest.raises(AmountError) as refused:
        parse_amount(typed, *LIMITS)
    assert str(refused.value).startswith(message)


def test_an_amount_is_shown_again_in_the_field() -> None:
    assert amount_field(1250) == "12,50"
    assert amount_field(500) == "5,00"


def test_each_mandate_status_has_words() -> None:
    assert mandate_status("pending_signature").label == "En attente de signature"
    assert mandate_status("active").label == "Actif"
    assert "prochaine facture" in mandate_status("active").explanation
    assert mandate_status("suspended").label == "Suspendu"
    assert mandate_status("revoked").label == "Révoqué"
    assert mandate_status("strange").label == "État : strange"


def test_the_mandate_in_use_comes_first_and_revoked_ones_are_history() -> None:
    mandates = [
        {"id": "a", "status": "revoked"},
        {"id": "b", "status": "pending_signature"},
        {"id": "c", "status": "active"},
        {"id": "d", "status": "suspended"},
    ]
    assert [m["id"] for m in current_mandates(mandates)] == ["c", "b", "d"]
    assert [m["id"] for m in past_mandates(mandates)] == ["a"]
    assert current_mandates([]) == []


def test_only_the_end_of_the_masked_iban_is_read_out() -> None:
    assert iban_ending("FR76 **** **** **** **** **** 189") == "189"
    assert iban_ending("DE89 **** **** **** **** 3000") == "3000"
    assert iban_ending(None) == ""


def test_movements_in_words() -> None:
    assert movement_kind("top_up") == "Rechargement par carte"
    assert movement_kind("debit") == "Paiement de réservations"
    assert movement_kind("other") == "Mouvement"
    assert movement_direction(1200) == "Crédit"
    assert movement_direction(-450) == "Débit"


def test_the_week_menu_in_meal_order() -> None:
    body = {
        "weeks": [
            {
                "week_start": "2026-11-30",
                "published": True,
                "days": [
                    {"date": "2026-12-01", "main": "Lasagnes", "starter": "Carottes râpées"},
                    {"date": "2026-11-30", "text": "Repas de Noël", "allergens": "gluten"},
                ],
                "remarks": "Viande d'origine France.",
            },
            {"week_start": "2026-12-07", "published": False, "days": []},
        ]
    }
    menu = week_menu(body)
    assert menu is not None
    assert [d["date"] for d in menu["days"]] == ["2026-11-30", "2026-12-01"]
    assert menu["days"][1]["dishes"] == [("Entrée", "Carottes râpées"), ("Plat", "Lasagnes")]
    assert menu["days"][0]["text"] == "Repas de Noël"
    assert menu["remarks"] == "Viande d'origine France."


def test_no_menu_when_the_week_is_not_published() -> None:
    assert week_menu({"weeks": [{"published": False, "days": []}]}) is None
    assert week_menu({"weeks": []}) is None
    assert week_menu("unexpected") is None


def test_a_page_body_in_paragraphs() -> None:
    assert paragraphs("Un.\r\n\r\nDeux\nsuite.\n\n\n") == ["Un.", "Deux\nsuite."]
    assert paragraphs(None) == []


def test_each_access_to_the_bank_details_in_words() -> None:
    assert access_purpose({"purpose": "mandate", "rum": "M-ENF-2026-000001"}) == (
        "Consultation du mandat M-ENF-2026-000001"
    )
    assert access_purpose({"purpose": "pain008", "batch_number": "P-2026-000004"}) == (
        "Fichier de prélèvement P-2026-000004 envoyé à la banque"
    )


def test_the_household_is_read_from_the_access_token_s_claims() -> None:
    claims = '{"sub": "a", "household_id": "3f1c1e2a-1111-4222-8333-944444444444"}'
    payload = base64.urlsafe_b64encode(claims.encode()).decode().rstrip("=")
    assert token_household(f"eyJhbGciOiJFZERTQSJ9.{payload}.sig") == (
        "3f1c1e2a-1111-4222-8333-944444444444"
    )
    unlinked = base64.urlsafe_b64encode(b'{"sub": "a"}').decode().rstrip("=")
    assert token_household(f"h.{unlinked}.s") is None
    odd = base64.urlsafe_b64encode(b'{"household_id": "../../x"}').decode().rstrip("=")
    assert token_household(f"h.{odd}.s") is None  # never put in a URL
    assert token_household("access-1") is None
    assert token_household("h.%%%.s") is None
    assert token_household(None) is None


def test_debits_to_come_and_past_ones_in_words() -> None:
    today = date(2026, 12, 1)
    debits = [
        {"id": "a", "collection_date": "2026-11-15", "status": "collected"},
        {"id": "b", "collection_date": "2026-12-20", "status": "collected"},
        {"id": "c", "collection_date": "2026-12-01", "status": "collected"},
        {
            "id": "d",
            "collection_date": "2026-10-15",
            "status": "rejected",
            "reason_label": "Provision insuffisante",
        },
    ]
    upcoming, past = debit_schedule(debits, today)
    assert [d["id"] for d in upcoming] == ["c", "b"]
    assert [(d["id"], d["state"]) for d in past] == [
        ("a", "Prélevé"),
        ("d", "Rejeté par la banque : Provision insuffisante"),
    ]
    assert debit_state({"status": "rejected", "reason_code": "AM04"}, today) == (
        "Rejeté par la banque : AM04"
    )
    assert debit_state({"status": "rejected"}, today) == "Rejeté par la banque"

"""The household file's plain rules: the forms turned into the family API's bodies, its
errors put back next to the forms' fields, its codes as French labels."""

from __future__ import annotations

from datetime import date

from web.domain import household as hh


def test_a_child_form_becomes_the_api_s_child_with_blanks_as_nothing():
    form = {
        "first_name": " Léa ",
        "last_name": "Martin",
        "birth_date": "2018-04-02",
        "sex": "",
        "school": "École du Lac",
        "grade": "",
        "diet": "no_pork",
        "image_rights": "oui",
    }
    assert hh.child_body(form) == {
        "first_name": "Léa",
        "last_name": "Martin",
        "birth_date": "2018-04-02",
        "sex": None,
        "school": "École du Lac",
        "grade": None,
        "diet": "no_pork",
        "image_rights": True,
    }
    # An unticked checkbox is not sent by the browser: no image rights; no diet: standard.
    body = hh.child_body({"first_name": "Léa", "last_name": "Martin"})
    assert body["image_rights"] is False and body["diet"] == "standard"


def test_a_contact_a_guardian_and_the_address_become_the_api_s_bodies():
    assert hh.contact_body(
        {
            "first_name": "Paul",
            "last_name": "Roux",
            "phone": "06 11 22 33 44",
            "relationship": "grand-père",
            "can_pick_up": "oui",
        }
    ) == {
        "first_name": "Paul",
        "last_name": "Roux",
        "phone": "06 11 22 33 44",
        "relationship": "grand-père",
        "can_pick_up": True,
        "emergency": False,
    }
    guardian = hh.guardian_body({"first_name": "Ana", "last_name": "Roux", "phone": ""})
    assert guardian["phones"] == [] and guardian["email"] is None
    assert guardian["relationship"] is None
    address = hh.address_body(
        {"line1": "1 rue Haute", "postal_code": "74330", "city": "Epagny", "phone": "0450"}
    )
    assert address == {
        "address": {"line1": "1 rue Haute", "line2": "", "postal_code": "74330", "city": "Epagny"},
        "phones": ["0450"],
    }


def test_the_health_form_lists_allergies_by_line_and_names_the_doctor_only_when_given():
    body = hh.health_body(
        {
            "allergies": "arachide\r\n\r\n  lait \n",
            "pai": "oui",
            "doctor_name": "",
            "certified": "oui",
        }
    )
    assert body["allergies"] == ["arachide", "lait"]
    assert body["pai"] is True and body["certified"] is True and body["doctor"] is None
    body = hh.health_body({"doctor_name": "Dr Roux", "doctor_phone": ""})
    assert body["doctor"] == {"name": "Dr Roux", "phone": None} and body["certified"] is False


def test_the_quotient_value_is_a_number_when_it_is_one_else_the_api_says_why():
    assert hh.quotient_body({"value": "1 250", "valid_from": "2026-09-01"}) == {
        "value": 1250,
        "source": "declared",
        "valid_from": "2026-09-01",
    }
    assert hh.quotient_body({"value": "beaucoup", "source": "caf"})["value"] == "beaucoup"


def test_a_creation_request_names_a_child_only_when_one_is_given():
    form = {
        "first_name": "Ana",
        "last_name": "Roux",
        "line1": "1 rue",
        "postal_code": "74330",
        "city": "Epagny",
    }
    assert hh.new_household_body(form)["children"] == []
    body = hh.new_household_body({**form, "child_first_name": "Léo", "child_last_name": "Roux"})
    assert body["children"] == [{"first_name": "Léo", "last_name": "Roux", "birth_date": None}]
    assert body["guardians"][0]["first_name"] == "Ana"


def test_request_fields_leave_blank_ones_out():
    assert hh.request_fields({"topic": "autre", "child_id": "", "message": " Bonjour "}) == {
        "topic": "autre",
        "message": "Bonjour",
    }


def test_the_api_s_nested_fields_are_shown_next_to_the_form_s():
    problem = {
        "status": 422,
        "detail": "Certaines informations sont manquantes ou incorrectes.",
        "errors": [
            {"field": "address.postal_code", "detail": "Code postal invalide (5 chiffres)."},
            {"field": "phones.0", "detail": "Numéro de téléphone invalide."},
        ],
    }
    errors = hh.errors_of(problem, ("line1", "postal_code", "city", "phone"), hh.ADDRESS_FIELDS)
    assert errors.fields == {
        "postal_code": "Code postal invalide (5 chiffres).",
        "phone": "Numéro de téléphone invalide.",
    }
    assert errors.general is None
    # A field the form does not have goes above it.
    other = hh.errors_of(
        {"detail": "Refusé.", "errors": [{"field": "x", "detail": "Inconnu."}]}, ("code",)
    )
    assert other.fields == {} and other.general == "Refusé. Inconnu."


def test_a_validated_document_past_its_validity_is_expired():
    today = date(2026, 10, 5)
    assert hh.document_status({"status": "pending"}, today) == "pending"
    assert hh.document_status({"status": "rejected"}, today) == "rejected"
    valid = {"status": "validated", "valid_until": "2027-08-31"}
    assert hh.document_status(valid, today) == "validated"
    assert hh.document_status({**valid, "valid_until": "2026-08-31"}, today) == "expired"
    assert hh.DOCUMENT_STATUSES["expired"] == "Expiré"
    assert hh.CHANGE_STATUSES["pending"] == "En attente de validation"


def test_names_excerpts_and_sizes_as_the_family_reads_them():
    household = {
        "guardians": [{"id": "g", "first_name": "Ana", "last_name": "Roux"}],
        "children": [{"id": "c", "first_name": "Léo", "last_name": "Roux"}],
    }
    assert hh.member_names(household) == {"g": "Ana Roux", "c": "Léo Roux"}
    assert hh.member_names(None) == {}
    assert hh.excerpt("un  deux\ntrois") == "un deux trois"
    assert hh.excerpt("mot " * 50, 20) == "mot mot mot mot mot …"
    assert hh.file_size(2_000) == "2 Ko" and hh.file_size(1_300_000) == "1,2 Mo"
    assert hh.last_message({"messages": [{"body": "a"}, {"body": "b"}]}) == {"body": "b"}
    assert hh.last_message({"messages": []}) is None


def test_a_contact_s_flags_are_shown_with_the_day_they_were_given():
    luc = {
        "can_pick_up": True,
        # 23:30 UTC on the 2nd is the 3rd in Paris: the town's calendar day.
        "can_pick_up_given_at": "2026-09-02T23:30:00+00:00",
        "emergency": False,
        "emergency_given_at": "2026-09-10T08:00:00+00:00",
    }
    assert hh.contact_flag(luc, "can_pick_up") == "Autorisé depuis le jeudi 3 septembre 2026"
    assert hh.contact_flag(luc, "emergency") == "Non, depuis le jeudi 10 septembre 2026"
    withdrawn = {"can_pick_up": False, "can_pick_up_given_at": "2026-10-01T09:00:00+00:00"}
    assert (
        hh.contact_flag(withdrawn, "can_pick_up") == "Non autorisé depuis le jeudi 1er octobre 2026"
    )
    # Entered before the dates were kept (or a service that does not send them yet).
    legacy = {"can_pick_up": True, "can_pick_up_given_at": None, "emergency": True}
    assert hh.contact_flag(legacy, "can_pick_up") == "Autorisé (date non renseignée)"
    assert hh.contact_flag(legacy, "emergency") == "Oui (date non renseignée)"

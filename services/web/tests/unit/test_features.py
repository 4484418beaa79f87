"""The town's online features as the portal reads them from identity's public page."""

from __future__ import annotations

from web.domain.theme import FEATURES, Theme


def test_a_page_without_features_turns_nothing_off() -> None:
    assert Theme.build("demo", None).features == dict.fromkeys(FEATURES, True)
    assert Theme.build("demo", {"features": "oui"}).features == dict.fromkeys(FEATURES, True)


def test_only_an_explicit_false_turns_a_feature_off() -> None:
    public = {"features": {"wallet": False, "direct_debit": None, "family_edits": True}}
    features = Theme.build("demo", public).features
    assert features == {
        "family_edits": True,
        "online_booking": True,
        "wallet": False,
        "direct_debit": True,
    }


def test_the_contact_a_family_is_sent_to() -> None:
    public = {"display_name": "Ville de Démo", "contact_email": "enfance@demo.example"}
    assert Theme.build("demo", public).contact == "Ville de Démo (enfance@demo.example)"
    styled = {
        "configured": True,
        "contact_service": "le service Enfance",
        "contact_phone": "01 23 45 67 89",
    }
    assert (
        Theme.build("demo", public, styled).contact
        == "le service Enfance (enfance@demo.example, 01 23 45 67 89)"
    )
    assert Theme.build("demo", {"display_name": "Démo"}).contact == "Démo"

"""The emails and notices about an account (identity's events): each to the address the
event carries, its notice to the account itself. One function per event type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notify.domain.french import french_datetime
from notify.domain.plans import Mail, Notice, Plan, jsonable


def _mail(p: Mapping[str, Any], recipient: str, template: str) -> Mail:
    return Mail(recipient, template, jsonable(p), account_id=p["account_id"])


def account_registered(p: Mapping[str, Any]) -> Plan:
    return Plan(
        [_mail(p, p["email"], "account_registered")],
        Notice(
            "account_registered",
            "Bienvenue sur le portail famille",
            f"Votre compte a été créé. Un lien d'activation a été envoyé à {p['email']}.",
        ),
    )


def account_activated(p: Mapping[str, Any]) -> Plan:
    return Plan(
        [_mail(p, p["email"], "account_activated")],
        Notice(
            "account_activated",
            "Compte activé",
            "Votre compte est activé : complétez votre dossier famille et inscrivez vos"
            " enfants aux activités.",
        ),
    )


def account_invited(p: Mapping[str, Any]) -> Plan:
    """An invitation link is emailed; a temporary password is given by staff (no email)."""
    mails = [_mail(p, p["email"], "account_invited")] if p.get("invitation_url") else []
    return Plan(
        mails,
        Notice(
            "account_invited",
            "Bienvenue sur le portail famille",
            "Les services de votre mairie ont créé votre compte sur le portail famille.",
        ),
    )


def password_reset_requested(p: Mapping[str, Any], timezone: str) -> Plan:
    return Plan(
        [_mail(p, p["email"], "password_reset")],
        Notice(
            "password_reset",
            "Réinitialisation du mot de passe demandée",
            f"Un lien pour choisir un nouveau mot de passe a été envoyé à {p['email']}"
            f" ; il est valable jusqu'au {french_datetime(p['expires_at'], timezone)}.",
        ),
    )


def password_changed(p: Mapping[str, Any], timezone: str) -> Plan:
    return Plan(
        [_mail(p, p["email"], "password_changed")],
        Notice(
            "password_changed",
            "Mot de passe modifié",
            f"Votre mot de passe a été modifié le {french_datetime(p['changed_at'], timezone)}."
            " Si vous n'êtes pas à l'origine de ce changement, contactez votre mairie.",
        ),
    )


def email_change_requested(p: Mapping[str, Any]) -> Plan:
    """The link to the new address; the current one is told of the request."""
    return Plan(
        [
            _mail(p, p["new_email"], "email_change_confirm"),
            _mail(p, p["email"], "email_change_notice"),
        ],
        Notice(
            "email_change_requested",
            "Changement d'adresse e-mail demandé",
            f"Un lien de confirmation a été envoyé à {p['new_email']}. Votre adresse"
            " actuelle reste valable tant qu'il n'est pas utilisé.",
        ),
    )


def email_changed(p: Mapping[str, Any]) -> Plan:
    """The old address is told that the account's address changed."""
    return Plan(
        [_mail(p, p["old_email"], "email_changed")],
        Notice(
            "email_changed",
            "Adresse e-mail modifiée",
            f"L'adresse e-mail de votre compte est désormais {p['email']}.",
        ),
    )


def account_locked(p: Mapping[str, Any], timezone: str) -> Plan:
    return Plan(
        [_mail(p, p["email"], "account_locked")],
        Notice(
            "account_locked",
            "Compte temporairement bloqué",
            f"Après {p['failed_attempts']} tentatives de connexion échouées, votre compte"
            f" est bloqué jusqu'au {french_datetime(p['locked_until'], timezone)}.",
        ),
    )

"""Consumed events → queued emails and in-app notifications, in the consumer's transaction.

`plan(event)` says which emails (recipient, template, context) and which notification an
event gives; the handler writes them with the inbox row. The unique (event, recipient) key
makes each email exactly once even if the same event were applied twice.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

from notify import store
from notify.render import french_datetime
from shared.events.consumer import HandlerContext
from shared.events.envelope import Event
from shared.http.keys import SETTINGS


@dataclasses.dataclass(frozen=True)
class Mail:
    recipient: str
    template: str
    context: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Notice:
    kind: str
    title: str
    body: str


def jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, uuid.UUID):
            out[key] = str(value)
        elif isinstance(value, list | tuple):
            out[key] = [str(v) if isinstance(v, uuid.UUID) else v for v in value]
        else:
            out[key] = value
    return out


def plan(event: Event, timezone: str = "Europe/Paris") -> tuple[list[Mail], Notice | None]:
    p = event.payload
    context = jsonable(p)
    email = p["email"]

    def when(key: str) -> str:
        return french_datetime(p[key], timezone)

    match event.type:
        case "identity.AccountRegistered":
            return [Mail(email, "account_registered", context)], Notice(
                "account_registered",
                "Bienvenue sur le portail famille",
                f"Votre compte a été créé. Un lien d'activation a été envoyé à {email}.",
            )
        case "identity.AccountActivated":
            return [Mail(email, "account_activated", context)], Notice(
                "account_activated",
                "Compte activé",
                "Votre compte est activé : complétez votre dossier famille et inscrivez vos"
                " enfants aux activités.",
            )
        case "identity.AccountInvited":
            mails = [Mail(email, "account_invited", context)] if p.get("invitation_url") else []
            return mails, Notice(
                "account_invited",
                "Bienvenue sur le portail famille",
                "Les services de votre mairie ont créé votre compte sur le portail famille.",
            )
        case "identity.PasswordResetRequested":
            return [Mail(email, "password_reset", context)], Notice(
                "password_reset",
                "Réinitialisation du mot de passe demandée",
                f"Un lien pour choisir un nouveau mot de passe a été envoyé à {email}"
                f" ; il est valable jusqu'au {when('expires_at')}.",
            )
        case "identity.PasswordChanged":
            return [Mail(email, "password_changed", context)], Notice(
                "password_changed",
                "Mot de passe modifié",
                f"Votre mot de passe a été modifié le {when('changed_at')}. Si vous n'êtes pas"
                " à l'origine de ce changement, contactez votre mairie.",
            )
        case "identity.EmailChangeRequested":
            return [
                Mail(p["new_email"], "email_change_confirm", context),
                Mail(email, "email_change_notice", context),
            ], Notice(
                "email_change_requested",
                "Changement d'adresse e-mail demandé",
                f"Un lien de confirmation a été envoyé à {p['new_email']}. Votre adresse"
                " actuelle reste valable tant qu'il n'est pas utilisé.",
            )
        case "identity.EmailChanged":
            return [Mail(p["old_email"], "email_changed", context)], Notice(
                "email_changed",
                "Adresse e-mail modifiée",
                f"L'adresse e-mail de votre compte est désormais {email}.",
            )
        case "identity.AccountLocked":
            return [Mail(email, "account_locked", context)], Notice(
                "account_locked",
                "Compte temporairement bloqué",
                f"Après {p['failed_attempts']} tentatives de connexion échouées, votre compte"
                f" est bloqué jusqu'au {when('locked_until')}.",
            )
    return [], None


async def apply(conn: Any, event: Event, timezone: str = "Europe/Paris") -> int:
    """Write the event's emails and notification; returns how many emails were queued."""
    mails, notice = plan(event, timezone)
    account_id = event.payload.get("account_id")
    queued = 0
    for mail in mails:
        queued += await store.queue_email(
            conn,
            tenant=event.tenant_id,
            event_id=event.id,
            event_type=event.type,
            recipient=mail.recipient,
            account_id=account_id,
            template=mail.template,
            context=mail.context,
        )
    if notice is not None and account_id is not None:
        await store.add_notification(
            conn,
            tenant=event.tenant_id,
            account_id=account_id,
            event_id=event.id,
            kind=notice.kind,
            title=notice.title,
            body=notice.body,
        )
    return queued


async def on_event(ctx: HandlerContext, event: Event) -> None:
    settings = ctx.app[SETTINGS] if ctx.app is not None else None
    await apply(ctx.conn, event, getattr(settings, "timezone", "Europe/Paris"))


HANDLED = (
    "identity.AccountRegistered",
    "identity.AccountActivated",
    "identity.AccountInvited",
    "identity.PasswordResetRequested",
    "identity.PasswordChanged",
    "identity.EmailChangeRequested",
    "identity.EmailChanged",
    "identity.AccountLocked",
)
HANDLERS = {event_type: on_event for event_type in HANDLED}

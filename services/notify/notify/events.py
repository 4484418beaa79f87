"""Consumed events → queued emails and in-app notifications, in the consumer's transaction.

`plan(event)` says which emails (recipient, template, context) and which notification an
event gives; the handler writes them with the inbox row. The unique (event, recipient) key
makes each email exactly once even if the same event were applied twice.

Identity events carry the address to write to. Family events name accounts (`account_ids`)
and a household: they go to those accounts and to every account linked to the household
(the `household_members` read model, from family.HouseholdLinked), one email and one in-app
notification per account. Their emails are queued addressed to the account and the
dispatcher writes to the account's latest address (the `accounts` read model, kept from every
identity event, which all carry the account's current address). An address not known yet
(the family event overtook identity's) does not lose the email: it waits, queued, until the
address arrives, and is failed as « adresse inconnue » after MAIL_ADDRESS_WAIT_SECONDS.
The in-app notification is written at once either way.

Booking events (household, child, activity) are handled by `notify.booking` the same way, a
validated basket's events being gathered into one recap per account.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from notify import store
from notify.render import french_date, french_datetime
from shared.events.consumer import HandlerContext
from shared.events.envelope import Event
from shared.keys import SETTINGS


@dataclasses.dataclass(frozen=True)
class Mail:
    """An email to an address, or (`recipient` None) to an account's latest address."""

    recipient: str | None
    template: str
    context: dict[str, Any]
    account_id: uuid.UUID | None = None
    group: str | None = None  # gathered with the account's other mails of this group


@dataclasses.dataclass(frozen=True)
class Notice:
    kind: str
    title: str
    body: str


def jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if isinstance(value, date):  # datetimes too
            out[key] = value.isoformat()
        elif isinstance(value, uuid.UUID):
            out[key] = str(value)
        elif isinstance(value, list | tuple):
            out[key] = [str(v) if isinstance(v, uuid.UUID) else v for v in value]
        else:
            out[key] = value
    return out


def plan(
    event: Event, timezone: str = "Europe/Paris", accounts: Sequence[uuid.UUID] = ()
) -> tuple[list[Mail], Notice | None]:
    """The emails and the notification of an event; `accounts`: who a family event goes to."""
    if event.type in FAMILY_EMAILS:
        return plan_family(event, accounts)
    if not event.type.startswith("identity."):
        return [], None
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


# --- family events -------------------------------------------------------------------------
DOCUMENT_TYPES = {
    "livret_famille": "Livret de famille",
    "livret_de_famille": "Livret de famille",
    "avis_imposition": "Avis d'imposition",
    "avis_d_imposition": "Avis d'imposition",
    "attestation_caf": "Attestation CAF",
    "attestation_msa": "Attestation MSA",
    "certificat_medical": "Certificat médical",
    "justificatif_domicile": "Justificatif de domicile",
    "justificatif_de_domicile": "Justificatif de domicile",
    "carnet_vaccination": "Carnet de vaccination",
    "pai": "Projet d'accueil individualisé (PAI)",
    "attestation_assurance": "Attestation d'assurance",
}


def document_label(document_type: str) -> str:
    """The French name of a document type: a known code mapped, else the tenant's own label
    made readable (« attestation_employeur » → « Attestation employeur »)."""
    known = DOCUMENT_TYPES.get(document_type.strip().lower())
    if known:
        return known
    text = " ".join(document_type.replace("_", " ").split())
    return text[:1].upper() + text[1:]


def _reason(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def family_context(event: Event) -> tuple[str, dict[str, Any], Notice]:
    """Template, context and notification of a family event (the same for every account)."""
    p = event.payload
    match event.type:
        case "family.ChangeRequestDecided":
            reason = _reason(p.get("reason"))
            context = {
                "change_id": str(p["change_id"]),
                "summary": p["summary"],
                "entity": p["entity"],
                "operation": p["operation"],
                "decision": p["decision"],
                "reason": reason,
            }
            if p["decision"] == "approved":
                return (
                    "change_approved",
                    context,
                    Notice(
                        "change_approved",
                        "Modification acceptée",
                        f"Votre demande « {p['summary']} » a été acceptée : votre dossier"
                        " famille est à jour.",
                    ),
                )
            because = f"Motif : {reason}" if reason else "Aucun motif n'a été indiqué."
            return (
                "change_rejected",
                context,
                Notice(
                    "change_rejected",
                    "Modification refusée",
                    f"Votre demande « {p['summary']} » a été refusée. {because}",
                ),
            )
        case "family.DocumentValidated":
            label = p.get("document_label") or document_label(p["document_type"])
            until = p.get("valid_until")
            context = {
                "document_id": str(p["document_id"]),
                "document_type": p["document_type"],
                "document_label": label,
                "valid_until": until.isoformat() if isinstance(until, date) else until,
            }
            validity = (
                f"il est valable jusqu'au {french_date(until)}"
                if until
                else "il n'a pas de date de fin de validité"
            )
            return (
                "document_validated",
                context,
                Notice(
                    "document_validated",
                    "Document validé",
                    f"Votre document « {label} » a été validé ; {validity}.",
                ),
            )
        case "family.DocumentRejected":
            label = p.get("document_label") or document_label(p["document_type"])
            reason = _reason(p.get("reason"))
            context = {
                "document_id": str(p["document_id"]),
                "document_type": p["document_type"],
                "document_label": label,
                "reason": reason,
            }
            because = f" Motif : {reason}" if reason else ""
            return (
                "document_rejected",
                context,
                Notice(
                    "document_rejected",
                    "Document refusé",
                    f"Votre document « {label} » a été refusé.{because} Vous pouvez en déposer"
                    " un nouveau dans vos documents.",
                ),
            )
        case "family.RequestAnswered":
            closed = p["status"] == "closed"
            context = {
                "request_id": str(p["request_id"]),
                "topic": p["topic"],
                "topic_label": p.get("topic_label"),
                "request_subject": p["subject"],
                "status": p["status"],
            }
            return (
                "request_answered",
                context,
                Notice(
                    "request_answered",
                    "Réponse à votre demande",
                    f"La mairie a répondu à votre demande « {p['subject']} »."
                    + (" La demande est close." if closed else ""),
                ),
            )
        case "family.HouseholdCreationRejected":
            reason = _reason(p.get("reason"))
            because = f" Motif : {reason}" if reason else ""
            return (
                "household_creation_rejected",
                {"change_id": str(p["change_id"]), "reason": reason},
                Notice(
                    "household_creation_rejected",
                    "Création du dossier famille refusée",
                    f"Votre demande de création de dossier famille a été refusée.{because}",
                ),
            )
    raise ValueError(f"not a family email: {event.type}")


def plan_family(event: Event, accounts: Sequence[uuid.UUID]) -> tuple[list[Mail], Notice | None]:
    """One email per account, to its latest address (resolved when sending)."""
    template, context, notice = family_context(event)
    return [Mail(None, template, context, account_id) for account_id in accounts], notice


def _unique(ids: Iterable[uuid.UUID | str]) -> list[uuid.UUID]:
    return list(dict.fromkeys(uuid.UUID(str(value)) for value in ids))


async def recipients(conn: Any, event: Event) -> list[uuid.UUID]:
    """The accounts a family event is for: those it names, then the household's others."""
    p = event.payload
    named = p.get("account_ids") or ([p["account_id"]] if p.get("account_id") else [])
    linked = (
        await store.household_accounts(conn, event.tenant_id, p["household_id"])
        if p.get("household_id")
        else []
    )
    return _unique([*named, *linked])


async def apply(
    conn: Any, event: Event, timezone: str = "Europe/Paris", *, basket_grace: float = 2.0
) -> int:
    """Write the event's emails and notification; returns how many emails were queued."""
    from notify import booking  # it builds on this module

    p = event.payload
    if event.type in booking.BOOKING_EMAILS:
        return await booking.apply(conn, event, basket_grace=basket_grace)
    if event.type.startswith("identity."):
        await store.record_account(
            conn,
            tenant=event.tenant_id,
            account_id=p["account_id"],
            email=p["email"],
            display_name=p["display_name"],
            seen_at=event.occurred_at,
        )
    elif event.type == "family.HouseholdLinked":
        await store.link_household(
            conn,
            tenant=event.tenant_id,
            household_id=p["household_id"],
            account_id=p["account_id"],
            linked_at=event.occurred_at,
        )
        return 0
    elif event.type == "family.HouseholdAnonymised":  # its accounts are no longer linked
        await store.unlink_household(conn, tenant=event.tenant_id, household_id=p["household_id"])
        await store.forget_family_activities(conn, event.tenant_id, p["household_id"])
        return 0
    accounts = await recipients(conn, event) if event.type in FAMILY_EMAILS else []
    mails, notice = plan(event, timezone, accounts)
    queued = 0
    for mail in mails:
        queued += await store.queue_email(
            conn,
            tenant=event.tenant_id,
            event_id=event.id,
            event_type=event.type,
            recipient=mail.recipient,
            account_id=mail.account_id or p.get("account_id"),
            template=mail.template,
            context=mail.context,
        )
    if event.type not in FAMILY_EMAILS:  # identity: the account the event is about
        accounts = [p["account_id"]] if p.get("account_id") else []
    if notice is not None:
        for account_id in accounts:
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
    await apply(
        ctx.conn,
        event,
        getattr(settings, "timezone", "Europe/Paris"),
        basket_grace=getattr(settings, "mail_basket_grace_seconds", 2.0),
    )


FAMILY_EMAILS = (
    "family.ChangeRequestDecided",
    "family.DocumentValidated",
    "family.DocumentRejected",
    "family.RequestAnswered",
    "family.HouseholdCreationRejected",
)
HANDLED = (
    "identity.AccountRegistered",
    "identity.AccountActivated",
    "identity.AccountInvited",
    "identity.PasswordResetRequested",
    "identity.PasswordChanged",
    "identity.EmailChangeRequested",
    "identity.EmailChanged",
    "identity.AccountLocked",
    "identity.AccountAnnounced",  # recorded, nobody emailed
    "family.HouseholdLinked",
    "family.HouseholdAnonymised",
    *FAMILY_EMAILS,
    "booking.ReservationValidated",
    "booking.ReservationCancelled",
    "booking.WaitingListPromoted",
    "booking.EnrollmentDecided",
    "booking.AbsenceJustified",
    "booking.AbsenceRefused",
)
HANDLERS = {event_type: on_event for event_type in HANDLED}

"""What the family service refuses, in the domain's words (French details for families).

Each error says its kind (not found, conflict, ...); the shared middleware maps it once to
an application/problem+json answer.
"""

from __future__ import annotations

from typing import Any

from shared.errors import DomainError, NotFound

# --- the household file --------------------------------------------------------------------


class HouseholdNotFound(NotFound):
    code = "household-not-found"
    detail = "Ce foyer n'existe pas."


class MemberNotFound(NotFound):
    code = "member-not-found"
    detail = "Cette personne ne fait pas partie du foyer."


class LastGuardian(DomainError):
    code = "last-guardian"
    kind = "conflict"
    title = "Last guardian"
    detail = "Un foyer doit garder au moins un responsable légal."


class InvalidField(DomainError):
    """A field names something the household or the tenant does not have (422, with the
    field in `errors`, as a validation error of the request)."""

    code = "validation-error"
    kind = "invalid"
    title = "Invalid request"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, errors=[{"field": field, "detail": detail}])


class OnboardingRunNotFound(NotFound):
    code = "onboarding-run-not-found"
    detail = "Cette campagne d'invitation n'existe pas."


class NoHealthRecord(NotFound):
    code = "no-health-record"
    detail = "Aucune fiche sanitaire n'a encore été remplie pour cet enfant."


class NoPhoto(NotFound):
    code = "no-photo"
    detail = "Aucune photo n'a été enregistrée pour cet enfant."


class NoProposedPhoto(NotFound):
    code = "no-proposed-photo"
    detail = "Cette demande ne contient pas (ou plus) de photo."


# --- accounts and subscriber codes ---------------------------------------------------------


class NotLinked(DomainError):
    code = "household-not-linked"
    kind = "not_found"
    title = "No household linked"
    detail = (
        "Aucun foyer n'est rattaché à votre compte : saisissez le code abonné reçu par courrier."
    )


class WrongHousehold(DomainError):
    code = "wrong-household"
    kind = "forbidden"
    title = "Not your household"
    detail = "Vous n'avez pas accès à ce foyer."


class WrongCode(DomainError):
    code = "wrong-subscriber-code"
    kind = "invalid"
    title = "Unknown subscriber code"
    detail = "Ce code abonné n'est pas reconnu ; vérifiez le courrier de votre mairie."


class TooManyWrongCodes(DomainError):
    """Too many wrong subscriber codes of late: the account waits `retry_after_seconds`."""

    code = "too-many-attempts"
    kind = "rate_limited"
    title = "Too many wrong codes"

    def __init__(self, retry_after_seconds: int, minutes: int) -> None:
        super().__init__(
            f"Trop de codes erronés : réessayez dans {minutes} minute{'s' if minutes > 1 else ''}.",
            retry_after=retry_after_seconds,
        )
        self.retry_after_seconds = retry_after_seconds


class AlreadyLinked(DomainError):
    code = "already-linked"
    kind = "conflict"
    title = "Already linked"
    detail = "Votre compte est déjà rattaché à un autre foyer ; contactez votre mairie."


class CreationPending(DomainError):
    code = "household-creation-pending"
    kind = "conflict"
    title = "Household creation pending"
    detail = "Votre demande de création de foyer est déjà en attente de validation par la mairie."


# --- changes proposed by families ----------------------------------------------------------


class ChangeNotFound(NotFound):
    code = "change-not-found"
    detail = "Cette demande de modification n'existe pas."


class ChangeAlreadyDecided(DomainError):
    code = "change-already-decided"
    kind = "conflict"
    title = "Change already decided"
    detail = "Cette demande de modification a déjà été traitée."


class ChangeNoLongerApplies(DomainError):
    code = "change-no-longer-applies"
    kind = "conflict"
    title = "Change cannot be applied"
    detail = "Cette modification ne peut plus être appliquée au dossier ; rejetez-la."


# --- documents, photos and attachments waiting for staff -----------------------------------


class TooManyPendingUploads(DomainError):
    code = "too-many-pending-uploads"
    kind = "conflict"
    title = "Too many files waiting for staff"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Votre foyer a déjà {limit} documents ou photos en attente de validation par la"
            " mairie ; vous pourrez en envoyer d'autres quand ils auront été traités.",
            limit=limit,
        )


class DocumentNotFound(NotFound):
    code = "document-not-found"
    detail = "Ce document n'existe pas."


class DocumentAlreadyDecided(DomainError):
    code = "document-already-decided"
    kind = "conflict"
    title = "Document already decided"
    detail = "Ce document a déjà été validé ou refusé."


class CatalogEntryNotFound(NotFound):
    code = "catalog-entry-not-found"
    detail = "Ce code n'est pas dans la liste."


class CatalogEntryExists(DomainError):
    code = "catalog-entry-exists"
    kind = "conflict"
    title = "Already in the list"
    detail = "Ce code existe déjà dans la liste."


# --- requests to the town ------------------------------------------------------------------


class RequestNotFound(NotFound):
    code = "request-not-found"
    detail = "Cette demande n'existe pas."


class AttachmentNotFound(NotFound):
    code = "attachment-not-found"
    detail = "Cette pièce jointe n'existe pas."


class RequestIsClosed(DomainError):
    code = "request-closed"
    kind = "conflict"
    title = "Request closed"
    detail = "Cette demande est close : envoyez une nouvelle demande."


# --- the CSV import ------------------------------------------------------------------------


class ImportInvalid(DomainError):
    """Problems in the file itself: nothing is imported."""

    code = "import-invalid"
    kind = "invalid"
    title = "Invalid import file"

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        lines = sorted({p["line"] for p in problems})
        shown = ", ".join(str(n) for n in lines[:20]) + ("…" if len(lines) > 20 else "")
        super().__init__(
            f"Rien n'a été importé : {len(problems)} erreur(s), ligne(s) {shown}.",
            errors=problems,
        )


class HouseholdsAlreadyKnown(DomainError):
    """Households of the file are already in the town's file (and the import refuses them)."""

    code = "import-existing"
    kind = "conflict"
    title = "Households already in the file"

    def __init__(self, households: int, lines: str, found: list[dict[str, Any]]) -> None:
        super().__init__(
            f"Rien n'a été importé : {households} foyer(s) du fichier sont déjà au dossier"
            f" (ligne(s) {lines}). Corrigez le fichier, ou importez seulement les autres"
            " foyers avec existing=skip.",
            errors=found,
        )


# --- deletion requests ---------------------------------------------------------------------


class DeletionRequestNotFound(NotFound):
    code = "deletion-request-not-found"
    detail = "Cette demande de suppression n'existe pas."


class DeletionAlreadyHandled(DomainError):
    code = "deletion-request-handled"
    kind = "conflict"
    title = "Deletion request already handled"
    detail = "Cette demande de suppression a déjà été traitée."


class DeletionPending(DomainError):
    code = "deletion-request-pending"
    kind = "conflict"
    title = "Deletion request pending"
    detail = "Votre demande de suppression est déjà en cours de traitement par la mairie."

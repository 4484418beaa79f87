"""Billing's domain errors (mapped once to problem+json by the shared middleware)."""

from __future__ import annotations

from shared.errors import DomainError, Forbidden, NotFound


class RegieNotFound(NotFound):
    code = "regie-not-found"
    detail = "Cette régie n'existe pas."


class RegieCodeTaken(DomainError):
    code = "regie-code-taken"
    kind = "conflict"
    title = "Régie code already used"
    detail = "Une autre régie de la collectivité porte déjà ce code."


class LogoNotFound(NotFound):
    code = "regie-logo-not-found"
    detail = "Cette régie n'a pas de logo."


class ActivityNotConfigured(NotFound):
    code = "activity-not-configured"
    detail = "La facturation de cette activité n'est pas paramétrée."


class GridNotFound(NotFound):
    code = "price-grid-not-found"
    detail = "Cette grille tarifaire n'existe pas."


class InvalidGrid(DomainError):
    code = "invalid-price-grid"
    kind = "invalid"
    title = "Invalid price grid"
    detail = "La grille tarifaire n'est pas valide."


class GridOverlap(DomainError):
    code = "price-grid-overlap"
    kind = "conflict"
    title = "Price grids overlap"
    detail = "Une autre grille tarifaire de cette activité couvre déjà une partie de la période."


class InvoiceNotFound(NotFound):
    code = "invoice-not-found"
    detail = "Cette facture n'existe pas."


class CreditNoteNotFound(NotFound):
    code = "credit-note-not-found"
    detail = "Cet avoir n'existe pas."


class CampaignNotFound(NotFound):
    code = "campaign-not-found"
    detail = "Cette campagne de facturation n'existe pas."


class CampaignNotDraft(DomainError):
    code = "campaign-not-draft"
    kind = "conflict"
    title = "Campaign already finalised or cancelled"
    detail = "Cette campagne n'est plus en brouillon."


class CampaignInProgress(DomainError):
    code = "campaign-in-progress"
    kind = "conflict"
    title = "A draft campaign already covers the period"
    detail = (
        "Une campagne en brouillon de cette régie couvre déjà une partie de la période : "
        "finalisez-la ou annulez-la d'abord."
    )


class InvalidPeriod(DomainError):
    code = "invalid-period"
    kind = "invalid"
    title = "Invalid period"
    detail = "La fin de la période précède son début."


class NotLinked(Forbidden):
    code = "household-not-linked"
    title = "No household linked"
    detail = (
        "Aucun foyer n'est rattaché à votre compte : saisissez le code abonné reçu par courrier."
    )


class ChildNotFound(NotFound):
    code = "child-not-found"
    detail = "Cet enfant n'est pas connu dans ce foyer."


class NothingToCertify(NotFound):
    code = "nothing-to-certify"
    detail = "Il n'y a rien à attester pour cette période."


class HouseholdNotFound(NotFound):
    code = "household-not-found"
    detail = "Ce foyer est inconnu de la facturation."


class PayerNotFound(NotFound):
    code = "payer-not-found"
    detail = "Ce payeur n'existe pas."


class AccountNotLinked(DomainError):
    code = "account-not-linked"
    kind = "invalid"
    title = "Account not linked to the household"
    detail = (
        "Ce compte n'est pas rattaché au foyer : il ne peut pas être celui d'un de ses payeurs."
    )


class PayerAccountTaken(DomainError):
    code = "payer-account-taken"
    kind = "conflict"
    title = "Account already tied to a payer"
    detail = "Ce compte est déjà celui d'un autre payeur."


class InvalidRule(DomainError):
    code = "invalid-billing-rule"
    kind = "invalid"
    title = "Invalid billing rule"
    detail = "La règle de facturation n'est pas valide."


class RuleExists(DomainError):
    code = "billing-rule-exists"
    kind = "conflict"
    title = "A rule starts that day already"
    detail = "Une règle de facturation de cet enfant commence déjà à cette date."


class RuleNotFound(NotFound):
    code = "billing-rule-not-found"
    detail = "Cette règle de facturation n'existe pas."


class NothingToRefund(DomainError):
    code = "nothing-to-refund"
    kind = "conflict"
    title = "Nothing left to refund"
    detail = "Cet avoir n'a plus rien de disponible : il a déjà été remboursé ou déduit."

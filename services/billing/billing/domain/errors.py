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
    detail = "Ce compte est déjà celui d'un autre payeur de ce foyer."


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


# --- wallet ("tirelire") -----------------------------------------------------------------


class NoWalletRegie(DomainError):
    code = "no-wallet-regie"
    kind = "conflict"
    title = "No régie holds wallets"
    detail = (
        "La collectivité n'a pas encore désigné de régie pour tenir les tirelires : "
        "contactez la mairie."
    )


class WalletRegieInUse(DomainError):
    code = "wallet-regie-in-use"
    kind = "conflict"
    title = "Wallets are held by another régie"
    detail = (
        "Des tirelires sont déjà tenues par une autre régie : elles ne peuvent pas changer "
        "de régie."
    )


class WalletNotFound(NotFound):
    code = "wallet-not-found"
    detail = "Ce foyer n'a pas activé sa tirelire."


class WalletNotActive(DomainError):
    code = "wallet-not-active"
    kind = "conflict"
    title = "Wallet not activated"
    detail = "La tirelire de ce foyer n'est pas activée : activez-la depuis la page d'accueil."


class WalletEmpty(DomainError):
    code = "wallet-empty"
    kind = "conflict"
    title = "Nothing in the wallet"
    detail = "La tirelire de ce foyer est vide : il n'y a rien à rembourser."


class InsufficientBalance(DomainError):
    code = "wallet-insufficient-balance"
    kind = "conflict"
    title = "Insufficient wallet balance"
    detail = "Le solde de la tirelire est insuffisant : rechargez-la."


class InvalidWalletAmount(DomainError):
    code = "invalid-wallet-amount"
    kind = "invalid"
    title = "Invalid amount"
    detail = "Le montant doit être positif."


class TopUpOutOfRange(DomainError):
    code = "wallet-top-up-out-of-range"
    kind = "invalid"
    title = "Top-up amount out of range"
    detail = "Le montant du rechargement n'est pas accepté."


# --- payments ----------------------------------------------------------------------------


class PaymentNotFound(NotFound):
    code = "payment-not-found"
    detail = "Ce paiement n'existe pas."


class InvalidPaymentReference(DomainError):
    code = "invalid-payment-reference"
    kind = "invalid"
    title = "Invalid payment reference"
    detail = "Les références du paiement ne sont pas valides."


class InvoiceNotPayable(DomainError):
    code = "invoice-not-payable"
    kind = "invalid"
    title = "Invoice not payable by this payment"
    detail = "Cette facture ne peut pas être réglée par ce paiement."


class InvoiceInRecovery(DomainError):
    code = "invoice-in-recovery"
    kind = "conflict"
    title = "Invoice sent to the public treasury for recovery"
    detail = (
        "Cette facture a été transmise au Trésor public pour recouvrement : elle se règle "
        "désormais auprès du centre des finances publiques indiqué sur l'avis qu'il vous envoie."
    )


class NothingToPay(DomainError):
    code = "nothing-to-pay"
    kind = "conflict"
    title = "Nothing left to pay"
    detail = "Ces factures sont déjà réglées."


class AmountChanged(DomainError):
    code = "payment-amount-changed"
    kind = "conflict"
    title = "Amount due changed"
    detail = "Le montant à payer a changé : rechargez la page pour voir le nouveau montant."


class PaymentAlreadyReversed(DomainError):
    code = "payment-already-reversed"
    kind = "conflict"
    title = "Payment already reversed"
    detail = "Ce paiement a déjà été annulé."


class NothingToRemit(DomainError):
    code = "nothing-to-remit"
    kind = "conflict"
    title = "Nothing to remit"
    detail = "Aucun paiement de ce mode n'attend d'être remis pour cette régie."


class RemittanceNotFound(NotFound):
    code = "remittance-not-found"
    detail = "Ce bordereau de remise n'existe pas."


class CardPaymentUnavailable(DomainError):
    code = "card-payment-unavailable"
    kind = "conflict"
    title = "Card payment not set up"
    detail = "Le paiement en ligne n'est pas ouvert pour cette régie."


class CardBackendFailed(DomainError):
    code = "card-backend-failed"
    kind = "unavailable"
    title = "Payment service unavailable"
    detail = "Le service de paiement en ligne ne répond pas : réessayez dans quelques minutes."


class InvalidCardBackend(DomainError):
    code = "invalid-card-backend"
    kind = "invalid"
    title = "Invalid card payment settings"
    detail = "Le paramétrage du paiement en ligne n'est pas valide."


class PaymentEmailRequired(DomainError):
    code = "payment-email-required"
    kind = "invalid"
    title = "An email is required to pay online"
    detail = "Une adresse e-mail est nécessaire pour payer en ligne."


class TransactionNotFound(NotFound):
    code = "card-transaction-not-found"
    detail = "Cette transaction de paiement n'existe pas."


class InvalidNotification(DomainError):
    code = "invalid-payment-notification"
    kind = "invalid"
    title = "Payment notification refused"
    detail = "La notification de paiement n'a pas pu être vérifiée."


# --- reminders and recovery --------------------------------------------------------------


class NoReminderSchedule(DomainError):
    code = "no-reminder-schedule"
    kind = "conflict"
    title = "The régie has no reminder schedule"
    detail = (
        "Cette régie n'a pas de calendrier de relances : définissez-le avant d'envoyer des "
        "factures au recouvrement."
    )


class NothingToRecover(DomainError):
    code = "nothing-to-recover"
    kind = "conflict"
    title = "No invoice may go to recovery"
    detail = (
        "Aucune facture de cette régie ne peut être envoyée au recouvrement aujourd'hui : "
        "elles sont réglées, sous le montant minimum, ou leur dernière relance est trop récente."
    )


class NotRecoverable(DomainError):
    code = "invoice-not-recoverable"
    kind = "conflict"
    title = "Invoices that may not go to recovery"
    detail = (
        "Certaines factures ne peuvent pas être envoyées au recouvrement (réglées, déjà "
        "envoyées, d'une autre régie, ou leur dernière relance est trop récente)."
    )


class DocketNotFound(NotFound):
    code = "recovery-docket-not-found"
    detail = "Ce bordereau de recouvrement n'existe pas."


# --- SEPA direct debit -------------------------------------------------------------------


class DirectDebitNotConfigured(DomainError):
    code = "direct-debit-not-configured"
    kind = "conflict"
    title = "The régie does not collect by direct debit"
    detail = (
        "Cette régie ne propose pas le prélèvement automatique : ses paramètres SEPA "
        "(identifiant créancier, compte) ne sont pas saisis."
    )


class MandateNotFound(NotFound):
    code = "mandate-not-found"
    detail = "Ce mandat de prélèvement n'existe pas."


class MandateLinkInvalid(NotFound):
    code = "mandate-signature-link-invalid"
    title = "Invalid signature link"
    detail = "Ce lien de signature n'est pas valide : utilisez celui du dernier courriel reçu."


class MandateLinkExpired(DomainError):
    code = "mandate-signature-link-expired"
    kind = "gone"
    title = "Signature link expired"
    detail = "Ce lien de signature a expiré : enregistrez à nouveau votre mandat."


class MandateLinkUsed(DomainError):
    code = "mandate-signature-link-used"
    kind = "gone"
    title = "Signature link already used"
    detail = "Ce lien de signature a déjà servi."


class MandateNotPending(DomainError):
    code = "mandate-not-pending"
    kind = "conflict"
    title = "Mandate not waiting for a signature"
    detail = "Ce mandat n'attend pas de signature (il est déjà signé, suspendu ou révoqué)."


class InvalidCollectionDate(DomainError):
    code = "invalid-collection-date"
    kind = "invalid"
    title = "Invalid collection date"
    detail = "Cette date de prélèvement n'est pas possible."


class NothingToCollect(DomainError):
    code = "nothing-to-collect"
    kind = "conflict"
    title = "No invoice to collect"
    detail = (
        "Aucune facture à prélever pour cette régie : pas de facture due émise depuis "
        "l'activation d'un mandat, ou toutes sont déjà dans un lot."
    )


class DirectDebitFileRefused(DomainError):
    code = "direct-debit-file-refused"
    kind = "invalid"
    title = "The pain.008 file does not validate"
    detail = (
        "Le fichier de prélèvement (pain.008) n'est pas valide au regard de son schéma XSD : "
        "vérifiez les paramètres SEPA de la régie et les noms des titulaires."
    )


class BatchNotFound(NotFound):
    code = "direct-debit-batch-not-found"
    detail = "Ce lot de prélèvements n'existe pas."


class DirectDebitNotFound(NotFound):
    code = "direct-debit-not-found"
    detail = "Ce prélèvement est introuvable (aucune facture de ce lot ne correspond)."


class InvalidRejectionReport(DomainError):
    code = "invalid-rejection-report"
    kind = "invalid"
    title = "Unreadable rejection report"
    detail = "Le fichier des rejets ne peut pas être lu."


class MandateSignedLater(DomainError):
    code = "mandate-signed-in-the-future"
    kind = "invalid"
    title = "Signature date in the future"
    detail = "La date de signature du mandat ne peut pas être postérieure à aujourd'hui."

"""The booking service's domain errors, mapped once to problem+json by the shared middleware
(`kind` gives the status, `detail` is what a family reads)."""

from __future__ import annotations

from shared.errors import DomainError, NotFound

# --- not found ---------------------------------------------------------------------------


class ChildNotFound(NotFound):
    code = "child-not-found"
    detail = "Cet enfant est introuvable dans votre foyer."


class ActivityNotFound(NotFound):
    code = "activity-not-found"
    detail = "Cette activité n'existe pas."


class DayNotOpen(NotFound):
    code = "day-not-open"
    detail = "L'activité n'a pas lieu ce jour-là."


class EnrollmentNotFound(NotFound):
    code = "enrollment-not-found"
    detail = "Cette inscription n'existe pas."


class BasketNotFound(NotFound):
    code = "basket-not-found"
    detail = "Ce panier n'existe pas."


class LineNotFound(NotFound):
    detail = "Cette ligne n'est pas dans le panier."


class BookingNotFound(NotFound):
    code = "booking-not-found"
    detail = "Cette réservation n'existe pas."


class AbsenceNotFound(NotFound):
    code = "absence-not-found"
    detail = "Ce justificatif d'absence n'existe pas."


class CalendarNotFound(NotFound):
    code = "calendar-not-found"
    detail = "Ce calendrier n'existe pas ou a été révoqué."


# --- who may act -------------------------------------------------------------------------


class NotLinked(DomainError):
    code = "household-not-linked"
    kind = "forbidden"
    title = "No household linked"
    detail = (
        "Aucun foyer n'est rattaché à votre compte : saisissez le code abonné reçu par courrier."
    )


class HouseholdRequired(DomainError):
    code = "household-required"
    kind = "invalid"
    title = "Household required"
    detail = "Indiquez le foyer pour lequel vous remplissez ce panier."


class OtherHousehold(DomainError):
    code = "household-mismatch"
    kind = "forbidden"
    title = "Another household"
    detail = "Vous ne pouvez remplir un panier que pour votre propre foyer."


class ForeignReference(DomainError):
    """An id in a request body that is not the caller's to name: another household's child
    or document, a household the tenant does not know (`errors` names the field). Nothing
    is stored."""

    code = "foreign-reference"
    kind = "invalid"
    title = "Invalid reference"
    detail = "Certaines informations sont manquantes ou incorrectes."

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, errors=[{"field": field, "detail": detail}])


# --- catalogue ---------------------------------------------------------------------------


class PeriodTooLong(DomainError):
    code = "period-too-long"
    kind = "invalid"
    title = "Period too long"
    detail = "La période de l'activité est trop longue."


class CapacityBelowBooked(DomainError):
    code = "capacity-below-booked"
    kind = "conflict"
    title = "Capacity below bookings"
    detail = "La capacité ne peut pas être inférieure au nombre d'enfants déjà inscrits ce jour."


class ActivityClosed(DomainError):
    code = "activity-closed"
    kind = "conflict"
    title = "Activity closed"
    detail = "Cette activité est fermée : elle ne prend plus de réservations ni d'inscriptions."


class CapacityUnderFutureBookings(DomainError):
    """A new capacity lower than what some future days already have booked; `days` names them."""

    code = "capacity-under-bookings"
    kind = "invalid"
    title = "Capacity below future bookings"
    detail = "La nouvelle capacité est inférieure aux enfants déjà inscrits certains jours."


class IncoherentActivity(DomainError):
    """The activity as a change would leave it breaks a rule of creation (`errors` says which)."""

    code = "activity-incoherent"
    kind = "invalid"
    title = "Incoherent activity"
    detail = "Ces modifications rendraient l'activité incohérente."


class PastDayNotClosable(DomainError):
    code = "past-day-not-closable"
    kind = "invalid"
    title = "Past day"
    detail = "Un jour passé ne peut pas être fermé."


class BookedDaysRemoved(DomainError):
    """New opening rules would drop future days where children are booked or waiting."""

    code = "booked-days-removed"
    kind = "invalid"
    title = "Booked days removed"
    detail = "Des jours retirés du calendrier ont déjà des enfants inscrits ou en attente."


# --- enrollments -------------------------------------------------------------------------


class NotEligible(DomainError):
    code = "not-eligible"
    kind = "invalid"
    title = "Child not eligible"
    detail = "Votre enfant ne peut pas participer à cette activité."


class MissingDocuments(DomainError):
    code = "missing-documents"
    kind = "invalid"
    title = "Required documents missing"
    detail = "Il manque un justificatif en cours de validité pour cette inscription."


class AlreadyEnrolled(DomainError):
    code = "already-enrolled"
    kind = "conflict"
    title = "Already enrolled"
    detail = "Votre enfant est déjà inscrit (ou en attente de validation) à cette activité."


class AlreadyDecided(DomainError):
    code = "enrollment-already-decided"
    kind = "conflict"
    title = "Enrollment already decided"
    detail = "Cette inscription a déjà été traitée."


# --- baskets and bookings ----------------------------------------------------------------


class BasketValidated(DomainError):
    code = "basket-already-validated"
    kind = "conflict"
    title = "Basket already validated"
    detail = "Ce panier a déjà été validé."


class EmptyBasket(DomainError):
    code = "basket-empty"
    kind = "invalid"
    title = "Empty basket"
    detail = "Votre panier est vide : ajoutez des jours avant de valider."


class BasketTooLarge(DomainError):
    code = "basket-too-large"
    kind = "invalid"
    title = "Basket too large"
    detail = "Votre panier contient trop de jours ; validez-le en plusieurs fois."


class NotAllConfirmed(DomainError):
    code = "basket-not-confirmed"
    kind = "conflict"
    title = "Some days could not be confirmed"
    detail = "Certains jours ne peuvent pas être confirmés : rien n'a été réservé."


class HoldForStaffOnly(DomainError):
    code = "hold-for-payment-staff-only"
    kind = "forbidden"
    title = "Only staff may book without payment"
    detail = "Seuls les agents de la mairie peuvent réserver sans paiement immédiat."


class CancellationLocked(DomainError):
    code = "cancellation-locked"
    kind = "conflict"
    title = "Cancellation deadline passed"
    detail = "Le délai d'annulation est dépassé : cette réservation ne peut plus être annulée."


class NotCancellable(DomainError):
    code = "booking-not-live"
    kind = "conflict"
    title = "Booking already cancelled"
    detail = "Cette réservation est déjà annulée."


# --- waiting-list offers (issue 18) -------------------------------------------------------


class OfferNotFound(NotFound):
    code = "offer-not-found"
    detail = "Cette proposition de place n'existe pas."


class OfferLinkInvalid(NotFound):
    code = "offer-link-invalid"
    title = "Invalid offer link"
    detail = "Ce lien n'est pas valide : utilisez le lien reçu par courriel, en entier."


class OfferAnswered(DomainError):
    code = "offer-answered"
    kind = "conflict"
    title = "Offer already answered"
    detail = "Vous avez déjà répondu à cette proposition de place."


class OfferExpired(DomainError):
    code = "offer-expired"
    kind = "gone"
    title = "Offer no longer valid"
    detail = (
        "Cette proposition de place n'est plus valable : le délai pour l'accepter est passé"
        " ou la place a été retirée."
    )


class OfferChildNotEnrolled(DomainError):
    code = "offer-not-enrolled"
    kind = "conflict"
    title = "Child no longer enrolled"
    detail = (
        "Votre enfant n'est plus inscrit à cette activité : la place proposée ne peut pas lui"
        " être attribuée. Contactez le service famille."
    )


# --- attendance and absences -------------------------------------------------------------


class AttendanceTooEarly(DomainError):
    code = "attendance-too-early"
    kind = "conflict"
    title = "Day not started"
    detail = "La présence ne peut être pointée qu'à partir du jour de l'activité."


class NotBookedThatDay(DomainError):
    code = "not-booked-that-day"
    kind = "invalid"
    title = "Child not booked that day"
    detail = "Certains enfants pointés ne sont pas inscrits ce jour-là."


class SiteNotYours(DomainError):
    """A site animator acts only on the activities of their own sites."""

    code = "site-not-yours"
    kind = "forbidden"
    title = "Another site"
    detail = "Cette activité a lieu sur un site dont vous n'êtes pas l'animateur."


class UnexpectedChildUnknown(DomainError):
    code = "child-not-found"
    kind = "invalid"
    title = "Unknown child"
    detail = "Cet enfant n'est pas connu de la collectivité."

    def __init__(self) -> None:
        super().__init__(errors=[{"field": "child_id", "detail": self.detail}])


class AlreadyBookedThatDay(DomainError):
    """An unexpected presence of a child already on the day's list: mark them instead."""

    code = "already-booked-that-day"
    kind = "invalid"
    title = "Child already booked that day"
    detail = "Cet enfant est déjà inscrit ce jour-là : pointez-le sur la feuille."

    def __init__(self) -> None:
        super().__init__(errors=[{"field": "child_id", "detail": self.detail}])


class AbsenceAlreadyJustified(DomainError):
    code = "absence-already-justified"
    kind = "conflict"
    title = "Absence already justified"
    detail = "Une justification est déjà en cours ou acceptée pour ce jour."


class AbsenceAlreadyDecided(DomainError):
    code = "absence-already-decided"
    kind = "conflict"
    title = "Absence already decided"
    detail = "Ce justificatif a déjà été traité."


class BookingNotJustifiable(DomainError):
    code = "booking-not-booked"
    kind = "conflict"
    title = "Not a booked day"
    detail = "Seul un jour réservé (non annulé, hors liste d'attente) peut être justifié."


# --- campaigns and renewals (issue 16) -----------------------------------------------------


class CampaignNotFound(NotFound):
    code = "campaign-not-found"
    detail = "Cette campagne d'inscriptions n'existe pas."


class RenewalNotFound(NotFound):
    code = "renewal-not-found"
    detail = "Ce renouvellement n'existe pas."


class FileCheckNotFound(NotFound):
    code = "file-check-not-found"
    detail = "Le dossier du foyer n'a pas encore été vérifié pour cette campagne."


class CampaignNotOpen(DomainError):
    """A family enrolling outside the campaign's window (`detail` says the window)."""

    code = "campaign-not-open"
    kind = "conflict"
    title = "Enrollment campaign not open"
    detail = "Les inscriptions ne sont pas ouvertes pour cette campagne."


class ActivityInCampaign(DomainError):
    """An activity already opened by another campaign (`activity_id`, `activity_name`)."""

    code = "activity-in-campaign"
    kind = "conflict"
    title = "Activity in another campaign"
    detail = "Cette activité fait déjà partie d'une autre campagne d'inscriptions."


class InvalidCampaignField(DomainError):
    """A field of a campaign request that the catalogue or the campaign refuses (`errors`
    names it: activity_ids, lines.0.activity_id, mapping.0.to_activity_id, closes_on...)."""

    code = "validation-error"
    kind = "invalid"
    title = "Invalid request"
    detail = "Certaines informations sont manquantes ou incorrectes."

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, errors=[{"field": field, "detail": detail}])


class FileCheckRequired(DomainError):
    code = "file-check-required"
    kind = "conflict"
    title = "Household file not checked"
    detail = (
        "Vérifiez d'abord le dossier de votre foyer pour cette année scolaire (coordonnées,"
        " enfants, santé, autorisations), puis confirmez le renouvellement."
    )


class RenewalAlreadyAnswered(DomainError):
    code = "renewal-already-answered"
    kind = "conflict"
    title = "Renewal already answered"
    detail = "Vous avez déjà répondu à ce renouvellement."


class RenewalIneligible(DomainError):
    code = "renewal-ineligible"
    kind = "conflict"
    title = "Child not eligible for the renewal"
    detail = (
        "Votre enfant ne remplit plus les conditions de cette activité : adressez-vous à la mairie."
    )


# --- opening windows (issue 18) -----------------------------------------------------------


class WindowNotFound(NotFound):
    code = "window-not-found"
    detail = "Cette période de demandes n'existe pas."


class WindowRequestNotFound(NotFound):
    code = "window-request-not-found"
    detail = "Aucune demande de votre foyer pour cette période."


class InvalidWindowField(DomainError):
    """A field of a window or of a request that the window refuses (`errors` names it:
    closes_at, priority_rules.1.code, children.0.dates.2, criteria.0...)."""

    code = "validation-error"
    kind = "invalid"
    title = "Invalid request"
    detail = "Certaines informations sont manquantes ou incorrectes."

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, errors=[{"field": field, "detail": detail}])


class WindowNotOpen(DomainError):
    """A family submitting or withdrawing outside the window (`detail` says when)."""

    code = "window-not-open"
    kind = "conflict"
    title = "Opening window not open"
    detail = "Les demandes ne sont pas ouvertes pour cette période."


class WindowPublished(DomainError):
    code = "window-published"
    kind = "conflict"
    title = "Opening window already open"
    detail = "Cette période est ouverte : ses règles de priorité sont publiées et ne changent plus."


class WindowNotClosed(DomainError):
    code = "window-not-closed"
    kind = "conflict"
    title = "Opening window not closed"
    detail = "L'attribution des places aura lieu à la clôture des demandes."


class WindowAllocated(DomainError):
    code = "window-allocated"
    kind = "conflict"
    title = "Opening window allocated"
    detail = "Les places de cette période ont déjà été attribuées."


class WindowNotAllocated(DomainError):
    code = "window-not-allocated"
    kind = "conflict"
    title = "Opening window not allocated"
    detail = "Le tirage au sort n'a pas encore eu lieu."

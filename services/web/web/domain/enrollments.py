"""Enrollments and absences as the family reads them: the activities open to each child (and
why not, plainly), the decisions' labels, the required documents' status in the household,
the enrollment and absence forms turned into the booking API's bodies, the booked days an
absence may be declared for. Plain functions, no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.french import DAYS, MONTHS
from web.domain.french import long_date
from web.domain.problems import FormErrors

# booking's activity types (shared.events.contract.ACTIVITY_TYPES), as families call them.
ACTIVITY_TYPES: dict[str, str] = {
    "CANTINE": "Restauration scolaire",
    "PERI": "Accueil périscolaire",
    "ETUDE": "Étude surveillée",
    "MERCREDI": "Mercredis",
    "VACANCES": "Vacances",
    "EXTRA": "Activités extrascolaires",
    "SPORT": "Sport",
    "CRECHE": "Petite enfance",
}

# An enrollment's status (booking's EnrollmentOut.status); the CSS class only echoes the text.
ENROLLMENT_STATUSES: dict[str, str] = {
    "pending": "En attente de validation",
    "approved": "Acceptée",
    "rejected": "Refusée",
}

# booking's ABSENCE_REASONS, in the order the form offers them.
ABSENCE_REASONS: dict[str, str] = {
    "illness": "Maladie",
    "family": "Raison familiale",
    "transport": "Problème de transport",
    "other": "Autre motif",
}

# An absence justification's status (booking's AbsenceOut.status), as guide 001 says it.
ABSENCE_STATUSES: dict[str, str] = {
    "pending": "En attente",
    "accepted": "Justifiée",
    "refused": "Non justifiée",
}

# The calendar's states of a day the child is booked on (booking.domain.rules).
BOOKED_STATES = frozenset({"booked_cancellable", "booked_locked"})

# Required documents: their state in the household, and what the family reads.
DOCUMENT_STATES: dict[str, str] = {
    "valid": "Fourni et valide",
    "pending": "Déposé, en attente de validation par la mairie",
    "rejected": "Refusé : à déposer de nouveau",
    "expired": "Expiré : à déposer de nouveau",
    "missing": "Manquant",
}

ENROLLMENT_FIELDS = ("mode", "weekdays", "every_n_weeks")
ABSENCE_FIELDS = ("booking_id", "reason", "note", "document_id")


def type_label(code: str | None) -> str:
    return ACTIVITY_TYPES.get(code or "", code or "")


def weekday_names(numbers: list[int] | None) -> str:
    """[1, 2, 4] → 'lundi, mardi, jeudi' (ISO weekdays, 1 = Monday)."""
    return ", ".join(DAYS[n - 1] for n in sorted(numbers or []) if 1 <= n <= 7)


def eligibility_text(activity: dict[str, Any]) -> str:
    """Who the activity is for, said plainly: 'De 6 à 11 ans · classes : CE1, CE2'."""
    low, high = activity.get("min_age"), activity.get("max_age")
    parts = []
    if low is not None and high is not None:
        parts.append(f"De {low} à {high} ans")
    elif low is not None:
        parts.append(f"À partir de {low} ans")
    elif high is not None:
        parts.append(f"Jusqu'à {high} ans")
    grades = activity.get("grades")
    if grades:
        parts.append(("classes : " if parts else "Classes : ") + ", ".join(grades))
    return " · ".join(parts) or "Ouverte à tous les enfants"


def period_text(activity: dict[str, Any], timezone: str = "Europe/Paris") -> str:
    start, end = activity.get("period_from"), activity.get("period_to")
    if start == end:
        return f"Le {long_date(start, timezone)}"
    return f"Du {long_date(start, timezone)} au {long_date(end, timezone)}"


@dataclass(frozen=True)
class Offer:
    """An activity as one child's page shows it: may the child enroll, and if not, why."""

    activity: dict[str, Any]
    type_label: str
    eligibility: str
    enrollment: dict[str, Any] | None  # the child's live or refused enrollment, if any
    may_enroll: bool
    why_not: str | None  # plain French when the child may not enroll


def latest_enrollment(activity_id: str, enrollments: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The child's latest request for that activity (a refused one may be asked again)."""
    found = [e for e in enrollments if str(e["activity_id"]) == str(activity_id)]
    return max(found, key=lambda e: str(e.get("requested_at") or ""), default=None)


def offer(activity: dict[str, Any], enrollments: list[dict[str, Any]]) -> Offer:
    """One activity for one child (`activity` as booking lists it with ?child_id=,
    `enrollments` that child's): may it enroll, else why, plainly. An enrollment pending or
    accepted means enrolled."""
    enrollment = latest_enrollment(str(activity["id"]), enrollments)
    why_not = None
    if enrollment is not None and enrollment["status"] in ("pending", "approved"):
        why_not = "Votre enfant y est déjà inscrit ou en attente de validation."
    elif activity.get("eligible") is False:
        why_not = activity.get("ineligibility_reason") or (
            "Votre enfant ne peut pas participer à cette activité."
        )
    return Offer(
        activity=activity,
        type_label=type_label(activity.get("type")),
        eligibility=eligibility_text(activity),
        enrollment=enrollment,
        may_enroll=why_not is None,
        why_not=why_not,
    )


def offers(
    activities: list[dict[str, Any]],
    enrollments: list[dict[str, Any]],
    today: date,
) -> list[Offer]:
    """The activities open to one child: those whose period has not ended and it is not
    enrolled in (those are listed with its enrollments); the ineligible stay, explained."""
    found = [
        offer(a, enrollments)
        for a in activities
        if date.fromisoformat(str(a["period_to"])) >= today
    ]
    shown = [
        o for o in found if not (o.enrollment and o.enrollment["status"] in ("pending", "approved"))
    ]
    shown.sort(key=lambda o: (str(o.activity["period_from"]), str(o.activity["name"])))
    return shown


@dataclass(frozen=True)
class RequiredDocument:
    code: str
    label: str
    state: str  # a key of DOCUMENT_STATES

    @property
    def text(self) -> str:
        return DOCUMENT_STATES[self.state]

    @property
    def ready(self) -> bool:
        return self.state == "valid"


def required_documents(
    codes: list[str],
    documents: list[dict[str, Any]],
    labels: dict[str, str],
    child_id: str,
    on: date,
) -> list[RequiredDocument]:
    """Each document the activity requires, with its best state among the household's
    documents about the household or this child (as booking checks them): valid on `on`
    (today or the activity's start, when later), else pending, rejected, expired, missing."""
    rank = ["valid", "pending", "expired", "rejected", "missing"]
    found = []
    for code in codes:
        best = "missing"
        for document in documents:
            if document.get("document_type") != code:
                continue
            member = document.get("member_id")
            if member is not None and str(member) != str(child_id):
                continue  # about another member of the household
            status = document.get("status")
            if status == "validated":
                until = document.get("valid_until")
                valid = until is None or date.fromisoformat(str(until)) >= on
                state = "valid" if valid else "expired"
            elif status in ("pending", "rejected"):
                state = status
            else:
                continue
            if rank.index(state) < rank.index(best):
                best = state
        found.append(RequiredDocument(code, labels.get(code, code), best))
    return found


@dataclass(frozen=True)
class Submitted:
    """A form as read: the API's body, or the errors to show by field."""

    body: dict[str, Any] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)


def enrollment_body(
    form: dict[str, Any] | Any, child_id: str, activity: dict[str, Any]
) -> Submitted:
    """'je réserverai ponctuellement' (occasional) or a regular rhythm: some of the activity's
    weekdays, one week in N (1 to 4). `form` is a multidict (getall for the checkboxes)."""
    mode = str(form.get("mode") or "")
    body: dict[str, Any] = {"child_id": child_id, "activity_id": str(activity["id"])}
    if mode == "occasional":
        return Submitted({**body, "mode": "occasional"})
    if mode != "regular":
        return Submitted(errors=FormErrors({"mode": "Choisissez comment vous réserverez."}))
    offered = set(activity.get("weekdays") or range(1, 8))
    weekdays: list[int] = []
    for value in form.getall("weekdays", []) if hasattr(form, "getall") else []:
        text = str(value)
        if text.isdigit() and int(text) in offered and int(text) not in weekdays:
            weekdays.append(int(text))
    errors: dict[str, str] = {}
    if not weekdays:
        errors["weekdays"] = "Cochez au moins un jour de la semaine."
    every = str(form.get("every_n_weeks") or "1")
    if every not in ("1", "2", "3", "4"):
        errors["every_n_weeks"] = "Choisissez une semaine sur 1, 2, 3 ou 4."
    if errors:
        return Submitted(errors=FormErrors(errors))
    return Submitted(
        {**body, "mode": "regular", "weekdays": sorted(weekdays), "every_n_weeks": int(every)}
    )


def missing_documents_message(codes: list[str], labels: dict[str, str]) -> str:
    """booking's refusal for documents missing, with their labels (booking names a type by
    its code until it has heard of a document of that type)."""
    names = ", ".join(labels.get(code, code) for code in codes)
    if len(codes) == 1:
        return (
            f"Document manquant ou expiré pour cette inscription : {names}. Déposez-le dans vos"
            " documents ; l'inscription sera possible une fois le document validé par la mairie."
        )
    return (
        f"Documents manquants ou expirés pour cette inscription : {names}. Déposez-les dans vos"
        " documents ; l'inscription sera possible une fois les documents validés par la mairie."
    )


def rhythm_text(enrollment: dict[str, Any]) -> str:
    """How the family said it would book: 'Réservation ponctuelle', 'Chaque lundi, jeudi',
    'Lundi, jeudi, une semaine sur 2'."""
    if enrollment.get("mode") != "regular":
        return "Je réserverai ponctuellement"
    days = weekday_names(enrollment.get("weekdays"))
    if not days:
        return "Tous les jours d'ouverture"
    every = int(enrollment.get("every_n_weeks") or 1)
    if every == 1:
        return f"Chaque semaine : {days}"
    return f"Une semaine sur {every} : {days}"


@dataclass(frozen=True)
class BookedDay:
    booking_id: str
    day: date
    activity_name: str
    site: str

    def label(self, timezone: str = "Europe/Paris") -> str:
        return f"{long_date(self.day, timezone)} – {self.activity_name} ({self.site})"


def booked_days(calendar: dict[str, Any], absences: list[dict[str, Any]]) -> list[BookedDay]:
    """The days of a child's month calendar (booking's CalendarOut) it is booked on, without
    those whose absence is already declared (pending or justified): one per booking."""
    declared = {
        str(a["booking_id"]) for a in absences if a.get("status") in ("pending", "accepted")
    }
    found = []
    for activity in calendar.get("activities") or []:
        for day in activity.get("days") or []:
            booking = day.get("booking_id")
            if day.get("state") in BOOKED_STATES and booking and str(booking) not in declared:
                found.append(
                    BookedDay(
                        str(booking),
                        date.fromisoformat(str(day["date"])),
                        str(activity.get("name") or ""),
                        str(activity.get("site") or ""),
                    )
                )
    found.sort(key=lambda d: (d.day, d.activity_name))
    return found


def month_of(text: str | None, today: date) -> date:
    """'2026-10' → 1 October 2026; the current month for nothing or nonsense."""
    try:
        year, month = str(text or "").split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        return today.replace(day=1)


def shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_label(first: date) -> str:
    return f"{MONTHS[first.month - 1]} {first.year}"


def absence_body(form: dict[str, Any] | Any, bookable: set[str]) -> Submitted:
    """The absence form: a booked day among `bookable` (booking ids), a reason of booking's
    list, an optional note (2000 characters) and an optional document of the household."""
    errors: dict[str, str] = {}
    booking_id = str(form.get("booking_id") or "")
    if booking_id not in bookable:
        errors["booking_id"] = "Choisissez le jour réservé de l'absence."
    reason = str(form.get("reason") or "")
    if reason not in ABSENCE_REASONS:
        errors["reason"] = "Choisissez le motif de l'absence."
    note = str(form.get("note") or "").strip()
    if len(note) > 2000:
        errors["note"] = "2 000 caractères au plus."
    document = str(form.get("document_id") or "")
    if document:
        try:
            document = str(uuid.UUID(document))
        except ValueError:
            errors["document_id"] = "Choisissez un justificatif de la liste."
    if errors:
        return Submitted(errors=FormErrors(errors))
    return Submitted(
        {
            "booking_id": booking_id,
            "reason": reason,
            "note": note or None,
            "document_id": document or None,
        }
    )

"""One history of a household's procedures [guide 001 "historique des démarches"]: changes
to the file, requests, documents, enrollments, absences, validated bookings, payments and
direct-debit mandates, each turned into one entry (when, what, its status in words, a link)
and merged newest first, filtered by kind, cut into pages. Pure: the pages fetch the lists."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from web.domain.billing import mandate_status
from web.domain.french import euros, long_date
from web.domain.household import (
    CHANGE_STATUSES,
    DOCUMENT_STATUSES,
    REQUEST_STATUSES,
    document_status,
)
from web.domain.staff_billing import ALL_METHODS

# The kinds, in the order the filter offers them: URL value → label.
KINDS: dict[str, str] = {
    "modifications": "Modifications du dossier",
    "demandes": "Demandes",
    "documents": "Documents",
    "inscriptions": "Inscriptions",
    "absences": "Absences",
    "reservations": "Réservations",
    "paiements": "Paiements",
    "prelevement": "Prélèvement automatique",
}

ENROLLMENT_STATUSES = {
    "pending": "En attente de validation",
    "approved": "Acceptée",
    "rejected": "Refusée",
}
ABSENCE_STATUSES = {
    "pending": "En attente de validation",
    "accepted": "Justifiée",
    "refused": "Refusée",
}
PAYMENT_STATUSES = {"recorded": "Enregistré", "reversed": "Annulé"}
# An entry's status → the badge's tone (done, waiting, refused, neutral).
_TONES = {
    "approved": "done",
    "validated": "done",
    "accepted": "done",
    "answered": "done",
    "recorded": "done",
    "active": "done",
    "pending": "waiting",
    "open": "waiting",
    "pending_signature": "waiting",
    "rejected": "refused",
    "refused": "refused",
    "reversed": "refused",
    "expired": "refused",
    "suspended": "refused",
}


@dataclass(frozen=True)
class Entry:
    kind: str  # a key of KINDS
    at: datetime  # when the procedure was made (aware)
    title: str
    status: str  # in words
    tone: str  # done, waiting, refused or neutral
    link: str | None
    detail: str = ""


@dataclass(frozen=True)
class HistoryPage:
    entries: list[Entry]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class Links:
    """Where each kind of entry leads (the families' pages or the back-office's)."""

    change: Callable[[Mapping[str, Any]], str | None]
    request: Callable[[Mapping[str, Any]], str | None]
    document: Callable[[Mapping[str, Any]], str | None]
    enrollment: Callable[[Mapping[str, Any]], str | None]
    absence: Callable[[Mapping[str, Any]], str | None]
    basket: Callable[[Mapping[str, Any]], str | None]
    payment: Callable[[Mapping[str, Any]], str | None]
    mandate: Callable[[Mapping[str, Any]], str | None]


FAMILY_LINKS = Links(
    change=lambda _: "/foyer",
    request=lambda r: f"/demandes/{r['id']}",
    document=lambda _: "/documents",
    enrollment=lambda _: "/inscriptions",
    absence=lambda _: "/absences",
    basket=lambda _: "/reservations",
    payment=lambda _: "/factures",
    mandate=lambda _: "/prelevement",
)


def staff_links(household_id: str) -> Links:
    file = f"/gestion/foyers/{household_id}"
    return Links(
        change=lambda c: f"/gestion/modifications/{c['id']}",
        request=lambda r: f"/gestion/demandes/{r['id']}",
        document=lambda d: f"/gestion/documents/{d['id']}",
        enrollment=lambda _: "/gestion/inscriptions",
        absence=lambda _: "/gestion/absences",
        basket=lambda _: file,
        payment=lambda p: f"/gestion/facturation/paiements/{p['id']}",
        mandate=lambda _: file,
    )


@dataclass(frozen=True)
class Sources:
    """The lists as the services answer them (missing ones empty)."""

    changes: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    enrollments: list[dict[str, Any]]
    absences: list[dict[str, Any]]
    baskets: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    mandates: list[dict[str, Any]]


def moment(value: Any) -> datetime | None:
    """An API timestamp (ISO text, aware) or None; a naive one is taken as UTC."""
    if not value:
        return None
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _tone(status: str) -> str:
    return _TONES.get(status, "neutral")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def basket_outcome(outcome: Mapping[str, Any] | None) -> str:
    """'2 jours confirmés, 1 en liste d'attente, 1 refusé' (what became of its days)."""
    counts = outcome or {}
    parts = []
    if confirmed := int(counts.get("confirmed") or 0):
        parts.append(_plural(confirmed, "jour confirmé", "jours confirmés"))
    if waiting := int(counts.get("waiting_list") or 0):
        parts.append(f"{waiting} en liste d'attente")
    if cancelled := int(counts.get("cancelled") or 0):
        parts.append(_plural(cancelled, "jour annulé", "jours annulés"))
    if refused := int(counts.get("refused") or 0):
        parts.append(_plural(refused, "jour refusé", "jours refusés"))
    return ", ".join(parts) or "Aucun jour"


def entries(
    sources: Sources,
    links: Links,
    *,
    names: Mapping[str, str],
    activities: Mapping[str, str],
    today: date,
) -> list[list[Entry]]:
    """One list of entries per source (names: people's ids → names; activities: ids →
    names). An item without its date is left out (nothing to place it by)."""

    def child(item: Mapping[str, Any]) -> str:
        return names.get(str(item.get("child_id")), "un enfant")

    def activity(item: Mapping[str, Any]) -> str:
        return activities.get(str(item.get("activity_id")), "une activité")

    def made(kind: str, at: Any, **fields: Any) -> Entry | None:
        when = moment(at)
        return None if when is None else Entry(kind=kind, at=when, **fields)

    out: list[list[Entry | None]] = [
        [
            made(
                "modifications",
                c.get("submitted_at"),
                title=f"Modification du dossier : {c.get('summary') or c.get('entity', '')}",
                status=CHANGE_STATUSES.get(c.get("status", ""), c.get("status", "")),
                tone=_tone(c.get("status", "")),
                link=links.change(c),
                detail=c.get("reason") or "",
            )
            for c in sources.changes
        ],
        [
            made(
                "demandes",
                r.get("created_at"),
                title=f"Demande : {r.get('subject', '')}",
                status=REQUEST_STATUSES.get(r.get("status", ""), r.get("status", "")),
                tone=_tone(r.get("status", "")),
                link=links.request(r),
                detail=r.get("topic_label") or "",
            )
            for r in sources.requests
        ],
        [
            made(
                "documents",
                d.get("uploaded_at"),
                title=f"Document : {d.get('document_label') or d.get('document_type', '')}",
                status=DOCUMENT_STATUSES.get(shown := document_status(d, today), shown),
                tone=_tone(shown),
                link=links.document(d),
                detail=d.get("reason") or "",
            )
            for d in sources.documents
        ],
        [
            made(
                "inscriptions",
                e.get("requested_at"),
                title=f"Inscription de {child(e)} : {activity(e)}",
                status=ENROLLMENT_STATUSES.get(e.get("status", ""), e.get("status", "")),
                tone=_tone(e.get("status", "")),
                link=links.enrollment(e),
                detail=e.get("reason") or "",
            )
            for e in sources.enrollments
        ],
        [
            made(
                "absences",
                a.get("requested_at"),
                title=f"Absence de {child(a)} le {long_date(a.get('date'))} : {activity(a)}",
                status=ABSENCE_STATUSES.get(a.get("status", ""), a.get("status", "")),
                tone=_tone(a.get("status", "")),
                link=links.absence(a),
                detail=a.get("decision_reason") or "",
            )
            for a in sources.absences
        ],
        [
            made(
                "reservations",
                b.get("validated_at"),
                title="Réservations validées" + (" par la mairie" if b.get("by_staff") else ""),
                status="Validées",
                tone="done",
                link=links.basket(b),
                detail=basket_outcome(b.get("outcome")),
            )
            for b in sources.baskets
        ],
        [
            made(
                "paiements",
                p.get("created_at"),
                title=f"Paiement de {euros(p.get('amount_cents'))}"
                f" ({ALL_METHODS.get(p.get('method', ''), p.get('method', ''))})",
                status=PAYMENT_STATUSES.get(p.get("status", ""), p.get("status", "")),
                tone=_tone(p.get("status", "")),
                link=links.payment(p),
                detail=f"Reçu {p['number']}" if p.get("number") else "",
            )
            for p in sources.payments
        ],
        [
            made(
                "prelevement",
                m.get("created_at"),
                title=f"Mandat de prélèvement : {m.get('regie_name') or ''}".rstrip(" :"),
                status=mandate_status(m.get("status", "")).label,
                tone=_tone(m.get("status", "")),
                link=links.mandate(m),
                detail=f"Référence {m['rum']}" if m.get("rum") else "",
            )
            for m in sources.mandates
        ],
    ]
    return [[e for e in source if e is not None] for source in out]


def merge(lists: Iterable[list[Entry]]) -> list[Entry]:
    """Every entry, newest first (the services' orders differ: each list is sorted anew);
    equal moments keep the kinds' order."""
    order = {kind: n for n, kind in enumerate(KINDS)}
    every = [entry for entries_ in lists for entry in entries_]
    return sorted(every, key=lambda e: (-e.at.timestamp(), order.get(e.kind, len(order))))


def history_page(
    lists: Iterable[list[Entry]], *, kind: str | None, page: int, per_page: int
) -> HistoryPage:
    """The merged history, only `kind` when it is one of KINDS, cut at `page` (from 1;
    past the last page: the last)."""
    merged = merge(lists)
    if kind in KINDS:
        merged = [e for e in merged if e.kind == kind]
    pages = max(1, math.ceil(len(merged) / per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    return HistoryPage(merged[start : start + per_page], page, pages, len(merged))

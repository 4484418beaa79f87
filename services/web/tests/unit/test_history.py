"""The one history of a household's procedures: entries made from the services' lists,
merged newest first, filtered by kind, cut into pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from web.domain.history import (
    FAMILY_LINKS,
    Sources,
    basket_outcome,
    entries,
    history_page,
    merge,
    staff_links,
)

LEA, SPORT = "c1", "a1"
HOUSEHOLD = "h1"


def sources(**lists: list[dict[str, Any]]) -> Sources:
    kinds = ("changes", "requests", "documents", "enrollments", "absences", "baskets")
    every = {k: [] for k in (*kinds, "payments", "mandates")}
    return Sources(**{**every, **lists})


SAMPLE = sources(
    changes=[
        {
            "id": "ch1",
            "summary": "Adresse",
            "status": "approved",
            "submitted_at": "2026-09-01T08:00:00+00:00",
        },
    ],
    requests=[
        {
            "id": "rq1",
            "subject": "Facture",
            "status": "open",
            "topic_label": "Facturation",
            "created_at": "2026-09-05T08:00:00+00:00",
        },
    ],
    documents=[
        {
            "id": "d1",
            "document_label": "Attestation d'assurance",
            "status": "validated",
            "valid_until": "2026-08-31",
            "uploaded_at": "2026-09-03T08:00:00+02:00",
        },
    ],
    enrollments=[
        {
            "id": "e1",
            "child_id": LEA,
            "activity_id": SPORT,
            "status": "rejected",
            "reason": "Complet",
            "requested_at": "2026-09-02T10:00:00+00:00",
        },
    ],
    absences=[
        {
            "id": "ab1",
            "child_id": LEA,
            "activity_id": SPORT,
            "date": "2026-09-14",
            "status": "pending",
            "requested_at": "2026-09-15T07:00:00+00:00",
        },
    ],
    baskets=[
        {
            "id": "b1",
            "by_staff": True,
            "validated_at": "2026-09-04T08:00:00+00:00",
            "outcome": {"confirmed": 2, "waiting_list": 1, "cancelled": 0, "refused": 1},
        },
        {"id": "b0", "validated_at": None, "outcome": None},  # never validated: left out
    ],
    payments=[
        {
            "id": "p1",
            "number": "R-ENF-2026-000001",
            "amount_cents": 4140,
            "method": "card",
            "status": "recorded",
            "created_at": "2026-09-06T08:00:00+00:00",
        },
    ],
    mandates=[
        {
            "id": "m1",
            "regie_name": "Régie Enfance",
            "rum": "RUM1",
            "status": "pending_signature",
            "created_at": "2026-09-05T08:00:00+00:00",
        },
    ],
)


def made(links: Any = FAMILY_LINKS) -> list[Any]:
    return entries(
        SAMPLE,
        links,
        names={LEA: "Léa Martin"},
        activities={SPORT: "Sport"},
        today=date(2026, 9, 20),
    )


def test_each_procedure_in_words_with_its_link() -> None:
    by_kind = {e.kind: e for source in made() for e in source}
    assert len([e for source in made() for e in source]) == 8
    change = by_kind["modifications"]
    assert (change.title, change.status, change.tone, change.link) == (
        "Modification du dossier : Adresse",
        "Acceptée",
        "done",
        "/foyer",
    )
    assert by_kind["demandes"].link == "/demandes/rq1"
    assert by_kind["demandes"].status == "En attente de réponse"
    document = by_kind["documents"]
    assert (document.status, document.tone) == ("Expiré", "refused")  # past its validity
    enrollment = by_kind["inscriptions"]
    assert enrollment.title == "Inscription de Léa Martin : Sport"
    assert (enrollment.status, enrollment.detail) == ("Refusée", "Complet")
    absence = by_kind["absences"]
    assert absence.title == "Absence de Léa Martin le lundi 14 septembre 2026 : Sport"
    assert absence.tone == "waiting"
    basket = by_kind["reservations"]
    assert basket.title == "Réservations validées par la mairie"
    assert basket.detail == "2 jours confirmés, 1 en liste d'attente, 1 jour refusé"
    payment = by_kind["paiements"]
    assert payment.title == "Paiement de 41,40\u00a0€ (Carte bancaire)"
    assert (payment.status, payment.detail) == ("Enregistré", "Reçu R-ENF-2026-000001")
    mandate = by_kind["prelevement"]
    assert (mandate.title, mandate.status) == (
        "Mandat de prélèvement : Régie Enfance",
        "En attente de signature",
    )


def test_staff_links_lead_to_the_back_office() -> None:
    by_kind = {e.kind: e for source in made(staff_links(HOUSEHOLD)) for e in source}
    assert by_kind["modifications"].link == "/gestion/modifications/ch1"
    assert by_kind["documents"].link == "/gestion/documents/d1"
    assert by_kind["paiements"].link == "/gestion/facturation/paiements/p1"
    assert by_kind["prelevement"].link == "/gestion/foyers/h1"


def test_merged_newest_first_whatever_the_sources_order() -> None:
    merged = merge(made())
    assert [e.kind for e in merged] == [
        "absences",  # 15/9
        "paiements",  # 6/9
        "demandes",  # 5/9 08:00 UTC, before the mandate at the same moment (kinds' order)
        "prelevement",
        "reservations",  # 4/9
        "documents",  # 3/9 06:00 UTC (08:00 in Paris)
        "inscriptions",
        "modifications",
    ]
    assert merge([list(reversed(merged))]) == merged


def test_filtered_by_kind_and_cut_into_pages() -> None:
    lists = made()
    first = history_page(lists, kind=None, page=1, per_page=3)
    assert (first.page, first.pages, first.total) == (1, 3, 8)
    assert [e.kind for e in first.entries] == ["absences", "paiements", "demandes"]
    last = history_page(lists, kind=None, page=9, per_page=3)  # past the end: the last
    assert (last.page, [e.kind for e in last.entries]) == (3, ["inscriptions", "modifications"])
    only = history_page(lists, kind="documents", page=1, per_page=3)
    assert (only.total, [e.kind for e in only.entries]) == (1, ["documents"])
    unknown = history_page(lists, kind="n'importe", page=0, per_page=3)
    assert (unknown.page, unknown.total) == (1, 8)
    empty = history_page([], kind=None, page=1, per_page=20)
    assert (empty.entries, empty.pages, empty.total) == ([], 1, 0)


def test_basket_outcome_in_words() -> None:
    assert basket_outcome(None) == "Aucun jour"
    assert basket_outcome({"confirmed": 1, "cancelled": 2}) == "1 jour confirmé, 2 jours annulés"

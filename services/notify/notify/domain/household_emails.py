"""The family-facing emails about the household's file (family's events): a change staff
decided, a document validated or refused, a request answered, a household creation refused.
One function per event type; the labels (document type, request topic) come in the payload,
in the town's own words."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from notify.domain.french import french_date
from notify.domain.plans import Letter, Notice, reason


def change_request_decided(p: Mapping[str, Any]) -> Letter:
    why = reason(p.get("reason"))
    context = {
        "change_id": str(p["change_id"]),
        "summary": p["summary"],
        "entity": p["entity"],
        "operation": p["operation"],
        "decision": p["decision"],
        "reason": why,
    }
    if p["decision"] == "approved":
        return Letter(
            "change_approved",
            context,
            Notice(
                "change_approved",
                "Modification acceptée",
                f"Votre demande « {p['summary']} » a été acceptée : votre dossier"
                " famille est à jour.",
            ),
        )
    because = f"Motif : {why}" if why else "Aucun motif n'a été indiqué."
    return Letter(
        "change_rejected",
        context,
        Notice(
            "change_rejected",
            "Modification refusée",
            f"Votre demande « {p['summary']} » a été refusée. {because}",
        ),
    )


def document_validated(p: Mapping[str, Any]) -> Letter:
    label = p["document_label"]
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
    return Letter(
        "document_validated",
        context,
        Notice(
            "document_validated",
            "Document validé",
            f"Votre document « {label} » a été validé ; {validity}.",
        ),
    )


def document_rejected(p: Mapping[str, Any]) -> Letter:
    label = p["document_label"]
    why = reason(p.get("reason"))
    context = {
        "document_id": str(p["document_id"]),
        "document_type": p["document_type"],
        "document_label": label,
        "reason": why,
    }
    because = f" Motif : {why}" if why else ""
    return Letter(
        "document_rejected",
        context,
        Notice(
            "document_rejected",
            "Document refusé",
            f"Votre document « {label} » a été refusé.{because} Vous pouvez en déposer"
            " un nouveau dans vos documents.",
        ),
    )


def request_answered(p: Mapping[str, Any]) -> Letter:
    closed = p["status"] == "closed"
    context = {
        "request_id": str(p["request_id"]),
        "topic": p["topic"],
        "topic_label": p["topic_label"],
        "request_subject": p["subject"],
        "status": p["status"],
    }
    return Letter(
        "request_answered",
        context,
        Notice(
            "request_answered",
            "Réponse à votre demande",
            f"La mairie a répondu à votre demande « {p['subject']} »."
            + (" La demande est close." if closed else ""),
        ),
    )


def household_creation_rejected(p: Mapping[str, Any]) -> Letter:
    why = reason(p.get("reason"))
    because = f" Motif : {why}" if why else ""
    return Letter(
        "household_creation_rejected",
        {"change_id": str(p["change_id"]), "reason": why},
        Notice(
            "household_creation_rejected",
            "Création du dossier famille refusée",
            f"Votre demande de création de dossier famille a été refusée.{because}",
        ),
    )

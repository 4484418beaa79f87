"""The notify service's domain errors (mapped once to problem+json by the shared middleware)."""

from __future__ import annotations

import uuid

from shared.errors import DomainError, NotFound


class NotificationNotFound(NotFound):
    code = "notification-not-found"
    detail = "Cette notification est introuvable."


class EmailNotFound(NotFound):
    code = "email-not-found"
    detail = "Ce courriel est introuvable."


class NewsNotFound(NotFound):
    code = "news-not-found"
    detail = "Cette actualité est introuvable."


class AttachmentNotFound(NotFound):
    code = "attachment-not-found"
    detail = "Cette pièce jointe est introuvable."


class PageNotFound(NotFound):
    code = "page-not-found"
    detail = "Cette page d'information est introuvable."


class MenuNotFound(NotFound):
    code = "menu-not-found"
    detail = "Aucun menu n'est saisi pour cette semaine."


class InvalidWindow(DomainError):
    code = "invalid-publication-window"
    kind = "invalid"
    title = "Invalid publication window"
    detail = "La fin de publication doit être postérieure à son début."

    def __init__(self) -> None:
        super().__init__(
            errors=[
                {
                    "field": "publish_until",
                    "detail": "La date de fin de publication doit être après la date de début.",
                }
            ]
        )


class TooManyAttachments(DomainError):
    """A news has at most NEWS_MAX_ATTACHMENTS attachments."""

    code = "too-many-attachments"
    kind = "invalid"
    title = "Too many attachments"

    def __init__(self, *, limit: int, count: int, field: str) -> None:
        detail = f"Une actualité a au plus {limit} pièces jointes (elle en a déjà {count})."
        super().__init__(detail, errors=[{"field": field, "detail": detail}])


class TownDocumentNotFound(NotFound):
    code = "town-document-not-found"
    detail = "Ce document est introuvable."


class InvalidValidity(DomainError):
    """A document's validity ends before it starts."""

    code = "invalid-validity"
    kind = "invalid"
    title = "Invalid validity"
    detail = "La fin de validité doit être postérieure ou égale à son début."

    def __init__(self) -> None:
        super().__init__(
            errors=[
                {
                    "field": "valid_until",
                    "detail": "La date de fin de validité doit être après la date de début.",
                }
            ]
        )


class ForeignActivity(DomainError):
    """An activity id of another tenant named in a news or a town document (`field`)."""

    code = "foreign-reference"
    kind = "invalid"
    title = "Invalid reference"

    def __init__(self, field: str, activity_ids: list[uuid.UUID]) -> None:
        detail = "Activité inconnue : " + ", ".join(str(i) for i in activity_ids) + "."
        super().__init__(detail, errors=[{"field": field, "detail": detail}])


class UnknownPages(DomainError):
    """A document linked to information pages that do not exist."""

    code = "unknown-pages"
    kind = "invalid"
    title = "Unknown information pages"

    def __init__(self, slugs: list[str]) -> None:
        detail = "Page d'information inconnue : " + ", ".join(slugs) + "."
        super().__init__(detail, errors=[{"field": "page_slugs", "detail": detail}])

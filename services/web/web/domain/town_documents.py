"""The town's documents (notify's town-documents) as the portal shows them: categories and
states in French, « PDF, 120 Ko », grouped by category; the staff form read and turned into
notify's fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from web.domain.staff_communication import file_size

CATEGORIES = {
    "rules": "Règlements intérieurs",
    "form": "Formulaires à remplir",
    "official": "Documents officiels",
    "tariffs": "Tarifs",
    "other": "Autres documents",
}
CATEGORY = {  # one document's category, in the staff's list and form
    "rules": "Règlement intérieur",
    "form": "Formulaire",
    "official": "Document officiel",
    "tariffs": "Tarifs",
    "other": "Autre",
}
STATES = {
    "in_force": "en vigueur",
    "upcoming": "à venir",
    "expired": "expiré",
    "unpublished": "non publié",
}
KINDS = {"application/pdf": "PDF", "image/jpeg": "image JPEG", "image/png": "image PNG"}
FIELDS = (
    "title",
    "category",
    "description",
    "valid_from",
    "valid_until",
    "published",
    "position",
    "activity_ids",
    "page_slugs",
    "file",
)


def kind_and_size(document: dict[str, Any]) -> str:
    """What a family reads before opening it: « PDF, 120 Ko »."""
    kind = KINDS.get(str(document.get("content_type")), "fichier")
    return f"{kind}, {file_size(int(document.get('size') or 0))}"


def shown(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents with what the pages print of them: their category and « PDF, 120 Ko »."""
    return [
        {
            **item,
            "category_label": CATEGORY.get(str(item.get("category")), ""),
            "kind_and_size": kind_and_size(item),
        }
        for item in items
    ]


def by_category(items: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(code, heading, documents) for each category that has documents, in the town's order."""
    return [
        (code, heading, found)
        for code, heading in CATEGORIES.items()
        if (found := [item for item in shown(items) if item.get("category") == code])
    ]


@dataclass(frozen=True)
class DocumentGroup:
    """Documents concerning the same activities of a campaign, under their names."""

    heading: str
    documents: list[dict[str, Any]]


def by_activities(
    activities: list[dict[str, Any]], found: list[list[dict[str, Any]]]
) -> list[DocumentGroup]:
    """A campaign's documents: `found[i]` are those in force linked to `activities[i]`. Each
    document is listed once, in a group named after the campaign's activities it concerns
    (« Toutes les activités de la campagne » when linked to every one of several): a town's
    rules linked to five activities is not printed five times. Groups in the campaign's
    order of activities, documents in notify's order (category, position)."""
    concerns: dict[str, list[int]] = {}  # document id -> indexes of its activities
    documents: dict[str, dict[str, Any]] = {}
    for index, items in enumerate(found):
        for item in items:
            key = str(item["id"])
            documents.setdefault(key, item)
            if index not in concerns.setdefault(key, []):
                concerns[key].append(index)
    groups: dict[tuple[int, ...], list[dict[str, Any]]] = {}
    for key, item in documents.items():
        groups.setdefault(tuple(concerns[key]), []).append(item)
    everyone = tuple(range(len(activities)))
    return [
        DocumentGroup(_heading(activities, indexes, everyone), items)
        for indexes, items in sorted(groups.items(), key=lambda g: (g[0] != everyone, g[0]))
    ]


def _heading(
    activities: list[dict[str, Any]], indexes: tuple[int, ...], everyone: tuple[int, ...]
) -> str:
    if indexes == everyone and len(everyone) > 1:
        return "Toutes les activités de la campagne"
    names = [f"« {activities[i]['name']} »" for i in indexes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]


@dataclass
class DocumentForm:
    """The staff's form as typed (shown again on an error)."""

    title: str = ""
    category: str = ""
    description: str = ""
    valid_from: str = ""
    valid_until: str = ""
    published: bool = True
    position: str = "0"
    activity_ids: list[str] = field(default_factory=list)
    page_slugs: list[str] = field(default_factory=list)

    def multipart_fields(self) -> dict[str, str]:
        """notify's text parts at creation (empty optional fields left out, lists
        comma-separated)."""
        found = {
            "title": self.title,
            "category": self.category,
            "description": self.description,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "published": "true" if self.published else "false",
            "position": self.position,
            "activity_ids": ",".join(self.activity_ids),
            "page_slugs": ",".join(self.page_slugs),
        }
        return {name: value for name, value in found.items() if value != ""}

    def patch(self) -> dict[str, Any]:
        """notify's PATCH: every field of the form (an emptied one cleared)."""
        return {
            "title": self.title,
            "category": self.category,
            "description": self.description or None,
            "valid_from": self.valid_from or None,
            "valid_until": self.valid_until or None,
            "published": self.published,
            "position": _integer(self.position),
            "activity_ids": self.activity_ids,
            "page_slugs": self.page_slugs,
        }


def _integer(text: str) -> int | str:
    """A number as typed; what is not one goes as is, for notify to name the field."""
    try:
        return int(text)
    except ValueError:
        return text


def read_form(form: Any) -> DocumentForm:
    return DocumentForm(
        title=str(form.get("title", "")).strip(),
        category=str(form.get("category", "")).strip(),
        description=str(form.get("description", "")).replace("\r\n", "\n").strip(),
        valid_from=str(form.get("valid_from", "")).strip(),
        valid_until=str(form.get("valid_until", "")).strip(),
        published=form.get("published") == "1",
        position=str(form.get("position", "0")).strip() or "0",
        activity_ids=[str(v) for v in form.getall("activity_ids", []) if str(v)],
        page_slugs=[str(v) for v in form.getall("page_slugs", []) if str(v)],
    )


def form_of(document: dict[str, Any]) -> DocumentForm:
    return DocumentForm(
        title=str(document.get("title") or ""),
        category=str(document.get("category") or ""),
        description=str(document.get("description") or ""),
        valid_from=str(document.get("valid_from") or ""),
        valid_until=str(document.get("valid_until") or ""),
        published=bool(document.get("published")),
        position=str(document.get("position", 0)),
        activity_ids=[str(v) for v in document.get("activity_ids") or []],
        page_slugs=[str(v) for v in document.get("page_slugs") or []],
    )

"""Request and response schemas of the notify API (marshmallow, in the OpenAPI document)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

COLOR = validate.Regexp(r"^#[0-9a-fA-F]{6}$", error="Une couleur #RRGGBB est attendue.")


class TenantSettingsIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 120))
    sender_name = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, 120)
    )
    sender_address = fields.Email(load_default=None, allow_none=True)
    reply_to = fields.Email(load_default=None, allow_none=True)
    contact_service = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, 160)
    )
    contact_email = fields.Email(load_default=None, allow_none=True)
    contact_phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[0-9+ .()-]{4,30}$", error="Numéro de téléphone invalide."),
    )
    primary_color = fields.String(load_default=None, allow_none=True, validate=COLOR)
    accent_color = fields.String(load_default=None, allow_none=True, validate=COLOR)
    portal_url = fields.Url(load_default=None, allow_none=True, require_tld=False)


class TenantSettingsOut(Schema):
    tenant = fields.String()
    configured = fields.Boolean(metadata={"description": "false: the defaults are shown"})
    name = fields.String()
    sender_name = fields.String()
    sender_address = fields.String()
    reply_to = fields.String(allow_none=True)
    contact_service = fields.String()
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    primary_color = fields.String()
    accent_color = fields.String()
    portal_url = fields.String()


class TenantThemeOut(Schema):
    """What a town's pages show, as its emails do (public: no sender, no reply-to)."""

    tenant = fields.String()
    configured = fields.Boolean(metadata={"description": "false: the defaults are shown"})
    name = fields.String()
    contact_service = fields.String()
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    primary_color = fields.String(metadata={"description": "#rrggbb"})
    accent_color = fields.String(metadata={"description": "#rrggbb"})


class Page(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


class UUIDList(fields.String):
    """Several UUIDs in one query parameter, comma-separated (a page's rows in one call)."""

    def __init__(self, *, most: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.most = most

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not parts:
            raise ValidationError("Au moins un identifiant est attendu.")
        if len(parts) > self.most:
            raise ValidationError(f"Au plus {self.most} identifiants à la fois.")
        try:
            return list(dict.fromkeys(uuid.UUID(part) for part in parts))
        except ValueError:
            raise ValidationError("Identifiant invalide.") from None


# A page's worth: the staff screens ask for the emails of the rows they show.
MAX_EMAIL_ACCOUNTS = 200


class EmailQuery(Page):
    recipient = fields.Email(load_default=None)
    account_id = UUIDList(
        most=MAX_EMAIL_ACCOUNTS,
        load_default=None,
        metadata={
            "description": "one account's emails, or several accounts' (comma-separated ids,"
            f" at most {MAX_EMAIL_ACCOUNTS})"
        },
    )
    event_type = fields.String(
        load_default=None,
        validate=validate.Regexp(
            r"^[a-z]+\.[A-Za-z]+$", error="Un type d'événement (ex. identity.AccountInvited)."
        ),
        metadata={
            "description": "only the emails of this event type, e.g. identity.AccountInvited"
            " (with status=failed: the invitations the mail server refused)"
        },
    )
    household_id = fields.UUID(
        load_default=None,
        metadata={
            "description": "only the emails about this household or about no household (an"
            " account's own: invitation, password), not those about another household a"
            " guardian of both also receives"
        },
    )
    status = fields.String(load_default=None, validate=validate.OneOf(["queued", "sent", "failed"]))


class EmailOut(Schema):
    id = fields.UUID()
    event_id = fields.UUID()
    event_type = fields.String()
    recipient = fields.String(
        allow_none=True,
        metadata={
            "description": "the address written to; for an email addressed to an account, the"
            " account's latest address, null while notify does not know it (« adresse inconnue »"
            " in last_error)"
        },
    )
    account_id = fields.UUID(allow_none=True)
    household_id = fields.UUID(
        allow_none=True, metadata={"description": "the household the email is about, if any"}
    )
    template = fields.String()
    subject = fields.String(allow_none=True, metadata={"description": "once rendered"})
    status = fields.String(metadata={"enum": ["queued", "sent", "failed"]})
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    last_error = fields.String(
        allow_none=True, metadata={"description": "the SMTP server's answer, or why it failed"}
    )
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)


class EmailPage(Schema):
    items = fields.List(fields.Nested(EmailOut))
    next_offset = fields.Integer(allow_none=True)


class NotificationQuery(Page):
    unread = fields.Boolean(load_default=False)


class NotificationOut(Schema):
    id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)
    read = fields.Function(lambda n: n["read_at"] is not None, dump_only=True)


class NotificationPage(Schema):
    items = fields.List(fields.Nested(NotificationOut))
    unread_count = fields.Integer()
    next_offset = fields.Integer(allow_none=True)


class ReadAllOut(Schema):
    marked = fields.Integer()
    unread_count = fields.Integer()


# --- news ---------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError("Le texte contient des caractères non autorisés.")


def _one_line(value: str) -> None:
    _no_control(value)
    if "\n" in value or "\r" in value:
        raise ValidationError("Le titre doit tenir sur une ligne.")


class Instant(fields.Field):
    """A local date (AAAA-MM-JJ, in the tenant's time zone) or an ISO 8601 timestamp (local
    time when it has no offset). Loaded as a `date` or a `datetime`; the API turns it into the
    publication window."""

    default_error_messages = {  # noqa: RUF012 (marshmallow's own class attribute)
        "invalid": "Une date (AAAA-MM-JJ) ou une date et heure (AAAA-MM-JJTHH:MM) est attendue."
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            return datetime.fromisoformat(text)
        except ValueError:
            raise self.make_error("invalid") from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else value.isoformat()


INSTANT_DOC = {
    "type": "string",
    "description": "AAAA-MM-JJ (Europe/Paris; an end date includes the whole day) or ISO 8601",
}
TITLE = validate.Length(1, 200)
BODY = validate.Length(1, 20_000)


class NewsIn(Schema):
    """A news: plain text (clients escape it when they show it)."""

    title = fields.String(required=True, validate=[TITLE, _one_line])
    body = fields.String(required=True, validate=[BODY, _no_control])
    publish_from = Instant(
        load_default=None, allow_none=True, metadata={**INSTANT_DOC, "default": "now"}
    )
    publish_until = Instant(load_default=None, allow_none=True, metadata=INSTANT_DOC)
    activity_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "only families with a child in this activity see it"},
    )


class NewsPatch(Schema):
    title = fields.String(validate=[TITLE, _one_line])
    body = fields.String(validate=[BODY, _no_control])
    publish_from = Instant(allow_none=True, metadata=INSTANT_DOC)
    publish_until = Instant(allow_none=True, metadata=INSTANT_DOC)
    activity_id = fields.UUID(allow_none=True)


class AttachmentOut(Schema):
    id = fields.UUID()
    filename = fields.String()
    content_type = fields.String(metadata={"enum": ["application/pdf", "image/jpeg", "image/png"]})
    size = fields.Integer(metadata={"description": "bytes"})
    sha256 = fields.String()
    created_at = fields.AwareDateTime()


class AttachmentList(Schema):
    items = fields.List(fields.Nested(AttachmentOut))


NEWS_STATES = ["scheduled", "current", "expired", "unpublished"]


class NewsOut(Schema):
    """A news as staff see it."""

    id = fields.UUID()
    title = fields.String()
    body = fields.String()
    publish_from = fields.AwareDateTime()
    publish_until = fields.AwareDateTime(allow_none=True)
    activity_id = fields.UUID(allow_none=True)
    state = fields.String(metadata={"enum": NEWS_STATES})
    unpublished_at = fields.AwareDateTime(allow_none=True)
    created_by = fields.UUID(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    attachments = fields.List(fields.Nested(AttachmentOut))


class NewsQuery(Page):
    state = fields.String(load_default=None, validate=validate.OneOf(NEWS_STATES))


class NewsPage(Schema):
    items = fields.List(fields.Nested(NewsOut))
    next_offset = fields.Integer(allow_none=True)


class FamilyNewsOut(Schema):
    """A current news as a family sees it."""

    id = fields.UUID()
    title = fields.String()
    body = fields.String()
    publish_from = fields.AwareDateTime()
    publish_until = fields.AwareDateTime(allow_none=True)
    targeted = fields.Function(lambda n: n["activity_id"] is not None, dump_only=True)
    attachments = fields.List(fields.Nested(AttachmentOut))


class FamilyNewsPage(Schema):
    items = fields.List(fields.Nested(FamilyNewsOut))
    next_offset = fields.Integer(allow_none=True)


# --- information pages and menus ----------------------------------------------------------
SLUG = validate.Regexp(
    r"^[a-z0-9]+(-[a-z0-9]+)*$",
    error="Adresse de page invalide : lettres minuscules, chiffres et tirets (ex. tarifs-2025).",
)


class PageSlug(Schema):
    slug = fields.String(required=True, validate=[validate.Length(1, 80), SLUG])


class InfoPageIn(Schema):
    title = fields.String(required=True, validate=[TITLE, _one_line])
    body = fields.String(required=True, validate=[validate.Length(1, 50_000), _no_control])
    position = fields.Integer(load_default=0, validate=validate.Range(-10_000, 10_000))


# --- town documents -----------------------------------------------------------------------
DOCUMENT_CATEGORIES = ["rules", "form", "official", "tariffs", "other"]
DOCUMENT_STATES = ["in_force", "upcoming", "expired", "unpublished"]
DESCRIPTION = validate.Length(1, 2_000)
LINKS_DOC = "in multipart/form-data: one text part, the values separated by commas"


class TownDocumentIn(Schema):
    """A town document's fields (the file is the multipart part `file`)."""

    title = fields.String(required=True, validate=[TITLE, _one_line])
    category = fields.String(required=True, validate=validate.OneOf(DOCUMENT_CATEGORIES))
    description = fields.String(
        load_default=None, allow_none=True, validate=[DESCRIPTION, _no_control]
    )
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_until = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "included"}
    )
    published = fields.Boolean(load_default=True)
    position = fields.Integer(load_default=0, validate=validate.Range(-10_000, 10_000))
    activity_ids = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={"description": f"booking's activities where it is shown ({LINKS_DOC})"},
    )
    page_slugs = fields.List(
        fields.String(validate=[validate.Length(1, 80), SLUG]),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={"description": f"information pages where it is shown ({LINKS_DOC})"},
    )


class TownDocumentPatch(Schema):
    """Only the fields given; a list given replaces the document's links of that kind."""

    title = fields.String(validate=[TITLE, _one_line])
    category = fields.String(validate=validate.OneOf(DOCUMENT_CATEGORIES))
    description = fields.String(allow_none=True, validate=[DESCRIPTION, _no_control])
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    published = fields.Boolean()
    position = fields.Integer(validate=validate.Range(-10_000, 10_000))
    activity_ids = fields.List(fields.UUID(), validate=validate.Length(max=200))
    page_slugs = fields.List(
        fields.String(validate=[validate.Length(1, 80), SLUG]), validate=validate.Length(max=200)
    )


class TownDocumentOut(Schema):
    id = fields.UUID()
    title = fields.String()
    category = fields.String(metadata={"enum": DOCUMENT_CATEGORIES})
    description = fields.String(allow_none=True)
    filename = fields.String()
    content_type = fields.String(metadata={"enum": ["application/pdf", "image/jpeg", "image/png"]})
    size = fields.Integer(metadata={"description": "bytes"})
    sha256 = fields.String()
    version = fields.Integer(metadata={"description": "1, then one more per replaced file"})
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    published = fields.Boolean()
    position = fields.Integer()
    state = fields.String(
        metadata={"enum": DOCUMENT_STATES, "description": "today, in the tenant's time zone"}
    )
    activity_ids = fields.List(fields.UUID())
    page_slugs = fields.List(fields.String())
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class TownDocumentList(Schema):
    items = fields.List(fields.Nested(TownDocumentOut))


class TownDocumentQuery(Schema):
    activity_id = fields.UUID(metadata={"description": "only those shown on this activity"})
    page_slug = fields.String(
        validate=[validate.Length(1, 80), SLUG],
        metadata={"description": "only those shown on this information page"},
    )
    all = fields.Boolean(
        load_default=False,
        metadata={
            "description": "staff only: every document whatever its state (else only those"
            " published and in force today)"
        },
    )


class InfoPageSummary(Schema):
    slug = fields.String()
    title = fields.String()
    position = fields.Integer()
    updated_at = fields.AwareDateTime()


class InfoPageOut(InfoPageSummary):
    body = fields.String()
    created_at = fields.AwareDateTime()
    documents = fields.List(
        fields.Nested(TownDocumentOut),
        metadata={"description": "the town documents shown on this page, in force today"},
    )


class InfoPageList(Schema):
    items = fields.List(fields.Nested(InfoPageSummary))


LINE = validate.Length(1, 300)
DISHES = ("starter", "main", "dessert", "snack", "text")


class MenuDay(Schema):
    date = fields.Date(required=True)
    starter = fields.String(load_default=None, allow_none=True, validate=[LINE, _one_line])
    main = fields.String(load_default=None, allow_none=True, validate=[LINE, _one_line])
    dessert = fields.String(load_default=None, allow_none=True, validate=[LINE, _one_line])
    snack = fields.String(
        load_default=None,
        allow_none=True,
        validate=[LINE, _one_line],
        metadata={"description": "goûter"},
    )
    text = fields.String(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(1, 2000), _no_control],
        metadata={"description": "free text instead of (or with) the dishes"},
    )
    allergens = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(1, 1000), _no_control]
    )

    @validates_schema
    def _something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not any(data.get(name) for name in DISHES):
            raise ValidationError(
                "Indiquez au moins un plat (entrée, plat, dessert, goûter) ou un texte libre.",
                field_name="text",
            )


class WeekPath(Schema):
    week_start = fields.Date(required=True)

    @validates("week_start")
    def _monday(self, value: date, **kwargs: Any) -> None:
        if value.weekday() != 0:
            raise ValidationError("Une semaine commence un lundi (AAAA-MM-JJ d'un lundi).")


class MenuIn(Schema):
    days = fields.List(fields.Nested(MenuDay), required=True, validate=validate.Length(1, 7))
    remarks = fields.String(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(1, 2000), _no_control],
        metadata={"description": "e.g. allergens, origin of the meat"},
    )


class MenuWeekOut(Schema):
    week_start = fields.Date()
    week = fields.String(metadata={"description": "ISO week, e.g. 2025-W03"})
    published = fields.Boolean(metadata={"description": "false: no menu entered for this week"})
    days = fields.List(fields.Nested(MenuDay))
    remarks = fields.String(allow_none=True)
    updated_at = fields.AwareDateTime(allow_none=True)


class MenuQuery(Schema):
    week = fields.Date(
        load_default=None,
        metadata={"description": "any day of the week wanted (default: the current week)"},
    )


class MenuWeeks(Schema):
    weeks = fields.List(
        fields.Nested(MenuWeekOut), metadata={"description": "the week asked for and the next"}
    )


# --- reminder preferences (issue 18) ------------------------------------------------------
class PreferencesIn(Schema):
    booking_reminders = fields.Boolean(
        required=True,
        truthy={True},
        falsy={False},
        metadata={"description": "false: no « Pensez à réserver » email for this account"},
    )


class PreferencesOut(Schema):
    booking_reminders = fields.Boolean(
        metadata={"description": "week reminders before the booking deadline (default true)"}
    )

"""Request and response schemas of the notify API (marshmallow, in the OpenAPI document)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

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


class Page(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


class EmailQuery(Page):
    recipient = fields.Email(load_default=None)
    account_id = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(["queued", "sent", "failed"]))


class EmailOut(Schema):
    id = fields.UUID()
    event_id = fields.UUID()
    event_type = fields.String()
    recipient = fields.String()
    account_id = fields.UUID(allow_none=True)
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

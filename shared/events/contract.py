"""Every event type exchanged between services, with its payload schema.

This module is the contract: a producer cannot publish, and a consumer will not accept, an
event whose payload does not match. Changing a payload incompatibly means a new version.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.registry import event_type

ROLES = ("family", "staff", "admin")


class _Payload(Schema):
    class Meta:
        ordered = True


# --- identity ---------------------------------------------------------------------------
class _Account(_Payload):
    account_id = fields.UUID(required=True)
    email = fields.Email(required=True)
    display_name = fields.String(required=True)


@event_type("identity.AccountRegistered")
class AccountRegistered(_Account):
    """A family signed up; the activation link must be emailed."""

    activation_url = fields.Url(required=True, require_tld=False)
    expires_at = fields.AwareDateTime(required=True)


@event_type("identity.AccountActivated")
class AccountActivated(_Account):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True)


@event_type("identity.AccountInvited")
class AccountInvited(_Account):
    """Staff created an account: either an invitation link or a temporary password to give."""

    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True)
    invitation_url = fields.Url(required=True, allow_none=True, require_tld=False)
    expires_at = fields.AwareDateTime(required=True, allow_none=True)
    invited_by = fields.UUID(required=True)


@event_type("identity.PasswordResetRequested")
class PasswordResetRequested(_Account):
    reset_url = fields.Url(required=True, require_tld=False)
    expires_at = fields.AwareDateTime(required=True)


@event_type("identity.PasswordChanged")
class PasswordChanged(_Account):
    reason = fields.String(
        required=True, validate=validate.OneOf(["change", "reset", "invitation"])
    )
    changed_at = fields.AwareDateTime(required=True)


@event_type("identity.EmailChangeRequested")
class EmailChangeRequested(_Account):
    """`email` is the current address (told of the request); the link goes to `new_email`."""

    new_email = fields.Email(required=True)
    confirmation_url = fields.Url(required=True, require_tld=False)
    expires_at = fields.AwareDateTime(required=True)


@event_type("identity.EmailChanged")
class EmailChanged(_Account):
    """`email` is the new address; `old_email` is told that the address changed."""

    old_email = fields.Email(required=True)


@event_type("identity.AccountLocked")
class AccountLocked(_Account):
    locked_until = fields.AwareDateTime(required=True)
    failed_attempts = fields.Integer(required=True)


# --- family -----------------------------------------------------------------------------
@event_type("family.HouseholdLinked")
class HouseholdLinked(_Payload):
    """An account was linked to a household (subscriber code or staff)."""

    household_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    linked_by = fields.String(required=True, validate=validate.OneOf(["subscriber_code", "staff"]))

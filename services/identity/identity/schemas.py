"""Request and response bodies of the identity API (marshmallow; they also feed OpenAPI)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.http.requests import RequestSchema

ROLES = ("family", "staff", "admin", "animator")
SLUG = validate.Regexp(
    r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$",
    error="Identifiant de collectivité invalide (minuscules, chiffres et tirets).",
)
_NAME = validate.Length(1, 200)
_PASSWORD = fields.String(required=True, validate=validate.Length(1, 1024))
# Links carry 43 URL-safe characters; anything much longer is junk.
_LINK_TOKEN = fields.String(required=True, validate=validate.Length(1, 200))


_In = RequestSchema  # request bodies: unknown fields refused, strings trimmed


def _lower_email(required: bool = True) -> fields.Email:
    return fields.Email(required=required, validate=validate.Length(3, 254))


# --- tenants ----------------------------------------------------------------------------


class TermsOut(Schema):
    version = fields.Integer(allow_none=True)
    url = fields.String(allow_none=True)
    text = fields.String(allow_none=True)


class TenantFeaturesOut(Schema):
    """What the town offers its families online (the portal hides what is off)."""

    family_edits = fields.Boolean()
    online_booking = fields.Boolean()
    wallet = fields.Boolean()
    direct_debit = fields.Boolean()


class PublicTenantOut(Schema):
    slug = fields.String()
    display_name = fields.String()
    contact_email = fields.String()
    contact_phone = fields.String()
    terms = fields.Nested(TermsOut)
    password_min_length = fields.Integer()
    features = fields.Nested(TenantFeaturesOut)


class TenantSettingsOut(PublicTenantOut):
    pass


class TenantSettingsIn(_In):
    display_name = fields.String(validate=_NAME)
    contact_email = fields.Email()
    contact_phone = fields.String(validate=validate.Length(0, 40))
    password_min_length = fields.Integer(validate=validate.Range(8, 64))
    terms_version = fields.Integer(validate=validate.Range(1, None), allow_none=True)
    terms_url = fields.Url(allow_none=True, require_tld=False)
    terms_text = fields.String(allow_none=True, validate=validate.Length(0, 200_000))
    # What the town offers its families online (identity.TenantFeaturesChanged when changed).
    family_edits = fields.Boolean()
    online_booking = fields.Boolean()
    wallet = fields.Boolean()
    direct_debit = fields.Boolean()


# --- captcha ----------------------------------------------------------------------------


class CaptchaChallengeOut(Schema):
    parameters = fields.Dict()
    signature = fields.String()


# --- sign-up and links ------------------------------------------------------------------


class SignupIn(_In):
    display_name = fields.String(required=True, validate=_NAME)
    email = _lower_email()
    password = _PASSWORD
    captcha = fields.String(required=True, validate=validate.Length(1, 8192))


class AcceptedOut(Schema):
    """The same answer whatever the account: nothing is revealed."""

    detail = fields.String()


class LinkIn(_In):
    token = _LINK_TOKEN


class EmailIn(_In):
    email = _lower_email()


class ForgotPasswordIn(_In):
    """What the family types to log in: its email or its identifier (`email` kept for the
    callers that send an address)."""

    login = fields.String(
        validate=validate.Length(1, 254),
        metadata={"description": "an email, or the login identifier (the part before the @)"},
    )
    email = _lower_email(required=False)

    @validates_schema
    def _one_of(self, data: dict[str, object], **_: object) -> None:
        if ("login" in data) == ("email" in data):
            raise ValidationError(
                "Saisissez votre adresse e-mail ou votre identifiant.", field_name="login"
            )


class ActivatedOut(Schema):
    account_id = fields.UUID()
    email = fields.String()
    status = fields.String()


# --- login and tokens -------------------------------------------------------------------


class LoginIn(_In):
    login = fields.String(required=True, validate=validate.Length(1, 254))
    password = _PASSWORD


class TermsStatusOut(Schema):
    accepted_version = fields.Integer(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    current_version = fields.Integer(allow_none=True)
    url = fields.String(allow_none=True)
    must_accept = fields.Boolean()


class TokensOut(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    refresh_token = fields.String(
        allow_none=True, metadata={"description": "absent for a password-change-only token"}
    )
    refresh_expires_in = fields.Integer(allow_none=True)
    terms = fields.Nested(TermsStatusOut)
    password_change_required = fields.Boolean()


class RefreshIn(_In):
    refresh_token = fields.String(required=True, validate=validate.Length(1, 200))


# --- passwords --------------------------------------------------------------------------


class ChangePasswordIn(_In):
    current_password = _PASSWORD
    new_password = _PASSWORD


class ResetPasswordIn(_In):
    token = _LINK_TOKEN
    new_password = _PASSWORD


class InvitationAcceptIn(_In):
    token = _LINK_TOKEN
    password = _PASSWORD


class DoneOut(Schema):
    detail = fields.String()


# --- email ------------------------------------------------------------------------------


class ChangeEmailIn(_In):
    new_email = _lower_email()
    password = _PASSWORD


# --- profile and terms ------------------------------------------------------------------


class ProfileOut(Schema):
    account_id = fields.UUID()
    tenant = fields.String()
    email = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    sites = fields.List(fields.String())
    household_id = fields.UUID(allow_none=True)
    password_change_required = fields.Boolean()
    terms = fields.Nested(TermsStatusOut)


class AcceptTermsIn(_In):
    version = fields.Integer(required=True, validate=validate.Range(1, None))


class CurrentHouseholdIn(_In):
    household_id = fields.UUID(required=True, metadata={"description": "one of my households"})


# --- accounts (staff) -------------------------------------------------------------------


def _roles_valid(roles: list[str]) -> None:
    if not roles:
        raise ValidationError("Au moins un rôle est attendu.")
    if len(set(roles)) != len(roles):
        raise ValidationError("Un rôle est répété.")


class CreateAccountIn(_In):
    display_name = fields.String(required=True, validate=_NAME)
    email = _lower_email()
    roles = fields.List(
        fields.String(validate=validate.OneOf(ROLES)), required=True, validate=_roles_valid
    )
    mode = fields.String(
        required=True, validate=validate.OneOf(["invitation", "temporary_password"])
    )
    sites = fields.List(
        fields.String(validate=validate.Length(1, 200)),
        load_default=list,
        validate=validate.Length(0, 50),
        metadata={"description": "required (one at least) for an animator, else empty"},
    )


class UpdateAccountIn(_In):
    """What an admin may change of an account; the fields left out stay as they are."""

    display_name = fields.String(validate=_NAME)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), validate=_roles_valid)
    sites = fields.List(
        fields.String(validate=validate.Length(1, 200)), validate=validate.Length(0, 50)
    )


class AccountOut(Schema):
    id = fields.UUID()
    email = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    sites = fields.List(fields.String())
    status = fields.String()
    household_id = fields.UUID(allow_none=True)
    must_change_password = fields.Boolean()
    terms_accepted_version = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class CreatedAccountOut(Schema):
    account = fields.Nested(AccountOut)
    mode = fields.String()
    temporary_password = fields.String(
        allow_none=True, metadata={"description": "shown once, never stored in clear"}
    )
    invitation_expires_at = fields.DateTime(allow_none=True)


class TemporaryPasswordOut(Schema):
    account = fields.Nested(AccountOut)
    temporary_password = fields.String(
        metadata={"description": "shown once, never stored in clear"}
    )


class Page(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 1_000_000))


class AccountsQuery(Page):
    role = fields.String(validate=validate.OneOf(ROLES))
    email = fields.String(validate=validate.Length(1, 254))
    q = fields.String(
        validate=validate.Length(1, 254),
        metadata={"description": "part of the email or of the name, any case"},
    )
    status = fields.String(validate=validate.OneOf(["pending", "invited", "active", "disabled"]))


class AccountsOut(Schema):
    items = fields.List(fields.Nested(AccountOut))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class AuditQuery(Page):
    action = fields.String(validate=validate.Length(1, 64))
    account_id = fields.UUID(metadata={"description": "entries about this account or done by it"})
    email = fields.String(
        validate=validate.Length(1, 254),
        metadata={"description": "entries about or by the account with this email (or login)"},
    )


class AuditEntryOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    action = fields.String()
    account_id = fields.UUID(allow_none=True)
    actor_id = fields.UUID(allow_none=True)
    login = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    details = fields.Dict()
    account_email = fields.String(allow_none=True)
    actor_email = fields.String(allow_none=True)


class AuditOut(Schema):
    items = fields.List(fields.Nested(AuditEntryOut))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class JwksOut(Schema):
    keys = fields.List(fields.Dict())

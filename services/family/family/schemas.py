"""Request and response bodies of the family API (marshmallow; they also feed OpenAPI)."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from family.domain import catalog, situation
from family.domain.codes import display
from family.domain.quotient import SOURCES
from shared.events.contract import DIETS
from shared.http.requests import RequestSchema

_NAME = validate.Length(1, 100)
_TEXT = validate.Length(0, 200)
PHONE = validate.Regexp(
    r"^\+?[0-9][0-9 .()-]{5,19}$", error="Numéro de téléphone invalide (ex. 06 12 34 56 78)."
)
POSTAL_CODE = validate.Regexp(r"^[0-9]{5}$", error="Code postal invalide (5 chiffres).")


def _not_future(value: date) -> None:
    if value > date.today():
        raise ValidationError("La date ne peut pas être dans le futur.")
    if value.year < 1900:
        raise ValidationError("Date invalide.")


_In = RequestSchema  # request bodies: unknown fields refused, strings trimmed


# --- household file ---------------------------------------------------------------------


class AddressIn(_In):
    line1 = fields.String(required=True, validate=validate.Length(1, 200))
    line2 = fields.String(validate=_TEXT, load_default="")
    postal_code = fields.String(required=True, validate=POSTAL_CODE)
    city = fields.String(required=True, validate=validate.Length(1, 100))


class FiscalIn(_In):
    reference_income = fields.Integer(
        required=True, allow_none=True, validate=validate.Range(0, 10_000_000)
    )
    shares = fields.Float(required=True, allow_none=True, validate=validate.Range(0.5, 20))


def _phones() -> fields.List:
    return fields.List(fields.String(validate=PHONE), validate=validate.Length(0, 5))


class GuardianIn(_In):
    first_name = fields.String(required=True, validate=_NAME)
    last_name = fields.String(required=True, validate=_NAME)
    birth_date = fields.Date(allow_none=True, validate=_not_future)
    relationship = fields.String(
        allow_none=True, validate=validate.OneOf(["mother", "father", "guardian", "other"])
    )
    email = fields.Email(allow_none=True)
    phones = _phones()
    address = fields.Nested(AddressIn, allow_none=True)
    employer = fields.String(allow_none=True, validate=_TEXT)
    fiscal = fields.Nested(FiscalIn, allow_none=True)


class ChildIn(_In):
    first_name = fields.String(required=True, validate=_NAME)
    last_name = fields.String(required=True, validate=_NAME)
    birth_date = fields.Date(required=True, validate=_not_future)
    sex = fields.String(allow_none=True, validate=validate.OneOf(["F", "M"]))
    school = fields.String(allow_none=True, validate=_TEXT)
    grade = fields.String(allow_none=True, validate=validate.Length(0, 40))
    diet = fields.String(validate=validate.OneOf(DIETS))
    image_rights = fields.Boolean(
        metadata={"description": "the permission image_rights (kept for compatibility)"}
    )
    permissions = fields.Dict(
        keys=fields.String(validate=validate.Regexp(catalog.CODE)),
        values=fields.Boolean(),
        metadata={"description": "permission code → given (yes/no), among the town's active"},
    )


class ContactIn(_In):
    first_name = fields.String(required=True, validate=_NAME)
    last_name = fields.String(required=True, validate=_NAME)
    phone = fields.String(required=True, validate=PHONE)
    relationship = fields.String(required=True, validate=validate.Length(1, 60))
    can_pick_up = fields.Boolean(load_default=False)
    emergency = fields.Boolean(load_default=False)


class HouseholdPatchIn(_In):
    address = fields.Nested(AddressIn)
    phones = _phones()
    marital_status = fields.String(
        allow_none=True, validate=validate.OneOf(list(situation.MARITAL_STATUSES))
    )
    custody = fields.String(allow_none=True, validate=validate.OneOf(list(situation.CUSTODY)))
    custody_detail = fields.String(allow_none=True, validate=_TEXT)
    billed_guardian_id = fields.UUID(
        allow_none=True, metadata={"description": "one of the household's guardians"}
    )
    proof_document_id = fields.UUID(
        metadata={
            "description": "family: a document of the household, uploaded before, proving "
            "the change (required for the fields the town lists, at least the address)"
        }
    )

    @validates_schema
    def custody_detail_given(self, data: dict[str, Any], **_: Any) -> None:
        errors = situation.check_situation(data.get("custody"), data.get("custody_detail"))
        if errors:
            raise ValidationError(errors)


class NewHouseholdIn(_In):
    address = fields.Nested(AddressIn, required=True)
    phones = _phones()
    guardians = fields.List(
        fields.Nested(GuardianIn), required=True, validate=validate.Length(1, 6)
    )
    children = fields.List(fields.Nested(ChildIn), load_default=list)


# --- health record ----------------------------------------------------------------------


class VaccinationIn(_In):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    date = fields.Date(required=True, validate=_not_future)


class DoctorIn(_In):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    phone = fields.String(allow_none=True, validate=PHONE)


class HealthIn(_In):
    allergies = fields.List(fields.String(validate=_TEXT), load_default=list)
    pai = fields.Boolean(load_default=False, metadata={"description": "care plan (PAI)"})
    pai_details = fields.String(load_default="", validate=validate.Length(0, 2000))
    vaccinations = fields.List(fields.Nested(VaccinationIn), load_default=list)
    doctor = fields.Nested(DoctorIn, allow_none=True, load_default=None)
    treatments = fields.String(load_default="", validate=validate.Length(0, 2000))
    remarks = fields.String(load_default="", validate=validate.Length(0, 2000))
    certified = fields.Boolean(
        load_default=False,
        metadata={"description": "« Je certifie que les informations sont correctes »"},
    )


class FamilyHealthIn(HealthIn):
    @validates_schema
    def must_certify(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("certified"):
            raise ValidationError(
                "Merci de certifier que les informations de santé sont correctes.", "certified"
            )


class HealthOut(Schema):
    child_id = fields.UUID()
    allergies = fields.List(fields.String())
    pai = fields.Boolean()
    pai_details = fields.String()
    vaccinations = fields.List(fields.Dict())
    doctor = fields.Dict(allow_none=True)
    treatments = fields.String()
    remarks = fields.String()
    certified = fields.Boolean()
    certified_at = fields.String(allow_none=True)
    certified_by = fields.String(allow_none=True)
    updated_at = fields.AwareDateTime()


class CareNeedsOut(Schema):
    """What those in charge of a child on a day must know (the attendance sheet's part of
    the health record)."""

    child_id = fields.UUID()
    allergies = fields.List(fields.String())
    pai = fields.Boolean(metadata={"description": "a personalised care plan (PAI)"})
    pai_details = fields.String()


class AccessEntryOut(Schema):
    child_id = fields.UUID(allow_none=True)
    member_kind = fields.String(
        allow_none=True, metadata={"description": "child or guardian (null: the household)"}
    )
    member_id = fields.UUID(allow_none=True)
    document_id = fields.UUID(
        allow_none=True, metadata={"description": "the health document downloaded, if any"}
    )
    account_id = fields.UUID()
    roles = fields.List(fields.String())
    purpose = fields.String()
    accessed_at = fields.AwareDateTime()


class PhotoOut(Schema):
    child_id = fields.UUID()
    content_type = fields.String(metadata={"description": "image/jpeg or image/png"})
    size = fields.Integer()
    sha256 = fields.String()
    updated_at = fields.AwareDateTime()


class AccessLogOut(Schema):
    items = fields.List(fields.Nested(AccessEntryOut))


# --- family quotient --------------------------------------------------------------------


class QuotientIn(_In):
    value = fields.Integer(required=True, validate=validate.Range(0, 100_000))
    source = fields.String(load_default="staff", validate=validate.OneOf(SOURCES))
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(allow_none=True, load_default=None)

    @validates_schema
    def dates(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            raise ValidationError(
                "La fin de validité doit être postérieure au début.", "valid_until"
            )


class DeclaredQuotientIn(QuotientIn):
    source = fields.String(
        load_default="declared", validate=validate.OneOf(["declared", "caf", "msa"])
    )


class QuotientOut(Schema):
    id = fields.UUID()
    value = fields.Integer()
    source = fields.String()
    valid_from = fields.Date()
    valid_until = fields.Date(allow_none=True)
    recorded_by = fields.UUID()
    recorded_at = fields.AwareDateTime()


class QuotientsOut(Schema):
    current = fields.Nested(QuotientOut, allow_none=True)
    history = fields.List(fields.Nested(QuotientOut))


# --- outputs of the file ----------------------------------------------------------------


class AddressOut(Schema):
    line1 = fields.String()
    line2 = fields.String()
    postal_code = fields.String()
    city = fields.String()


class GuardianOut(Schema):
    id = fields.UUID()
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date(allow_none=True)
    relationship = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phones = fields.List(fields.String())
    address = fields.Nested(AddressOut, allow_none=True)
    employer = fields.String(allow_none=True)
    fiscal = fields.Dict(allow_none=True)
    updated_at = fields.AwareDateTime()


class ContactOut(Schema):
    id = fields.UUID()
    child_id = fields.UUID()
    first_name = fields.String()
    last_name = fields.String()
    phone = fields.String()
    relationship = fields.String()
    can_pick_up = fields.Boolean()
    can_pick_up_given_at = fields.AwareDateTime(
        allow_none=True,
        metadata={
            "description": "when can_pick_up took its value (given or withdrawn); null: "
            "date unknown (a contact entered before it was recorded)"
        },
    )
    can_pick_up_given_by = fields.UUID(
        allow_none=True,
        metadata={
            "description": "the account that gave it (the family whose change staff "
            "approved, or the staff member who entered it)"
        },
    )
    emergency = fields.Boolean()
    emergency_given_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "when emergency took its value; null: date unknown"},
    )
    emergency_given_by = fields.UUID(allow_none=True)


class ChildPermissionOut(Schema):
    code = fields.String()
    label = fields.String()
    granted = fields.Boolean(allow_none=True, metadata={"description": "null: not answered"})
    given_at = fields.AwareDateTime(allow_none=True)
    given_by = fields.UUID(allow_none=True)


class ChildOut(Schema):
    id = fields.UUID()
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date()
    sex = fields.String(allow_none=True)
    school = fields.String(allow_none=True)
    grade = fields.String(allow_none=True)
    diet = fields.String()
    image_rights = fields.Boolean()
    has_health_record = fields.Boolean()
    has_photo = fields.Boolean()
    permissions = fields.List(
        fields.Nested(ChildPermissionOut),
        metadata={"description": "the town's active permissions, each with its answer"},
    )
    contacts = fields.List(fields.Nested(ContactOut))
    updated_at = fields.AwareDateTime()


class HouseholdSummaryOut(Schema):
    id = fields.UUID()
    subscriber_code = fields.Function(lambda h: display(h["subscriber_code"]))
    address = fields.Nested(AddressOut)
    guardians = fields.List(fields.String(), metadata={"description": "guardian names"})
    children = fields.List(fields.String(), metadata={"description": "child names"})
    created_at = fields.AwareDateTime()


class LinkedAccountOut(Schema):
    account_id = fields.UUID()
    linked_by = fields.String()
    linked_at = fields.AwareDateTime()


class HouseholdOut(Schema):
    id = fields.UUID()
    subscriber_code = fields.Function(lambda h: display(h["subscriber_code"]))
    address = fields.Nested(AddressOut)
    phones = fields.List(fields.String())
    marital_status = fields.String(allow_none=True)
    custody = fields.String(allow_none=True)
    custody_detail = fields.String(allow_none=True)
    billed_guardian_id = fields.UUID(allow_none=True)
    guardians = fields.List(fields.Nested(GuardianOut))
    children = fields.List(fields.Nested(ChildOut))
    quotient = fields.Nested(QuotientOut, allow_none=True)
    accounts = fields.List(fields.Nested(LinkedAccountOut))
    pending_changes = fields.Integer(metadata={"description": "changes waiting for staff"})
    created_id = fields.UUID(
        metadata={"description": "after a creation by staff: the id of the new row"}
    )
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class SearchQuery(PageQuery):
    q = fields.String(load_default="", validate=validate.Length(0, 100))
    linked = fields.Boolean(
        load_default=None,
        metadata={
            "description": "false: only households no account is linked to; true: only those"
            " with one (anonymised households left out); absent: all"
        },
    )


class HouseholdPageOut(Schema):
    items = fields.List(fields.Nested(HouseholdSummaryOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


# --- linking ----------------------------------------------------------------------------


class LinkIn(_In):
    code = fields.String(required=True, validate=validate.Length(1, 40))


class LinkedOut(Schema):
    household_id = fields.UUID()
    detail = fields.String()


class AccountHouseholdOut(Schema):
    """One of the account's subscriptions ("Mes abonnements")."""

    id = fields.UUID()
    label = fields.String(metadata={"example": "Foyer Martin – Durand"})
    children = fields.List(fields.String(), metadata={"description": "first names"})
    linked_at = fields.DateTime()
    current = fields.Boolean(metadata={"description": "the household the token names"})


class AccountHouseholdsOut(Schema):
    items = fields.List(fields.Nested(AccountHouseholdOut))


# --- pending changes --------------------------------------------------------------------


class ChangesQuery(PageQuery):
    status = fields.String(
        load_default="pending", validate=validate.OneOf(["pending", "approved", "rejected", "all"])
    )
    household_id = fields.UUID(load_default=None)


class RejectIn(_In):
    reason = fields.String(required=True, validate=validate.Length(1, 1000))


class ChangeOut(Schema):
    id = fields.UUID()
    household_id = fields.UUID(
        allow_none=True, metadata={"description": "null: a new household not yet approved"}
    )
    entity = fields.String()
    operation = fields.String()
    entity_id = fields.UUID(allow_none=True)
    parent_id = fields.UUID(allow_none=True)
    summary = fields.String()
    before = fields.Raw(allow_none=True)
    proposed = fields.Raw(allow_none=True)
    sensitive = fields.Boolean(
        metadata={"description": "a health change: content only on the change itself"}
    )
    status = fields.String()
    submitted_by = fields.UUID()
    submitted_at = fields.AwareDateTime()
    decided_by = fields.UUID(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    result_id = fields.UUID(allow_none=True)
    proof_document_id = fields.UUID(
        allow_none=True, metadata={"description": "the document proving the change"}
    )


class ChangePageOut(Schema):
    items = fields.List(fields.Nested(ChangeOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class ExportOut(Schema):
    household = fields.Dict()
    health_records = fields.List(fields.Dict())
    quotients = fields.List(fields.Dict())
    changes = fields.List(fields.Dict())
    health_access_log = fields.List(fields.Dict())
    documents = fields.List(fields.Dict(), metadata={"description": "metadata; files apart"})
    requests = fields.List(fields.Dict(), metadata={"description": "with their messages"})
    deletion_requests = fields.List(fields.Dict())
    exported_at = fields.AwareDateTime()


# --- per-tenant lists -------------------------------------------------------------------


class CatalogLabelIn(_In):
    label = fields.String(required=True, validate=validate.Length(1, 100))


class CatalogEntryIn(_In):
    label = fields.String(required=True, validate=validate.Length(1, 100))
    code = fields.String(
        validate=validate.Regexp(
            catalog.CODE,
            error="Code invalide : lettres minuscules sans accent, chiffres et _ (40 au plus).",
        ),
        metadata={"description": "default: derived from the label"},
    )


class CatalogEntryOut(Schema):
    code = fields.String()
    label = fields.String()


class CatalogOut(Schema):
    items = fields.List(fields.Nested(CatalogEntryOut))


_CODE_FIELD = fields.String(
    validate=validate.Regexp(
        catalog.CODE,
        error="Code invalide : lettres minuscules sans accent, chiffres et _ (40 au plus).",
    ),
    metadata={"description": "default: derived from the label"},
)


class PermissionTypeIn(_In):
    label = fields.String(required=True, validate=validate.Length(1, 100))
    code = _CODE_FIELD
    position = fields.Integer(validate=validate.Range(0, 10_000))
    active = fields.Boolean(load_default=True)


class PermissionTypePatchIn(_In):
    label = fields.String(validate=validate.Length(1, 100))
    position = fields.Integer(validate=validate.Range(0, 10_000))
    active = fields.Boolean()


class PermissionTypeOut(Schema):
    code = fields.String()
    label = fields.String()
    position = fields.Integer()
    active = fields.Boolean()


class PermissionTypesOut(Schema):
    items = fields.List(fields.Nested(PermissionTypeOut))


class ProofSettingsIn(_In):
    proof_fields = fields.List(
        fields.String(validate=validate.OneOf(list(situation.PROOF_FIELDS))),
        required=True,
        validate=validate.Length(0, len(situation.PROOF_FIELDS)),
        metadata={"description": "household fields a family's change must carry a proof for"},
    )


class ProofSettingsOut(Schema):
    proof_fields = fields.List(fields.String())
    document_types = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "field → the document type of its proof"},
    )


# --- documents --------------------------------------------------------------------------


def _blank_to_none(data: object) -> object:
    """Form fields arrive as strings: an empty one means « not given »."""
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
    return data


class DocumentFormIn(_In):
    """The text parts of a document upload (multipart/form-data, with the file in `file`)."""

    document_type = fields.String(required=True, validate=validate.Length(1, 40))
    member_id = fields.UUID(
        load_default=None,
        metadata={"description": "the guardian or child the document is about (else household)"},
    )

    @pre_load
    def blanks(self, data: object, **_: object) -> object:
        return _blank_to_none(data)


class DocumentOut(Schema):
    id = fields.UUID()
    household_id = fields.UUID()
    member_kind = fields.String(allow_none=True, metadata={"description": "guardian or child"})
    member_id = fields.UUID(allow_none=True)
    document_type = fields.String()
    document_label = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    status = fields.String(metadata={"description": "pending, validated or rejected"})
    valid_until = fields.Date(allow_none=True)
    reason = fields.String(allow_none=True)
    uploaded_by = fields.UUID()
    uploaded_at = fields.AwareDateTime()
    decided_by = fields.UUID(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)


class DocumentPageOut(Schema):
    items = fields.List(fields.Nested(DocumentOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class MyDocumentsQuery(PageQuery):
    status = fields.String(
        load_default="all", validate=validate.OneOf(["pending", "validated", "rejected", "all"])
    )
    document_type = fields.String(load_default=None, validate=validate.Length(1, 40))


class DocumentsQuery(MyDocumentsQuery):
    status = fields.String(
        load_default="pending",
        validate=validate.OneOf(["pending", "validated", "rejected", "all"]),
    )
    household_id = fields.UUID(load_default=None)


class ValidateDocumentIn(_In):
    valid_until = fields.Date(
        load_default=None,
        metadata={"description": "default: 31 August ending the current school year"},
    )


# --- requests to the town ---------------------------------------------------------------


class RequestIn(_In):
    topic = fields.String(required=True, validate=validate.Length(1, 40))
    child_id = fields.UUID(load_default=None)
    subject = fields.String(load_default=None, validate=validate.Length(1, 200))
    message = fields.String(required=True, validate=validate.Length(1, 5000))

    @pre_load
    def blanks(self, data: object, **_: object) -> object:
        return _blank_to_none(data)


class MessageIn(_In):
    message = fields.String(required=True, validate=validate.Length(1, 5000))
    close = fields.Boolean(
        load_default=False, metadata={"description": "staff: answer and close the request"}
    )

    @pre_load
    def blanks(self, data: object, **_: object) -> object:
        if isinstance(data, dict) and data.get("close") in ("true", "1", "on"):
            data = {**data, "close": True}
        elif isinstance(data, dict) and data.get("close") in ("false", "0", ""):
            data = {**data, "close": False}
        return data


class AttachmentOut(Schema):
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()


class MessageOut(Schema):
    id = fields.UUID()
    side = fields.String(metadata={"description": "family or staff"})
    author_id = fields.UUID()
    body = fields.String()
    attachment = fields.Nested(AttachmentOut, allow_none=True)
    created_at = fields.AwareDateTime()


class RequestOut(Schema):
    id = fields.UUID()
    household_id = fields.UUID()
    topic = fields.String()
    topic_label = fields.String()
    child_id = fields.UUID(allow_none=True)
    subject = fields.String()
    status = fields.String(metadata={"description": "open, answered or closed"})
    created_by = fields.UUID()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    message_count = fields.Integer()
    messages = fields.List(fields.Nested(MessageOut))


class RequestPageOut(Schema):
    items = fields.List(fields.Nested(RequestOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class RequestsQuery(PageQuery):
    status = fields.String(
        load_default="all", validate=validate.OneOf(["open", "answered", "closed", "all"])
    )
    topic = fields.String(load_default=None, validate=validate.Length(1, 40))
    household_id = fields.UUID(load_default=None)


# --- linking by staff, import, deletion requests ----------------------------------------


class AccountLinkIn(_In):
    account_id = fields.UUID(required=True)


class ImportedOut(Schema):
    reference = fields.String(metadata={"description": "the household's reference in the file"})
    line = fields.Integer(metadata={"description": "its first line in the file"})
    household_id = fields.UUID(allow_none=True, metadata={"description": "null in a dry run"})
    subscriber_code = fields.String(allow_none=True, metadata={"description": "null in a dry run"})
    guardians = fields.List(fields.String())
    children = fields.List(fields.String())


class ImportQuery(_In):
    existing = fields.String(
        load_default="refuse",
        validate=validate.OneOf(["refuse", "skip"]),
        metadata={
            "description": "What to do with households already in the file (a child with the"
            " same names and birth date, or a guardian with the same email): `refuse` the"
            " whole import (409), or `skip` them and import the others."
        },
    )
    dry_run = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Check every line and answer the report (200) of what the import"
            " would do, writing nothing; households already in the file are listed in"
            " `skipped`, lines in error in `invalid`."
        },
    )
    skip_invalid = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Import the valid households and list in `invalid` the problems of"
            " the others, instead of refusing the whole import (422) when a line is in error."
            " Problems of the file itself (header, size) always refuse it."
        },
    )


class KnownPersonOut(Schema):
    line = fields.Integer()
    field = fields.String()
    detail = fields.String()
    household_id = fields.UUID()
    subscriber_code = fields.String()


class SkippedOut(Schema):
    reference = fields.String()
    line = fields.Integer()
    found = fields.List(fields.Nested(KnownPersonOut))


class ImportProblemOut(Schema):
    line = fields.Integer()
    field = fields.String(metadata={"description": "the CSV column, `_line` or `_file`"})
    detail = fields.String(metadata={"description": "French message"})


class ImportLineOut(Schema):
    line = fields.Integer()
    reference = fields.String()
    status = fields.String(
        metadata={
            "description": "`valid` (its household is imported), `invalid` (a problem on this"
            " line or another line of its household), `existing` (its household is already in"
            " the town's file)"
        }
    )
    child = fields.String(allow_none=True, metadata={"description": "the child of this line"})
    guardians = fields.List(fields.String())
    household_id = fields.UUID(allow_none=True, metadata={"description": "once created"})
    errors = fields.List(fields.Nested(ImportProblemOut))
    found = fields.List(fields.Nested(KnownPersonOut))


class ImportOut(Schema):
    dry_run = fields.Boolean()
    created = fields.List(
        fields.Nested(ImportedOut),
        metadata={"description": "households created (in a dry run: that would be created)"},
    )
    households = fields.Integer()
    children = fields.Integer()
    skipped = fields.List(fields.Nested(SkippedOut))
    invalid = fields.List(
        fields.Nested(ImportProblemOut),
        metadata={"description": "problems of the lines left out (dry run, skip_invalid)"},
    )
    lines = fields.List(fields.Nested(ImportLineOut), metadata={"description": "every line"})


class DeletionRequestIn(_In):
    message = fields.String(load_default="", validate=validate.Length(0, 2000))


class DeletionRequestOut(Schema):
    id = fields.UUID()
    household_id = fields.UUID()
    requested_by = fields.UUID()
    requested_at = fields.AwareDateTime()
    message = fields.String()
    status = fields.String(metadata={"description": "pending, anonymised or rejected"})
    handled_by = fields.UUID(allow_none=True)
    handled_at = fields.AwareDateTime(allow_none=True)
    reason = fields.String(allow_none=True)


class DeletionPageOut(Schema):
    items = fields.List(fields.Nested(DeletionRequestOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class DeletionQuery(PageQuery):
    status = fields.String(
        load_default="pending",
        validate=validate.OneOf(["pending", "anonymised", "rejected", "all"]),
    )


# --- subscriber codes ----------------------------------------------------------------------


class LetterheadQuery(Schema):
    town = fields.String(
        validate=validate.Length(1, 120),
        metadata={"description": "the town's name as printed (default: the service's setting)"},
    )
    portal_url = fields.Url(
        require_tld=False,
        validate=validate.Length(1, 300),
        metadata={"description": "the families' portal as printed (default: the setting)"},
    )


class SubscriberLettersIn(_In, LetterheadQuery):
    household_ids = fields.List(
        fields.UUID(),
        required=True,
        validate=validate.Length(1, 500),  # letters.MAX_BATCH
        metadata={"description": "the households, a page each (at most 500)"},
    )


class SubscriberCodeOut(Schema):
    household_id = fields.UUID()
    subscriber_code = fields.Function(
        lambda h: display(h["subscriber_code"]), metadata={"description": "as printed"}
    )


# --- onboarding runs ----------------------------------------------------------------------

ONBOARDING_REASONS = (
    "no_email",
    "bad_email",
    "duplicate_email",
    "already_invited",
    "email_taken",
    "household_anonymised",
)


class OnboardingRunIn(_In):
    household_ids = fields.List(
        fields.UUID(),
        validate=validate.Length(1, 10_000),
        metadata={"description": "the households whose guardians are invited (e.g. an import's)"},
    )
    all = fields.Boolean(
        load_default=False,
        metadata={
            "description": "true: every household without a linked account whose guardians "
            "were not invited yet (instead of `household_ids`)"
        },
    )

    @validates_schema
    def _one_scope(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("household_ids")) == bool(data.get("all")):
            raise ValidationError(
                "Choisissez les foyers à inviter, ou tous les foyers pas encore invités.",
                "household_ids",
            )


class OnboardingGuardianOut(Schema):
    household_id = fields.UUID()
    guardian_id = fields.UUID()
    name = fields.String()
    email = fields.String(allow_none=True)
    state = fields.String(
        metadata={"enum": ["pending", "invited", "skipped"]},
    )
    reason = fields.String(allow_none=True, metadata={"enum": list(ONBOARDING_REASONS)})
    reason_label = fields.String(allow_none=True, metadata={"description": "in French"})
    account_id = fields.UUID(allow_none=True)
    queued = fields.Boolean(metadata={"description": "waits its turn to be asked for"})
    requested_at = fields.AwareDateTime(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)


class OnboardingRunSummaryOut(Schema):
    id = fields.UUID()
    created_by = fields.UUID()
    created_at = fields.AwareDateTime()
    total = fields.Integer()
    pending = fields.Integer(metadata={"description": "identity has not answered yet"})
    queued = fields.Integer(
        metadata={"description": "of the pending, those waiting for their turn to be asked"}
    )
    invited = fields.Integer(metadata={"description": "account created, linked, email queued"})
    skipped = fields.Integer(metadata={"description": "not invited (see `reason`)"})
    done = fields.Boolean()


class OnboardingRunOut(OnboardingRunSummaryOut):
    skipped_by_reason = fields.Dict(keys=fields.String(), values=fields.Integer())
    guardians = fields.List(fields.Nested(OnboardingGuardianOut))


class OnboardingRunsOut(Schema):
    items = fields.List(fields.Nested(OnboardingRunSummaryOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()

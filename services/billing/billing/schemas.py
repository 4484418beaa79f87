"""Request and response bodies of the billing API (marshmallow; they also feed OpenAPI).
Money is always integer cents (`*_cents`); quantities are exact decimals as strings."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from billing.domain.pricing import UNITS
from billing.domain.refunds import METHODS as REFUND_METHODS
from billing.domain.rules import BILLING_MODES, POSTPAID_SOURCES
from billing.domain.split import KINDS as SPLIT_KINDS
from shared.http.requests import RequestSchema

_In = RequestSchema  # request bodies: unknown fields refused, strings trimmed
_NAME = validate.Length(1, 200)
_CENTS = validate.Range(0, 100_000_000)
_Quantity = fields.Decimal(as_string=True, places=2)


# --- régies ------------------------------------------------------------------------------


class RegieIn(_In):
    code = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Z0-9]{1,12}$", error="Code en majuscules et chiffres (12 au plus)."
        ),
        metadata={"description": "in document numbers: F-<code>-2026-000001"},
    )
    name = fields.String(required=True, validate=_NAME)
    address = fields.String(required=True, validate=validate.Length(1, 500))
    email = fields.Email(required=True)
    legal_mentions = fields.String(load_default="", validate=validate.Length(0, 4000))
    payment_delay_days = fields.Integer(
        load_default=15,
        validate=validate.Range(0, 365),
        metadata={"description": "a campaign's invoices are due this many days after issue"},
    )


class RegieOut(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
    address = fields.String()
    email = fields.String()
    legal_mentions = fields.String()
    payment_delay_days = fields.Integer()
    has_logo = fields.Boolean(metadata={"description": "a logo is printed on its documents"})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class RegieListOut(Schema):
    regies = fields.List(fields.Nested(RegieOut))


# --- activities and price grids ----------------------------------------------------------


class ActivityBillingIn(_In):
    regie_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=_NAME, metadata={"description": "on lines"})
    billing_mode = fields.String(required=True, validate=validate.OneOf(BILLING_MODES))
    postpaid_source = fields.String(
        load_default="bookings",
        validate=validate.OneOf(POSTPAID_SOURCES),
        metadata={"description": "postpaid: bill the booked days, or the attendance"},
    )
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    units_per_booking = fields.Decimal(
        load_default=1,
        places=2,
        as_string=True,
        validate=validate.Range(0.01, 24),
        metadata={"description": "units a booked day counts (e.g. 2.5 hours)"},
    )
    bill_present = fields.Boolean(load_default=True)
    bill_absent = fields.Boolean(load_default=True, metadata={"description": "unjustified"})
    bill_absent_justified = fields.Boolean(load_default=False)
    bill_unexpected = fields.Boolean(
        load_default=True, metadata={"description": "present although not booked"}
    )
    accounting_code = fields.String(
        load_default="",
        validate=validate.Length(0, 40),
        metadata={"description": "revenue account in the finance software (e.g. 7067-251)"},
    )
    childcare = fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "childcare on the tax credit certificate (default: yes, except meals)"
        },
    )


class ActivityBillingOut(Schema):
    activity_id = fields.UUID()
    regie_id = fields.UUID()
    name = fields.String()
    billing_mode = fields.String()
    postpaid_source = fields.String()
    unit = fields.String()
    units_per_booking = _Quantity
    bill_present = fields.Boolean()
    bill_absent = fields.Boolean()
    bill_absent_justified = fields.Boolean()
    bill_unexpected = fields.Boolean()
    accounting_code = fields.String()
    childcare = fields.Boolean()
    updated_at = fields.AwareDateTime()


class ActivityBillingListOut(Schema):
    activities = fields.List(fields.Nested(ActivityBillingOut))


class ActivitiesQuery(Schema):
    regie_id = fields.UUID()


class BracketIn(_In):
    qf_min = fields.Integer(required=True, validate=validate.Range(0, 1_000_000))
    qf_max = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(0, 1_000_000)
    )
    amounts = fields.List(
        fields.Integer(validate=_CENTS),
        required=True,
        validate=validate.Length(1, 10),
        metadata={"description": "unit price in cents by child rank (eldest first)"},
    )


class EffortIn(_In):
    rate = fields.Decimal(
        required=True,
        places=4,
        as_string=True,
        validate=validate.Range(0, 100, min_inclusive=False),
        metadata={"description": "percent of the QF per unit (QF 823 × 0.5 % = 4,12 €)"},
    )
    min_cents = fields.Integer(required=True, validate=_CENTS)
    max_cents = fields.Integer(required=True, validate=_CENTS)


class SurchargeIn(_In):
    kind = fields.String(required=True, validate=validate.OneOf(["percent", "amount"]))
    value = fields.Decimal(
        required=True,
        places=2,
        as_string=True,
        validate=validate.Range(0, 1_000_000),
        metadata={"description": "a percentage, or an amount in cents"},
    )


class PriceGridIn(_In):
    label = fields.String(load_default="", validate=validate.Length(0, 200))
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(load_default=None, allow_none=True)
    brackets = fields.List(fields.Nested(BracketIn), load_default=None, allow_none=True)
    effort = fields.Nested(EffortIn, load_default=None, allow_none=True)
    late_surcharge = fields.Nested(SurchargeIn, load_default=None, allow_none=True)
    non_resident_cents = fields.Integer(load_default=None, allow_none=True, validate=_CENTS)

    @validates_schema
    def one_kind(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("brackets")) == bool(data.get("effort")):
            raise ValidationError(
                "Indiquez soit des tranches de QF, soit un taux d'effort.", "brackets"
            )


class BracketOut(Schema):
    qf_min = fields.Integer()
    qf_max = fields.Integer(allow_none=True)
    amounts = fields.List(fields.Integer())


class EffortOut(Schema):
    rate = fields.Decimal(as_string=True)
    min_cents = fields.Integer()
    max_cents = fields.Integer()


class SurchargeOut(Schema):
    kind = fields.String()
    value = fields.Decimal(as_string=True)


class PriceGridOut(Schema):
    id = fields.UUID()
    activity_id = fields.UUID()
    label = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    brackets = fields.List(fields.Nested(BracketOut), allow_none=True)
    effort = fields.Nested(EffortOut, allow_none=True)
    late_surcharge = fields.Nested(SurchargeOut, allow_none=True)
    non_resident_cents = fields.Integer(allow_none=True)


class PriceGridListOut(Schema):
    grids = fields.List(fields.Nested(PriceGridOut))


# --- households --------------------------------------------------------------------------


class BillingProfileIn(_In):
    resident = fields.Boolean(load_default=True, metadata={"description": "lives in the town"})
    payer_name = fields.String(load_default=None, allow_none=True, validate=_NAME)
    payer_address = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, 500)
    )
    payer_email = fields.Email(load_default=None, allow_none=True)


class BillingProfileOut(Schema):
    household_id = fields.UUID()
    guardian_names = fields.List(fields.String())
    resident = fields.Boolean()
    payer_name = fields.String(allow_none=True)
    payer_address = fields.String(allow_none=True)
    payer_email = fields.String(allow_none=True)


# --- payers and billing rules (split billing) --------------------------------------------


class PayerIn(_In):
    name = fields.String(required=True, validate=_NAME, metadata={"description": "as printed"})
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 500))
    email = fields.Email(load_default=None, allow_none=True)
    account_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "the family account (linked to the household) that sees and pays "
            "this payer's documents"
        },
    )


class PayerOut(Schema):
    id = fields.UUID(metadata={"description": "the household's id for the household itself"})
    household_id = fields.UUID()
    kind = fields.String(
        metadata={"description": "household (its billing contact), or guardian (a named payer)"}
    )
    name = fields.String()
    address = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    account_id = fields.UUID(allow_none=True)


class PayerListOut(Schema):
    payers = fields.List(fields.Nested(PayerOut))


class BillingRuleIn(_In):
    child_id = fields.UUID(required=True)
    effective_from = fields.Date(
        required=True, metadata={"description": "applies to the days booked from this date"}
    )
    kind = fields.String(required=True, validate=validate.OneOf(SPLIT_KINDS))
    payer_a = fields.UUID(required=True, metadata={"description": "a payer of the household"})
    payer_b = fields.UUID(load_default=None, allow_none=True)
    reference_week = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "alternate_weeks: a day of one of payer A's weeks"},
    )
    weekdays = fields.List(
        fields.Integer(validate=validate.Range(1, 7)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, 6),
        metadata={"description": "weekdays: payer A's days, 1 = Monday … 7 = Sunday"},
    )
    percent_a = fields.Decimal(
        load_default=None,
        allow_none=True,
        places=2,
        as_string=True,
        validate=validate.Range(0, 100, min_inclusive=False, max_inclusive=False),
        metadata={"description": "percentage: payer A's share of each day"},
    )


class BillingRuleOut(Schema):
    id = fields.UUID()
    household_id = fields.UUID()
    child_id = fields.UUID()
    effective_from = fields.Date()
    kind = fields.String()
    payer_a = fields.UUID()
    payer_a_name = fields.String(allow_none=True)
    payer_b = fields.UUID(allow_none=True)
    payer_b_name = fields.String(allow_none=True)
    reference_week = fields.Date(allow_none=True, metadata={"description": "its Monday"})
    weekdays = fields.List(fields.Integer(), allow_none=True)
    percent_a = fields.Decimal(as_string=True, allow_none=True)
    created_at = fields.AwareDateTime()


class BillingRuleListOut(Schema):
    rules = fields.List(fields.Nested(BillingRuleOut))


# --- quotes and price list ---------------------------------------------------------------


class QuoteLineIn(_In):
    child_id = fields.UUID(required=True)
    activity_id = fields.UUID(required=True)
    dates = fields.List(fields.Date(), required=True, validate=validate.Length(1, 400))
    late = fields.Boolean(load_default=False, metadata={"description": "booked past deadline"})


class QuoteIn(_In):
    household_id = fields.UUID(
        load_default=None, metadata={"description": "staff: the household to price for"}
    )
    lines = fields.List(fields.Nested(QuoteLineIn), required=True, validate=validate.Length(1, 50))


class QuotedLineOut(Schema):
    label = fields.String()
    child_id = fields.UUID()
    activity_id = fields.UUID()
    unit = fields.String()
    unit_cents = fields.Integer()
    quantity = _Quantity
    amount_cents = fields.Integer()
    detail = fields.String(metadata={"description": "the QF bracket used"})
    late = fields.Boolean()
    dates = fields.List(fields.Date())


class QuoteErrorOut(Schema):
    code = fields.String()
    child_id = fields.UUID()
    activity_id = fields.UUID()
    date = fields.Date()


class QuoteOut(Schema):
    household_id = fields.UUID()
    lines = fields.List(fields.Nested(QuotedLineOut))
    total_cents = fields.Integer()
    errors = fields.List(fields.Nested(QuoteErrorOut))


class PriceListQuery(Schema):
    date = fields.Date()
    household_id = fields.UUID(metadata={"description": "staff: show this household's prices"})


class YourPriceOut(Schema):
    unit_cents = fields.Integer()
    detail = fields.String()


class PriceListItemOut(Schema):
    activity_id = fields.UUID()
    name = fields.String()
    regie_name = fields.String()
    billing_mode = fields.String()
    unit = fields.String()
    grid = fields.Nested(PriceGridOut)
    your_price = fields.Nested(YourPriceOut, allow_none=True)


class PriceListOut(Schema):
    date = fields.Date()
    activities = fields.List(fields.Nested(PriceListItemOut))


# --- invoices and credit notes -----------------------------------------------------------


class PayerCopyOut(Schema):
    """The payer as printed on the document when it was issued."""

    name = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class RegieCopyOut(PayerCopyOut):
    """The régie as printed on the document when it was issued."""

    code = fields.String()
    legal_mentions = fields.String()


class InvoiceLineOut(Schema):
    kind = fields.String(metadata={"description": "charge, or credit (a credit note deducted)"})
    label = fields.String()
    detail = fields.String()
    child_id = fields.UUID(allow_none=True)
    activity_id = fields.UUID(allow_none=True)
    unit = fields.String(allow_none=True)
    unit_cents = fields.Integer()
    quantity = _Quantity
    amount_cents = fields.Integer()
    period_from = fields.Date(allow_none=True)
    period_to = fields.Date(allow_none=True)
    credit_note_id = fields.UUID(allow_none=True)
    child_name = fields.String(allow_none=True, metadata={"description": "as printed"})
    activity_name = fields.String(allow_none=True, metadata={"description": "as printed"})


class InvoiceOut(Schema):
    id = fields.UUID()
    number = fields.String(allow_none=True)
    status = fields.String()
    origin = fields.String()
    regie_id = fields.UUID()
    household_id = fields.UUID()
    payer_id = fields.UUID()
    basket_id = fields.UUID(allow_none=True)
    campaign_id = fields.UUID(allow_none=True)
    issue_date = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)
    total_cents = fields.Integer()
    credit_cents = fields.Integer()
    remaining_cents = fields.Integer(
        allow_none=True, metadata={"description": "still to pay (0: archived)"}
    )
    paid_cents = fields.Integer(allow_none=True, metadata={"description": "payments received"})
    payer = fields.Nested(PayerCopyOut, allow_none=True)
    regie = fields.Nested(RegieCopyOut, allow_none=True)
    lines = fields.List(fields.Nested(InvoiceLineOut))


class InvoiceListOut(Schema):
    invoices = fields.List(fields.Nested(InvoiceOut))


class InvoicesQuery(Schema):
    household_id = fields.UUID(metadata={"description": "staff only"})
    regie_id = fields.UUID()
    campaign_id = fields.UUID()
    year = fields.Integer(validate=validate.Range(2000, 2100))
    number = fields.String(validate=validate.Length(1, 40))
    status = fields.String(
        validate=validate.OneOf(["current", "archived"]),
        metadata={"description": "current: something remains to pay; archived: settled"},
    )
    issued_from = fields.Date()
    issued_to = fields.Date()
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


class CreditNoteLineOut(Schema):
    label = fields.String()
    detail = fields.String()
    child_id = fields.UUID(allow_none=True)
    activity_id = fields.UUID(allow_none=True)
    unit = fields.String(allow_none=True)
    unit_cents = fields.Integer()
    quantity = _Quantity
    amount_cents = fields.Integer()
    period_from = fields.Date()
    period_to = fields.Date()
    invoice_line_id = fields.UUID()
    child_name = fields.String(allow_none=True, metadata={"description": "as printed"})
    activity_name = fields.String(allow_none=True, metadata={"description": "as printed"})


class AllocationOut(Schema):
    invoice_id = fields.UUID()
    number = fields.String()
    amount_cents = fields.Integer()
    at = fields.AwareDateTime()


class CreditNoteOut(Schema):
    id = fields.UUID()
    number = fields.String()
    regie_id = fields.UUID()
    household_id = fields.UUID()
    payer_id = fields.UUID()
    issue_date = fields.Date()
    reason = fields.String()
    total_cents = fields.Integer()
    available_cents = fields.Integer(metadata={"description": "not yet deducted"})
    payer = fields.Nested(PayerCopyOut)
    regie = fields.Nested(RegieCopyOut)
    lines = fields.List(fields.Nested(CreditNoteLineOut))
    allocations = fields.List(fields.Nested(AllocationOut), allow_none=True)


class CreditNoteListOut(Schema):
    credit_notes = fields.List(fields.Nested(CreditNoteOut))


class CreditNotesQuery(Schema):
    household_id = fields.UUID(metadata={"description": "staff only"})
    regie_id = fields.UUID()
    year = fields.Integer(validate=validate.Range(2000, 2100))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


class RefundIn(_In):
    method = fields.String(
        required=True,
        validate=validate.OneOf(REFUND_METHODS),
        metadata={"description": "transfer, cheque or cash"},
    )
    reference = fields.String(
        load_default="",
        validate=validate.Length(0, 200),
        metadata={"description": "e.g. the transfer's or the cheque's reference"},
    )


class RefundOut(Schema):
    id = fields.UUID()
    number = fields.String(metadata={"description": "V-<CODE>-<year>-NNNNNN"})
    regie_id = fields.UUID()
    household_id = fields.UUID()
    payer_id = fields.UUID()
    credit_note_id = fields.UUID()
    credit_note_number = fields.String()
    amount_cents = fields.Integer()
    method = fields.String()
    reference = fields.String()
    created_by = fields.UUID()
    created_at = fields.AwareDateTime()


class RefundListOut(Schema):
    refunds = fields.List(fields.Nested(RefundOut))


class RefundsQuery(Schema):
    household_id = fields.UUID()
    regie_id = fields.UUID()
    credit_note_id = fields.UUID()
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


class LedgerEntryOut(Schema):
    seq = fields.Integer()
    regie_id = fields.UUID()
    regie_code = fields.String()
    kind = fields.String()
    document_id = fields.UUID()
    related_id = fields.UUID(allow_none=True)
    number = fields.String(allow_none=True)
    amount_cents = fields.Integer()
    at = fields.AwareDateTime()


class RegieBalanceOut(Schema):
    regie_id = fields.UUID()
    regie_name = fields.String()
    balance_cents = fields.Integer()


class AccountOut(Schema):
    payer_id = fields.UUID()
    balance_cents = fields.Integer(metadata={"description": "owed by the payer (< 0: owed to)"})
    regies = fields.List(fields.Nested(RegieBalanceOut))
    entries = fields.List(fields.Nested(LedgerEntryOut))


# --- campaigns ---------------------------------------------------------------------------


class CampaignIn(_In):
    regie_id = fields.UUID(required=True)
    period_from = fields.Date(required=True)
    period_to = fields.Date(required=True)
    due_date = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "default: issue date + the régie's payment delay"},
    )


class CampaignIssueOut(Schema):
    severity = fields.String(metadata={"description": "error: not billed; warning: check"})
    code = fields.String()
    detail = fields.String()
    household_id = fields.UUID(allow_none=True)
    child_id = fields.UUID(allow_none=True)
    child_name = fields.String(allow_none=True)
    activity_id = fields.UUID(allow_none=True)
    day = fields.Date(allow_none=True)


class CampaignSummaryOut(Schema):
    id = fields.UUID()
    regie_id = fields.UUID()
    period_from = fields.Date()
    period_to = fields.Date()
    status = fields.String()
    issue_date = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)
    invoice_count = fields.Integer()
    issued_cents = fields.Integer()
    error_count = fields.Integer()
    warning_count = fields.Integer()
    created_at = fields.AwareDateTime()
    drafted_at = fields.AwareDateTime()
    finalised_at = fields.AwareDateTime(allow_none=True)


class CampaignOut(CampaignSummaryOut):
    draft_cents = fields.Integer(metadata={"description": "what the drafts would issue"})
    issues = fields.List(fields.Nested(CampaignIssueOut))


class CampaignListOut(Schema):
    campaigns = fields.List(fields.Nested(CampaignSummaryOut))


class CampaignsQuery(Schema):
    regie_id = fields.UUID()


class PageQuery(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


# --- certificates ------------------------------------------------------------------------


class _Period(Schema):
    start = fields.Date(required=True, data_key="from", metadata={"description": "first day"})
    end = fields.Date(required=True, data_key="to", metadata={"description": "last day"})


_PAYER = {"description": "staff: that payer's documents only (a family: always its own)"}


class PeriodQuery(_Period):
    payer_id = fields.UUID(metadata=_PAYER)


class AttendanceCertificateQuery(_Period):
    child_id = fields.UUID(required=True)
    activity_id = fields.UUID(metadata={"description": "one activity only (default: all)"})


class ChildcareCertificateQuery(Schema):
    year = fields.Integer(
        required=True,
        validate=validate.Range(2000, 2100),
        metadata={"description": "the calendar year of the expenses"},
    )
    payer_id = fields.UUID(metadata=_PAYER)


class ExportQuery(_Period):
    """The documents issued from `from` to `to` (included)."""

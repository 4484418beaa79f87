"""Request and response bodies of the billing API (marshmallow; they also feed OpenAPI).
Money is always integer cents (`*_cents`); quantities are exact decimals as strings."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from billing.domain.direct_debit import REASONS
from billing.domain.mandates import BankDetailsError, bank_account, creditor_identifier
from billing.domain.payments import COUNTER_METHODS, REMITTABLE
from billing.domain.payments import METHODS as PAYMENT_METHODS
from billing.domain.pricing import UNITS
from billing.domain.refunds import METHODS as REFUND_METHODS
from billing.domain.reminders import MAX_LEVELS, offsets_problem
from billing.domain.rules import BILLING_MODES, POSTPAID_SOURCES
from billing.domain.split import KINDS as SPLIT_KINDS
from billing.domain.wallet import PAID_UPFRONT
from billing.domain.wallet import PAYMENTS as ACTIVITY_PAYMENTS
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
    holds_wallets = fields.Boolean(
        metadata={"description": "holds the tenant's wallets (PUT /billing/wallet-settings)"}
    )
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
    payment = fields.String(
        load_default="invoice",
        validate=validate.OneOf(ACTIVITY_PAYMENTS),
        metadata={
            "description": "invoice: invoiced, paid later; at_booking: the basket's places are "
            "held hold_minutes while the family pays by card; wallet: paid from the "
            "household's wallet when the basket is validated (both: prepaid only)"
        },
    )
    hold_minutes = fields.Integer(
        load_default=30,
        validate=validate.Range(1, 1440),
        metadata={"description": "at_booking: how long the places are held for the payment"},
    )

    @validates_schema
    def paid_upfront_is_prepaid(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("payment") in PAID_UPFRONT and data.get("billing_mode") != "prepaid":
            raise ValidationError(
                "Une activité payée à la réservation ou par la tirelire doit être prépayée "
                "(billing_mode « prepaid »).",
                "payment",
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
    payment = fields.String()
    hold_minutes = fields.Integer()
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


class InvoiceReminderOut(Schema):
    """A reminder sent for an unpaid invoice (level N of its régie's schedule)."""

    level = fields.Integer()
    reminded_on = fields.Date()
    amount_due_cents = fields.Integer(metadata={"description": "what it claimed"})
    last = fields.Boolean(metadata={"description": "the schedule's last level"})


def _payment_status(invoice: Any) -> str | None:
    remaining = invoice.get("remaining_cents")
    if remaining is None:
        return None
    if remaining <= 0:
        return "paid"
    return "unpaid" if remaining >= invoice["total_cents"] else "partially_paid"


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
    payment_status = fields.Function(
        lambda i: _payment_status(i),
        metadata={
            "description": "unpaid, partially_paid or paid (what remains derives from "
            "the ledger: credits deducted and payments)"
        },
    )
    payer = fields.Nested(PayerCopyOut, allow_none=True)
    regie = fields.Nested(RegieCopyOut, allow_none=True)
    lines = fields.List(fields.Nested(InvoiceLineOut))
    reminders = fields.List(
        fields.Nested(InvoiceReminderOut), metadata={"description": "the reminders sent"}
    )
    in_recovery = fields.Boolean(
        metadata={"description": "sent to the treasury for recovery: paid to it, not online"}
    )


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
    method = fields.String(metadata={"description": "transfer, cheque, cash, or wallet"})
    reference = fields.String()
    created_by = fields.UUID(
        allow_none=True, metadata={"description": "null: billing's own (to a wallet)"}
    )
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
    credit_cents = fields.Integer(
        metadata={
            "description": "the payer's credits not yet used (credit notes, payments' excess), "
            "deducted from its next invoices"
        }
    )
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


# --- wallet ("tirelire") -----------------------------------------------------------------


class WalletSettingsIn(_In):
    regie_id = fields.UUID(
        required=True, metadata={"description": "the régie that holds the tenant's wallets"}
    )


class WalletSettingsOut(Schema):
    regie_id = fields.UUID(allow_none=True, metadata={"description": "null: none designated"})
    regie_name = fields.String(allow_none=True)
    top_up_min_cents = fields.Integer()
    top_up_max_cents = fields.Integer()


class WalletOut(Schema):
    household_id = fields.UUID()
    regie_id = fields.UUID()
    balance_cents = fields.Integer()
    activated_by = fields.UUID(allow_none=True)
    activated_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class WalletListOut(Schema):
    wallets = fields.List(fields.Nested(WalletOut))


class WalletMovementOut(Schema):
    id = fields.UUID()
    kind = fields.String(
        metadata={
            "description": "top_up, staff, refund (credits), debit, or payout (the balance"
            " paid back by the régie)"
        }
    )
    amount_cents = fields.Integer(metadata={"description": "+ credit, − debit"})
    balance_cents = fields.Integer(metadata={"description": "the balance after it"})
    label = fields.String()
    reason = fields.String(allow_none=True)
    basket_id = fields.UUID(allow_none=True)
    booking_ids = fields.List(fields.UUID())
    invoice_ids = fields.List(fields.UUID())
    transaction_id = fields.UUID(allow_none=True)
    refund_id = fields.UUID(allow_none=True)
    recorded_by = fields.UUID(allow_none=True)
    at = fields.AwareDateTime()


class WalletMovementListOut(Schema):
    balance_cents = fields.Integer()
    movements = fields.List(fields.Nested(WalletMovementOut))


class TopUpIn(_In):
    amount_cents = fields.Integer(required=True, validate=validate.Range(1, 100_000_000))
    email = fields.Email(
        load_default=None,
        allow_none=True,
        metadata={"description": "where the bank sends its ticket (default: the payer's)"},
    )


class TopUpOut(Schema):
    transaction_id = fields.UUID()
    payment_url = fields.String(metadata={"description": "where to send the family to pay"})
    amount_cents = fields.Integer()


class WalletCreditIn(_In):
    amount_cents = fields.Integer(required=True, validate=validate.Range(1, 100_000_000))
    reason = fields.String(required=True, validate=validate.Length(1, 200))


# --- payments, remittance slips, card payment --------------------------------------------


class PaymentReferenceIn(_In):
    cheque_number = fields.String(validate=validate.Length(1, 40))
    bank = fields.String(validate=validate.Length(1, 100), metadata={"description": "cheque"})
    drawer = fields.String(
        validate=validate.Length(1, 200), metadata={"description": "cheque: who signed it"}
    )
    title_numbers = fields.String(
        validate=validate.Length(1, 500), metadata={"description": "CESU, ANCV: the titles"}
    )
    title_count = fields.Integer(validate=validate.Range(1, 1000))
    transfer_reference = fields.String(validate=validate.Length(1, 140))
    note = fields.String(validate=validate.Length(1, 500))


class CounterPaymentIn(_In):
    regie_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    payer_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "a named payer of the household (default: the household)"},
    )
    method = fields.String(required=True, validate=validate.OneOf(COUNTER_METHODS))
    amount_cents = fields.Integer(required=True, validate=validate.Range(1, 100_000_000))
    received_on = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "default: today"}
    )
    invoice_ids = fields.List(
        fields.UUID(),
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, 100),
        metadata={"description": "settled in this order; default: the oldest unpaid first"},
    )
    reference = fields.Nested(
        PaymentReferenceIn,
        load_default=dict,
        metadata={"description": "a cheque's number and bank (required), CESU/ANCV titles…"},
    )


class ReversalIn(_In):
    reason = fields.String(
        required=True,
        validate=validate.Length(1, 500),
        metadata={"description": "e.g. chèque impayé (sans provision)"},
    )


class PaymentLineOut(Schema):
    invoice_line_id = fields.UUID()
    position = fields.Integer(metadata={"description": "the line's, on the invoice"})
    label = fields.String()
    child_id = fields.UUID(allow_none=True)
    child_name = fields.String(allow_none=True)
    activity_id = fields.UUID(allow_none=True)
    activity_name = fields.String(allow_none=True)
    amount_cents = fields.Integer()


class PaymentAllocationOut(Schema):
    invoice_id = fields.UUID()
    number = fields.String(metadata={"description": "the invoice's"})
    basket_id = fields.UUID(allow_none=True)
    amount_cents = fields.Integer()
    lines = fields.List(
        fields.Nested(PaymentLineOut),
        metadata={
            "description": "what it paid per invoice line (product), in the lines' order, "
            "each up to what the line still owed (credits deducted cover the first lines); "
            "empty for a payment recorded before amounts were recorded per line"
        },
    )


class PaymentSummaryOut(Schema):
    id = fields.UUID()
    number = fields.String(metadata={"description": "the receipt's: R-<CODE>-<year>-NNNNNN"})
    regie_id = fields.UUID()
    household_id = fields.UUID()
    payer_id = fields.UUID()
    method = fields.String()
    amount_cents = fields.Integer()
    credit_cents = fields.Integer(metadata={"description": "what exceeded the invoices"})
    credit_available_cents = fields.Integer(
        metadata={"description": "what is left of that credit (deducted from next invoices)"}
    )
    received_on = fields.Date()
    reference = fields.Dict(keys=fields.String(), values=fields.Raw())
    status = fields.String(metadata={"description": "recorded, or reversed"})
    reversal_reason = fields.String(allow_none=True)
    reversed_at = fields.AwareDateTime(allow_none=True)
    recorded_by = fields.UUID(allow_none=True)
    remittance_id = fields.UUID(allow_none=True)
    remittance_number = fields.String(allow_none=True)
    payer = fields.Nested(PayerCopyOut)
    created_at = fields.AwareDateTime()


class PaymentOut(PaymentSummaryOut):
    allocations = fields.List(fields.Nested(PaymentAllocationOut))


class PaymentListOut(Schema):
    payments = fields.List(fields.Nested(PaymentOut))


class PaymentsQuery(Schema):
    household_id = fields.UUID(metadata={"description": "staff only"})
    regie_id = fields.UUID()
    invoice_id = fields.UUID(metadata={"description": "the payments that settled it"})
    method = fields.String(validate=validate.OneOf(PAYMENT_METHODS))
    status = fields.String(validate=validate.OneOf(["recorded", "reversed"]))
    number = fields.String(validate=validate.Length(1, 40))
    received_from = fields.Date()
    received_to = fields.Date()
    remitted = fields.Boolean(metadata={"description": "on a remittance slip or not"})
    remittance_id = fields.UUID()
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


class RemittanceIn(_In):
    regie_id = fields.UUID(required=True)
    method = fields.String(required=True, validate=validate.OneOf(REMITTABLE))
    payment_ids = fields.List(
        fields.UUID(),
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, 2000),
        metadata={"description": "these payments (default: all not yet remitted)"},
    )
    received_to = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "default payments: those received up to this day"},
    )


class RemittanceSummaryOut(Schema):
    id = fields.UUID()
    number = fields.String(metadata={"description": "B-<CODE>-<year>-NNNNNN"})
    regie_id = fields.UUID()
    method = fields.String()
    total_cents = fields.Integer()
    payment_count = fields.Integer()
    created_by = fields.UUID()
    created_at = fields.AwareDateTime()


class RemittanceOut(RemittanceSummaryOut):
    payments = fields.List(fields.Nested(PaymentSummaryOut))


class RemittanceListOut(Schema):
    remittances = fields.List(fields.Nested(RemittanceSummaryOut))


class RemittancesQuery(Schema):
    regie_id = fields.UUID()
    method = fields.String(validate=validate.OneOf(REMITTABLE))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


class CardBackendIn(_In):
    backend = fields.String(
        required=True,
        validate=validate.OneOf(["payfip_ws", "tipi", "dummy"]),
        metadata={"description": "eopayment backend: PayFIP web service, TIPI, or dummy (tests)"},
    )
    options = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        load_default=dict,
        metadata={
            "description": "payfip_ws, tipi: numcli (6 digits), saisie (T test, X activation, "
            "W/A production); dummy: origin. A masked secret sent back keeps its value"
        },
    )
    enabled = fields.Boolean(load_default=True)


class CardBackendOut(Schema):
    regie_id = fields.UUID()
    backend = fields.String()
    options = fields.Dict(
        keys=fields.String(), values=fields.String(), metadata={"description": "secrets masked"}
    )
    enabled = fields.Boolean()
    can_poll = fields.Boolean(metadata={"description": "the bank can be asked for a status"})
    updated_by = fields.UUID()
    updated_at = fields.AwareDateTime()


class CardPaymentIn(_In):
    invoice_ids = fields.List(
        fields.UUID(),
        required=True,
        validate=validate.Length(1, 50),
        metadata={"description": "invoices of one régie and one payer"},
    )
    amount_cents = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, 100_000_000),
        metadata={"description": "the amount shown; refused (409) if what is due changed"},
    )
    email = fields.Email(
        load_default=None,
        allow_none=True,
        metadata={"description": "for the bank's receipt (default: the payer's)"},
    )
    household_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"description": "staff: the household"}
    )


class CardTransactionOut(Schema):
    transaction_id = fields.UUID()
    payment_url = fields.String(
        allow_none=True, metadata={"description": "where to send the browser"}
    )
    regie_id = fields.UUID()
    household_id = fields.UUID()
    purpose = fields.String(metadata={"description": "invoices, or wallet_top_up"})
    invoice_ids = fields.List(fields.UUID())
    amount_cents = fields.Integer()
    status = fields.String(metadata={"description": "pending, paid, refused, cancelled, expired"})
    backend = fields.String()
    bank_status = fields.String(allow_none=True)
    payment_id = fields.UUID(allow_none=True)
    payment_number = fields.String(allow_none=True, metadata={"description": "the receipt's"})
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    settled_at = fields.AwareDateTime(allow_none=True)


class CardTransactionListOut(Schema):
    transactions = fields.List(fields.Nested(CardTransactionOut))


class CardTransactionsQuery(Schema):
    household_id = fields.UUID()
    regie_id = fields.UUID()
    status = fields.String(
        validate=validate.OneOf(["pending", "paid", "refused", "cancelled", "expired"])
    )
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


# --- reminders and recovery --------------------------------------------------------------


def _offsets(value: list[int]) -> None:
    problem = offsets_problem(value)
    if problem:
        raise ValidationError(problem)


class ReminderScheduleIn(_In):
    offsets_days = fields.List(
        fields.Integer(strict=True),
        required=True,
        validate=_offsets,
        metadata={
            "description": f"reminder N is sent that many days after the due date (e.g. "
            f"[10, 25, 40]); 0 to {MAX_LEVELS} levels, increasing; []: no reminders"
        },
    )
    minimum_cents = fields.Integer(
        load_default=0,
        validate=_CENTS,
        metadata={"description": "no reminder (and no recovery) for a smaller amount due"},
    )
    recovery_after_days = fields.Integer(
        load_default=15,
        validate=validate.Range(0, 365),
        metadata={"description": "an invoice may go to recovery this long after its last reminder"},
    )


class ReminderScheduleOut(Schema):
    regie_id = fields.UUID()
    offsets_days = fields.List(fields.Integer())
    minimum_cents = fields.Integer()
    recovery_after_days = fields.Integer()
    configured = fields.Boolean(metadata={"description": "false: never set, no reminders"})
    updated_at = fields.AwareDateTime(allow_none=True)


class RemindersRunIn(_In):
    regie_id = fields.UUID(load_default=None, allow_none=True)
    dry_run = fields.Boolean(
        load_default=False, metadata={"description": "list the reminders due, send nothing"}
    )


class ReminderSentOut(Schema):
    invoice_id = fields.UUID()
    number = fields.String()
    regie_id = fields.UUID()
    household_id = fields.UUID()
    due_date = fields.Date()
    level = fields.Integer()
    last = fields.Boolean(metadata={"description": "the schedule's last level"})
    amount_due_cents = fields.Integer()


class RemindersRunOut(Schema):
    today = fields.Date()
    dry_run = fields.Boolean()
    count = fields.Integer()
    reminders = fields.List(fields.Nested(ReminderSentOut))


class OverdueQuery(Schema):
    regie_id = fields.UUID()
    household_id = fields.UUID()
    min_days_late = fields.Integer(load_default=0, validate=validate.Range(0, 3650))
    in_recovery = fields.Boolean(
        metadata={"description": "true: only those sent to recovery; false: only the others"}
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


class OverdueInvoiceOut(Schema):
    invoice_id = fields.UUID()
    number = fields.String()
    regie_id = fields.UUID()
    household_id = fields.UUID()
    payer_id = fields.UUID()
    payer_name = fields.String(allow_none=True)
    issue_date = fields.Date()
    due_date = fields.Date()
    days_late = fields.Integer()
    total_cents = fields.Integer()
    amount_due_cents = fields.Integer(
        metadata={"description": "still owed (ledger), less credit notes for its days unused"}
    )
    last_reminder_level = fields.Integer(allow_none=True)
    last_reminded_on = fields.Date(allow_none=True)
    in_recovery = fields.Boolean()
    docket_id = fields.UUID(allow_none=True)
    docket_number = fields.String(allow_none=True)


class OverdueInvoiceListOut(Schema):
    today = fields.Date()
    total = fields.Integer(metadata={"description": "rows matching, without paging"})
    invoices = fields.List(fields.Nested(OverdueInvoiceOut))


class OverdueHouseholdOut(Schema):
    household_id = fields.UUID()
    payer_name = fields.String(allow_none=True)
    invoice_count = fields.Integer()
    amount_due_cents = fields.Integer()
    oldest_due_date = fields.Date()
    days_late = fields.Integer(metadata={"description": "of the oldest overdue invoice"})
    highest_level = fields.Integer(allow_none=True, metadata={"description": "reminder level"})
    in_recovery_count = fields.Integer()
    in_recovery_cents = fields.Integer(allow_none=True)


class OverdueHouseholdListOut(Schema):
    today = fields.Date()
    total = fields.Integer()
    households = fields.List(fields.Nested(OverdueHouseholdOut))


class InvoiceRemindersOut(Schema):
    invoice_id = fields.UUID()
    reminders = fields.List(fields.Nested(InvoiceReminderOut))
    in_recovery = fields.Boolean(metadata={"description": "sent to the treasury for recovery"})


class RecoverableListOut(Schema):
    invoices = fields.List(fields.Nested(OverdueInvoiceOut))


class DocketIn(_In):
    invoice_ids = fields.List(
        fields.UUID(),
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, 5000),
        metadata={"description": "only these (each must be recoverable); default: all that are"},
    )


class DebtorOut(Schema):
    name = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class DocketItemOut(Schema):
    position = fields.Integer()
    invoice_id = fields.UUID()
    number = fields.String()
    household_id = fields.UUID()
    payer_id = fields.UUID()
    issue_date = fields.Date()
    due_date = fields.Date()
    total_cents = fields.Integer()
    amount_due_cents = fields.Integer()
    debtor = fields.Nested(DebtorOut)
    last_reminder_level = fields.Integer(allow_none=True)
    last_reminded_on = fields.Date(allow_none=True)


class DocketSummaryOut(Schema):
    id = fields.UUID()
    number = fields.String(metadata={"description": "T-<CODE>-<year>-NNNN"})
    regie_id = fields.UUID()
    regie_code = fields.String()
    created_on = fields.Date()
    invoice_count = fields.Integer()
    total_cents = fields.Integer()
    created_by = fields.UUID()
    created_at = fields.AwareDateTime()


class DocketOut(DocketSummaryOut):
    items = fields.List(fields.Nested(DocketItemOut))


class DocketListOut(Schema):
    dockets = fields.List(fields.Nested(DocketSummaryOut))


class DocketsQuery(Schema):
    regie_id = fields.UUID()
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


# --- SEPA direct debit -------------------------------------------------------------------
# IBANs come in, never go out: responses carry them masked (FR76 **** **** **** **** **** 189);
# only staff's logged bank-details read returns one in full.


def _bank_details(data: dict[str, Any], *, fields_: tuple[str, ...] = ()) -> None:
    try:
        if "iban" in data:
            bank_account(data["iban"], data.get("bic"))
        if "creditor_id" in fields_ and "creditor_id" in data:
            creditor_identifier(data["creditor_id"])
    except BankDetailsError as exc:
        raise ValidationError(str(exc), exc.field) from None


_IBAN = fields.String(
    required=True,
    validate=validate.Length(15, 42),
    metadata={"description": "checked with schwifty; stored sealed, shown masked"},
)
_BIC = fields.String(
    load_default=None,
    allow_none=True,
    validate=validate.Length(8, 11),
    metadata={"description": "optional: derived from the IBAN where the bank is known"},
)
_HOLDER = fields.String(required=True, validate=validate.Length(1, 70))


class SepaCreditorIn(_In):
    creditor_id = fields.String(
        required=True,
        validate=validate.Length(8, 35),
        metadata={"description": "the SEPA creditor identifier (ICS), e.g. FR72ZZZ123456"},
    )
    creditor_name = fields.String(required=True, validate=validate.Length(1, 70))
    iban = _IBAN
    bic = _BIC
    prenotification_days = fields.Integer(
        load_default=14,
        validate=validate.Range(2, 60),
        metadata={"description": "days between the pre-notification and the collection"},
    )

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        _bank_details(data, fields_=("creditor_id",))


class SepaCreditorOut(Schema):
    regie_id = fields.UUID()
    creditor_id = fields.String()
    creditor_name = fields.String()
    iban_masked = fields.String()
    prenotification_days = fields.Integer()
    earliest_collection_date = fields.Date(
        metadata={"description": "the first date a batch made today may be collected on"}
    )
    updated_at = fields.AwareDateTime()


class DirectDebitRegieOut(Schema):
    regie_id = fields.UUID()
    regie_name = fields.String()
    creditor_name = fields.String()
    prenotification_days = fields.Integer()


class DirectDebitRegieListOut(Schema):
    regies = fields.List(fields.Nested(DirectDebitRegieOut))


class MandateIn(_In):
    regie_id = fields.UUID(required=True)
    payer_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "a named payer of the household (default: the household)"},
    )
    holder = _HOLDER
    iban = _IBAN
    bic = _BIC

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        _bank_details(data)


class PaperMandateIn(MandateIn):
    signed_on = fields.Date(
        required=True, metadata={"description": "the date written on the signed paper mandate"}
    )


class MandateOut(Schema):
    id = fields.UUID()
    regie_id = fields.UUID()
    regie_name = fields.String()
    household_id = fields.UUID()
    payer_id = fields.UUID()
    rum = fields.String(metadata={"description": "the mandate's unique reference"})
    holder = fields.String()
    iban_masked = fields.String()
    status = fields.String(
        metadata={"description": "pending_signature, active, suspended or revoked"}
    )
    account_id = fields.UUID(allow_none=True)
    signed_on = fields.Date(allow_none=True)
    activated_at = fields.AwareDateTime(allow_none=True)
    recorded_by = fields.String(allow_none=True)
    rejections = fields.Integer()
    suspended_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)
    revoked_by = fields.String(allow_none=True)
    replaced_by = fields.UUID(allow_none=True)
    signature_expires_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


class MandateListOut(Schema):
    mandates = fields.List(fields.Nested(MandateOut))


class MandatesQuery(Schema):
    household_id = fields.UUID()
    regie_id = fields.UUID()
    status = fields.String(
        validate=validate.OneOf(["pending_signature", "active", "suspended", "revoked"])
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


class MandateSignIn(_In):
    token = fields.String(required=True, validate=validate.Length(20, 100))


class BankDetailsOut(Schema):
    mandate_id = fields.UUID()
    rum = fields.String()
    holder = fields.String()
    iban = fields.String(metadata={"description": "in full, grouped by four"})
    bic = fields.String(allow_none=True)


class BankAccessOut(Schema):
    mandate_id = fields.UUID()
    rum = fields.String()
    batch_id = fields.UUID(allow_none=True)
    batch_number = fields.String(allow_none=True)
    account_id = fields.UUID()
    roles = fields.List(fields.String())
    purpose = fields.String(
        metadata={"description": "mandate (its bank details read) or pain008 (a batch file)"}
    )
    accessed_at = fields.AwareDateTime()


class BankAccessLogOut(Schema):
    items = fields.List(fields.Nested(BankAccessOut))


class BatchIn(_In):
    collection_date = fields.Date(
        required=True,
        metadata={
            "description": "a TARGET2 business day at least the régie's pre-notification "
            "days from today"
        },
    )


class DirectDebitItemOut(Schema):
    id = fields.UUID()
    batch_id = fields.UUID()
    batch_number = fields.String()
    position = fields.Integer()
    collection_date = fields.Date()
    invoice_id = fields.UUID()
    invoice_number = fields.String()
    household_id = fields.UUID()
    payer_id = fields.UUID()
    mandate_id = fields.UUID()
    rum = fields.String()
    holder = fields.String()
    iban_masked = fields.String()
    end_to_end_id = fields.String()
    sequence_type = fields.String(metadata={"description": "FRST or RCUR"})
    amount_cents = fields.Integer()
    payment_id = fields.UUID()
    status = fields.String(metadata={"description": "collected or rejected"})
    reason_code = fields.String(allow_none=True)
    reason_label = fields.String(allow_none=True)
    rejected_at = fields.AwareDateTime(allow_none=True)


class HouseholdDebitListOut(Schema):
    debits = fields.List(fields.Nested(DirectDebitItemOut))


class BatchSummaryOut(Schema):
    id = fields.UUID()
    regie_id = fields.UUID()
    regie_name = fields.String()
    number = fields.String()
    collection_date = fields.Date()
    item_count = fields.Integer()
    total_cents = fields.Integer()
    rejected_count = fields.Integer()
    rejected_cents = fields.Integer()
    message_id = fields.String()
    created_by = fields.UUID()
    created_at = fields.AwareDateTime()


class BatchOut(BatchSummaryOut):
    items = fields.List(fields.Nested(DirectDebitItemOut))


class BatchListOut(Schema):
    batches = fields.List(fields.Nested(BatchSummaryOut))


class BatchesQuery(Schema):
    regie_id = fields.UUID()
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


class RejectionIn(_In):
    item_id = fields.UUID(load_default=None, allow_none=True)
    invoice_id = fields.UUID(load_default=None, allow_none=True)
    reason_code = fields.String(
        required=True,
        metadata={"description": "ISO 20022 reason code (AC04, AM04, MD06, ...)"},
    )

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("item_id") is None) == (data.get("invoice_id") is None):
            raise ValidationError("Indiquez le prélèvement ou la facture (un seul).", "item_id")
        if data["reason_code"].upper() not in REASONS:
            raise ValidationError(
                "Code motif inconnu : " + ", ".join(sorted(REASONS)) + ".", "reason_code"
            )


class RejectionOut(Schema):
    applied = fields.Boolean(
        metadata={"description": "false: this debit was already rejected (applied once)"}
    )
    item = fields.Nested(DirectDebitItemOut)
    mandate = fields.Nested(MandateOut)


class RejectionImportOut(Schema):
    applied = fields.List(
        fields.Nested(DirectDebitItemOut), metadata={"description": "rejections applied now"}
    )
    already_rejected = fields.List(
        fields.String(), metadata={"description": "end-to-end ids rejected before: unchanged"}
    )
    unmatched = fields.List(
        fields.String(), metadata={"description": "references matching no debit of the tenant"}
    )

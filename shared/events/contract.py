"""Every event type exchanged between services, with its payload schema.

This module is the contract: a producer cannot publish, and a consumer will not accept, an
event whose payload does not match. Changing a payload incompatibly means a new version.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.registry import event_type

ROLES = ("family", "staff", "admin", "animator")
ACTIVITY_PAYMENTS = ("invoice", "at_booking", "wallet")

# Event types produced before any service consumes them, and why they are produced already
# (the archive keeps them for the consumer to replay: shared.events.archive). Every other type
# must have a consumer; tests/test_contract_matrix.py checks both against every service.
KEPT_FOR_LATER_CONSUMERS: dict[str, str] = {
    "booking.RenewalAnswered": "a family's answer to a renewal (issue 16): for the town's"
    " statistics and reminders of unanswered renewals, not yet built",
}


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


@event_type("identity.AccountAnnounced")
class AccountAnnounced(_Account):
    """An existing account as it is now: told again (`python -m identity announce-accounts`)
    for the services deployed after it was created, or after an admin changed its roles or
    name. Consumers keep the latest; nobody is emailed."""

    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True)
    status = fields.String(
        required=True, validate=validate.OneOf(["pending", "invited", "active", "disabled"])
    )


@event_type("identity.AccountDisabled")
class AccountDisabled(_Payload):
    """An admin disabled the account: every service refuses its access tokens from now on,
    without waiting for them to expire."""

    account_id = fields.UUID(required=True)
    disabled_by = fields.UUID(required=True)


@event_type("identity.AccountEnabled")
class AccountEnabled(_Payload):
    """A disabled account was enabled again: its new tokens are accepted again."""

    account_id = fields.UUID(required=True)
    enabled_by = fields.UUID(required=True)


@event_type("identity.TenantFeaturesChanged")
class TenantFeaturesChanged(_Payload):
    """An admin turned on or off what the town offers its families online (issue 16): their
    edits of the household file, online booking, the wallet, direct debit. The whole set as it
    is now: family, booking and billing keep the latest (by the event's time) and refuse the
    families' requests a switch turns off; staff are never affected."""

    family_edits = fields.Boolean(required=True)
    online_booking = fields.Boolean(required=True)
    wallet = fields.Boolean(required=True)
    direct_debit = fields.Boolean(required=True)
    # The admin who changed them; None when told again (`python -m identity announce-features`)
    # for a service deployed after the change.
    changed_by = fields.UUID(required=True, allow_none=True)


@event_type("identity.GuardianInvitationAnswered")
class GuardianInvitationAnswered(_Payload):
    """identity's answer to GuardianInvitationRequested: the guardian's account invited and
    linked to the household (`account_id`), or not invited because another account already
    uses the email (`email_taken`) or the household was anonymised meanwhile
    (`household_anonymised`), `account_id` null then."""

    run_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    guardian_id = fields.UUID(required=True)
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(["invited", "email_taken", "household_anonymised"]),
    )
    account_id = fields.UUID(required=True, allow_none=True)


# --- family -----------------------------------------------------------------------------
@event_type("family.HouseholdLinked")
class HouseholdLinked(_Payload):
    """An account was linked to a household (subscriber code or staff)."""

    household_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    linked_by = fields.String(required=True, validate=validate.OneOf(["subscriber_code", "staff"]))


@event_type("family.GuardianInvitationRequested")
class GuardianInvitationRequested(_Payload):
    """Staff's onboarding run asks identity to invite a guardian of an imported household:
    an account already linked to the household, its invitation emailed (AccountInvited).
    Sent again for a guardian still pending when the run is resumed: identity answers once
    per guardian (GuardianInvitationAnswered) and never invites twice."""

    run_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    guardian_id = fields.UUID(required=True)
    email = fields.Email(required=True)
    display_name = fields.String(required=True)
    requested_by = fields.UUID(required=True)


DIETS = ("standard", "no_pork", "vegetarian", "no_meat", "allergy_menu")
QUOTIENT_SOURCES = ("caf", "msa", "declared", "staff")


@event_type("family.HouseholdCreated")
class HouseholdCreated(_Payload):
    """A household file was created (by staff, or a family's own after staff validation)."""

    household_id = fields.UUID(required=True)
    created_by = fields.UUID(required=True)
    guardian_names = fields.List(fields.String(), required=True)


class _Child(_Payload):
    """What other services (booking) keep of a child: identity, age, school, diet."""

    child_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    birth_date = fields.Date(required=True)
    sex = fields.String(required=True, allow_none=True, validate=validate.OneOf(["F", "M"]))
    school = fields.String(required=True, allow_none=True)
    grade = fields.String(required=True, allow_none=True)
    diet = fields.String(required=True, validate=validate.OneOf(DIETS))
    image_rights = fields.Boolean(required=True)


@event_type("family.ChildRegistered")
class ChildRegistered(_Child):
    pass


@event_type("family.ChildUpdated")
class ChildUpdated(_Child):
    pass


@event_type("family.QuotientChanged")
class QuotientChanged(_Payload):
    """The household's family quotient from `valid_from` (billing prices from it)."""

    quotient_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    value = fields.Integer(required=True, validate=validate.Range(0, None))
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True, allow_none=True)
    source = fields.String(required=True, validate=validate.OneOf(QUOTIENT_SOURCES))


@event_type("family.BilledGuardianChanged")
class BilledGuardianChanged(_Payload):
    """The guardian billed for the household changed (family situation, guide 001): billing
    prints them as the household's payer; None: nobody named (the guardians' names)."""

    household_id = fields.UUID(required=True)
    guardian_id = fields.UUID(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)
    address = fields.String(
        required=True, allow_none=True, metadata={"description": "one line, as printed"}
    )


@event_type("family.ChangeRequestDecided")
class ChangeRequestDecided(_Payload):
    """Staff approved or rejected a change a family proposed; `account_ids` are told."""

    change_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    entity = fields.String(required=True)
    operation = fields.String(
        required=True, validate=validate.OneOf(["create", "update", "delete"])
    )
    summary = fields.String(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    reason = fields.String(required=True, allow_none=True)
    submitted_by = fields.UUID(required=True)
    account_ids = fields.List(fields.UUID(), required=True)


class _Document(_Payload):
    """A household's supporting document; `member_id` is the guardian or child it is about
    (`child_id` too when it is a child), both null for the household as a whole."""

    document_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    child_id = fields.UUID(required=True, allow_none=True)
    document_type = fields.String(required=True)
    account_ids = fields.List(fields.UUID(), required=True)
    member_id = fields.UUID(required=False, allow_none=True, load_default=None)
    member_kind = fields.String(
        required=False,
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(["guardian", "child"]),
    )
    document_label = fields.String(
        required=True, allow_none=False, metadata={"description": "the type's French label"}
    )


@event_type("family.DocumentUploaded")
class DocumentUploaded(_Document):
    """A supporting document stored, waiting for staff: booking learns whose it is (an
    absence names only its own household's documents)."""


@event_type("family.DocumentValidated")
class DocumentValidated(_Document):
    """A supporting document is valid until `valid_until` (booking checks enrollments)."""

    valid_until = fields.Date(required=True, allow_none=True)


@event_type("family.DocumentRejected")
class DocumentRejected(_Document):
    reason = fields.String(required=True)


@event_type("family.RequestAnswered")
class RequestAnswered(_Payload):
    """Staff answered a family's request to the town; `account_ids` are told."""

    request_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    child_id = fields.UUID(required=True, allow_none=True)
    topic = fields.String(required=True)
    subject = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["answered", "closed"]))
    account_ids = fields.List(fields.UUID(), required=True)
    topic_label = fields.String(
        required=True, allow_none=False, metadata={"description": "the topic's French label"}
    )


@event_type("family.HouseholdCreationRejected")
class HouseholdCreationRejected(_Payload):
    """Staff refused the household a new family asked to create; the account is told."""

    change_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    reason = fields.String(required=True)


@event_type("family.HouseholdAnonymised")
class HouseholdAnonymised(_Payload):
    """A household was anonymised on its deletion request: names are « Anonyme », contact
    details, health records and documents are gone; ids stay (accounting). The listed accounts
    are no longer linked to it."""

    household_id = fields.UUID(required=True)
    deletion_request_id = fields.UUID(required=False, allow_none=True, load_default=None)
    account_ids = fields.List(fields.UUID(), required=False, load_default=list)


# --- booking ----------------------------------------------------------------------------
ACTIVITY_TYPES = ("CANTINE", "PERI", "ETUDE", "MERCREDI", "VACANCES", "EXTRA", "SPORT", "CRECHE")


class _BookedDay(_Payload):
    booking_id = fields.UUID(required=True)
    date = fields.Date(required=True)
    late = fields.Boolean(required=True)


class _ChildActivity(_Payload):
    """Whose booking, of what: enough for billing to price and for notify to write."""

    household_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True, allow_none=True)
    child_id = fields.UUID(required=True)
    child_first_name = fields.String(required=True)
    activity_id = fields.UUID(required=True)
    activity_name = fields.String(required=True)
    activity_type = fields.String(required=True, validate=validate.OneOf(ACTIVITY_TYPES))
    site = fields.String(required=True)


@event_type("booking.ReservationValidated")
class ReservationValidated(_ChildActivity):
    """A validated basket's confirmed days for one child and activity (billing, the recap
    email); `waiting_dates` were put on the waiting list instead."""

    basket_id = fields.UUID(required=True)
    dates = fields.List(fields.Nested(_BookedDay), required=True)
    waiting_dates = fields.List(fields.Date(), required=True)
    # Set when staff filled the basket for the family (then `account_id` is None: the recap
    # goes to the household's accounts only).
    booked_by_staff = fields.UUID(required=False, allow_none=True, load_default=None)
    # How the days are paid (billing.ActivityPaymentSet): `at_booking` and `wallet` days are
    # held until paid, by `payment_due_at` (`at_booking`) or the wallet's answer (`wallet`).
    payment = fields.String(
        required=False, validate=validate.OneOf(ACTIVITY_PAYMENTS), load_default="invoice"
    )
    payment_due_at = fields.AwareDateTime(required=False, allow_none=True, load_default=None)
    # Set when the days were given by an opening window's allocation (issue 18): the family
    # hears of them by the allocation's own email (booking.AllocationDecided), not a recap.
    window_id = fields.UUID(required=False, allow_none=True, load_default=None)


@event_type("booking.ReservationCancelled")
class ReservationCancelled(_ChildActivity):
    """Booked days cancelled (by the family before the deadline, or by staff); billing credits
    prepaid days unless `charged`. `day_closed`: staff closed the day (the activity no longer
    runs that day), `reason` their words for the family, never charged (issue 16)."""

    basket_id = fields.UUID(required=True, allow_none=True)
    dates = fields.List(fields.Nested(_BookedDay), required=True)
    cancelled_by = fields.String(
        required=True, validate=validate.OneOf(["family", "staff", "day_closed"])
    )
    reason = fields.String(required=True, allow_none=True)
    charged = fields.Boolean(required=True)


@event_type("booking.WaitingListCancelled")
class WaitingListCancelled(_ChildActivity):
    """A child's place on a day's waiting list was cancelled because staff closed the day
    (`cancelled_by` "day_closed", `reason` their words): nothing was booked nor billed, so
    only notify hears of it, to tell the family (issue 16). One event per waiting child."""

    booking_id = fields.UUID(required=True)
    date = fields.Date(required=True)
    cancelled_by = fields.String(required=True, validate=validate.OneOf(["day_closed"]))
    reason = fields.String(required=True, allow_none=True)


@event_type("booking.WaitingListPromoted")
class WaitingListPromoted(_ChildActivity):
    """A place freed up: the first child waiting for that day is now booked."""

    booking_id = fields.UUID(required=True)
    date = fields.Date(required=True)
    late = fields.Boolean(required=True)


@event_type("booking.EnrollmentDecided")
class EnrollmentDecided(_ChildActivity):
    """An enrollment was accepted (at once or by staff) or refused with a reason."""

    enrollment_id = fields.UUID(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    reason = fields.String(required=True, allow_none=True)
    decided_by = fields.UUID(required=True, allow_none=True)  # None: accepted automatically
    period_from = fields.Date(required=True)
    period_to = fields.Date(required=True)


ATTENDANCE = ("present", "absent", "absent_justified")
ABSENCE_REASONS = ("illness", "family", "transport", "other")


class _AttendanceMark(_Payload):
    booking_id = fields.UUID(required=True)
    child_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ATTENDANCE))
    late = fields.Boolean(required=True)  # the booking was made late (surcharge)


@event_type("booking.AttendanceRecorded")
class AttendanceRecorded(_Payload):
    """Staff marked who came on a day of an activity (pointage); one event per call, with the
    marks it set. The latest mark of a booking wins (postpaid billing charges `present`)."""

    activity_id = fields.UUID(required=True)
    activity_name = fields.String(required=True)
    activity_type = fields.String(required=True, validate=validate.OneOf(ACTIVITY_TYPES))
    site = fields.String(required=True)
    date = fields.Date(required=True)
    recorded_by = fields.UUID(required=True)
    marks = fields.List(fields.Nested(_AttendanceMark), required=True)


@event_type("booking.AbsenceJustified")
class AbsenceJustified(_ChildActivity):
    """Staff accepted a family's justification of an absence on a booked day: not charged."""

    absence_id = fields.UUID(required=True)
    booking_id = fields.UUID(required=True)
    date = fields.Date(required=True)
    late = fields.Boolean(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(ABSENCE_REASONS))
    note = fields.String(required=True, allow_none=True)
    decided_by = fields.UUID(required=True)


@event_type("booking.AbsenceRefused")
class AbsenceRefused(_ChildActivity):
    """Staff refused a family's justification of an absence (the day stays chargeable), with
    the reason to tell the family."""

    absence_id = fields.UUID(required=True)
    booking_id = fields.UUID(required=True)
    date = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(ABSENCE_REASONS))
    decision_reason = fields.String(required=True)
    decided_by = fields.UUID(required=True)


# --- billing ----------------------------------------------------------------------------
class _BillingDocument(_Payload):
    """A numbered document of a régie for a payer (the household, until payers split)."""

    regie_id = fields.UUID(required=True)
    regie_name = fields.String(required=True)
    household_id = fields.UUID(required=True)
    payer_id = fields.UUID(required=True)
    payer_account_id = fields.UUID(
        required=False,
        allow_none=True,
        load_default=None,
        metadata={
            "description": "the account of a separated parent who pays this document alone; "
            "null: the household's guardians"
        },
    )
    number = fields.String(required=True)
    issue_date = fields.Date(required=True)
    total_cents = fields.Integer(required=True)


@event_type("billing.InvoiceIssued")
class InvoiceIssued(_BillingDocument):
    """An invoice was finalised (a prepaid basket, or a postpaid campaign): notify tells the
    household's accounts that it is available, with the amount due and the due date.
    `amount_due_cents` is the total less the credit notes deducted from it."""

    invoice_id = fields.UUID(required=True)
    origin = fields.String(required=True, validate=validate.OneOf(["basket", "campaign"]))
    basket_id = fields.UUID(required=True, allow_none=True)
    campaign_id = fields.UUID(required=True, allow_none=True)
    due_date = fields.Date(required=True)
    credit_cents = fields.Integer(required=True)
    amount_due_cents = fields.Integer(required=True)


@event_type("billing.CreditNoteIssued")
class CreditNoteIssued(_BillingDocument):
    """A credit note was issued (prepaid days cancelled before the deadline); it is deducted
    from the payer's next invoice of the régie."""

    credit_note_id = fields.UUID(required=True)
    reason = fields.String(required=True)
    invoice_ids = fields.List(fields.UUID(), required=True)  # the invoices whose days it credits


# --- billing: payments, wallet, direct debit, reminders ------------------------------------
PAYMENT_METHODS = ("card", "cash", "cheque", "cesu", "ancv", "transfer", "direct_debit", "wallet")


class _PaymentAllocation(_Payload):
    invoice_id = fields.UUID(required=True)
    invoice_number = fields.String(required=True)
    basket_id = fields.UUID(required=True, allow_none=True)
    amount_cents = fields.Integer(required=True)
    remaining_cents = fields.Integer(required=True)  # what the invoice still owes after it


@event_type("billing.PaymentReceived")
class PaymentReceived(_Payload):
    """Money received for a payer (card, counter, direct debit, wallet), spread over its
    invoices oldest first; what exceeds them stays as the payer's credit (`credit_cents`).
    notify emails the receipt; booking confirms the baskets held until paid."""

    payment_id = fields.UUID(required=True)
    regie_id = fields.UUID(required=True)
    regie_name = fields.String(required=True)
    household_id = fields.UUID(required=True)
    payer_id = fields.UUID(required=True)
    payer_account_id = fields.UUID(required=False, allow_none=True, load_default=None)
    number = fields.String(required=True)  # the receipt's number (gapless per régie and year)
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    amount_cents = fields.Integer(required=True, validate=validate.Range(min=1))
    received_on = fields.Date(required=True)
    allocations = fields.List(fields.Nested(_PaymentAllocation), required=True)
    credit_cents = fields.Integer(required=True)


@event_type("billing.PaymentRefused")
class PaymentRefused(_Payload):
    """An online payment ended without money: refused by the bank, abandoned by the family,
    or never confirmed in time. Its invoices stay unpaid; booking releases the baskets held
    for it."""

    transaction_id = fields.UUID(required=True)
    regie_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    payer_account_id = fields.UUID(required=False, allow_none=True, load_default=None)
    amount_cents = fields.Integer(required=True)
    invoice_ids = fields.List(fields.UUID(), required=True)
    basket_ids = fields.List(fields.UUID(), required=True)
    outcome = fields.String(
        required=True, validate=validate.OneOf(["refused", "cancelled", "expired"])
    )


@event_type("billing.ActivityPaymentSet")
class ActivityPaymentSet(_Payload):
    """How an activity is paid, set by staff in billing: `invoice` (invoiced, paid later),
    `at_booking` (the basket's places are held `hold_minutes` while the family pays) or
    `wallet` (paid from the household's prepaid wallet when the basket is validated).
    booking keeps it to hold the places and to refuse wallet activities to households
    without an active wallet."""

    activity_id = fields.UUID(required=True)
    payment = fields.String(required=True, validate=validate.OneOf(ACTIVITY_PAYMENTS))
    hold_minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=1440))


@event_type("billing.WalletActivated")
class WalletActivated(_Payload):
    """A household activated its prepaid wallet ("tirelire") [003]."""

    household_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True, allow_none=True)
    balance_cents = fields.Integer(required=True)


@event_type("billing.WalletCredited")
class WalletCredited(_Payload):
    """Money added to a household's wallet: a card top-up, or a refund of cancelled days."""

    household_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True, allow_none=True)
    movement_id = fields.UUID(required=True)
    amount_cents = fields.Integer(required=True, validate=validate.Range(min=1))
    balance_cents = fields.Integer(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["top_up", "refund", "staff"]))


class _WalletBasket(_Payload):
    household_id = fields.UUID(required=True)
    basket_id = fields.UUID(required=True)
    booking_ids = fields.List(fields.UUID(), required=True)
    amount_cents = fields.Integer(required=True)
    balance_cents = fields.Integer(required=True)  # the wallet's balance after the answer


@event_type("billing.WalletDebited")
class WalletDebited(_WalletBasket):
    """The saga's yes: the wallet paid these held days (`invoice_id`: their invoice, paid);
    booking confirms them."""

    invoice_id = fields.UUID(required=True, allow_none=True)


@event_type("billing.WalletDebitRefused")
class WalletDebitRefused(_WalletBasket):
    """The saga's no: the wallet cannot pay these held days; booking releases them and the
    family is told why [003 §10.2]. Nothing was debited."""

    reason = fields.String(
        required=True, validate=validate.OneOf(["insufficient_balance", "wallet_inactive"])
    )


class _Mandate(_Payload):
    mandate_id = fields.UUID(required=True)
    regie_id = fields.UUID(required=True)
    regie_name = fields.String(required=True)
    household_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True, allow_none=True)  # the guardian who signs
    rum = fields.String(required=True)  # the mandate's unique reference
    holder = fields.String(required=True)
    iban_masked = fields.String(required=True)  # FR76 **** **** **** **** **** 189


@event_type("billing.MandateRequested")
class MandateRequested(_Mandate):
    """A guardian registered a direct-debit mandate online: notify emails it for signature
    (`signature_url`, valid until `expires_at`) [000]."""

    signature_url = fields.Url(required=True, require_tld=False)
    expires_at = fields.AwareDateTime(required=True)


@event_type("billing.MandateActivated")
class MandateActivated(_Mandate):
    """A mandate is signed (online by the family, or on paper recorded by staff); it applies
    from the next invoice."""

    signed_on = fields.Date(required=True)
    recorded_by = fields.String(required=True, validate=validate.OneOf(["family", "staff"]))


@event_type("billing.MandateSuspended")
class MandateSuspended(_Mandate):
    """After its second rejection a mandate is suspended [000]: the family pays otherwise."""

    rejections = fields.Integer(required=True)


@event_type("billing.MandateRevoked")
class MandateRevoked(_Mandate):
    revoked_by = fields.String(required=True, validate=validate.OneOf(["family", "staff"]))


class _DirectDebit(_Mandate):
    payer_account_id = fields.UUID(required=False, allow_none=True, load_default=None)
    invoice_id = fields.UUID(required=True)
    invoice_number = fields.String(required=True)
    amount_cents = fields.Integer(required=True)
    collection_date = fields.Date(required=True)


@event_type("billing.DirectDebitAnnounced")
class DirectDebitAnnounced(_DirectDebit):
    """The pre-notification: an invoice will be debited on `collection_date` [000]."""


@event_type("billing.DirectDebitRejected")
class DirectDebitRejected(_DirectDebit):
    """The bank rejected a debit: the invoice is unpaid again, the family is told."""

    reason_code = fields.String(required=True)  # ISO 20022 (AC04, AM04, MD06, ...)
    reason_label = fields.String(required=True)  # in French
    rejections = fields.Integer(required=True)  # of this mandate so far


@event_type("billing.InvoiceReminded")
class InvoiceReminded(_BillingDocument):
    """An unpaid invoice past its due date: reminder number `level` of the régie's schedule."""

    invoice_id = fields.UUID(required=True)
    due_date = fields.Date(required=True)
    amount_due_cents = fields.Integer(required=True)
    level = fields.Integer(required=True, validate=validate.Range(min=1))
    last = fields.Boolean(required=True)  # after it, the invoice may go to recovery


# --- booking: places held until paid -------------------------------------------------------
@event_type("booking.BookingHoldReleased")
class BookingHoldReleased(_ChildActivity):
    """Days held for payment were released (the next on the waiting list promoted): not paid
    in time, payment refused, or the wallet could not pay. billing credits anything invoiced
    for them; notify tells the family why."""

    basket_id = fields.UUID(required=True)
    dates = fields.List(fields.Nested(_BookedDay), required=True)
    reason = fields.String(
        required=True,
        validate=validate.OneOf(
            ["payment_expired", "payment_refused", "insufficient_balance", "wallet_inactive"]
        ),
    )


# --- booking: enrollment campaigns and renewals (issue 16) ---------------------------------
class _RenewalIneligible(_Payload):
    name = fields.String(required=True)  # the new activity
    reason = fields.String(required=True)  # why the child no longer fits it (French)


class _RenewedChild(_Payload):
    child_id = fields.UUID(required=True)
    first_name = fields.String(required=True)
    activities = fields.List(fields.String(), required=True)  # proposed again
    ineligible = fields.List(fields.Nested(_RenewalIneligible), required=True)


@event_type("booking.RenewalsProposed")
class RenewalsProposed(_Payload):
    """Last year's enrollments of a household proposed again in the new campaign (one event
    per household given new proposals): notify emails its accounts, with the window in which
    to confirm them."""

    household_id = fields.UUID(required=True)
    campaign_id = fields.UUID(required=True)
    campaign_name = fields.String(required=True)
    school_year = fields.String(required=True)
    opens_on = fields.Date(required=True)
    closes_on = fields.Date(required=True)
    children = fields.List(fields.Nested(_RenewedChild), required=True)


@event_type("booking.RenewalAnswered")
class RenewalAnswered(_Payload):
    """A family (or staff for it) confirmed a renewal (`enrollment_id`: the enrollment made)
    or declined it."""

    renewal_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    child_id = fields.UUID(required=True)
    activity_id = fields.UUID(required=True)
    answer = fields.String(required=True, validate=validate.OneOf(["confirm", "decline"]))
    enrollment_id = fields.UUID(required=True, allow_none=True)


# --- booking: fair opening (issue 18) -------------------------------------------------------
class _AllocatedChild(_Payload):
    child_id = fields.UUID(required=True)
    first_name = fields.String(required=True)
    booked_dates = fields.List(fields.Date(), required=True)
    waiting_dates = fields.List(fields.Date(), required=True)


@event_type("booking.AllocationDecided")
class AllocationDecided(_Payload):
    """An opening window was allocated: one event per household that had a request, with its
    place in the draw (`level`, 1 the highest priority, and `level_label` the town's words;
    `rank`, its order in the whole allocation, 1 first) and each child's days given and put
    on the waiting list. notify emails the household's accounts. The confirmed days are
    also announced, for billing, by ReservationValidated events carrying `window_id`."""

    window_id = fields.UUID(required=True)
    window_name = fields.String(required=True)
    request_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    activity_id = fields.UUID(required=True)
    activity_name = fields.String(required=True)
    level = fields.Integer(required=True)
    level_label = fields.String(required=True)
    rank = fields.Integer(required=True)
    entries = fields.Integer(required=True)  # requests in the draw
    children = fields.List(fields.Nested(_AllocatedChild), required=True)


@event_type("booking.PlaceOffered")
class PlaceOffered(_ChildActivity):
    """A place freed up on a day of an activity whose waiting list works by offers: the next
    waiting child is offered it until `expires_at`. notify emails the household's accounts
    with `accept_url`, a signed single-use link that accepts without logging in."""

    offer_id = fields.UUID(required=True)
    booking_id = fields.UUID(required=True)
    date = fields.Date(required=True)
    expires_at = fields.AwareDateTime(required=True)
    accept_url = fields.Url(required=True, require_tld=False)


@event_type("booking.OfferLapsed")
class OfferLapsed(_ChildActivity):
    """An offer was declined or expired unanswered (`reason`): the child stays on the waiting
    list, behind, and the place passes to the next child. notify tells the family."""

    offer_id = fields.UUID(required=True)
    booking_id = fields.UUID(required=True)
    date = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["declined", "expired"]))


class _ReminderDay(_Payload):
    date = fields.Date(required=True)
    activity_name = fields.String(required=True)


@event_type("booking.BookingReminderDue")
class BookingReminderDue(_Payload):
    """A household with approved enrollments booked nothing for next week's days of them and
    the booking deadline is near: one reminder per household and week (notify emails the
    accounts that did not opt out)."""

    household_id = fields.UUID(required=True)
    week_from = fields.Date(required=True)
    week_to = fields.Date(required=True)
    deadline = fields.AwareDateTime(required=True)  # the first day's booking deadline
    days = fields.List(fields.Nested(_ReminderDay), required=True)


@event_type("booking.BasketReminderDue")
class BasketReminderDue(_Payload):
    """A basket was left open, not validated, and the booking deadline of its first day is
    near: one reminder per basket to the account that filled it."""

    household_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    basket_id = fields.UUID(required=True)
    deadline = fields.AwareDateTime(required=True)
    lines = fields.Integer(required=True)

-- Places held until paid (issue 12). billing says how an activity is paid
-- (billing.ActivityPaymentSet) and which households have an active prepaid wallet
-- (billing.WalletActivated); the days of `at_booking` and `wallet` activities take their
-- place when the basket is validated, held until billing confirms the payment, and are
-- released (the waiting list moving up) when it does not come.

-- How each activity is paid, as billing last said (`version_at`: the event's occurred_at; an
-- older event arriving later changes nothing). Kept even for an activity booking does not
-- know (yet): it is copied onto the activity when the activity is created.
CREATE TABLE activity_payments (
    activity_id  uuid NOT NULL,
    tenant       text NOT NULL,
    payment      text NOT NULL CHECK (payment IN ('invoice', 'at_booking', 'wallet')),
    hold_minutes integer NOT NULL CHECK (hold_minutes BETWEEN 1 AND 1440),
    version_at   timestamptz NOT NULL,
    PRIMARY KEY (activity_id, tenant)
);

-- The copy the rules read, on the activity's own row: an update gives the row a new version,
-- so the validations' cache of parsed activities (keyed by row version) sees it, and the
-- rush's read of a basket stays as it was (no join).
ALTER TABLE activities
    ADD COLUMN payment text NOT NULL DEFAULT 'invoice'
        CHECK (payment IN ('invoice', 'at_booking', 'wallet')),
    ADD COLUMN hold_minutes integer NOT NULL DEFAULT 30 CHECK (hold_minutes BETWEEN 1 AND 1440);

-- Households whose prepaid wallet ("tirelire") is active [003].
CREATE TABLE wallets (
    tenant       text NOT NULL,
    household_id uuid NOT NULL,
    activated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, household_id)
);

-- A booking taken while its payment is pending: `payment` how (at_booking, wallet), `hold`
-- where it stands (held: the place is taken and counted; confirmed: paid; released: not
-- paid, the booking cancelled, `cancel_reason` says why; cancelled: the family or staff
-- cancelled it while it was held), `held_until` when an unpaid at_booking hold ends,
-- `hold_settled_at` when it was settled. NULL for every other booking (invoiced, or
-- promoted from the waiting list).
ALTER TABLE bookings
    ADD COLUMN payment text CHECK (payment IN ('at_booking', 'wallet')),
    ADD COLUMN hold text CHECK (hold IN ('held', 'confirmed', 'released', 'cancelled')),
    ADD COLUMN held_until timestamptz,
    ADD COLUMN hold_settled_at timestamptz,
    ADD CONSTRAINT bookings_hold_payment CHECK ((hold IS NULL) = (payment IS NULL));
-- Partial indexes: the bookings of the rush (no hold) never enter them.
CREATE INDEX bookings_hold_basket ON bookings (basket_id) WHERE hold IS NOT NULL;
CREATE INDEX bookings_hold_due ON bookings (held_until)
    WHERE hold = 'held' AND payment = 'at_booking';

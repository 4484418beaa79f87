-- Waiting lists by offers (issue 18): where the town chooses so, a freed place is offered to
-- the next waiting child for a while instead of being booked at once. The place is counted
-- in activity_days.booked while its offer is open, so no other validation can take it.
ALTER TABLE activities
    ADD COLUMN waiting_list_mode text NOT NULL DEFAULT 'automatic'
        CHECK (waiting_list_mode IN ('automatic', 'offer')),
    ADD COLUMN offer_hours integer NOT NULL DEFAULT 24 CHECK (offer_hours BETWEEN 1 AND 168);

-- One offer of a day's place to a waiting booking. The emailed accept link carries a random
-- token; only its SHA-256 is kept (a leaked row cannot be replayed), as for calendar feeds.
CREATE TABLE offers (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    activity_id  uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    day          date NOT NULL,
    booking_id   uuid NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    household_id uuid NOT NULL,
    child_id     uuid NOT NULL,
    status       text NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'accepted', 'declined', 'expired', 'void')),
    offered_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL CHECK (expires_at > offered_at),
    answered_at  timestamptz,
    answered_by  uuid,  -- the account that answered; NULL: by the emailed link, or lapsed
    token_hash   bytea NOT NULL UNIQUE,
    seq          bigserial NOT NULL  -- the chain's order on a day
);
-- At most one open offer per waiting booking.
CREATE UNIQUE INDEX offers_open_booking ON offers (booking_id) WHERE status = 'open';
-- The sweeper: open offers past their expiry.
CREATE INDEX offers_expiry ON offers (status, expires_at);
CREATE INDEX offers_day ON offers (activity_id, day, seq);
CREATE INDEX offers_household ON offers (tenant, household_id, offered_at);

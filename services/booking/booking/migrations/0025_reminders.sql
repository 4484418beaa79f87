-- Deadline nudges (issue 18): each reminder emitted once. `key` names what it is about: the
-- household and the week ('<household_id>:<week_from>') for 'week', the basket's id for
-- 'basket'. The row is written in the transaction that puts the event in the outbox
-- (INSERT ... ON CONFLICT DO NOTHING): two processes running the job emit it once.
CREATE TABLE reminders_sent (
    kind    text NOT NULL CHECK (kind IN ('week', 'basket')),
    key     text NOT NULL,
    tenant  text NOT NULL,
    sent_at timestamptz NOT NULL,
    PRIMARY KEY (kind, key)
);

-- The job looks at the open baskets of families only: a partial index keeps that read small
-- however many validated baskets pile up.
CREATE INDEX baskets_open ON baskets (id) WHERE status = 'open' AND NOT by_staff;

-- Booking emails.
--
-- A validated basket gives one booking event per child and activity; the family gets one
-- recap per basket. The events of a basket are gathered into one open email per (basket,
-- account): `group_key` names the basket, `group_open` is true until the dispatcher first
-- claims the email (it is sent a short grace after the last event gathered). An event of the
-- basket arriving after that gets an email of its own.
ALTER TABLE emails ADD COLUMN group_key text;
ALTER TABLE emails ADD COLUMN group_open boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX emails_open_group ON emails (tenant, group_key, account_id) WHERE group_open;

-- Exactly once per (event, account) for the gathered emails: which email carries an event's
-- part for an account (an event redelivered finds its row and adds nothing).
CREATE TABLE email_events (
    event_id    uuid NOT NULL,
    account_id  uuid NOT NULL,
    email_id    uuid NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, account_id)
);
CREATE INDEX email_events_by_email ON email_events (email_id);

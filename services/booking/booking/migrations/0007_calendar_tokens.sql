-- Private iCalendar feeds: one live token per child, kept only as its SHA-256 (the token is
-- the secret of the feed's URL, shown once to the family).
CREATE TABLE calendar_tokens (
    token_hash   bytea PRIMARY KEY,
    tenant       text NOT NULL,
    child_id     uuid NOT NULL REFERENCES children (id) ON DELETE CASCADE,
    household_id uuid NOT NULL,
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE UNIQUE INDEX calendar_tokens_live ON calendar_tokens (child_id) WHERE revoked_at IS NULL;

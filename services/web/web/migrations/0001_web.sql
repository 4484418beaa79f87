-- The portal's sessions: the browser holds only an opaque random id (its SHA-256 is stored,
-- never the id itself); the tokens identity issued stay here, server-side.
CREATE TABLE sessions (
    id_hash          bytea PRIMARY KEY,
    tenant           text NOT NULL,
    account_id       uuid,
    email            text,             -- the account's, for the bank's receipt
    csrf_token       text NOT NULL,
    access_token     text,
    access_expires   timestamptz,
    refresh_token    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Whether identity disabled an account (identity.AccountDisabled / AccountEnabled): each
-- service refuses a disabled account's access tokens at once instead of when they expire.
-- The event reaches one process of a service; the others re-read this table
-- (shared/disabled_accounts.py). `changed_at` is the event's time: an older event arriving
-- late (a retry) never undoes a newer one.
CREATE TABLE account_access (
    account_id uuid PRIMARY KEY,
    tenant     text NOT NULL,
    disabled   boolean NOT NULL,
    changed_at timestamptz NOT NULL
);
CREATE INDEX account_access_disabled ON account_access (account_id) WHERE disabled;

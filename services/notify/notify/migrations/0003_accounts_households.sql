-- Read models for the events addressed to accounts and households rather than to an address.

-- The latest address and name of each account, from identity's events (every identity event
-- carries the account's current email). `seen_at` is the occurred_at of the event that set the
-- row: an older event delivered late does not bring back an old address.
CREATE TABLE accounts (
    tenant        text NOT NULL,
    account_id    uuid NOT NULL,
    email         text NOT NULL,
    display_name  text NOT NULL,
    seen_at       timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, account_id)
);

-- Which accounts are linked to which household (family.HouseholdLinked): a household event
-- reaches every linked account.
CREATE TABLE household_members (
    tenant        text NOT NULL,
    household_id  uuid NOT NULL,
    account_id    uuid NOT NULL,
    linked_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant, household_id, account_id)
);

-- An email addressed to an account (by_account) has its address resolved by the dispatcher
-- from `accounts` at each attempt, so it goes to the latest known address; until the address
-- is known its recipient is NULL. Exactly once: per (event, address) for the emails addressed
-- to an address, per (event, account) for those addressed to an account.
ALTER TABLE emails ADD COLUMN by_account boolean NOT NULL DEFAULT false;
ALTER TABLE emails ALTER COLUMN recipient DROP NOT NULL;
ALTER TABLE emails ADD CONSTRAINT emails_addressed
    CHECK (by_account AND account_id IS NOT NULL OR NOT by_account AND recipient IS NOT NULL);
ALTER TABLE emails DROP CONSTRAINT emails_once;
CREATE UNIQUE INDEX emails_once ON emails (event_id, recipient) WHERE NOT by_account;
CREATE UNIQUE INDEX emails_once_per_account ON emails (event_id, account_id) WHERE by_account;
CREATE INDEX emails_awaiting_address ON emails (tenant, account_id)
    WHERE by_account AND status = 'queued';

-- An account's address arriving wakes the dispatcher (its waiting emails are made due by the
-- handler, in the same transaction).
CREATE TRIGGER accounts_notify AFTER INSERT OR UPDATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION emails_notify();

-- The guardians of imported households invited by a family onboarding run: one account per
-- guardian, never invited twice (a request sent again is answered with the same account).
CREATE TABLE guardian_invitations (
    tenant       text NOT NULL,
    guardian_id  uuid NOT NULL,
    household_id uuid NOT NULL,
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    invited_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, guardian_id)
);

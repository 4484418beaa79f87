-- Onboarding runs: staff invite the guardians of imported households in one action; identity
-- creates each account already linked and emails its invitation. One row per guardian of the
-- run: pending (asked), invited (account created and linked), skipped (with the reason).
CREATE TABLE onboarding_runs (
    id         uuid PRIMARY KEY,
    tenant     text NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX onboarding_runs_tenant ON onboarding_runs (tenant, created_at DESC);

CREATE TABLE onboarding_guardians (
    run_id       uuid NOT NULL REFERENCES onboarding_runs (id) ON DELETE CASCADE,
    tenant       text NOT NULL,
    household_id uuid NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    guardian_id  uuid NOT NULL REFERENCES guardians (id) ON DELETE CASCADE,
    name         text NOT NULL,
    email        text,
    state        text NOT NULL CHECK (state IN ('pending', 'invited', 'skipped')),
    reason       text CHECK (reason IN ('no_email', 'bad_email', 'duplicate_email',
                                        'email_taken', 'already_invited',
                                        'household_anonymised')),
    account_id   uuid,
    requested_at timestamptz,
    answered_at  timestamptz,
    position     integer NOT NULL,
    PRIMARY KEY (run_id, guardian_id),
    CHECK ((state = 'skipped') = (reason IS NOT NULL))
);
-- Never twice: a guardian is pending or invited in one run at most.
CREATE UNIQUE INDEX onboarding_guardians_once ON onboarding_guardians (tenant, guardian_id)
    WHERE state IN ('pending', 'invited');
CREATE INDEX onboarding_guardians_run ON onboarding_guardians (run_id, position);

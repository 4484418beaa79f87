-- The household file ("dossier famille"): one row per household of a tenant.
CREATE TABLE households (
    id              uuid PRIMARY KEY,
    tenant          text NOT NULL,
    subscriber_code text NOT NULL,  -- normalised (no dash), unique per tenant
    address         jsonb NOT NULL DEFAULT '{}',
    phones          jsonb NOT NULL DEFAULT '[]',
    created_by      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, subscriber_code)
);
CREATE INDEX households_tenant_created ON households (tenant, created_at, id);

-- Accounts linked to a household (each parent has their own login); one household per account.
CREATE TABLE household_accounts (
    tenant       text NOT NULL,
    account_id   uuid NOT NULL,
    household_id uuid NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    linked_by    text NOT NULL CHECK (linked_by IN ('subscriber_code', 'staff')),
    linked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, account_id)
);
CREATE INDEX household_accounts_household ON household_accounts (household_id);

-- Wrong subscriber codes, per account (throttling); old rows are useless after the window.
CREATE TABLE link_failures (
    tenant     text NOT NULL,
    account_id uuid NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX link_failures_account ON link_failures (tenant, account_id, failed_at);

CREATE TABLE guardians (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    household_id uuid NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    first_name   text NOT NULL,
    last_name    text NOT NULL,
    birth_date   date,
    relationship text,
    email        text,
    phones       jsonb NOT NULL DEFAULT '[]',
    address      jsonb,          -- NULL: the household's address
    employer     text,
    fiscal       jsonb,          -- reference income, number of shares
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX guardians_household ON guardians (household_id, created_at);
CREATE INDEX guardians_search ON guardians (tenant, lower(last_name), lower(first_name));
CREATE INDEX guardians_email ON guardians (tenant, lower(email));

CREATE TABLE children (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    household_id uuid NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    first_name   text NOT NULL,
    last_name    text NOT NULL,
    birth_date   date NOT NULL,
    sex          text CHECK (sex IN ('F', 'M')),
    school       text,
    grade        text,
    diet         text NOT NULL DEFAULT 'standard',
    image_rights boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX children_household ON children (household_id, birth_date);
CREATE INDEX children_search ON children (tenant, lower(last_name), lower(first_name));

-- Authorised pick-up persons and emergency contacts, per child.
CREATE TABLE contacts (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    household_id uuid NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    child_id     uuid NOT NULL REFERENCES children (id) ON DELETE CASCADE,
    first_name   text NOT NULL,
    last_name    text NOT NULL,
    phone        text NOT NULL,
    relationship text NOT NULL,
    can_pick_up  boolean NOT NULL DEFAULT false,
    emergency    boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_child ON contacts (child_id, created_at);

-- Health records ("fiche sanitaire"): only ciphertext (AES-GCM) and the id of its key.
CREATE TABLE health_records (
    child_id     uuid PRIMARY KEY REFERENCES children (id) ON DELETE CASCADE,
    tenant       text NOT NULL,
    household_id uuid NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    key_id       text NOT NULL,
    sealed       bytea NOT NULL,
    updated_by   uuid NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Every read of a health record by staff: who, when, which child (the family sees it).
CREATE TABLE health_access_log (
    id           bigserial PRIMARY KEY,
    tenant       text NOT NULL,
    household_id uuid NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    child_id     uuid NOT NULL,
    account_id   uuid NOT NULL,
    roles        text[] NOT NULL,
    purpose      text NOT NULL,
    accessed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX health_access_log_household ON health_access_log (household_id, accessed_at);

-- Family quotient history: rows are never changed, a new value is a new row.
CREATE TABLE quotients (
    id           uuid PRIMARY KEY,
    seq          bigserial NOT NULL,
    tenant       text NOT NULL,
    household_id uuid NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    value        integer NOT NULL CHECK (value >= 0),
    source       text NOT NULL CHECK (source IN ('caf', 'msa', 'declared', 'staff')),
    valid_from   date NOT NULL,
    valid_until  date CHECK (valid_until IS NULL OR valid_until >= valid_from),
    recorded_by  uuid NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quotients_household ON quotients (household_id, valid_from, seq);

-- Changes proposed by families, waiting for staff. Health changes are sealed, never plain.
CREATE TABLE pending_changes (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    household_id uuid NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    entity       text NOT NULL CHECK (entity IN ('household', 'guardian', 'child', 'contact',
                                                 'health', 'quotient')),
    operation    text NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
    entity_id    uuid,           -- the row changed (NULL for a creation)
    parent_id    uuid,           -- the child of a contact or health record
    label        text NOT NULL DEFAULT '',
    before       jsonb,
    proposed     jsonb,
    key_id       text,
    sealed       bytea,          -- {"before", "proposed"} of a health change, encrypted
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'approved', 'rejected')),
    submitted_by uuid NOT NULL,
    submitted_at timestamptz NOT NULL DEFAULT now(),
    decided_by   uuid,
    decided_at   timestamptz,
    reason       text,
    result_id    uuid            -- the row created by an approved creation
);
CREATE INDEX pending_changes_tenant ON pending_changes (tenant, status, submitted_at, id);
CREATE INDEX pending_changes_household ON pending_changes (household_id, submitted_at);

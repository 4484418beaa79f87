-- Municipalities (tenants): the slug is used in URLs, events and tokens.
CREATE TABLE tenants (
    slug                text PRIMARY KEY,
    display_name        text NOT NULL,
    contact_email       text NOT NULL,
    contact_phone       text NOT NULL DEFAULT '',
    password_min_length integer NOT NULL DEFAULT 8 CHECK (password_min_length BETWEEN 8 AND 64),
    terms_version       integer CHECK (terms_version >= 1),  -- NULL: no terms to accept
    terms_url           text,
    terms_text          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- One login of one tenant; the same email in two tenants is two accounts.
CREATE TABLE accounts (
    id                     uuid PRIMARY KEY,
    tenant                 text NOT NULL REFERENCES tenants (slug),
    email                  text NOT NULL,  -- stored lower-cased
    display_name           text NOT NULL,
    roles                  text[] NOT NULL CHECK (roles <@ ARRAY['family', 'staff', 'admin']
                                                  AND cardinality(roles) > 0),
    -- pending: signed up, email not confirmed; invited: no password chosen yet
    status                 text NOT NULL CHECK (status IN ('pending', 'invited', 'active',
                                                           'disabled')),
    password_hash          text,
    must_change_password   boolean NOT NULL DEFAULT false,
    household_id           uuid,
    terms_accepted_version integer,
    terms_accepted_at      timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    activated_at           timestamptz,
    password_changed_at    timestamptz,
    UNIQUE (tenant, email)
);
-- Login by the part of the email before the @ (when unique in the tenant).
CREATE INDEX accounts_local_part ON accounts (tenant, split_part(email, '@', 1));
CREATE INDEX accounts_tenant_created ON accounts (tenant, created_at, id);

-- Single-use links (activation, invitation, password reset, email change): only the digest.
CREATE TABLE link_tokens (
    digest     text PRIMARY KEY,
    purpose    text NOT NULL,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tenant     text NOT NULL,
    new_email  text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz  -- superseded by a newer link of the same purpose
);
CREATE INDEX link_tokens_account ON link_tokens (account_id, purpose);

-- Refresh tokens: rotated at each use; a family is one login session's chain.
CREATE TABLE refresh_tokens (
    digest     text PRIMARY KEY,
    family_id  uuid NOT NULL,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tenant     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_account ON refresh_tokens (account_id) WHERE revoked_at IS NULL;

-- Failed-login counters per key ("account:<id>", "login:<text>", "address:<ip>").
CREATE TABLE login_throttle (
    tenant           text NOT NULL,
    key              text NOT NULL,
    failures         integer NOT NULL,
    last_failure_at  timestamptz NOT NULL,
    lock_notified_at timestamptz,
    PRIMARY KEY (tenant, key)
);

-- Solved captchas, remembered until their challenge expires (no replay).
CREATE TABLE captcha_replays (
    replay_key text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

-- Token signing keys; the private key is AES-GCM encrypted (nonce || ciphertext).
CREATE TABLE signing_keys (
    kid                   text PRIMARY KEY,
    encrypted_private_key bytea NOT NULL,
    created_at            timestamptz NOT NULL,
    retire_after          timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys ((true)) WHERE retire_after IS NULL;

-- Who did what, when, from where: readable by the tenant's admin.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    tenant     text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    action     text NOT NULL,
    account_id uuid,
    actor_id   uuid,
    login      text,
    ip         text,
    user_agent text,
    details    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant, id DESC);

-- Forgotten-password and activation-resend requests, for known and unknown emails alike:
-- both answers do the same work, and the throttle counts them per email and per address.
CREATE TABLE link_requests (
    id        bigserial PRIMARY KEY,
    tenant    text NOT NULL,
    purpose   text NOT NULL,  -- password-reset | activation
    email     text NOT NULL,
    ip        text NOT NULL,
    at        timestamptz NOT NULL,
    throttled boolean NOT NULL  -- over a limit: nothing was sent
);
CREATE INDEX link_requests_email ON link_requests (tenant, purpose, email, at);
CREATE INDEX link_requests_ip ON link_requests (tenant, purpose, ip, at);
CREATE INDEX link_requests_at ON link_requests (at);

-- Two-phase key rotation: a new key is published first and signs from activates_at.
ALTER TABLE signing_keys ADD COLUMN activates_at timestamptz;
UPDATE signing_keys SET activates_at = created_at;
ALTER TABLE signing_keys ALTER COLUMN activates_at SET NOT NULL;

-- Idempotency-Key (shared/http/idempotency.py), as in the other services: the first answer
-- to each caller's key, kept 24 hours, given again to the same request sent again. `status`
-- NULL: the first request is still running (a second one gets 409 until it is done, or at
-- once its retry once `owner_pid`, the connection that claimed it, is gone). The key is kept
-- as a digest, and the answer's body sealed with a key derived from the client's.
CREATE TABLE idempotency_keys (
    caller      text NOT NULL,          -- tenant|account (`-`: no token)
    key         text NOT NULL,          -- sha256 of the caller and the key
    fingerprint text NOT NULL,          -- HMAC (by the key) of the method, path and body
    status      integer,
    headers     jsonb,
    body        bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    owner_pid   integer,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

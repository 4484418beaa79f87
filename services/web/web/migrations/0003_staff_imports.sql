-- A household file an agent uploaded to /gestion/imports, kept an hour between its preview
-- and its import so that it is not sent twice: bound to the agent's session and the town,
-- named by a random id. `committed_at` is set when the import starts: never twice.
CREATE TABLE staff_imports (
    id            text PRIMARY KEY,
    tenant        text NOT NULL,
    session_hash  bytea NOT NULL,
    filename      text NOT NULL,
    content       bytea NOT NULL,
    preview       jsonb NOT NULL,
    report        jsonb,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    committed_at  timestamptz
);
CREATE INDEX staff_imports_expires ON staff_imports (expires_at);

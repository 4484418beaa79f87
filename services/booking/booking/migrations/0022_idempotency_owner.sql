-- The database connection that claimed a key still running (shared/http/idempotency.py):
-- once it is gone (its process died), the client's retry takes the key over at once.
ALTER TABLE idempotency_keys ADD COLUMN owner_pid integer;

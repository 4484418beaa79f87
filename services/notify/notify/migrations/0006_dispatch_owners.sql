-- Who holds each leased email: the dispatcher's instance number, also the key of the
-- session advisory lock it holds for as long as its process lives. A lease whose owner no
-- longer holds that lock (the process died, its connection with it) is free at once
-- instead of at the end of MAIL_DISPATCH_LEASE_SECONDS.
ALTER TABLE emails ADD COLUMN lease_owner integer;
CREATE INDEX emails_leased ON emails (lease_owner) WHERE status = 'queued' AND lease_owner IS NOT NULL;

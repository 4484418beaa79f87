-- What a municipality offers its families online (issue 16 "per-town features"): a town may
-- turn off families' edits of their household file, online booking, the wallet, direct
-- debit. Changed by an admin (PATCH /tenants/{t}/settings), announced to the services by
-- identity.TenantFeaturesChanged. Everything is on unless the town turns it off.
ALTER TABLE tenants
    ADD COLUMN family_edits   boolean NOT NULL DEFAULT true,
    ADD COLUMN online_booking boolean NOT NULL DEFAULT true,
    ADD COLUMN wallet         boolean NOT NULL DEFAULT true,
    ADD COLUMN direct_debit   boolean NOT NULL DEFAULT true;

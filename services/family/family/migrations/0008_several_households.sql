-- An account may be linked to several households (a guardian of two households, e.g. after
-- a separation): one row per account and household. The token names the current one.
ALTER TABLE household_accounts DROP CONSTRAINT household_accounts_pkey;
ALTER TABLE household_accounts ADD PRIMARY KEY (tenant, account_id, household_id);

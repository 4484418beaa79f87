-- Staff may fill and validate a basket on behalf of a family (at the desk, on the phone).
ALTER TABLE baskets ADD COLUMN by_staff boolean NOT NULL DEFAULT false;

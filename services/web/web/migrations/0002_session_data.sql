-- What a page keeps for the family between requests (the open basket's id, a step still to
-- take after login...): small values by name, never a token or a personal record.
ALTER TABLE sessions ADD COLUMN data jsonb NOT NULL DEFAULT '{}'::jsonb;

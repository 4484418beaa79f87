-- The accounting code of an activity's revenue in the town's finance software (e.g. the
-- M57 nature and function "7067-251"), on every line of the accounting export.
ALTER TABLE activities ADD COLUMN accounting_code text NOT NULL DEFAULT '';

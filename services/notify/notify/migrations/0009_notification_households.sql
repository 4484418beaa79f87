-- A notice about a household's affairs belongs to that household: an account linked to two
-- households (a guardian of both) sees, in each, only that household's notices and those
-- about the account itself (household_id NULL: invitations, password, preferences).
ALTER TABLE notifications ADD COLUMN household_id uuid;

-- An email about a household's affairs remembers that household: the staff's file of a
-- household lists its guardians' emails about it and about their accounts, not those about
-- another household one of them is also a guardian of.
ALTER TABLE emails ADD COLUMN household_id uuid;

-- Issue 16 (guide 004): who may pick a child up, and whom to call in an emergency, carry the
-- date given and by whom, like the town's permissions: set when a contact's flag takes a
-- value (creation, or a change of it), kept while other fields change. Contacts entered
-- before this migration keep NULL: date unknown (« date non renseignée »).
ALTER TABLE contacts
    ADD COLUMN can_pick_up_given_at timestamptz,
    ADD COLUMN can_pick_up_given_by uuid,
    ADD COLUMN emergency_given_at timestamptz,
    ADD COLUMN emergency_given_by uuid;

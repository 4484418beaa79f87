-- Documents an activity requires at enrollment (codes of the family service's document
-- types), and the documents known valid, from family.DocumentValidated / DocumentRejected.
ALTER TABLE activities ADD COLUMN required_documents text[] NOT NULL DEFAULT '{}';

CREATE TABLE documents (
    id             uuid PRIMARY KEY,  -- the family service's document id
    tenant         text NOT NULL,
    household_id   uuid NOT NULL,
    child_id       uuid,              -- null: about the household or a guardian
    member_id      uuid,
    document_type  text NOT NULL,
    document_label text,
    status         text NOT NULL CHECK (status IN ('valid', 'rejected')),
    valid_until    date,              -- null: no end
    version_at     timestamptz NOT NULL
);
CREATE INDEX documents_household ON documents (tenant, household_id, document_type);

-- Children's photos (JPEG or PNG, type read from the content), one per child.
CREATE TABLE child_photos (
    child_id     uuid PRIMARY KEY REFERENCES children (id) ON DELETE CASCADE,
    tenant       text NOT NULL,
    household_id uuid NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size         integer NOT NULL CHECK (size > 0),
    sha256       text NOT NULL,
    content      bytea NOT NULL,
    updated_by   uuid NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- A family's new photo waits for staff like any change; its bytes wait here, apart from the
-- change (lists of changes never load them) and are dropped once the change is decided.
ALTER TABLE pending_changes DROP CONSTRAINT pending_changes_entity_check;
ALTER TABLE pending_changes ADD CONSTRAINT pending_changes_entity_check
    CHECK (entity IN ('household', 'guardian', 'child', 'contact', 'health', 'quotient',
                      'new_household', 'photo'));
CREATE TABLE pending_photos (
    change_id uuid PRIMARY KEY REFERENCES pending_changes (id) ON DELETE CASCADE,
    content   bytea NOT NULL
);

-- The health access log also records staff downloads of health documents (certificat
-- médical): about a child, a guardian, or the household as a whole (no member).
ALTER TABLE health_access_log ALTER COLUMN child_id DROP NOT NULL;
ALTER TABLE health_access_log ADD COLUMN member_kind text
    CHECK (member_kind IN ('guardian', 'child'));
ALTER TABLE health_access_log ADD COLUMN member_id uuid;
ALTER TABLE health_access_log ADD COLUMN document_id uuid;
UPDATE health_access_log SET member_kind = 'child', member_id = child_id
    WHERE child_id IS NOT NULL;

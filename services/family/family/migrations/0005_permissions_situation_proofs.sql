-- Issue 16 (guides 001, 004): permissions per child set by the town, the household's family
-- situation, and proofs required with some changes (at least the address).

-- The town's list of permissions (leaving alone, outings, transport, emergency care, image
-- rights…): seeded with the defaults on first use; the code never changes, an entry is
-- deactivated rather than removed (what was given stays readable).
CREATE TABLE permission_types (
    tenant   text NOT NULL,
    code     text NOT NULL,
    label    text NOT NULL,
    position integer NOT NULL DEFAULT 1000,
    active   boolean NOT NULL DEFAULT true,
    PRIMARY KEY (tenant, code)
);

-- Each child's answer per permission: yes or no, when and by whom it was given (the account
-- of the family whose change staff approved, or of the staff member who entered it).
CREATE TABLE child_permissions (
    tenant     text NOT NULL,
    child_id   uuid NOT NULL REFERENCES children (id) ON DELETE CASCADE,
    code       text NOT NULL,
    granted    boolean NOT NULL,
    given_at   timestamptz NOT NULL,
    given_by   uuid,
    PRIMARY KEY (child_id, code),
    FOREIGN KEY (tenant, code) REFERENCES permission_types (tenant, code)
);

-- children.image_rights becomes the permission "image_rights" (the column stays, kept equal
-- to it, so that ChildOut and ChildUpdated keep their field).
INSERT INTO permission_types (tenant, code, label, position)
SELECT DISTINCT c.tenant, d.code, d.label, d.position
  FROM children c
 CROSS JOIN (VALUES ('sortie_seul', 'Rentrer seul', 1),
                    ('sorties', 'Sorties et activités extérieures', 2),
                    ('transport', 'Transport en car ou minibus', 3),
                    ('soins_urgence', 'Soins et hospitalisation d''urgence', 4),
                    ('image_rights', 'Droit à l''image', 5)) AS d (code, label, position)
ON CONFLICT DO NOTHING;
INSERT INTO child_permissions (tenant, child_id, code, granted, given_at, given_by)
SELECT tenant, id, 'image_rights', image_rights, updated_at, NULL FROM children
ON CONFLICT DO NOTHING;

-- The family situation (guide 001): the guardians' marital status, the custody arrangement,
-- the guardian billed (one of the household's guardians).
ALTER TABLE households
    ADD COLUMN marital_status text CHECK (marital_status IN ('married', 'civil_union',
        'cohabiting', 'separated', 'divorced', 'single', 'widowed')),
    ADD COLUMN custody text CHECK (custody IN ('alternating', 'one_parent', 'other')),
    ADD COLUMN custody_detail text,
    ADD COLUMN billed_guardian_id uuid REFERENCES guardians (id) ON DELETE SET NULL;

-- Proofs: which household fields a family's change must carry a document for (per tenant;
-- no row: the address only), and the document carried by a change (validated with it).
CREATE TABLE proof_settings (
    tenant text PRIMARY KEY,
    fields text[] NOT NULL
);
ALTER TABLE pending_changes ADD COLUMN proof_document_id uuid REFERENCES documents (id)
    ON DELETE SET NULL;

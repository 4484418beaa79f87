-- A régie's logo, printed on its documents (PNG or JPEG, set by staff).
ALTER TABLE regies ADD COLUMN logo bytea;
ALTER TABLE regies ADD COLUMN logo_type text CHECK (logo_type IN ('image/png', 'image/jpeg'));
ALTER TABLE regies ADD CONSTRAINT regies_logo_typed CHECK ((logo IS NULL) = (logo_type IS NULL));

-- Who and what a line is about, as printed (PDF sections per child); a later change or an
-- anonymisation does not alter an issued document.
ALTER TABLE invoice_lines ADD COLUMN child_name text;
ALTER TABLE invoice_lines ADD COLUMN activity_name text;
ALTER TABLE credit_note_lines ADD COLUMN child_name text;
ALTER TABLE credit_note_lines ADD COLUMN activity_name text;

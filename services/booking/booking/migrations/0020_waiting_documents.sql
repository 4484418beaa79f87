-- Documents still waiting for staff join the read model (family.DocumentUploaded): booking
-- knows whose each document is from its upload on, so that an absence names only its own
-- household's. Only valid ones count for enrollments (status = 'valid' everywhere).
ALTER TABLE documents DROP CONSTRAINT documents_status_check;
ALTER TABLE documents ADD CONSTRAINT documents_status_check
    CHECK (status IN ('waiting', 'valid', 'rejected'));

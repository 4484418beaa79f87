-- An import looks for the children already in the file by birth date (then compares names).
CREATE INDEX children_birth_date ON children (tenant, birth_date);

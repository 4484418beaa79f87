-- Whether an activity is childcare for the tax credit certificate (crèche, périscolaire,
-- accueil de loisirs: yes; meals: no, the tax credit excludes them).
ALTER TABLE activities ADD COLUMN childcare boolean NOT NULL DEFAULT true;
UPDATE activities SET childcare = false WHERE unit = 'meal';

CREATE INDEX bookings_child ON bookings (tenant, child_id, day);

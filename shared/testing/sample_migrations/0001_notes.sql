CREATE TABLE notes (
    id         uuid PRIMARY KEY,
    tenant     text NOT NULL,
    text       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- What the consumer applied: one row per applied event (a second row would be a duplicate).
CREATE TABLE applied_notes (
    note_id    uuid NOT NULL,
    event_id   uuid NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- Attendance (pointage): staff mark each booked child of a day. One row per booking; the
-- latest mark wins.
CREATE TABLE attendance (
    booking_id  uuid PRIMARY KEY REFERENCES bookings (id) ON DELETE CASCADE,
    tenant      text NOT NULL,
    activity_id uuid NOT NULL,
    day         date NOT NULL,
    status      text NOT NULL CHECK (status IN ('present', 'absent', 'absent_justified')),
    marked_by   uuid NOT NULL,
    marked_at   timestamptz NOT NULL
);
CREATE INDEX attendance_day ON attendance (activity_id, day);

-- A family justifies an absence on a booked day; staff accept (not charged) or refuse.
CREATE TABLE absences (
    id              uuid PRIMARY KEY,
    tenant          text NOT NULL,
    booking_id      uuid NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    activity_id     uuid NOT NULL,
    child_id        uuid NOT NULL,
    household_id    uuid NOT NULL,
    day             date NOT NULL,
    reason          text NOT NULL,
    note            text,
    document_id     uuid,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'accepted', 'refused')),
    requested_by    uuid NOT NULL,
    requested_at    timestamptz NOT NULL,
    decided_by      uuid,
    decided_at      timestamptz,
    decision_reason text
);
-- At most one live justification per booking (a refused one may be asked again).
CREATE UNIQUE INDEX absences_live ON absences (booking_id) WHERE status <> 'refused';
CREATE INDEX absences_tenant ON absences (tenant, status, requested_at);
CREATE INDEX absences_household ON absences (household_id, day);

-- Renewals (issue 16): last year's approved enrollments proposed again in the new campaign's
-- matching activity, with the child's next grade; the family confirms (an enrollment is
-- made) or declines. `ineligible`: the child no longer fits the new activity (`reason`).
CREATE TABLE renewals (
    id                 uuid PRIMARY KEY,
    tenant             text NOT NULL,
    campaign_id        uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    household_id       uuid NOT NULL,
    child_id           uuid NOT NULL REFERENCES children (id),
    from_activity_id   uuid NOT NULL REFERENCES activities (id),
    activity_id        uuid NOT NULL REFERENCES activities (id),
    from_enrollment_id uuid NOT NULL REFERENCES enrollments (id),
    next_grade         text,
    status             text NOT NULL
                       CHECK (status IN ('proposed', 'ineligible', 'confirmed', 'declined')),
    reason             text,
    enrollment_id      uuid REFERENCES enrollments (id),
    answered_by        uuid,
    answered_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, child_id, activity_id)
);
CREATE INDEX renewals_household ON renewals (campaign_id, household_id);

-- Enrollment campaigns (issue 16): a school year's window in which families enroll their
-- children in the campaign's activities (staff at the desk at any time). Dates are Paris
-- calendar dates, both inclusive.
CREATE TABLE campaigns (
    id                   uuid PRIMARY KEY,
    tenant               text NOT NULL,
    name                 text NOT NULL,
    school_year          text NOT NULL CHECK (school_year ~ '^[0-9]{4}-[0-9]{4}$'),
    opens_on             date NOT NULL,
    closes_on            date NOT NULL CHECK (closes_on >= opens_on),
    description          text,
    previous_campaign_id uuid REFERENCES campaigns (id),
    created_by           uuid NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    archived_at          timestamptz
);
CREATE INDEX campaigns_tenant ON campaigns (tenant, opens_on);

-- The activities a campaign opens; an activity belongs to at most one campaign.
CREATE TABLE campaign_activities (
    campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    activity_id uuid NOT NULL UNIQUE REFERENCES activities (id) ON DELETE CASCADE,
    PRIMARY KEY (campaign_id, activity_id)
);

-- The yearly check of the household file: the family attests it is up to date for the
-- campaign's year (needed before it confirms a renewal). The first check is kept.
CREATE TABLE campaign_file_checks (
    campaign_id  uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    household_id uuid NOT NULL,
    checked_by   uuid NOT NULL,
    checked_at   timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, household_id)
);

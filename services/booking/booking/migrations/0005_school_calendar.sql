-- Opening days follow the school calendar: a school-time activity (PERI, CANTINE...) is
-- closed in the school holidays of the tenant's zone (A, B or C), taken when the activity is
-- created; staff may open extra days by hand besides closing some.
CREATE TABLE tenant_settings (
    tenant      text PRIMARY KEY,
    school_zone text NOT NULL CHECK (school_zone IN ('A', 'B', 'C')),
    updated_by  uuid NOT NULL,
    updated_at  timestamptz NOT NULL
);

ALTER TABLE activities
    ADD COLUMN school_time boolean NOT NULL DEFAULT false,
    ADD COLUMN school_zone text CHECK (school_zone IN ('A', 'B', 'C')),
    ADD COLUMN extra_dates date[] NOT NULL DEFAULT '{}';

-- Opening windows (issue 18): instead of first come, first served, families submit their
-- requests for an activity's days during a window; when it closes, one allocation decides
-- them all (priority levels the town publishes, then a lottery whose seed is committed by
-- its hash when the window is created and revealed at allocation).
-- `status` stores only what is not derived from the clock: scheduled (open / closed follow
-- from opens_at and closes_at) or allocated.
CREATE TABLE opening_windows (
    id               uuid PRIMARY KEY,
    tenant           text NOT NULL,
    activity_id      uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    name             text NOT NULL,
    opens_at         timestamptz NOT NULL,
    closes_at        timestamptz NOT NULL CHECK (closes_at > opens_at),
    date_from        date NOT NULL,
    date_to          date NOT NULL CHECK (date_to >= date_from),
    priority_rules   jsonb NOT NULL DEFAULT '[]',  -- ordered [{code, label}]
    first_come_after boolean NOT NULL DEFAULT true,
    seed             text NOT NULL,                -- secret until allocated
    seed_hash        text NOT NULL,                -- sha256 hex of the seed, published
    status           text NOT NULL DEFAULT 'scheduled'
                     CHECK (status IN ('scheduled', 'allocated')),
    allocated_at     timestamptz,
    places           jsonb,                        -- [{date, places}] free at allocation
    created_by       uuid NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opening_windows_tenant ON opening_windows (tenant, opens_at);
-- The basket's facts look up the window covering a line's day: one probe per line.
CREATE INDEX opening_windows_activity ON opening_windows (activity_id, date_from);
-- The sweeper's question: which windows closed and are not allocated yet.
CREATE INDEX opening_windows_due ON opening_windows (closes_at) WHERE status = 'scheduled';

-- One request per household per window (submitting again replaces it).
CREATE TABLE window_requests (
    id                uuid PRIMARY KEY,
    window_id         uuid NOT NULL REFERENCES opening_windows (id) ON DELETE CASCADE,
    tenant            text NOT NULL,
    household_id      uuid NOT NULL,
    account_id        uuid NOT NULL,
    by_staff          boolean NOT NULL DEFAULT false,  -- staff submitted it at the desk
    siblings_together boolean NOT NULL DEFAULT false,
    criteria          text[] NOT NULL DEFAULT '{}',  -- declared by the family
    verified_criteria text[],                        -- set by staff: then the one used
    verified_by       uuid,
    verified_at       timestamptz,
    submitted_at      timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    -- After allocation: the priority level, the rank in the draw, its lottery key and the
    -- codes of the rules the request met (sibling_enrolled computed at allocation).
    level             integer,
    rank              integer,
    lottery_key       text,
    met_criteria      text[],
    UNIQUE (window_id, household_id)
);

CREATE TABLE window_request_children (
    request_id uuid NOT NULL REFERENCES window_requests (id) ON DELETE CASCADE,
    child_id   uuid NOT NULL,
    position   integer NOT NULL,  -- order in the request (the allocation's order within it)
    dates      date[] NOT NULL,
    outcome    jsonb,             -- after allocation: [{date, outcome, waiting_position}]
    PRIMARY KEY (request_id, child_id)
);

-- Children as booking knows them, from family.ChildRegistered / ChildUpdated.
CREATE TABLE children (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    household_id uuid NOT NULL,
    first_name   text NOT NULL,
    last_name    text NOT NULL,
    birth_date   date NOT NULL,
    school       text,
    grade        text,
    diet         text NOT NULL,
    version_at   timestamptz NOT NULL  -- occurred_at of the event applied (older ones are ignored)
);
CREATE INDEX children_household ON children (tenant, household_id);

-- The catalogue: what can be booked, when, by whom, until when.
CREATE TABLE activities (
    id                   uuid PRIMARY KEY,
    tenant               text NOT NULL,
    name                 text NOT NULL,
    type                 text NOT NULL,
    site                 text NOT NULL,
    period_from          date NOT NULL,
    period_to            date NOT NULL CHECK (period_to >= period_from),
    weekdays             smallint[] NOT NULL,
    closed_dates         date[] NOT NULL DEFAULT '{}',
    skip_public_holidays boolean NOT NULL DEFAULT true,
    capacity             integer NOT NULL CHECK (capacity >= 0),
    min_age              smallint,
    max_age              smallint,
    grades               text[],
    booking_deadline     jsonb NOT NULL,  -- {"days_before", "at": "HH:MM", "working_days"}
    cancel_deadline      jsonb NOT NULL,
    late_allowed         boolean NOT NULL DEFAULT false,
    late_deadline        jsonb NOT NULL,
    requires_approval    boolean NOT NULL DEFAULT false,
    created_by           uuid NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activities_tenant ON activities (tenant, period_from);

-- One row per opening day: the capacity counter. A place is taken by
-- UPDATE ... SET booked = booked + 1 WHERE booked < capacity (safe at Read Committed).
CREATE TABLE activity_days (
    activity_id uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    day         date NOT NULL,
    capacity    integer NOT NULL CHECK (capacity >= 0),
    booked      integer NOT NULL DEFAULT 0 CHECK (booked >= 0),
    PRIMARY KEY (activity_id, day)
);

CREATE TABLE enrollments (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    activity_id  uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    child_id     uuid NOT NULL REFERENCES children (id),
    household_id uuid NOT NULL,
    mode         text NOT NULL CHECK (mode IN ('occasional', 'regular')),
    weekdays     smallint[],
    status       text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason       text,
    requested_by uuid NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    decided_by   uuid,
    decided_at   timestamptz
);
-- At most one live enrollment of a child in an activity (a refused one may be asked again).
CREATE UNIQUE INDEX enrollments_live ON enrollments (activity_id, child_id)
    WHERE status <> 'rejected';
CREATE INDEX enrollments_tenant ON enrollments (tenant, status, requested_at);
CREATE INDEX enrollments_household ON enrollments (household_id);

CREATE TABLE baskets (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    household_id uuid NOT NULL,
    account_id   uuid NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'validated')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    validated_at timestamptz,
    outcome      jsonb
);
CREATE INDEX baskets_household ON baskets (household_id, created_at);

CREATE TABLE basket_lines (
    id            uuid PRIMARY KEY,
    basket_id     uuid NOT NULL REFERENCES baskets (id) ON DELETE CASCADE,
    seq           bigserial NOT NULL,
    child_id      uuid NOT NULL,
    activity_id   uuid NOT NULL,
    day           date NOT NULL,
    action        text NOT NULL CHECK (action IN ('add', 'cancel')),
    accept_waiting boolean NOT NULL DEFAULT true,
    UNIQUE (basket_id, child_id, activity_id, day)
);

-- A child on a day of an activity. `seq` orders the waiting list (arrival order).
CREATE TABLE bookings (
    id           uuid PRIMARY KEY,
    seq          bigserial NOT NULL,
    tenant       text NOT NULL,
    activity_id  uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    child_id     uuid NOT NULL,
    household_id uuid NOT NULL,
    day          date NOT NULL,
    status       text NOT NULL CHECK (status IN ('booked', 'waiting', 'cancelled')),
    late         boolean NOT NULL DEFAULT false,
    basket_id    uuid,
    booked_by    uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    cancelled_at timestamptz,
    cancelled_by uuid,
    cancel_reason text
);
-- No child twice on a day of an activity (booked or waiting).
CREATE UNIQUE INDEX bookings_live ON bookings (activity_id, child_id, day)
    WHERE status IN ('booked', 'waiting');
CREATE INDEX bookings_waiting ON bookings (activity_id, day, seq) WHERE status = 'waiting';
CREATE INDEX bookings_child ON bookings (child_id, day);

-- Booking mode of an activity: 'free' (families book days in baskets) or 'schedule' (the
-- days are set at enrollment: approving it books them). A regular pattern chosen at
-- enrollment may also be one week in N.
ALTER TABLE activities
    ADD COLUMN booking_mode text NOT NULL DEFAULT 'free'
        CHECK (booking_mode IN ('free', 'schedule'));
ALTER TABLE enrollments
    ADD COLUMN every_n_weeks smallint NOT NULL DEFAULT 1 CHECK (every_n_weeks BETWEEN 1 AND 4);

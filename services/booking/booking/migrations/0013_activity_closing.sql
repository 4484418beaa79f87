-- An activity closed by staff takes no new baskets, bookings or enrollments from then on;
-- its bookings are kept. NULL: open.
ALTER TABLE activities ADD COLUMN closed_at timestamptz;

-- A child who came without a booking (présence inattendue): staff or the site's animator add
-- them to the day's list. The booking is marked so that the sheet flags it; it counts in the
-- day's occupancy but was never refused for capacity (the child is there).
ALTER TABLE bookings ADD COLUMN unexpected boolean NOT NULL DEFAULT false;

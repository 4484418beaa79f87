-- An activity archived by staff (a past year's, say) leaves the catalogue and the staff's
-- list; it stays closed, its bookings, invoices and history keep naming it. NULL: not archived.
ALTER TABLE activities ADD COLUMN archived_at timestamptz;

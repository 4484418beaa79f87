-- Each account's choice about the deadline nudges (issue 18): `booking_reminders` false
-- stops the « Pensez à réserver » emails (booking.BookingReminderDue). No row: reminders on.
CREATE TABLE reminder_preferences (
    tenant            text NOT NULL,
    account_id        uuid NOT NULL,
    booking_reminders boolean NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant, account_id)
);

"""The booking rules as plain functions and dataclasses (no I/O): opening days, deadlines in
Europe/Paris, recurrence, eligibility and the state of a calendar day."""

"""The booking rules as plain functions and dataclasses (no I/O): opening days, deadlines in
Europe/Paris, recurrence, eligibility, whether a child may book a day (`rules.may_book`) and
the state of a calendar day, the waiting list's order, a basket's decided lines and counts,
who acts, and the domain's errors."""

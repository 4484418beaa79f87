"""Billing's use cases: the only place a unit of work is entered. Called alike by the HTTP
handlers (api/), the event handlers (events.py) and the background finaliser."""

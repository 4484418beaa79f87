"""What the notify service does, one module per area; the only place a unit of work is
entered. Called alike by the HTTP handlers (`notify.api`) and the event handlers
(`notify.events`); reads take the pool and need no unit of work."""

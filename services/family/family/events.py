"""Handlers of the events the family service consumes (none yet: it only produces)."""

from __future__ import annotations

from shared.events.consumer import EventHandler

HANDLERS: dict[str, EventHandler] = {}

"""python -m family [serve|migrate|relay|parked ...|replay-archive ...|settings] and its own
commands: load-demo (commands.py)."""

from __future__ import annotations

from family.app import definition
from shared.cli import main

raise SystemExit(main(definition))

"""python -m identity [serve|migrate|relay|parked ...|replay-archive ...|settings] and its own
commands: create-tenant, rotate-signing-key, load-demo, announce-accounts, announce-features
(commands.py)."""

from __future__ import annotations

from identity.app import definition
from shared.cli import main

if __name__ == "__main__":
    raise SystemExit(main(definition))

"""python -m booking [serve|migrate|relay|parked ...|replay-archive ...|settings]"""

from __future__ import annotations

from booking.app import definition
from shared.cli import main

if __name__ == "__main__":
    raise SystemExit(main(definition))

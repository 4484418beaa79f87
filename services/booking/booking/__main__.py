"""python -m booking [serve|migrate|parked ...|settings]"""

from __future__ import annotations

from booking.app import definition
from shared.cli import main

if __name__ == "__main__":
    raise SystemExit(main(definition))

"""python -m family [serve|migrate|parked ...|settings]"""

from __future__ import annotations

from family.app import definition
from family.settings import FamilySettings
from shared.cli import main

if __name__ == "__main__":
    raise SystemExit(main(FamilySettings, definition))

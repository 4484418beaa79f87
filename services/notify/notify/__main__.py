"""python -m notify [serve|migrate|relay|parked ...|replay-archive|settings|smtp-sink]"""

from __future__ import annotations

from notify.app import definition
from shared.cli import main

raise SystemExit(main(definition))

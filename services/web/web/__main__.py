"""python -m web [serve|migrate|relay|parked ...|replay-archive|settings]"""

from __future__ import annotations

from shared.cli import main
from web.app import definition

raise SystemExit(main(definition))

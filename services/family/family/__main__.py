"""python -m family [serve|migrate|parked ...|settings|load-demo]"""

from __future__ import annotations

import os
import sys

from family.app import definition
from family.settings import FamilySettings
from shared.cli import main as shared_main
from shared.settings import SettingsError


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "load-demo":
        from family import commands

        if os.environ.get("APP_ENV", "").strip() == "production":
            # Said before reading the settings, which refuse the development keys anyway.
            print(commands.PRODUCTION_REFUSAL, file=sys.stderr)
            return 2
        try:
            settings = FamilySettings.from_env()
        except SettingsError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return 2
        return commands.run(argv, settings)
    return shared_main(definition, argv)


if __name__ == "__main__":
    raise SystemExit(main())

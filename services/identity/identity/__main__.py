"""python -m identity [serve|migrate|parked ...|settings|create-tenant|rotate-signing-key|
load-demo|announce-accounts]"""

from __future__ import annotations

import os
import sys

from identity.app import definition
from identity.settings import IdentitySettings
from shared.cli import main as shared_main
from shared.settings import SettingsError


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in (
        "create-tenant",
        "rotate-signing-key",
        "load-demo",
        "announce-accounts",
    ):
        from identity import commands

        if argv[0] == "load-demo" and os.environ.get("APP_ENV", "").strip() == "production":
            # Said before reading the settings, which may not even load in production.
            print(commands.PRODUCTION_REFUSAL, file=sys.stderr)
            return 2
        try:
            settings = IdentitySettings.from_env()
        except SettingsError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return 2
        return commands.run(argv, settings)
    return shared_main(definition, argv)


if __name__ == "__main__":
    raise SystemExit(main())

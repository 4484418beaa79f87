"""python -m identity [serve|migrate|parked ...|settings|create-tenant|rotate-signing-key]"""

from __future__ import annotations

import sys

from identity.app import definition
from identity.settings import IdentitySettings
from shared.cli import main as shared_main
from shared.settings import SettingsError


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("create-tenant", "rotate-signing-key"):
        from identity import commands

        try:
            settings = IdentitySettings.from_env()
        except SettingsError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return 2
        return commands.run(argv, settings)
    return shared_main(IdentitySettings, definition, argv)


if __name__ == "__main__":
    raise SystemExit(main())

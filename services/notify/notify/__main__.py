"""python -m notify [serve|migrate|parked ...|settings|smtp-sink]"""

from __future__ import annotations

import sys

from notify.app import definition
from shared.cli import main as shared_main


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "smtp-sink":
        from notify import sink  # aiosmtpd is a development dependency: imported only here

        return sink.main(argv[1:])
    return shared_main(definition, argv)


if __name__ == "__main__":
    raise SystemExit(main())

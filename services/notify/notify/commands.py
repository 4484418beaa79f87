"""The notify service's own commands (`python -m notify <command>`).

smtp-sink: a local SMTP server for development that keeps every email as a .eml file and
lists them.

    python -m notify smtp-sink [--host 127.0.0.1] [--port 1025] [--dir var/mail]

Each message is written to DIR/<time>-<n>.eml and a line is appended to DIR/index.tsv (and
printed): time, sender, recipients, subject, file. aiosmtpd is a development dependency: it is
imported only when the command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import logging
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from notify.settings import NotifySettings
from shared.http.app import Command


class MailboxHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        now = datetime.now(UTC)
        name = f"{now:%Y%m%dT%H%M%S%f}-{self.count}.eml"
        raw = envelope.original_content or envelope.content
        (self.directory / name).write_bytes(raw)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        line = "\t".join(
            [
                now.isoformat(timespec="seconds"),
                envelope.mail_from or "",
                ",".join(envelope.rcpt_tos),
                str(parsed.get("Subject", "")),
                name,
            ]
        )
        with (self.directory / "index.tsv").open("a", encoding="utf-8") as index:
            index.write(line + "\n")
        print(line, flush=True)
        return "250 Message accepted for delivery"


def _sink_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", default="var/mail", type=Path)


def smtp_sink(settings: NotifySettings, args: argparse.Namespace) -> int:
    from aiosmtpd.controller import Controller  # a development dependency

    # aiosmtpd logs every SMTP command at INFO: the one line per email printed below is enough.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    args.dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(
        MailboxHandler(args.dir), hostname=args.host, port=args.port, decode_data=False
    )
    controller.start()
    print(f"SMTP sink on {args.host}:{args.port}, emails kept in {args.dir}/", flush=True)

    async def wait() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()

    try:
        asyncio.run(wait())
    finally:
        controller.stop()
    return 0


COMMANDS: dict[str, Command] = {
    "smtp-sink": Command(
        help="a development mailbox: keeps every email as a .eml file and lists them",
        run=smtp_sink,
        arguments=_sink_arguments,
        refused_in_production="smtp-sink is a development tool (aiosmtpd is a development"
        " dependency): emails go to SMTP_HOST in production.",
    ),
}

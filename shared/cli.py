"""The command line every service shares: serve, migrate, list and replay parked events.

python -m identity serve            # the HTTP service with its relay and consumers
python -m identity migrate          # apply pending migrations and exit
python -m identity relay            # the outbox relay alone (OUTBOX_RELAY_IN_PROCESS=false)
python -m identity parked list      # dead-lettered events with the reason
python -m identity parked replay [--id MESSAGE_ID]
python -m identity replay-archive --since 2026-09-01   # events published before it consumed them
python -m identity settings         # the environment variables it reads
python -m identity <command>        # the service's own commands (ServiceDefinition.commands)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from shared import migrations
from shared.events.archive import replay_archive
from shared.events.parked import list_parked, replay_parked
from shared.events.relay import serve_relay
from shared.events.topology import Topology
from shared.http import server
from shared.http.app import PARSER_LIMITS, ServiceDefinition, create_service_app
from shared.logging import configure_logging, get_logger
from shared.settings import ServiceSettings, SettingsError


def serve(app: web.Application, settings: ServiceSettings, **kwargs: Any) -> None:
    """Run the service until SIGTERM/SIGINT, then shut down gracefully (the parser's own
    refusals answered in problem+json: shared/http/server.py)."""
    options: dict[str, Any] = {
        "shutdown_timeout": settings.shutdown_timeout,
        "keepalive_timeout": 75,  # web.run_app's, which served before
        "access_log": None,
        **PARSER_LIMITS,
        **kwargs,
    }
    server.run(app, settings.http_host, settings.http_port, **options)


def main(definition: Callable[[], ServiceDefinition], argv: list[str] | None = None) -> int:
    service = definition()
    settings_type = service.settings_type
    parser = argparse.ArgumentParser(prog=f"python -m {settings_type.__module__.split('.')[0]}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the HTTP service (default)")
    sub.add_parser("migrate", help="apply pending migrations")
    sub.add_parser("relay", help="publish the outbox only (OUTBOX_RELAY_IN_PROCESS=false)")
    parked = sub.add_parser("parked", help="dead-lettered events")
    parked_sub = parked.add_subparsers(dest="action", required=True)
    parked_sub.add_parser("list")
    replay = parked_sub.add_parser("replay")
    replay.add_argument("--id", help="message id to replay (default: all)")
    archive = sub.add_parser(
        "replay-archive",
        help="deliver again, from the event archive, the events this service consumes that "
        "were published while nobody consumed them (applied once: the inbox keeps ids)",
    )
    archive.add_argument(
        "--since", required=True, help="ISO date or date-time (UTC when no offset is given)"
    )
    archive.add_argument("--type", action="append", help="only this event type (repeatable)")
    sub.add_parser("settings", help="list the environment variables read")
    for name, command in service.commands.items():
        command_parser = sub.add_parser(name, help=command.help)
        if command.arguments is not None:
            command.arguments(command_parser)
    args = parser.parse_args(argv)
    command_name = args.command or "serve"

    own = service.commands.get(command_name)
    production = os.environ.get("APP_ENV", "").strip() == "production"
    if own is not None and own.refused_in_production and production:
        print(own.refused_in_production, file=sys.stderr)
        return 2
    try:
        settings = settings_type.from_env()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.service, json=settings.json_logs, level=settings.log_level)
    log = get_logger("cli")
    topology = Topology(settings.bus_namespace, settings.service)

    if own is not None:
        return own.run(settings, args)
    if command_name == "serve":
        app = create_service_app(settings, service)
        log.info("starting", host=settings.http_host, port=settings.http_port)
        serve(app, settings)
        return 0
    if command_name == "relay":
        asyncio.run(serve_relay(settings))
        return 0
    if command_name == "migrate":
        applied = asyncio.run(migrations.migrate(settings, service.migrations_dir))
        print(json.dumps({"applied": applied}))
        return 0
    if command_name == "settings":
        for name, text in settings.describe().items():
            print(f"{name}\t{text}")
        return 0
    if command_name == "replay-archive":
        since = parse_since(args.since)
        types = sorted(args.type or service.event_handlers)
        replayed = asyncio.run(replay_archive(settings.amqp_url, topology, since, types))
        print(json.dumps({"replayed": replayed}))
        return 0
    if args.action == "list":
        messages = asyncio.run(list_parked(settings.amqp_url, topology))
        print(json.dumps([m.to_json() for m in messages], indent=2, ensure_ascii=False))
        return 0
    count: Any = asyncio.run(replay_parked(settings.amqp_url, topology, args.id))
    print(json.dumps({"replayed": count}))
    return 0


def parse_since(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"--since {text!r}: expected an ISO date or date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

"""The command line every service shares: serve, migrate, list and replay parked events.

python -m identity serve            # the HTTP service with its relay and consumers
python -m identity migrate          # apply pending migrations and exit
python -m identity relay            # the outbox relay alone (OUTBOX_RELAY_IN_PROCESS=false)
python -m identity parked list      # dead-lettered events with the reason
python -m identity parked replay [--id MESSAGE_ID]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from typing import Any

from aiohttp import web

from shared import migrations
from shared.events.parked import list_parked, replay_parked
from shared.events.relay import serve_relay
from shared.events.topology import Topology
from shared.http.app import ServiceDefinition, create_service_app
from shared.logging import configure_logging, get_logger
from shared.settings import ServiceSettings, SettingsError


def serve(app: web.Application, settings: ServiceSettings, **kwargs: Any) -> None:
    """Run the service until SIGTERM/SIGINT, then shut down gracefully."""
    options: dict[str, Any] = {
        "host": settings.http_host,
        "port": settings.http_port,
        "print": None,
        "shutdown_timeout": settings.shutdown_timeout,
        "access_log": None,
        **kwargs,
    }
    web.run_app(app, **options)


def main(
    settings_type: type[ServiceSettings],
    definition: Callable[[ServiceSettings], ServiceDefinition],
    argv: list[str] | None = None,
) -> int:
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
    sub.add_parser("settings", help="list the environment variables read")
    args = parser.parse_args(argv)

    try:
        settings = settings_type.from_env()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.service, json=settings.json_logs, level=settings.log_level)
    log = get_logger("cli")
    service = definition(settings)
    topology = Topology(settings.bus_namespace, settings.service)

    command = args.command or "serve"
    if command == "serve":
        app = create_service_app(settings, service)
        log.info("starting", host=settings.http_host, port=settings.http_port)
        serve(app, settings)
        return 0
    if command == "relay":
        asyncio.run(serve_relay(settings))
        return 0
    if command == "migrate":
        applied = asyncio.run(migrations.migrate(settings, service.migrations_dir))
        print(json.dumps({"applied": applied}))
        return 0
    if command == "settings":
        for name, text in settings.describe().items():
            print(f"{name}\t{text}")
        return 0
    if args.action == "list":
        messages = asyncio.run(list_parked(settings.amqp_url, topology))
        print(json.dumps([m.to_json() for m in messages], indent=2, ensure_ascii=False))
        return 0
    count: Any = asyncio.run(replay_parked(settings.amqp_url, topology, args.id))
    print(json.dumps({"replayed": count}))
    return 0

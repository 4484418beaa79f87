"""Operator commands of the family service (besides the shared ones of `shared.cli`).

python -m family load-demo      # development only: a few households in the demo municipality
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import asyncpg

from family import store
from family.settings import FamilySettings
from family.usecases import demo
from shared import db, migrations
from shared.http.app import Command
from shared.uow import UnitOfWork

PRODUCTION_REFUSAL = (
    "load-demo refused: APP_ENV=production. The demo households are fictitious data for "
    "development only."
)


async def _load_demo(settings: FamilySettings) -> dict[str, Any]:
    await migrations.migrate(settings, store.MIGRATIONS)
    pool = await db.create_pool(settings)
    try:
        uow = UnitOfWork.on(pool, producer=settings.service, tenant=demo.DEMO_TENANT)
        return await demo.load_demo(uow, settings.vault())
    finally:
        await pool.close()


def load_demo(settings: FamilySettings, _: argparse.Namespace) -> int:
    if settings.environment == "production":
        print(PRODUCTION_REFUSAL, file=sys.stderr)
        return 2
    try:
        result = asyncio.run(_load_demo(settings))
    except (demo.InvalidDemoData, asyncpg.PostgresError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


COMMANDS: dict[str, Command] = {
    "load-demo": Command(
        help="development only: create the demo households of the tenant 'demo' (idempotent)",
        run=load_demo,
        refused_in_production=PRODUCTION_REFUSAL,
    ),
}

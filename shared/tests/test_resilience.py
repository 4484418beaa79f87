"""Broker outages: writes keep working, events wait in the outbox, the service heals.

These tests stop the local RabbitMQ application (`rabbitmqctl stop_app`) for a few seconds.
"""

from __future__ import annotations

import aiohttp
import asyncpg

from shared.testing.bus import eventually
from shared.testing.processes import (
    ServiceProcess,
    restart_postgres,
    start_broker,
    stop_broker,
)
from shared.testing.sample import SampleSettings


async def test_state_changes_succeed_during_a_broker_outage(make_settings, tokens):
    settings = make_settings(SampleSettings)
    service = ServiceProcess("shared.testing.sample", settings)
    await service.start()
    db = await asyncpg.connect(
        settings.database_url, server_settings={"search_path": settings.schema}
    )
    staff = tokens.header(roles=("staff",))
    try:
        async with aiohttp.ClientSession(base_url=service.url) as http:
            await stop_broker()
            try:
                for text in ("un", "deux", "trois"):
                    async with http.post(
                        "/tenants/testville/notes", json={"text": text}, headers=staff
                    ) as response:
                        assert response.status == 201
                async with http.get("/readyz") as response:
                    body = await response.json()
                assert response.status == 200
                assert body["status"] == "degraded"
                assert body["checks"]["broker"]["ok"] is False
                assert body["checks"]["outbox"]["backlog"] == 3
                async with http.get("/readyz", params={"strict": "1"}) as response:
                    assert response.status == 503
            finally:
                await start_broker()

            async def applied() -> bool:
                return await db.fetchval("SELECT count(*) FROM applied_notes") == 3

            await eventually(applied, timeout=40)

            async def ready() -> bool:
                async with http.get("/readyz", params={"strict": "1"}) as response:
                    return response.status == 200

            await eventually(ready, timeout=20)
            assert await db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    finally:
        await db.close()
        await service.kill()


async def test_sigterm_ends_the_service_quickly_while_the_broker_is_down(make_settings):
    service = ServiceProcess("shared.testing.sample", make_settings(SampleSettings))
    await service.start()
    try:
        await stop_broker()
        try:
            elapsed = await service.terminate()
        finally:
            await start_broker()
        assert service.process is not None and service.process.returncode == 0
        assert elapsed < 10
    finally:
        await service.kill()


async def test_the_service_heals_after_a_postgres_restart(make_settings, tokens):
    settings = make_settings(SampleSettings)
    service = ServiceProcess("shared.testing.sample", settings)
    await service.start()
    staff = tokens.header(roles=("staff",))
    try:
        await restart_postgres()
        async with aiohttp.ClientSession(base_url=service.url) as http:

            async def recorded() -> bool:
                async with http.post(
                    "/tenants/testville/notes", json={"text": "après"}, headers=staff
                ) as response:
                    assert response.status in (201, 503), await response.text()
                    return response.status == 201

            await eventually(recorded, timeout=30, interval=0.5)
        db = await asyncpg.connect(
            settings.database_url, server_settings={"search_path": settings.schema}
        )
        try:

            async def applied() -> bool:
                return await db.fetchval("SELECT count(*) FROM applied_notes") == 1

            # Delivered promptly: the relay's LISTEN connection came back too.
            await eventually(applied, timeout=20)
        finally:
            await db.close()
    finally:
        await service.kill()

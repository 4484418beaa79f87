"""Migrations: applied once, under a lock, all-or-nothing, in the service's own schema."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from shared import migrations
from shared.migrations import MigrationError
from shared.settings import ServiceSettings


def _write(directory, name: str, sql: str) -> None:
    (directory / name).write_text(sql)


async def _tables(settings: ServiceSettings) -> set[str]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
            settings.schema,
        )
        return {r["table_name"] for r in rows}
    finally:
        await conn.close()


async def test_applies_shared_and_service_migrations_once(make_settings, tmp_path):
    settings = make_settings(ServiceSettings, service="mig")
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (id int PRIMARY KEY);")
    applied = await migrations.migrate(settings, tmp_path)
    assert applied == ["0001_outbox_inbox.sql", "0002_account_access.sql", "0001_things.sql"]
    assert await migrations.migrate(settings, tmp_path) == []
    assert {"things", "outbox", "inbox", "schema_migrations"} <= await _tables(settings)


async def test_objects_belong_to_the_service_role(make_settings, tmp_path):
    settings = make_settings(ServiceSettings, service="mig")
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (id int PRIMARY KEY);")
    await migrations.migrate(settings, tmp_path)
    conn = await asyncpg.connect(settings.database_url)
    try:
        owner = await conn.fetchval(
            "SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = 'things'",
            settings.schema,
        )
    finally:
        await conn.close()
    assert owner == settings.role


async def test_concurrent_replicas_do_not_race(make_settings, tmp_path):
    settings = make_settings(ServiceSettings, service="mig")
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (id int PRIMARY KEY);")
    _write(tmp_path, "0002_more.sql", "ALTER TABLE things ADD COLUMN name text;")
    results = await asyncio.gather(*(migrations.migrate(settings, tmp_path) for _ in range(4)))
    applied = [names for names in results if names]
    assert len(applied) == 1
    assert applied[0][-2:] == ["0001_things.sql", "0002_more.sql"]


async def test_a_failing_migration_leaves_the_schema_as_it_was(make_settings, tmp_path):
    settings = make_settings(ServiceSettings, service="mig")
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (id int PRIMARY KEY);")
    await migrations.migrate(settings, tmp_path)
    before = await _tables(settings)
    _write(tmp_path, "0002_good.sql", "CREATE TABLE good (id int);")
    _write(tmp_path, "0003_bad.sql", "CREATE TABLE bad (id int); SELECT * FROM nowhere;")
    with pytest.raises(MigrationError, match=r"0003_bad\.sql"):
        await migrations.migrate(settings, tmp_path)
    assert await _tables(settings) == before
    (tmp_path / "0003_bad.sql").write_text("CREATE TABLE bad (id int);")
    assert await migrations.migrate(settings, tmp_path) == ["0002_good.sql", "0003_bad.sql"]


async def test_an_applied_migration_must_not_change(make_settings, tmp_path):
    settings = make_settings(ServiceSettings, service="mig")
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (id int PRIMARY KEY);")
    await migrations.migrate(settings, tmp_path)
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (id bigint PRIMARY KEY);")
    with pytest.raises(MigrationError, match="changed after being applied"):
        await migrations.migrate(settings, tmp_path)


def test_badly_named_files_are_refused(tmp_path):
    _write(tmp_path, "init.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match=r"0001_name\.sql"):
        migrations.discover(tmp_path)

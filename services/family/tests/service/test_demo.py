"""python -m family load-demo: the demo households, through the API's code paths."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any

Town = Any


async def run_family(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "family", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_load_demo_is_idempotent_and_fills_the_read_models(town: Town) -> None:
    env = {**town.settings.to_env(), "LOG_LEVEL": "warning"}
    code, out, err = await run_family(env, "load-demo")
    assert code == 0, err
    first = json.loads(out)
    assert first["tenant"] == "demo"
    assert [h["status"] for h in first["households"]] == ["created"] * 4
    assert first["households"][0]["guardian_email"] == "famille@demo.example"
    codes = [h["subscriber_code"] for h in first["households"]]
    assert len(set(codes)) == 4
    assert first["link"]["body"] == {"code": codes[0]}

    # Events went through the outbox: the running service's relay published them.
    created = await town.events("family.HouseholdCreated", 4)
    assert {e["tenant_id"] for e in created} == {"demo"}
    children = await town.events("family.ChildRegistered", 5)
    assert {e["payload"]["first_name"] for e in children} == {
        "Léa",
        "Hugo",
        "Jules",
        "Inès",
        "Manon",
    }
    quotients = await town.events("family.QuotientChanged", 2)
    assert sorted(e["payload"]["value"] for e in quotients) == [520, 850]

    code, out, err = await run_family(env, "load-demo")
    assert code == 0, err
    second = json.loads(out)
    assert [h["status"] for h in second["households"]] == ["already present"] * 4
    assert [h["subscriber_code"] for h in second["households"]] == codes
    pool = town.pool
    assert await pool.fetchval("SELECT count(*) FROM households WHERE tenant = 'demo'") == 4
    assert await pool.fetchval("SELECT count(*) FROM children WHERE tenant = 'demo'") == 5
    assert await pool.fetchval("SELECT count(*) FROM quotients WHERE tenant = 'demo'") == 2
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 11

    # The PAI record is sealed like any other: not readable in the table.
    sealed = await pool.fetchval("SELECT sealed FROM health_records WHERE tenant = 'demo'")
    assert b"arachide" not in bytes(sealed) and b"PAI" not in bytes(sealed)

    # The demo family account links with the printed code and sees its household.
    account = str(uuid.uuid4())
    family = town.family(account, tenant="demo")
    await town.call("POST", "/tenants/demo/me/household/link", family, {"code": codes[0]})
    mine = await town.call("GET", "/tenants/demo/me/household", family)
    assert mine["guardians"][0]["email"] == "famille@demo.example"
    assert [c["first_name"] for c in mine["children"]] == ["Léa", "Hugo"]
    assert mine["children"][0]["contacts"][0]["can_pick_up"] is True
    assert mine["quotient"]["value"] == 850
    # Staff of the demo town read the PAI record (logged as usual).
    staff = town.staff("demo")
    benali = first["households"][2]["household_id"]
    file = await town.call("GET", f"/tenants/demo/households/{benali}", staff)
    ines = file["children"][0]
    assert ines["has_health_record"] is True and ines["diet"] == "allergy_menu"
    record = await town.call(
        "GET", f"/tenants/demo/households/{benali}/children/{ines['id']}/health", staff
    )
    assert record["pai"] is True and "arachide" in record["allergies"]


async def test_load_demo_is_refused_in_production(town: Town) -> None:
    env = {**town.settings.to_env(), "LOG_LEVEL": "warning", "APP_ENV": "production"}
    code, out, err = await run_family(env, "load-demo")
    assert code == 2
    assert "load-demo refused: APP_ENV=production" in err and out == ""
    assert await town.pool.fetchval("SELECT count(*) FROM households") == 0

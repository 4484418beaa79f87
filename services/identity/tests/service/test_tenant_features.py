"""Per-town features (issue 16): an admin turns off what the town offers families online;
the public page tells the portal, identity.TenantFeaturesChanged tells the services."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import jwt

Portal = Any


async def test_admin_turns_features_off_and_the_services_are_told(portal: Portal) -> None:
    admin = portal.admins["epagny"]
    public = await (await portal.client.get("/tenants/epagny")).json()
    assert public["features"] == {
        "family_edits": True,
        "online_booking": True,
        "wallet": True,
        "direct_debit": True,
    }
    r = await portal.client.patch(
        "/tenants/epagny/settings",
        json={"family_edits": False, "wallet": False},
        headers=portal.bearer(admin),
    )
    assert r.status == 200, await r.text()
    assert (await r.json())["features"]["family_edits"] is False
    public = await (await portal.client.get("/tenants/epagny")).json()
    assert public["features"] == {
        "family_edits": False,
        "online_booking": True,
        "wallet": False,
        "direct_debit": True,
    }
    # A change of something else announces nothing; the same values again neither.
    await portal.client.patch(
        "/tenants/epagny/settings",
        json={"contact_phone": "04 50 11 11 11"},
        headers=portal.bearer(admin),
    )
    await portal.client.patch(
        "/tenants/epagny/settings", json={"wallet": False}, headers=portal.bearer(admin)
    )
    rows = await portal.pool.fetch(
        "SELECT envelope FROM outbox WHERE type = 'identity.TenantFeaturesChanged' ORDER BY seq"
    )
    assert len(rows) == 1
    envelope = rows[0]["envelope"]
    assert envelope["tenant_id"] == "epagny"
    admin_id = jwt.decode(admin, options={"verify_signature": False})["sub"]
    assert envelope["payload"] == {
        "family_edits": False,
        "online_booking": True,
        "wallet": False,
        "direct_debit": True,
        "changed_by": admin_id,
    }
    # Families and non-admins cannot change them; a bad value names its field.
    family = await portal.family("famille@live.fr")
    r = await portal.client.patch(
        "/tenants/epagny/settings",
        json={"family_edits": True},
        headers=portal.bearer(family["access_token"]),
    )
    assert r.status == 403
    r = await portal.client.patch(
        "/tenants/epagny/settings", json={"wallet": "peut-être"}, headers=portal.bearer(admin)
    )
    assert r.status == 422
    assert "wallet" in await r.text()


async def run_identity(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "identity", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_announce_features_tells_each_town_s_switches_again(portal: Portal) -> None:
    await portal.create_tenant("annecy")
    await portal.client.patch(
        "/tenants/annecy/settings",
        json={"online_booking": False},
        headers=portal.bearer(portal.admins["annecy"]),
    )
    env = {**portal.settings.to_env(), "LOG_LEVEL": "warning"}
    code, out, err = await run_identity(env, "announce-features")
    assert code == 0, err
    assert json.loads(out) == {"announced": 2}
    rows = await portal.pool.fetch(
        "SELECT envelope FROM outbox WHERE type = 'identity.TenantFeaturesChanged'"
        " AND envelope -> 'payload' ->> 'changed_by' IS NULL ORDER BY seq"
    )
    told = {r["envelope"]["tenant_id"]: r["envelope"]["payload"] for r in rows}
    assert told["annecy"]["online_booking"] is False and told["annecy"]["wallet"] is True
    assert all(told["epagny"][name] for name in told["epagny"] if name != "changed_by")
    code, out, _ = await run_identity(env, "announce-features", "--tenant", "annecy")
    assert (code, json.loads(out)) == (0, {"announced": 1})

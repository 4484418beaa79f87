from __future__ import annotations

import asyncio

from shared.keys import POOL


async def test_note_is_recorded_and_its_event_applied(sample, tokens):
    response = await sample.post(
        "/tenants/testville/notes",
        json={"text": "bonjour"},
        headers=tokens.header(roles=("staff",)),
    )
    assert response.status == 201, await response.text()
    note_id = (await response.json())["id"]
    pool = sample.app[POOL]
    for _ in range(100):
        count = await pool.fetchval(
            "SELECT count(*) FROM applied_notes WHERE note_id = $1::uuid", note_id
        )
        if count:
            break
        await asyncio.sleep(0.05)
    assert count == 1

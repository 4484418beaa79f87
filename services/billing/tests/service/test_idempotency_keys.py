"""Idempotency-Key on billing's creations: a counter payment sent again with its key is
recorded once (one receipt number), and the first answer is given again."""

from __future__ import annotations

import uuid
from typing import Any

T = "/tenants/epagny"


async def test_a_retried_counter_payment_is_recorded_once(billing: Any) -> None:
    regie = await billing.regie()
    lea = await billing.kid(qf=900)
    staff = billing.tokens.header(tenant="epagny", roles=("staff",), account_id=str(uuid.uuid4()))
    headers = {**staff, "Idempotency-Key": str(uuid.uuid4())}
    body = {
        "regie_id": regie["id"],
        "household_id": str(lea.household_id),
        "method": "cash",
        "amount_cents": 2500,
    }
    first = await billing.client.post(f"{T}/payments", json=body, headers=headers)
    assert first.status == 201, await first.text()
    again = await billing.client.post(f"{T}/payments", json=body, headers=headers)
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == await first.json()
    assert await billing.pool.fetchval("SELECT count(*) FROM payments") == 1

    more = await billing.client.post(
        f"{T}/payments", json={**body, "amount_cents": 3000}, headers=headers
    )
    assert more.status == 422
    assert (await more.json())["errors"][0]["field"] == "Idempotency-Key"
    # Without a key, a second payment is a second payment.
    r = await billing.client.post(f"{T}/payments", json=body, headers=staff)
    assert r.status == 201
    assert await billing.pool.fetchval("SELECT count(*) FROM payments") == 2

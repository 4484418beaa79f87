"""Idempotency-Key on the creation of accounts: a retried creation gets the first answer
(its temporary password too) and creates no second account."""

from __future__ import annotations

import uuid
from typing import Any

Portal = Any


async def create(portal: Portal, key: str, email: str, name: str = "Nouveau compte") -> Any:
    return await portal.client.post(
        "/tenants/epagny/accounts",
        json={
            "display_name": name,
            "email": email,
            "roles": ["family"],
            "mode": "temporary_password",
        },
        headers={**portal.bearer(portal.admins["epagny"]), "Idempotency-Key": key},
    )


async def accounts(portal: Portal, email: str) -> int:
    return await portal.pool.fetchval("SELECT count(*) FROM accounts WHERE email = $1", email)


async def test_a_retried_account_creation_answers_the_first_answer(portal: Portal) -> None:
    key = str(uuid.uuid4())
    first = await create(portal, key, "famille.durand@example.fr")
    assert first.status == 201, await first.text()
    body = await first.json()
    again = await create(portal, key, "famille.durand@example.fr")
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == body  # the same account, the same temporary password
    assert await accounts(portal, "famille.durand@example.fr") == 1
    # What the table keeps does not show the temporary password.
    stored = await portal.pool.fetchval("SELECT body FROM idempotency_keys")
    assert body["temporary_password"].encode() not in stored

    other = await create(portal, key, "famille.durand@example.fr", name="Autre nom")
    assert other.status == 422
    assert (await other.json())["errors"][0]["field"] == "Idempotency-Key"


async def test_a_retried_sign_up_answers_the_same_and_registers_once(portal: Portal) -> None:
    key = str(uuid.uuid4())
    body = {
        "display_name": "Simon Durand",
        "email": "simon@example.fr",
        "password": portal.PASSWORD,
        "captcha": await portal.captcha(),
    }
    answers = []
    for _ in range(2):
        r = await portal.client.post(
            "/tenants/epagny/signup", json=body, headers={"Idempotency-Key": key}
        )
        answers.append((r.status, await r.read()))
    assert answers[0] == answers[1] and answers[0][0] == 202
    assert await accounts(portal, "simon@example.fr") == 1
    fingerprint = await portal.pool.fetchval("SELECT fingerprint FROM idempotency_keys")
    assert portal.PASSWORD not in fingerprint

"""Idempotency-Key on billing's creations: a counter payment sent again with its key is
recorded once (one receipt number), and the first answer is given again."""

from __future__ import annotations

import uuid
from typing import Any

from .test_direct_debit import IBAN
from .test_mandates import collecting_regie
from .test_payments import SEPT, invoiced, pay
from .test_refunds import credited

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


async def test_a_retried_refund_is_given_once_with_its_first_answer(billing: Any) -> None:
    """The refund and its answer (read back in the request's transaction, before the
    commit) are kept together: the retry replays it, no second V- number."""
    _, _, note = await credited(billing)
    headers = {**billing.staff(), "Idempotency-Key": str(uuid.uuid4())}
    body = {"method": "transfer", "reference": "VIR-2026-09-001"}
    path = f"{T}/credit-notes/{note['id']}/refund"
    first = await billing.client.post(path, json=body, headers=headers)
    assert first.status == 201, await first.text()
    refund = await first.json()
    assert (refund["number"], refund["amount_cents"]) == ("V-CANTINE-2026-000001", 830)
    again = await billing.client.post(path, json=body, headers=headers)
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == refund
    assert await billing.pool.fetchval("SELECT count(*) FROM refunds") == 1


async def test_a_retried_remittance_slip_is_made_once(billing: Any) -> None:
    regie, _, lea, _ = await invoiced(billing, SEPT)
    await pay(billing, regie, lea, method="cash", amount_cents=300)
    headers = {**billing.staff(), "Idempotency-Key": str(uuid.uuid4())}
    body = {"regie_id": regie["id"], "method": "cash"}
    first = await billing.client.post(f"{T}/remittances", json=body, headers=headers)
    assert first.status == 201, await first.text()
    slip = await first.json()
    assert (slip["number"], slip["payment_count"]) == ("B-CANTINE-2026-000001", 1)
    again = await billing.client.post(f"{T}/remittances", json=body, headers=headers)
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == slip
    assert await billing.pool.fetchval("SELECT count(*) FROM remittances") == 1


async def keyed_twice(billing: Any, path: str, headers: dict[str, str], body: Any) -> Any:
    """The same creation sent twice with one key: the first answer, replayed."""
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    first = await billing.client.post(path, json=body, headers=keyed)
    assert first.status == 201, await first.text()
    again = await billing.client.post(path, json=body, headers=keyed)
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == await first.json()
    return await first.json()


async def test_a_retried_payer_is_named_once(billing: Any) -> None:
    household_id, parent = (await billing.kid()).household_id, uuid.uuid4()
    await billing.deliver(
        billing.family_event(
            "family.HouseholdLinked",
            household_id=household_id,
            account_id=parent,
            linked_by="staff",
        )
    )
    body = {"name": "Simon Martin", "email": "simon@example.fr", "account_id": str(parent)}
    path = f"{T}/billing/households/{household_id}/payers"
    payer = await keyed_twice(billing, path, billing.staff(), body)
    assert payer["name"] == "Simon Martin"
    assert await billing.pool.fetchval("SELECT count(*) FROM payers") == 1


async def test_a_retried_paper_mandate_is_registered_once(billing: Any) -> None:
    regie = await collecting_regie(billing)
    household_id = (await billing.kid()).household_id
    body = {"regie_id": regie["id"], "holder": "Claire Martin", "iban": IBAN}
    path = f"{T}/billing/households/{household_id}/mandates"
    mandate = await keyed_twice(billing, path, billing.staff(), {**body, "signed_on": "2026-08-28"})
    assert mandate["status"] == "active"
    assert await billing.pool.fetchval("SELECT count(*) FROM mandates") == 1

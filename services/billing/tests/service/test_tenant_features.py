"""A town that turns the wallet or direct debit off (issue 16): families can no longer
activate or top up a wallet, register or sign a mandate; staff still can."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from shared.testing.bus import EventTap, eventually
from shared.testing.features import announce_features
from shared.testing.plugin import AMQP_URL

T = "/tenants/epagny"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
CREDITOR = {
    "creditor_id": "FR72ZZZ123456",
    "creditor_name": "Régie restauration scolaire d'Epagny",
    "iban": "FR7630001000000079412345605",
    "bic": "BDFEFRPP",
}


@pytest.fixture
async def tap(bus_namespace: Any) -> AsyncIterator[EventTap]:
    async with EventTap(AMQP_URL, bus_namespace.name, ["billing.MandateRequested"]) as tap:
        yield tap


async def refused(billing, path: str, headers: dict[str, str], body: Any, feature: str) -> None:
    r = await billing.client.post(path, json=body, headers=headers)
    assert r.status == 403, f"{path}: {r.status} {await r.text()}"
    problem = await r.json()
    assert problem["type"].endswith("/feature-off") and problem["feature"] == feature
    assert problem["detail"].startswith("La mairie ne propose pas")


async def signature_token(billing, mandate: dict[str, Any]) -> str:
    async def published() -> list[dict[str, Any]]:
        requested = billing.tap.of_type("billing.MandateRequested")
        return [e for e in requested if e["payload"]["mandate_id"] == mandate["id"]]

    (event,) = await eventually(published)
    return parse_qs(urlparse(event["payload"]["signature_url"]).query)["token"][0]


async def test_direct_debit_off_refuses_the_family_mandates(billing):
    regie = await billing.regie()
    await billing.call("PUT", f"{T}/regies/{regie['id']}/direct-debit", billing.staff(), CREDITOR)
    household_id = (await billing.kid()).household_id
    family = billing.family(household_id)
    path = f"{T}/billing/households/{household_id}/mandates"
    body = {"regie_id": regie["id"], "holder": "Claire Martin", "iban": IBAN}
    pending = await billing.call("POST", path, family, body, 201)
    token = await signature_token(billing, pending)

    await announce_features(billing.client.app, "epagny", direct_debit=False)
    await refused(billing, path, family, body, "direct_debit")
    await refused(billing, f"{T}/mandates/sign", family, {"token": token}, "direct_debit")
    mine = (await billing.get(path, family))["mandates"]
    assert [m["status"] for m in mine] == ["pending_signature"]  # still readable, unsigned

    await announce_features(billing.client.app, "epagny")
    signed = await billing.call("POST", f"{T}/mandates/sign", family, {"token": token})
    assert signed["status"] == "active"
    # Off again: staff still record a signed paper mandate.
    await announce_features(billing.client.app, "epagny", direct_debit=False)
    paper = await billing.call(
        "POST", path, billing.staff(), {**body, "signed_on": "2026-08-28"}, 201
    )
    assert paper["status"] == "active"


async def test_wallet_off_refuses_the_family_activation_and_top_ups(billing):
    regie = await billing.regie(code="ENFANCE", name="Régie enfance")
    await billing.call(
        "PUT", f"{T}/billing/wallet-settings", billing.staff(), {"regie_id": regie["id"]}
    )
    household = uuid.uuid4()
    family = billing.family(household)
    wallet = f"{T}/billing/households/{household}/wallet"
    await announce_features(billing.client.app, "epagny", wallet=False)
    await refused(billing, wallet, family, None, "wallet")
    await billing.get(wallet, family, status=404)  # nothing activated
    await billing.call("POST", wallet, billing.staff(), status=201)
    await refused(billing, f"{wallet}/top-ups", family, {"amount_cents": 1000}, "wallet")
    # Another town keeps its wallet.
    other = uuid.uuid4()
    r = await billing.client.post(
        f"/tenants/annecy/billing/households/{other}/wallet",
        headers=billing.family(other, tenant="annecy"),
    )
    assert r.status != 403, await r.text()

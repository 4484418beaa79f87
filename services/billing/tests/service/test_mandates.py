"""SEPA mandates over HTTP and events: the régie's creditor settings, a guardian registering a
mandate and signing it online with the emailed link, staff recording a signed paper one (it
replaces the payer's previous), revoking, masked reads, staff's full read logged and shown
to the family; and the IBAN in no column of any billing table and in no log line."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL

T = "/tenants/epagny"
IBAN = "FR7630006000011234567890189"
IBAN_SPACED = "FR76 3000 6000 0112 3456 7890 189"
MASKED = "FR76 **** **** **** **** **** 189"
BIC = "AGRIFRPP"
CREDITOR_IBAN = "FR7630001000000079412345605"
CREDITOR = {
    "creditor_id": "FR72ZZZ123456",
    "creditor_name": "Régie restauration scolaire d'Epagny",
    "iban": CREDITOR_IBAN,
    "bic": "BDFEFRPP",
}
EVENTS = [
    "billing.MandateRequested",
    "billing.MandateActivated",
    "billing.MandateRevoked",
    "billing.MandateSuspended",
]


@pytest.fixture
async def tap(bus_namespace: Any) -> AsyncIterator[EventTap]:
    async with EventTap(AMQP_URL, bus_namespace.name, EVENTS) as tap:
        yield tap


async def collecting_regie(billing, **creditor: Any) -> dict[str, Any]:
    regie = await billing.regie()
    await billing.call(
        "PUT", f"{T}/regies/{regie['id']}/direct-debit", billing.staff(), {**CREDITOR, **creditor}
    )
    return regie


async def household(billing) -> uuid.UUID:
    return (await billing.kid()).household_id


async def request_mandate(billing, regie, household_id, status: int = 201, **body: Any) -> Any:
    return await billing.call(
        "POST",
        f"{T}/billing/households/{household_id}/mandates",
        billing.family(household_id),
        {"regie_id": regie["id"], "holder": "Claire Martin", "iban": IBAN_SPACED, **body},
        status,
    )


async def token_of(billing, mandate: dict[str, Any]) -> str:
    async def published() -> list[dict[str, Any]]:
        requested = billing.tap.of_type("billing.MandateRequested")
        return [e for e in requested if e["payload"]["mandate_id"] == mandate["id"]]

    (event,) = await eventually(published)
    url = urlparse(event["payload"]["signature_url"])
    assert url.path == "/prelevement/signature"
    return parse_qs(url.query)["token"][0]


async def sign(billing, household_id, token: str, status: int = 200) -> Any:
    return await billing.call(
        "POST", f"{T}/mandates/sign", billing.family(household_id), {"token": token}, status
    )


async def test_the_regie_sets_its_creditor_details(billing):
    regie = await billing.regie()
    path = f"{T}/regies/{regie['id']}/direct-debit"
    await billing.get(path, status=409)  # not configured yet
    row = await billing.call(
        "PUT", path, billing.staff(), {**CREDITOR, "creditor_id": "fr72zzz123456"}
    )
    assert row["creditor_id"] == "FR72ZZZ123456"
    assert row["iban_masked"] == "FR76 **** **** **** **** **** 605"
    assert row["prenotification_days"] == 14
    # Today is Tuesday 1 September: 14 days' notice, the 15th is a business day.
    assert row["earliest_collection_date"] == "2026-09-15"
    assert CREDITOR_IBAN not in str(row)
    assert (await billing.get(path)) == row
    for wrong, field in [
        ({"creditor_id": "FR73ZZZ123456"}, "creditor_id"),
        ({"iban": "FR7630001000000079412345606"}, "iban"),
        ({"bic": "DEUTDEFF"}, "bic"),
        ({"prenotification_days": 1}, "prenotification_days"),
    ]:
        body = await billing.call("PUT", path, billing.staff(), {**CREDITOR, **wrong}, 422)
        assert [e["field"] for e in body["errors"]] == [field]
        assert CREDITOR_IBAN[:-1] not in str(body)
    await billing.call("PUT", path, billing.family(uuid.uuid4()), CREDITOR, 403)
    await billing.call(
        "PUT", f"{T}/regies/{uuid.uuid4()}/direct-debit", billing.staff(), CREDITOR, 404
    )


async def test_a_guardian_registers_a_mandate_and_signs_it_online(billing):
    regie = await collecting_regie(billing)
    household_id = await household(billing)
    mandate = await request_mandate(billing, regie, household_id)
    assert mandate["status"] == "pending_signature"
    assert mandate["rum"] == "M-CANTINE-2026-000001"
    assert mandate["iban_masked"] == MASKED and mandate["holder"] == "Claire Martin"
    assert mandate["payer_id"] == str(household_id)
    assert mandate["signature_expires_at"] is not None and mandate["signed_on"] is None
    token = await token_of(billing, mandate)
    (requested,) = await billing.events("billing.MandateRequested")
    assert requested["payload"]["iban_masked"] == MASKED
    assert requested["payload"]["rum"] == "M-CANTINE-2026-000001"
    assert requested["payload"]["account_id"] == mandate["account_id"] is not None
    assert IBAN not in str(requested) and IBAN_SPACED not in str(requested)

    # A wrong token, or the right one from another household, signs nothing.
    await sign(billing, household_id, "x" * 43, status=404)
    await sign(billing, uuid.uuid4(), token, status=404)
    await billing.call("POST", f"{T}/mandates/sign", billing.staff(), {"token": token}, 403)
    signed = await sign(billing, household_id, token)
    assert signed["status"] == "active" and signed["signed_on"] == "2026-09-01"
    assert signed["recorded_by"] == "family" and signed["signature_expires_at"] is None
    (activated,) = await billing.events("billing.MandateActivated")
    assert activated["payload"]["recorded_by"] == "family"
    assert activated["payload"]["signed_on"] == "2026-09-01"
    # The link is single use.
    body = await sign(billing, household_id, token, status=410)
    assert body["type"].endswith("mandate-signature-link-used")


async def test_a_signature_link_expires(billing):
    regie = await collecting_regie(billing)
    household_id = await household(billing)
    mandate = await request_mandate(billing, regie, household_id)
    token = await token_of(billing, mandate)
    billing.at(billing.NOW + timedelta(hours=billing.settings.mandate_signature_hours, seconds=1))
    body = await sign(billing, household_id, token, status=410)
    assert body["type"].endswith("mandate-signature-link-expired")
    row = await billing.get(f"{T}/mandates/{mandate['id']}")
    assert row["status"] == "pending_signature"


async def test_staff_record_a_paper_mandate_which_replaces_the_previous_one(billing):
    regie = await collecting_regie(billing)
    household_id = await household(billing)
    online = await request_mandate(billing, regie, household_id)
    await sign(billing, household_id, await token_of(billing, online))
    path = f"{T}/billing/households/{household_id}/mandates"
    body = {"regie_id": regie["id"], "holder": "Simon Martin", "iban": IBAN, "bic": BIC}
    refused = await billing.call("POST", path, billing.staff(), body, 422)
    assert [e["field"] for e in refused["errors"]] == ["signed_on"]
    paper = await billing.call(
        "POST", path, billing.staff(), {**body, "signed_on": "2026-08-28"}, 201
    )
    assert paper["status"] == "active" and paper["recorded_by"] == "staff"
    assert paper["signed_on"] == "2026-08-28" and paper["rum"] == "M-CANTINE-2026-000002"
    assert paper["account_id"] is None
    listed = (await billing.get(path, billing.family(household_id)))["mandates"]
    assert [(m["rum"], m["status"]) for m in listed] == [
        ("M-CANTINE-2026-000002", "active"),
        ("M-CANTINE-2026-000001", "revoked"),
    ]
    assert listed[1]["replaced_by"] == paper["id"] and listed[1]["revoked_by"] == "staff"
    (revoked,) = await billing.events("billing.MandateRevoked")
    assert revoked["payload"]["mandate_id"] == online["id"]
    assert revoked["payload"]["revoked_by"] == "staff"
    activated = await billing.events("billing.MandateActivated", 2)
    assert activated[1]["payload"]["recorded_by"] == "staff"
    assert activated[1]["payload"]["account_id"] is None
    # A family sends no signed_on (unknown field): a paper mandate is staff's to record.
    await request_mandate(billing, regie, household_id, status=422, signed_on="2026-08-28")


async def test_family_or_staff_revoke_a_mandate(billing):
    regie = await collecting_regie(billing)
    household_id = await household(billing)
    mandate = await request_mandate(billing, regie, household_id)
    await sign(billing, household_id, await token_of(billing, mandate))
    path = f"{T}/mandates/{mandate['id']}/revoke"
    await billing.call("POST", path, billing.family(uuid.uuid4()), None, 404)
    revoked = await billing.call("POST", path, billing.family(household_id), None)
    assert revoked["status"] == "revoked" and revoked["revoked_by"] == "family"
    (event,) = await billing.events("billing.MandateRevoked")
    assert event["payload"]["revoked_by"] == "family"
    again = await billing.call("POST", path, billing.staff(), None)
    assert again["revoked_by"] == "family"  # nothing changes, no second event
    # A pending mandate can be revoked by staff too; its link then signs nothing.
    pending = await request_mandate(billing, regie, household_id)
    token = await token_of(billing, pending)
    await billing.call("POST", f"{T}/mandates/{pending['id']}/revoke", billing.staff(), None)
    await sign(billing, household_id, token, status=410)
    events = await billing.events("billing.MandateRevoked", 2)
    assert [e["payload"]["revoked_by"] for e in events] == ["family", "staff"]
    assert len(billing.tap.of_type("billing.MandateRevoked")) == 2


async def test_who_may_register_and_read_mandates(billing):
    regie = await collecting_regie(billing)
    household_id = await household(billing)
    other = await household(billing)
    # Another household's family: neither register nor read.
    await billing.call(
        "POST",
        f"{T}/billing/households/{household_id}/mandates",
        billing.family(other),
        {"regie_id": regie["id"], "holder": "X", "iban": IBAN},
        403,
    )
    mandate = await request_mandate(billing, regie, household_id)
    await billing.get(f"{T}/mandates/{mandate['id']}", billing.family(other), status=404)
    await billing.get(f"{T}/billing/households/{household_id}/mandates", billing.family(other), 403)
    await billing.get(f"{T}/mandates", billing.family(household_id), status=403)
    mine = await billing.get(f"{T}/mandates/{mandate['id']}", billing.family(household_id))
    assert mine["iban_masked"] == MASKED
    listed = await billing.get(f"{T}/mandates?regie_id={regie['id']}&status=pending_signature")
    assert [m["id"] for m in listed["mandates"]] == [mandate["id"]]
    # Refusals that name their field, never repeating the IBAN.
    wrong = await request_mandate(billing, regie, household_id, 422, iban=IBAN[:-1] + "8")
    assert [e["field"] for e in wrong["errors"]] == ["iban"] and IBAN[:-1] not in str(wrong)
    wrong = await request_mandate(billing, regie, household_id, 422, bic="DEUTDEFF")
    assert [e["field"] for e in wrong["errors"]] == ["bic"]
    await request_mandate(billing, regie, household_id, 404, payer_id=str(uuid.uuid4()))
    await request_mandate(billing, regie, household_id, 404, regie_id=str(uuid.uuid4()))
    plain = await billing.regie(code="PERISCO")
    body = await request_mandate(billing, plain, household_id, 409)
    assert body["type"].endswith("direct-debit-not-configured")


async def test_a_named_payer_registers_for_itself(billing):
    """Separated parents: a parent paying their own share registers a mandate for it; the
    other parent's account does not see it."""
    regie = await collecting_regie(billing)
    household_id = await household(billing)
    parent = uuid.uuid4()
    await billing.deliver(
        billing.family_event(
            "family.HouseholdLinked",
            household_id=household_id,
            account_id=parent,
            linked_by="staff",
        )
    )
    payer = await billing.call(
        "POST",
        f"{T}/billing/households/{household_id}/payers",
        billing.staff(),
        {"name": "Simon Martin", "email": "simon@example.fr", "account_id": str(parent)},
        201,
    )
    own = billing.tokens.header(
        tenant=billing.TENANT,
        roles=("family",),
        household_id=str(household_id),
        account_id=str(parent),
    )
    path = f"{T}/billing/households/{household_id}/mandates"
    body = {
        "regie_id": regie["id"],
        "holder": "Simon Martin",
        "iban": IBAN,
        "payer_id": payer["id"],
    }
    mandate = await billing.call("POST", path, own, body, 201)
    assert mandate["payer_id"] == payer["id"]
    # The other parent may not register for that payer, nor see its mandate.
    await billing.call("POST", path, billing.family(household_id), body, 404)
    assert (await billing.get(path, billing.family(household_id)))["mandates"] == []
    assert [m["id"] for m in (await billing.get(path, own))["mandates"]] == [mandate["id"]]


async def test_a_staff_read_of_the_bank_details_is_logged_and_shown_to_the_family(billing):
    regie = await collecting_regie(billing)
    household_id = await household(billing)
    mandate = await request_mandate(billing, regie, household_id, bic=BIC)
    log = f"{T}/billing/households/{household_id}/bank-details-access-log"
    assert (await billing.get(log, billing.family(household_id)))["items"] == []
    path = f"{T}/mandates/{mandate['id']}/bank-details"
    await billing.get(path, billing.family(household_id), status=403)
    assert (await billing.get(log))["items"] == []  # a refused read leaves no trace
    reader = str(uuid.uuid4())
    staff = billing.tokens.header(tenant=billing.TENANT, roles=("staff",), account_id=reader)
    details = await billing.get(path, staff)
    assert details == {
        "mandate_id": mandate["id"],
        "rum": "M-CANTINE-2026-000001",
        "holder": "Claire Martin",
        "iban": IBAN_SPACED,
        "bic": BIC,
    }
    (entry,) = (await billing.get(log, billing.family(household_id)))["items"]
    assert entry["account_id"] == reader and entry["purpose"] == "mandate"
    assert entry["mandate_id"] == mandate["id"] and entry["rum"] == "M-CANTINE-2026-000001"
    assert entry["roles"] == ["staff"] and entry["batch_id"] is None
    await billing.get(log, billing.family(uuid.uuid4()), status=403)
    await billing.get(f"{T}/mandates/{uuid.uuid4()}/bank-details", status=404)


async def iban_in_tables(billing, *needles: str) -> list[str]:
    """Every billing table (the service's schema) whose rows, cast to text, contain one of
    the needles, as text or as the hex of bytea columns."""
    forms = {n.lower() for n in needles} | {n.encode().hex() for n in needles}
    async with billing.pool.acquire() as conn:
        tables = await conn.fetch(
            """SELECT quote_ident(table_name) AS name FROM information_schema.tables
               WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"""
        )
        assert len(tables) > 20
        found = []
        for table in tables:
            rows = await conn.fetch(f"SELECT lower(t::text) AS row FROM {table['name']} t")
            found.extend(table["name"] for r in rows if any(f in r["row"] for f in forms))
    return found


async def test_the_iban_is_in_no_table_and_no_log_line(billing, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    regie = await collecting_regie(billing)
    household_id = await household(billing)
    mandate = await request_mandate(billing, regie, household_id, bic=BIC)
    await sign(billing, household_id, await token_of(billing, mandate))
    await billing.call(
        "POST",
        f"{T}/billing/households/{household_id}/mandates",
        billing.staff(),
        {"regie_id": regie["id"], "holder": "C M", "iban": IBAN, "signed_on": "2026-08-30"},
        201,
    )
    assert (await billing.get(f"{T}/mandates/{mandate['id']}/bank-details"))["iban"] == IBAN_SPACED
    await request_mandate(billing, regie, household_id, 422, iban=IBAN[:-1] + "8")
    await billing.events("billing.MandateRevoked")  # the relay has published the outbox
    needles = (IBAN, IBAN_SPACED, CREDITOR_IBAN, IBAN[4:23])
    assert await iban_in_tables(billing, *needles) == []
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    logged += "".join(str(r.__dict__) for r in caplog.records)
    # The requests were logged (this looked at the log lines that were there).
    assert "/mandates/{mandate_id}/bank-details" in logged
    for needle in needles:
        assert needle not in logged
    # The scan finds a plain copy, as text or as bytes.
    async with billing.pool.acquire() as conn:
        await conn.execute(
            "UPDATE mandates SET holder = $1 WHERE id = $2", IBAN_SPACED, uuid.UUID(mandate["id"])
        )
        await conn.execute("UPDATE sepa_creditors SET sealed = $1", CREDITOR_IBAN.encode())
    assert sorted(set(await iban_in_tables(billing, *needles))) == ["mandates", "sepa_creditors"]

"""Direct-debit batches and rejections over HTTP and events, against Postgres and RabbitMQ:
only invoices issued since the mandate became active are collected, each once (a batch run
again adds only what is new, even run twice at once); each debit is a payment and a
pre-notification; the pain.008 file is valid against its XSD (checked here with xmlschema),
sealed at rest and its downloads logged; rejections (one by one, pain.002 or CSV) make the
invoice due again once, and the second suspends the mandate [000]."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

import pytest
import xmlschema
from lxml import etree

from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL

T = "/tenants/epagny"
IBAN = "FR7630006000011234567890189"
CREDITOR = {
    "creditor_id": "FR72ZZZ123456",
    "creditor_name": "Régie restauration scolaire d'Epagny",
    "iban": "FR7630001000000079412345605",
    "bic": "BDFEFRPP",
}
COLLECTION = "2026-09-15"  # today (1 September) + 14 days, a Tuesday
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
EVENTS = [
    "billing.InvoiceIssued",
    "billing.PaymentReceived",
    "billing.DirectDebitAnnounced",
    "billing.DirectDebitRejected",
    "billing.MandateSuspended",
]


@pytest.fixture
async def tap(bus_namespace: Any) -> AsyncIterator[EventTap]:
    async with EventTap(AMQP_URL, bus_namespace.name, EVENTS) as tap:
        yield tap


@cache
def pain008_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(files("sepaxml") / "schemas" / "pain.008.001.02.xsd"))


def later(billing, minutes: int) -> None:
    billing.at(billing.NOW + timedelta(minutes=minutes))


async def collecting(billing) -> tuple[dict[str, Any], dict[str, Any]]:
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    await billing.call("PUT", f"{T}/regies/{regie['id']}/direct-debit", billing.staff(), CREDITOR)
    return regie, canteen


async def paper_mandate(billing, regie, kid, holder: str = "Claire Martin") -> dict[str, Any]:
    return await billing.call(
        "POST",
        f"{T}/billing/households/{kid.household_id}/mandates",
        billing.staff(),
        {"regie_id": regie["id"], "holder": holder, "iban": IBAN, "signed_on": "2026-08-28"},
        201,
    )


async def invoiced(billing, kid, canteen, *days: date) -> dict[str, Any]:
    """The household's invoice for these days, once issued."""
    before = {i["id"] for i in await billing.invoices(household_id=kid.household_id)}
    await billing.deliver(billing.validated(kid, canteen, *days))

    async def issued() -> Any:
        rows = await billing.invoices(household_id=kid.household_id)
        return [i for i in rows if i["id"] not in before]

    (invoice,) = await eventually(issued)
    return invoice


async def invoice(billing, invoice_id: str) -> dict[str, Any]:
    return await billing.get(f"{T}/invoices/{invoice_id}")


async def run(billing, regie, status: int = 201, when: str = COLLECTION) -> Any:
    return await billing.call(
        "POST",
        f"{T}/regies/{regie['id']}/direct-debit-batches",
        billing.staff(),
        {"collection_date": when},
        status,
    )


async def reject(billing, status: int = 200, **body: Any) -> Any:
    return await billing.call("POST", f"{T}/direct-debit-rejections", billing.staff(), body, status)


async def import_report(billing, content: bytes, content_type: str, status: int = 200) -> Any:
    r = await billing.client.post(
        f"{T}/direct-debit-rejections/import",
        data=content,
        headers={**billing.staff(), "Content-Type": content_type},
    )
    assert r.status == status, await r.text()
    return await r.json()


async def test_a_batch_collects_what_was_invoiced_since_the_mandate(billing):
    regie, canteen = await collecting(billing)
    lea = await billing.kid(qf=900)
    before = await invoiced(billing, lea, canteen, date(2026, 9, 3))  # issued at 08:00
    later(billing, 1)
    mandate = await paper_mandate(billing, regie, lea)  # active from 08:01
    unsigned = await billing.kid(qf=900, first_name="Tom")
    await billing.call(
        "POST",
        f"{T}/billing/households/{unsigned.household_id}/mandates",
        billing.family(unsigned.household_id),
        {"regie_id": regie["id"], "holder": "Paul Durand", "iban": IBAN},
        201,
    )
    no_mandate = await billing.kid(qf=900, first_name="Zoé")
    later(billing, 60)
    due = await invoiced(billing, lea, canteen, date(2026, 9, 7), date(2026, 9, 8))
    await invoiced(billing, unsigned, canteen, date(2026, 9, 7))
    await invoiced(billing, no_mandate, canteen, date(2026, 9, 7))

    # The date leaves the families 14 days' notice and is a business day.
    early = await run(billing, regie, 422, "2026-09-14")
    assert [e["field"] for e in early["errors"]] == ["collection_date"]
    assert "15/09/2026" in early["detail"]
    await run(billing, regie, 422, "2026-09-19")  # a Saturday
    batch = await run(billing, regie)
    assert batch["number"] == "P-CANTINE-2026-000001"
    assert (batch["collection_date"], batch["item_count"]) == (COLLECTION, 1)
    assert batch["total_cents"] == due["total_cents"] == 830
    (item,) = batch["items"]
    assert (item["invoice_id"], item["mandate_id"]) == (due["id"], mandate["id"])
    assert item["sequence_type"] == "FRST" and item["status"] == "collected"
    assert item["iban_masked"] == "FR76 **** **** **** **** **** 189"
    assert item["end_to_end_id"] == "P-CANTINE-2026-000001-00001"
    assert IBAN not in str(batch)
    # The debit is a payment: the invoice is paid, the one issued before the mandate is not.
    assert (await invoice(billing, due["id"]))["remaining_cents"] == 0
    assert (await invoice(billing, before["id"]))["remaining_cents"] == 415
    (paid,) = [
        e
        for e in await billing.events("billing.PaymentReceived")
        if e["payload"]["method"] == "direct_debit"
    ]
    assert paid["payload"]["payment_id"] == item["payment_id"]
    assert paid["payload"]["received_on"] == COLLECTION
    assert paid["payload"]["allocations"][0]["invoice_id"] == due["id"]
    # The family is told ahead: amount, date, invoice, mandate.
    (announced,) = await billing.events("billing.DirectDebitAnnounced")
    assert announced["payload"]["invoice_number"] == due["number"]
    assert announced["payload"]["amount_cents"] == 830
    assert announced["payload"]["collection_date"] == COLLECTION
    assert announced["payload"]["rum"] == mandate["rum"]
    assert announced["payload"]["household_id"] == str(lea.household_id)
    assert announced["payload"]["iban_masked"] == "FR76 **** **** **** **** **** 189"
    listed = await billing.get(f"{T}/direct-debit-batches?regie_id={regie['id']}")
    assert [b["number"] for b in listed["batches"]] == ["P-CANTINE-2026-000001"]
    await billing.get(f"{T}/direct-debit-batches", billing.family(lea.household_id), 403)
    await run_is_refused_to_families(billing, regie, lea)


async def run_is_refused_to_families(billing, regie, kid) -> None:
    await billing.call(
        "POST",
        f"{T}/regies/{regie['id']}/direct-debit-batches",
        billing.family(kid.household_id),
        {"collection_date": COLLECTION},
        403,
    )


async def test_the_file_is_valid_sealed_at_rest_and_its_downloads_logged(billing, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    regie, canteen = await collecting(billing)
    lea = await billing.kid(qf=900)
    await paper_mandate(billing, regie, lea)
    tom = await billing.kid(qf=900, first_name="Tom")
    await paper_mandate(billing, regie, tom, holder="Élodie Dupré-Noël")
    later(billing, 60)
    first = await invoiced(billing, lea, canteen, date(2026, 9, 3))
    second = await invoiced(billing, lea, canteen, date(2026, 9, 4))
    await invoiced(billing, tom, canteen, date(2026, 9, 3), date(2026, 9, 4))
    batch = await run(billing, regie)
    assert [(i["invoice_id"], i["sequence_type"]) for i in batch["items"][:2]] == [
        (first["id"], "FRST"),
        (second["id"], "RCUR"),
    ]
    assert batch["items"][2]["sequence_type"] == "FRST"

    reader = str(uuid.uuid4())
    staff = billing.tokens.header(tenant=billing.TENANT, roles=("staff",), account_id=reader)
    r = await billing.client.get(f"{T}/direct-debit-batches/{batch['id']}/pain008", headers=staff)
    assert r.status == 200 and r.content_type == "application/xml"
    assert 'filename="P-CANTINE-2026-000001.xml"' in r.headers["Content-Disposition"]
    content = await r.read()
    pain008_schema().validate(content.decode())  # independently of sepaxml's own check
    tree = etree.fromstring(content)
    header = tree.find("p:CstmrDrctDbtInitn/p:GrpHdr", namespaces=NS)
    assert header.findtext("p:MsgId", namespaces=NS) == batch["message_id"]
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "3"
    assert header.findtext("p:CtrlSum", namespaces=NS) == "16.60"
    kinds = sorted(
        (
            tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS),
            block.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS),
            tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS),
            tx.findtext("p:Dbtr/p:Nm", namespaces=NS),
        )
        for block in tree.iterfind("p:CstmrDrctDbtInitn/p:PmtInf", namespaces=NS)
        for tx in block.iterfind("p:DrctDbtTxInf", namespaces=NS)
    )
    assert kinds == [
        ("P-CANTINE-2026-000001-00001", "FRST", IBAN, "Claire Martin"),
        ("P-CANTINE-2026-000001-00002", "RCUR", IBAN, "Claire Martin"),
        ("P-CANTINE-2026-000001-00003", "FRST", IBAN, "Elodie Dupre-Noel"),
    ]
    assert all(
        block.findtext("p:ReqdColltnDt", namespaces=NS) == COLLECTION
        for block in tree.iterfind("p:CstmrDrctDbtInitn/p:PmtInf", namespaces=NS)
    )
    # Each household debited sees that its bank details went out in the file.
    for kid in (lea, tom):
        log = f"{T}/billing/households/{kid.household_id}/bank-details-access-log"
        (entry,) = (await billing.get(log, billing.family(kid.household_id)))["items"]
        assert (entry["purpose"], entry["batch_number"], entry["account_id"]) == (
            "pain008",
            "P-CANTINE-2026-000001",
            reader,
        )
    # The file is sealed: no IBAN in any column of any billing table.
    async with billing.pool.acquire() as conn:
        tables = await conn.fetch(
            """SELECT quote_ident(table_name) AS name FROM information_schema.tables
               WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"""
        )
        for table in tables:
            rows = await conn.fetch(f"SELECT t::text AS row FROM {table['name']} t")
            for row in rows:
                assert IBAN not in row["row"] and IBAN.encode().hex() not in row["row"]
    await billing.get(f"{T}/direct-debit-batches/{uuid.uuid4()}/pain008", status=404)
    # Nor in any log line, though the file went out.
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err + str([r.__dict__ for r in caplog.records])
    assert "/direct-debit-batches/{batch_id}/pain008" in logged
    assert IBAN not in logged and IBAN[4:23] not in logged


async def test_a_new_account_collects_what_the_replaced_mandate_would_have(billing):
    regie, canteen = await collecting(billing)
    lea = await billing.kid(qf=900)
    old = await paper_mandate(billing, regie, lea)
    later(billing, 60)
    due = await invoiced(billing, lea, canteen, date(2026, 9, 3))
    later(billing, 120)
    # The family changes accounts before the batch: the new mandate takes the invoice over.
    new = await paper_mandate(billing, regie, lea, holder="Simon Martin")
    assert (await billing.get(f"{T}/mandates/{old['id']}"))["status"] == "revoked"
    (item,) = (await run(billing, regie))["items"]
    assert (item["invoice_id"], item["mandate_id"]) == (due["id"], new["id"])
    assert (item["rum"], item["sequence_type"]) == (new["rum"], "FRST")
    # A paper mandate cannot be signed after today.
    future = await billing.call(
        "POST",
        f"{T}/billing/households/{lea.household_id}/mandates",
        billing.staff(),
        {"regie_id": regie["id"], "holder": "X", "iban": IBAN, "signed_on": "2026-09-02"},
        422,
    )
    assert [e["field"] for e in future["errors"]] == ["signed_on"]


async def test_running_again_adds_only_what_is_new(billing):
    regie, canteen = await collecting(billing)
    lea = await billing.kid(qf=900)
    await paper_mandate(billing, regie, lea)
    await run(billing, regie, 409)  # nothing issued since the mandate
    later(billing, 60)
    await invoiced(billing, lea, canteen, date(2026, 9, 3))
    await invoiced(billing, lea, canteen, date(2026, 9, 4))

    # Twice at once: one batch, the other run finds nothing new and answers it.
    async def run_any() -> tuple[int, Any]:
        r = await billing.client.post(
            f"{T}/regies/{regie['id']}/direct-debit-batches",
            json={"collection_date": COLLECTION},
            headers=billing.staff(),
        )
        return r.status, await r.json()

    (status_a, a), (status_b, b) = await asyncio.gather(run_any(), run_any())
    assert sorted([status_a, status_b]) == [200, 201]
    assert a["id"] == b["id"] and a["item_count"] == b["item_count"] == 2
    runs = [a]
    again = await run(billing, regie, 200)
    assert again["id"] == runs[0]["id"] and again["item_count"] == 2
    later(billing, 120)
    third = await invoiced(billing, lea, canteen, date(2026, 9, 7))
    new = await run(billing, regie)
    assert new["number"] == "P-CANTINE-2026-000002"
    assert [(i["invoice_id"], i["sequence_type"]) for i in new["items"]] == [(third["id"], "RCUR")]
    announced = await billing.events("billing.DirectDebitAnnounced", 3)
    assert len({e["payload"]["invoice_id"] for e in announced}) == 3
    await asyncio.sleep(0.5)
    assert len(billing.tap.of_type("billing.DirectDebitAnnounced")) == 3


async def test_who_may_run_a_batch(billing):
    regie = await billing.regie()
    body = await run(billing, regie, 409)
    assert body["type"].endswith("direct-debit-not-configured")
    await run(billing, {"id": str(uuid.uuid4())}, 404)
    lea = await billing.kid()
    await run_is_refused_to_families(billing, regie, lea)


async def test_the_second_rejection_suspends_the_mandate(billing):
    regie, canteen = await collecting(billing)
    lea = await billing.kid(qf=900)
    mandate = await paper_mandate(billing, regie, lea)
    later(billing, 60)
    first = await invoiced(billing, lea, canteen, date(2026, 9, 3))
    (item,) = (await run(billing, regie))["items"]
    assert (await invoice(billing, first["id"]))["remaining_cents"] == 0

    await reject(billing, 422, item_id=item["id"], reason_code="XX99")
    await reject(billing, 422, reason_code="AM04")  # neither debit nor invoice
    await reject(billing, 404, item_id=str(uuid.uuid4()), reason_code="AM04")
    rejected = await reject(billing, item_id=item["id"], reason_code="AM04")
    assert rejected["applied"] is True
    assert rejected["item"]["status"] == "rejected"
    assert rejected["item"]["reason_label"] == "Provision insuffisante"
    assert (rejected["mandate"]["status"], rejected["mandate"]["rejections"]) == ("active", 1)
    # The invoice is due again; the family is told.
    assert (await invoice(billing, first["id"]))["remaining_cents"] == 415
    (told,) = await billing.events("billing.DirectDebitRejected")
    assert (told["payload"]["reason_code"], told["payload"]["rejections"]) == ("AM04", 1)
    assert told["payload"]["reason_label"] == "Provision insuffisante"
    assert told["payload"]["invoice_id"] == first["id"]
    assert told["payload"]["collection_date"] == COLLECTION
    # Recorded twice (by the invoice this time): applied once.
    again = await reject(billing, invoice_id=first["id"], reason_code="AM04")
    assert again["applied"] is False and again["mandate"]["rejections"] == 1
    assert (await invoice(billing, first["id"]))["remaining_cents"] == 415

    # The rejected first collection leaves the mandate unused: the next one is FRST again.
    later(billing, 120)
    second = await invoiced(billing, lea, canteen, date(2026, 9, 4))
    (next_item,) = (await run(billing, regie, when="2026-09-16"))["items"]
    assert (next_item["invoice_id"], next_item["sequence_type"]) == (second["id"], "FRST")
    csv = f"invoice_number;reason_code\n{second['number']};AC04\n".encode()
    imported = await import_report(billing, csv, "text/csv")
    assert [i["invoice_id"] for i in imported["applied"]] == [second["id"]]
    assert (await invoice(billing, second["id"]))["remaining_cents"] == 415
    suspended = await billing.get(f"{T}/mandates/{mandate['id']}")
    assert (suspended["status"], suspended["rejections"]) == ("suspended", 2)
    (event,) = await billing.events("billing.MandateSuspended")
    assert (event["payload"]["mandate_id"], event["payload"]["rejections"]) == (mandate["id"], 2)
    told = await billing.events("billing.DirectDebitRejected", 2)
    assert told[1]["payload"]["reason_label"] == "Compte clôturé"
    # A suspended mandate collects nothing more.
    later(billing, 180)
    await invoiced(billing, lea, canteen, date(2026, 9, 7))
    body = await run(billing, regie, 200, when="2026-09-16")  # nothing new that day
    assert body["id"] != next_item["id"] and body["item_count"] == 1
    await run(billing, regie, 409, when="2026-09-17")


def status_report(message_id: str, *transactions: tuple[str, str, str]) -> bytes:
    txs = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{ref}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf></TxInfAndSts>"
        for ref, status, code in transactions
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>STS-20260916</MsgId><CreDtTm>2026-09-16T07:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{message_id}</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>X</OrgnlPmtInfId>{txs}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()


async def test_a_pain002_report_is_imported_once(billing):
    regie, canteen = await collecting(billing)
    lea = await billing.kid(qf=900)
    tom = await billing.kid(qf=900, first_name="Tom")
    for kid in (lea, tom):
        await paper_mandate(billing, regie, kid)
    later(billing, 60)
    lea_invoice = await invoiced(billing, lea, canteen, date(2026, 9, 3))
    tom_invoice = await invoiced(billing, tom, canteen, date(2026, 9, 3))
    batch = await run(billing, regie)
    by_invoice = {i["invoice_id"]: i for i in batch["items"]}
    lea_item, tom_item = by_invoice[lea_invoice["id"]], by_invoice[tom_invoice["id"]]
    report = status_report(
        batch["message_id"],
        (lea_item["end_to_end_id"], "RJCT", "MD06"),
        (tom_item["end_to_end_id"], "ACSC", "NARR"),
        ("P-OTHER-2026-000009-00001", "RJCT", "AC01"),
    )
    imported = await import_report(billing, report, "application/xml")
    assert [i["id"] for i in imported["applied"]] == [lea_item["id"]]
    assert imported["applied"][0]["reason_label"] == "Remboursement demandé par le débiteur"
    assert imported["unmatched"] == ["P-OTHER-2026-000009-00001"]
    assert imported["already_rejected"] == []
    assert (await invoice(billing, lea_invoice["id"]))["remaining_cents"] == 415
    assert (await invoice(billing, tom_invoice["id"]))["remaining_cents"] == 0
    # The same report again: nothing more.
    again = await import_report(billing, report, "application/xml")
    assert again["applied"] == [] and again["already_rejected"] == [lea_item["end_to_end_id"]]
    assert (await invoice(billing, lea_invoice["id"]))["remaining_cents"] == 415
    await billing.events("billing.DirectDebitRejected")
    await asyncio.sleep(0.5)
    assert len(billing.tap.of_type("billing.DirectDebitRejected")) == 1
    batch = await billing.get(f"{T}/direct-debit-batches/{batch['id']}")
    assert (batch["rejected_count"], batch["rejected_cents"]) == (1, 415)


async def test_a_whole_file_rejected_and_unreadable_reports(billing, tmp_path):
    regie, canteen = await collecting(billing)
    lea = await billing.kid(qf=900)
    await paper_mandate(billing, regie, lea)
    later(billing, 60)
    due = await invoiced(billing, lea, canteen, date(2026, 9, 3))
    batch = await run(billing, regie)
    # Unreadable reports change nothing.
    secret = tmp_path / "secret"
    secret.write_text("TOP-SECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        "<OrgnlPmtInfAndSts><TxInfAndSts><OrgnlEndToEndId>&x;</OrgnlEndToEndId>"
        "<TxSts>RJCT</TxSts></TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    ).encode()
    for content, content_type in [
        (xxe, "application/xml"),
        (b"<Document><Nothing/></Document>", "application/xml"),
        (b"reference,code\nx,AM04\n", "text/csv"),
        (b"   ", "text/csv"),
    ]:
        body = await import_report(billing, content, content_type, 422)
        assert "TOP-SECRET" not in str(body)
    assert (await invoice(billing, due["id"]))["remaining_cents"] == 0
    await billing.call(
        "POST", f"{T}/direct-debit-rejections/import", billing.family(lea.household_id), None, 403
    )
    # The bank refuses the whole file: every debit of it is rejected.
    whole = (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{batch['message_id']}</OrgnlMsgId>"
        "<GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf>"
        "</OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>"
    ).encode()
    imported = await import_report(billing, whole, "application/xml")
    assert [(i["invoice_id"], i["reason_code"]) for i in imported["applied"]] == [
        (due["id"], "FF01")
    ]
    assert (await invoice(billing, due["id"]))["remaining_cents"] == 415

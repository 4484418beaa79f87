"""Direct debit: collection dates, sequence types, the pain.008 file (checked here against the
XSD independently of sepaxml), rejection reasons and the reports that carry them."""

from datetime import date
from functools import cache
from importlib.resources import files

import pytest
import xmlschema
from lxml import etree

from billing.domain.direct_debit import (
    Creditor,
    Debit,
    FileRefused,
    PastCollection,
    ReportError,
    collection_date_refusal,
    earliest_collection_date,
    end_to_end_id,
    is_business_day,
    pain008,
    parse_pain002,
    parse_rejections_csv,
    parse_report,
    reason_label,
    sequence_type,
)
from billing.domain.mandates import BankAccount, bank_account

XSD = files("sepaxml") / "schemas" / "pain.008.001.02.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
DEBTOR = "FR7630006000011234567890189"
CREDITOR = Creditor(
    "Régie restauration scolaire",
    "FR72ZZZ123456",
    bank_account("FR7630001000000079412345605", "BDFEFRPP"),
)


@cache
def xsd() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def debit(n: int, kind: str = "FRST", *, bic: bool = True, holder: str = "Claire Martin"):
    return Debit(
        end_to_end_id=end_to_end_id("P-CANTINE-2026-000001", n),
        amount_cents=1234 + n,
        sequence_type=kind,
        rum=f"M-CANTINE-2026-{n:06d}",
        signed_on=date(2026, 9, 1),
        holder=holder,
        account=bank_account(DEBTOR, "AGRIFRPP") if bic else BankAccount(DEBTOR, None),
        description=f"Facture F-CANTINE-2026-{n:06d} - Régie restauration scolaire",
    )


# --- dates ---------------------------------------------------------------------------------


def test_business_days_follow_the_target2_calendar():
    assert is_business_day(date(2026, 9, 18))  # a Friday
    assert not is_business_day(date(2026, 9, 19))  # Saturday
    assert not is_business_day(date(2026, 9, 20))  # Sunday
    for closed in [(1, 1), (4, 3), (4, 6), (5, 1), (12, 25), (12, 26)]:
        assert not is_business_day(date(2026, *closed)), closed
    assert is_business_day(date(2026, 7, 14))  # French national day: TARGET2 is open


def test_the_earliest_collection_date_leaves_the_notice_and_is_a_business_day():
    # Tuesday 1 September + 14 days = Tuesday 15.
    assert earliest_collection_date(date(2026, 9, 1), 14) == date(2026, 9, 15)
    # Friday 4 September + 2 = Sunday 6: Monday 7.
    assert earliest_collection_date(date(2026, 9, 4), 2) == date(2026, 9, 7)
    # 17 April + 14 = Friday 1 May (closed), then the weekend: Monday 4 May.
    assert earliest_collection_date(date(2026, 4, 17), 14) == date(2026, 5, 4)
    assert collection_date_refusal(date(2026, 9, 15), date(2026, 9, 1), 14) is None
    too_early = collection_date_refusal(date(2026, 9, 14), date(2026, 9, 1), 14)
    assert too_early and "15/09/2026" in too_early
    assert "jour ouvré" in collection_date_refusal(date(2026, 9, 19), date(2026, 9, 1), 14)


# --- sequence types ------------------------------------------------------------------------


def test_sequence_types():
    assert sequence_type([]) == "FRST"
    assert sequence_type([PastCollection("FRST", rejected=False)]) == "RCUR"
    # A rejected first collection leaves the mandate unused: FRST again.
    assert sequence_type([PastCollection("FRST", rejected=True)]) == "FRST"
    assert (
        sequence_type([PastCollection("FRST", rejected=True), PastCollection("FRST", False)])
        == "RCUR"
    )
    # A rejected recurrent one changes nothing.
    assert (
        sequence_type([PastCollection("FRST", False), PastCollection("RCUR", rejected=True)])
        == "RCUR"
    )


def test_end_to_end_ids_fit_35_characters():
    assert end_to_end_id("P-CANTINE-2026-000001", 7) == "P-CANTINE-2026-000001-00007"
    assert len(end_to_end_id("P-ABCDEFGHIJKL-2026-999999", 99_999)) <= 35
    with pytest.raises(ValueError):
        end_to_end_id("P-" + "X" * 40, 1)


# --- the pain.008 file ---------------------------------------------------------------------


def test_the_pain008_file_is_valid_against_its_xsd_with_its_sequence_types():
    content, message_id = pain008(
        CREDITOR, date(2026, 9, 18), [debit(1, "FRST"), debit(2, "RCUR"), debit(3, "RCUR")]
    )
    xsd().validate(content.decode())
    tree = etree.fromstring(content)
    assert tree.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId", namespaces=NS) == message_id
    assert tree.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert tree.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "37.08"
    blocks = {
        block.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS): block
        for block in tree.iterfind("p:CstmrDrctDbtInitn/p:PmtInf", namespaces=NS)
    }
    assert set(blocks) == {"FRST", "RCUR"}
    assert blocks["FRST"].findtext("p:ReqdColltnDt", namespaces=NS) == "2026-09-18"
    assert blocks["FRST"].findtext("p:PmtTpInf/p:LclInstrm/p:Cd", namespaces=NS) == "CORE"
    creditor_id = "p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id"
    assert blocks["RCUR"].findtext(creditor_id, namespaces=NS) == "FR72ZZZ123456"
    refs = [
        tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS)
        for tx in blocks["RCUR"].iterfind("p:DrctDbtTxInf", namespaces=NS)
    ]
    assert refs == ["P-CANTINE-2026-000001-00002", "P-CANTINE-2026-000001-00003"]
    (first,) = blocks["FRST"].iterfind("p:DrctDbtTxInf", namespaces=NS)
    assert first.findtext("p:InstdAmt", namespaces=NS) == "12.35"
    assert first.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=NS) == (
        "M-CANTINE-2026-000001"
    )
    assert first.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == DEBTOR
    assert first.findtext("p:Dbtr/p:Nm", namespaces=NS) == "Claire Martin"


def test_a_debtor_without_bic_is_sent_with_the_iban_alone():
    content, _ = pain008(CREDITOR, date(2026, 9, 18), [debit(1, bic=False)])
    xsd().validate(content.decode())
    agent = etree.fromstring(content).find(".//p:DrctDbtTxInf/p:DbtrAgt", namespaces=NS)
    assert agent.findtext("p:FinInstnId/p:Othr/p:Id", namespaces=NS) == "NOTPROVIDED"


def test_a_file_the_xsd_refuses_is_not_returned():
    with pytest.raises(FileRefused) as refused:
        pain008(CREDITOR, date(2026, 9, 18), [debit(1, holder="")])
    assert DEBTOR not in str(refused.value)


# --- rejection reports ---------------------------------------------------------------------


def pain002(*transactions: tuple[str, str, str], group: str = "PART") -> bytes:
    txs = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{ref}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf></TxInfAndSts>"
        for ref, status, code in transactions
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>STS-1</MsgId><CreDtTm>2026-09-21T10:00:00</CreDtTm></GrpHdr>"
        "<OrgnlGrpInfAndSts><OrgnlMsgId>20260901-abc</OrgnlMsgId>"
        f"<OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId><GrpSts>{group}</GrpSts>"
        "</OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>X</OrgnlPmtInfId>{txs}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()


def test_a_pain002_report_gives_its_rejected_transactions():
    report = pain002(
        ("E2E-1", "RJCT", "AM04"), ("E2E-2", "ACSC", "XXXX"), ("E2E-3", "RJCT", "md06")
    )
    rejected = parse_report(report)
    assert [(r.end_to_end_id, r.reason_code) for r in rejected] == [
        ("E2E-1", "AM04"),
        ("E2E-3", "MD06"),
    ]


def test_a_pain002_rejecting_the_whole_file_names_its_message():
    report = (
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        b"<OrgnlGrpInfAndSts><OrgnlMsgId>20260901-abc</OrgnlMsgId><GrpSts>RJCT</GrpSts>"
        b"<StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts>"
        b"</CstmrPmtStsRpt></Document>"
    )
    (whole,) = parse_pain002(report)
    assert (whole.message_id, whole.reason_code, whole.end_to_end_id) == (
        "20260901-abc",
        "FF01",
        None,
    )


def test_external_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        "<OrgnlPmtInfAndSts><TxInfAndSts><OrgnlEndToEndId>&x;</OrgnlEndToEndId>"
        "<TxSts>RJCT</TxSts></TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    ).encode()
    with pytest.raises(ReportError, match="DOCTYPE") as refused:
        parse_pain002(xxe)
    assert "TOP-SECRET" not in str(refused.value)
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;">]><Document>&c;</Document>'
    )
    with pytest.raises(ReportError):
        parse_pain002(laughs)


def test_what_is_not_a_pain002_is_refused():
    for content in [b"<html></html>", b"<Document><Other/></Document>", b"<not xml"]:
        with pytest.raises(ReportError):
            parse_pain002(content)
    with pytest.raises(ReportError, match="OrgnlEndToEndId"):
        parse_pain002(pain002(("", "RJCT", "AM04")))
    with pytest.raises(ReportError, match="ISO"):
        parse_pain002(pain002(("E2E-1", "RJCT", "TOOLONG")))


def test_a_csv_of_rejections():
    semicolons = "\ufeffend_to_end_id;reason_code\nE2E-1;am04\n\nE2E-2;AC04\n".encode()
    assert [(r.end_to_end_id, r.reason_code) for r in parse_report(semicolons)] == [
        ("E2E-1", "AM04"),
        ("E2E-2", "AC04"),
    ]
    commas = b"Invoice_Number,Reason_Code\nF-CANTINE-2026-000001,MD06\n"
    (by_number,) = parse_rejections_csv(commas)
    assert (by_number.invoice_number, by_number.reason_code) == ("F-CANTINE-2026-000001", "MD06")
    for bad, message in [
        (b"reference;code\nE2E-1;AM04\n", "en-tête"),
        (b"end_to_end_id;reason_code\n;AM04\n", "Ligne 2"),
        (b"end_to_end_id;reason_code\nE2E-1;nope!\n", "Ligne 2"),
        (b"", "vide"),
        ("end_to_end_id;reason_code\nE2E-1;AM04\n".encode("utf-16"), "UTF-8"),
    ]:
        with pytest.raises(ReportError, match=message):
            parse_rejections_csv(bad)


def test_reason_labels_are_french():
    assert reason_label("AM04") == "Provision insuffisante"
    assert reason_label("AC04") == "Compte clôturé"
    assert reason_label("MD06") == "Remboursement demandé par le débiteur"
    assert reason_label("ZZ99") == "Rejet bancaire (motif ZZ99)"

"""SEPA direct-debit collections: when a collection may fall, the sequence type of each debit,
the pain.008 file the régie sends its bank, the bank's rejection reasons and the reports
(pain.002, or a CSV) that carry them.

- Collection date: a TARGET2 business day (the SEPA clearing calendar: no weekend, 1 January,
  Good Friday, Easter Monday, 1 May, 25 and 26 December), at least the régie's
  pre-notification days after today, so that every family is told ahead [000].
- Sequence type: FRST for a mandate's first collection, RCUR after. A first collection that
  was rejected does not count: the next one is FRST again (SEPA Core rulebook).
- The file: pain.008.001.02 (CORE) made by sepaxml, which checks it against the XSD it ships
  before returning it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from lxml import etree
from sepaxml import SepaDD
from sepaxml.validation import ValidationError as SepaValidationError

from billing.domain.mandates import BankAccount

SCHEMA = "pain.008.001.02"
SEQUENCE_TYPES = ("FRST", "RCUR")

# ISO 20022 reason codes of SEPA direct-debit rejects, returns and refunds (EPC guidance),
# as a family reads them.
REASONS: dict[str, str] = {
    "AC01": "Coordonnées bancaires incorrectes (IBAN erroné)",
    "AC04": "Compte clôturé",
    "AC06": "Compte bloqué",
    "AC13": "Compte de débiteur non valide (type de compte)",
    "AG01": "Prélèvement interdit sur ce compte",
    "AG02": "Code opération non valide",
    "AM04": "Provision insuffisante",
    "AM05": "Prélèvement en double",
    "BE05": "Créancier non reconnu",
    "CNOR": "Banque du créancier non joignable",
    "DNOR": "Banque du débiteur non joignable",
    "FF01": "Format de fichier non valide",
    "MD01": "Absence de mandat",
    "MD02": "Informations du mandat manquantes ou erronées",
    "MD06": "Remboursement demandé par le débiteur",
    "MD07": "Titulaire du compte décédé",
    "MS02": "Opposition du débiteur (motif non communiqué)",
    "MS03": "Motif non communiqué par la banque",
    "RC01": "Code banque (BIC) incorrect",
    "RR01": "Identification du débiteur manquante (motif réglementaire)",
    "RR02": "Nom ou adresse du débiteur manquant (motif réglementaire)",
    "RR03": "Nom ou adresse du créancier manquant (motif réglementaire)",
    "RR04": "Motif réglementaire",
    "SL01": "Service particulier de la banque du débiteur (opposition, liste blanche ou noire)",
}
_REASON_SHAPE = re.compile(r"[A-Z0-9]{4}")


class ReportError(ValueError):
    """A rejection report that cannot be read; the message is French."""


def reason_label(code: str) -> str:
    return REASONS.get(code, f"Rejet bancaire (motif {code})")


def is_reason_code(code: str) -> bool:
    return _REASON_SHAPE.fullmatch(code) is not None


# --- dates ---------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _target_closed(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays("XECB", years=year))


def is_business_day(day: date) -> bool:
    """A TARGET2 day: SEPA direct debits settle only then."""
    return day.weekday() < 5 and day not in _target_closed(day.year)


def earliest_collection_date(today: date, prenotification_days: int) -> date:
    """The first business day at least `prenotification_days` after today."""
    day = today + timedelta(days=prenotification_days)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def collection_date_refusal(
    collection_date: date, today: date, prenotification_days: int
) -> str | None:
    """Why a collection cannot fall on that date (in French), None when it can."""
    earliest = earliest_collection_date(today, prenotification_days)
    if collection_date < earliest:
        return (
            f"Les familles doivent être prévenues {prenotification_days} jours avant le "
            f"prélèvement : choisissez le {earliest:%d/%m/%Y} ou une date ultérieure."
        )
    if not is_business_day(collection_date):
        return (
            "Un prélèvement ne peut avoir lieu qu'un jour ouvré (ni week-end, ni jour férié "
            "du calendrier TARGET2)."
        )
    return None


# --- sequence types ------------------------------------------------------------------------


@dataclass(frozen=True)
class PastCollection:
    """A collection already made on the mandate: its sequence type, and whether the bank
    rejected it."""

    sequence_type: str
    rejected: bool


def sequence_type(past: Iterable[PastCollection]) -> str:
    """FRST until a first collection has gone through (or is on its way): a rejected FRST
    leaves the mandate unused, so the next is FRST again; RCUR after."""
    for collection in past:
        if not (collection.sequence_type == "FRST" and collection.rejected):
            return "RCUR"
    return "FRST"


def end_to_end_id(batch_number: str, position: int) -> str:
    """The reference the bank sends back with a rejection (35 characters at most)."""
    reference = f"{batch_number}-{position:05d}"
    if len(reference) > 35:
        raise ValueError(f"end-to-end id too long: {reference!r}")
    return reference


# --- the pain.008 file ---------------------------------------------------------------------


@dataclass(frozen=True)
class Creditor:
    name: str
    creditor_id: str  # the ICS
    account: BankAccount


@dataclass(frozen=True)
class Debit:
    end_to_end_id: str
    amount_cents: int
    sequence_type: str
    rum: str
    signed_on: date
    holder: str
    account: BankAccount
    description: str


class FileRefused(ValueError):
    """sepaxml refused the data or the XSD refused the file."""


def pain008(
    creditor: Creditor, collection_date: date, debits: Sequence[Debit]
) -> tuple[bytes, str]:
    """The pain.008.001.02 file of the debits (one payment information block per sequence
    type), checked against the XSD by sepaxml; and its message id. CPU-bound (the schema is
    read each time): run it off the event loop."""
    if not creditor.account.bic:
        raise FileRefused("the creditor's BIC is required by pain.008.001.02")
    sepa = SepaDD(
        {
            "name": creditor.name,
            "IBAN": creditor.account.iban,
            "BIC": creditor.account.bic,
            "batch": True,
            "creditor_id": creditor.creditor_id,
            "currency": "EUR",
            "instrument": "CORE",
        },
        schema=SCHEMA,
        clean=True,
    )
    for debit in debits:
        payment = {
            "name": debit.holder,
            "IBAN": debit.account.iban,
            "amount": debit.amount_cents,
            "type": debit.sequence_type,
            "collection_date": collection_date,
            "mandate_id": debit.rum,
            "mandate_date": debit.signed_on,
            "description": debit.description,
            "endtoend_id": debit.end_to_end_id,
        }
        if debit.account.bic:
            payment["BIC"] = debit.account.bic
        sepa.add_payment(payment)
    try:
        content = sepa.export(validate=True)
    except SepaValidationError as exc:
        # The XSD's message would quote the faulty value (possibly an IBAN): not passed on.
        raise FileRefused("the pain.008 file does not validate against its XSD") from exc.__cause__
    return content, sepa.msg_id


# --- rejection reports ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReportedRejection:
    """One rejected debit as a report gives it: by end-to-end id (the file's) or by invoice
    number (a CSV typed by hand); or a whole file rejected (`message_id`)."""

    reason_code: str
    end_to_end_id: str | None = None
    invoice_number: str | None = None
    message_id: str | None = None


def _parser() -> etree.XMLParser:
    # No entity expanded, no DTD loaded, nothing fetched from the network (XXE, billion laughs).
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child(element: etree._Element, *path: str) -> etree._Element | None:
    for name in path:
        element = next((c for c in element if _local(c.tag) == name), None)
        if element is None:
            return None
    return element


def _text(element: etree._Element, *path: str) -> str | None:
    found = _child(element, *path)
    return found.text.strip() if found is not None and found.text else None


def parse_pain002(content: bytes) -> list[ReportedRejection]:
    """The rejections of a pain.002 payment status report (any version): each transaction
    whose status is RJCT with its reason code; a group status RJCT without transactions
    rejects the whole original message. A document with a DTD is refused outright."""
    try:
        root = etree.fromstring(content, parser=_parser())
    except etree.XMLSyntaxError:
        raise ReportError("Le fichier n'est pas un XML valide.") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise ReportError("Le fichier contient une déclaration DOCTYPE : il est refusé.")
    report = _child(root, "CstmrPmtStsRpt")
    if _local(root.tag) != "Document" or report is None:
        raise ReportError("Le fichier n'est pas un rapport de statut pain.002.")
    out: list[ReportedRejection] = []
    group = _child(report, "OrgnlGrpInfAndSts")
    transactions = [
        tx
        for block in report
        if _local(block.tag) == "OrgnlPmtInfAndSts"
        for tx in block
        if _local(tx.tag) == "TxInfAndSts"
    ]
    for tx in transactions:
        if _text(tx, "TxSts") != "RJCT":
            continue
        reference = _text(tx, "OrgnlEndToEndId")
        code = _text(tx, "StsRsnInf", "Rsn", "Cd") or "MS03"
        if not reference:
            raise ReportError("Une transaction rejetée n'a pas de référence (OrgnlEndToEndId).")
        out.append(ReportedRejection(_checked_code(code), end_to_end_id=reference))
    if group is not None and _text(group, "GrpSts") == "RJCT" and not transactions:
        message_id = _text(group, "OrgnlMsgId")
        if not message_id:
            raise ReportError("Le rejet du fichier n'indique pas le message d'origine.")
        code = _text(group, "StsRsnInf", "Rsn", "Cd") or "FF01"
        out.append(ReportedRejection(_checked_code(code), message_id=message_id))
    return out


_CSV_REFERENCE = {"end_to_end_id": "end_to_end_id", "invoice_number": "invoice_number"}


def parse_rejections_csv(content: bytes) -> list[ReportedRejection]:
    """A CSV of rejections (`;` or `,`), with a header naming `end_to_end_id` or
    `invoice_number`, and `reason_code`; UTF-8 (a BOM is allowed)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReportError("Le fichier CSV doit être encodé en UTF-8.") from None
    lines = text.splitlines()
    if not lines:
        raise ReportError("Le fichier est vide.")
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = {(name or "").strip().lower() for name in reader.fieldnames or []}
    reference = next((c for c in _CSV_REFERENCE if c in columns), None)
    if reference is None or "reason_code" not in columns:
        raise ReportError(
            "L'en-tête du CSV doit nommer les colonnes end_to_end_id (ou invoice_number) "
            "et reason_code."
        )
    out = []
    for number, row in enumerate(reader, start=2):
        values = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue
        if not values.get(reference):
            raise ReportError(f"Ligne {number} : la référence est vide.")
        code = values.get("reason_code", "").upper()
        if not is_reason_code(code):
            raise ReportError(f"Ligne {number} : le code motif « {code[:8]} » n'est pas valide.")
        out.append(ReportedRejection(code, **{reference: values[reference]}))
    return out


def parse_report(content: bytes) -> list[ReportedRejection]:
    """A pain.002 (XML) or a CSV, told apart by their content."""
    if content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return parse_pain002(content)
    return parse_rejections_csv(content)


def _checked_code(code: str) -> str:
    code = code.upper()
    if not is_reason_code(code):
        raise ReportError(f"Le code motif « {code[:8]} » n'est pas un code ISO 20022.")
    return code

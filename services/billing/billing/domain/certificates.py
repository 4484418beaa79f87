"""Certificates a household downloads ("édition de documents" [000]), each issued by the
régie that billed what it certifies (a page per régie):

- attendance: the days a child was marked present at an activity over a period;
- payments: the invoices issued over a period and what settled them (credit notes deducted,
  payments), and the payments received over the period (card, counter, direct debit,
  wallet; a reversed one, a bounced cheque, is not counted);
- childcare expenses for the tax credit ("crédit d'impôt pour frais de garde des jeunes
  enfants", art. 200 quater B du CGI): for a calendar year, per child under 6 on 1 January
  of that year, what the régie invoiced for childcare (not meals) less the credit notes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from billing.domain.french import french_date

TAX_CREDIT_NOTE = (
    "Les montants indiqués sont ceux facturés au titre de la garde pendant l'année civile, "
    "déduction faite des avoirs. "
    "Les frais de repas sont exclus. Seuls les enfants de moins de 6 ans au 1er janvier de "
    "l'année ouvrent droit au crédit d'impôt."
)
PAYMENTS_NOTE = (
    "Les montants réglés sont les avoirs déduits des factures et les paiements enregistrés "
    "par la régie (carte bancaire, guichet, prélèvement, porte-monnaie) ; un paiement annulé "
    "(chèque impayé, prélèvement rejeté) n'est pas compté. Pour un paiement effectué "
    "directement auprès du Trésor public, adressez-vous à la régie."
)


def under_six(birth_date: date, year: int) -> bool:
    """Under 6 on 1 January of `year` (born on 1 January of year − 6 or later), as the tax
    administration counts it for the childcare tax credit of that year's expenses."""
    return birth_date >= date(year - 6, 1, 1)


@dataclass
class ActivityDays:
    activity: str
    days: list[date] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.days)

    @property
    def days_text(self) -> str:
        return ", ".join(f"{d:%d/%m}" for d in sorted(self.days))


def attendance_by_regie(days: Iterable[Mapping[str, Any]]) -> dict[UUID, list[ActivityDays]]:
    """Present days (rows with `regie_id`, `activity_name`, `day`) per régie, then activity."""
    out: dict[UUID, dict[str, ActivityDays]] = defaultdict(dict)
    for row in sorted(days, key=lambda r: (r["activity_name"], r["day"])):
        by_activity = out[row["regie_id"]]
        item = by_activity.setdefault(row["activity_name"], ActivityDays(row["activity_name"]))
        if row["day"] not in item.days:
            item.days.append(row["day"])
    return {regie: list(items.values()) for regie, items in out.items()}


@dataclass(frozen=True)
class ChildAmount:
    child_id: UUID
    name: str
    birth_date: date
    invoiced_cents: int
    credited_cents: int

    @property
    def net_cents(self) -> int:
        return self.invoiced_cents - self.credited_cents


def childcare_by_regie(
    amounts: Iterable[Mapping[str, Any]], children: Mapping[UUID, Mapping[str, Any]], year: int
) -> dict[UUID, list[ChildAmount]]:
    """Per régie, the children under 6 on 1 January of `year` with what was invoiced for
    their childcare that year and credited back; children the régie did not bill are left
    out. `amounts`: rows (regie_id, child_id, child_name, invoiced_cents, credited_cents)."""
    out: dict[UUID, list[ChildAmount]] = defaultdict(list)
    for row in amounts:
        child = children.get(row["child_id"])
        if child is None or not under_six(child["birth_date"], year):
            continue
        amount = ChildAmount(
            child_id=row["child_id"],
            name=f"{child['first_name']} {child['last_name']}".strip(),
            birth_date=child["birth_date"],
            invoiced_cents=int(row["invoiced_cents"]),
            credited_cents=int(row["credited_cents"]),
        )
        if amount.invoiced_cents or amount.credited_cents:
            out[row["regie_id"]].append(amount)
    return {k: sorted(v, key=lambda a: (a.birth_date, a.name)) for k, v in out.items()}


def period_title(start: date, end: date) -> str:
    return f"du {french_date(start)} au {french_date(end)}"

"""Reminders of unpaid invoices and their recovery by the public treasury.

A régie sets its reminder schedule: reminder levels at so many days after an invoice's due
date (e.g. 10, 25 and 40; none: no reminders), a minimum amount below which nobody is
reminded, and how many days after the last reminder an invoice may be sent to recovery (a
collection docket, "bordereau de titres", that the finance office sends to the treasury).

What an invoice still owes derives from the ledger (`ledger.invoice_remaining`: payments of
any method, credit notes deducted from it); a credit note issued for its own days and not
yet used elsewhere also lowers what is claimed (`amount_due`), so a fully credited invoice
is never reminded. Dates are Europe/Paris calendar dates.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from billing.domain.accounting import BOM, amount_text, text

MAX_LEVELS = 5
MAX_OFFSET_DAYS = 365


@dataclass(frozen=True)
class Schedule:
    offsets_days: tuple[int, ...] = ()  # reminder level N at due date + offsets_days[N-1]
    minimum_cents: int = 0  # below this amount due, no reminder and no recovery
    recovery_after_days: int = 0  # after the last reminder, before recovery

    @property
    def levels(self) -> int:
        return len(self.offsets_days)

    def is_last(self, level: int) -> bool:
        return level >= self.levels


@dataclass(frozen=True)
class LastReminder:
    level: int
    on: date


def offsets_problem(offsets: Sequence[int]) -> str | None:
    """Why a list of reminder offsets is refused (None: accepted)."""
    if len(offsets) > MAX_LEVELS:
        return f"{MAX_LEVELS} relances au plus."
    if any(o < 1 or o > MAX_OFFSET_DAYS for o in offsets):
        return f"Chaque relance a lieu de 1 à {MAX_OFFSET_DAYS} jours après l'échéance."
    if any(b <= a for a, b in itertools.pairwise(offsets)):
        return "Les relances se suivent : chacune plus tard que la précédente."
    return None


def amount_due(remaining_cents: int, pending_credit_cents: int) -> int:
    """What is claimed: what the ledger says remains due, less the credit notes issued for
    this invoice's own days that no other invoice used yet (never below zero)."""
    return max(0, remaining_cents - max(0, pending_credit_cents))


def level_date(
    schedule: Schedule, due_date: date, level: int, last: LastReminder | None
) -> date | None:
    """The first day reminder `level` may go: its offset after the due date, and never
    sooner after the previous reminder than the schedule spaces them (an invoice already
    long overdue when the schedule is set gets its reminders one by one, not all at once).
    None: the schedule has no such level."""
    if level < 1 or level > schedule.levels:
        return None
    when = due_date + timedelta(days=schedule.offsets_days[level - 1])
    if last is not None and level > 1:
        gap = schedule.offsets_days[level - 1] - schedule.offsets_days[level - 2]
        when = max(when, last.on + timedelta(days=gap))
    return when


def next_level(
    schedule: Schedule,
    *,
    due_date: date,
    amount_due_cents: int,
    last: LastReminder | None,
    in_recovery: bool,
    today: date,
) -> int | None:
    """The reminder level an invoice gets today, if any: the one after its last reminder,
    once its date has come; none for an invoice settled, under the minimum, or sent to
    recovery."""
    if in_recovery or amount_due_cents <= 0 or amount_due_cents < schedule.minimum_cents:
        return None
    level = (last.level if last else 0) + 1
    when = level_date(schedule, due_date, level, last)
    if when is None or when > today:
        return None
    return level


def recoverable_from(schedule: Schedule, due_date: date, last: LastReminder | None) -> date | None:
    """The first day an invoice may go to recovery: the configured days after the
    schedule's last reminder (after the due date when the régie sends none); None while
    that last reminder has not been sent."""
    after = timedelta(days=schedule.recovery_after_days)
    if schedule.levels == 0:
        return due_date + after
    if last is None or last.level < schedule.levels:
        return None
    return last.on + after


def recoverable(
    schedule: Schedule,
    *,
    due_date: date,
    amount_due_cents: int,
    last: LastReminder | None,
    in_recovery: bool,
    today: date,
) -> bool:
    """Whether an invoice may be put on a collection docket today."""
    if in_recovery or amount_due_cents <= 0 or amount_due_cents < schedule.minimum_cents:
        return False
    since = recoverable_from(schedule, due_date, last)
    return since is not None and since <= today


def days_late(due_date: date, today: date) -> int:
    return max(0, (today - due_date).days)


def docket_number(regie_code: str, year: int, seq: int) -> str:
    """e.g. T-CANTINE-2026-0003 (titres): dockets are numbered per régie and year, without gaps."""
    return f"T-{regie_code}-{year}-{seq:04d}"


# The collection docket as the finance office sends it to the treasury: a CSV the French way
# (as the accounting export: `;`, decimal comma, dd/mm/yyyy, UTF-8 with BOM, CRLF), a row
# per invoice with the debtor and what is to be recovered.
DOCKET_HEADER = (
    "Bordereau",
    "Date du bordereau",
    "Régie",
    "Code régie",
    "Rang",
    "Numéro de facture",
    "Date d'émission",
    "Date d'échéance",
    "Débiteur",
    "Adresse du débiteur",
    "Courriel du débiteur",
    "Identifiant payeur",
    "Foyer",
    "Montant facturé",
    "Reste à recouvrer",
    "Dernière relance",
    "Date de la dernière relance",
)


def docket_row(docket: Mapping[str, Any], item: Mapping[str, Any]) -> list[str]:
    debtor = item["debtor"] or {}
    regie = docket["regie"] or {}
    reminded = item["last_reminded_on"]
    return [
        docket["number"],
        f"{docket['created_on']:%d/%m/%Y}",
        text(regie.get("name")),
        text(regie.get("code")),
        str(item["position"]),
        item["number"],
        f"{item['issue_date']:%d/%m/%Y}",
        f"{item['due_date']:%d/%m/%Y}",
        text(debtor.get("name")),
        text(debtor.get("address")),
        text(debtor.get("email")),
        str(item["payer_id"]),
        str(item["household_id"]),
        amount_text(item["total_cents"]),
        amount_text(item["amount_due_cents"]),
        str(item["last_reminder_level"] or ""),
        f"{reminded:%d/%m/%Y}" if reminded else "",
    ]


def docket_csv(docket: Mapping[str, Any], items: Iterable[Mapping[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(DOCKET_HEADER)
    writer.writerows(docket_row(docket, item) for item in items)
    return (BOM + out.getvalue()).encode("utf-8")

"""Who is told of an event.

- An email about an account (identity's events: activation, password, address change, lock)
  goes to the address the event carries, and its notice to that account.
- A family-facing email (the household's file: changes, documents, requests; its children's
  activities: enrollments, baskets, cancellations, waiting lists, absences; its bills:
  invoices, credit notes) goes to the household's guardians' accounts, whoever acted. The
  accounts an event names as the one who acted (booking's `account_id`, `decided_by`,
  family's `submitted_by`) are not recipients: staff acting on a family's behalf are not told
  in the family's place (billing's events name no one).
- A bill paid alone by a separated parent (billing's `payer_account_id`: invoices, credit
  notes, receipts, refused payments, direct-debit notices and rejections, reminders) goes
  to that parent's account only, if the address book links it to the household; never to
  the other guardians (each payer sees only their own documents). A household's bill (no
  payer account) goes to every guardian. A direct-debit mandate goes the same way to the
  guardian who signs it (its `account_id`), or to every guardian when it names none (staff
  recorded a paper one). The wallet's movements go to every guardian (the wallet is the
  household's; the `account_id` of who topped it up is not a recipient rule).
- A refused household creation goes to the account that asked for it (there is no household
  yet).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable


def guardians(
    linked: Iterable[uuid.UUID], listed: Iterable[uuid.UUID | str] = ()
) -> list[uuid.UUID]:
    """The household's guardians' accounts, once each: those the event lists as the
    household's (family's `account_ids`, the household's accounts when family raised it), then
    those the address book links to the household (from family.HouseholdLinked)."""
    return unique([*listed, *linked])


def unique(ids: Iterable[uuid.UUID | str]) -> list[uuid.UUID]:
    return list(dict.fromkeys(uuid.UUID(str(value)) for value in ids))


def bill_payers(
    linked: Iterable[uuid.UUID], payer_account_id: uuid.UUID | str | None
) -> list[uuid.UUID]:
    """Who is told of a bill: its payer's account alone when a separated parent pays it (and
    the address book links that account to the household, else no one), else every
    guardian the address book links to the household. The same for a mandate and the
    guardian who signs it."""
    accounts = guardians(linked)
    if payer_account_id is None:
        return accounts
    payer = uuid.UUID(str(payer_account_id))
    return [payer] if payer in accounts else []

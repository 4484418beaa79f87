"""Subscriber codes as the town hands them out: the letter (one household's, or a batch with
a page each for a mailing) and a new code for a household that lost its letter."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from family import store
from family.domain import codes, letters
from family.domain.errors import HouseholdNotFound, InvalidField
from family.usecases import Actor, households, utcnow
from shared.pdf import PdfRenderer
from shared.uow import UnitOfWork

Conn = households.Conn


async def _letter(conn: Conn, tenant: str, household_id: uuid.UUID) -> letters.Letter | None:
    row = await store.get_household(conn, tenant, household_id)
    if row is None or row.get("anonymised_at") is not None:  # nobody to write to any more
        return None
    return letters.letter_of(
        row,
        await store.members(conn, "guardians", household_id),
        await store.members(conn, "children", household_id),
    )


async def subscriber_letters(
    pool: Conn,
    renderer: PdfRenderer,
    tenant: str,
    household_ids: list[uuid.UUID],
    *,
    town: str,
    portal_url: str,
    today: date,
) -> tuple[bytes, str]:
    """One PDF, a page per household, in the order asked (each household once), and its file
    name. An unknown household: HouseholdNotFound for a single letter, the field named for a
    batch."""
    unique = list(dict.fromkeys(household_ids))
    found = []
    for household_id in unique:
        letter = await _letter(pool, tenant, household_id)
        if letter is None:
            if len(household_ids) == 1:
                raise HouseholdNotFound()
            raise InvalidField("household_ids", f"Le foyer {household_id} n'existe pas.")
        found.append(letter)
    context: dict[str, Any] = {
        "letters": found,
        "town": town,
        "town_hall": letters.town_hall(town),
        "portal_url": portal_url,
        "today": letters.french_date(today),
    }
    content = await renderer.render("subscriber_letter.html.j2", context)
    name = letters.file_name(found[0].code) if len(found) == 1 else letters.BATCH_FILE_NAME
    return content, name


async def renew_code(uow: UnitOfWork, actor: Actor, household_id: uuid.UUID) -> str:
    """A new subscriber code for the household (its letter was lost); the old one stops
    linking at once (a family typing it is told the code is unknown). Accounts already
    linked stay linked. No event: no other service keeps the code."""
    async with uow:
        row = await households.household(uow.conn, actor.tenant, household_id, lock=True)
        if row.get("anonymised_at") is not None:
            raise HouseholdNotFound()
        now = utcnow()
        while True:
            code = codes.generate()
            if code != row["subscriber_code"] and await store.set_subscriber_code(
                uow.conn, household_id, code, now
            ):
                return code

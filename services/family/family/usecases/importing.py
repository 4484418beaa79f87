"""The import of the town's existing household file (CSV): every line checked first, then
all households created in one transaction, each with a new subscriber code, or nothing."""

from __future__ import annotations

from typing import Any

from family import household_csv, store
from family.domain import codes
from family.domain.errors import HouseholdsAlreadyKnown, ImportInvalid
from family.usecases import Actor, utcnow
from family.usecases.households import add_household
from shared.uow import UnitOfWork


async def import_households(
    uow: UnitOfWork, actor: Actor, text: str, *, existing: str
) -> dict[str, Any]:
    """Import the file's households; those already in the town's file refuse the whole
    import (`existing` "refuse") or are left out and listed (`existing` "skip")."""
    households, problems = household_csv.parse(text)
    if problems:
        raise ImportInvalid(problems)
    created, skipped = [], []
    async with uow:
        # Read in the transaction that creates: what it finds is what the import may not
        # duplicate (a household imported twice, or a family already registered online).
        known = household_csv.already_known(
            households,
            *await store.known_people(
                uow.conn,
                actor.tenant,
                sorted({c["birth_date"] for h in households for c in h.children}),
                sorted({g["email"] for h in households for g in h.guardians if g.get("email")}),
            ),
        )
        if known and existing == "refuse":
            found = [p for i in sorted(known) for p in known[i]]
            lines = ", ".join(str(households[i].line) for i in sorted(known))
            raise HouseholdsAlreadyKnown(len(known), lines, found)
        for index in sorted(known):
            item = households[index]
            skipped.append({"reference": item.reference, "line": item.line, "found": known[index]})
        now = utcnow()
        for item in (h for i, h in enumerate(households) if i not in known):
            row = await add_household(
                uow,
                actor,
                {
                    "address": item.address,
                    "phones": item.phones,
                    "guardians": item.guardians,
                    "children": item.children,
                },
                now=now,
            )
            created.append(
                {
                    "reference": item.reference,
                    "line": item.line,
                    "household_id": row["id"],
                    "subscriber_code": codes.display(row["subscriber_code"]),
                    "guardians": [f"{g['first_name']} {g['last_name']}" for g in item.guardians],
                    "children": [f"{c['first_name']} {c['last_name']}" for c in item.children],
                }
            )
    return {
        "created": created,
        "households": len(created),
        "children": sum(len(c["children"]) for c in created),
        "skipped": skipped,
    }

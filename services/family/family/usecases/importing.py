"""The import of the town's existing household file (CSV): every line checked first; a dry
run reports what the import would do and writes nothing; the import creates the households
in one transaction, each with a new subscriber code.

Lines in error refuse the whole import (422) unless `skip_invalid`: then the valid households
are created and the households with a problem on one of their lines are listed in `invalid`.
Problems of the file as a whole (header, size) always refuse it."""

from __future__ import annotations

from typing import Any

from family import household_csv, store
from family.domain import codes
from family.domain.errors import HouseholdsAlreadyKnown, ImportInvalid
from family.usecases import Actor, utcnow
from family.usecases.households import add_household
from shared.uow import UnitOfWork


async def import_households(
    uow: UnitOfWork,
    actor: Actor,
    text: str,
    *,
    existing: str,
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> dict[str, Any]:
    """Import (or, `dry_run`, only examine) the file's households; those already in the
    town's file refuse the whole import (`existing` "refuse") or are left out and listed
    (`existing` "skip"; a dry run always lists them)."""
    examined = household_csv.examine(text)
    if examined.file_problems:
        raise ImportInvalid(examined.file_problems)
    if examined.problems and not (skip_invalid or dry_run):
        raise ImportInvalid(examined.problems)
    households = examined.valid()
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
        if known and existing == "refuse" and not dry_run:
            found = [p for i in sorted(known) for p in known[i]]
            lines = ", ".join(str(households[i].line) for i in sorted(known))
            raise HouseholdsAlreadyKnown(len(known), lines, found)
        for index in sorted(known):
            item = households[index]
            skipped.append({"reference": item.reference, "line": item.line, "found": known[index]})
        now = utcnow()
        for item in (h for i, h in enumerate(households) if i not in known):
            entry = {
                "reference": item.reference,
                "line": item.line,
                "household_id": None,
                "subscriber_code": None,
                "guardians": [f"{g['first_name']} {g['last_name']}" for g in item.guardians],
                "children": [f"{c['first_name']} {c['last_name']}" for c in item.children],
            }
            if not dry_run:
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
                entry["household_id"] = row["id"]
                entry["subscriber_code"] = codes.display(row["subscriber_code"])
            created.append(entry)
    return {
        "dry_run": dry_run,
        "created": created,
        "households": len(created),
        "children": sum(len(c["children"]) for c in created),
        "skipped": skipped,
        "invalid": examined.problems,
        "lines": _report(examined, households, created, known),
    }


def _report(
    examined: household_csv.Examination,
    households: list[household_csv.ImportedHousehold],
    created: list[dict[str, Any]],
    known: dict[int, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """One entry per line of the file: its household, child, status and problems."""
    invalid = examined.invalid_references()
    by_reference = {c["reference"]: c for c in created}
    found_by_line: dict[int, list[dict[str, Any]]] = {}
    for persons in known.values():
        for person in persons:
            found_by_line.setdefault(person["line"], []).append(person)
    known_references = {households[i].reference for i in known}
    problems_by_line: dict[int, list[dict[str, Any]]] = {}
    for problem in examined.problems:
        problems_by_line.setdefault(problem["line"], []).append(problem)
    report = []
    for row in examined.rows:
        reference = row["reference"]
        errors = problems_by_line.get(row["line"], [])
        if errors or not reference or reference in invalid:
            status = "invalid"
        elif reference in known_references:
            status = "existing"
        else:
            status = "valid"
        household = by_reference.get(reference) if status == "valid" else None
        written = [row["guardian"]] if row.get("guardian") else []  # as the file has it
        report.append(
            {
                "line": row["line"],
                "reference": reference,
                "status": status,
                "child": row["child"],
                "guardians": household["guardians"] if household else written,
                "household_id": household["household_id"] if household else None,
                "errors": errors,
                "found": found_by_line.get(row["line"], []),
            }
        )
    return report

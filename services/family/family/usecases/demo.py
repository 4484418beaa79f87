"""The demo households of the tenant « demo » (development only), from `demo/households.json`.

They go through the same validation (the API's schemas) and the same use-case pieces as
staff's requests, so their events (HouseholdCreated, ChildRegistered, QuotientChanged) go
through the outbox and the other services' read models fill when the family service runs.

The data file: each household as staff would create it (address, phones, guardians,
children), each child with its optional `contacts` and `health` record, and an optional
`quotient` whose `valid_from`/`valid_until` may say `school_year_start`/`school_year_end`
(the current school year, 1 September to 31 August, when the demo is loaded).
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError

from family import store
from family.domain.codes import display
from family.schemas import ContactIn, HealthIn, NewHouseholdIn, QuotientIn
from family.usecases import Actor, utcnow
from family.usecases.health_records import write_health
from family.usecases.households import add_household
from family.usecases.members import add_member
from family.usecases.quotients import add_quotient
from shared.uow import UnitOfWork
from shared.vault import Vault

DATA = Path(__file__).parent.parent / "demo" / "households.json"
DEMO_TENANT = "demo"
# Who the demo data is recorded as created by (no person: the command line).
DEMO_ACTOR = uuid.uuid5(uuid.NAMESPACE_URL, "https://portail-famille/family/load-demo")
# identity's demo family account (python -m identity load-demo) belongs to the first one.
DEMO_FAMILY_EMAIL = "famille@demo.example"


class InvalidDemoData(Exception):
    """A mistake in the demo data file."""


def _school_year(today: date) -> dict[str, str]:
    start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    return {
        "school_year_start": start.isoformat(),
        "school_year_end": date(start.year + 1, 8, 31).isoformat(),
    }


def _load(schema: Schema, data: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise InvalidDemoData(f"invalid demo data ({what}): {exc.messages}") from None


def demo_households(data: Path = DATA) -> list[dict[str, Any]]:
    """The demo households as the data file describes them."""
    return json.loads(data.read_text(encoding="utf-8"))


async def load_demo(uow: UnitOfWork, vault: Vault, today: date | None = None) -> dict[str, Any]:
    """Create the demo households that are missing (a household whose first guardian's email
    is already there is left alone, even if changed since); report every subscriber code."""
    demos = demo_households()
    dates = _school_year(today or date.today())
    actor = Actor(DEMO_TENANT, DEMO_ACTOR)
    households: list[dict[str, Any]] = []
    async with uow:
        # Two loaders at once (two terminals): the second waits and finds everything.
        await store.lock(uow.conn, "family:load-demo")
        for demo in demos:
            file = {k: demo[k] for k in ("address", "phones", "guardians")}
            file["children"] = [
                {k: v for k, v in c.items() if k not in ("contacts", "health")}
                for c in demo["children"]
            ]
            checked = _load(NewHouseholdIn(), file, demo["label"])
            email = checked["guardians"][0]["email"]
            household = await store.household_by_guardian_email(uow.conn, DEMO_TENANT, email)
            status = "already present"
            if household is None:
                household = await _create(uow, actor, vault, demo, checked, dates)
                status = "created"
            households.append(
                {
                    "label": demo["label"],
                    "status": status,
                    "household_id": str(household["id"]),
                    "subscriber_code": display(household["subscriber_code"]),
                    "guardian_email": email,
                }
            )
    return {
        "tenant": DEMO_TENANT,
        "households": households,
        "link": {
            "account": DEMO_FAMILY_EMAIL,
            "request": f"POST /tenants/{DEMO_TENANT}/me/household/link",
            "body": {"code": households[0]["subscriber_code"]},
        },
    }


async def _create(
    uow: UnitOfWork,
    actor: Actor,
    vault: Vault,
    demo: dict[str, Any],
    checked: dict[str, Any],
    dates: dict[str, str],
) -> dict[str, Any]:
    now = utcnow()
    household = await add_household(uow, actor, checked, now=now)
    children = await store.members(uow.conn, "children", household["id"])
    by_name = {(c["first_name"], c["birth_date"]): c["id"] for c in children}
    child_ids = [by_name[(c["first_name"], c["birth_date"])] for c in checked["children"]]
    for child_id, child in zip(child_ids, demo["children"], strict=True):
        for contact in child.get("contacts", []):
            await add_member(
                uow,
                actor,
                "contacts",
                household["id"],
                _load(ContactIn(), contact, demo["label"]),
                now=now,
                links={"child_id": child_id},
            )
    for child_id, child in zip(child_ids, demo["children"], strict=True):
        if child.get("health"):
            record = _load(HealthIn(), child["health"], demo["label"])
            await write_health(uow, actor, vault, household["id"], child_id, record, now=now)
    if demo.get("quotient"):
        quotient = {k: dates.get(v, v) for k, v in demo["quotient"].items()}
        checked_quotient = _load(QuotientIn(), quotient, "QF")
        await add_quotient(uow, actor, household["id"], checked_quotient, now=now)
    return household

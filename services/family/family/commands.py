"""Operator commands of the family service.

python -m family load-demo      # development only: a few households in the demo municipality

The demo households go through the same validation (the API's schemas) and the same
operations (`family.operations.Ops`) as staff's requests, so their events
(HouseholdCreated, ChildRegistered, QuotientChanged) go through the outbox and the other
services' read models fill when the family service runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from datetime import date
from typing import Any

import asyncpg
from marshmallow import ValidationError

from family import store
from family.app import MIGRATIONS
from family.domain.codes import display
from family.operations import Ops
from family.schemas import ContactIn, HealthIn, NewHouseholdIn, QuotientIn
from family.settings import FamilySettings
from shared import db, migrations

COMMANDS = ("load-demo",)
DEMO_TENANT = "demo"
# Who the demo data is recorded as created by (no person: the command line).
DEMO_ACTOR = uuid.uuid5(uuid.NAMESPACE_URL, "https://portail-famille/family/load-demo")
# identity's demo family account (python -m identity load-demo) belongs to the first one.
DEMO_FAMILY_EMAIL = "famille@demo.example"
PRODUCTION_REFUSAL = (
    "load-demo refused: APP_ENV=production. The demo households are fictitious data for "
    "development only."
)
_ADDRESS = {"postal_code": "74330", "city": "Ville-de-Démo"}


def _school_year_start(today: date) -> date:
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def demo_households(today: date) -> list[dict[str, Any]]:
    """The demo households: file (as POST /households takes it), health records by child
    index, family quotient. The first guardian's email identifies each (idempotence)."""
    start = _school_year_start(today)
    quotient_until = date(start.year + 1, 8, 31)
    return [
        {
            "label": "Famille Durand (deux parents, deux enfants)",
            "file": {
                "address": {"line1": "3 place de la Mairie", **_ADDRESS},
                "phones": ["04 50 10 20 30"],
                "guardians": [
                    {
                        "first_name": "Camille",
                        "last_name": "Durand",
                        "birth_date": "1985-05-14",
                        "relationship": "mother",
                        "email": DEMO_FAMILY_EMAIL,
                        "phones": ["06 11 22 33 44"],
                        "employer": "Pharmacie du Centre",
                        "fiscal": {"reference_income": 41000, "shares": 3},
                    },
                    {
                        "first_name": "Thomas",
                        "last_name": "Durand",
                        "birth_date": "1983-11-02",
                        "relationship": "father",
                        "email": "thomas.durand@demo.example",
                        "phones": ["06 55 66 77 88"],
                        "employer": "Transports Alpins",
                    },
                ],
                "children": [
                    {
                        "first_name": "Léa",
                        "last_name": "Durand",
                        "birth_date": "2016-03-21",
                        "sex": "F",
                        "school": "École élémentaire du Centre",
                        "grade": "CM1",
                        "diet": "standard",
                        "image_rights": True,
                    },
                    {
                        "first_name": "Hugo",
                        "last_name": "Durand",
                        "birth_date": "2019-07-09",
                        "sex": "M",
                        "school": "École maternelle des Tilleuls",
                        "grade": "GS",
                        "diet": "no_pork",
                        "image_rights": False,
                    },
                ],
            },
            "contacts": {
                0: [
                    {
                        "first_name": "Monique",
                        "last_name": "Durand",
                        "phone": "04 50 44 55 66",
                        "relationship": "grand-mère",
                        "can_pick_up": True,
                        "emergency": True,
                    }
                ]
            },
            "health": {},
            "quotient": {
                "value": 850,
                "source": "caf",
                "valid_from": start.isoformat(),
                "valid_until": quotient_until.isoformat(),
            },
        },
        {
            "label": "Famille Bernard (parent seul, un enfant)",
            "file": {
                "address": {"line1": "18 chemin des Vergers", **_ADDRESS},
                "phones": [],
                "guardians": [
                    {
                        "first_name": "Sophie",
                        "last_name": "Bernard",
                        "birth_date": "1990-01-30",
                        "relationship": "mother",
                        "email": "sophie.bernard@demo.example",
                        "phones": ["07 12 34 56 78"],
                        "employer": "Clinique du Lac",
                    }
                ],
                "children": [
                    {
                        "first_name": "Jules",
                        "last_name": "Bernard",
                        "birth_date": "2017-10-12",
                        "sex": "M",
                        "school": "École élémentaire du Centre",
                        "grade": "CE2",
                        "diet": "vegetarian",
                        "image_rights": True,
                    }
                ],
            },
            "contacts": {},
            "health": {},
            "quotient": None,
        },
        {
            "label": "Famille Benali (enfant avec PAI)",
            "file": {
                "address": {"line1": "7 allée des Cerisiers", **_ADDRESS},
                "phones": ["04 50 70 80 90"],
                "guardians": [
                    {
                        "first_name": "Nadia",
                        "last_name": "Benali",
                        "birth_date": "1987-08-19",
                        "relationship": "mother",
                        "email": "nadia.benali@demo.example",
                        "phones": ["06 98 76 54 32"],
                    },
                    {
                        "first_name": "Karim",
                        "last_name": "Benali",
                        "birth_date": "1984-02-05",
                        "relationship": "father",
                        "email": "karim.benali@demo.example",
                        "phones": ["06 45 67 89 01"],
                    },
                ],
                "children": [
                    {
                        "first_name": "Inès",
                        "last_name": "Benali",
                        "birth_date": "2018-04-27",
                        "sex": "F",
                        "school": "École élémentaire du Centre",
                        "grade": "CE1",
                        "diet": "allergy_menu",
                        "image_rights": True,
                    }
                ],
            },
            "contacts": {},
            "health": {
                0: {
                    "allergies": ["arachide", "fruits à coque"],
                    "pai": True,
                    "pai_details": "PAI alimentaire : stylo d'adrénaline dans le sac, "
                    "appeler le 15 puis les parents.",
                    "vaccinations": [{"name": "DTP", "date": "2019-06-12"}],
                    "doctor": {"name": "Dr Martin", "phone": "04 50 12 12 12"},
                    "treatments": "",
                    "remarks": "Panier repas fourni par la famille.",
                    "certified": True,
                }
            },
            "quotient": None,
        },
        {
            "label": "Famille Petit (quotient familial)",
            "file": {
                "address": {"line1": "25 route du Lac", **_ADDRESS},
                "phones": ["04 50 33 22 11"],
                "guardians": [
                    {
                        "first_name": "Julien",
                        "last_name": "Petit",
                        "birth_date": "1982-12-11",
                        "relationship": "father",
                        "email": "julien.petit@demo.example",
                        "phones": ["06 23 45 67 89"],
                        "fiscal": {"reference_income": 19500, "shares": 2},
                    }
                ],
                "children": [
                    {
                        "first_name": "Manon",
                        "last_name": "Petit",
                        "birth_date": "2014-06-03",
                        "sex": "F",
                        "school": "École élémentaire du Centre",
                        "grade": "CM2",
                        "diet": "standard",
                        "image_rights": False,
                    }
                ],
            },
            "contacts": {},
            "health": {},
            "quotient": {
                "value": 520,
                "source": "caf",
                "valid_from": start.isoformat(),
                "valid_until": quotient_until.isoformat(),
            },
        },
    ]


class CommandError(Exception):
    pass


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m family")
    sub = root.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "load-demo",
        help="development only: create the demo households of the tenant 'demo' (idempotent)",
    )
    return root


def _load(schema: Any, data: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as exc:  # a mistake in the demo data above
        raise CommandError(f"invalid demo data ({what}): {exc.messages}") from None


async def _existing(conn: asyncpg.Connection, email: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT h.* FROM households h JOIN guardians g ON g.household_id = h.id"
        " WHERE h.tenant = $1 AND lower(g.email) = lower($2) ORDER BY h.created_at LIMIT 1",
        DEMO_TENANT,
        email,
    )
    return dict(row) if row else None


async def load_demo(settings: FamilySettings, today: date | None = None) -> dict[str, Any]:
    """Create the demo households that are missing (a household whose first guardian's email
    is already there is left alone, even if changed since); report every subscriber code."""
    if settings.environment == "production":
        raise CommandError(PRODUCTION_REFUSAL)
    await migrations.migrate(settings, MIGRATIONS)
    today = today or date.today()
    vault = settings.vault()
    households: list[dict[str, Any]] = []
    conn = await db.connect(settings)
    try:
        async with conn.transaction():
            # Two loaders at once (two terminals): the second waits and finds everything.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('family:load-demo'))")
            for demo in demo_households(today):
                data = _load(NewHouseholdIn(), demo["file"], demo["label"])
                email = data["guardians"][0]["email"]
                household = await _existing(conn, email)
                status = "already present"
                if household is None:
                    household = await _create(conn, vault, demo, data)
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
    finally:
        await conn.close()
    first = households[0]["subscriber_code"]
    return {
        "tenant": DEMO_TENANT,
        "households": households,
        "link": {
            "account": DEMO_FAMILY_EMAIL,
            "request": f"POST /tenants/{DEMO_TENANT}/me/household/link",
            "body": {"code": first},
        },
    }


async def _create(
    conn: asyncpg.Connection, vault: Any, demo: dict[str, Any], data: dict[str, Any]
) -> dict[str, Any]:
    ops = Ops(conn, DEMO_TENANT, DEMO_ACTOR, vault)
    household = await ops.create_household(data)
    children = await store.members(conn, "children", household["id"])
    by_name = {(c["first_name"], c["birth_date"]): c["id"] for c in children}
    child_ids = [by_name[(c["first_name"], c["birth_date"])] for c in data["children"]]
    for index, contacts in demo["contacts"].items():
        for contact in contacts:
            await ops.create_member(
                "contacts",
                household["id"],
                _load(ContactIn(), contact, demo["label"]),
                {"child_id": child_ids[index]},
            )
    for index, record in demo["health"].items():
        await ops.write_health(
            household["id"], child_ids[index], _load(HealthIn(), record, demo["label"])
        )
    if demo["quotient"]:
        await ops.add_quotient(household["id"], _load(QuotientIn(), demo["quotient"], "QF"))
    await ops.flush()
    return household


def run(argv: list[str], settings: FamilySettings) -> int:
    parser().parse_args(argv)  # load-demo is the only command
    if settings.environment == "production":
        print(PRODUCTION_REFUSAL, file=sys.stderr)
        return 2
    try:
        result = asyncio.run(load_demo(settings))
    except (CommandError, asyncpg.PostgresError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


__all__ = ["COMMANDS", "load_demo", "run"]

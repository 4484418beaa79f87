"""The SQL of the read models of family's households, children and quotients; of payers, the
accounts linked to them and the households' billing rules (asyncpg, parameterised)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from billing.store import Conn, Row, _all, _one

# --- households, children, quotients (read models of family's events) --------------------


async def upsert_household(
    conn: Conn, tenant: str, household_id: uuid.UUID, guardian_names: list[str]
) -> None:
    await conn.execute(
        """INSERT INTO households (household_id, tenant, guardian_names) VALUES ($1, $2, $3)
           ON CONFLICT (household_id) DO UPDATE SET guardian_names = EXCLUDED.guardian_names
           WHERE households.tenant = EXCLUDED.tenant""",
        household_id,
        tenant,
        guardian_names,
    )


async def ensure_household(conn: Conn, tenant: str, household_id: uuid.UUID) -> None:
    await conn.execute(
        """INSERT INTO households (household_id, tenant) VALUES ($1, $2)
           ON CONFLICT (household_id) DO NOTHING""",
        household_id,
        tenant,
    )


async def set_billing_profile(
    conn: Conn, tenant: str, household_id: uuid.UUID, data: Row
) -> Row | None:
    return _one(
        await conn.fetchrow(
            """INSERT INTO households (household_id, tenant, resident, payer_name, payer_address,
                   payer_email)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (household_id) DO UPDATE SET resident = EXCLUDED.resident,
                   payer_name = EXCLUDED.payer_name, payer_address = EXCLUDED.payer_address,
                   payer_email = EXCLUDED.payer_email
               WHERE households.tenant = EXCLUDED.tenant
               RETURNING *""",
            household_id,
            tenant,
            data["resident"],
            data["payer_name"],
            data["payer_address"],
            data["payer_email"],
        )
    )


async def set_payer(
    conn: Conn,
    tenant: str,
    household_id: uuid.UUID,
    *,
    name: str | None,
    address: str | None,
    email: str | None,
) -> None:
    """The payer printed on the next documents; the household's residence stays."""
    await conn.execute(
        """UPDATE households SET payer_name = $3, payer_address = $4, payer_email = $5
           WHERE household_id = $1 AND tenant = $2 AND NOT anonymised""",
        household_id,
        tenant,
        name,
        address,
        email,
    )


async def anonymise_household(conn: Conn, tenant: str, household_id: uuid.UUID) -> None:
    """Names and contact details go from the read models; issued documents keep their copy
    (accounting records)."""
    await conn.execute(
        """UPDATE households SET anonymised = true, guardian_names = '{Anonyme}',
                  payer_name = NULL, payer_address = NULL, payer_email = NULL
           WHERE tenant = $1 AND household_id = $2""",
        tenant,
        household_id,
    )
    await conn.execute(
        """UPDATE children SET first_name = 'Anonyme', last_name = 'Anonyme'
           WHERE tenant = $1 AND household_id = $2""",
        tenant,
        household_id,
    )
    await conn.execute(
        """UPDATE payers SET name = 'Anonyme', address = NULL, email = NULL, updated_at = now()
           WHERE tenant = $1 AND household_id = $2""",
        tenant,
        household_id,
    )


async def get_household(conn: Conn, tenant: str, household_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM households WHERE tenant = $1 AND household_id = $2",
            tenant,
            household_id,
        )
    )


async def upsert_child(conn: Conn, tenant: str, payload: Row, version_at: datetime) -> None:
    """An older event arriving after a newer one changes nothing."""
    await conn.execute(
        """INSERT INTO children (child_id, tenant, household_id, first_name, last_name,
               birth_date, version_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (child_id) DO UPDATE SET household_id = EXCLUDED.household_id,
               first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
               birth_date = EXCLUDED.birth_date, version_at = EXCLUDED.version_at
           WHERE children.version_at < EXCLUDED.version_at
             AND children.tenant = EXCLUDED.tenant""",
        payload["child_id"],
        tenant,
        payload["household_id"],
        payload["first_name"],
        payload["last_name"],
        payload["birth_date"],
        version_at,
    )


async def household_children(
    conn: Conn, tenant: str, household_ids: Sequence[uuid.UUID]
) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM children WHERE tenant = $1 AND household_id = ANY($2::uuid[])
               ORDER BY birth_date""",
            tenant,
            list(household_ids),
        )
    )


async def get_child(conn: Conn, tenant: str, child_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM children WHERE tenant = $1 AND child_id = $2", tenant, child_id
        )
    )


async def upsert_quotient(conn: Conn, tenant: str, payload: Row, recorded_at: datetime) -> None:
    await conn.execute(
        """INSERT INTO quotients (quotient_id, tenant, household_id, value, valid_from,
               valid_until, source, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (quotient_id) DO UPDATE SET value = EXCLUDED.value,
               valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
               source = EXCLUDED.source, recorded_at = EXCLUDED.recorded_at
           WHERE quotients.recorded_at < EXCLUDED.recorded_at
             AND quotients.tenant = EXCLUDED.tenant""",
        payload["quotient_id"],
        tenant,
        payload["household_id"],
        payload["value"],
        payload["valid_from"],
        payload["valid_until"],
        payload["source"],
        recorded_at,
    )


async def household_quotients(
    conn: Conn, tenant: str, household_ids: Sequence[uuid.UUID]
) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM quotients WHERE tenant = $1 AND household_id = ANY($2::uuid[])
               ORDER BY valid_from""",
            tenant,
            list(household_ids),
        )
    )


async def households_of(conn: Conn, tenant: str, household_ids: Sequence[uuid.UUID]) -> list[Row]:
    return _all(
        await conn.fetch(
            "SELECT * FROM households WHERE tenant = $1 AND household_id = ANY($2::uuid[])",
            tenant,
            list(household_ids),
        )
    )


# --- payers, linked accounts, billing rules ----------------------------------------------

PAYER_FIELDS = ("name", "address", "email", "account_id")


async def link_account(
    conn: Conn, tenant: str, account_id: uuid.UUID, household_id: uuid.UUID
) -> None:
    await conn.execute(
        """INSERT INTO household_accounts (tenant, account_id, household_id) VALUES ($1, $2, $3)
           ON CONFLICT (tenant, account_id, household_id) DO NOTHING""",
        tenant,
        account_id,
        household_id,
    )


async def account_linked(
    conn: Conn, tenant: str, account_id: uuid.UUID, household_id: uuid.UUID
) -> bool:
    """Whether the account is linked to the household (it may be to others too)."""
    return bool(
        await conn.fetchval(
            "SELECT true FROM household_accounts"
            " WHERE tenant = $1 AND account_id = $2 AND household_id = $3",
            tenant,
            account_id,
            household_id,
        )
    )


async def insert_payer(conn: Conn, tenant: str, household_id: uuid.UUID, data: Row) -> Row | None:
    """None when the account is another payer's of the household already."""
    return _one(
        await conn.fetchrow(
            """INSERT INTO payers (id, tenant, household_id, name, address, email, account_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (tenant, household_id, account_id) WHERE account_id IS NOT NULL
               DO NOTHING
               RETURNING *""",
            uuid.uuid4(),
            tenant,
            household_id,
            *(data[f] for f in PAYER_FIELDS),
        )
    )


async def update_payer(conn: Conn, tenant: str, payer_id: uuid.UUID, data: Row) -> Row | None:
    return _one(
        await conn.fetchrow(
            """UPDATE payers SET name = $3, address = $4, email = $5, account_id = $6,
                      updated_at = now()
               WHERE tenant = $1 AND id = $2
               RETURNING *""",
            tenant,
            payer_id,
            *(data[f] for f in PAYER_FIELDS),
        )
    )


async def payer_account_taken(
    conn: Conn,
    tenant: str,
    household_id: uuid.UUID,
    account_id: uuid.UUID,
    but: uuid.UUID | None,
) -> bool:
    """Whether another payer of the household has the account (a guardian of two households
    may be a payer in each)."""
    return bool(
        await conn.fetchval(
            """SELECT 1 FROM payers
               WHERE tenant = $1 AND household_id = $2 AND account_id = $3
                 AND id IS DISTINCT FROM $4""",
            tenant,
            household_id,
            account_id,
            but,
        )
    )


async def get_payer(conn: Conn, tenant: str, payer_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow("SELECT * FROM payers WHERE tenant = $1 AND id = $2", tenant, payer_id)
    )


async def household_payers(conn: Conn, tenant: str, household_id: uuid.UUID) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM payers WHERE tenant = $1 AND household_id = $2
               ORDER BY created_at, id""",
            tenant,
            household_id,
        )
    )


async def payers_of(conn: Conn, tenant: str, payer_ids: Sequence[uuid.UUID]) -> list[Row]:
    return _all(
        await conn.fetch(
            "SELECT * FROM payers WHERE tenant = $1 AND id = ANY($2::uuid[])",
            tenant,
            list(payer_ids),
        )
    )


async def account_payers(
    conn: Conn, tenant: str, household_id: uuid.UUID, account_id: uuid.UUID
) -> list[uuid.UUID]:
    """The household's payers tied to this account."""
    rows = await conn.fetch(
        "SELECT id FROM payers WHERE tenant = $1 AND household_id = $2 AND account_id = $3",
        tenant,
        household_id,
        account_id,
    )
    return [r["id"] for r in rows]


RULE_FIELDS = (
    "child_id",
    "effective_from",
    "kind",
    "payer_a",
    "payer_b",
    "reference_week",
    "weekdays",
    "percent_a",
)


async def insert_rule(
    conn: Conn, tenant: str, household_id: uuid.UUID, data: Row, actor: uuid.UUID
) -> Row | None:
    """None when a rule of the child starts that day already."""
    return _one(
        await conn.fetchrow(
            """INSERT INTO billing_rules (id, tenant, household_id, child_id, effective_from,
                   kind, payer_a, payer_b, reference_week, weekdays, percent_a, created_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
               ON CONFLICT (tenant, child_id, effective_from) DO NOTHING
               RETURNING *""",
            uuid.uuid4(),
            tenant,
            household_id,
            *(data[f] for f in RULE_FIELDS),
            actor,
        )
    )


async def delete_rule(conn: Conn, tenant: str, rule_id: uuid.UUID) -> bool:
    deleted = await conn.fetchval(
        "DELETE FROM billing_rules WHERE tenant = $1 AND id = $2 RETURNING id", tenant, rule_id
    )
    return deleted is not None


async def household_rules(conn: Conn, tenant: str, household_ids: Sequence[uuid.UUID]) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM billing_rules
               WHERE tenant = $1 AND household_id = ANY($2::uuid[])
               ORDER BY child_id, effective_from""",
            tenant,
            list(household_ids),
        )
    )

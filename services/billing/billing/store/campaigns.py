"""The SQL of postpaid campaigns: their drafts, status and issues (asyncpg, parameterised)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from billing.store import Conn, Row, _all, _one

# --- campaigns ---------------------------------------------------------------------------


async def insert_campaign(conn: Conn, values: Row) -> Row:
    row = await conn.fetchrow(
        """INSERT INTO campaigns (id, tenant, regie_id, period_from, period_to, due_date,
               created_by, created_at, drafted_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
           RETURNING *""",
        uuid.uuid4(),
        values["tenant"],
        values["regie_id"],
        values["period_from"],
        values["period_to"],
        values["due_date"],
        values["created_by"],
        values["now"],
    )
    return dict(row)


async def overlapping_draft(
    conn: Conn, tenant: str, regie_id: uuid.UUID, start: date, end: date
) -> bool:
    return bool(
        await conn.fetchval(
            """SELECT 1 FROM campaigns WHERE tenant = $1 AND regie_id = $2 AND status = 'draft'
                 AND period_from <= $4 AND $3 <= period_to""",
            tenant,
            regie_id,
            start,
            end,
        )
    )


async def lock_campaign(conn: Conn, tenant: str, campaign_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM campaigns WHERE tenant = $1 AND id = $2 FOR UPDATE", tenant, campaign_id
        )
    )


async def get_campaign(conn: Conn, tenant: str, campaign_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            f"SELECT {_CAMPAIGN_VIEW} FROM campaigns c WHERE c.tenant = $1 AND c.id = $2",
            tenant,
            campaign_id,
        )
    )


_CAMPAIGN_VIEW = """c.*,
    (SELECT count(*) FROM invoices i WHERE i.campaign_id = c.id) AS invoice_count,
    (SELECT coalesce(sum(i.total_cents), 0) FROM invoices i
        WHERE i.campaign_id = c.id AND i.status = 'issued') AS issued_cents,
    (SELECT count(*) FROM campaign_issues x WHERE x.campaign_id = c.id
        AND x.severity = 'error') AS error_count,
    (SELECT count(*) FROM campaign_issues x WHERE x.campaign_id = c.id
        AND x.severity = 'warning') AS warning_count"""


async def list_campaigns(conn: Conn, tenant: str, regie_id: uuid.UUID | None) -> list[Row]:
    return _all(
        await conn.fetch(
            f"""SELECT {_CAMPAIGN_VIEW} FROM campaigns c
                WHERE c.tenant = $1 AND ($2::uuid IS NULL OR c.regie_id = $2)
                ORDER BY c.period_from DESC, c.created_at DESC""",
            tenant,
            regie_id,
        )
    )


async def set_campaign_status(
    conn: Conn,
    campaign_id: uuid.UUID,
    status: str,
    *,
    actor: uuid.UUID | None = None,
    now: datetime | None = None,
    issue_date: date | None = None,
) -> None:
    await conn.execute(
        """UPDATE campaigns SET status = $2,
                  finalised_by = coalesce($3, finalised_by),
                  finalised_at = CASE WHEN $2 = 'finalised' THEN $4 ELSE finalised_at END,
                  issue_date = coalesce($5, issue_date)
           WHERE id = $1""",
        campaign_id,
        status,
        actor,
        now,
        issue_date,
    )


async def touch_campaign(conn: Conn, campaign_id: uuid.UUID, now: datetime) -> None:
    await conn.execute("UPDATE campaigns SET drafted_at = $2 WHERE id = $1", campaign_id, now)


async def replace_issues(conn: Conn, campaign_id: uuid.UUID, issues: Sequence[Row]) -> None:
    await conn.execute("DELETE FROM campaign_issues WHERE campaign_id = $1", campaign_id)
    await conn.executemany(
        """INSERT INTO campaign_issues (campaign_id, severity, code, detail, household_id,
               child_id, child_name, activity_id, booking_id, day)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        [
            (
                campaign_id,
                x["severity"],
                x["code"],
                x["detail"],
                x.get("household_id"),
                x.get("child_id"),
                x.get("child_name"),
                x.get("activity_id"),
                x.get("booking_id"),
                x.get("day"),
            )
            for x in issues
        ],
    )


async def campaign_issues(conn: Conn, campaign_id: uuid.UUID) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM campaign_issues WHERE campaign_id = $1
               ORDER BY severity, code, household_id, day""",
            campaign_id,
        )
    )

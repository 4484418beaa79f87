"""Benchmark of a monthly postpaid campaign: N households × M booked days (lines) each.

Runs billing's use cases (as the API calls them: units of work, real Postgres, events into
the outbox) against a fresh database: seeds a régie, postpaid activities with QF price
grids, N households (QF, one or two children) and M booked days per household in a month,
then times the campaign's draft (every day priced, one draft invoice per payer, errors and
warnings) and its finalisation (gapless numbers, lines rounded per line, ledger entries,
one billing.InvoiceIssued each), checks the totals against a simple model, renders
`--pdfs` invoices as PDF (WeasyPrint, on the service's renderer thread) and measures, in
the same run, the bare Postgres reference: the same number of rows written with COPY and
with executemany into a table shaped like the charges, so that the ratio shows what the
campaign costs beyond writing its rows.

    uv run python bench/billing_campaign.py [--households 10000] [--lines 20] [--pdfs 50]

`--households 20 --lines 3 --pdfs 2` is the smoke size (seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg

from billing.app import MIGRATIONS
from billing.render import PdfRenderer
from billing.settings import BillingSettings
from billing.usecases import activities, campaigns, pdfs, regies
from shared import db, migrations
from shared.logging import configure_logging
from shared.uow import UnitOfWork

ADMIN_DSN = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TENANT = "bench"
MONTH = date(2026, 9, 1)
NOW = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)  # the campaign of September, run on 1 October
ACTOR = uuid.uuid4()
# Activities a household's days are spread over: (name, unit, QF brackets: amounts by rank).
ACTIVITIES = [
    ("Cantine", "meal", [[120], [250], [415, 380]]),
    ("Accueil du soir", "day", [[150], [275], [400, 360]]),
    ("Accueil du matin", "day", [[100], [180], [260, 240]]),
    ("Étude surveillée", "hour", [[90], [160], [230, 210]]),
]
QF_BOUNDS = [(0, 450), (451, 800), (801, None)]


def uow(pool: asyncpg.Pool) -> UnitOfWork:
    return UnitOfWork.on(pool, producer="billing", tenant=TENANT)


def bracket_of(qf: int) -> int:
    return next(i for i, (lo, hi) in enumerate(QF_BOUNDS) if qf >= lo and (hi is None or qf <= hi))


async def seed(
    pool: asyncpg.Pool, schema: str, households: int, lines: int
) -> tuple[dict[str, object], int]:
    """The régie, activities, grids, households and their booked days; returns the régie
    and the total the campaign must issue (cents), computed here independently."""
    regie = await regies.create_regie(
        uow(pool),
        TENANT,
        {
            "code": "BENCH",
            "name": "Régie du bench",
            "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
            "email": "regie@example.org",
            "legal_mentions": "Payable au Trésor public.",
            "payment_delay_days": 15,
        },
    )
    activity_ids = []
    for name, unit, amounts in ACTIVITIES:
        activity_id = uuid.uuid4()
        await activities.configure_activity(
            uow(pool),
            TENANT,
            activity_id,
            {
                "regie_id": regie["id"],
                "name": name,
                "billing_mode": "postpaid",
                "postpaid_source": "bookings",
                "unit": unit,
                "units_per_booking": 1,
                "bill_present": True,
                "bill_absent": True,
                "bill_absent_justified": False,
                "bill_unexpected": True,
                "accounting_code": "7067-251",
            },
            ACTOR,
        )
        await activities.create_grid(
            uow(pool),
            TENANT,
            activity_id,
            {
                "valid_from": date(2026, 1, 1),
                "brackets": [
                    {"qf_min": lo, "qf_max": hi, "amounts": a}
                    for (lo, hi), a in zip(QF_BOUNDS, amounts, strict=True)
                ],
            },
        )
        activity_ids.append(activity_id)
    days = [MONTH + timedelta(days=d) for d in range(30)]
    household_rows, child_rows, quotient_rows, booking_rows = [], [], [], []
    expected = 0
    recorded = datetime(2026, 1, 2, tzinfo=UTC)
    for h in range(households):
        household_id = uuid.uuid4()
        qf = (h * 97) % 1300  # spread over the three brackets
        household_rows.append((household_id, TENANT, ["Parent Bench"], f"Foyer {h}"))
        quotient_rows.append(
            (uuid.uuid4(), TENANT, household_id, qf, date(2026, 1, 1), None, "caf", recorded)
        )
        children = [(uuid.uuid4(), date(2016, 3, 1)), (uuid.uuid4(), date(2019, 3, 1))]
        children = children[: 1 + h % 2]  # every other household has two children
        for child_id, birth in children:
            child_rows.append((child_id, TENANT, household_id, "Enfant", f"N{h}", birth, recorded))
        for line in range(lines):
            rank = line % len(children)
            child_id = children[rank][0]
            activity = (line // len(children)) % len(ACTIVITIES)
            day = days[(line // (len(children) * len(ACTIVITIES))) % len(days)]
            booking_rows.append(
                (
                    uuid.uuid4(),
                    TENANT,
                    household_id,
                    child_id,
                    "Enfant",
                    activity_ids[activity],
                    ACTIVITIES[activity][0],
                    day,
                    False,
                    "booked",
                )
            )
            amounts = ACTIVITIES[activity][2][bracket_of(qf)]
            expected += amounts[min(rank, len(amounts) - 1)]
    async with pool.acquire() as conn:
        await conn.copy_records_to_table(
            "households",
            records=household_rows,
            columns=["household_id", "tenant", "guardian_names", "payer_name"],
            schema_name=schema,
        )
        await conn.copy_records_to_table(
            "quotients",
            records=quotient_rows,
            columns=[
                "quotient_id",
                "tenant",
                "household_id",
                "value",
                "valid_from",
                "valid_until",
                "source",
                "recorded_at",
            ],
            schema_name=schema,
        )
        await conn.copy_records_to_table(
            "children",
            records=child_rows,
            columns=[
                "child_id",
                "tenant",
                "household_id",
                "first_name",
                "last_name",
                "birth_date",
                "version_at",
            ],
            schema_name=schema,
        )
        await conn.copy_records_to_table(
            "bookings",
            records=booking_rows,
            columns=[
                "booking_id",
                "tenant",
                "household_id",
                "child_id",
                "child_name",
                "activity_id",
                "activity_name",
                "day",
                "late",
                "status",
            ],
            schema_name=schema,
        )
        await conn.execute("ANALYZE")
    return regie, expected


async def bare_postgres(pool: asyncpg.Pool, rows: int) -> tuple[float, float]:
    """Rows/s writing `rows` charge-like rows with COPY, then with executemany."""
    records = [
        (uuid.uuid4(), 1, uuid.uuid4(), "meal", 415, 1, "QF ≥ 801", 900, 1, uuid.uuid4())
        for _ in range(rows)
    ]
    columns = ["booking_id", "part", "invoice_id", "unit", "unit_cents", "quantity",
               "bracket", "qf", "rank", "grid_id"]  # fmt: skip
    async with pool.acquire() as conn:
        await conn.execute(
            """CREATE TEMP TABLE bare_charges (booking_id uuid, part smallint, invoice_id uuid,
                   unit text, unit_cents integer, quantity numeric(10, 2), bracket text,
                   qf integer, rank integer, grid_id uuid, PRIMARY KEY (booking_id, part))"""
        )
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("bare_charges", records=records, columns=columns)
        copy_rate = rows / (time.perf_counter() - started)
        await conn.execute("TRUNCATE bare_charges")
        started = time.perf_counter()
        async with conn.transaction():
            await conn.executemany(
                "INSERT INTO bare_charges VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                records,
            )
        many_rate = rows / (time.perf_counter() - started)
        await conn.execute("DROP TABLE bare_charges")
    return copy_rate, many_rate


async def run(households: int, lines: int, pdf_count: int) -> None:
    run_id = uuid.uuid4().hex[:8]
    database = f"pf_bench_{run_id}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{database}"')
    dsn = ADMIN_DSN.rpartition("/")[0] + f"/{database}"
    configure_logging("bench", json=False, level="warning")
    settings = BillingSettings.from_env(
        {}, environment="test", log_level="warning", database_url=dsn, db_pool_max=4
    )
    pool: asyncpg.Pool | None = None
    renderer = PdfRenderer(settings.pdf_threads)
    renderer.warm_up()  # WeasyPrint's import is not a PDF's cost
    try:
        await migrations.migrate(settings, MIGRATIONS)
        pool = await db.create_pool(settings)
        started = time.perf_counter()
        regie, expected = await seed(pool, settings.schema, households, lines)
        charges = households * lines
        print(
            f"billing campaign: {households} households × {lines} lines = {charges} booked "
            f"days (seeded in {time.perf_counter() - started:.1f} s)"
        )

        started = time.perf_counter()
        campaign_id = await campaigns.create_campaign(
            uow(pool),
            TENANT,
            {"regie_id": regie["id"], "period_from": MONTH, "period_to": date(2026, 9, 30)},
            actor=ACTOR,
            now=NOW,
        )
        draft = time.perf_counter() - started
        summary = await campaigns.campaign(pool, TENANT, campaign_id)
        print(
            f"draft: {draft:.2f} s ({charges / draft:,.0f} lines/s), "
            f"{summary['invoice_count']} draft invoices, {summary['error_count']} errors, "
            f"{summary['warning_count']} warnings"
        )

        started = time.perf_counter()
        issued = await campaigns.finalise_campaign(
            uow(pool), TENANT, campaign_id, actor=ACTOR, now=NOW
        )
        finalise = time.perf_counter() - started
        print(f"finalise: {finalise:.2f} s ({issued / finalise:,.0f} invoices/s)")
        total = draft + finalise
        print(
            f"campaign: {total:.2f} s for {issued} invoices ({issued / total:,.0f} invoices/s, "
            f"{charges / total:,.0f} lines/s; goal at 10000 × 20: under 30 s)"
        )

        stats = await pool.fetchrow(
            """SELECT count(*) AS invoices, coalesce(sum(total_cents), 0) AS cents,
                      count(DISTINCT number) AS numbers, max(seq) AS last,
                      (SELECT count(*) FROM invoice_lines) AS lines,
                      (SELECT count(*) FROM outbox
                       WHERE type = 'billing.InvoiceIssued') AS events
               FROM invoices WHERE status = 'issued'"""
        )
        print(
            f"issued: {stats['invoices']} invoices, {stats['lines']} invoice lines, "
            f"{stats['cents'] / 100:,.2f} €, {stats['events']} InvoiceIssued events in the outbox"
        )
        if (
            stats["invoices"] != households
            or stats["cents"] != expected
            or stats["numbers"] != households
            or stats["last"] != households
            or stats["events"] != households
        ):
            raise SystemExit(
                f"FAILED: expected {households} invoices numbered 1..{households} for "
                f"{expected} cents, got {dict(stats)}"
            )

        ids = [
            r["id"]
            for r in await pool.fetch(
                "SELECT id FROM invoices WHERE status = 'issued' ORDER BY seq LIMIT $1",
                pdf_count,
            )
        ]
        await pdfs.invoice_pdf(pool, renderer, TENANT, ids[0])  # the first: fonts loaded
        started = time.perf_counter()
        size = 0
        for invoice_id in ids:
            pdf = await pdfs.invoice_pdf(pool, renderer, TENANT, invoice_id)
            assert pdf.content.startswith(b"%PDF-")
            size += len(pdf.content)
        rendering = time.perf_counter() - started
        print(
            f"pdf: {len(ids)} invoices in {rendering:.2f} s = {len(ids) / rendering:.1f} PDFs/s "
            f"({settings.pdf_threads} thread, {size / len(ids) / 1024:.0f} KiB each)"
        )

        copy_rate, many_rate = await bare_postgres(pool, charges)
        print(
            f"bare postgres: {charges} rows with COPY {copy_rate:,.0f} rows/s, "
            f"executemany {many_rate:,.0f} rows/s"
        )
        print(
            f"ratio: campaign {charges / total:,.0f} lines/s = {charges / total / copy_rate:.3f} "
            f"of COPY, {charges / total / many_rate:.2f} of executemany"
        )
    finally:
        renderer.close()
        if pool is not None:
            await pool.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=20, help="booked days per household")
    parser.add_argument("--pdfs", type=int, default=50, help="invoices rendered as PDF")
    args = parser.parse_args()
    if args.households < 1 or args.lines < 1 or args.pdfs < 1:
        parser.error("--households, --lines and --pdfs must be at least 1")
    asyncio.run(run(args.households, args.lines, min(args.pdfs, args.households)))

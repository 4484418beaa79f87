"""The billing service's own commands (`python -m billing <command>`):

python -m billing send-reminders [--tenant SLUG] [--regie REGIE_ID] [--dry-run]
python -m billing poll-card-payments [--older-than MINUTES]

send-reminders sends the reminders due today (Europe/Paris) as the background sweeper does
(for a deployment that runs it from cron with REMINDER_SWEEP_SECONDS=0), and prints the
result as JSON (exit 0), or `error: ...` (exit 1). Running it twice, or beside the sweeper,
reminds nobody twice.

poll-card-payments does once what the card payment sweeper does periodically: it asks the
bank about the card payments pending for too long and settles each once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from billing.settings import BillingSettings
from billing.usecases import card, reminders
from shared import db
from shared.http.app import Command
from shared.uow import UnitOfWork


def _reminder_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", help="only this tenant's invoices (default: every tenant)")
    parser.add_argument("--regie", type=uuid.UUID, help="only this régie's invoices")
    parser.add_argument(
        "--dry-run", action="store_true", help="list the reminders due, send nothing"
    )


async def _send_reminders(settings: BillingSettings, args: argparse.Namespace) -> dict[str, Any]:
    pool = await db.create_pool(settings)
    try:
        run = await reminders.send_reminders(
            lambda: UnitOfWork.on(pool, producer=settings.service),
            pool,
            now=datetime.now(UTC),
            tenant=args.tenant,
            regie_id=args.regie,
            batch_size=settings.reminder_batch_size,
            dry_run=args.dry_run,
        )
    finally:
        await pool.close()
    return {
        "today": run.today.isoformat(),
        "dry_run": run.dry_run,
        "count": len(run.reminders),
        "reminders": [
            {
                "tenant": r["tenant"],
                "invoice_id": str(r["invoice_id"]),
                "number": r["number"],
                "level": r["level"],
                "last": r["last"],
                "amount_due_cents": r["amount_due_cents"],
            }
            for r in run.reminders
        ],
    }


def send_reminders(settings: BillingSettings, args: argparse.Namespace) -> int:
    try:
        result = asyncio.run(_send_reminders(settings, args))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _poll_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--older-than",
        type=float,
        default=None,
        metavar="MINUTES",
        help="card payments pending for longer than this (default: "
        "CARD_PAYMENT_POLL_AFTER_MINUTES)",
    )


async def _poll_card_payments(
    settings: BillingSettings, args: argparse.Namespace
) -> dict[str, Any]:
    minutes = (
        settings.card_payment_poll_after_minutes if args.older_than is None else args.older_than
    )
    pool = await db.create_pool(settings)
    try:
        settled = await card.poll_pending(
            lambda: UnitOfWork.on(pool, producer=settings.service),
            pool,
            now=datetime.now(UTC),
            older_than=timedelta(minutes=minutes),
            urls=card.Urls.of(settings),
        )
    finally:
        await pool.close()
    return {"settled": settled}


def poll_card_payments(settings: BillingSettings, args: argparse.Namespace) -> int:
    """Ask the bank about card payments pending too long (PayFIP's status); expire those of
    backends that cannot be asked once past their expiry; prints {"settled": {outcome: n}}."""
    try:
        result = asyncio.run(_poll_card_payments(settings, args))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


COMMANDS: dict[str, Command] = {
    "poll-card-payments": Command(
        help="settle the card payments the bank never answered (PayFIP's status, or expiry)",
        run=poll_card_payments,
        arguments=_poll_arguments,
    ),
    "send-reminders": Command(
        help="send the reminders due today to unpaid invoices (the régies' schedules)",
        run=send_reminders,
        arguments=_reminder_arguments,
    ),
}

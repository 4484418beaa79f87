"""Households' prepaid wallets ("tirelire" [003]), held by the régie staff designate: a family
activates its household's wallet (billing.WalletActivated, booking then lets it book the
activities paid from the wallet) and tops it up by card; staff may credit it; the family and
staff read the balance and every movement.

The saga's billing side (booking.ReservationValidated of days paid from the wallet, in
`prepaid`) debits it here, and cancelled days paid from it are refunded to it. Every change
of a wallet's balance locks its row first (`lock_wallet`, or the conditional update itself),
and a debit is a conditional update: the balance never goes below zero, whatever runs at
the same time.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from billing.domain import payments as payment_rules
from billing.domain import wallet as rules
from billing.domain.documents import local_date
from billing.domain.errors import (
    NoWalletRegie,
    RegieNotFound,
    WalletEmpty,
    WalletNotActive,
    WalletNotFound,
    WalletRegieInUse,
)
from billing.domain.lines import group_lines
from billing.store import Conn
from billing.store import catalog as catalog_store
from billing.store import credits as credits_store
from billing.store import families as families_store
from billing.store import wallet as wallet_store
from billing.usecases import payments, refunds
from billing.usecases.documents import charge_of, credit_days
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


class BalanceMoved(Exception):
    """The wallet could not pay what was decided under its lock (the payer's credits changed
    meanwhile): the whole unit of work rolls back and the event is retried."""


# --- the régie holding the wallets (staff) -----------------------------------------------


async def settings(conn: Conn, tenant: str, limits: tuple[int, int]) -> dict[str, Any]:
    regie = await wallet_store.wallet_regie(conn, tenant)
    return {
        "regie_id": regie["id"] if regie else None,
        "regie_name": regie["name"] if regie else None,
        "top_up_min_cents": limits[0],
        "top_up_max_cents": limits[1],
    }


async def set_wallet_regie(uow: UnitOfWork, tenant: str, regie_id: uuid.UUID) -> None:
    """The régie that holds the tenant's wallets from now on; refused once wallets are held
    by another (their money is that régie's)."""
    async with uow:
        if await catalog_store.lock_regie(uow.conn, tenant, regie_id) is None:
            raise RegieNotFound()
        if await wallet_store.wallets_held_elsewhere(uow.conn, tenant, regie_id):
            raise WalletRegieInUse()
        await wallet_store.hold_wallets(uow.conn, tenant, regie_id)


# --- a household's wallet ----------------------------------------------------------------


async def activate(
    uow: UnitOfWork,
    tenant: str,
    household_id: uuid.UUID,
    *,
    account_id: uuid.UUID | None,
    now: datetime,
) -> tuple[dict[str, Any], bool]:
    """The household's wallet, activated now (True) or already (False)."""
    async with uow:
        existing = await wallet_store.get_wallet(uow.conn, tenant, household_id)
        if existing is not None:
            return existing, False
        regie = await wallet_store.wallet_regie(uow.conn, tenant)
        if regie is None:
            raise NoWalletRegie()
        await families_store.ensure_household(uow.conn, tenant, household_id)
        row = await wallet_store.insert_wallet(
            uow.conn, tenant, household_id, regie["id"], account_id, now
        )
        if row is None:  # activated at the same moment by another guardian
            row = await wallet_store.get_wallet(uow.conn, tenant, household_id)
            assert row is not None
            return row, False
        uow.emit(
            "billing.WalletActivated",
            {"household_id": household_id, "account_id": account_id, "balance_cents": 0},
            tenant=tenant,
        )
    return row, True


async def wallet(conn: Conn, tenant: str, household_id: uuid.UUID) -> dict[str, Any]:
    row = await wallet_store.get_wallet(conn, tenant, household_id)
    if row is None:
        raise WalletNotFound()
    return row


async def wallets(conn: Conn, tenant: str, limit: int, offset: int) -> list[dict[str, Any]]:
    return await wallet_store.list_wallets(conn, tenant, limit, offset)


async def movements(
    conn: Conn, tenant: str, household_id: uuid.UUID, limit: int, offset: int
) -> dict[str, Any]:
    """The balance and a page of the movements, newest first."""
    row = await wallet(conn, tenant, household_id)
    rows = await wallet_store.list_movements(conn, tenant, household_id, limit, offset)
    return {"balance_cents": row["balance_cents"], "movements": rows}


async def start_top_up(
    conn: Conn,
    uow: UnitOfWork,
    tenant: str,
    household_id: uuid.UUID,
    *,
    amount_cents: int,
    email: str | None,
    account_id: uuid.UUID | None,
    limits: tuple[int, int],
    now: datetime,
) -> dict[str, Any]:
    """A card payment of `amount_cents` to the wallet's régie (purpose `wallet_top_up`);
    the wallet is credited when the bank confirms it (`credit_top_up_in`)."""
    rules.check_top_up(amount_cents, *limits)
    # Read before the card payment's unit of work (`conn`): a wallet, once active, stays so.
    row = await wallet_store.get_wallet(conn, tenant, household_id)
    if row is None:
        raise WalletNotActive()
    if email is None:
        household = await families_store.get_household(conn, tenant, household_id)
        email = (household or {}).get("payer_email")
    started = await payments.start_card_payment(
        uow,
        tenant,
        regie_id=row["regie_id"],
        household_id=household_id,
        payer_id=household_id,
        account_id=account_id,
        purpose="wallet_top_up",
        invoice_ids=[],
        amount_cents=amount_cents,
        email=email,
        now=now,
    )
    return {**started, "amount_cents": amount_cents}


async def credit_top_up_in(
    uow: UnitOfWork,
    tenant: str,
    *,
    household_id: uuid.UUID,
    amount_cents: int,
    transaction_id: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    """A card top-up confirmed by the bank, credited once: the same transaction confirmed
    again returns its movement without crediting twice. Inside the caller's unit of work."""
    conn = uow.conn
    done = await wallet_store.top_up_movement(conn, transaction_id)
    if done is not None:
        return done
    account_id = await wallet_store.transaction_account(conn, transaction_id)
    return await _credit_in(
        uow,
        tenant,
        household_id,
        amount_cents,
        kind="top_up",
        label=rules.top_up_label(),
        account_id=account_id,
        now=now,
        transaction_id=transaction_id,
    )


async def credit_by_staff(
    uow: UnitOfWork,
    tenant: str,
    household_id: uuid.UUID,
    *,
    amount_cents: int,
    reason: str,
    actor: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    async with uow:
        row = await _credit_in(
            uow,
            tenant,
            household_id,
            amount_cents,
            kind="staff",
            label=rules.staff_label(reason),
            account_id=None,
            now=now,
            reason=reason,
            recorded_by=actor,
        )
    return row


async def pay_out(
    uow: UnitOfWork,
    tenant: str,
    household_id: uuid.UUID,
    *,
    method: str,
    reference: str,
    actor: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    """The régie pays the whole balance back to the household (staff: by transfer, cheque or
    cash), e.g. once the town no longer offers the wallet: the money was the family's. Under
    the wallet's row lock, like the saga's debits: a basket decided after it finds it empty."""
    async with uow:
        held = await wallet_store.lock_wallet(uow.conn, tenant, household_id)
        if held is None:
            raise WalletNotActive()
        amount = held["balance_cents"]
        if amount <= 0:
            raise WalletEmpty()
        balance = await wallet_store.debit_wallet(uow.conn, tenant, household_id, amount, now)
        assert balance == 0  # the row is locked: nothing moved meanwhile
        movement = await wallet_store.insert_movement(
            uow.conn,
            {
                "id": uuid.uuid4(),
                "tenant": tenant,
                "household_id": household_id,
                "kind": "payout",
                "amount_cents": -amount,
                "balance_cents": balance,
                "label": rules.payout_label(payment_rules.LABELS[method]),
                "reason": reference or None,
                "recorded_by": actor,
                "at": now,
            },
        )
    log.info("wallet_paid_out", household_id=str(household_id), amount_cents=amount)
    return movement


async def _credit_in(
    uow: UnitOfWork,
    tenant: str,
    household_id: uuid.UUID,
    amount_cents: int,
    *,
    kind: str,
    label: str,
    account_id: uuid.UUID | None,
    now: datetime,
    **references: Any,
) -> dict[str, Any]:
    rules.credited(0, amount_cents)  # a credit is positive
    balance = await wallet_store.credit_wallet(uow.conn, tenant, household_id, amount_cents, now)
    if balance is None:
        raise WalletNotActive()
    movement = await wallet_store.insert_movement(
        uow.conn,
        {
            "id": uuid.uuid4(),
            "tenant": tenant,
            "household_id": household_id,
            "kind": kind,
            "amount_cents": amount_cents,
            "balance_cents": balance,
            "label": label,
            "at": now,
            **references,
        },
    )
    uow.emit(
        "billing.WalletCredited",
        {
            "household_id": household_id,
            "account_id": account_id,
            "movement_id": movement["id"],
            "amount_cents": amount_cents,
            "balance_cents": balance,
            "reason": kind,
        },
        tenant=tenant,
    )
    return movement


# --- the saga: days paid from the wallet -------------------------------------------------


def answer_key(payload: Mapping[str, Any]) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """One answer per basket, activity and child (one ReservationValidated each)."""
    return payload["basket_id"], payload["activity_id"], payload["child_id"]


async def lock_in(uow: UnitOfWork, tenant: str, household_id: uuid.UUID) -> dict[str, Any] | None:
    """The household's wallet, locked for the decision (None: not activated)."""
    return await wallet_store.lock_wallet(uow.conn, tenant, household_id)


async def answered_again_in(uow: UnitOfWork, tenant: str, payload: Mapping[str, Any]) -> bool:
    """A replay of days answered already (a new event id, after a crash or from the
    archive): the same answer again, nothing debited twice."""
    answer = await wallet_store.get_answer(uow.conn, *answer_key(payload))
    if answer is None:
        return False
    log.info("wallet_answer_replayed", basket_id=str(answer["basket_id"]))
    _emit_answer(uow, tenant, answer)
    return True


async def refuse_in(
    uow: UnitOfWork,
    tenant: str,
    payload: Mapping[str, Any],
    *,
    reason: str,
    balance_cents: int,
    due_cents: int,
    now: datetime,
) -> None:
    """The saga's no: nothing debited, nothing invoiced."""
    answer = await _answer(
        uow,
        tenant,
        payload,
        outcome="refused",
        reason=reason,
        amount_cents=due_cents,
        balance_cents=balance_cents,
        now=now,
    )
    _emit_answer(uow, tenant, answer)


async def due_in(
    uow: UnitOfWork, tenant: str, regie_id: uuid.UUID, charges: Sequence[Mapping[str, Any]]
) -> int:
    """What the invoices of these charges will ask once issued: their lines (rounded per
    line), less each payer's credits of the régie, deducted at issue."""
    by_payer: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for charge in charges:
        by_payer[charge["payer_id"]].append(charge_of(charge))
    totals = {
        payer: sum(line.amount_cents for line in group_lines(days))
        for payer, days in by_payer.items()
    }
    credits: dict[uuid.UUID, int] = defaultdict(int)
    for credit in await credits_store.available_credits(uow.conn, tenant, list(totals), regie_id):
        credits[credit["payer_id"]] += credit["available_cents"]
    return rules.amount_due(totals, credits)


async def debit_in(
    uow: UnitOfWork,
    tenant: str,
    payload: Mapping[str, Any],
    invoices: Sequence[Mapping[str, Any]],
    *,
    balance_cents: int,
    now: datetime,
) -> None:
    """The saga's yes: the wallet pays the issued invoices of these days (what each asks
    once credits were deducted), each by a payment of method `wallet`; WalletDebited."""
    conn = uow.conn
    household_id = payload["household_id"]
    dues = [(i, i["total_cents"] - i["credit_cents"]) for i in invoices]
    amount = sum(due for _, due in dues)
    movement_id = None
    if amount > 0:
        balance = await wallet_store.debit_wallet(conn, tenant, household_id, amount, now)
        if balance is None:
            raise BalanceMoved(f"{amount} cents no longer covered")
        balance_cents = balance
        movement = await wallet_store.insert_movement(
            conn,
            {
                "id": uuid.uuid4(),
                "tenant": tenant,
                "household_id": household_id,
                "kind": "debit",
                "amount_cents": -amount,
                "balance_cents": balance,
                "label": rules.debit_label(
                    payload["activity_name"],
                    payload["child_first_name"],
                    len(payload["dates"]),
                    [i["number"] for i in invoices],
                ),
                "basket_id": payload["basket_id"],
                "booking_ids": [d["booking_id"] for d in payload["dates"]],
                "invoice_ids": [i["id"] for i in invoices],
                "at": now,
            },
        )
        movement_id = movement["id"]
        for invoice, due in dues:
            if due > 0:
                await payments.apply_payment_in(
                    uow,
                    tenant,
                    regie_id=invoice["regie_id"],
                    payer_id=invoice["payer_id"],
                    household_id=household_id,
                    method="wallet",
                    amount_cents=due,
                    received_on=local_date(now),
                    invoice_ids=[invoice["id"]],
                    reference={"wallet_movement_id": str(movement_id)},
                    recorded_by=None,
                    now=now,
                )
    answer = await _answer(
        uow,
        tenant,
        payload,
        outcome="debited",
        reason=None,
        amount_cents=amount,
        balance_cents=balance_cents,
        now=now,
        invoice_id=invoices[0]["id"] if len(invoices) == 1 else None,
        movement_id=movement_id,
    )
    _emit_answer(uow, tenant, answer)


async def _answer(
    uow: UnitOfWork,
    tenant: str,
    payload: Mapping[str, Any],
    *,
    outcome: str,
    reason: str | None,
    amount_cents: int,
    balance_cents: int,
    now: datetime,
    invoice_id: uuid.UUID | None = None,
    movement_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    basket_id, activity_id, child_id = answer_key(payload)
    row = await wallet_store.insert_answer(
        uow.conn,
        {
            "basket_id": basket_id,
            "activity_id": activity_id,
            "child_id": child_id,
            "tenant": tenant,
            "household_id": payload["household_id"],
            "outcome": outcome,
            "reason": reason,
            "booking_ids": [d["booking_id"] for d in payload["dates"]],
            "amount_cents": amount_cents,
            "balance_cents": balance_cents,
            "invoice_id": invoice_id,
            "movement_id": movement_id,
            "answered_at": now,
        },
    )
    if row is None:  # answered meanwhile: undo this one (a debit must not stay unanswered)
        raise BalanceMoved("these days were answered meanwhile")
    return row


def _emit_answer(uow: UnitOfWork, tenant: str, answer: Mapping[str, Any]) -> None:
    basket = {
        "household_id": answer["household_id"],
        "basket_id": answer["basket_id"],
        "booking_ids": list(answer["booking_ids"]),
        "amount_cents": answer["amount_cents"],
        "balance_cents": answer["balance_cents"],
    }
    if answer["outcome"] == "debited":
        uow.emit(
            "billing.WalletDebited", {**basket, "invoice_id": answer["invoice_id"]}, tenant=tenant
        )
    else:
        uow.emit(
            "billing.WalletDebitRefused", {**basket, "reason": answer["reason"]}, tenant=tenant
        )


# --- cancelled days paid from the wallet go back to it -----------------------------------


async def refund_days_in(
    uow: UnitOfWork,
    tenant: str,
    household_id: uuid.UUID,
    booking_ids: Sequence[uuid.UUID],
    *,
    reason: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """Those of these days the wallet paid are credited (a credit note, as any cancelled
    prepaid day) and the credit note refunded to the wallet at once (a refund of method
    `wallet`, billing.WalletCredited reason `refund`) instead of waiting for a next invoice.
    Returns the credit notes; days credited already change nothing."""
    conn = uow.conn
    paid = await wallet_store.wallet_paid_days(conn, tenant, household_id, booking_ids)
    if not paid:
        return []
    # The wallet first, as every change of it: its lock is always taken before the others.
    if await wallet_store.lock_wallet(conn, tenant, household_id) is None:
        return []
    notes = await credit_days(uow, tenant, paid, reason=reason, now=now)
    for note in notes:
        refund = await refunds.refund_in(
            uow, tenant, note["id"], method="wallet", reference=note["number"], actor=None, now=now
        )
        await _credit_in(
            uow,
            tenant,
            household_id,
            refund["amount_cents"],
            kind="refund",
            label=rules.refund_label(note["number"]),
            account_id=None,
            now=now,
            refund_id=refund["id"],
            booking_ids=list(paid),
        )
    return notes

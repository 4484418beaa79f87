"""Online card payment [000, 002, 003]: a family (or staff for a household) pays one or
several unpaid invoices of a régie, or tops up its wallet, on the régie's payment service
(payment_backends.py: PayFIP, TIPI, or the dummy backend).

1. `start_card_payment`: a transaction row (pending; the amount is what the invoices still
   owe, never the browser's), then the backend's payment page, whose URL the family's
   browser is sent to.
2. The bank's answer comes to billing as a notification (server to server) and with the
   browser's return, in any order, possibly several times, possibly late. Each is verified
   by eopayment (`handle_answer`): anything unverifiable is refused (4xx) and changes
   nothing. The transaction row, locked, is settled once: paid → `apply_payment_in`
   (billing.PaymentReceived) or the wallet's top-up; refused or cancelled →
   billing.PaymentRefused, the invoices stay unpaid. A "paid" arriving after the
   transaction expired is still applied: money is never lost (what the invoices no longer
   owe is the payer's credit).
3. Transactions nobody answered are polled (`poll_pending`, the sweeper and the
   `poll-card-payments` command): PayFIP is asked; other backends expire after
   CARD_PAYMENT_EXPIRY_MINUTES (billing.PaymentRefused outcome expired).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from billing import dev_payment_page
from billing import payment_backends as backends
from billing.domain.documents import local_date
from billing.domain.errors import (
    AmountChanged,
    CardPaymentUnavailable,
    InvalidNotification,
    InvoiceInRecovery,
    InvoiceNotFound,
    InvoiceNotPayable,
    NothingToPay,
    PaymentEmailRequired,
    RegieNotFound,
    TransactionNotFound,
)
from billing.settings import BillingSettings
from billing.store import Conn
from billing.store import catalog as catalog_store
from billing.store import families as families_store
from billing.store import payments as payments_store
from billing.store import reminders as reminders_store
from billing.usecases.payments import apply_payment_in
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)

PURPOSES = ("invoices", "wallet_top_up")


@dataclass(frozen=True)
class Urls:
    """Where the bank and the browser reach billing, and where the family's portal is."""

    public_url: str
    portal_url: str
    expiry: timedelta
    # Outside production, the page the dummy backend's browser is sent to instead of
    # dummy-payment.entrouvert.com (which cannot reach a billing on localhost): billing's
    # own stand-in (dev_payment_page.py). None in production: the URL is never rewritten.
    dummy_page: str | None = None

    @classmethod
    def of(cls, settings: BillingSettings) -> Urls:
        public_url = settings.public_url.rstrip("/")
        return cls(
            public_url,
            settings.portal_url.rstrip("/"),
            timedelta(minutes=settings.card_payment_expiry_minutes),
            dev_payment_page.url(public_url) if dev_payment_page.enabled(settings) else None,
        )

    def payment_page(self, backend: str, payment_url: str) -> str:
        """Where the browser goes to pay: the bank's page, or (dummy backend, outside
        production) the local stand-in of the dummy page, with the same query."""
        if backend != "dummy" or self.dummy_page is None:
            return payment_url
        return dev_payment_page.rewritten(payment_url, self.dummy_page)

    def transaction(self, tenant: str, transaction_id: uuid.UUID) -> dict[str, str]:
        base = f"{self.public_url}/tenants/{tenant}/card-payments/{transaction_id}"
        return {"return": f"{base}/return", "notification": f"{base}/notification"}

    def portal_return(self, transaction_id: uuid.UUID, status: str) -> str:
        query = urlencode({"transaction": str(transaction_id), "statut": status})
        return f"{self.portal_url}/paiement/retour?{query}"


# The URLs of the running service, installed by the app's setup, so that a caller holding
# only a unit of work (the wallet's top-up) starts a payment with them.
_installed: Urls | None = None


def install(settings: BillingSettings) -> None:
    global _installed
    _installed = Urls.of(settings)


def installed() -> Urls:
    return _installed or Urls.of(BillingSettings.from_env())


# --- backends per régie (staff) ----------------------------------------------------------


async def set_backend(
    uow: UnitOfWork,
    tenant: str,
    regie_id: uuid.UUID,
    data: dict[str, Any],
    actor: uuid.UUID,
    *,
    now: datetime,
) -> dict[str, Any]:
    """How the régie takes card payments (its options checked as eopayment describes them);
    a masked secret sent back unchanged keeps its stored value."""
    async with uow:
        if await catalog_store.lock_regie(uow.conn, tenant, regie_id) is None:
            raise RegieNotFound()
        stored = await payments_store.get_card_backend(uow.conn, tenant, regie_id)
        options = backends.merged(
            data.get("options") or {},
            stored["options"] if stored and stored["backend"] == data["backend"] else {},
        )
        options = backends.check_options(data["backend"], options)
        row = await payments_store.upsert_card_backend(
            uow.conn,
            tenant,
            regie_id,
            {"backend": data["backend"], "options": options, "enabled": data["enabled"]},
            actor,
            now,
        )
    return shown_backend(row)


def shown_backend(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "options": backends.masked(row["options"]), "can_poll": _can_poll(row)}


def _can_poll(row: dict[str, Any]) -> bool:
    return backends.can_poll(row["backend"])


async def backend(conn: Conn, tenant: str, regie_id: uuid.UUID) -> dict[str, Any]:
    row = await payments_store.get_card_backend(conn, tenant, regie_id)
    if row is None:
        raise CardPaymentUnavailable()
    return shown_backend(row)


# --- starting a payment ------------------------------------------------------------------


async def start_card_payment(
    uow: UnitOfWork,
    tenant: str,
    *,
    regie_id: uuid.UUID,
    household_id: uuid.UUID,
    payer_id: uuid.UUID,
    account_id: uuid.UUID | None,
    purpose: str,
    invoice_ids: Sequence[uuid.UUID],
    amount_cents: int | None,
    email: str | None,
    now: datetime,
    created_by: uuid.UUID | None = None,
    urls: Urls | None = None,
) -> dict[str, Any]:
    """A pending transaction and the bank's payment page for it (opens its own unit of
    work). For invoices the amount is what they still owe, checked against `amount_cents`
    when given (AmountChanged, 409: the page showed another amount); for a wallet top-up,
    `amount_cents`. Returns transaction_id, payment_url, amount_cents, status, expires_at."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    urls = urls or installed()
    async with uow:
        conn = uow.conn
        config = await payments_store.get_card_backend(conn, tenant, regie_id)
        if config is None or not config["enabled"]:
            raise CardPaymentUnavailable()
        if purpose == "invoices":
            owed = await _owed_by(conn, tenant, regie_id, household_id, payer_id, invoice_ids)
            due = sum(i["remaining_cents"] for i in owed)
            if due <= 0:
                raise NothingToPay()
            if amount_cents is not None and amount_cents != due:
                raise AmountChanged(amount_due_cents=due)
            amount = due
            ids = [i["id"] for i in owed]
            subject = "Factures " + " ".join(i["number"] for i in owed)
        else:
            if invoice_ids or not amount_cents or amount_cents <= 0:
                raise ValueError("a wallet top-up is an amount, without invoices")
            amount, ids, subject = amount_cents, [], "Rechargement porte-monnaie"
        if not email:
            raise PaymentEmailRequired(field="email")
        transaction_id = uuid.uuid4()
        reference = transaction_id.hex[:30]  # PayFIP's refdet: 1 to 30 letters and digits
        row = await payments_store.insert_transaction(
            conn,
            {
                "id": transaction_id,
                "tenant": tenant,
                "regie_id": regie_id,
                "household_id": household_id,
                "payer_id": payer_id,
                "account_id": account_id,
                "purpose": purpose,
                "invoice_ids": ids,
                "amount_cents": amount,
                "email": email,
                "backend": config["backend"],
                "reference": reference,
                "created_by": created_by or account_id,
                "created_at": now,
                "expires_at": now + urls.expiry,
            },
        )
        # On a thread, inside the transaction: if the bank does not answer, nothing stays.
        requested = await backends.request(
            config["backend"],
            config["options"],
            urls.transaction(tenant, transaction_id),
            amount_cents=amount,
            email=email,
            reference=reference,
            subject=subject,
        )
        payment_url = urls.payment_page(config["backend"], requested.payment_url)
        await payments_store.set_bank_transaction(
            conn, transaction_id, requested.bank_transaction_id, payment_url
        )
    log.info(
        "card_payment_started",
        transaction_id=str(transaction_id),
        backend=config["backend"],
        amount_cents=amount,
    )
    return {
        "transaction_id": transaction_id,
        "payment_url": payment_url,
        "amount_cents": amount,
        "invoice_ids": ids,
        "purpose": purpose,
        "status": "pending",
        "expires_at": row["expires_at"],
    }


async def _owed_by(
    conn: Conn,
    tenant: str,
    regie_id: uuid.UUID,
    household_id: uuid.UUID,
    payer_id: uuid.UUID,
    invoice_ids: Sequence[uuid.UUID],
) -> list[dict[str, Any]]:
    """The invoices to pay, each the household's and the payer's, of the régie, still owing
    something (those settled meanwhile are left out)."""
    ordered = list(dict.fromkeys(invoice_ids))
    if not ordered:
        raise InvoiceNotFound()
    rows = {r["id"]: r for r in await payments_store.invoices_by_id(conn, tenant, ordered)}
    # The treasury collects what went to recovery; the régie may no longer take it.
    recovered = await reminders_store.in_recovery(conn, ordered)
    owed = []
    for invoice_id in ordered:
        row = rows.get(invoice_id)
        if row is None or row["status"] != "issued" or row["household_id"] != household_id:
            raise InvoiceNotFound(invoice_id=str(invoice_id))
        if row["regie_id"] != regie_id or row["payer_id"] != payer_id:
            raise InvoiceNotPayable(
                "Ces factures relèvent de régies ou de payeurs différents : payez-les séparément.",
                invoice_id=str(invoice_id),
            )
        if invoice_id in recovered:
            raise InvoiceInRecovery(invoice_id=str(invoice_id))
        if row["remaining_cents"] > 0:
            owed.append(row)
    return owed


async def pay_invoices(
    uow: UnitOfWork,
    conn: Conn,
    tenant: str,
    *,
    household_id: uuid.UUID,
    invoice_ids: Sequence[uuid.UUID],
    amount_cents: int | None,
    account_id: uuid.UUID | None,
    email: str | None,
    created_by: uuid.UUID,
    now: datetime,
    viewer: Any = None,
    urls: Urls | None = None,
) -> dict[str, Any]:
    """A family (or staff for a household) pays invoices by card: their régie and payer are
    the first invoice's (read on `conn`); the email is the payer's unless given."""
    first = await payments_store.invoices_by_id(conn, tenant, invoice_ids[:1])
    if not first or first[0]["household_id"] != household_id or first[0]["status"] != "issued":
        raise InvoiceNotFound()
    invoice = first[0]
    if viewer is not None and not viewer.sees(invoice):
        raise InvoiceNotFound()
    email = email or (invoice["payer"] or {}).get("email")
    return await start_card_payment(
        uow,
        tenant,
        regie_id=invoice["regie_id"],
        household_id=household_id,
        payer_id=invoice["payer_id"],
        account_id=account_id,
        purpose="invoices",
        invoice_ids=invoice_ids,
        amount_cents=amount_cents,
        email=email,
        now=now,
        created_by=created_by,
        urls=urls,
    )


# --- the bank's answer -------------------------------------------------------------------


async def handle_answer(
    make_uow: Callable[[], UnitOfWork],
    conn: Conn,
    tenant: str,
    transaction_id: uuid.UUID,
    query_string: str,
    *,
    now: datetime,
    urls: Urls | None = None,
) -> dict[str, Any]:
    """Verify the bank's answer about a transaction (notification or browser return) and
    settle the transaction once. Returns the transaction as settled (or still pending) and
    what to answer the bank (`return_content`)."""
    urls = urls or installed()
    tx = await payments_store.get_transaction(conn, transaction_id)
    if tx is None or tx["tenant"] != tenant:
        raise TransactionNotFound()
    config = await payments_store.get_card_backend(conn, tenant, tx["regie_id"])
    if config is None or config["backend"] != tx["backend"]:
        # The régie changed service since: answers are verified by the transaction's own.
        config = {"backend": tx["backend"], "options": (config or {}).get("options", {})}
    answer = await backends.verify(
        tx["backend"], config["options"], urls.transaction(tenant, transaction_id), query_string
    )
    _check_answer(tx, answer)
    settled = await settle(make_uow(), tenant, transaction_id, answer, now=now)
    return {**settled, "return_content": answer.return_content}


def _check_answer(tx: dict[str, Any], answer: backends.Answer) -> None:
    """An answer about another transaction, or for another amount, is a forgery."""
    if not tx["bank_transaction_id"] or answer.bank_transaction_id != tx["bank_transaction_id"]:
        log.warning(
            "card_notification_mismatch",
            transaction_id=str(tx["id"]),
            answered=answer.bank_transaction_id,
        )
        raise InvalidNotification("Cette notification ne concerne pas cette transaction.")
    if answer.amount_cents is not None and answer.amount_cents != tx["amount_cents"]:
        log.warning(
            "card_notification_amount_mismatch",
            transaction_id=str(tx["id"]),
            answered=answer.amount_cents,
            expected=tx["amount_cents"],
        )
        raise InvalidNotification("Le montant de la notification ne correspond pas.")


async def settle(
    uow: UnitOfWork,
    tenant: str,
    transaction_id: uuid.UUID,
    answer: backends.Answer,
    *,
    now: datetime,
) -> dict[str, Any]:
    """Apply a verified answer to the locked transaction, once: a transaction paid already
    stays as it is (a duplicate); a pending one is settled; an expired, refused or
    cancelled one is still paid when the bank says it is paid."""
    async with uow:
        conn = uow.conn
        tx = await payments_store.lock_transaction(conn, transaction_id)
        assert tx is not None
        outcome = answer.outcome
        if tx["status"] == "paid" or outcome == backends.WAITING:
            if tx["status"] == "paid" and outcome != backends.PAID:
                log.warning(
                    "card_answer_after_paid", transaction_id=str(transaction_id), outcome=outcome
                )
            return {**tx, "applied": False}
        if outcome == backends.PAID:
            return {**await _paid_in(uow, tenant, tx, answer, now), "applied": True}
        if tx["status"] != "pending":
            return {**tx, "applied": False}  # refused twice, or refused after expiring
        row = await payments_store.settle_transaction(
            conn,
            transaction_id,
            status=outcome,
            bank_status=answer.bank_status,
            bank_data=answer.bank_data,
            now=now,
        )
        await _refused_in(uow, tenant, row)
    log.info("card_payment_refused", transaction_id=str(transaction_id), outcome=outcome)
    return {**row, "applied": True}


async def _paid_in(
    uow: UnitOfWork, tenant: str, tx: dict[str, Any], answer: backends.Answer, now: datetime
) -> dict[str, Any]:
    conn = uow.conn
    if tx["status"] != "pending":
        log.warning("card_payment_paid_late", transaction_id=str(tx["id"]), was=tx["status"])
    payment_id = movement_id = None
    if tx["purpose"] == "invoices":
        paid = await apply_payment_in(
            uow,
            tenant,
            regie_id=tx["regie_id"],
            payer_id=tx["payer_id"],
            household_id=tx["household_id"],
            method="card",
            amount_cents=tx["amount_cents"],
            received_on=local_date(now),
            invoice_ids=tx["invoice_ids"],
            reference={
                "transaction": tx["reference"],
                "bank_transaction_id": tx["bank_transaction_id"] or "",
                "backend": tx["backend"],
            },
            recorded_by=None,
            now=now,
        )
        payment_id = paid["id"]
    else:
        from billing.usecases import wallet  # here: wallet starts card payments (a cycle)

        credited = await wallet.credit_top_up_in(
            uow,
            tenant,
            household_id=tx["household_id"],
            amount_cents=tx["amount_cents"],
            transaction_id=tx["id"],
            now=now,
        )
        movement_id = credited.get("movement_id") or credited.get("id")
    row = await payments_store.settle_transaction(
        conn,
        tx["id"],
        status="paid",
        bank_status=answer.bank_status,
        bank_data=answer.bank_data,
        now=now,
        payment_id=payment_id,
        wallet_movement_id=movement_id,
    )
    log.info("card_payment_paid", transaction_id=str(tx["id"]), amount_cents=tx["amount_cents"])
    return row


async def _refused_in(uow: UnitOfWork, tenant: str, tx: dict[str, Any]) -> None:
    invoices = await payments_store.invoices_by_id(uow.conn, tenant, tx["invoice_ids"])
    baskets = sorted({i["basket_id"] for i in invoices if i["basket_id"]}, key=str)
    payer_account = None
    if tx["payer_id"] != tx["household_id"]:
        for payer in await families_store.payers_of(uow.conn, tenant, [tx["payer_id"]]):
            payer_account = payer["account_id"]
    uow.emit(
        "billing.PaymentRefused",
        {
            "transaction_id": tx["id"],
            "regie_id": tx["regie_id"],
            "household_id": tx["household_id"],
            "payer_account_id": payer_account,
            "amount_cents": tx["amount_cents"],
            "invoice_ids": list(tx["invoice_ids"]),
            "basket_ids": baskets,
            "outcome": tx["status"],
        },
        tenant=tenant,
    )


# --- polling -----------------------------------------------------------------------------


async def poll_pending(
    make_uow: Callable[[], UnitOfWork],
    conn: Conn,
    *,
    now: datetime,
    older_than: timedelta,
    limit: int = 200,
    urls: Urls | None = None,
) -> dict[str, int]:
    """Transactions pending for longer than `older_than`: PayFIP is asked what became of
    them; those of backends that cannot be asked expire once past their `expires_at`.
    Returns how many were settled per outcome."""
    urls = urls or installed()
    counts: dict[str, int] = {}
    for tx in await payments_store.pending_transactions(conn, now - older_than, limit):
        try:
            answer = await _ask(conn, tx, now, urls)
        except Exception as exc:  # one bank's silence does not stop the others
            log.warning("card_payment_not_polled", transaction_id=str(tx["id"]), error=repr(exc))
            continue
        if answer is None:
            continue
        settled = await settle(make_uow(), tx["tenant"], tx["id"], answer, now=now)
        if settled["applied"]:
            counts[settled["status"]] = counts.get(settled["status"], 0) + 1
    return counts


async def check_now(
    uow: UnitOfWork,
    conn: Conn,
    tenant: str,
    transaction_id: uuid.UUID,
    *,
    now: datetime,
    urls: Urls | None = None,
) -> dict[str, Any]:
    """Staff reconcile one pending transaction at once (the family says it paid): the bank
    is asked as the sweeper would, the answer applied once; `checked` says whether the bank
    answered anything final."""
    tx = await transaction(conn, tenant, transaction_id)
    if tx["status"] != "pending":
        return {**tx, "checked": False}
    try:
        answer = await _ask(conn, tx, now, urls or installed())
    except Exception as exc:  # the bank's silence is an answer for staff too
        log.warning("card_payment_not_checked", transaction_id=str(transaction_id), error=repr(exc))
        answer = None
    if answer is None:
        return {**tx, "checked": False}
    await settle(uow, tenant, transaction_id, answer, now=now)
    return {**await transaction(conn, tenant, transaction_id), "checked": True}


async def _ask(conn: Conn, tx: dict[str, Any], now: datetime, urls: Urls) -> backends.Answer | None:
    expired = backends.Answer(
        outcome=backends.EXPIRED,
        bank_transaction_id=tx["bank_transaction_id"] or "",
        bank_status="no answer from the bank in time",
        bank_data={},
        amount_cents=None,
        return_content=None,
    )
    if backends.can_poll(tx["backend"]) and tx["bank_transaction_id"]:
        config = await payments_store.get_card_backend(conn, tx["tenant"], tx["regie_id"])
        options = config["options"] if config and config["backend"] == tx["backend"] else {}
        answer = await backends.status(
            tx["backend"],
            options,
            urls.transaction(tx["tenant"], tx["id"]),
            tx["bank_transaction_id"],
            tx["created_at"],
        )
        return None if answer.outcome == backends.WAITING else answer
    return expired if tx["expires_at"] <= now else None


# --- reads -------------------------------------------------------------------------------


async def transaction(
    conn: Conn, tenant: str, transaction_id: uuid.UUID, household_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """A transaction (a family: its household's only), with its payment's number."""
    row = await payments_store.get_transaction(conn, transaction_id)
    if row is None or row["tenant"] != tenant:
        raise TransactionNotFound()
    if household_id is not None and row["household_id"] != household_id:
        raise TransactionNotFound()
    number = None
    if row["payment_id"] is not None:
        payment = await payments_store.get_payment(conn, tenant, row["payment_id"])
        number = payment["number"] if payment else None
    return {**row, "transaction_id": row["id"], "payment_number": number}


async def transactions(conn: Conn, tenant: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
    rows = await payments_store.list_transactions(conn, tenant, filters)
    return [{**r, "transaction_id": r["id"]} for r in rows]

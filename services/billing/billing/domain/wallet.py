"""The prepaid wallet of a household ("tirelire" [003]): the family activates it and tops it
up by card; the days of activities paid from the wallet are debited from it when a basket is
validated, and their cancellation credits it back.

Rules:
- the balance never goes below zero: a debit larger than the balance is refused whole,
  nothing is taken from it (no partial debit);
- every movement is kept, with the balance after it; the balance is the sum of the movements;
- credits are positive (a card top-up, a staff credit, a refund), debits negative;
- a top-up is between the régie's minimum and maximum;
- while the town does not offer the wallet (per-town features) nobody activates or tops up
  a wallet online, its activities are invoiced (`announced_payment`), and the balance stays
  the household's: readable, refunded to the wallet when days it paid are cancelled, and
  debited for the days held before the switch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from uuid import UUID

from billing.domain.errors import InsufficientBalance, InvalidWalletAmount, TopUpOutOfRange
from billing.domain.money import euros

CREDITS = ("top_up", "staff", "refund")  # billing.WalletCredited's reasons
KINDS = (*CREDITS, "debit", "payout")  # payout: the balance paid back by the régie
WALLET_INACTIVE = "wallet_inactive"
INSUFFICIENT_BALANCE = "insufficient_balance"
PAYMENTS = ("invoice", "at_booking", "wallet")  # how an activity is paid
PAID_UPFRONT = ("at_booking", "wallet")  # only prepaid activities


@dataclass(frozen=True)
class Movement:
    kind: str
    amount_cents: int  # signed: + credit, − debit
    balance_cents: int  # after it


def credited(balance_cents: int, amount_cents: int) -> int:
    """The balance after a credit."""
    if amount_cents <= 0:
        raise InvalidWalletAmount()
    return balance_cents + amount_cents


def debited(balance_cents: int, amount_cents: int) -> int:
    """The balance after a debit; refused whole when the balance does not cover it."""
    if amount_cents <= 0:
        raise InvalidWalletAmount()
    if amount_cents > balance_cents:
        raise InsufficientBalance()
    return balance_cents - amount_cents


def refusal(balance_cents: int | None, due_cents: int) -> str | None:
    """Why the wallet cannot pay `due_cents` (None: it can). `balance_cents` None: the
    household has not activated its wallet."""
    if balance_cents is None:
        return WALLET_INACTIVE
    if due_cents > balance_cents:
        return INSUFFICIENT_BALANCE
    return None


def amount_due(totals: Mapping[UUID, int], credits: Mapping[UUID, int]) -> int:
    """What invoices of these totals (per payer) will ask once each payer's available
    credits are deducted from its invoice (never beyond it)."""
    return sum(max(0, total - credits.get(payer, 0)) for payer, total in totals.items())


def announced_payment(payment: str, wallet_offered: bool) -> str:
    """How booking is told an activity is paid: as configured, except that an activity paid
    from the wallet is invoiced while the town does not offer the wallet (per-town features),
    so that turning the wallet off never makes its activities impossible to book."""
    if payment == "wallet" and not wallet_offered:
        return "invoice"
    return payment


def check_top_up(amount_cents: int, minimum_cents: int, maximum_cents: int) -> None:
    if not minimum_cents <= amount_cents <= maximum_cents:
        raise TopUpOutOfRange(
            f"Le rechargement doit être compris entre {euros(minimum_cents)} et "
            f"{euros(maximum_cents)}.",
            errors=[
                {
                    "field": "amount_cents",
                    "detail": f"Entre {minimum_cents} et {maximum_cents} centimes.",
                }
            ],
        )


def replay(movements: Iterable[Movement]) -> int:
    """The balance the movements add up to, in their order; each must carry the balance it
    left and never go below zero (what the store guarantees, checked from the history)."""
    balance = 0
    for movement in movements:
        if movement.kind not in KINDS or (movement.kind == "debit") != (movement.amount_cents < 0):
            raise ValueError(f"a {movement.kind} of {movement.amount_cents} cents")
        balance = (
            debited(balance, -movement.amount_cents)
            if movement.amount_cents < 0
            else credited(balance, movement.amount_cents)
        )
        if balance != movement.balance_cents:
            raise ValueError(f"balance {movement.balance_cents} recorded, {balance} expected")
    return balance


# --- what the family reads on each movement ------------------------------------------------


def top_up_label() -> str:
    return "Rechargement par carte bancaire"


def staff_label(reason: str) -> str:
    return f"Crédit de la régie : {reason}"


def payout_label(method_label: str) -> str:
    """The balance paid back to the household by the régie (`method_label`: « Virement »)."""
    return f"Remboursement du solde par la régie ({method_label.lower()})"


def refund_label(credit_note_number: str) -> str:
    return f"Remboursement de l'avoir {credit_note_number} (annulation)"


RELEASES = {
    "payment_expired": "paiement non reçu dans le délai",
    "payment_refused": "paiement refusé",
    "insufficient_balance": "solde de la tirelire insuffisant",
    "wallet_inactive": "tirelire non activée",
}


def release_reason(reason: str) -> str:
    """The reason a credit note of released days gives (booking.BookingHoldReleased)."""
    return f"Réservation libérée : {RELEASES.get(reason, reason)}"


def debit_label(activity_name: str, child_name: str, days: int, invoices: list[str]) -> str:
    what = f"Réservation : {activity_name} ({child_name}, {days} jour{'s' if days > 1 else ''})"
    return f"{what}, facture {', '.join(invoices)}" if invoices else what

"""Card payment services through `eopayment` (Entr'ouvert's library for the French public
sector's payment services): PayFIP by web service (`payfip_ws`), legacy TIPI (`tipi`) and
the `dummy` backend for development and tests.

eopayment is synchronous, and `payfip_ws` makes SOAP calls (up to 15 s): every call runs on
a thread (`asyncio.to_thread`), never on the event loop. A régie's options are checked
against the backend's own description; the return and notification URLs are billing's,
one pair per transaction, never set by staff. Options that look like secrets are never
returned in clear (`masked`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import eopayment

from billing.domain.errors import CardBackendFailed, InvalidCardBackend, InvalidNotification
from shared.logging import get_logger

log = get_logger(__name__)

BACKENDS = ("payfip_ws", "tipi", "dummy")
# What staff may set per backend; the URLs are billing's. The dummy's
# `consider_all_response_signed` would accept forged answers: never settable.
OPTIONS: dict[str, tuple[str, ...]] = {
    "payfip_ws": ("numcli", "saisie"),
    "tipi": ("numcli", "saisie"),
    "dummy": ("origin",),
}
SECRET = re.compile(r"secret|password|passwd|key|cle|certificat|token", re.IGNORECASE)
MASK = "********"

# eopayment's answers, as a transaction's outcome.
PAID, REFUSED, CANCELLED, EXPIRED, WAITING = "paid", "refused", "cancelled", "expired", "waiting"
_OUTCOMES = {
    eopayment.PAID: PAID,
    eopayment.DENIED: REFUSED,
    eopayment.ERROR: REFUSED,  # the dummy's page says "not ok" this way
    eopayment.CANCELLED: CANCELLED,
    eopayment.EXPIRED: EXPIRED,
    eopayment.WAITING: WAITING,
    eopayment.RECEIVED: WAITING,
    eopayment.ACCEPTED: WAITING,
}


def check_options(backend: str, options: Mapping[str, Any]) -> dict[str, str]:
    """A régie's options for a backend, checked as eopayment describes them (required,
    choices, validation): InvalidCardBackend (422 naming the option) otherwise."""
    if backend not in BACKENDS:
        raise InvalidCardBackend(field="backend")
    allowed = OPTIONS[backend]
    described = {p["name"]: p for p in eopayment.get_backend(backend).description["parameters"]}
    clean: dict[str, str] = {}
    for name, value in options.items():
        if name not in allowed:
            raise InvalidCardBackend(
                f"L'option « {name} » n'est pas paramétrable pour ce service de paiement.",
                field=f"options.{name}",
            )
        clean[name] = str(value).strip()
    for name in allowed:
        parameter = described[name]
        value = clean.get(name)
        if not value:
            if parameter.get("required"):
                raise InvalidCardBackend(
                    f"L'option « {name} » est obligatoire pour ce service de paiement.",
                    field=f"options.{name}",
                )
            clean.pop(name, None)
            continue
        choices = [c[0] if isinstance(c, tuple | list) else c for c in parameter.get("choices", ())]
        validation = parameter.get("validation")
        if (choices and value not in choices) or (validation and not validation(value)):
            raise InvalidCardBackend(
                f"La valeur de l'option « {name} » n'est pas valide"
                + (f" (valeurs possibles : {', '.join(choices)})." if choices else "."),
                field=f"options.{name}",
            )
    return clean


def masked(options: Mapping[str, Any]) -> dict[str, Any]:
    """Options as the API shows them: secrets never in clear."""
    return {k: MASK if SECRET.search(k) else v for k, v in options.items()}


def merged(new: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """Options staff send back: a masked secret they did not retype keeps its stored value."""
    return {k: stored.get(k, "") if v == MASK else v for k, v in new.items()}


def euros_text(cents: int) -> str:
    """eopayment's amounts: euros with a decimal point (1234 → "12.34")."""
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass(frozen=True)
class Requested:
    bank_transaction_id: str
    payment_url: str


@dataclass(frozen=True)
class Answer:
    """The bank's answer, verified by eopayment."""

    outcome: str  # paid, refused, cancelled, expired, waiting
    bank_transaction_id: str  # the id the request returned (PayFIP's idop)
    bank_status: str
    bank_data: dict[str, Any]
    amount_cents: int | None  # when the answer carries one
    return_content: str | None


def _payment(backend: str, options: Mapping[str, Any], urls: Mapping[str, str]) -> Any:
    return eopayment.Payment(
        backend,
        {
            **options,
            "normal_return_url": urls["return"],
            "automatic_return_url": urls["notification"],
        },
    )


def _request(
    backend: str,
    options: Mapping[str, Any],
    urls: Mapping[str, str],
    amount_cents: int,
    email: str | None,
    reference: str,
    subject: str,
) -> Requested:
    payment = _payment(backend, options, urls)
    bank_id, kind, data = payment.request(
        euros_text(amount_cents), email=email, orderid=reference, subject=subject
    )
    if kind != eopayment.URL:
        raise CardBackendFailed()  # forms and HTML pages: not used by these backends
    return Requested(str(bank_id), str(data))


async def request(
    backend: str,
    options: Mapping[str, Any],
    urls: Mapping[str, str],
    *,
    amount_cents: int,
    email: str | None,
    reference: str,
    subject: str,
) -> Requested:
    """Ask the backend for a payment page (on a thread: PayFIP answers over SOAP)."""
    try:
        return await asyncio.to_thread(
            _request, backend, options, urls, amount_cents, email, reference, subject
        )
    except CardBackendFailed:
        raise
    except ValueError as exc:  # eopayment's checks of the amount, the email, the options
        log.warning("card_request_refused", backend=backend, error=repr(exc))
        raise InvalidCardBackend(
            "Le service de paiement refuse cette demande (montant ou adresse e-mail)."
        ) from None
    except Exception as exc:
        log.warning("card_request_failed", backend=backend, error=repr(exc))
        raise CardBackendFailed() from None


def _answer(response: Any, bank_transaction_id: str) -> Answer:
    data = _plain(response.bank_data or {})
    status = response.bank_status
    if isinstance(status, list):  # the dummy's form value
        status = " ".join(str(s) for s in status)
    return Answer(
        outcome=_OUTCOMES.get(response.result, REFUSED),
        bank_transaction_id=bank_transaction_id,
        bank_status=str(status or ""),
        bank_data=data,
        amount_cents=_amount_cents(data),
        return_content=response.return_content,
    )


def _verify(
    backend: str, options: Mapping[str, Any], urls: Mapping[str, str], query_string: str
) -> Answer:
    payment = _payment(backend, options, urls)
    if backend == "payfip_ws":
        # PayFIP posts `idOp`; eopayment reads `idop` (then asks PayFIP itself).
        fields = parse_qs(query_string)
        if "idop" not in fields and "idOp" in fields:
            query_string = f"idop={fields['idOp'][0]}"
    response = payment.response(query_string)
    if not response.signed:
        raise InvalidNotification("La notification de paiement n'est pas signée.")
    # The id the request returned: PayFIP's idop (order_id), TIPI's refdet, the dummy's id.
    bank_id = response.order_id if backend == "payfip_ws" else response.transaction_id
    return _answer(response, str(bank_id or ""))


async def verify(
    backend: str, options: Mapping[str, Any], urls: Mapping[str, str], query_string: str
) -> Answer:
    """The bank's notification (or the browser's return) verified by eopayment; anything
    it cannot verify is InvalidNotification (4xx), never applied."""
    try:
        return await asyncio.to_thread(_verify, backend, options, urls, query_string)
    except InvalidNotification:
        raise
    except (eopayment.ResponseError, ValueError, KeyError, UnicodeDecodeError) as exc:
        log.warning("card_notification_refused", backend=backend, error=repr(exc))
        raise InvalidNotification() from None
    except Exception as exc:  # PayFIP unreachable: the bank will notify again, or we poll
        log.warning("card_notification_unverified", backend=backend, error=repr(exc))
        raise CardBackendFailed() from None


def can_poll(backend: str) -> bool:
    return hasattr(eopayment.get_backend(backend), "payment_status")


def _status(
    backend: str,
    options: Mapping[str, Any],
    urls: Mapping[str, str],
    bank_transaction_id: str,
    started_at: Any,
) -> Answer:
    payment = _payment(backend, options, urls)
    response = payment.payment_status(bank_transaction_id, transaction_date=started_at)
    return _answer(response, bank_transaction_id)


async def status(
    backend: str,
    options: Mapping[str, Any],
    urls: Mapping[str, str],
    bank_transaction_id: str,
    started_at: Any,
) -> Answer:
    """Ask the backend what became of a transaction (PayFIP's payment details)."""
    return await asyncio.to_thread(_status, backend, options, urls, bank_transaction_id, started_at)


def _plain(data: Mapping[str, Any]) -> dict[str, Any]:
    """The bank's data as plain JSON values (kept for audit): a form's single values
    unwrapped, anything else as text."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if str(key).startswith("__"):
            continue
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        out[str(key)] = value if isinstance(value, str | int | float | bool | None) else str(value)
    return out


def _amount_cents(data: Mapping[str, Any]) -> int | None:
    """The amount the answer carries: PayFIP/TIPI's `montant` (cents), the dummy's `amount`
    (euros, as requested)."""
    try:
        if data.get("montant") not in (None, ""):
            return int(str(data["montant"]))
        if data.get("amount") not in (None, ""):
            return int(Decimal(str(data["amount"])) * 100)
    except (ValueError, ArithmeticError):
        raise InvalidNotification("Le montant de la notification n'est pas lisible.") from None
    return None

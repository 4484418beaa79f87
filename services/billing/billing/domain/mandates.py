"""SEPA direct-debit mandates: the debtor's bank details (checked with schwifty, shown masked),
the creditor identifier of the régie (ICS), the mandate's unique reference (RUM), its states,
and what a bank rejection does to it [000].

A mandate is `pending_signature` when a guardian registered it online (the family signs it
through the emailed link), `active` once signed (online, or on paper recorded by staff),
`suspended` after its second rejection, `revoked` by the family or staff (or replaced by a
newer one of the same payer and régie). Only an active mandate is collected, and only for
invoices issued after it became active ("from the next invoice" [000]).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

STATUSES = ("pending_signature", "active", "suspended", "revoked")
RECORDED_BY = ("family", "staff")
# The second rejection suspends the mandate [000]: "au bout de deux rejets de prélèvements".
SUSPEND_AFTER_REJECTIONS = 2
# Calendar days of notice before a collection (the pre-notification): the SEPA Core rulebook's
# 14 by default, a shorter delay agreed in the mandate's terms but never under 2.
DEFAULT_PRENOTIFICATION_DAYS = 14
MIN_PRENOTIFICATION_DAYS = 2

# Characters the SEPA rulebook allows in a mandate reference (Max35Text, restricted).
_RUM_SHAPE = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]{1,35}")
_CREDITOR_ID = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}")


class BankDetailsError(ValueError):
    """Bank details that do not hold: the field at fault and a French message that never
    repeats the input."""

    def __init__(self, message: str, field: str = "iban") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class BankAccount:
    """An account to debit or to credit: the IBAN compact (no spaces), the BIC or None (the
    IBAN alone suffices in SEPA; the bank's BIC is derived from the IBAN where known)."""

    iban: str
    bic: str | None

    def __repr__(self) -> str:  # never the full IBAN (tracebacks, debug logs)
        return f"BankAccount(iban={mask_iban(self.iban)!r})"

    @property
    def masked(self) -> str:
        return mask_iban(self.iban)


def bank_account(iban: str, bic: str | None = None) -> BankAccount:
    """Checked bank details: the IBAN's checksum and national format (schwifty), the BIC's
    format and its country matching the IBAN's; BankDetailsError otherwise."""
    try:
        account = IBAN(iban)
    except (SchwiftyException, ValueError):
        raise BankDetailsError(
            "L'IBAN n'est pas valide (vérifiez sa clé et sa longueur)."
        ) from None
    if not account.in_sepa_zone:
        raise BankDetailsError("Cet IBAN n'est pas celui d'un pays de la zone SEPA.")
    if bic:
        try:
            code = BIC(bic)
        except (SchwiftyException, ValueError):
            raise BankDetailsError("Le BIC n'est pas valide.", "bic") from None
        if not _same_country(code.country_code, account.country_code):
            raise BankDetailsError("Le BIC n'est pas celui d'une banque du pays de l'IBAN.", "bic")
        return BankAccount(account.compact, str(code.compact))
    derived = account.bic
    return BankAccount(account.compact, str(derived.compact) if derived is not None else None)


# French overseas territories have their own ISO codes in BICs but French IBANs (and the
# reverse for Monaco): their banks are French banks.
_FRENCH = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "MC"}


def _same_country(bic_country: str, iban_country: str) -> bool:
    if bic_country == iban_country:
        return True
    return bic_country in _FRENCH and iban_country in _FRENCH


def mask_iban(iban: str) -> str:
    """FR7630006000011234567890189 → « FR76 **** **** **** **** **** 189 »: the country and
    check digits and the last three characters, nothing that identifies the account."""
    compact = re.sub(r"\s+", "", iban).upper()
    if len(compact) <= 7:
        return "*" * len(compact)
    hidden = compact[:4] + "*" * (len(compact) - 7) + compact[-3:]
    return " ".join(hidden[i : i + 4] for i in range(0, len(hidden), 4))


def creditor_identifier(value: str) -> str:
    """A SEPA creditor identifier (ICS in France, e.g. FR72ZZZ123456) normalised, its check
    digits verified (ISO 7064 MOD 97-10 over the national identifier and the country, the
    business code left out); BankDetailsError otherwise."""
    compact = re.sub(r"\s+", "", value).upper()
    if not _CREDITOR_ID.fullmatch(compact):
        raise BankDetailsError(
            "L'identifiant créancier SEPA (ICS) n'a pas la bonne forme (ex. FR72ZZZ123456).",
            "creditor_id",
        )
    digits = "".join(str(int(c, 36)) for c in compact[7:] + compact[:4])
    if int(digits) % 97 != 1:
        raise BankDetailsError(
            "La clé de l'identifiant créancier SEPA (ICS) est fausse.", "creditor_id"
        )
    return compact


def rum(regie_code: str, year: int, seq: int) -> str:
    """The mandate's unique reference, e.g. M-CANTINE-2026-000042: the régie that collects,
    the year it was registered and a number running per tenant and year (unique per tenant,
    so per creditor)."""
    reference = f"M-{regie_code}-{year}-{seq:06d}"
    if not _RUM_SHAPE.fullmatch(reference):
        raise ValueError(f"not a valid mandate reference: {reference!r}")
    return reference


def is_rum(value: str) -> bool:
    return _RUM_SHAPE.fullmatch(value) is not None


@dataclass(frozen=True)
class SignatureToken:
    """The secret of an online signature link: `value` goes into the emailed link once,
    only `digest` is stored (a leaked row cannot be replayed)."""

    value: str
    digest: str

    def __repr__(self) -> str:
        return "SignatureToken(...)"


def signature_token() -> SignatureToken:
    value = secrets.token_urlsafe(32)  # 256 bits: a fast hash suffices
    return SignatureToken(value, signature_digest(value))


def signature_digest(value: str) -> str:
    return hashlib.sha256(f"mandate-signature:{value}".encode()).hexdigest()


def signature_url(portal_url: str, token: str) -> str:
    """The portal's page where the family signs its mandate."""
    return f"{portal_url.rstrip('/')}/prelevement/signature?token={token}"


def can_sign(status: str) -> bool:
    return status == "pending_signature"


def can_revoke(status: str) -> bool:
    return status in ("pending_signature", "active", "suspended")


def collects(status: str, collects_from: datetime | None, issued_at: datetime) -> bool:
    """Whether an active mandate collects an invoice: only those issued after it became
    active ("effectif à compter de la prochaine facturation" [000]), or after the active
    mandate it replaced did (the payer changed accounts: the invoices follow)."""
    return status == "active" and collects_from is not None and issued_at > collects_from


def collects_from(
    activated_at: datetime, replaced: Iterable[tuple[str, datetime | None]]
) -> datetime:
    """From when a mandate activated now collects: its activation, or the start of the
    active mandate (status, collects_from) it replaces."""
    starts = [start for status, start in replaced if status == "active" and start is not None]
    return min([activated_at, *starts])


@dataclass(frozen=True)
class AfterRejection:
    rejections: int
    suspended: bool  # this rejection suspends the mandate


def after_rejection(status: str, rejections: int) -> AfterRejection:
    """A bank rejection counts against the mandate; the second suspends an active one [000]
    (a revoked or already suspended mandate keeps its state)."""
    count = rejections + 1
    return AfterRejection(count, status == "active" and count >= SUSPEND_AFTER_REJECTIONS)

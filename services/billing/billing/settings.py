"""Settings of the billing service (environment variables, local defaults)."""

from __future__ import annotations

import dataclasses

from marshmallow.validate import Range, Regexp

from shared.keys import settings_key
from shared.settings import ServiceSettings, setting
from shared.vault import Vault, check_key_settings, vault_from_settings

# Development-only key ring of the bank details: refused in production.
DEV_BANK_DETAILS_KEYS = "dev:ZGV2LW9ubHktYmFuay1kZXRhaWxzLWtleS1jaGFuZ2U="


@dataclasses.dataclass(frozen=True)
class BillingSettings(ServiceSettings):
    service: str = setting("SERVICE_NAME", "billing")
    http_port: int = setting("HTTP_PORT", 8084, validate=Range(1, 65535))
    basket_invoice_grace_seconds: float = setting(
        "BASKET_INVOICE_GRACE_SECONDS",
        1.0,
        validate=Range(0, 600),
        help="how long a prepaid basket's invoice gathers the basket's events (one per child "
        "and activity) before it is finalised; 0: each event's days are invoiced at once",
    )
    basket_invoice_sweep_seconds: float = setting(
        "BASKET_INVOICE_SWEEP_SECONDS",
        0.5,
        validate=Range(0.05, 60),
        help="how often the prepaid invoices whose grace has passed are finalised",
    )
    pdf_threads: int = setting(
        "PDF_THREADS",
        1,
        validate=Range(1, 8),
        help="threads making PDFs (WeasyPrint) beside the event loop; more processes scale "
        "better than more threads",
    )
    max_logo_bytes: int = setting(
        "MAX_LOGO_BYTES",
        512 * 1024,
        validate=Range(1024, 5 * 1024 * 1024),
        help="largest régie logo accepted (PNG or JPEG), printed on every document",
    )
    # --- online card payment ---
    public_url: str = setting(
        "BILLING_PUBLIC_URL",
        "http://127.0.0.1:8080/api/billing",
        validate=Regexp(r"^https?://[^\s]+[^/\s]$", error="an http(s) URL without a final /"),
        help="where the card payment service and the families' browsers reach billing "
        "(through the gateway): the notification and return URLs given to the bank; outside "
        "production also the dummy backend's payment page (<BILLING_PUBLIC_URL>/dev/dummy-"
        "payment), which notifies billing at this URL too (scripts/dev: the gateway's)",
    )
    portal_url: str = setting(
        "PORTAL_URL",
        "http://127.0.0.1:8080",
        validate=Regexp(r"^https?://[^\s]+[^/\s]$", error="an http(s) URL without a final /"),
        help="the family portal: a family's browser is sent back to "
        "<PORTAL_URL>/paiement/retour?transaction=<id>&statut=<status> after paying by card",
    )
    card_payment_expiry_minutes: float = setting(
        "CARD_PAYMENT_EXPIRY_MINUTES",
        30.0,
        validate=Range(1, 24 * 60),
        help="a card payment the bank has not answered after this long is expired (its "
        "invoices stay unpaid, billing.PaymentRefused outcome expired) when its backend "
        "cannot be asked; a 'paid' arriving later is still applied",
    )
    card_payment_poll_after_minutes: float = setting(
        "CARD_PAYMENT_POLL_AFTER_MINUTES",
        5.0,
        validate=Range(0, 24 * 60),
        help="the sweeper asks the bank (PayFIP's payment status) about card payments "
        "pending for longer than this",
    )
    card_payment_poll_seconds: float = setting(
        "CARD_PAYMENT_POLL_SECONDS",
        60.0,
        validate=Range(0.05, 3600),
        help="how often the sweeper looks at pending card payments",
    )
    wallet_top_up_min_cents: int = setting(
        "WALLET_TOP_UP_MIN_CENTS",
        500,
        validate=Range(1, 1_000_000),
        help="smallest card top-up of a household's wallet, in cents",
    )
    wallet_top_up_max_cents: int = setting(
        "WALLET_TOP_UP_MAX_CENTS",
        30_000,
        validate=Range(1, 10_000_000),
        help="largest card top-up of a household's wallet, in cents",
    )
    reminder_sweep_seconds: float = setting(
        "REMINDER_SWEEP_SECONDS",
        3600.0,
        validate=Range(0, 86400),
        help="how often the reminders due (régies' schedules) are sent, the first time at "
        "start; 0: never in the background (`python -m billing send-reminders` from cron, or "
        "staff's POST /tenants/{tenant}/reminders/run, instead)",
    )
    reminder_batch_size: int = setting(
        "REMINDER_BATCH_SIZE",
        200,
        validate=Range(1, 5000),
        help="invoices examined per transaction when sending reminders (a town with "
        "thousands of overdue invoices never holds one long transaction)",
    )

    # --- SEPA direct debit ---
    bank_details_keys: str = setting(
        "BANK_DETAILS_KEYS",
        DEV_BANK_DETAILS_KEYS,
        help="AES-256 keys sealing bank details (mandates' and régies' IBAN and BIC, "
        "pain.008 files): kid:base64(32 bytes), comma-separated",
    )
    bank_details_current_key: str = setting(
        "BANK_DETAILS_CURRENT_KEY",
        "",
        help="id of the key that seals new bank details (default: the last one listed)",
    )
    mandate_signature_hours: float = setting(
        "MANDATE_SIGNATURE_HOURS",
        168.0,
        validate=Range(1, 24 * 60),
        help="how long the link emailed to sign a direct-debit mandate online stays valid "
        "(<PORTAL_URL>/prelevement/signature?token=<token>, single use)",
    )

    def __post_init__(self) -> None:
        check_key_settings(
            self.bank_details_keys,
            self.bank_details_current_key,
            keys_env="BANK_DETAILS_KEYS",
            current_env="BANK_DETAILS_CURRENT_KEY",
            production=self.environment == "production",
            development_keys=DEV_BANK_DETAILS_KEYS,
        )

    def bank_vault(self) -> Vault:
        return vault_from_settings(self.bank_details_keys, self.bank_details_current_key)


# The settings as the app holds them, typed (the app factory stores them under this key).
SETTINGS = settings_key(BillingSettings)

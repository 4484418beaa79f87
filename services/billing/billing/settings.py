"""Settings of the billing service (environment variables, local defaults)."""

from __future__ import annotations

import dataclasses

from marshmallow.validate import Range

from shared.keys import settings_key
from shared.settings import ServiceSettings, setting


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


# The settings as the app holds them, typed (the app factory stores them under this key).
SETTINGS = settings_key(BillingSettings)

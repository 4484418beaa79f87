"""A municipality (tenant) as identity knows it, and the rules of its settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from identity.domain.errors import TermsVersionDecrease


@dataclass(frozen=True)
class Tenant:
    slug: str
    display_name: str
    contact_email: str
    contact_phone: str
    password_min_length: int
    terms_version: int | None
    terms_url: str | None
    terms_text: str | None
    # What the town offers its families online (all on unless the town turns one off).
    family_edits: bool = True
    online_booking: bool = True
    wallet: bool = True
    direct_debit: bool = True

    def features(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in FEATURES}


# The switches of issue 16, in the order of identity.TenantFeaturesChanged.
FEATURES = ("family_edits", "online_booking", "wallet", "direct_debit")


def check_settings_change(tenant: Tenant, changes: dict[str, Any]) -> None:
    """Terms of use only move forward: once there is a version, it may not go back or away."""
    if tenant.terms_version is None or "terms_version" not in changes:
        return
    new_version = changes["terms_version"]
    if new_version is None or new_version < tenant.terms_version:
        raise TermsVersionDecrease()

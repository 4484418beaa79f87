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


def check_settings_change(tenant: Tenant, changes: dict[str, Any]) -> None:
    """Terms of use only move forward: once there is a version, it may not go back or away."""
    if tenant.terms_version is None or "terms_version" not in changes:
        return
    new_version = changes["terms_version"]
    if new_version is None or new_version < tenant.terms_version:
        raise TermsVersionDecrease()

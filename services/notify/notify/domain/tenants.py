"""A town as its emails show it: its name, sender, contact and colours, with defaults for
what its staff have not configured."""

from __future__ import annotations

import dataclasses
from typing import Any

DEFAULT_PRIMARY = "#1d4f91"
DEFAULT_ACCENT = "#f2a900"


@dataclasses.dataclass(frozen=True)
class Tenant:
    """What an email needs to know about its town (with defaults when nothing is configured)."""

    tenant: str
    name: str
    sender_name: str
    sender_address: str
    reply_to: str | None
    contact_service: str
    contact_email: str | None
    contact_phone: str | None
    primary_color: str
    accent_color: str
    portal_url: str
    configured: bool = False

    @classmethod
    def build(
        cls,
        tenant: str,
        row: dict[str, Any] | None,
        *,
        default_sender: str,
        default_portal_url: str,
    ) -> Tenant:
        row = dict(row or {})
        name = row.get("name") or tenant.replace("-", " ").replace("_", " ").title()
        return cls(
            tenant=tenant,
            name=name,
            sender_name=row.get("sender_name") or name,
            sender_address=row.get("sender_address") or default_sender,
            reply_to=row.get("reply_to") or row.get("contact_email") or None,
            contact_service=row.get("contact_service") or "le service Enfance de votre mairie",
            contact_email=row.get("contact_email") or None,
            contact_phone=row.get("contact_phone") or None,
            primary_color=row.get("primary_color") or DEFAULT_PRIMARY,
            accent_color=row.get("accent_color") or DEFAULT_ACCENT,
            portal_url=row.get("portal_url") or default_portal_url,
            configured=bool(row),
        )

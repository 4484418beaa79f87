"""Single-use links emailed to a person: activation, invitation, password reset, new email.

A link carries a secret token; only its digest is stored. The page a link opens, and the
kind of secret it carries, depend on its purpose.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from identity.domain.errors import InvalidLink, LinkExpired, LinkSuperseded, LinkUsed
from identity.domain.secret_tokens import TokenPurpose

# Purposes as stored, with the kind of secret (its digest's purpose) each carries.
SECRETS: dict[str, TokenPurpose] = {
    "activation": TokenPurpose.EMAIL_VERIFICATION,
    "email-change": TokenPurpose.EMAIL_VERIFICATION,
    "invitation": TokenPurpose.INVITATION,
    "password-reset": TokenPurpose.PASSWORD_RESET,
}
# The portal's page each link opens.
PAGES: dict[str, str] = {
    "activation": "activation",
    "email-change": "email/confirm",
    "invitation": "invitation",
    "password-reset": "password/reset",
}


@dataclass(frozen=True)
class LinkToken:
    purpose: str
    account_id: uuid.UUID
    tenant: str
    new_email: str | None
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


def link_url(base_url: str, tenant: str, purpose: str, token: str) -> str:
    return f"{base_url}/{tenant}/{PAGES[purpose]}?token={token}"


def check_usable(link: LinkToken | None, *, purpose: str, tenant: str, now: datetime) -> LinkToken:
    """The link if it can still be used; otherwise the problem a family can act on."""
    if link is None or link.purpose != purpose or link.tenant != tenant:
        raise InvalidLink()
    if link.used_at is not None:
        raise LinkUsed()
    if link.revoked_at is not None:
        raise LinkSuperseded()
    if link.expires_at <= now:
        raise LinkExpired()
    return link

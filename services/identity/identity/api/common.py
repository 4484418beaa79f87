"""What every identity HTTP adapter reads from a request, and the answers they share."""

from __future__ import annotations

from aiohttp import web

from identity.settings import SETTINGS
from identity.usecases.audit import Origin

# The answer to a request that may or may not send an email: it tells nothing.
ACCEPTED = {
    "detail": "Demande enregistrée. Si les informations correspondent à un compte, "
    "un e-mail vient d'être envoyé."
}


def tenant(request: web.Request) -> str:
    """The municipality's slug in the URL."""
    return request.match_info["tenant"]


def origin(request: web.Request) -> Origin:
    """Where the request comes from, for the audit log and the per-address throttling."""
    return Origin(
        ip=client_address(request, request.app[SETTINGS].trusted_proxy_hops),
        user_agent=request.headers.get("User-Agent", ""),
    )


def client_address(request: web.Request, trusted_hops: int) -> str:
    """The peer address, or the one our own proxies saw when they are trusted."""
    if trusted_hops:
        forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= trusted_hops:
            return forwarded[-trusted_hops][:64]
    return request.remote or "unknown"

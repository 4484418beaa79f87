"""What a town offers its families online (issue 16 "per-town features"): an admin may turn
off families' edits of their household file, online booking, the wallet, direct debit.

identity owns the switches (`PATCH /tenants/{t}/settings`) and announces the whole set with
identity.TenantFeaturesChanged. family, booking and billing keep their own copy in a
`tenant_features` table (one row per town, each service's migration), the latest event
winning by its time, and refuse a family's request that a switch turns off with a 403
problem naming the feature. Staff are never affected; a town without a row has everything on.
"""

from __future__ import annotations

from typing import ClassVar

import asyncpg

from shared.errors import Forbidden
from shared.events.consumer import HandlerContext
from shared.events.envelope import Event
from shared.logging import get_logger

log = get_logger(__name__)

FEATURES = ("family_edits", "online_booking", "wallet", "direct_debit")

# What a family reads instead of the action the town turned off.
MESSAGES = {
    "family_edits": (
        "La mairie ne permet pas de modifier le dossier en ligne : contactez son service "
        "famille (ou la structure de votre enfant) pour toute modification."
    ),
    "online_booking": (
        "La mairie ne permet pas de réserver en ligne : contactez son service famille "
        "pour vos réservations."
    ),
    "wallet": (
        "La mairie ne propose pas le porte-monnaie en ligne : contactez son service famille "
        "pour régler vos prestations."
    ),
    "direct_debit": (
        "La mairie ne propose pas le prélèvement automatique : contactez son service famille "
        "pour choisir un autre moyen de paiement."
    ),
}


class FeatureOff(Forbidden):
    code = "feature-off"
    title: ClassVar[str] = "Turned off by the municipality"

    def __init__(self, feature: str) -> None:
        super().__init__(MESSAGES[feature], feature=feature)


async def features_of(conn: asyncpg.Connection | asyncpg.Pool, tenant: str) -> dict[str, bool]:
    """The town's switches as this service last heard them (everything on by default)."""
    row = await conn.fetchrow(
        "SELECT family_edits, online_booking, wallet, direct_debit"
        " FROM tenant_features WHERE tenant = $1",
        tenant,
    )
    return {name: bool(row[name]) if row else True for name in FEATURES}


async def require(
    conn: asyncpg.Connection | asyncpg.Pool, tenant: str, feature: str, *, staff: bool
) -> None:
    """Refuse a family's request when its town turned `feature` off; staff always pass."""
    if feature not in FEATURES:
        raise ValueError(f"unknown feature {feature!r}")
    if staff:
        return
    if not (await features_of(conn, tenant))[feature]:
        raise FeatureOff(feature)


async def on_tenant_features_changed(ctx: HandlerContext, event: Event) -> None:
    """Keep the latest set; an older event arriving late (a retry) changes nothing."""
    changed = await ctx.conn.fetchval(
        """
        INSERT INTO tenant_features
            (tenant, family_edits, online_booking, wallet, direct_debit, changed_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (tenant) DO UPDATE
            SET family_edits = EXCLUDED.family_edits,
                online_booking = EXCLUDED.online_booking,
                wallet = EXCLUDED.wallet,
                direct_debit = EXCLUDED.direct_debit,
                changed_at = EXCLUDED.changed_at
            WHERE tenant_features.changed_at < EXCLUDED.changed_at
        RETURNING true
        """,
        event.tenant_id,
        *(event.payload[name] for name in FEATURES),
        event.occurred_at,
    )
    if changed:
        log.info(
            "tenant_features_changed",
            tenant=event.tenant_id,
            **{name: event.payload[name] for name in FEATURES},
        )

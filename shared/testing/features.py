"""Tell a service under test what identity.TenantFeaturesChanged would: publish the event on
the test bus as identity's relay would, then wait until the service's consumer kept it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aio_pika

from shared import tenant_features
from shared.events.envelope import Event, new_event
from shared.keys import BROKER, CONSUMERS, POOL
from shared.testing.bus import eventually


async def announce_features(app: Any, tenant: str = "epagny", **switches: bool) -> Event:
    """Every feature on unless turned off in `switches`; returns the event published."""
    features = {name: switches.get(name, True) for name in tenant_features.FEATURES}
    unknown = set(switches) - set(features)
    if unknown:
        raise ValueError(f"unknown features {sorted(unknown)}")

    async def consuming() -> bool:
        return all(consumer.running for consumer in app[CONSUMERS])

    await eventually(consuming, timeout=20)
    event = new_event(
        "identity.TenantFeaturesChanged",
        {**features, "changed_by": uuid.uuid4()},
        tenant_id=tenant,
        producer="identity",
    )
    await app[BROKER].exchange.publish(
        aio_pika.Message(
            json.dumps(event.to_json()).encode(),
            message_id=str(event.id),
            type=event.type,
            content_type="application/json",
        ),
        routing_key=event.type,
        mandatory=True,
        timeout=10,
    )

    async def kept() -> bool:
        return await tenant_features.features_of(app[POOL], tenant) == features

    await eventually(kept, timeout=15, interval=0.05)
    return event

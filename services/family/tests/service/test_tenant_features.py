"""A town that turns family edits off (issue 16; Epagny asks families to write to the crèche
instead): the family's changes to the household file are refused, staff's are not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared import tenant_features
from shared.events.consumer import HandlerContext
from shared.keys import POOL
from shared.testing.features import announce_features

Town = Any
ME = "/tenants/epagny/me/household"


async def test_family_edits_off_refuses_the_family_not_staff(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    await announce_features(town.client.app, "epagny", family_edits=False, wallet=False)

    refused = [
        ("PATCH", ME, {"phones": ["04 50 99 99 99"]}),
        ("PATCH", f"{ME}/children/{child_id}", {"grade": "CM2"}),
        ("POST", f"{ME}/guardians", town.guardian("Paul", "Martin")),
        ("POST", f"{ME}/children", town.child("Tom")),
        ("POST", ME, {"address": town.ADDRESS}),
    ]
    for method, path, body in refused:
        r = await town.client.request(method, path, json=body, headers=family)
        assert r.status == 403, f"{method} {path}: {r.status} {await r.text()}"
        problem = await r.json()
        assert problem["type"].endswith("/feature-off")
        assert problem["feature"] == "family_edits"
        assert problem["detail"].startswith(
            "La mairie ne permet pas de modifier le dossier en ligne : contactez"
        )
    r = await town.client.delete(f"{ME}/children/{child_id}/photo", headers=family)
    assert r.status == 403
    # Nothing was stored; the family still reads its file; staff still edit it.
    assert (await town.call("GET", ME, family))["pending_changes"] == 0
    staff = town.staff()
    await town.call(
        "PATCH",
        f"/tenants/epagny/households/{h['id']}/children/{child_id}",
        staff,
        {"grade": "CM2"},
    )
    # Another town is not affected.
    other = await town.household("annecy")
    other_family = await town.linked_family(other, "annecy")
    await town.call(
        "PATCH",
        "/tenants/annecy/me/household",
        other_family,
        {"phones": ["04 50 00 00 01"]},
        status=202,
    )
    # Turned on again: the family's change is accepted (pending staff) again.
    await announce_features(town.client.app, "epagny")
    change = await town.call("PATCH", ME, family, {"phones": ["04 50 99 99 99"]}, status=202)
    assert change["status"] == "pending"


async def test_an_older_event_arriving_late_changes_nothing(town: Town) -> None:
    newer = await announce_features(town.client.app, "epagny", family_edits=False)
    older = newer.__class__(
        **{
            **newer.__dict__,
            "payload": {**newer.payload, "family_edits": True},
            "occurred_at": newer.occurred_at - timedelta(seconds=5),
        }
    )
    async with town.client.app[POOL].acquire() as conn, conn.transaction():
        await tenant_features.on_tenant_features_changed(
            HandlerContext(conn=conn, app=town.client.app), older
        )
    features = await tenant_features.features_of(town.client.app[POOL], "epagny")
    assert features["family_edits"] is False

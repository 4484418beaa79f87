"""A household's files waiting for staff are capped: past the limit, a family's new document
or photo is refused until staff have dealt with some; staff uploads are not capped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from family.settings import FamilySettings

Town = Any
ME = "/tenants/epagny/me/household"


@pytest.fixture
def family_settings(make_settings: Callable[..., Any]) -> FamilySettings:
    return make_settings(FamilySettings, household_pending_uploads=2)


async def test_a_household_has_room_for_a_few_files_waiting_for_staff(town: Town) -> None:
    h = await town.household()
    family, staff = await town.linked_family(h), town.staff()
    child_id = h["children"][0]["id"]
    first = await town.upload(f"{ME}/documents", family, document_type="avis_imposition")
    r = await town.client.put(
        f"{ME}/children/{child_id}/photo",
        data=town.PNG,
        headers={**family, "Content-Type": "image/png"},
    )
    assert r.status == 202, await r.text()

    # Two files wait: the third is refused, with nothing written.
    refused = await town.upload(
        f"{ME}/documents", family, document_type="avis_imposition", status=409
    )
    assert refused["type"].endswith("/too-many-pending-uploads")
    assert refused["detail"].startswith("Votre foyer a déjà 2 documents ou photos en attente")
    r = await town.client.put(
        f"{ME}/children/{child_id}/photo",
        data=town.PNG,
        headers={**family, "Content-Type": "image/png"},
    )
    assert r.status == 409
    mine = await town.call("GET", f"{ME}/documents", family)
    assert len(mine["items"]) == 1

    # Staff still upload for the household (not capped); once they have dealt with the
    # files waiting, the family may send again.
    theirs = await town.upload(
        f"/tenants/epagny/households/{h['id']}/documents", staff, document_type="avis_imposition"
    )
    for document in (first, theirs):
        await town.call("POST", f"/tenants/epagny/documents/{document['id']}/validate", staff, None)
    await town.upload(f"{ME}/documents", family, document_type="avis_imposition")

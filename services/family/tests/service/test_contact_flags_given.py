"""Issue 16 (guide 004): who may pick a child up (and whom to call in an emergency) carries
the date given and by whom, like the town's permissions, whichever path changes a contact."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

Town = Any
ME = "/tenants/epagny/me/household"
T = "/tenants/epagny"
LUC = {
    "first_name": "Luc",
    "last_name": "Bernard",
    "phone": "06 12 34 56 78",
    "relationship": "grand-père",
}


def _contact(file: dict[str, Any], contact_id: str) -> dict[str, Any]:
    (contact,) = [c for ch in file["children"] for c in ch["contacts"] if c["id"] == contact_id]
    return contact


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_staff_edits_date_the_flags_when_they_change_only(town: Town) -> None:
    h = await town.household()
    child_id = h["children"][0]["id"]
    staff = town.staff()
    staff_id = town.staff_ids["epagny:staff"]
    file = await town.call(
        "POST",
        f"{T}/households/{h['id']}/children/{child_id}/contacts",
        staff,
        {**LUC, "can_pick_up": True},
        status=201,
    )
    contact_id = file["created_id"]
    given = _contact(file, contact_id)
    assert given["can_pick_up"] is True
    assert given["can_pick_up_given_by"] == staff_id
    first = _at(given["can_pick_up_given_at"])
    # The emergency flag, not sent, is answered « no » at creation: dated as well.
    assert given["emergency"] is False and given["emergency_given_at"]

    # Another field changes, or the flag is sent again unchanged: the date stays.
    path = f"{T}/households/{h['id']}/contacts/{contact_id}"
    file = await town.call("PATCH", path, staff, {"phone": "06 99 88 77 66", "can_pick_up": True})
    kept = _contact(file, contact_id)
    assert kept["phone"] == "06 99 88 77 66"
    assert _at(kept["can_pick_up_given_at"]) == first
    assert kept["emergency_given_at"] == given["emergency_given_at"]

    # Withdrawn: dated anew; given again: dated anew once more.
    file = await town.call("PATCH", path, staff, {"can_pick_up": False})
    withdrawn = _contact(file, contact_id)
    assert withdrawn["can_pick_up"] is False
    assert _at(withdrawn["can_pick_up_given_at"]) > first
    file = await town.call("PATCH", path, staff, {"can_pick_up": True, "emergency": True})
    again = _contact(file, contact_id)
    assert again["can_pick_up"] is True
    assert _at(again["can_pick_up_given_at"]) > _at(withdrawn["can_pick_up_given_at"])
    assert _at(again["emergency_given_at"]) > _at(given["emergency_given_at"])


async def test_a_familys_approved_change_dates_the_flag_given_by_the_family(town: Town) -> None:
    h = await town.household()
    child_id = h["children"][0]["id"]
    family = await town.linked_family(h)
    staff = town.staff()
    proposed = await town.call(
        "POST", f"{ME}/children/{child_id}/contacts", family, {**LUC}, status=202
    )
    approved = await town.call("POST", f"{T}/changes/{proposed['id']}/approve", staff, None)
    contact_id = approved["result_id"]
    mine = await town.call("GET", ME, family)
    luc = _contact(mine, contact_id)
    assert luc["can_pick_up"] is False
    assert luc["can_pick_up_given_by"] == proposed["submitted_by"]
    created = _at(luc["can_pick_up_given_at"])

    # The family asks that Luc may pick the child up: nothing dated until staff approve.
    change = await town.call(
        "PATCH", f"{ME}/contacts/{contact_id}", family, {"can_pick_up": True}, status=202
    )
    # What is shown next to the proposal is what a change may propose, not the stamps.
    assert "can_pick_up_given_at" not in change["before"]
    assert change["before"]["can_pick_up"] is False
    mine = await town.call("GET", ME, family)
    assert _at(_contact(mine, contact_id)["can_pick_up_given_at"]) == created
    await town.call("POST", f"{T}/changes/{change['id']}/approve", staff, None)
    mine = await town.call("GET", ME, family)
    luc = _contact(mine, contact_id)
    assert luc["can_pick_up"] is True
    assert _at(luc["can_pick_up_given_at"]) > created
    assert luc["can_pick_up_given_by"] == change["submitted_by"]  # the family gave it

    # A later change of the phone alone keeps the date.
    change = await town.call(
        "PATCH", f"{ME}/contacts/{contact_id}", family, {"phone": "06 00 00 00 01"}, status=202
    )
    await town.call("POST", f"{T}/changes/{change['id']}/approve", staff, None)
    mine = await town.call("GET", ME, family)
    assert _contact(mine, contact_id)["can_pick_up_given_at"] == luc["can_pick_up_given_at"]


async def test_a_contact_entered_before_the_dates_were_kept_has_none(town: Town) -> None:
    h = await town.household()
    child_id = uuid.UUID(h["children"][0]["id"])
    contact_id = uuid.uuid4()
    # As migration 0013 leaves the contacts already there.
    await town.pool.execute(
        "INSERT INTO contacts (id, tenant, household_id, child_id, first_name, last_name, phone,"
        " relationship, can_pick_up, emergency) VALUES ($1, 'epagny', $2, $3, 'Anne', 'Roux',"
        " '06 11 11 11 11', 'voisine', true, true)",
        contact_id,
        uuid.UUID(h["id"]),
        child_id,
    )
    file = await town.call("GET", f"{T}/households/{h['id']}", town.staff())
    anne = _contact(file, str(contact_id))
    assert anne["can_pick_up"] is True and anne["can_pick_up_given_at"] is None
    assert anne["can_pick_up_given_by"] is None and anne["emergency_given_at"] is None
    # Changed since: dated from then on.
    file = await town.call(
        "PATCH",
        f"{T}/households/{h['id']}/contacts/{contact_id}",
        town.staff(),
        {"emergency": False},
    )
    anne = _contact(file, str(contact_id))
    assert anne["emergency_given_at"] is not None and anne["can_pick_up_given_at"] is None

"""Attendance (pointage) and absence justifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from booking.domain.deadlines import PARIS

from ..conftest import TENANT

Town = Any
DAY = "2026-09-17"


def roll_path(activity: dict[str, Any], day: str = DAY) -> str:
    return f"/tenants/{TENANT}/activities/{activity['id']}/days/{day}/attendance"


async def test_staff_mark_the_days_list_in_bulk(town: Town) -> None:
    activity = await town.activity(type="CANTINE")
    lea = await town.enrolled_child(activity)
    tom = await town.enrolled_child(activity, first_name="Tom")
    zoe = await town.enrolled_child(activity, first_name="Zoé")
    late = await town.enrolled_child(activity, first_name="Noé")  # not booked that day
    async with town.pool.acquire() as conn:
        await conn.execute("UPDATE children SET diet = 'no_pork' WHERE id = $1", tom["id"])
    for kid in (lea, tom, zoe):
        await town.book(kid, activity, DAY)

    # Before the day: the kitchen's list, not yet the marks.
    roll = await town.call("GET", roll_path(activity), town.staff())
    assert roll["booked"] == 3 and roll["present"] == 0
    assert roll["diets"] == {"standard": 2, "no_pork": 1}
    assert {c["first_name"]: c["attendance"] for c in roll["children"]} == {
        "Léa": None,
        "Tom": None,
        "Zoé": None,
    }
    marks = {"marks": [{"child_id": str(lea["id"]), "status": "present"}]}
    r = await town.call("POST", roll_path(activity), town.staff(), marks, 409)
    assert r["type"].endswith("/attendance-too-early")
    # A family may not see or mark the list.
    await town.call("GET", roll_path(activity), town.family(lea["household_id"]), status=403)

    town.at(datetime(2026, 9, 17, 12, 30, tzinfo=PARIS))
    body = {
        "marks": [
            {"child_id": str(lea["id"]), "status": "present"},
            {"child_id": str(tom["id"]), "status": "absent"},
            {"child_id": str(zoe["id"]), "status": "present"},
        ]
    }
    roll = await town.call("POST", roll_path(activity), town.staff(), body)
    assert roll["present"] == 2 and roll["expected_diets"] == {"standard": 2}
    (recorded,) = await town.events("booking.AttendanceRecorded")
    payload = recorded["payload"]
    assert payload["date"] == DAY and payload["activity_type"] == "CANTINE"
    assert {m["child_id"]: m["status"] for m in payload["marks"]} == {
        str(lea["id"]): "present",
        str(tom["id"]): "absent",
        str(zoe["id"]): "present",
    }
    # A correction: only the mark that changed travels; a child not booked is refused, whole.
    roll = await town.call(
        "POST",
        roll_path(activity),
        town.staff(),
        {"marks": [{"child_id": str(zoe["id"]), "status": "absent"}]},
    )
    assert {c["first_name"]: c["attendance"] for c in roll["children"]}["Zoé"] == "absent"
    recorded = await town.events("booking.AttendanceRecorded", 2)
    assert [m["status"] for m in recorded[1]["payload"]["marks"]] == ["absent"]
    r = await town.call(
        "POST",
        roll_path(activity),
        town.staff(),
        {
            "marks": [
                {"child_id": str(lea["id"]), "status": "absent"},
                {"child_id": str(late["id"]), "status": "present"},
            ]
        },
        422,
    )
    assert r["type"].endswith("/not-booked-that-day")
    roll = await town.call("GET", roll_path(activity), town.staff())
    assert {c["first_name"]: c["attendance"] for c in roll["children"]}["Léa"] == "present"
    await town.call(
        "POST",
        roll_path(activity),
        town.staff(),
        {"marks": [{"child_id": str(lea["id"]), "status": "late"}]},
        422,
    )


async def test_a_family_justifies_an_absence_and_staff_decide(town: Town) -> None:
    activity = await town.activity()
    lea = await town.enrolled_child(activity)
    other = await town.enrolled_child(activity, first_name="Tom")
    result = await town.book(lea, activity, DAY, "2026-09-18")
    booking_ids = {line["date"]: line["booking_id"] for line in result["lines"]}
    family = town.family(lea["household_id"])
    path = f"/tenants/{TENANT}/bookings/{booking_ids[DAY]}/absence"

    # Another household cannot justify (nor see) Léa's booking.
    await town.call(
        "POST", path, town.family(other["household_id"]), {"reason": "illness"}, status=404
    )
    await town.call("POST", path, family, {"reason": "holiday"}, status=422)
    absence = await town.call(
        "POST",
        path,
        family,
        {"reason": "illness", "note": "Varicelle", "document_id": str(uuid.uuid4())},
        status=201,
    )
    assert absence["status"] == "pending" and absence["date"] == DAY
    r = await town.call("POST", path, family, {"reason": "illness"}, status=409)
    assert r["type"].endswith("/absence-already-justified")
    mine = await town.call("GET", f"/tenants/{TENANT}/absences", family)
    assert [a["id"] for a in mine["items"]] == [absence["id"]]
    theirs = await town.call(
        "GET", f"/tenants/{TENANT}/absences", town.family(other["household_id"])
    )
    assert theirs["items"] == []
    pending = await town.call("GET", f"/tenants/{TENANT}/absences?status=pending", town.staff())
    assert [a["id"] for a in pending["items"]] == [absence["id"]]

    # Staff refuse the second day's (a reason is required), accept the first's.
    other_day = await town.call(
        "POST",
        f"/tenants/{TENANT}/bookings/{booking_ids['2026-09-18']}/absence",
        family,
        {"reason": "family"},
        status=201,
    )
    decision = f"/tenants/{TENANT}/absences/{other_day['id']}/decision"
    await town.call("POST", decision, town.staff(), {"decision": "refused"}, status=422)
    await town.call("POST", decision, family, {"decision": "accepted"}, status=403)
    refused = await town.call(
        "POST", decision, town.staff(), {"decision": "refused", "reason": "Pas de justificatif"}
    )
    assert refused["status"] == "refused" and refused["decision_reason"] == "Pas de justificatif"
    (told,) = await town.events("booking.AbsenceRefused")
    payload = told["payload"]
    assert payload["absence_id"] == other_day["id"] and payload["date"] == "2026-09-18"
    assert payload["booking_id"] == booking_ids["2026-09-18"] and payload["reason"] == "family"
    assert payload["decision_reason"] == "Pas de justificatif"
    assert payload["household_id"] == str(lea["household_id"])
    assert payload["activity_name"] == activity["name"]

    # The absence was marked before the decision: accepting it makes it justified.
    town.at(datetime(2026, 9, 17, 18, 0, tzinfo=PARIS))
    await town.call(
        "POST",
        roll_path(activity),
        town.staff(),
        {"marks": [{"child_id": str(lea["id"]), "status": "absent"}]},
    )
    accepted = await town.call(
        "POST",
        f"/tenants/{TENANT}/absences/{absence['id']}/decision",
        town.staff(),
        {"decision": "accepted"},
    )
    assert accepted["status"] == "accepted"
    (justified,) = await town.events("booking.AbsenceJustified")
    payload = justified["payload"]
    assert payload["booking_id"] == booking_ids[DAY] and payload["reason"] == "illness"
    assert payload["child_id"] == str(lea["id"]) and payload["note"] == "Varicelle"
    roll = await town.call("GET", roll_path(activity), town.staff())
    (child,) = roll["children"]
    assert child["attendance"] == "absent_justified" and child["absence_status"] == "accepted"
    r = await town.call(
        "POST",
        f"/tenants/{TENANT}/absences/{absence['id']}/decision",
        town.staff(),
        {"decision": "refused", "reason": "Non"},
        status=409,
    )
    assert r["type"].endswith("/absence-already-decided")
    # A cancelled day cannot be justified.
    cancelled = await town.call(
        "POST",
        f"/tenants/{TENANT}/bookings/{booking_ids['2026-09-18']}/cancel",
        town.staff(),
        {"reason": "Sortie"},
    )
    assert cancelled["status"] == "cancelled"
    r = await town.call(
        "POST",
        f"/tenants/{TENANT}/bookings/{booking_ids['2026-09-18']}/absence",
        family,
        {"reason": "illness"},
        status=409,
    )
    assert r["type"].endswith("/booking-not-booked")


async def test_openapi_lists_attendance_absences_and_baskets(town: Town) -> None:
    r = await town.client.get("/openapi.json")
    assert r.status == 200
    paths = (await r.json())["paths"]
    for path in (
        "/tenants/{tenant}/activities/{activity_id}/days/{day}/attendance",
        "/tenants/{tenant}/bookings/{booking_id}/absence",
        "/tenants/{tenant}/absences",
        "/tenants/{tenant}/absences/{absence_id}/decision",
        "/tenants/{tenant}/baskets/{basket_id}/validate",
    ):
        assert path in paths, path
    # A file answer is described with its type, not as JSON.
    feed = paths["/calendars/{token}.ics"]["get"]["responses"]["200"]["content"]
    assert feed == {"text/calendar": {"schema": {"type": "string", "format": "binary"}}}

"""Children read model, activities and enrollments."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from booking import store
from shared.events.envelope import new_event
from shared.testing.bus import eventually

from ..conftest import TENANT, consuming, publish

Town = Any


async def test_children_come_from_family_events(town: Town) -> None:
    await consuming(town.client)
    child_id, household_id = uuid.uuid4(), uuid.uuid4()
    payload = {
        "child_id": child_id,
        "household_id": household_id,
        "first_name": "Tom",
        "last_name": "Durand",
        "birth_date": date(2019, 2, 1),
        "sex": "M",
        "school": "École du Lac",
        "grade": "GS",
        "diet": "vegetarian",
        "image_rights": False,
    }
    registered = new_event("family.ChildRegistered", payload, tenant_id=TENANT, producer="family")
    updated = new_event(
        "family.ChildUpdated", {**payload, "grade": "CP"}, tenant_id=TENANT, producer="family"
    )
    await publish(town, registered)

    async def stored() -> Any:
        return await store.get_child(town.pool, TENANT, child_id)

    child = await eventually(stored)
    assert child["grade"] == "GS" and child["household_id"] == household_id
    await publish(town, updated)

    async def regraded() -> Any:
        row = await stored()
        return row if row["grade"] == "CP" else None

    await eventually(regraded)
    # An older event arriving late (redelivery, retry) does not undo the newer one.
    await store.upsert_child(
        town.pool, TENANT, {**payload, "grade": "MS"}, datetime.now(UTC) - timedelta(days=1)
    )
    assert (await stored())["grade"] == "CP"


async def test_staff_create_activities_with_opening_days(town: Town) -> None:
    activity = await town.activity(school_time=False, closed_dates=["2026-10-19", "2026-10-20"])
    # 63 Mondays, Tuesdays, Thursdays and Fridays from 1/9 to 18/12/2026 (no public holiday
    # falls on one), minus the two closed days.
    assert activity["opening_days"] == 61
    assert activity["booking_deadline"] == {"days_before": 2, "at": "23:59", "working_days": False}
    days = await town.call(
        "GET",
        f"/tenants/{TENANT}/activities/{activity['id']}/days?from=2026-10-16&to=2026-10-23",
        town.staff(),
    )
    assert [d["date"] for d in days["days"]] == ["2026-10-16", "2026-10-22", "2026-10-23"]
    assert days["days"][0] == {"date": "2026-10-16", "capacity": 20, "booked": 0, "waiting": 0}

    kid = await town.child()
    r = await town.call(
        "POST",
        f"/tenants/{TENANT}/activities",
        town.family(kid["household_id"]),
        {"name": "x"},
        403,
    )
    assert r["type"].endswith("/forbidden")
    r = await town.call(
        "POST",
        f"/tenants/{TENANT}/activities",
        town.staff(),
        {**_body(), "period_to": "2026-08-01", "type": "NOPE"},
        422,
    )
    assert {e["field"] for e in r["errors"]} == {"type"}
    await town.call("GET", "/tenants/other/activities", town.staff(), status=403)


def _body() -> dict[str, Any]:
    from ..conftest import activity_body

    return activity_body()


async def test_activities_offered_to_a_child_say_why_not(town: Town) -> None:
    await town.activity(name="Crèche", type="CRECHE", min_age=0, max_age=3)
    await town.activity(
        name="Étude", type="ETUDE", grades=["CE2", "CM1", "CM2"], min_age=None, max_age=None
    )
    kid = await town.child(birth_date=date(2024, 1, 10), grade=None)
    body = await town.call(
        "GET",
        f"/tenants/{TENANT}/activities?child_id={kid['id']}",
        town.family(kid["household_id"]),
    )
    by_name = {a["name"]: a for a in body["items"]}
    assert by_name["Crèche"]["eligible"] is True
    assert by_name["Étude"]["eligible"] is False
    assert "classes" in by_name["Étude"]["ineligibility_reason"]


async def test_enrollment_accepted_at_once_or_by_staff(town: Town) -> None:
    free = await town.activity(name="Cantine", type="CANTINE")
    camp = await town.activity(name="Mercredis", type="MERCREDI", requires_approval=True)
    kid = await town.child()
    family = town.family(kid["household_id"])
    url = f"/tenants/{TENANT}/enrollments"
    body = {"child_id": str(kid["id"]), "activity_id": free["id"]}
    enrolled = await town.call("POST", url, family, body, 201)
    assert enrolled["status"] == "approved"
    (decided,) = await town.events("booking.EnrollmentDecided")
    assert decided["payload"]["decision"] == "approved"
    assert decided["payload"]["decided_by"] is None
    assert decided["payload"]["child_first_name"] == "Léa"
    r = await town.call("POST", url, family, body, 409)
    assert r["type"].endswith("/already-enrolled")

    pending = await town.call(
        "POST", url, family, {"child_id": str(kid["id"]), "activity_id": camp["id"]}, 201
    )
    assert pending["status"] == "pending"
    waiting = await town.call("GET", f"{url}?status=pending", town.staff())
    assert [e["id"] for e in waiting["items"]] == [pending["id"]]
    decision = f"{url}/{pending['id']}/decision"
    r = await town.call("POST", decision, town.staff(), {"decision": "rejected"}, 422)
    assert r["errors"][0]["field"] == "reason"
    await town.call("POST", decision, family, {"decision": "approved"}, 403)
    approved = await town.call("POST", decision, town.staff(), {"decision": "approved"})
    assert approved["status"] == "approved"
    await town.call("POST", decision, town.staff(), {"decision": "approved"}, 409)
    events = await town.events("booking.EnrollmentDecided", 2)
    assert events[1]["payload"]["enrollment_id"] == pending["id"]
    assert events[1]["payload"]["decided_by"] is not None
    mine = await town.call("GET", url, family)
    assert {e["status"] for e in mine["items"]} == {"approved"}


async def test_a_child_too_young_gets_a_clear_reason(town: Town) -> None:
    activity = await town.activity(min_age=6, max_age=11)
    kid = await town.child(birth_date=date(2022, 3, 1))
    r = await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments",
        town.family(kid["household_id"]),
        {"child_id": str(kid["id"]), "activity_id": activity["id"]},
        422,
    )
    assert r["type"].endswith("/not-eligible")
    assert r["detail"] == "Votre enfant est trop jeune pour cette activité (âge minimum : 6 ans)."


async def test_a_family_cannot_act_for_another_households_child(town: Town) -> None:
    activity = await town.activity()
    kid = await town.child()
    stranger = town.family(uuid.uuid4())
    await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments",
        stranger,
        {"child_id": str(kid["id"]), "activity_id": activity["id"]},
        404,
    )
    await town.call(
        "POST",
        f"/tenants/{TENANT}/baskets",
        stranger,
        {
            "lines": [
                {"child_id": str(kid["id"]), "activity_id": activity["id"], "dates": ["2026-09-10"]}
            ]
        },
        404,
    )
    await town.call(
        "GET",
        f"/tenants/{TENANT}/children/{kid['id']}/calendar?month=2026-09",
        stranger,
        status=404,
    )
    # A token without a household cannot book at all.
    unlinked = town.tokens.header(tenant=TENANT, roles=("family",))
    r = await town.call("POST", f"/tenants/{TENANT}/baskets", unlinked, {}, 403)
    assert r["type"].endswith("/household-not-linked")


async def test_school_time_activities_skip_the_school_holidays_of_the_tenant_zone(
    town: Town,
) -> None:
    settings = await town.call("GET", f"/tenants/{TENANT}/settings", town.staff())
    assert settings == {"tenant": TENANT, "school_zone": "A", "default": True}
    kid = await town.child()
    await town.call(
        "PUT",
        f"/tenants/{TENANT}/settings",
        town.family(kid["household_id"]),
        {"school_zone": "C"},
        403,
    )
    await town.call("PUT", f"/tenants/{TENANT}/settings", town.staff(), {"school_zone": "D"}, 422)
    # PERI is school time by default: Toussaint 2026 (zone A, 17/10 to 1/11) is closed, but a
    # day opened by hand in the holidays is kept, and a day closed by hand stays closed.
    peri = await town.activity(extra_dates=["2026-10-21"], closed_dates=["2026-11-02"])
    assert peri["school_time"] is True and peri["school_zone"] == "A"
    days = await town.call(
        "GET",
        f"/tenants/{TENANT}/activities/{peri['id']}/days?from=2026-10-15&to=2026-11-06",
        town.staff(),
    )
    assert [d["date"] for d in days["days"]] == [
        "2026-10-15",
        "2026-10-16",
        "2026-10-21",
        "2026-11-03",
        "2026-11-05",
        "2026-11-06",
    ]
    # 63 Mon/Tue/Thu/Fri from 1/9 to 18/12 minus 8 in the holidays and 1 closed, plus 1 extra
    assert peri["opening_days"] == 55
    kid = await town.enrolled_child(peri)
    basket = await town.basket(
        kid,
        [
            {
                "activity_id": peri["id"],
                "from": "2026-10-12",
                "to": "2026-11-08",
                "weekdays": [1, 3, 4],
            }
        ],
    )
    assert [x["date"] for x in basket["lines"]] == [
        "2026-10-12",
        "2026-10-15",
        "2026-10-21",
        "2026-11-05",
    ]
    # An activity that is not school time (sport club) runs in the holidays.
    sport = await town.activity(type="SPORT")
    assert sport["school_time"] is False and sport["school_zone"] is None
    assert sport["opening_days"] == 63
    # Another zone for the tenant: later activities follow it (winter 2027: zone C from 6/2).
    settings = await town.call(
        "PUT", f"/tenants/{TENANT}/settings", town.staff(), {"school_zone": "C"}
    )
    assert settings["school_zone"] == "C" and settings["default"] is False
    winter = await town.activity(type="CANTINE", period_from="2027-02-01", period_to="2027-02-12")
    assert winter["school_zone"] == "C" and winter["opening_days"] == 4  # 1, 2, 4, 5 Feb


async def test_enrollment_needs_the_required_valid_documents(town: Town) -> None:
    await consuming(town.client)
    activity = await town.activity(
        type="VACANCES", required_documents=["certificat_medical", "justificatif_domicile"]
    )
    assert activity["required_documents"] == ["certificat_medical", "justificatif_domicile"]
    kid = await town.child()
    family = town.family(kid["household_id"])
    body = {"child_id": str(kid["id"]), "activity_id": activity["id"]}

    async def refused() -> Any:
        return await town.call("POST", f"/tenants/{TENANT}/enrollments", family, body, 422)

    r = await refused()
    assert r["type"].endswith("/missing-documents")
    # Labels travel in the family service's document events: before booking has received a
    # document of a type, the type is named by its code.
    assert "certificat_medical, justificatif_domicile" in r["detail"]
    assert "Déposez-les dans votre espace famille" in r["detail"]  # both, in the plural
    assert "une fois les documents validés" in r["detail"]
    assert r["missing_documents"] == ["certificat_medical", "justificatif_domicile"]

    def document(type: str, **extra: Any) -> Any:
        payload = {
            "document_id": uuid.uuid4(),
            "household_id": kid["household_id"],
            "child_id": None,
            "document_type": type,
            "account_ids": [],
            "valid_until": None,
            **extra,
        }
        return new_event("family.DocumentValidated", payload, tenant_id=TENANT, producer="family")

    # The household's proof of address, through the bus; a medical certificate that expired
    # before today (1/9/2026) and one of another child do not count.
    await publish(
        town, document("justificatif_domicile", document_label="Justificatif de domicile")
    )
    await publish(
        town,
        document(
            "certificat_medical",
            child_id=kid["id"],
            valid_until=date(2026, 8, 31),
            document_label="Certificat médical (sport)",
        ),
    )
    await publish(
        town,
        document(
            "certificat_medical",
            child_id=uuid.uuid4(),
            document_label="Certificat médical (sport)",
        ),
    )

    async def received() -> Any:
        n = await town.pool.fetchval(
            "SELECT count(*) FROM documents WHERE household_id = $1", kid["household_id"]
        )
        return n == 3 or None

    await eventually(received)
    r = await refused()
    assert r["missing_documents"] == ["certificat_medical"]
    assert r["detail"].startswith(
        "Document manquant ou expiré pour cette inscription : Certificat médical (sport)."
    )
    # Staff at the desk checked the papers themselves.
    other = await town.child()
    await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments",
        town.staff(),
        {"child_id": str(other["id"]), "activity_id": activity["id"]},
        201,
    )
    # A valid certificate for the child: the enrollment goes through; a later rejection of
    # the same document makes it missing again for the next enrollment.
    valid = document(
        "certificat_medical",
        child_id=kid["id"],
        valid_until=date(2027, 8, 31),
        document_label="Certificat médical (sport)",
    )
    await publish(town, valid)

    async def validated() -> Any:
        return await town.pool.fetchval(
            "SELECT 1 FROM documents WHERE id = $1", valid.payload["document_id"]
        )

    await eventually(validated)
    await town.call("POST", f"/tenants/{TENANT}/enrollments", family, body, 201)
    other_activity = await town.activity(type="VACANCES", required_documents=["certificat_medical"])
    rejected = new_event(
        "family.DocumentRejected",
        {**{k: v for k, v in valid.payload.items() if k != "valid_until"}, "reason": "illisible"},
        tenant_id=TENANT,
        producer="family",
    )
    await publish(town, rejected)

    async def gone() -> Any:
        status = await town.pool.fetchval(
            "SELECT status FROM documents WHERE id = $1", valid.payload["document_id"]
        )
        return status == "rejected" or None

    await eventually(gone)
    await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments",
        family,
        {"child_id": str(kid["id"]), "activity_id": other_activity["id"]},
        422,
    )

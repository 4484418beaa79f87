"""Renewals (issue 16): last year's approved enrollments proposed again in the new campaign
with the child's next grade (ineligible: said why), idempotent; the family confirms once its
file is checked (documents valid on the new period) or declines, once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from booking import store
from booking.domain.deadlines import PARIS

from ..conftest import TENANT, Town

CAMPAIGNS = f"/tenants/{TENANT}/campaigns"
ELEMENTARY = ["CP", "CE1", "CE2", "CM1", "CM2"]
SCHOOL = "École du Centre"
WINDOW_OPEN = datetime(2027, 6, 2, 9, 0, tzinfo=PARIS)


async def outbox(town: Town, event_type: str) -> int:
    return await town.pool.fetchval("SELECT count(*) FROM outbox WHERE type = $1", event_type)


async def enroll(town: Town, kid: dict[str, Any], activity: dict[str, Any], headers: Any) -> Any:
    body = {"child_id": str(kid["id"]), "activity_id": activity["id"]}
    return await town.call("POST", f"/tenants/{TENANT}/enrollments", headers, body, 201)


class Years:
    """Two campaigns: 2026-2027 (open today, 1 September 2026) and 2027-2028 after it."""

    def __init__(self, town: Town) -> None:
        self.town = town

    async def setup(self) -> Years:
        town = self.town
        self.peri = await town.activity(
            name=f"Périscolaire 2026-2027 — {SCHOOL}", type="PERI", grades=ELEMENTARY
        )
        self.canteen = await town.activity(
            name="Cantine 2026-2027", type="CANTINE", requires_approval=True
        )
        self.club = await town.activity(name="Club nature 2026", type="MERCREDI")
        self.before = await self._campaign(
            "Périscolaire 2026-2027",
            "2026-2027",
            [self.peri, self.canteen, self.club],
            opens_on="2026-08-25",
            closes_on="2026-09-15",
        )
        later = {"period_from": "2027-09-01", "period_to": "2027-12-17"}
        self.new_peri = await town.activity(
            name=f"Périscolaire 2027-2028 — {SCHOOL}", type="PERI", grades=ELEMENTARY, **later
        )
        self.new_canteen = await town.activity(
            name="Cantine 2027-2028",
            type="CANTINE",
            required_documents=["certificat_medical"],
            **later,
        )
        self.wednesdays = await town.activity(name="Mercredis au vert", type="MERCREDI", **later)
        self.campaign = await self._campaign(
            "Périscolaire 2027-2028",
            "2027-2028",
            [self.new_peri, self.new_canteen, self.wednesdays],
            opens_on="2027-06-01",
            closes_on="2027-07-15",
            previous_campaign_id=self.before["id"],
        )
        return self

    async def _campaign(
        self, name: str, year: str, activities: list[dict[str, Any]], **extra: Any
    ) -> Any:
        body = {
            "name": name,
            "school_year": year,
            "activity_ids": [a["id"] for a in activities],
            **extra,
        }
        return await self.town.call("POST", CAMPAIGNS, self.town.staff(), body, 201)

    async def prepare(self, body: Any = None, status: int = 200) -> Any:
        path = f"{CAMPAIGNS}/{self.campaign['id']}/renewals"
        return await self.town.call("POST", path, self.town.staff(), body, status)

    async def renewals(self, headers: Any, query: str = "") -> list[dict[str, Any]]:
        path = f"{CAMPAIGNS}/{self.campaign['id']}/renewals{query}"
        return (await self.town.call("GET", path, headers))["items"]

    async def answer(
        self, renewal: dict[str, Any], headers: Any, status: int = 200, **body: Any
    ) -> Any:
        path = f"/tenants/{TENANT}/renewals/{renewal['id']}/answer"
        return await self.town.call("POST", path, headers, {"answer": "confirm", **body}, status)


async def test_renewals_are_prepared_with_the_next_grade_once_each(town: Town) -> None:
    years = await Years(town).setup()
    staff = town.staff()
    lea = await town.child(first_name="Léa", grade="CE2")
    hugo = await town.child(first_name="Hugo", grade="CM2", birth_date=date(2016, 4, 2))
    ana = await town.child(first_name="Ana", grade="CE1", birth_date=date(2019, 2, 1))
    zoe = await town.child(first_name="Zoé", grade="CE1")
    for kid, activities in (
        (lea, [years.peri, years.canteen]),
        (hugo, [years.peri, years.canteen]),
        (ana, [years.peri, years.club]),
    ):
        for activity in activities:
            await enroll(town, kid, activity, staff)
    pending = await enroll(town, zoe, years.canteen, town.family(zoe["household_id"]))
    assert pending["status"] == "pending"  # not renewed: never approved

    result = await years.prepare()
    assert (result["proposed"], result["ineligible"], result["already"]) == (4, 1, 0)
    assert result["unmapped"] == [{"activity_id": years.club["id"], "name": "Club nature 2026"}]
    rows = await years.renewals(staff)
    assert len(rows) == 5
    hugo_peri = next(
        r
        for r in rows
        if r["child_id"] == str(hugo["id"]) and r["activity_id"] == years.new_peri["id"]
    )
    assert hugo_peri["status"] == "ineligible" and hugo_peri["next_grade"] == "6e"
    assert "CM2" in hugo_peri["reason"] and "6e" not in hugo_peri["reason"]
    assert hugo_peri["from_activity_name"] == years.peri["name"]
    assert hugo_peri["activity_name"] == years.new_peri["name"]
    lea_rows = await years.renewals(town.family(lea["household_id"]))
    assert {(r["activity_name"], r["next_grade"], r["status"]) for r in lea_rows} == {
        (years.new_peri["name"], "CM1", "proposed"),
        ("Cantine 2027-2028", "CM1", "proposed"),
    }
    assert all(r["file_checked"] is False for r in lea_rows)
    assert lea_rows[0]["child_first_name"] == "Léa" and lea_rows[0]["child_last_name"] == "Martin"
    # One event per household with new proposals, on the broker.
    assert await outbox(town, "booking.RenewalsProposed") == 3
    events = await town.events("booking.RenewalsProposed", 3)
    hugo_event = next(
        e["payload"] for e in events if e["payload"]["household_id"] == str(hugo["household_id"])
    )
    assert hugo_event["campaign_id"] == years.campaign["id"]
    assert hugo_event["campaign_name"] == "Périscolaire 2027-2028"
    assert (hugo_event["school_year"], hugo_event["opens_on"], hugo_event["closes_on"]) == (
        "2027-2028",
        "2027-06-01",
        "2027-07-15",
    )
    (child,) = hugo_event["children"]
    assert child["first_name"] == "Hugo" and child["activities"] == ["Cantine 2027-2028"]
    assert child["ineligible"] == [{"name": years.new_peri["name"], "reason": hugo_peri["reason"]}]

    # Again: nothing new, no event.
    again = await years.prepare({})
    assert (again["proposed"], again["ineligible"], again["already"]) == (0, 0, 5)
    assert await outbox(town, "booking.RenewalsProposed") == 3
    # A new enrollment, and staff map the club to the Wednesdays: only these are added.
    late = await town.child(lea["household_id"], first_name="Tom", grade="CP")
    await enroll(town, late, years.peri, staff)
    mapping = [{"from_activity_id": years.club["id"], "to_activity_id": years.wednesdays["id"]}]
    more = await years.prepare({"mapping": mapping})
    assert (more["proposed"], more["ineligible"], more["already"], more["unmapped"]) == (
        2,
        0,
        5,
        [],
    )
    assert await outbox(town, "booking.RenewalsProposed") == 5
    counts = (await town.call("GET", f"{CAMPAIGNS}/{years.campaign['id']}", staff))["counts"]
    assert (counts["renewals_proposed"], counts["renewals_ineligible"]) == (6, 1)
    # A mapping must go from the previous campaign to this one; a campaign with no previous
    # one names none to renew from.
    wrong = [{"from_activity_id": years.club["id"], "to_activity_id": years.club["id"]}]
    r = await years.prepare({"mapping": wrong}, 422)
    assert r["errors"][0]["field"] == "mapping.0.to_activity_id"
    r = await town.call("POST", f"{CAMPAIGNS}/{years.before['id']}/renewals", staff, {}, 422)
    assert r["errors"][0]["field"] == "from_campaign_id"
    await town.call(
        "POST",
        f"{CAMPAIGNS}/{years.campaign['id']}/renewals",
        town.family(lea["household_id"]),
        {},
        403,
    )


async def test_a_family_confirms_a_renewal_once_its_file_is_checked(town: Town) -> None:
    years = await Years(town).setup()
    staff = town.staff()
    lea = await town.child(first_name="Léa", grade="CE2")
    hugo = await town.child(first_name="Hugo", grade="CM2", birth_date=date(2016, 4, 2))
    previous = await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments",
        staff,
        {
            "child_id": str(lea["id"]),
            "activity_id": years.peri["id"],
            "mode": "regular",
            "weekdays": [1, 4],
        },
        201,
    )
    await enroll(town, lea, years.canteen, staff)
    await enroll(town, hugo, years.peri, staff)
    await enroll(town, hugo, years.canteen, staff)
    await years.prepare()
    family = town.family(lea["household_id"])
    by_name = {r["activity_name"]: r for r in await years.renewals(family)}
    peri, canteen = by_name[years.new_peri["name"]], by_name["Cantine 2027-2028"]

    # Before the window: not yet.
    r = await years.answer(peri, family, 409)
    assert r["type"].endswith("/campaign-not-open")
    town.at(WINDOW_OPEN)
    r = await years.answer(peri, family, 409)
    assert r["type"].endswith("/file-check-required")
    await town.call("POST", f"{CAMPAIGNS}/{years.campaign['id']}/file-check", family)
    confirmed = await years.answer(peri, family)
    assert confirmed["renewal"]["status"] == "confirmed"
    assert confirmed["renewal"]["file_checked"] is True
    enrollment = confirmed["enrollment"]
    assert confirmed["renewal"]["enrollment_id"] == enrollment["id"]
    assert enrollment["activity_id"] == years.new_peri["id"] and enrollment["status"] == "approved"
    # Last year's rhythm (Mondays and Thursdays), its days booked.
    assert (enrollment["mode"], enrollment["weekdays"]) == ("regular", previous["weekdays"])
    assert enrollment["scheduled"]["confirmed"][0] == "2027-09-02"
    r = await years.answer(peri, family, 409)
    assert r["type"].endswith("/renewal-already-answered")
    r = await years.answer(peri, family, 409, answer="decline")
    assert r["type"].endswith("/renewal-already-answered")

    # The certificate valid today expires before the new year: asked again; nothing changed.
    await store.upsert_document(
        town.pool,
        TENANT,
        {
            "document_id": uuid.uuid4(),
            "household_id": lea["household_id"],
            "child_id": lea["id"],
            "document_type": "certificat_medical",
            "document_label": "Certificat médical",
            "valid_until": date(2027, 8, 31),
        },
        "valid",
        datetime.now(UTC),
    )
    r = await years.answer(canteen, family, 422)
    assert r["type"].endswith("/missing-documents")
    assert r["missing_documents"] == ["certificat_medical"]
    still = {x["id"]: x for x in await years.renewals(family)}
    assert still[canteen["id"]]["status"] == "proposed"
    assert await outbox(town, "booking.RenewalAnswered") == 1

    # Hugo: moving up to 6e, the elementary after-school care is not for him any more.
    hugo_family = town.family(hugo["household_id"])
    hugo_rows = {r["activity_name"]: r for r in await years.renewals(hugo_family)}
    assert len(hugo_rows) == 2  # only his household's
    r = await years.answer(hugo_rows[years.new_peri["name"]], hugo_family, 409)
    assert r["type"].endswith("/renewal-ineligible")
    # Another household's renewal is not found, neither to answer nor to list.
    await years.answer(canteen, hugo_family, 404)
    declined = await years.answer(hugo_rows["Cantine 2027-2028"], hugo_family, answer="decline")
    assert declined["renewal"]["status"] == "declined" and declined["enrollment"] is None
    assert declined["renewal"]["answered_at"] is not None
    await years.answer(hugo_rows["Cantine 2027-2028"], hugo_family, 409, answer="confirm")
    answered = await town.events("booking.RenewalAnswered", 2)
    assert {(e["payload"]["answer"], e["payload"]["enrollment_id"]) for e in answered} == {
        ("confirm", enrollment["id"]),
        ("decline", None),
    }
    staff_rows = await years.renewals(staff, "?status=confirmed")
    assert [r["id"] for r in staff_rows] == [peri["id"]]
    one = await years.renewals(staff, f"?household_id={hugo['household_id']}")
    assert len(one) == 2


async def test_staff_confirm_a_renewal_at_any_time_without_the_file_check(town: Town) -> None:
    years = await Years(town).setup()
    staff = town.staff()
    lea = await town.child(first_name="Léa", grade="CE2")
    await enroll(town, lea, years.peri, staff)
    await years.prepare()
    (renewal,) = await years.renewals(staff)
    done = await years.answer(renewal, staff, mode="occasional")  # before the window
    assert done["renewal"]["status"] == "confirmed"
    assert (done["enrollment"]["mode"], done["enrollment"]["scheduled"]) == ("occasional", None)
    assert done["renewal"]["file_checked"] is False


async def test_a_child_without_a_grade_is_proposed_once_its_grade_is_filled_in(
    town: Town,
) -> None:
    years = await Years(town).setup()
    staff = town.staff()
    noah = await town.child(first_name="Noah", grade="CP")
    await enroll(town, noah, years.peri, staff)
    await enroll(town, noah, years.canteen, staff)
    # Since then, the household file lost the grade (re-imported without it).
    await store.upsert_child(
        town.pool, TENANT, {**noah, "child_id": noah["id"], "grade": None}, datetime.now(UTC)
    )
    first = await years.prepare()
    assert (first["proposed"], first["ineligible"], first["already"]) == (1, 1, 0)
    by_name = {r["activity_name"]: r for r in await years.renewals(staff)}
    peri = by_name[years.new_peri["name"]]
    assert (peri["status"], peri["next_grade"]) == ("ineligible", None)
    assert "classe à compléter" in peri["reason"] and "CP" in peri["reason"]
    # No grade needed for the canteen: proposed, next year's grade unknown.
    canteen = by_name["Cantine 2027-2028"]
    assert (canteen["status"], canteen["next_grade"]) == ("proposed", None)
    assert await outbox(town, "booking.RenewalsProposed") == 1

    # The grade filled in (as typed in the file: "cp"), staff prepare again: the ineligible
    # renewal is checked again and proposed with next year's grade, the household told.
    await store.upsert_child(
        town.pool, TENANT, {**noah, "child_id": noah["id"], "grade": "cp"}, datetime.now(UTC)
    )
    again = await years.prepare()
    assert (again["proposed"], again["ineligible"], again["already"]) == (1, 0, 1)
    rows = {r["id"]: r for r in await years.renewals(staff)}
    assert (rows[peri["id"]]["status"], rows[peri["id"]]["next_grade"]) == ("proposed", "CE1")
    assert rows[peri["id"]]["reason"] is None
    assert rows[canteen["id"]]["next_grade"] is None  # proposed ones are left as they were
    assert await outbox(town, "booking.RenewalsProposed") == 2
    events = await town.events("booking.RenewalsProposed", 2)
    (child,) = events[-1]["payload"]["children"]
    assert child["activities"] == [years.new_peri["name"]] and child["ineligible"] == []

    # The family confirms it in the window, eligibility checked again with CE1.
    family = town.family(noah["household_id"])
    town.at(WINDOW_OPEN)
    await town.call("POST", f"{CAMPAIGNS}/{years.campaign['id']}/file-check", family)
    done = await years.answer(rows[peri["id"]], family, mode="occasional")
    assert done["renewal"]["status"] == "confirmed"
    assert done["enrollment"]["status"] == "approved"
    # Prepared again after the answer: nothing changes.
    last = await years.prepare()
    assert (last["proposed"], last["ineligible"], last["already"]) == (0, 0, 2)


async def test_a_household_with_only_refused_renewals_is_told_once(town: Town) -> None:
    years = await Years(town).setup()
    hugo = await town.child(first_name="Hugo", grade="CM2", birth_date=date(2016, 4, 2))
    await enroll(town, hugo, years.peri, town.staff())  # elementary only: leaves with CM2

    result = await years.prepare()
    assert (result["proposed"], result["ineligible"]) == (0, 1)
    (event,) = await town.events("booking.RenewalsProposed", 1)
    assert event["payload"]["household_id"] == str(hugo["household_id"])
    (child,) = event["payload"]["children"]
    assert child["first_name"] == "Hugo" and child["activities"] == []
    assert [x["name"] for x in child["ineligible"]] == [years.new_peri["name"]]
    # Still refused on a re-run: not new, not told again.
    again = await years.prepare({})
    assert (again["proposed"], again["ineligible"], again["already"]) == (0, 0, 1)
    assert await outbox(town, "booking.RenewalsProposed") == 1

"""HTTP handlers of the booking service: validate, check who may, call the use cases, answer.

Staff of the tenant manage the catalogue and decide enrollments; a family (its household
from the access token) enrolls its own children, fills baskets and validates them.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg
from aiohttp import web

from booking import attendance, ical, store
from booking import operations as ops
from booking.domain.activity import Activity, deadline_from, deadline_to
from booking.domain.days import SCHOOL_TIME_TYPES, Opening, Rhythm, expand
from booking.group_commit import GROUP_COMMIT, GROUP_READ
from booking.runtime import CLOCK
from booking.schemas import (
    AbsenceDecisionIn,
    AbsenceIn,
    AbsenceListOut,
    AbsenceOut,
    AbsencesQuery,
    ActivitiesQuery,
    ActivityIn,
    ActivityListOut,
    ActivityOut,
    AttendanceIn,
    BasketIn,
    BasketOut,
    BookingOut,
    CalendarOut,
    CalendarQuery,
    CalendarTokenOut,
    CancelIn,
    DayCapacityIn,
    DaysOut,
    DaysQuery,
    DecisionIn,
    EnrollmentIn,
    EnrollmentListOut,
    EnrollmentOut,
    EnrollmentsQuery,
    LineIn,
    MealsOut,
    OccupancyOut,
    RollOut,
    StaffViewQuery,
    TenantSettingsIn,
    TenantSettingsOut,
    ValidateIn,
    ValidationOut,
)
from booking.settings import BookingSettings
from shared.auth import Caller, require_caller
from shared.errors import DomainError, NotFound
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json, read_query
from shared.keys import POOL, SETTINGS

routes = web.RouteTableDef()
STAFF = ("staff", "admin")
ANYONE = ("family", "staff", "admin")


class NotLinked(DomainError):
    code = "household-not-linked"
    kind = "forbidden"
    title = "No household linked"
    detail = (
        "Aucun foyer n'est rattaché à votre compte : saisissez le code abonné reçu par courrier."
    )


class PeriodTooLong(DomainError):
    code = "period-too-long"
    kind = "invalid"
    title = "Period too long"
    detail = "La période de l'activité est trop longue."


# --- helpers ---------------------------------------------------------------------------


def settings_of(request: web.Request) -> BookingSettings:
    settings = request.app[SETTINGS]
    assert isinstance(settings, BookingSettings)
    return settings


def pool_of(request: web.Request) -> asyncpg.Pool:
    return request.app[POOL]


def actor(caller: Caller) -> uuid.UUID:
    return uuid.UUID(caller.account_id)


def household_of(caller: Caller) -> uuid.UUID:
    if not caller.household_id:
        raise NotLinked()
    try:
        return uuid.UUID(caller.household_id)
    except ValueError:
        raise NotLinked() from None


def path_uuid(request: web.Request, name: str, error: type[DomainError] = NotFound) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise error() from None


async def child_for(conn: Any, caller: Caller, child_id: uuid.UUID) -> dict[str, Any]:
    """The child, when the caller may act for it (staff: any child of the tenant)."""
    child = await store.get_child(conn, caller.tenant, child_id)
    if child is None:
        raise ops.ChildNotFound()
    if not caller.is_staff and child["household_id"] != household_of(caller):
        raise ops.ChildNotFound()  # another household's child: not even its existence
    return child


async def activity_for(conn: Any, tenant: str, activity_id: uuid.UUID) -> dict[str, Any]:
    row = await store.get_activity(conn, tenant, activity_id)
    if row is None:
        raise ops.ActivityNotFound()
    return row


def activity_body(row: dict[str, Any], child: dict[str, Any] | None = None) -> dict[str, Any]:
    activity = Activity.from_row(row)
    body = {
        **row,
        "weekdays": sorted(row["weekdays"]),
        "closed_dates": sorted(row["closed_dates"] or []),
        "extra_dates": sorted(row["extra_dates"] or []),
        "late_deadline": row["late_deadline"],
        "opening_days": len(activity.opening.days()),
    }
    if child is not None:
        reason = activity.eligibility.refusal_for_period(
            child["birth_date"], child["grade"], row["period_from"], row["period_to"]
        )
        body["eligible"], body["ineligibility_reason"] = reason is None, reason
    return body


# --- tenant settings (staff) ----------------------------------------------------------------


async def school_zone(conn: Any, tenant: str, settings: BookingSettings) -> str:
    row = await store.tenant_settings(conn, tenant)
    return row["school_zone"] if row else settings.default_school_zone


@routes.get("/tenants/{tenant}/settings")
@doc(
    "The tenant's booking settings: its school holidays zone",
    response=TenantSettingsOut,
    tags=["settings"],
)
async def get_settings(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    row = await store.tenant_settings(pool_of(request), caller.tenant)
    body = {
        "tenant": caller.tenant,
        "school_zone": row["school_zone"] if row else settings_of(request).default_school_zone,
        "default": row is None,
    }
    return json_response(TenantSettingsOut(), body)


@routes.put("/tenants/{tenant}/settings")
@doc(
    "Set the tenant's school holidays zone (A, B or C) (staff); activities created from then"
    " on follow it",
    request=TenantSettingsIn,
    response=TenantSettingsOut,
    tags=["settings"],
)
async def put_settings(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    data = await read_json(request, TenantSettingsIn())
    row = await store.set_tenant_settings(
        pool_of(request),
        caller.tenant,
        data["school_zone"],
        actor(caller),
        request.app[CLOCK].now(),
    )
    return json_response(TenantSettingsOut(), {**row, "default": False})


# --- catalogue (staff) ---------------------------------------------------------------------


@routes.post("/tenants/{tenant}/activities")
@doc(
    "Create an activity with its opening days, capacity, eligibility and deadlines (staff)",
    request=ActivityIn,
    response=ActivityOut,
    status=201,
    tags=["activities"],
)
async def create_activity(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    data = await read_json(request, ActivityIn())
    if (data["period_to"] - data["period_from"]).days >= settings_of(request).max_activity_days:
        raise PeriodTooLong()
    school_time = data["school_time"]
    if school_time is None:
        school_time = data["type"] in SCHOOL_TIME_TYPES
    pool = pool_of(request)
    zone = await school_zone(pool, caller.tenant, settings_of(request)) if school_time else None
    opening = Opening(
        data["period_from"],
        data["period_to"],
        frozenset(data["weekdays"]),
        frozenset(data["closed_dates"]),
        data["skip_public_holidays"],
        zone,
        frozenset(data["extra_dates"]),
    )
    values = {
        "id": uuid.uuid4(),
        "tenant": caller.tenant,
        **{k: data[k] for k in ("name", "type", "site", "period_from", "period_to")},
        "weekdays": sorted(set(data["weekdays"])),
        "closed_dates": sorted(set(data["closed_dates"])),
        "extra_dates": sorted(set(data["extra_dates"])),
        "school_time": school_time,
        "school_zone": zone,
        **{
            k: data[k]
            for k in (
                "skip_public_holidays",
                "capacity",
                "min_age",
                "max_age",
                "grades",
                "booking_deadline",
                "cancel_deadline",
                "late_allowed",
                "requires_approval",
                "booking_mode",
            )
        },
        "required_documents": list(dict.fromkeys(data["required_documents"])),
        "late_deadline": deadline_to(deadline_from(data["late_deadline"] or {})),
        "created_by": actor(caller),
    }
    async with pool.acquire() as conn, conn.transaction():
        row = await store.insert_activity(conn, values, opening.days())
    return json_response(ActivityOut(), activity_body(row), status=201)


@routes.get("/tenants/{tenant}/activities")
@doc(
    "The catalogue; with ?child_id= each activity says whether that child may enroll",
    query=ActivitiesQuery,
    response=ActivityListOut,
    tags=["activities"],
)
async def list_activities(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    query = read_query(request, ActivitiesQuery())
    pool = pool_of(request)
    child = await child_for(pool, caller, query["child_id"]) if "child_id" in query else None
    rows = await store.activities(pool, caller.tenant, type=query.get("type"))
    return json_response(ActivityListOut(), {"items": [activity_body(r, child) for r in rows]})


@routes.get("/tenants/{tenant}/activities/{activity_id}")
@doc("An activity", response=ActivityOut, tags=["activities"])
async def get_activity(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    activity_id = path_uuid(request, "activity_id", ops.ActivityNotFound)
    row = await activity_for(pool_of(request), caller.tenant, activity_id)
    return json_response(ActivityOut(), activity_body(row))


@routes.get("/tenants/{tenant}/activities/{activity_id}/days")
@doc(
    "Occupancy of each opening day: capacity, booked, waiting (staff)",
    query=DaysQuery,
    response=DaysOut,
    tags=["activities"],
)
async def activity_days(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    query = read_query(request, DaysQuery())
    activity_id = path_uuid(request, "activity_id", ops.ActivityNotFound)
    pool = pool_of(request)
    await activity_for(pool, caller.tenant, activity_id)
    days = await store.occupancy(pool, activity_id, query.get("date_from"), query.get("date_to"))
    return json_response(DaysOut(), {"activity_id": activity_id, "days": days})


@routes.put("/tenants/{tenant}/activities/{activity_id}/days/{day}")
@doc(
    "Change the capacity of one opening day (staff); never below the children booked",
    request=DayCapacityIn,
    response=DaysOut,
    tags=["activities"],
)
async def set_day_capacity(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    activity_id = path_uuid(request, "activity_id", ops.ActivityNotFound)
    try:
        day = date.fromisoformat(request.match_info["day"])
    except ValueError:
        raise ops.DayNotOpen() from None
    data = await read_json(request, DayCapacityIn())
    pool = pool_of(request)
    row = await activity_for(pool, caller.tenant, activity_id)
    async with pool.acquire() as conn, conn.transaction():
        result = await store.set_day_capacity(conn, activity_id, day, data["capacity"])
        if result is None:
            raise ops.DayNotOpen()
        if result.get("refused"):
            raise ops.CapacityBelowBooked()
        promoted = []
        activity = Activity.from_row(row)
        # More places: the waiting list moves up, in arrival order.
        while True:
            counters = await store.lock_day(conn, activity_id, day)
            assert counters is not None
            if counters["booked"] >= counters["capacity"]:
                break
            waiting = [
                w
                for w in await store.waiting_for(conn, activity_id, day)
                if w["enrollment_status"] == "approved"
                and activity.eligibility.refusal(w["birth_date"], w["grade"], day) is None
            ]
            if not waiting:
                break
            await store.promote(conn, waiting[0]["id"])
            promoted.append(ops.promotion_event(caller.tenant, activity, waiting[0]))
        if promoted:
            await ops.outbox.record(conn, *promoted)
        days = await store.occupancy(conn, activity_id, day, day)
    return json_response(DaysOut(), {"activity_id": activity_id, "days": days})


# --- enrollments ---------------------------------------------------------------------------


@routes.post("/tenants/{tenant}/enrollments")
@doc(
    "Enroll a child in an activity for its period: accepted at once, or pending staff",
    request=EnrollmentIn,
    response=EnrollmentOut,
    status=201,
    tags=["enrollments"],
    responses={409: "Already enrolled", 404: "Unknown child or activity"},
)
async def create_enrollment(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    data = await read_json(request, EnrollmentIn())
    pool = pool_of(request)
    child = await child_for(pool, caller, data["child_id"])
    activity = Activity.from_row(await activity_for(pool, caller.tenant, data["activity_id"]))
    row = await ops.enroll(
        pool,
        caller.tenant,
        child=child,
        activity=activity,
        period=(activity.opening.period_from, activity.opening.period_to),
        mode=data["mode"],
        weekdays=data["weekdays"],
        every_n_weeks=data["every_n_weeks"],
        actor=actor(caller),
        staff=caller.is_staff,
        now=request.app[CLOCK].now(),
    )
    return json_response(EnrollmentOut(), row, status=201)


@routes.get("/tenants/{tenant}/enrollments")
@doc(
    "Enrollments: a family sees its household's, staff every one (?status=pending: to decide)",
    query=EnrollmentsQuery,
    response=EnrollmentListOut,
    tags=["enrollments"],
)
async def list_enrollments(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    query = read_query(request, EnrollmentsQuery())
    rows = await store.list_enrollments(
        pool_of(request),
        caller.tenant,
        household_id=None if caller.is_staff else household_of(caller),
        status=query.get("status"),
        child_id=query.get("child_id"),
        activity_id=query.get("activity_id"),
    )
    return json_response(EnrollmentListOut(), {"items": rows})


@routes.post("/tenants/{tenant}/enrollments/{enrollment_id}/decision")
@doc(
    "Accept or refuse (with a reason) a pending enrollment (staff)",
    request=DecisionIn,
    response=EnrollmentOut,
    tags=["enrollments"],
    responses={409: "Already decided"},
)
async def decide_enrollment(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    enrollment_id = path_uuid(request, "enrollment_id", ops.EnrollmentNotFound)
    data = await read_json(request, DecisionIn())
    row = await ops.decide(
        pool_of(request),
        caller.tenant,
        enrollment_id,
        approve=data["decision"] == "approved",
        reason=data["reason"],
        actor=actor(caller),
        now=request.app[CLOCK].now(),
    )
    return json_response(EnrollmentOut(), row)


# --- baskets (family) ------------------------------------------------------------------------


async def _basket(request: web.Request, caller: Caller) -> dict[str, Any]:
    """The basket, when the caller may act on it: its family, or staff of the tenant."""
    basket_id = path_uuid(request, "basket_id", ops.BasketNotFound)
    basket = await store.get_basket(pool_of(request), caller.tenant, basket_id)
    if basket is None or (not caller.is_staff and basket["household_id"] != household_of(caller)):
        raise ops.BasketNotFound()
    return basket


async def _basket_body(conn: Any, basket: dict[str, Any]) -> dict[str, Any]:
    return {**basket, "lines": await store.basket_lines(conn, basket["id"])}


async def _expand_lines(
    request: web.Request, caller: Caller, lines: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    pool = pool_of(request)
    out: list[dict[str, Any]] = []
    for line in lines:
        await child_for(pool, caller, line["child_id"])
        activity = Activity.from_row(await activity_for(pool, caller.tenant, line["activity_id"]))
        rhythm = Rhythm(
            dates=tuple(line["dates"]),
            date_from=line["date_from"],
            date_to=line["date_to"],
            weekdays=frozenset(line["weekdays"]) if line["weekdays"] else None,
            every_n_weeks=line["every_n_weeks"],
        )
        for day in expand(rhythm, activity.opening):
            out.append(
                {
                    "child_id": line["child_id"],
                    "activity_id": line["activity_id"],
                    "day": day,
                    "action": line["action"],
                    "accept_waiting": line["accept_waiting_list"],
                }
            )
    return out


class HouseholdRequired(DomainError):
    code = "household-required"
    kind = "invalid"
    title = "Household required"
    detail = "Indiquez le foyer pour lequel vous remplissez ce panier."


class OtherHousehold(DomainError):
    code = "household-mismatch"
    kind = "forbidden"
    title = "Another household"
    detail = "Vous ne pouvez remplir un panier que pour votre propre foyer."


@routes.post("/tenants/{tenant}/baskets")
@doc(
    "Open a basket, optionally with its first lines (family; staff for a family, with"
    " household_id)",
    request=BasketIn,
    response=BasketOut,
    status=201,
    tags=["baskets"],
)
async def create_basket(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    data = await read_json(request, BasketIn())
    if caller.is_staff:
        household_id = data["household_id"]
        if household_id is None:
            raise HouseholdRequired()
    else:
        household_id = household_of(caller)
        if data["household_id"] not in (None, household_id):
            raise OtherHousehold()
    lines = await _expand_lines(request, caller, data["lines"])
    if len(lines) > settings_of(request).max_basket_lines:
        raise ops.BasketTooLarge()
    async with pool_of(request).acquire() as conn, conn.transaction():
        basket = await store.insert_basket(
            conn,
            {
                "id": uuid.uuid4(),
                "tenant": caller.tenant,
                "household_id": household_id,
                "account_id": actor(caller),
                "created_at": request.app[CLOCK].now(),
                "by_staff": caller.is_staff,
            },
        )
        if lines:
            await store.add_lines(conn, basket["id"], lines)
        body = await _basket_body(conn, basket)
    return json_response(BasketOut(), body, status=201)


@routes.get("/tenants/{tenant}/baskets/{basket_id}")
@doc("A basket with its lines (its family, or staff)", response=BasketOut, tags=["baskets"])
async def get_basket(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    basket = await _basket(request, caller)
    return json_response(BasketOut(), await _basket_body(pool_of(request), basket))


@routes.post("/tenants/{tenant}/baskets/{basket_id}/lines")
@doc(
    "Add days to a basket: dates, a range, or a rhythm (weekdays, one week in N) (family)",
    request=LineIn,
    response=BasketOut,
    tags=["baskets"],
)
async def add_lines(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    basket = await _basket(request, caller)
    if basket["status"] != "open":
        raise ops.BasketValidated()
    data = await read_json(request, LineIn())
    lines = await _expand_lines(request, caller, [data])
    pool = pool_of(request)
    if (
        await store.count_lines(pool, basket["id"]) + len(lines)
        > settings_of(request).max_basket_lines
    ):
        raise ops.BasketTooLarge()
    async with pool.acquire() as conn, conn.transaction():
        if lines:
            await store.add_lines(conn, basket["id"], lines)
        body = await _basket_body(conn, basket)
    return json_response(BasketOut(), body)


@routes.delete("/tenants/{tenant}/baskets/{basket_id}/lines/{line_id}")
@doc("Remove a line from an open basket (family)", status=204, tags=["baskets"])
async def delete_line(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    basket = await _basket(request, caller)
    if basket["status"] != "open":
        raise ops.BasketValidated()
    line_id = path_uuid(request, "line_id")
    if not await store.delete_line(pool_of(request), basket["id"], line_id):
        raise NotFound("Cette ligne n'est pas dans le panier.")
    return web.Response(status=204)


# The opening rush's route: its schemas are built once (building one costs more CPU than
# using it; marshmallow schemas hold no per-call state).
_VALIDATE_IN, _VALIDATION_OUT = ValidateIn(), ValidationOut()


@routes.post("/tenants/{tenant}/baskets/{basket_id}/validate")
@doc(
    "Validate the basket at once: every line confirmed, waiting list, cancelled or refused",
    request=ValidateIn,
    response=ValidationOut,
    tags=["baskets"],
    responses={409: "Already validated, or (all_or_nothing) some line not confirmed"},
)
async def validate_basket(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    basket_id = path_uuid(request, "basket_id", ops.BasketNotFound)
    data = await read_json(request, _VALIDATE_IN)
    result = await ops.validate_basket(
        pool_of(request),
        caller.tenant,
        basket_id,
        owner=None if caller.is_staff else household_of(caller),
        now=request.app[CLOCK].now(),
        all_or_nothing=data["all_or_nothing"],
        reads=request.app[GROUP_READ],
        commits=request.app[GROUP_COMMIT],
    )
    return json_response(_VALIDATION_OUT, result)


# --- bookings ------------------------------------------------------------------------------


@routes.post("/tenants/{tenant}/bookings/{booking_id}/cancel")
@doc(
    "Cancel a booking: a family before the cancellation deadline, staff at any time",
    request=CancelIn,
    response=BookingOut,
    tags=["bookings"],
    responses={409: "Cancellation deadline passed (cadenas), or already cancelled"},
)
async def cancel_booking(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    booking_id = path_uuid(request, "booking_id", ops.BookingNotFound)
    data = await read_json(request, CancelIn())
    pool = pool_of(request)
    booking = await store.get_booking(pool, caller.tenant, booking_id)
    if booking is None or (not caller.is_staff and booking["household_id"] != household_of(caller)):
        raise ops.BookingNotFound()
    row = await ops.cancel_booking(
        pool,
        caller.tenant,
        booking,
        actor=actor(caller),
        staff=caller.is_staff,
        reason=data["reason"],
        charged=data["charged"] if caller.is_staff else False,
        now=request.app[CLOCK].now(),
    )
    return json_response(BookingOut(), row)


@routes.get("/tenants/{tenant}/children/{child_id}/calendar")
@doc(
    "A child's month: each day of each activity in one state of the calendar legend",
    query=CalendarQuery,
    response=CalendarOut,
    tags=["calendar"],
)
async def child_calendar(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    child_id = path_uuid(request, "child_id", ops.ChildNotFound)
    schema = CalendarQuery()
    query = read_query(request, schema)
    pool = pool_of(request)
    child = await child_for(pool, caller, child_id)
    body = await ops.calendar(
        pool,
        caller.tenant,
        child,
        schema.month_start(query),
        activity_id=query.get("activity_id"),
        now=request.app[CLOCK].now(),
    )
    return json_response(CalendarOut(), body)


@routes.post("/tenants/{tenant}/children/{child_id}/calendar-token")
@doc(
    "Create the child's private iCalendar feed (a new token revokes the previous one)",
    response=CalendarTokenOut,
    status=201,
    tags=["calendar"],
)
async def create_calendar_token(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    child_id = path_uuid(request, "child_id", ops.ChildNotFound)
    async with pool_of(request).acquire() as conn:
        child = await child_for(conn, caller, child_id)
        body = await ical.create(
            conn, caller.tenant, child, actor(caller), request.app[CLOCK].now()
        )
    return json_response(CalendarTokenOut(), body, status=201)


@routes.delete("/tenants/{tenant}/children/{child_id}/calendar-token")
@doc("Revoke the child's iCalendar feed", status=204, tags=["calendar"])
async def revoke_calendar_token(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    child_id = path_uuid(request, "child_id", ops.ChildNotFound)
    pool = pool_of(request)
    await child_for(pool, caller, child_id)
    if not await store.revoke_calendar_tokens(pool, child_id, request.app[CLOCK].now()):
        raise ical.CalendarNotFound()
    return web.Response(status=204)


@routes.get("/calendars/{token}.ics")
@doc(
    "A child's booked days as an iCalendar feed (no Authorization: the token is the secret)",
    auth=False,
    tags=["calendar"],
    responses={404: "Unknown or revoked token"},
    files=["text/calendar"],
)
async def calendar_feed(request: web.Request) -> web.Response:
    body = await ical.render(
        pool_of(request), request.match_info["token"], request.app[CLOCK].now()
    )
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"},
    )


# --- staff views ---------------------------------------------------------------------------


@routes.get("/tenants/{tenant}/occupancy")
@doc(
    "Occupancy per day and site: capacity, booked and waiting across the site's activities (staff)",
    query=StaffViewQuery,
    response=OccupancyOut,
    tags=["staff views"],
)
async def site_occupancy(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    query = read_query(request, StaffViewQuery())
    rows = await store.site_occupancy(
        pool_of(request), caller.tenant, query["date_from"], query["date_to"], query.get("site")
    )
    days: dict[tuple[date, str], dict[str, Any]] = {}
    for r in rows:
        entry = days.setdefault(
            (r["day"], r["site"]),
            {
                "date": r["day"],
                "site": r["site"],
                "capacity": 0,
                "booked": 0,
                "waiting": 0,
                "activities": [],
            },
        )
        for k in ("capacity", "booked", "waiting"):
            entry[k] += r[k]
        entry["activities"].append(r)
    return json_response(OccupancyOut(), {"days": list(days.values())})


@routes.get("/tenants/{tenant}/meals")
@doc(
    "The kitchen's meal counts per day and site by diet (CANTINE by default; ?type= to choose)"
    " (staff)",
    query=StaffViewQuery,
    response=MealsOut,
    tags=["staff views"],
)
async def meal_counts(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    query = read_query(request, StaffViewQuery())
    rows = await store.meal_counts(
        pool_of(request),
        caller.tenant,
        query["date_from"],
        query["date_to"],
        query.get("site"),
        query["types"].split(",") if "types" in query else ["CANTINE"],
    )
    days: dict[tuple[date, str], dict[str, Any]] = {}
    for r in rows:
        entry = days.setdefault(
            (r["day"], r["site"]),
            {
                "date": r["day"],
                "site": r["site"],
                "meals": 0,
                "expected": 0,
                "diets": {},
                "expected_diets": {},
            },
        )
        entry["meals"] += r["booked"]
        entry["expected"] += r["expected"]
        entry["diets"][r["diet"]] = r["booked"]
        if r["expected"]:
            entry["expected_diets"][r["diet"]] = r["expected"]
    return json_response(MealsOut(), {"days": list(days.values())})


# --- attendance (staff) and absence justifications ------------------------------------------


def path_day(request: web.Request) -> date:
    try:
        return date.fromisoformat(request.match_info["day"])
    except ValueError:
        raise ops.DayNotOpen() from None


@routes.get("/tenants/{tenant}/activities/{activity_id}/days/{day}/attendance")
@doc(
    "The day's list (pointage): booked children with diet, mark and absence; meals by diet",
    response=RollOut,
    tags=["attendance"],
)
async def day_roll(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    activity_id = path_uuid(request, "activity_id", ops.ActivityNotFound)
    day = path_day(request)
    pool = pool_of(request)
    activity = Activity.from_row(await activity_for(pool, caller.tenant, activity_id))
    rows = await store.day_roll(pool, activity_id, day)
    return json_response(RollOut(), attendance.roll_body(activity, day, rows))


@routes.post("/tenants/{tenant}/activities/{activity_id}/days/{day}/attendance")
@doc(
    "Mark booked children present / absent / absent_justified, several at once (staff)",
    request=AttendanceIn,
    response=RollOut,
    tags=["attendance"],
    responses={409: "The day has not started", 422: "A child is not booked that day"},
)
async def mark_attendance(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    activity_id = path_uuid(request, "activity_id", ops.ActivityNotFound)
    day = path_day(request)
    data = await read_json(request, AttendanceIn())
    pool = pool_of(request)
    activity = Activity.from_row(await activity_for(pool, caller.tenant, activity_id))
    rows = await attendance.mark(
        pool,
        caller.tenant,
        activity,
        day,
        data["marks"],
        actor=actor(caller),
        now=request.app[CLOCK].now(),
    )
    return json_response(RollOut(), attendance.roll_body(activity, day, rows))


@routes.post("/tenants/{tenant}/bookings/{booking_id}/absence")
@doc(
    "Justify an absence on a booked day: a reason, a note, a supporting document (family)",
    request=AbsenceIn,
    response=AbsenceOut,
    status=201,
    tags=["absences"],
    responses={409: "Already justified, or not a booked day"},
)
async def justify_absence(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    booking_id = path_uuid(request, "booking_id", ops.BookingNotFound)
    data = await read_json(request, AbsenceIn())
    pool = pool_of(request)
    booking = await store.get_booking(pool, caller.tenant, booking_id)
    if booking is None or (not caller.is_staff and booking["household_id"] != household_of(caller)):
        raise ops.BookingNotFound()
    row = await attendance.justify(
        pool,
        caller.tenant,
        booking,
        reason=data["reason"],
        note=data["note"],
        document_id=data["document_id"],
        actor=actor(caller),
        now=request.app[CLOCK].now(),
    )
    return json_response(AbsenceOut(), row, status=201)


@routes.get("/tenants/{tenant}/absences")
@doc(
    "Absence justifications: a family sees its household's, staff every one (?status=pending)",
    query=AbsencesQuery,
    response=AbsenceListOut,
    tags=["absences"],
)
async def list_absences(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=ANYONE)
    query = read_query(request, AbsencesQuery())
    rows = await store.list_absences(
        pool_of(request),
        caller.tenant,
        household_id=None if caller.is_staff else household_of(caller),
        status=query.get("status"),
        activity_id=query.get("activity_id"),
    )
    return json_response(AbsenceListOut(), {"items": rows})


@routes.post("/tenants/{tenant}/absences/{absence_id}/decision")
@doc(
    "Accept (not charged: booking.AbsenceJustified) or refuse with a reason (staff)",
    request=AbsenceDecisionIn,
    response=AbsenceOut,
    tags=["absences"],
    responses={409: "Already decided"},
)
async def decide_absence(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    absence_id = path_uuid(request, "absence_id", attendance.AbsenceNotFound)
    data = await read_json(request, AbsenceDecisionIn())
    row = await attendance.decide(
        pool_of(request),
        caller.tenant,
        absence_id,
        accept=data["decision"] == "accepted",
        reason=data["reason"],
        actor=actor(caller),
        now=request.app[CLOCK].now(),
    )
    return json_response(AbsenceOut(), row)

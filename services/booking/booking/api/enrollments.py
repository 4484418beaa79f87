"""Enrollments: a family enrolls its children (staff any child); staff decide the pending."""

from __future__ import annotations

from aiohttp import web

from booking.api.caller import ANYONE, STAFF, calling, now, uow
from booking.domain.errors import EnrollmentNotFound
from booking.schemas import (
    DecisionIn,
    EnrollmentIn,
    EnrollmentListOut,
    EnrollmentOut,
    EnrollmentsQuery,
)
from booking.usecases import enrollments
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/enrollments")
@doc(
    "Enroll a child in an activity for its period: accepted at once, or pending staff",
    request=EnrollmentIn,
    response=EnrollmentOut,
    status=201,
    tags=["enrollments"],
    responses={409: "Already enrolled", 404: "Unknown child or activity"},
)
@idempotent
async def create_enrollment(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    data = await read_json(request, EnrollmentIn())
    row = await enrollments.enroll(
        uow(request, tenant),
        tenant,
        actor,
        child_id=data["child_id"],
        activity_id=data["activity_id"],
        mode=data["mode"],
        weekdays=data["weekdays"],
        every_n_weeks=data["every_n_weeks"],
        now=now(request),
    )
    return json_response(EnrollmentOut(), row, status=201)


@routes.get("/tenants/{tenant}/enrollments")
@doc(
    "Enrollments: a family sees its household's, staff every one (?status=pending: to decide;"
    " ?household_id=: one household's)",
    query=EnrollmentsQuery,
    response=EnrollmentListOut,
    tags=["enrollments"],
)
async def list_enrollments(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    query = read_query(request, EnrollmentsQuery())
    rows = await enrollments.list_enrollments(
        request.app[POOL],
        tenant,
        actor,
        status=query.get("status"),
        child_id=query.get("child_id"),
        activity_id=query.get("activity_id"),
        household_id=query.get("household_id"),
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
    tenant, actor = calling(request, STAFF)
    enrollment_id = path_uuid(request, "enrollment_id", EnrollmentNotFound)
    data = await read_json(request, DecisionIn())
    row = await enrollments.decide_enrollment(
        uow(request, tenant),
        tenant,
        enrollment_id,
        approve=data["decision"] == "approved",
        reason=data["reason"],
        actor=actor.account_id,
        now=now(request),
    )
    return json_response(EnrollmentOut(), row)

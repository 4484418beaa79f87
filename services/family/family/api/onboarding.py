"""Onboarding runs (staff): the guardians of imported households invited in one action, the
run's progress and its report of who could not be invited."""

from __future__ import annotations

from aiohttp import web

from family.api.access import settings, staff, uow
from family.domain.errors import OnboardingRunNotFound
from family.schemas import OnboardingRunIn, OnboardingRunOut, OnboardingRunsOut, PageQuery
from family.usecases import onboarding
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/onboarding-runs")
@doc(
    "Invite the guardians of these households (or of every household not invited yet): an "
    "account each, already linked, and its invitation emailed (staff)",
    request=OnboardingRunIn,
    response=OnboardingRunOut,
    status=201,
    tags=["onboarding"],
    description="Guardians without an email, with an invalid one, with the same email as "
    "another guardian of the run, or already invited by a previous run are skipped and "
    "listed with the reason; the others are pending until identity has created their "
    "account (GuardianInvitationRequested, answered by GuardianInvitationAnswered). Each "
    "request is an email: they are asked for at ONBOARDING_INVITATIONS_PER_MINUTE (all "
    "towns together), the first ones at once, the others `queued` meanwhile.",
    responses={422: "Unknown households, or nobody to invite"},
)
async def start_run(request: web.Request) -> web.Response:
    actor = staff(request)
    data = await read_json(request, OnboardingRunIn())
    body = await onboarding.start_run(
        uow(request, actor),
        actor,
        None if data["all"] else data["household_ids"],
        settings(request).onboarding_pace(),
    )
    return json_response(OnboardingRunOut(), body, status=201)


@routes.get("/tenants/{tenant}/onboarding-runs")
@doc(
    "The onboarding runs, newest first, with their counts (staff)",
    response=OnboardingRunsOut,
    tags=["onboarding"],
    query=PageQuery,
)
async def list_runs(request: web.Request) -> web.Response:
    actor = staff(request)
    query = read_query(request, PageQuery())
    body = await onboarding.list_runs(
        request.app[POOL], actor.tenant, page=query["page"], per_page=query["per_page"]
    )
    return json_response(OnboardingRunsOut(), body)


@routes.get("/tenants/{tenant}/onboarding-runs/{run_id}")
@doc(
    "An onboarding run: its progress (counts) and every guardian's state, with the reason "
    "of those not invited (staff)",
    response=OnboardingRunOut,
    tags=["onboarding"],
    responses={404: "No such run"},
)
async def get_run(request: web.Request) -> web.Response:
    actor = staff(request)
    run_id = path_uuid(request, "run_id", OnboardingRunNotFound)
    body = await onboarding.get_run(request.app[POOL], actor.tenant, run_id)
    return json_response(OnboardingRunOut(), body)


@routes.post("/tenants/{tenant}/onboarding-runs/{run_id}/resume")
@doc(
    "Ask again for the invitations of the guardians still pending (staff; none is invited "
    "or emailed twice)",
    response=OnboardingRunOut,
    tags=["onboarding"],
    responses={404: "No such run"},
)
async def resume_run(request: web.Request) -> web.Response:
    actor = staff(request)
    run_id = path_uuid(request, "run_id", OnboardingRunNotFound)
    body = await onboarding.resume_run(
        uow(request, actor), actor, run_id, settings(request).onboarding_pace()
    )
    return json_response(OnboardingRunOut(), body)

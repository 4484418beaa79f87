"""An account linked to its households: by the family with its subscriber code, or by
staff; the account's list of them (its subscriptions)."""

from __future__ import annotations

from aiohttp import web

from family.api.access import FAMILY, Scope, actor_of, family, settings, uow
from family.schemas import AccountHouseholdsOut, AccountLinkIn, HouseholdOut, LinkedOut, LinkIn
from family.usecases import linking
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/me/household/link")
@doc(
    "Link my account to a household with the subscriber code from the town's letter "
    "(another household's code adds a subscription; the same code again changes nothing)",
    request=LinkIn,
    response=LinkedOut,
    tags=["my household"],
    responses={429: "Too many wrong codes"},
)
async def link_with_code(request: web.Request) -> web.Response:
    actor = family(request)
    data = await read_json(request, LinkIn())
    household_id, others = await linking.link_with_code(
        uow(request, actor), actor, data["code"], settings(request).link_policy()
    )
    detail = (
        "Ce foyer est ajouté à vos abonnements : passez à ce foyer depuis « Mon compte » "
        "pour le consulter."
        if others
        else "Votre compte est rattaché à votre foyer. Déconnectez-vous puis "
        "reconnectez-vous pour y accéder."
    )
    return json_response(LinkedOut(), {"household_id": household_id, "detail": detail})


@routes.post("/tenants/{tenant}/households/{household_id}/accounts")
@doc(
    "Link a family account to the household (staff; HouseholdLinked with linked_by staff)",
    request=AccountLinkIn,
    response=HouseholdOut,
    status=201,
    tags=["households"],
    responses={200: "Linked already: the file"},
)
async def link_account(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    account_id = (await read_json(request, AccountLinkIn()))["account_id"]
    body, created = await linking.link_account(
        uow(request, scope.actor), scope.actor, scope.household_id, account_id
    )
    return json_response(HouseholdOut(), body, status=201 if created else 200)


@routes.get("/tenants/{tenant}/accounts/me/households")
@doc(
    "My subscriptions: the households my account is linked to, the current one (my token's) "
    "marked, to switch between them (identity's current-household)",
    response=AccountHouseholdsOut,
    tags=["my household"],
)
async def my_households(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=FAMILY)
    actor = actor_of(caller)
    items = await linking.account_households(
        request.app[POOL], actor.tenant, actor.account_id, caller.household_id
    )
    return json_response(AccountHouseholdsOut(), {"items": items})

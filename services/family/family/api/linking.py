"""An account linked to its household: by the family with its subscriber code, or by
staff."""

from __future__ import annotations

from aiohttp import web

from family.api.access import Scope, family, settings, uow
from family.schemas import AccountLinkIn, HouseholdOut, LinkedOut, LinkIn
from family.usecases import linking
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/me/household/link")
@doc(
    "Link my account to my household with the subscriber code from the town's letter",
    request=LinkIn,
    response=LinkedOut,
    tags=["my household"],
    responses={409: "Already linked to another household", 429: "Too many wrong codes"},
)
async def link_with_code(request: web.Request) -> web.Response:
    actor = family(request)
    data = await read_json(request, LinkIn())
    household_id = await linking.link_with_code(
        uow(request, actor), actor, data["code"], settings(request).link_policy()
    )
    return json_response(
        LinkedOut(),
        {
            "household_id": household_id,
            "detail": "Votre compte est rattaché à votre foyer. Déconnectez-vous puis "
            "reconnectez-vous pour y accéder.",
        },
    )


@routes.post("/tenants/{tenant}/households/{household_id}/accounts")
@doc(
    "Link a family account to the household (staff; HouseholdLinked with linked_by staff)",
    request=AccountLinkIn,
    response=HouseholdOut,
    status=201,
    tags=["households"],
    responses={409: "The account is linked to another household"},
)
async def link_account(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    account_id = (await read_json(request, AccountLinkIn()))["account_id"]
    body, created = await linking.link_account(
        uow(request, scope.actor), scope.actor, scope.household_id, account_id
    )
    return json_response(HouseholdOut(), body, status=201 if created else 200)

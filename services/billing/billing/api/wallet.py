"""Households' prepaid wallets ("tirelire" [003]): the régie that holds them (staff); a
family activates its household's wallet, tops it up by card and reads its balance and
movements; staff read every wallet and credit one by hand."""

from __future__ import annotations

import uuid

from aiohttp import web

from billing.api.access import (
    actor,
    anyone,
    feature_allowed,
    now,
    own_household,
    pool,
    staff,
)
from billing.schemas import (
    PageQuery,
    RefundIn,
    TopUpIn,
    TopUpOut,
    WalletCreditIn,
    WalletListOut,
    WalletMovementListOut,
    WalletMovementOut,
    WalletOut,
    WalletSettingsIn,
    WalletSettingsOut,
)
from billing.settings import SETTINGS
from billing.usecases import wallet
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.uow import unit_of_work

routes = web.RouteTableDef()
TAGS = ["wallet"]


def _limits(request: web.Request) -> tuple[int, int]:
    settings = request.app[SETTINGS]
    return settings.wallet_top_up_min_cents, settings.wallet_top_up_max_cents


@routes.get("/tenants/{tenant}/billing/wallet-settings")
@doc(
    "Which régie holds the tenant's wallets (null: the town has none), and the top-up limits "
    "(staff, or a family: its portal shows the wallet and the limits only then)",
    response=WalletSettingsOut,
    tags=TAGS,
)
async def get_settings(request: web.Request) -> web.Response:
    caller = anyone(request)
    body = await wallet.settings(pool(request), caller.tenant, _limits(request))
    return json_response(WalletSettingsOut(), body)


@routes.put("/tenants/{tenant}/billing/wallet-settings")
@doc(
    "Designate the régie that holds the tenant's wallets (one per tenant) (staff)",
    request=WalletSettingsIn,
    response=WalletSettingsOut,
    tags=TAGS,
    responses={404: "No such régie", 409: "Wallets are held by another régie already"},
)
async def put_settings(request: web.Request) -> web.Response:
    caller = staff(request)
    data = await read_json(request, WalletSettingsIn())
    await wallet.set_wallet_regie(
        unit_of_work(request.app, caller.tenant), caller.tenant, data["regie_id"]
    )
    body = await wallet.settings(pool(request), caller.tenant, _limits(request))
    return json_response(WalletSettingsOut(), body)


@routes.get("/tenants/{tenant}/billing/wallets")
@doc(
    "The tenant's wallets with their balances, newest first (staff)",
    query=PageQuery,
    response=WalletListOut,
    tags=TAGS,
)
async def list_wallets(request: web.Request) -> web.Response:
    caller = staff(request)
    page = read_query(request, PageQuery())
    rows = await wallet.wallets(pool(request), caller.tenant, page["limit"], page["offset"])
    return json_response(WalletListOut(), {"wallets": rows})


@routes.post("/tenants/{tenant}/billing/households/{household_id}/wallet")
@doc(
    "Activate the household's wallet (its family, or staff); answered 200 when it is active "
    "already",
    response=WalletOut,
    status=201,
    tags=TAGS,
    responses={
        200: "Active already",
        403: "Another household, or the town turned the wallet off (families)",
        409: "No régie holds the tenant's wallets",
    },
)
async def activate(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    await feature_allowed(request, caller, "wallet")
    row, created = await wallet.activate(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        household_id,
        account_id=None if caller.is_staff else uuid.UUID(caller.account_id),
        now=now(request),
    )
    return json_response(WalletOut(), row, status=201 if created else 200)


@routes.get("/tenants/{tenant}/billing/households/{household_id}/wallet")
@doc(
    "The household's wallet and its balance (staff, or its family)",
    response=WalletOut,
    tags=TAGS,
    responses={403: "Another household", 404: "Not activated"},
)
async def get_wallet(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    row = await wallet.wallet(pool(request), caller.tenant, household_id)
    return json_response(WalletOut(), row)


@routes.get("/tenants/{tenant}/billing/households/{household_id}/wallet/movements")
@doc(
    "The wallet's balance and its movements, newest first (staff, or its family)",
    query=PageQuery,
    response=WalletMovementListOut,
    tags=TAGS,
    responses={403: "Another household", 404: "Not activated"},
)
async def list_movements(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    page = read_query(request, PageQuery())
    body = await wallet.movements(
        pool(request), caller.tenant, household_id, page["limit"], page["offset"]
    )
    return json_response(WalletMovementListOut(), body)


@routes.post("/tenants/{tenant}/billing/households/{household_id}/wallet/top-ups")
@doc(
    "Top the wallet up by card: starts a card payment to the wallet's régie and answers "
    "where to pay; the wallet is credited once the bank confirms it (its family, or staff)",
    request=TopUpIn,
    response=TopUpOut,
    status=201,
    tags=TAGS,
    responses={
        403: "Another household, or the town turned the wallet off (families)",
        409: "Wallet not activated",
        422: "Amount outside the top-up limits",
    },
)
@idempotent
async def top_up(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    await feature_allowed(request, caller, "wallet")
    data = await read_json(request, TopUpIn())
    body = await wallet.start_top_up(
        pool(request),
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        household_id,
        amount_cents=data["amount_cents"],
        email=data["email"],
        account_id=None if caller.is_staff else uuid.UUID(caller.account_id),
        limits=_limits(request),
        now=now(request),
    )
    return json_response(TopUpOut(), body, status=201)


@routes.post("/tenants/{tenant}/billing/households/{household_id}/wallet/credits")
@doc(
    "Credit the wallet by hand, with the reason the family reads (staff)",
    request=WalletCreditIn,
    response=WalletMovementOut,
    status=201,
    tags=TAGS,
    responses={409: "Wallet not activated"},
)
async def credit(request: web.Request) -> web.Response:
    caller = staff(request)
    household_id = path_uuid(request, "household_id")
    data = await read_json(request, WalletCreditIn())
    row = await wallet.credit_by_staff(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        household_id,
        amount_cents=data["amount_cents"],
        reason=data["reason"],
        actor=actor(caller),
        now=now(request),
    )
    return json_response(WalletMovementOut(), row, status=201)


@routes.post("/tenants/{tenant}/billing/households/{household_id}/wallet/payouts")
@doc(
    "Pay the wallet's whole balance back to the household (staff: transfer, cheque or cash, "
    "with its reference), e.g. once the town no longer offers the wallet; the family reads "
    "the movement",
    request=RefundIn,
    response=WalletMovementOut,
    status=201,
    tags=TAGS,
    responses={409: "Wallet not activated, or empty"},
)
async def pay_out(request: web.Request) -> web.Response:
    caller = staff(request)
    household_id = path_uuid(request, "household_id")
    data = await read_json(request, RefundIn())
    row = await wallet.pay_out(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        household_id,
        method=data["method"],
        reference=data["reference"],
        actor=actor(caller),
        now=now(request),
    )
    return json_response(WalletMovementOut(), row, status=201)

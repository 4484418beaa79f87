"""Accounts of a municipality (staff): created, listed, read, disabled, enabled; the
invitation link accepted."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from identity.api.common import origin, tenant
from identity.domain.accounts import Account
from identity.domain.errors import AccountNotFound
from identity.schemas import (
    AccountOut,
    AccountsOut,
    AccountsQuery,
    CreateAccountIn,
    CreatedAccountOut,
    InvitationAcceptIn,
    TemporaryPasswordOut,
    TokensOut,
    UpdateAccountIn,
)
from identity.state import STATE
from identity.usecases import accounts, passwords
from shared.auth import require_caller
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.keys import POOL
from shared.uow import unit_of_work

routes = web.RouteTableDef()


def _account_body(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        "roles": account.roles,
        "sites": account.sites,
        "status": account.status,
        "household_id": account.household_id,
        "must_change_password": account.must_change_password,
        "terms_accepted_version": account.terms_accepted_version,
        "created_at": account.created_at,
    }


@routes.post("/tenants/{tenant}/accounts")
@doc(
    "Create an account for a family (staff) or a colleague (admin)",
    request=CreateAccountIn,
    response=CreatedAccountOut,
    status=201,
    tags=["accounts"],
    description=(
        "mode=invitation emails a 'choose your password' link (event identity.AccountInvited); "
        "mode=temporary_password returns a password ONCE, which must be changed at first login."
    ),
    responses={
        403: "Role not allowed",
        409: "Email already used in this municipality",
        422: "An animator without sites, or sites for another role",
    },
)
@idempotent
async def create_account(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("staff", "admin"))
    data = await read_json(request, CreateAccountIn())
    slug = tenant(request)
    invitation = await accounts.create_account(
        unit_of_work(request.app, tenant=slug),
        request.app[POOL],
        request.app[STATE],
        slug,
        creator=uuid.UUID(caller.account_id),
        creator_roles=caller.roles,
        email=data["email"].lower(),
        display_name=data["display_name"],
        roles=data["roles"],
        mode=data["mode"],
        origin=origin(request),
        sites=data["sites"],
    )
    body = {
        "account": _account_body(invitation.account),
        "mode": data["mode"],
        "temporary_password": invitation.temporary_password,
        "invitation_expires_at": invitation.expires_at,
    }
    return json_response(CreatedAccountOut(), body, status=201)


@routes.post("/tenants/{tenant}/invitation/accept")
@doc(
    "Choose a password with an invitation link (and be logged in)",
    request=InvitationAcceptIn,
    response=TokensOut,
    auth=False,
    tags=["accounts"],
    responses={404: "Unknown link", 409: "Link already used", 410: "Link expired"},
)
async def accept_invitation(request: web.Request) -> web.Response:
    data = await read_json(request, InvitationAcceptIn())
    slug = tenant(request)
    body = await passwords.accept_invitation(
        unit_of_work(request.app, tenant=slug),
        request.app[POOL],
        request.app[STATE],
        slug,
        token=data["token"],
        password=data["password"],
        origin=origin(request),
    )
    return json_response(TokensOut(), body)


@routes.get("/tenants/{tenant}/accounts")
@doc(
    "Accounts of the municipality (staff), filtered and paginated",
    query=AccountsQuery,
    response=AccountsOut,
    tags=["accounts"],
)
async def list_accounts(request: web.Request) -> web.Response:
    require_caller(request, roles=("staff", "admin"))
    query = read_query(request, AccountsQuery())
    found, total = await accounts.list_accounts(
        request.app[POOL],
        tenant(request),
        role=query.get("role"),
        email=query["email"].lower() if "email" in query else None,
        status=query.get("status"),
        search=query.get("q"),
        limit=query["limit"],
        offset=query["offset"],
    )
    body = {
        "items": [_account_body(a) for a in found],
        "total": total,
        "limit": query["limit"],
        "offset": query["offset"],
    }
    return json_response(AccountsOut(), body)


@routes.get("/tenants/{tenant}/accounts/{account_id}")
@doc("One account of the municipality (staff)", response=AccountOut, tags=["accounts"])
async def get_account(request: web.Request) -> web.Response:
    require_caller(request, roles=("staff", "admin"))
    account = await accounts.get_account(
        request.app[POOL], tenant(request), path_uuid(request, "account_id", AccountNotFound)
    )
    return json_response(AccountOut(), _account_body(account))


async def _set_disabled(request: web.Request, *, disabled: bool) -> web.Response:
    caller = require_caller(request, roles=("admin",))
    account_id = path_uuid(request, "account_id", AccountNotFound)
    slug = tenant(request)
    account = await accounts.set_disabled(
        unit_of_work(request.app, tenant=slug),
        slug,
        account_id,
        disabled=disabled,
        actor=uuid.UUID(caller.account_id),
        origin=origin(request),
    )
    return json_response(AccountOut(), _account_body(account))


@routes.post("/tenants/{tenant}/accounts/{account_id}/disable")
@doc(
    "Disable an account (admin): it can no longer log in or refresh its session",
    response=AccountOut,
    tags=["accounts"],
    description=(
        "Ends its sessions and unused links. Logins and refreshes then get the same generic "
        "401 as a wrong password. Idempotent."
    ),
    responses={404: "Account not found", 409: "An admin cannot disable their own account"},
)
async def disable_account(request: web.Request) -> web.Response:
    return await _set_disabled(request, disabled=True)


@routes.post("/tenants/{tenant}/accounts/{account_id}/enable")
@doc(
    "Enable a disabled account again (admin)",
    response=AccountOut,
    tags=["accounts"],
    description="The account gets back its status (active, or still to be activated). Idempotent.",
    responses={404: "Account not found"},
)
async def enable_account(request: web.Request) -> web.Response:
    return await _set_disabled(request, disabled=False)


@routes.patch("/tenants/{tenant}/accounts/{account_id}")
@doc(
    "Change an account's name, roles or sites (admin)",
    request=UpdateAccountIn,
    response=AccountOut,
    tags=["accounts"],
    description=(
        "Fields left out stay as they are. The next tokens (login, refresh) carry the new roles "
        "and sites; the other services hear identity.AccountAnnounced. Audit-logged."
    ),
    responses={
        404: "Account not found",
        409: "An admin cannot remove their own admin role",
        422: "An animator without sites, or sites for another role",
    },
)
async def update_account(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("admin",))
    account_id = path_uuid(request, "account_id", AccountNotFound)
    data = await read_json(request, UpdateAccountIn())
    slug = tenant(request)
    account = await accounts.update_account(
        unit_of_work(request.app, tenant=slug),
        slug,
        account_id,
        actor=uuid.UUID(caller.account_id),
        display_name=data.get("display_name"),
        roles=data.get("roles"),
        sites=data.get("sites"),
        origin=origin(request),
    )
    return json_response(AccountOut(), _account_body(account))


@routes.post("/tenants/{tenant}/accounts/{account_id}/temporary-password")
@doc(
    "Give an account a new temporary password (staff: family accounts; admin: any)",
    response=TemporaryPasswordOut,
    tags=["accounts"],
    description=(
        "For a person met in person: the password is returned ONCE and must be changed at the "
        "next login (scope password-change); the account's sessions and links end; an account "
        "still to activate is activated. Audit-logged, never the password."
    ),
    responses={
        403: "Staff giving one to a staff, animator or admin account",
        404: "Account not found",
        409: "One's own account, or a disabled account",
    },
)
async def give_temporary_password(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("staff", "admin"))
    account_id = path_uuid(request, "account_id", AccountNotFound)
    slug = tenant(request)
    account, password = await accounts.give_temporary_password(
        unit_of_work(request.app, tenant=slug),
        request.app[STATE],
        slug,
        account_id,
        actor=uuid.UUID(caller.account_id),
        actor_roles=caller.roles,
        origin=origin(request),
    )
    body = {"account": _account_body(account), "temporary_password": password}
    return json_response(TemporaryPasswordOut(), body)

"""The identity service's own commands (`python -m identity <command>`):

python -m identity create-tenant --slug epagny --name "Epagny Metz-Tessy" \
    --contact-email famille@epagny.fr --contact-phone "04 50 00 00 00" \
    --admin-email agent@epagny.fr --admin-name "Agent Principal" [--temporary-password]
python -m identity rotate-signing-key [--activate-in-minutes N]
python -m identity load-demo      # development only: the demo municipality and accounts
python -m identity announce-accounts [--tenant SLUG]
python -m identity announce-features [--tenant SLUG]

Each prints its result as JSON (exit 0), or `error: ...` (exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
from marshmallow import ValidationError

from identity import store
from identity.domain.errors import RotationPending, TenantExists
from identity.domain.tenants import Tenant
from identity.schemas import SLUG
from identity.settings import IdentitySettings
from identity.state import IdentityState, utcnow
from identity.usecases import accounts, demo, keys, tenants
from identity.usecases.audit import Origin
from shared import db, migrations
from shared.http.app import Command
from shared.uow import UnitOfWork

PRODUCTION_REFUSAL = (
    "load-demo refused: APP_ENV=production. The demo municipality and its accounts share a "
    "published password; they are for development only."
)


class CommandError(Exception):
    pass


async def _with_pool(
    settings: IdentitySettings, work: Callable[[asyncpg.Pool], Awaitable[Any]]
) -> Any:
    pool = await db.create_pool(settings)
    try:
        return await work(pool)
    finally:
        await pool.close()


def _unit_of_work(
    pool: asyncpg.Pool, settings: IdentitySettings, tenant: str | None = None
) -> UnitOfWork:
    return UnitOfWork.on(pool, producer=settings.service, tenant=tenant)


# --- create-tenant ----------------------------------------------------------------------


def _create_tenant_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--slug", required=True, help="used in URLs, e.g. epagny-metz-tessy")
    parser.add_argument("--name", required=True)
    parser.add_argument("--contact-email", required=True)
    parser.add_argument("--contact-phone", default="")
    parser.add_argument("--admin-email", required=True)
    parser.add_argument("--admin-name", required=True)
    parser.add_argument(
        "--temporary-password",
        action="store_true",
        help="print a temporary password instead of an invitation link",
    )
    parser.add_argument("--terms-version", type=int, default=None)
    parser.add_argument("--terms-url", default=None)


async def create_tenant(settings: IdentitySettings, args: argparse.Namespace) -> dict[str, Any]:
    try:
        SLUG(args.slug)
    except ValidationError as exc:
        raise CommandError(f"invalid slug {args.slug!r}: {exc.messages}") from None
    await migrations.migrate(settings, store.MIGRATIONS)
    tenant = Tenant(
        slug=args.slug,
        display_name=args.name,
        contact_email=args.contact_email,
        contact_phone=args.contact_phone,
        password_min_length=8,
        terms_version=args.terms_version,
        terms_url=args.terms_url,
        terms_text=None,
    )
    state = IdentityState.from_settings(settings)

    async def work(pool: asyncpg.Pool) -> tenants.CreatedTenant:
        return await tenants.create_tenant(
            _unit_of_work(pool, settings, tenant.slug),
            state,
            tenant,
            admin_email=args.admin_email.strip().lower(),
            admin_name=args.admin_name,
            temporary_password=args.temporary_password,
            origin=Origin(user_agent="python -m identity create-tenant"),
        )

    try:
        created = await _with_pool(settings, work)
    except TenantExists as exc:
        raise CommandError(str(exc)) from None
    finally:
        state.hasher.close()
    admin = created.admin
    result: dict[str, Any] = {"tenant": tenant.slug, "admin_account_id": str(admin.account.id)}
    if admin.temporary_password is None:
        assert admin.expires_at is not None
        result["invitation_url"] = admin.url
        result["expires_at"] = admin.expires_at.isoformat()
    else:
        result["temporary_password"] = admin.temporary_password
    return result


# --- rotate-signing-key -----------------------------------------------------------------


def _rotate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--activate-in-minutes",
        type=float,
        default=None,
        help="override SIGNING_KEY_ACTIVATION_MINUTES (0: sign at once; other services may "
        "then refuse the new tokens for up to 30 s)",
    )


async def rotate_signing_key(
    settings: IdentitySettings, activate_in_minutes: float | None = None
) -> dict[str, Any]:
    if activate_in_minutes is not None and activate_in_minutes < 0:
        raise CommandError("--activate-in-minutes must not be negative")
    await migrations.migrate(settings, store.MIGRATIONS)
    delay = None if activate_in_minutes is None else timedelta(minutes=activate_in_minutes)

    async def work(pool: asyncpg.Pool) -> Any:
        return await keys.rotate_keyring(
            _unit_of_work(pool, settings), settings, now=utcnow(), activate_after=delay
        )

    try:
        keyring = await _with_pool(settings, work)
    except RotationPending as exc:
        raise CommandError(str(exc)) from None
    return {
        "current_kid": keyring.current.kid,
        "pending": [
            {"kid": key.kid, "signs_from": key.active_from.isoformat()} for key in keyring.pending
        ],
        "still_published": [
            {"kid": key.kid, "until": key.retire_after.isoformat() if key.retire_after else None}
            for key in keyring.previous
        ],
    }


# --- load-demo --------------------------------------------------------------------------


async def load_demo(settings: IdentitySettings) -> dict[str, Any]:
    """The demo municipality and its three active accounts (idempotent)."""
    if settings.environment == "production":
        raise CommandError(PRODUCTION_REFUSAL)
    await migrations.migrate(settings, store.MIGRATIONS)
    data = demo.Demo.read()
    state = IdentityState.from_settings(settings)

    async def work(pool: asyncpg.Pool) -> demo.DemoLoaded:
        return await demo.load_demo(
            _unit_of_work(pool, settings, data.tenant.slug),
            state,
            data,
            origin=Origin(user_agent="python -m identity load-demo"),
        )

    try:
        loaded = await _with_pool(settings, work)
    finally:
        state.hasher.close()
    return {
        "tenant": {data.tenant.slug: "created" if loaded.tenant_created else "already present"},
        "accounts": {
            email: f"created ({', '.join(roles)})" if roles is not None else "already present"
            for email, roles in loaded.created.items()
        },
        "password": data.password,
    }


# --- announce-accounts ------------------------------------------------------------------


def _announce_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", default=None, help="only this municipality")


async def announce_accounts(settings: IdentitySettings, tenant: str | None) -> dict[str, Any]:
    async def work(pool: asyncpg.Pool) -> int:
        return await accounts.announce_accounts(lambda: _unit_of_work(pool, settings), tenant)

    return {"announced": await _with_pool(settings, work)}


async def announce_features(settings: IdentitySettings, tenant: str | None) -> dict[str, Any]:
    async def work(pool: asyncpg.Pool) -> int:
        return await tenants.announce_features(lambda: _unit_of_work(pool, settings), tenant)

    return {"announced": await _with_pool(settings, work)}


# --- the commands -----------------------------------------------------------------------


Run = Callable[[IdentitySettings, argparse.Namespace], Awaitable[dict[str, Any]]]


def _printed(run: Run) -> Callable[[IdentitySettings, argparse.Namespace], int]:
    """Run the command, print its result as JSON; a refusal is `error: ...`, exit 1."""

    def command(settings: IdentitySettings, args: argparse.Namespace) -> int:
        try:
            result = asyncio.run(run(settings, args))
        except (CommandError, asyncpg.PostgresError) as exc:
            print(f"error: {exc}")
            return 1
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0

    return command


COMMANDS: dict[str, Command] = {
    "create-tenant": Command(
        help="create a municipality and its first admin",
        arguments=_create_tenant_arguments,
        run=_printed(create_tenant),
    ),
    "rotate-signing-key": Command(
        help="prepare a new signing key: published now, signing after the activation delay",
        arguments=_rotate_arguments,
        run=_printed(lambda settings, args: rotate_signing_key(settings, args.activate_in_minutes)),
    ),
    "load-demo": Command(
        help="development only: create the demo municipality and its accounts (idempotent)",
        run=_printed(lambda settings, args: load_demo(settings)),
        refused_in_production=PRODUCTION_REFUSAL,
    ),
    "announce-accounts": Command(
        help="tell every account again (AccountAnnounced), for services deployed after them",
        arguments=_announce_arguments,
        run=_printed(lambda settings, args: announce_accounts(settings, args.tenant)),
    ),
    "announce-features": Command(
        help="tell every municipality's online features again (TenantFeaturesChanged), for "
        "services deployed after they were changed",
        arguments=_announce_arguments,
        run=_printed(lambda settings, args: announce_features(settings, args.tenant)),
    ),
}

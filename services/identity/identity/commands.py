"""Operator commands: create a municipality with its first admin, rotate the signing key.

python -m identity create-tenant --slug epagny --name "Epagny Metz-Tessy" \
    --contact-email famille@epagny.fr --contact-phone "04 50 00 00 00" \
    --admin-email agent@epagny.fr --admin-name "Agent Principal" [--temporary-password]
python -m identity rotate-signing-key [--activate-in-minutes N]
python -m identity load-demo      # development only: the demo municipality and accounts
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from typing import Any

import asyncpg
from marshmallow import ValidationError

from identity import store
from identity.app import MIGRATIONS
from identity.domain.passwords import PasswordHasher
from identity.domain.secret_tokens import TokenPurpose, new_secret_token
from identity.runtime import RotationPending, rotate_keyring, temporary_password, utcnow
from identity.schemas import SLUG
from identity.settings import IdentitySettings
from shared import db, migrations
from shared.events import outbox
from shared.events.envelope import new_event

COMMANDS = ("create-tenant", "rotate-signing-key", "load-demo", "announce-accounts")

# The development data of `load-demo` (scripts/dev). Never in production.
DEMO_TENANT = store.Tenant(
    slug="demo",
    display_name="Ville de Démo",
    contact_email="famille@demo.example",
    contact_phone="01 23 45 67 89",
    password_min_length=8,
    terms_version=1,
    terms_url=None,
    terms_text=(
        "Conditions d'utilisation du portail famille de démonstration (version 1).\n\n"
        "Ce portail sert au développement : les données qu'il contient sont fictives et "
        "peuvent être effacées à tout moment."
    ),
)
DEMO_PASSWORD = "Demo-2026-portail"
DEMO_ACCOUNTS = (
    ("admin@demo.example", "Administratrice Démo", ["admin", "staff"]),
    ("agent@demo.example", "Agent Démo", ["staff"]),
    ("famille@demo.example", "Famille Démo", ["family"]),
)
PRODUCTION_REFUSAL = (
    "load-demo refused: APP_ENV=production. The demo municipality and its accounts share a "
    "published password; they are for development only."
)


class CommandError(Exception):
    pass


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m identity")
    sub = root.add_subparsers(dest="command", required=True)
    tenant = sub.add_parser("create-tenant", help="create a municipality and its first admin")
    tenant.add_argument("--slug", required=True, help="used in URLs, e.g. epagny-metz-tessy")
    tenant.add_argument("--name", required=True)
    tenant.add_argument("--contact-email", required=True)
    tenant.add_argument("--contact-phone", default="")
    tenant.add_argument("--admin-email", required=True)
    tenant.add_argument("--admin-name", required=True)
    tenant.add_argument(
        "--temporary-password",
        action="store_true",
        help="print a temporary password instead of an invitation link",
    )
    tenant.add_argument("--terms-version", type=int, default=None)
    tenant.add_argument("--terms-url", default=None)
    rotate = sub.add_parser(
        "rotate-signing-key",
        help="prepare a new signing key: published now, signing after the activation delay",
    )
    rotate.add_argument(
        "--activate-in-minutes",
        type=float,
        default=None,
        help="override SIGNING_KEY_ACTIVATION_MINUTES (0: sign at once; other services may "
        "then refuse the new tokens for up to 30 s)",
    )
    announce = sub.add_parser(
        "announce-accounts",
        help="tell every account again (AccountAnnounced), for services deployed after them",
    )
    announce.add_argument("--tenant", default=None, help="only this municipality's accounts")
    sub.add_parser(
        "load-demo",
        help="development only: create the demo municipality and its accounts (idempotent)",
    )
    return root


async def load_demo(settings: IdentitySettings) -> dict[str, Any]:
    """Create what is missing of the demo municipality and its three active accounts (which
    have accepted its terms); leave alone whatever exists, even if changed since."""
    if settings.environment == "production":
        raise CommandError(PRODUCTION_REFUSAL)
    await migrations.migrate(settings, MIGRATIONS)
    now = utcnow()
    hasher = PasswordHasher(
        time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
    )
    try:
        password_hash = await hasher.hash(DEMO_PASSWORD)
    finally:
        hasher.close()
    slug = DEMO_TENANT.slug
    conn = await db.connect(settings)
    try:
        async with conn.transaction():
            created = await store.insert_tenant(conn, DEMO_TENANT)
            result: dict[str, Any] = {
                "tenant": {slug: "created" if created else "already present"},
                "accounts": {},
            }
            for email, name, roles in DEMO_ACCOUNTS:
                account = await store.insert_account(
                    conn,
                    tenant=slug,
                    email=email,
                    display_name=name,
                    roles=roles,
                    status="active",
                    password_hash=password_hash,
                    now=now,
                )
                if account is None:
                    result["accounts"][email] = "already present"
                    continue
                await store.accept_terms(conn, account.id, DEMO_TENANT.terms_version or 1, now=now)
                await store.audit(
                    conn,
                    store.AuditEntry(
                        tenant=slug,
                        action="account_created",
                        account_id=account.id,
                        login=email,
                        user_agent="python -m identity load-demo",
                        details={"roles": roles, "mode": "demo"},
                    ),
                )
                # Told like any activation, so that the other services (notify's address
                # book) know the demo accounts as they would know real ones.
                await outbox.record(
                    conn,
                    new_event(
                        "identity.AccountActivated",
                        {
                            "account_id": account.id,
                            "email": account.email,
                            "display_name": account.display_name,
                            "roles": account.roles,
                        },
                        tenant_id=slug,
                        producer="identity",
                    ),
                )
                result["accounts"][email] = f"created ({', '.join(roles)})"
    finally:
        await conn.close()
    result["password"] = DEMO_PASSWORD
    return result


async def create_tenant(settings: IdentitySettings, args: argparse.Namespace) -> dict[str, Any]:
    try:
        SLUG(args.slug)
    except ValidationError as exc:
        raise CommandError(f"invalid slug {args.slug!r}: {exc.messages}") from None
    await migrations.migrate(settings, MIGRATIONS)
    now = utcnow()
    admin_email = args.admin_email.strip().lower()
    password = temporary_password() if args.temporary_password else None
    password_hash = None
    if password:
        hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
        )
        try:
            password_hash = await hasher.hash(password)
        finally:
            hasher.close()
    conn = await db.connect(settings)
    try:
        async with conn.transaction():
            tenant = store.Tenant(
                slug=args.slug,
                display_name=args.name,
                contact_email=args.contact_email,
                contact_phone=args.contact_phone,
                password_min_length=8,
                terms_version=args.terms_version,
                terms_url=args.terms_url,
                terms_text=None,
            )
            if not await store.insert_tenant(conn, tenant):
                raise CommandError(f"a municipality with the slug {args.slug!r} already exists")
            account = await store.insert_account(
                conn,
                tenant=args.slug,
                email=admin_email,
                display_name=args.admin_name,
                roles=["admin", "staff"],
                status="active" if password else "invited",
                password_hash=password_hash,
                must_change_password=password is not None,
                now=now,
            )
            assert account is not None
            result: dict[str, Any] = {"tenant": args.slug, "admin_account_id": str(account.id)}
            invitation_url = expires_at = None
            if password is None:
                secret = new_secret_token(TokenPurpose.INVITATION)
                expires_at = now + timedelta(hours=settings.invitation_link_hours)
                await store.insert_link(
                    conn,
                    digest=secret.digest,
                    purpose="invitation",
                    account_id=account.id,
                    tenant=args.slug,
                    expires_at=expires_at,
                    now=now,
                )
                invitation_url = f"{settings.base_url}/{args.slug}/invitation?token={secret.value}"
                result["invitation_url"] = invitation_url
                result["expires_at"] = expires_at.isoformat()
            else:
                result["temporary_password"] = password
            await outbox.record(
                conn,
                new_event(
                    "identity.AccountInvited",
                    {
                        "account_id": account.id,
                        "email": account.email,
                        "display_name": account.display_name,
                        "roles": account.roles,
                        "invitation_url": invitation_url,
                        "expires_at": expires_at,
                        # No person created it: the account invites itself (command line).
                        "invited_by": account.id,
                    },
                    tenant_id=args.slug,
                    producer="identity",
                ),
            )
            await store.audit(
                conn,
                store.AuditEntry(
                    tenant=args.slug,
                    action="tenant_created",
                    account_id=account.id,
                    login=admin_email,
                    user_agent="python -m identity create-tenant",
                ),
            )
    finally:
        await conn.close()
    return result


async def rotate_signing_key(
    settings: IdentitySettings, activate_in_minutes: float | None = None
) -> dict[str, Any]:
    if activate_in_minutes is not None and activate_in_minutes < 0:
        raise CommandError("--activate-in-minutes must not be negative")
    await migrations.migrate(settings, MIGRATIONS)
    pool = await db.create_pool(settings)
    try:
        keyring = await rotate_keyring(
            pool,
            settings,
            now=utcnow(),
            activate_after=None
            if activate_in_minutes is None
            else timedelta(minutes=activate_in_minutes),
        )
    except RotationPending as exc:
        raise CommandError(str(exc)) from None
    finally:
        await pool.close()
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


async def announce_accounts(settings: IdentitySettings, tenant: str | None) -> dict[str, Any]:
    """An AccountAnnounced per account (of `tenant`, or all), through the outbox, a thousand
    per transaction: a service deployed after the accounts existed (notify's address book,
    every service's disabled accounts) learns them as they are now. Consumers are idempotent
    and keep the newest state, so announcing twice is harmless."""
    conn = await db.connect(settings)
    announced, after = 0, (None, None)
    try:
        while True:
            async with conn.transaction():
                rows = await conn.fetch(
                    "SELECT id, tenant, email, display_name, roles, status FROM accounts"
                    " WHERE ($1::text IS NULL OR tenant = $1)"
                    "   AND ($2::text IS NULL OR (tenant, id) > ($2, $3::uuid))"
                    " ORDER BY tenant, id LIMIT 1000",
                    tenant,
                    *after,
                )
                if not rows:
                    break
                await outbox.record(
                    conn,
                    *(
                        new_event(
                            "identity.AccountAnnounced",
                            {
                                "account_id": r["id"],
                                "email": r["email"],
                                "display_name": r["display_name"],
                                "roles": list(r["roles"]),
                                "status": r["status"],
                            },
                            tenant_id=r["tenant"],
                            producer="identity",
                        )
                        for r in rows
                    ),
                )
            announced += len(rows)
            after = (rows[-1]["tenant"], rows[-1]["id"])
    finally:
        await conn.close()
    return {"announced": announced}


def run(argv: list[str], settings: IdentitySettings) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "create-tenant":
            result = asyncio.run(create_tenant(settings, args))
        elif args.command == "announce-accounts":
            result = asyncio.run(announce_accounts(settings, args.tenant))
        elif args.command == "load-demo":
            if settings.environment == "production":
                print(PRODUCTION_REFUSAL, file=sys.stderr)
                return 2
            result = asyncio.run(load_demo(settings))
        else:
            result = asyncio.run(rotate_signing_key(settings, args.activate_in_minutes))
    except (CommandError, asyncpg.PostgresError) as exc:
        print(f"error: {exc}")
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


__all__ = ["COMMANDS", "run"]

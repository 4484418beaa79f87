"""Guardians of imported households invited by the family service's onboarding run
(family.GuardianInvitationRequested): the account created already linked to the household,
its invitation link emailed (AccountInvited, sent by notify at its dispatch rate). Once per
guardian: a request sent again (a resumed run) is answered with the account made the first
time, and nothing is emailed again. A guardian whose email is that of an account made for
another guardian by an onboarding run is the same person, guardian of two imported
households (parents apart): the household is added to that account (several
subscriptions), and nothing is emailed again. Any other account's email is not invited;
the answer (GuardianInvitationAnswered) says so."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from identity import store
from identity.domain.errors import AccountExists
from identity.settings import IdentitySettings
from identity.state import utcnow
from identity.usecases.invitations import invite
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


async def invite_guardian(
    uow: UnitOfWork, settings: IdentitySettings, tenant: str, request: dict[str, Any]
) -> str:
    """Invite the guardian (in one transaction with the answer); returns the outcome."""
    guardian_id: uuid.UUID = request["guardian_id"]
    household_id: uuid.UUID = request["household_id"]
    now = utcnow()
    async with uow:
        # One decision at a time per household: its links, its anonymisation, its invitations.
        await store.lock_household(uow.conn, tenant, household_id)
        account_id = await store.guardian_invitation(uow.conn, tenant, guardian_id)
        if account_id is not None:
            outcome = "invited"  # asked again: the same answer, no second email
        elif await store.is_household_anonymised(uow.conn, tenant, household_id):
            outcome = "household_anonymised"
        else:
            try:
                async with uow.conn.transaction():  # a savepoint: the taken email leaves nothing
                    invitation = await invite(
                        uow,
                        settings,
                        tenant,
                        email=request["email"].lower(),
                        display_name=request["display_name"],
                        roles=["family"],
                        temporary_password=None,
                        password_hash=None,
                        invited_by=request["requested_by"],
                        now=now,
                    )
            except AccountExists:
                account_id = await store.onboarded_account(
                    uow.conn, tenant, request["email"].lower()
                )
                outcome = "email_taken" if account_id is None else "invited"
                if account_id is not None:
                    await _add_household(uow, tenant, request, account_id, now)
            else:
                outcome = "invited"
                account_id = invitation.account.id
                await store.link_household(uow.conn, tenant, account_id, household_id)
                await store.record_guardian_invitation(
                    uow.conn, tenant, guardian_id, household_id, account_id, now=now
                )
                await store.audit(
                    uow.conn,
                    store.AuditEntry(
                        tenant,
                        "account_created",
                        account_id=account_id,
                        actor_id=request["requested_by"],
                        login=invitation.account.email,
                        details={
                            "roles": ["family"],
                            "mode": "onboarding",
                            "household_id": str(household_id),
                            "run_id": str(request["run_id"]),
                        },
                    ),
                )
        uow.emit(
            "identity.GuardianInvitationAnswered",
            {
                "run_id": request["run_id"],
                "household_id": household_id,
                "guardian_id": guardian_id,
                "outcome": outcome,
                "account_id": account_id,
            },
            tenant=tenant,
        )
    log.info("guardian_invitation_answered", guardian_id=str(guardian_id), outcome=outcome)
    return outcome


async def _add_household(
    uow: UnitOfWork,
    tenant: str,
    request: dict[str, Any],
    account_id: uuid.UUID,
    now: datetime,
) -> None:
    """The household added to the account an earlier guardian's invitation made: one
    account, one invitation, the subscriptions of both households."""
    household_id: uuid.UUID = request["household_id"]
    await store.link_household(uow.conn, tenant, account_id, household_id)
    await store.record_guardian_invitation(
        uow.conn, tenant, request["guardian_id"], household_id, account_id, now=now
    )
    await store.audit(
        uow.conn,
        store.AuditEntry(
            tenant,
            "household_linked",
            account_id=account_id,
            actor_id=request["requested_by"],
            details={
                "mode": "onboarding",
                "household_id": str(household_id),
                "run_id": str(request["run_id"]),
            },
        ),
    )

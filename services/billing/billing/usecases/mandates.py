"""SEPA mandates: the régie's creditor settings (staff), a guardian registering a mandate and
signing it online, staff recording a signed paper one, revoking, and reading them (masked;
staff's full read of the bank details logged, as family's health-record reads are).

Bank details are sealed in the vault with the row as associated data
(`billing:mandate:<tenant>:<id>`, `billing:sepa_creditor:<tenant>:<régie id>`): the database
holds only ciphertexts and the masked IBAN."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from billing.domain.direct_debit import earliest_collection_date
from billing.domain.documents import local_date
from billing.domain.errors import (
    DirectDebitNotConfigured,
    HouseholdNotFound,
    MandateLinkExpired,
    MandateLinkInvalid,
    MandateLinkUsed,
    MandateNotFound,
    MandateNotPending,
    MandateSignedLater,
    PayerNotFound,
    RegieNotFound,
)
from billing.domain.mandates import (
    BankAccount,
    bank_account,
    can_revoke,
    can_sign,
    collects_from,
    creditor_identifier,
    rum,
    signature_digest,
    signature_token,
    signature_url,
)
from billing.store import Conn
from billing.store import catalog as catalog_store
from billing.store import credits as credits_store
from billing.store import direct_debit as dd_store
from billing.store import families as families_store
from shared.uow import UnitOfWork
from shared.vault import Sealed, Vault, aad_for


def mandate_aad(tenant: str, mandate_id: uuid.UUID) -> bytes:
    return aad_for("billing", "mandate", tenant, mandate_id)


def creditor_aad(tenant: str, regie_id: uuid.UUID) -> bytes:
    return aad_for("billing", "sepa_creditor", tenant, regie_id)


def open_account(vault: Vault, row: dict[str, Any], aad: bytes) -> BankAccount:
    details = vault.open_json(Sealed(row["key_id"], row["sealed"]), aad)
    return BankAccount(details["iban"], details["bic"])


def _seal(vault: Vault, account: BankAccount, aad: bytes) -> dict[str, Any]:
    sealed = vault.seal_json({"iban": account.iban, "bic": account.bic}, aad)
    return {"key_id": sealed.key_id, "sealed": sealed.blob, "iban_masked": account.masked}


# --- the régie's creditor settings ---------------------------------------------------------


def _creditor_out(row: dict[str, Any], today: date) -> dict[str, Any]:
    return {
        **row,
        "earliest_collection_date": earliest_collection_date(today, row["prenotification_days"]),
    }


async def set_creditor(
    uow: UnitOfWork,
    vault: Vault,
    tenant: str,
    regie_id: uuid.UUID,
    data: dict[str, Any],
    actor: uuid.UUID,
    *,
    now: datetime,
) -> dict[str, Any]:
    """The régie collects by direct debit from now on, into this account, as this creditor."""
    account = bank_account(data["iban"], data.get("bic"))
    async with uow:
        if await catalog_store.lock_regie(uow.conn, tenant, regie_id) is None:
            raise RegieNotFound()
        row = await dd_store.upsert_creditor(
            uow.conn,
            tenant,
            regie_id,
            {
                "creditor_id": creditor_identifier(data["creditor_id"]),
                "creditor_name": data["creditor_name"],
                "prenotification_days": data["prenotification_days"],
                **_seal(vault, account, creditor_aad(tenant, regie_id)),
            },
            actor,
            now,
        )
    return _creditor_out(row, local_date(now))


async def creditor(conn: Conn, tenant: str, regie_id: uuid.UUID, *, now: datetime) -> dict:
    if await catalog_store.get_regie(conn, tenant, regie_id) is None:
        raise RegieNotFound()
    row = await dd_store.get_creditor(conn, tenant, regie_id)
    if row is None:
        raise DirectDebitNotConfigured()
    return _creditor_out(row, local_date(now))


async def collecting_regies(conn: Conn, tenant: str) -> list[dict[str, Any]]:
    """The régies a family may sign a mandate with (those with creditor settings)."""
    return await dd_store.list_creditors(conn, tenant)


# --- registering, signing, revoking --------------------------------------------------------


def mandate_payload(mandate: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The common part of the mandate events (contract `_Mandate`)."""
    return {
        "mandate_id": mandate["id"],
        "regie_id": mandate["regie_id"],
        "regie_name": mandate["regie_name"],
        "household_id": mandate["household_id"],
        "account_id": mandate["account_id"],
        "rum": mandate["rum"],
        "holder": mandate["holder"],
        "iban_masked": mandate["iban_masked"],
        **extra,
    }


async def register_mandate(
    uow: UnitOfWork,
    vault: Vault,
    tenant: str,
    household_id: uuid.UUID,
    data: dict[str, Any],
    *,
    actor: uuid.UUID,
    family: bool,
    allowed_payers: Collection[uuid.UUID] | None,
    portal_url: str,
    signature_hours: float,
    now: datetime,
) -> uuid.UUID:
    """A guardian's mandate (`family`): pending until signed through the emailed link
    (billing.MandateRequested); staff's, signed on paper (`signed_on`): active at once, the
    payer's previous mandate of the régie revoked (billing.MandateActivated)."""
    account = bank_account(data["iban"], data.get("bic"))
    if not family and data["signed_on"] > local_date(now):
        raise MandateSignedLater(
            errors=[{"field": "signed_on", "detail": MandateSignedLater.detail}]
        )
    payer_id = data.get("payer_id") or household_id
    mandate_id = uuid.uuid4()
    async with uow:
        conn = uow.conn
        if await families_store.get_household(conn, tenant, household_id) is None:
            raise HouseholdNotFound()
        await _check_payer(conn, tenant, household_id, payer_id, allowed_payers)
        regie = await catalog_store.get_regie(conn, tenant, data["regie_id"])
        if regie is None:
            raise RegieNotFound()
        if await dd_store.get_creditor(conn, tenant, regie["id"]) is None:
            raise DirectDebitNotConfigured()
        # Activations of the payer's mandates one at a time (one active per payer and
        # régie); the payer's lock comes before any mandate's, as everywhere.
        await credits_store.lock_payers(conn, tenant, [payer_id])
        year = local_date(now).year
        reference = rum(regie["code"], year, await dd_store.take_rum_number(conn, tenant, year))
        await dd_store.insert_mandate(
            conn,
            {
                "id": mandate_id,
                "tenant": tenant,
                "regie_id": regie["id"],
                "household_id": household_id,
                "payer_id": payer_id,
                "rum": reference,
                "holder": data["holder"],
                "status": "pending_signature",  # staff's is activated just below
                "account_id": actor if family else None,
                "created_by": actor,
                "created_at": now,
                **_seal(vault, account, mandate_aad(tenant, mandate_id)),
            },
        )
        mandate = await dd_store.get_mandate(conn, tenant, mandate_id)
        assert mandate is not None
        if family:
            token = signature_token()
            expires_at = now + timedelta(hours=signature_hours)
            await dd_store.insert_signature(
                conn,
                digest=token.digest,
                tenant=tenant,
                mandate_id=mandate_id,
                expires_at=expires_at,
                now=now,
            )
            uow.emit(
                "billing.MandateRequested",
                mandate_payload(
                    mandate,
                    signature_url=signature_url(portal_url, token.value),
                    expires_at=expires_at,
                ),
                tenant=tenant,
            )
        else:
            await _activated(
                uow,
                tenant,
                {**mandate, "signed_on": data["signed_on"]},
                recorded_by="staff",
                now=now,
            )
    return mandate_id


async def _check_payer(
    conn: Conn,
    tenant: str,
    household_id: uuid.UUID,
    payer_id: uuid.UUID,
    allowed: Collection[uuid.UUID] | None,
) -> None:
    """The payer is the household or one of its named payers; a family may name only the
    household or its own payer."""
    if allowed is not None and payer_id not in allowed:
        raise PayerNotFound()
    if payer_id == household_id:
        return
    payer = await families_store.get_payer(conn, tenant, payer_id)
    if payer is None or payer["household_id"] != household_id:
        raise PayerNotFound()


async def _activated(
    uow: UnitOfWork, tenant: str, mandate: dict[str, Any], *, recorded_by: str, now: datetime
) -> None:
    """A mandate just became active: the payer's others of the régie are revoked (one active
    mandate per payer and régie), then billing.MandateActivated. The caller holds the
    payer's lock."""
    others = await dd_store.live_mandates_of(
        uow.conn, tenant, mandate["regie_id"], mandate["payer_id"], mandate["id"]
    )
    for other in others:
        await dd_store.revoke_mandate(
            uow.conn, other["id"], revoked_by=recorded_by, now=now, replaced_by=mandate["id"]
        )
        uow.emit(
            "billing.MandateRevoked",
            mandate_payload(other, revoked_by=recorded_by),
            tenant=tenant,
        )
    await dd_store.activate_mandate(
        uow.conn,
        mandate["id"],
        signed_on=mandate["signed_on"] or local_date(now),
        recorded_by=recorded_by,
        collects_from=collects_from(now, [(o["status"], o["collects_from"]) for o in others]),
        now=now,
    )
    active = await dd_store.get_mandate(uow.conn, tenant, mandate["id"])
    assert active is not None
    uow.emit(
        "billing.MandateActivated",
        mandate_payload(active, signed_on=active["signed_on"], recorded_by=recorded_by),
        tenant=tenant,
    )


async def sign_mandate(
    uow: UnitOfWork, tenant: str, token: str, household_id: uuid.UUID, *, now: datetime
) -> uuid.UUID:
    """The family signs online with the emailed link's token (single use, expiring): the
    mandate is active, signed today, and applies from the next invoice."""
    async with uow:
        conn = uow.conn
        link = await dd_store.lock_signature(conn, tenant, signature_digest(token))
        if link is None:
            raise MandateLinkInvalid()
        mandate = await dd_store.get_mandate(conn, tenant, link["mandate_id"])
        if mandate is None or mandate["household_id"] != household_id:
            raise MandateLinkInvalid()  # another household's link says nothing about it
        await credits_store.lock_payers(conn, tenant, [mandate["payer_id"]])
        mandate = await dd_store.lock_mandate(conn, tenant, mandate["id"])
        assert mandate is not None
        if link["used_at"] is not None:
            raise MandateLinkUsed()
        if link["expires_at"] <= now:
            raise MandateLinkExpired()
        if not can_sign(mandate["status"]):
            raise MandateNotPending()
        await dd_store.use_signature(conn, link["digest"], now)
        await _activated(
            uow, tenant, {**mandate, "signed_on": local_date(now)}, recorded_by="family", now=now
        )
    return mandate["id"]


async def revoke_mandate(
    uow: UnitOfWork,
    tenant: str,
    mandate_id: uuid.UUID,
    *,
    revoked_by: str,
    household_id: uuid.UUID | None,
    now: datetime,
) -> None:
    """The family (`household_id` its own) or staff revoke a mandate: nothing more is
    collected with it. Revoking a revoked mandate changes nothing."""
    async with uow:
        mandate = await dd_store.lock_mandate(uow.conn, tenant, mandate_id)
        if mandate is None or (
            household_id is not None and mandate["household_id"] != household_id
        ):
            raise MandateNotFound()
        if not can_revoke(mandate["status"]):
            return
        await dd_store.revoke_mandate(uow.conn, mandate_id, revoked_by=revoked_by, now=now)
        uow.emit(
            "billing.MandateRevoked", mandate_payload(mandate, revoked_by=revoked_by), tenant=tenant
        )


# --- reading -------------------------------------------------------------------------------


async def mandate(
    conn: Conn,
    tenant: str,
    mandate_id: uuid.UUID,
    *,
    household_id: uuid.UUID | None = None,
    payer_ids: Collection[uuid.UUID] | None = None,
) -> dict[str, Any]:
    """A mandate, masked; a family's (`household_id`, `payer_ids`) only if it sees its payer."""
    row = await dd_store.get_mandate(conn, tenant, mandate_id)
    if row is None:
        raise MandateNotFound()
    if household_id is not None and row["household_id"] != household_id:
        raise MandateNotFound()
    if payer_ids is not None and row["payer_id"] not in payer_ids:
        raise MandateNotFound()
    return row


async def mandates(conn: Conn, tenant: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
    return await dd_store.list_mandates(conn, tenant, filters)


async def bank_details(
    uow: UnitOfWork,
    vault: Vault,
    tenant: str,
    mandate_id: uuid.UUID,
    *,
    actor: uuid.UUID,
    roles: list[str],
    now: datetime,
) -> dict[str, Any]:
    """A mandate's full bank details (staff): the read and its log line commit together, no
    read without its trace."""
    async with uow:
        row = await dd_store.get_mandate(uow.conn, tenant, mandate_id)
        if row is None:
            raise MandateNotFound()
        account = open_account(vault, row, mandate_aad(tenant, mandate_id))
        await dd_store.log_access(
            uow.conn,
            [
                {
                    "tenant": tenant,
                    "household_id": row["household_id"],
                    "mandate_id": mandate_id,
                    "account_id": actor,
                    "roles": roles,
                    "purpose": "mandate",
                    "accessed_at": now,
                }
            ],
        )
    iban = account.iban
    return {
        "mandate_id": mandate_id,
        "rum": row["rum"],
        "holder": row["holder"],
        "iban": " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)),
        "bic": account.bic,
    }


async def access_log(conn: Conn, tenant: str, household_id: uuid.UUID) -> list[dict[str, Any]]:
    """Who read the household's bank details, and why, newest first."""
    return await dd_store.access_log(conn, tenant, household_id)

"""In-app notices belong to the household they are about: a guardian linked to two households
(after a separation) reads, in each, only that household's notices and those about the account
itself; another household's notice cannot be marked read from the wrong one."""

from __future__ import annotations

import uuid

from shared.testing.bus import eventually

from .test_family_emails import configure, household, known_account

NOTIFICATIONS = "/tenants/epagny/me/notifications"


def token(tokens, account_id: uuid.UUID, household_id: uuid.UUID | None) -> dict[str, str]:
    claims = {"household_id": str(household_id)} if household_id else {}
    return tokens.header(tenant="epagny", roles=("family",), account_id=str(account_id), **claims)


async def listed(notify, headers: dict[str, str]) -> tuple[list[str], int]:
    r = await notify.get(NOTIFICATIONS, headers=headers)
    assert r.status == 200, await r.text()
    body = await r.json()
    return sorted(item["kind"] for item in body["items"]), body["unread_count"]


async def test_a_guardian_of_two_households_sees_each_ones_notices_apart(notify, smtp, tokens, h):
    await configure(notify, tokens, h)
    simon = await known_account(notify, h, "simon.durand@example.org", "Simon Durand")
    first = await household(notify, h, simon)
    second = await household(notify, h, simon)
    await h.publish(
        notify,
        h.family_event(
            "family.ChangeRequestDecided",
            household_id=first,
            decision="rejected",
            reason="Justificatif trop ancien.",
            summary="Modification du foyer : adresse",
            submitted_by=simon,
            account_ids=[simon],
        ),
    )
    await h.publish(
        notify,
        h.family_event(
            "family.DocumentRejected",
            household_id=second,
            document_type="attestation_caf",
            reason="L'attestation est au nom d'une autre famille.",
            account_ids=[simon],
        ),
    )

    in_first, in_second = token(tokens, simon, first), token(tokens, simon, second)

    async def arrived():
        kinds, _ = await listed(notify, in_first)
        other, _ = await listed(notify, in_second)
        return (
            (kinds, other) if "change_rejected" in kinds and "document_rejected" in other else None
        )

    kinds_first, kinds_second = await eventually(arrived)
    # The account's own invitation notice shows in both; each household's notice in its own.
    assert kinds_first == ["account_invited", "change_rejected"]
    assert kinds_second == ["account_invited", "document_rejected"]
    # A token naming no household yet (linked since it was issued): all the account's own.
    assert (await listed(notify, token(tokens, simon, None)))[0] == [
        "account_invited",
        "change_rejected",
        "document_rejected",
    ]

    # The first household's notice cannot be read from the second.
    r = await notify.get(NOTIFICATIONS, headers=in_first)
    (change,) = [i for i in (await r.json())["items"] if i["kind"] == "change_rejected"]
    r = await notify.post(f"{NOTIFICATIONS}/{change['id']}/read", headers=in_second)
    assert r.status == 404
    r = await notify.post(f"{NOTIFICATIONS}/{change['id']}/read", headers=in_first)
    assert r.status == 200 and (await r.json())["read_at"]

    # "Everything read" in the second household leaves the first's unread notices alone.
    r = await notify.post(f"{NOTIFICATIONS}/read", headers=in_second)
    assert r.status == 200 and (await r.json())["marked"] == 2
    assert (await listed(notify, in_second))[1] == 0
    assert (await listed(notify, in_first))[1] == 0  # its own was read above; the invitation too


async def test_staff_list_a_household_s_emails_without_the_other_household_s(
    notify, smtp, tokens, h
):
    await configure(notify, tokens, h)
    simon = await known_account(notify, h, "simon.durand@example.org", "Simon Durand")
    first = await household(notify, h, simon)
    second = await household(notify, h, simon)
    for household_id, document_type in ((first, "attestation_caf"), (second, "avis_imposition")):
        await h.publish(
            notify,
            h.family_event(
                "family.DocumentRejected",
                household_id=household_id,
                document_type=document_type,
                reason="Illisible.",
                account_ids=[simon],
            ),
        )
    staff = tokens.header(tenant="epagny", roles=("staff",))

    async def emails(**params: str) -> list[dict] | None:
        r = await notify.get(
            "/tenants/epagny/emails", params={"account_id": str(simon), **params}, headers=staff
        )
        assert r.status == 200, await r.text()
        items = (await r.json())["items"]
        return items if len(items) >= 2 or params else None

    everything = await eventually(emails)
    assert len(everything) == 2
    by_household = {}
    for household_id in (first, second):
        (only,) = await emails(household_id=str(household_id))
        assert only["household_id"] == str(household_id)
        by_household[household_id] = only["id"]
    assert by_household[first] != by_household[second]
    r = await notify.get(
        "/tenants/epagny/emails", params={"household_id": "pas-un-uuid"}, headers=staff
    )
    assert r.status == 422  # as every query parameter of the service: named in the problem
    assert "household_id" in await r.text()

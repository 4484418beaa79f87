"""The forgotten-password request by login identifier as well as by email: the same
identifiers as login, the same answer whatever is typed."""

from __future__ import annotations

import asyncio
from typing import Any

Portal = Any
RESET = "identity.PasswordResetRequested"


async def test_forgotten_password_by_identifier(portal: Portal) -> None:
    await portal.family("claire.martin@live.fr")
    r = await portal.post("/password/forgot", {"login": "Claire.Martin"})
    assert r.status == 202
    event = await portal.event(RESET, "claire.martin@live.fr")
    token = portal.link_token(event["payload"]["reset_url"])
    r = await portal.post("/password/reset", {"token": token, "new_password": "Riviere2025"})
    assert r.status == 200
    await portal.login("claire.martin", "Riviere2025")
    # the full email under `login` works too
    r = await portal.post("/password/forgot", {"login": "claire.martin@live.fr"})
    assert r.status == 202
    await portal.event(RESET, "claire.martin@live.fr", index=1)


async def test_same_answer_for_unknown_and_ambiguous_identifiers(portal: Portal) -> None:
    await portal.family("paul@live.fr")
    await portal.family("paul@orange.fr")  # "paul" names two accounts: no one is chosen
    await portal.family("lea@live.fr")
    answers = [
        await portal.post("/password/forgot", {"login": text})
        for text in ("lea", "paul", "personne", "personne@live.fr")
    ]
    assert {r.status for r in answers} == {202}
    bodies = [await r.json() for r in answers]
    assert all(body == bodies[0] for body in bodies)
    await portal.event(RESET, "lea@live.fr")
    await asyncio.sleep(0.3)  # the ignored requests would have raised theirs by now
    sent = [m["payload"]["email"] for m in portal.tap.of_type(RESET)]
    assert sent == ["lea@live.fr"]
    audit = await portal.pool.fetch(
        "SELECT action, login FROM audit_log WHERE action LIKE 'password_reset%' ORDER BY login"
    )
    assert [(a["action"], a["login"]) for a in audit] == [
        ("password_reset_requested", "lea"),
        ("password_reset_request_ignored", "paul"),
        ("password_reset_request_ignored", "personne"),
        ("password_reset_request_ignored", "personne@live.fr"),
    ]


async def test_forgot_wants_one_of_login_or_email(portal: Portal) -> None:
    for body in ({}, {"login": "a", "email": "a@live.fr"}, {"login": ""}, {"email": "pas-une"}):
        r = await portal.post("/password/forgot", body)
        assert r.status == 422, body
        problem = await r.json()
        assert problem["errors"], problem

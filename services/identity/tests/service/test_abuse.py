"""Forgotten password and activation resend: no enumeration by timing, limits per email and
address; a wrong password repeated in an authenticated request counts towards the lock."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import pytest

Portal = Any
NO_LIMITS = {
    "link_requests_per_pair": 10_000,
    "link_requests_per_email": 10_000,
    "link_requests_per_address": 10_000,
}


async def actions(portal: Portal, prefix: str) -> list[dict[str, Any]]:
    rows = await portal.pool.fetch(
        "SELECT action, login, details FROM audit_log WHERE action LIKE $1 || '%' ORDER BY id",
        prefix,
    )
    return [dict(row) for row in rows]


@pytest.mark.parametrize(
    ("path", "event_type"),
    [
        ("/password/forgot", "identity.PasswordResetRequested"),
        ("/activation/resend", "identity.AccountRegistered"),
    ],
)
async def test_known_and_unknown_emails_answer_alike_in_about_the_same_time(
    make_portal: Any, path: str, event_type: str
) -> None:
    portal = await make_portal(**NO_LIMITS)
    known = "connue@live.fr"
    if path == "/password/forgot":
        await portal.family(known)
    else:
        assert (await portal.signup(known)).status == 202  # pending: a resend applies
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    bodies = set()
    for round_ in range(21):  # the first round warms both paths up and is not counted
        # Alternate who goes first: work left behind by one call (the outbox relay
        # publishing the event) must not weigh on the same side every time.
        order = [("known", known), ("unknown", "inconnue@live.fr")]
        for label, email in order if round_ % 2 else reversed(order):
            started = time.perf_counter()
            r = await portal.post(path, {"email": email})
            body = await r.text()
            elapsed = time.perf_counter() - started
            assert r.status == 202, body
            assert r.headers["Cache-Control"] == "no-store"
            bodies.add(body)
            if round_:
                timings[label].append(elapsed)
    assert len(bodies) == 1  # the very same answer
    known_median = statistics.median(timings["known"])
    unknown_median = statistics.median(timings["unknown"])
    slow, fast = max(known_median, unknown_median), min(known_median, unknown_median)
    assert slow / fast < 3, timings
    assert slow - fast < 0.050, timings
    # Every call was recorded, known email or not; only the known one sent anything.
    assert await portal.pool.fetchval("SELECT count(*) FROM link_requests") == 42
    await portal.event(event_type, known, index=20 if path == "/password/forgot" else 21)
    assert not [m for m in portal.tap.of_type(event_type) if "inconnue" in str(m["payload"])]


async def test_an_inbox_cannot_be_flooded(make_portal: Any) -> None:
    portal = await make_portal(trusted_proxy_hops=1)
    await portal.family("victime@live.fr")

    async def forgot(email: str, address: str) -> None:
        r = await portal.client.post(
            "/tenants/epagny/password/forgot",
            json={"email": email},
            headers={"X-Forwarded-For": address},
        )
        assert r.status == 202  # always the same answer, sent or not
        assert (await r.json())["detail"].startswith("Demande enregistrée.")

    # One address: 3 emails an hour for one email.
    for _ in range(5):
        await forgot("victime@live.fr", "203.0.113.1")
    await portal.event("identity.PasswordResetRequested", "victime@live.fr", index=2)
    # Other addresses: 5 an hour for one email, whoever asks.
    for address in ("203.0.113.2", "203.0.113.2", "203.0.113.2", "203.0.113.3"):
        await forgot("victime@live.fr", address)
    await portal.event("identity.PasswordResetRequested", "victime@live.fr", index=4)
    await asyncio.sleep(0.3)
    assert len(portal.tap.of_type("identity.PasswordResetRequested")) == 5
    entries = await actions(portal, "password_reset")
    assert [e["action"] for e in entries].count("password_reset_requested") == 5
    throttled = [e["details"]["limit"] for e in entries if e["action"].endswith("throttled")]
    assert throttled == ["pair", "pair", "email", "email"]
    # An hour later the email may be sent again.
    await portal.pool.execute("UPDATE link_requests SET at = at - interval '61 minutes'")
    await forgot("victime@live.fr", "203.0.113.1")
    await portal.event("identity.PasswordResetRequested", "victime@live.fr", index=5)


async def test_one_address_cannot_send_to_many_inboxes(make_portal: Any) -> None:
    portal = await make_portal(link_requests_per_address=4)
    for email in ("a@live.fr", "b@live.fr", "c@live.fr"):
        assert (await portal.signup(email)).status == 202
    for email in ("a@live.fr", "x@live.fr", "b@live.fr", "y@live.fr", "c@live.fr", "a@live.fr"):
        assert (await portal.post("/activation/resend", {"email": email})).status == 202
    # Unknown emails count too: a and b got a new link, c (5th request) and a (6th) did not.
    await portal.event("identity.AccountRegistered", "b@live.fr", index=1)
    await asyncio.sleep(0.3)
    resent = portal.tap.of_type("identity.AccountRegistered")
    assert sorted(m["payload"]["email"] for m in resent) == [
        "a@live.fr",
        "a@live.fr",
        "b@live.fr",
        "b@live.fr",
        "c@live.fr",
    ]
    entries = await actions(portal, "activation")
    assert [(e["action"], e["login"]) for e in entries] == [
        ("activation_resent", "a@live.fr"),
        ("activation_request_ignored", "x@live.fr"),
        ("activation_resent", "b@live.fr"),
        ("activation_request_ignored", "y@live.fr"),
        ("activation_request_throttled", "c@live.fr"),
        ("activation_request_throttled", "a@live.fr"),
    ]
    assert entries[1]["details"]["reason"] == "unknown_email"
    # The admin reads them in the audit log.
    r = await portal.get("/audit?action=activation_request_throttled", portal.admins["epagny"])
    assert (await r.json())["total"] == 2


async def test_wrong_current_password_is_throttled_like_a_login(make_portal: Any) -> None:
    portal = await make_portal(
        login_free_failures=1, login_base_delay_seconds=5, login_max_delay_seconds=30
    )
    token = (await portal.family("session@live.fr"))["access_token"]
    for _ in range(2):
        r = await portal.post(
            "/me/password", {"current_password": "Mauvais123", "new_password": "Autre2025x"}, token
        )
        assert r.status == 422
    # Even the right password now waits, and the login of the account too.
    r = await portal.post(
        "/me/password", {"current_password": portal.PASSWORD, "new_password": "Autre2025x"}, token
    )
    assert r.status == 429
    assert r.headers["Retry-After"] == "5"
    assert "patienter 5 seconde(s)" in (await r.json())["detail"]
    await portal.login("session@live.fr", status=429)
    r = await portal.get("/audit?action=password_check_failed", portal.admins["epagny"])
    entries = (await r.json())["items"]
    assert len(entries) == 2 and entries[0]["details"]["field"] == "current_password"


async def test_wrong_passwords_on_email_change_lock_the_account(make_portal: Any) -> None:
    portal = await make_portal(login_free_failures=4, login_lock_after=5, login_lock_minutes=5)
    token = (await portal.family("vol@live.fr"))["access_token"]
    for _ in range(5):
        r = await portal.post(
            "/me/email", {"new_email": "pirate@live.fr", "password": "Devine12"}, token
        )
        assert r.status == 422
        assert (await r.json())["errors"][0]["field"] == "password"
    locked = await portal.event("identity.AccountLocked", "vol@live.fr")
    assert locked["payload"]["failed_attempts"] == 5
    r = await portal.post(
        "/me/email", {"new_email": "pirate@live.fr", "password": portal.PASSWORD}, token
    )
    assert r.status == 429
    assert 200 < int(r.headers["Retry-After"]) <= 300
    # Locked: the right password gets the generic login answer.
    body = await portal.login("vol@live.fr", status=401)
    assert body["detail"] == "Identifiant ou mot de passe incorrect."

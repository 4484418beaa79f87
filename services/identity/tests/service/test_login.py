"""Login: no enumeration, throttling, lock, and the lock lifted by a password reset."""

from __future__ import annotations

import asyncio
import time
from typing import Any

Portal = Any


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {k: v for k, v in a.items() if k != "request_id"} == {
        k: v for k, v in b.items() if k != "request_id"
    }


async def test_unknown_account_and_wrong_password_look_the_same(portal: Portal) -> None:
    await portal.family("durand.simon@live.fr")
    timings = {}
    bodies = {}
    for label, login in (("wrong", "durand.simon@live.fr"), ("unknown", "nobody@live.fr")):
        started = time.perf_counter()
        r = await portal.post("/login", {"login": login, "password": "Mauvais123"})
        timings[label] = time.perf_counter() - started
        assert r.status == 401
        assert r.headers["Cache-Control"] == "no-store"
        bodies[label] = await r.json()
    assert _same(bodies["wrong"], bodies["unknown"])
    assert bodies["wrong"]["detail"] == "Identifiant ou mot de passe incorrect."
    # Both paths pay one argon2 verification (~20-30 ms); no early exit.
    assert timings["unknown"] > 0.5 * timings["wrong"]


async def test_login_by_local_part_only_when_unique(portal: Portal) -> None:
    await portal.family("marie@live.fr")
    await portal.login("marie")
    await portal.family("marie@orange.fr")
    r = await portal.post("/login", {"login": "marie", "password": portal.PASSWORD})
    assert r.status == 401  # ambiguous: use the full email
    await portal.login("MARIE@orange.fr")


async def test_growing_delays_answer_429_with_retry_after(make_portal: Any) -> None:
    portal = await make_portal(
        login_free_failures=1, login_base_delay_seconds=5, login_max_delay_seconds=30
    )
    await portal.family("presse@live.fr")
    for _ in range(2):
        r = await portal.post("/login", {"login": "presse@live.fr", "password": "Mauvais123"})
        assert r.status == 401
    r = await portal.post("/login", {"login": "presse@live.fr", "password": portal.PASSWORD})
    assert r.status == 429
    assert r.headers["Retry-After"] == "5"
    problem = await r.json()
    assert problem["type"].endswith("/too-many-attempts")
    assert "patienter 5 seconde(s)" in problem["detail"]


async def test_lock_refuses_right_password_and_reset_lifts_it(make_portal: Any) -> None:
    portal = await make_portal(login_free_failures=4, login_lock_after=5, login_lock_minutes=5)
    await portal.family("cible@live.fr")
    for _ in range(5):
        r = await portal.post("/login", {"login": "cible@live.fr", "password": "Mauvais123"})
        assert r.status == 401
    generic = await r.json()
    # Locked: even the right password gets the generic answer.
    r = await portal.post("/login", {"login": "cible@live.fr", "password": portal.PASSWORD})
    assert r.status == 401
    assert _same(await r.json(), generic)
    r = await portal.post("/login", {"login": "cible@live.fr", "password": "Mauvais123"})
    assert r.status == 401
    locked = await portal.event("identity.AccountLocked", "cible@live.fr")
    assert locked["payload"]["failed_attempts"] == 5
    await asyncio.sleep(0.3)
    assert len(portal.tap.of_type("identity.AccountLocked")) == 1  # told once per lock
    # The password reset still works while locked, and lifts the lock.
    assert (await portal.post("/password/forgot", {"email": "cible@live.fr"})).status == 202
    event = await portal.event("identity.PasswordResetRequested", "cible@live.fr")
    r = await portal.post(
        "/password/reset",
        {"token": portal.link_token(event["payload"]["reset_url"]), "new_password": "Nouveau2025!"},
    )
    assert r.status == 200, await r.text()
    await portal.login("cible@live.fr", "Nouveau2025!")
    r = await portal.get("/audit?action=account_locked", portal.admins["epagny"])
    entry = (await r.json())["items"][0]
    assert entry["ip"] == "127.0.0.1"


async def test_unknown_logins_are_throttled_like_real_ones(make_portal: Any) -> None:
    portal = await make_portal(
        login_free_failures=1, login_base_delay_seconds=5, login_max_delay_seconds=30
    )
    answers = []
    for login in ("existe@live.fr", "existe-pas@live.fr"):
        if login == "existe@live.fr":
            await portal.family(login)
        for _ in range(3):
            r = await portal.post("/login", {"login": login, "password": "Mauvais123"})
        answers.append(r.status)
    assert answers == [429, 429]


async def _answers(portal: Portal, logins: list[str]) -> list[tuple[int, dict, dict]]:
    """Each wrong-password attempt's status, body and headers, less what differs per request."""
    seen = []
    for login in logins:
        r = await portal.post("/login", {"login": login, "password": "Mauvais123"})
        headers = {k: v for k, v in r.headers.items() if k not in ("Date", "X-Request-ID")}
        body = {k: v for k, v in (await r.json()).items() if k != "request_id"}
        seen.append((r.status, body, headers))
    return seen


async def test_an_account_s_two_names_answer_like_two_unknown_names(make_portal: Any) -> None:
    """Failures under an account's email once made its second name (the part before the @)
    answer 429 while an unknown pair kept answering 401: its existence showed."""
    portal = await make_portal(
        login_free_failures=1, login_base_delay_seconds=5, login_max_delay_seconds=30
    )
    await portal.family("connue@live.fr")

    def sequence(email: str) -> list[str]:
        name = email.split("@")[0]
        return [email, email, name, name.upper(), email, name, name]

    known = await _answers(portal, sequence("connue@live.fr"))
    unknown = await _answers(portal, sequence("inconnue@live.fr"))
    assert known == unknown
    assert [status for status, _, _ in known] == [401, 401, 401, 401, 429, 429, 429]
    # Each name is still throttled on its own (Retry-After said alike).
    assert known[4][2]["Retry-After"] == "5"


async def test_forwarded_for_only_with_a_trusted_proxy(make_portal: Any) -> None:
    portal = await make_portal(trusted_proxy_hops=1)
    await portal.client.post(
        "/tenants/epagny/login",
        json={"login": "x@live.fr", "password": "Mauvais123"},
        headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"},
    )
    r = await portal.get("/audit?action=login_failed", portal.admins["epagny"])
    assert (await r.json())["items"][0]["ip"] == "198.51.100.7"

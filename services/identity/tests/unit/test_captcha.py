"""ALTCHA captcha: a real solve/verify round trip with a tiny amount of work."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import altcha
import pytest

from identity.domain.captcha import Captcha, CaptchaSettings

KEY = b"k" * 32
# Same algorithm as production, but a few iterations so a solve takes milliseconds.
FAST = CaptchaSettings(hmac_key=KEY, cost=10, min_counter=5, max_counter=40)


def now() -> datetime:
    # The altcha library also checks expiry against the real clock: stay close to it.
    return datetime.now(UTC)


def solve(challenge: dict[str, Any]) -> str:
    """Do what the browser widget does, and encode the payload it would post."""
    parsed = altcha.Challenge.from_dict(json.loads(json.dumps(challenge)))
    solution = altcha.solve_challenge(parsed, timeout=10)
    assert solution is not None
    return altcha.Payload(parsed, solution).to_base64()


def reencode(payload: str, mutate) -> str:
    data = json.loads(base64.b64decode(payload))
    mutate(data)
    return base64.b64encode(json.dumps(data).encode()).decode()


def test_challenge_shape_for_the_widget() -> None:
    challenge = Captcha(FAST).create_challenge(now=now())
    assert set(challenge) == {"parameters", "signature"}
    parameters = challenge["parameters"]
    assert parameters["algorithm"] == "PBKDF2/SHA-256"
    assert parameters["cost"] == 10
    assert "keySignature" in parameters
    assert abs(parameters["expiresAt"] - (now() + timedelta(minutes=10)).timestamp()) < 5
    json.dumps(challenge)  # must be JSON-serializable as is


def test_solved_challenge_verifies() -> None:
    captcha = Captcha(FAST)
    payload = solve(captcha.create_challenge(now=now()))
    verdict = captcha.verify(payload, now=now())
    assert verdict.ok
    assert verdict.outcome == "ok"
    assert verdict.replay_key is not None and len(verdict.replay_key) == 64
    assert verdict.expires_at is not None and verdict.expires_at > now()


def test_replay_keys_differ_between_challenges() -> None:
    captcha = Captcha(FAST)
    first = captcha.verify(solve(captcha.create_challenge(now=now())), now=now())
    second = captcha.verify(solve(captcha.create_challenge(now=now())), now=now())
    assert first.replay_key != second.replay_key
    # The same payload gives the same key, which is how the service spots a replay.
    payload = solve(captcha.create_challenge(now=now()))
    assert (
        captcha.verify(payload, now=now()).replay_key
        == captcha.verify(payload, now=now()).replay_key
    )


def test_expired_challenge_is_refused() -> None:
    captcha = Captcha(FAST)
    payload = solve(captcha.create_challenge(now=now() - timedelta(minutes=11)))
    assert captcha.verify(payload, now=now()).outcome == "expired"


def test_expiry_uses_the_given_clock() -> None:
    captcha = Captcha(FAST)
    payload = solve(captcha.create_challenge(now=now()))
    assert captcha.verify(payload, now=now() + timedelta(minutes=11)).outcome == "expired"


def test_challenge_signed_with_another_key_is_refused() -> None:
    other = Captcha(CaptchaSettings(hmac_key=b"o" * 32, cost=10, min_counter=5, max_counter=40))
    payload = solve(other.create_challenge(now=now()))
    assert Captcha(FAST).verify(payload, now=now()).outcome == "invalid_signature"


def test_tampered_parameters_are_refused() -> None:
    captcha = Captcha(FAST)
    payload = solve(captcha.create_challenge(now=now()))

    def push_expiry(data: dict[str, Any]) -> None:
        data["challenge"]["parameters"]["expiresAt"] += 3600

    def lower_cost(data: dict[str, Any]) -> None:
        data["challenge"]["parameters"]["cost"] = 1

    def drop_expiry(data: dict[str, Any]) -> None:
        del data["challenge"]["parameters"]["expiresAt"]

    for mutate in (push_expiry, lower_cost, drop_expiry):
        assert captcha.verify(reencode(payload, mutate), now=now()).outcome == "invalid_signature"


def test_wrong_solution_is_refused() -> None:
    captcha = Captcha(FAST)
    payload = solve(captcha.create_challenge(now=now()))

    def wrong_key(data: dict[str, Any]) -> None:
        data["solution"]["derivedKey"] = "00" * 32

    assert captcha.verify(reencode(payload, wrong_key), now=now()).outcome == "invalid_solution"


def test_unsolved_challenge_is_refused() -> None:
    captcha = Captcha(FAST)
    challenge = captcha.create_challenge(now=now())
    payload = base64.b64encode(
        json.dumps(
            {"challenge": challenge, "solution": {"counter": 0, "derivedKey": "ab"}}
        ).encode()
    ).decode()
    assert captcha.verify(payload, now=now()).outcome == "invalid_solution"


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "not base64 !",
        base64.b64encode(b"not json").decode(),
        base64.b64encode(b"[1, 2]").decode(),
        base64.b64encode(b'{"challenge": {}, "solution": {}}').decode(),
        base64.b64encode(json.dumps({"algorithm": "SHA-256", "number": 1}).encode()).decode(),
        "A" * 10_000,
    ],
)
def test_malformed_payloads_are_refused(payload: str) -> None:
    assert Captcha(FAST).verify(payload, now=now()).outcome == "malformed"


def test_default_settings_are_production_grade() -> None:
    settings = CaptchaSettings(hmac_key=KEY)
    assert settings.algorithm == "PBKDF2/SHA-256"
    assert settings.ttl == timedelta(minutes=10)
    assert settings.cost * settings.min_counter >= 1_000_000


@pytest.mark.parametrize(
    "kwargs",
    [
        {"hmac_key": b"short"},
        {"hmac_key": KEY, "algorithm": "MD5"},
        {"hmac_key": KEY, "min_counter": 10, "max_counter": 5},
        {"hmac_key": KEY, "cost": 0},
        {"hmac_key": KEY, "ttl": timedelta(0)},
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CaptchaSettings(**kwargs)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        Captcha(FAST).create_challenge(now=datetime.now())

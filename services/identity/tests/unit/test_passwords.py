"""Password policy (pure, fast) and the argon2id hasher (a handful of real hashes)."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import argon2
import pytest

from identity.domain.passwords import (
    PasswordHasher,
    PasswordPolicy,
    common_passwords,
    is_common_password,
    normalize_password,
)

POLICY = PasswordPolicy()
EMAIL = "marie-helene.durand@exemple.fr"
NAMES = ("Marie-Hélène", "Durand")


def codes(password: str, *, email: str | None = EMAIL, names=NAMES, policy=POLICY) -> list[str]:
    return [problem.code for problem in policy.check(password, email=email, names=names)]


# --- policy ------------------------------------------------------------------


def test_good_password_has_no_problem() -> None:
    assert codes("Velo-Rouge-2024") == []


def test_passphrase_without_uppercase_is_refused_by_default_policy() -> None:
    assert codes("un cheval boit de l'eau 42") == ["no_uppercase"]


def test_too_short() -> None:
    problems = POLICY.check("Ab1xyzq", email=EMAIL, names=NAMES)
    assert [p.code for p in problems] == ["too_short"]
    assert problems[0].message == "Le mot de passe doit contenir au moins 8 caractères."


def test_min_length_in_message_follows_policy() -> None:
    policy = PasswordPolicy(min_length=12)
    [problem] = policy.check("Abcdefgh123", email=None, names=())
    assert problem.code == "too_short"
    assert "12 caractères" in problem.message


def test_128_characters_accepted_and_129_refused() -> None:
    base = "Zq7" + "x" * 125
    assert len(base) == 128
    assert codes(base) == []
    assert codes(base + "y") == ["too_long"]


def test_policy_cannot_forbid_long_passwords() -> None:
    with pytest.raises(ValueError):
        PasswordPolicy(max_length=64)
    with pytest.raises(ValueError):
        PasswordPolicy(min_length=0)


def test_missing_uppercase_and_digit_reported_together() -> None:
    assert codes("tortue-volante") == ["no_uppercase", "no_digit"]


def test_uppercase_and_digit_requirements_can_be_relaxed() -> None:
    policy = PasswordPolicy(require_upper=False, require_digit=False)
    assert codes("tortue-volante", policy=policy) == []


def test_accented_capital_counts_as_uppercase() -> None:
    assert codes("Été-chaud-1987") == []


@pytest.mark.parametrize(
    "password",
    [
        "Durand2024!",  # last name
        "xxDURANDxx9",  # last name, other case, inside
        "Helene-1234",  # part of a composed first name, accents ignored
        "Marie-Hélène9",  # the whole first name
        "Marie.Helene.Durand7X",
    ],
)
def test_personal_data_is_refused(password: str) -> None:
    assert "contains_personal_data" in codes(password)


def test_email_local_part_is_refused_even_without_names() -> None:
    assert codes("Kevin.Leroy88", email="kevin.leroy@exemple.fr", names=()) == [
        "contains_personal_data"
    ]
    # The domain is not personal data.
    assert codes("Exemple-Plage-77", email="kevin.leroy@exemple.fr", names=()) == []


def test_short_name_parts_are_ignored() -> None:
    # "Li" and "Bo" are too short to be meaningful; refusing "li" anywhere would be absurd.
    assert codes("Poulie-Bobine-31", email="li.bo@exemple.fr", names=("Li", "Bo")) == []


def test_missing_personal_data_is_fine() -> None:
    assert codes("Velo-Rouge-2024", email=None, names=(None, "")) == []


def test_common_password_is_refused_case_insensitively() -> None:
    assert "too_common" in codes("Password1")
    assert "too_common" in codes("AZERTY")
    problems = POLICY.check("Password1", email=None, names=())
    assert [p.code for p in problems] == ["too_common"]
    assert problems[0].message.startswith("Ce mot de passe est trop courant")


def test_every_message_is_french_and_non_empty() -> None:
    problems = POLICY.check("durand", email=EMAIL, names=NAMES)
    assert {p.code for p in problems} == {
        "too_short",
        "no_uppercase",
        "no_digit",
        "contains_personal_data",
    }
    assert all(p.message.startswith("Le mot de passe") for p in problems)
    long_problems = POLICY.check("A1" + "z" * 200, email=None, names=())
    assert [p.message for p in long_problems] == [
        "Le mot de passe ne doit pas dépasser 128 caractères."
    ]


# --- common-passwords list ---------------------------------------------------


def test_common_password_list_is_loaded_once_and_complete() -> None:
    passwords = common_passwords()
    assert len(passwords) == 10_000
    assert common_passwords() is passwords
    assert {"123456", "password", "qwerty", "azerty", "soleil"} <= passwords
    assert all(p == p.lower() and not p.startswith("#") for p in passwords)


def test_is_common_password() -> None:
    assert is_common_password("123456")
    assert is_common_password("Dragon")
    assert not is_common_password("Velo-Rouge-2024")


def test_normalization_unifies_composed_and_decomposed_accents() -> None:
    assert normalize_password("e\u0301te\u0301") == normalize_password("\u00e9t\u00e9")


# --- hasher ------------------------------------------------------------------


@pytest.fixture(scope="module")
def hasher():
    hasher = PasswordHasher()
    yield hasher
    hasher.close()


async def test_hash_then_verify(hasher: PasswordHasher) -> None:
    password_hash = await hasher.hash("Velo-Rouge-2024")
    assert password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await hasher.verify(password_hash, "Velo-Rouge-2024")
    assert not await hasher.verify(password_hash, "velo-rouge-2024")
    assert not hasher.needs_rehash(password_hash)
    # Unicode normalization: the decomposed form of the same password still matches.
    accented = await hasher.hash("\u00c9t\u00e9-1987")
    assert await hasher.verify(accented, "E\u0301te\u0301-1987")


async def test_dummy_verify_is_always_false(hasher: PasswordHasher) -> None:
    assert await hasher.dummy_verify("anything") is False
    assert await hasher.dummy_verify("anything") is False


def test_needs_rehash_for_weaker_parameters(hasher: PasswordHasher) -> None:
    # A legacy hash made with lower parameters (cheap to create, hence fast here).
    legacy = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("x")
    assert hasher.needs_rehash(legacy)


async def test_verify_against_legacy_hash_still_works(hasher: PasswordHasher) -> None:
    legacy = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("Ancien-1")
    assert await hasher.verify(legacy, "Ancien-1")


async def test_corrupt_hash_raises(hasher: PasswordHasher) -> None:
    with pytest.raises(argon2.exceptions.InvalidHashError):
        await hasher.verify("not-a-hash", "whatever")


async def test_absurdly_long_password_is_refused_without_error(hasher: PasswordHasher) -> None:
    legacy = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("x")
    assert not await hasher.verify(legacy, "x" * 100_000)
    with pytest.raises(ValueError):
        await hasher.hash("x" * 100_000)


async def test_hashing_does_not_block_the_event_loop() -> None:
    """While a deliberately slow hash runs, the loop keeps ticking."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        slow = PasswordHasher(time_cost=6, memory_cost=19_456, executor=executor)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        task = asyncio.create_task(ticker())
        started = time.perf_counter()
        await slow.hash("Velo-Rouge-2024")
        elapsed = time.perf_counter() - started
        task.cancel()
        slow.close()  # does not shut down a caller-provided executor
        assert executor.submit(int, "1").result() == 1
    # At least a few ticks per 10 ms of hashing; a blocked loop would give ~1.
    assert ticks >= max(3, int(elapsed / 0.01))


@pytest.mark.parametrize(
    ("memory_cost", "time_cost"),
    [(19_456, 1), (9_216, 2), (65_536, 0)],
)
def test_parameters_below_owasp_are_refused(memory_cost: int, time_cost: int) -> None:
    with pytest.raises(ValueError):
        PasswordHasher(memory_cost=memory_cost, time_cost=time_cost)


def test_other_owasp_configuration_is_accepted() -> None:
    PasswordHasher(memory_cost=47_104, time_cost=1).close()

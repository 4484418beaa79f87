"""Password rules shown to families, and the argon2id hashing of passwords.

The policy follows NIST SP 800-63B in spirit: a minimum length, long passwords
accepted, a deny-list of common passwords and of the person's own data. The
upper-case and digit requirements are kept because municipalities ask for them.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import string
import unicodedata
from collections.abc import Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import argon2
from argon2.exceptions import VerificationError

# Never accept a policy that truncates or refuses long passphrases.
MIN_ACCEPTED_MAX_LENGTH: Final = 128
# Personal-data parts shorter than this ("Li", "Jo") would reject too many good passwords.
MIN_PERSONAL_PART_LENGTH: Final = 3
# Hard ceiling for hashing, far above any policy: a megabyte "password" must not cost CPU.
MAX_HASHABLE_LENGTH: Final = 1024

_COMMON_PASSWORDS_FILE: Final = "common-passwords.txt"


@dataclass(frozen=True, slots=True)
class PasswordProblem:
    """One reason a password is refused: a stable code for clients, a French text for people."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """What a new password must satisfy; defaults are the portal's policy."""

    min_length: int = 8
    max_length: int = 128
    require_upper: bool = True
    require_digit: bool = True

    def __post_init__(self) -> None:
        if self.min_length < 1:
            raise ValueError("min_length must be at least 1")
        if self.max_length < MIN_ACCEPTED_MAX_LENGTH:
            raise ValueError(f"max_length must be at least {MIN_ACCEPTED_MAX_LENGTH}")
        if self.max_length > MAX_HASHABLE_LENGTH:
            raise ValueError(f"max_length must be at most {MAX_HASHABLE_LENGTH}")
        if self.min_length > self.max_length:
            raise ValueError("min_length must not exceed max_length")

    def check(
        self, password: str, *, email: str | None, names: Iterable[str | None] = ()
    ) -> list[PasswordProblem]:
        """Return every problem at once (empty list: accepted) so the form shows them together.

        `email` and `names` (first name, last name, ...) are the person's own data,
        which must not appear in the password.
        """
        password = normalize_password(password)
        problems: list[PasswordProblem] = []
        length = len(password)
        if length < self.min_length:
            problems.append(
                PasswordProblem(
                    "too_short",
                    f"Le mot de passe doit contenir au moins {self.min_length} caractères.",
                )
            )
        if length > self.max_length:
            problems.append(
                PasswordProblem(
                    "too_long",
                    f"Le mot de passe ne doit pas dépasser {self.max_length} caractères.",
                )
            )
        if self.require_upper and not any(char.isupper() for char in password):
            problems.append(
                PasswordProblem(
                    "no_uppercase",
                    "Le mot de passe doit contenir au moins une lettre majuscule.",
                )
            )
        if self.require_digit and not any(char.isdigit() for char in password):
            problems.append(
                PasswordProblem("no_digit", "Le mot de passe doit contenir au moins un chiffre.")
            )
        if _contains_personal_data(password, email=email, names=names):
            problems.append(
                PasswordProblem(
                    "contains_personal_data",
                    "Le mot de passe ne doit contenir ni votre nom ni votre adresse e-mail.",
                )
            )
        if is_common_password(password):
            problems.append(
                PasswordProblem(
                    "too_common",
                    "Ce mot de passe est trop courant et facile à deviner : "
                    "choisissez-en un autre.",
                )
            )
        return problems


_TEMPORARY_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "lIO0o1")


def temporary_password(length: int = 14) -> str:
    """Random, readable over the phone (no l/I/O/0), with an upper-case letter and a digit."""
    while True:
        candidate = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(length))
        if any(c.isupper() for c in candidate) and any(c.isdigit() for c in candidate):
            return candidate


def normalize_password(password: str) -> str:
    """NFKC-normalize so "é" typed on a phone or on a PC gives the same password (NIST)."""
    return unicodedata.normalize("NFKC", password)


def _fold(text: str) -> str:
    """Case- and accent-insensitive form: "Hélène" and "HELENE" must both match "helene"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _personal_parts(email: str | None, names: Iterable[str | None]) -> set[str]:
    """Whole values and their words: "jean-marc.dupont@x.fr" gives jean-marc.dupont, jean, ..."""
    sources: list[str] = []
    if email:
        sources.append(email.rpartition("@")[0] or email)
    sources.extend(name for name in names if name)
    parts: set[str] = set()
    for source in sources:
        folded = _fold(source).strip()
        parts.add(folded)
        parts.update(re.split(r"[\W_]+", folded))
    return {part for part in parts if len(part) >= MIN_PERSONAL_PART_LENGTH}


def _contains_personal_data(
    password: str, *, email: str | None, names: Iterable[str | None]
) -> bool:
    folded = _fold(password)
    return any(part in folded for part in _personal_parts(email, names))


@cache
def common_passwords() -> frozenset[str]:
    """The shipped deny-list, read once per process (about 10,000 lowercase entries)."""
    text = (
        resources.files(__package__)
        .joinpath("data", _COMMON_PASSWORDS_FILE)
        .read_text(encoding="utf-8")
    )
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def is_common_password(password: str) -> bool:
    """Lowercased lookup, so "Azerty" and "PASSWORD1" are caught like "azerty"."""
    return normalize_password(password).lower() in common_passwords()


# OWASP Password Storage Cheat Sheet: equivalent argon2id minimums as
# (memory_cost in KiB, time_cost); any one of them is acceptable.
_OWASP_ARGON2ID_MINIMUMS: Final = ((47_104, 1), (19_456, 2), (12_288, 3), (9_216, 4), (7_168, 5))


def _meets_owasp_minimum(*, memory_cost: int, time_cost: int) -> bool:
    return any(
        memory_cost >= min_memory and time_cost >= min_time
        for min_memory, min_time in _OWASP_ARGON2ID_MINIMUMS
    )


class PasswordHasher:
    """argon2id hashing run in worker threads, so a login never stalls the event loop.

    argon2-cffi releases the GIL while hashing, so threads give real parallelism.
    Passwords are NFKC-normalized before hashing and before verifying.
    """

    def __init__(
        self,
        *,
        time_cost: int = 2,
        memory_cost: int = 19_456,
        parallelism: int = 1,
        executor: Executor | None = None,
        max_workers: int = 2,
    ) -> None:
        if parallelism < 1 or not _meets_owasp_minimum(
            memory_cost=memory_cost, time_cost=time_cost
        ):
            raise ValueError("argon2id parameters are below the OWASP minimum")
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        # Each hash holds memory_cost KiB: the pool size bounds memory use under a login storm.
        self._owns_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="argon2"
        )
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        """Hash a new password (check it against the policy first)."""
        password = _hashable(password)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches; a corrupt stored hash raises InvalidHashError."""
        if len(password) > MAX_HASHABLE_LENGTH:
            # Still spend the usual time, so the answer does not reveal the early exit.
            await self.dummy_verify(password[:MAX_HASHABLE_LENGTH])
            return False
        password = normalize_password(password)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, self._verify_sync, password_hash, password
        )

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash used older/weaker parameters: re-hash after a successful login."""
        return self._hasher.check_needs_rehash(password_hash)

    async def dummy_verify(self, password: str) -> bool:
        """Verify against a throw-away hash for unknown e-mails: same timing, always False."""
        if self._dummy_hash is None:
            # Computed once, lazily, with the same parameters as real hashes.
            self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
        await self.verify(self._dummy_hash, password[:MAX_HASHABLE_LENGTH])
        return False

    def close(self) -> None:
        """Stop the worker threads this hasher created (not a caller-provided executor)."""
        if self._owns_executor:
            self._executor.shutdown(wait=True)

    def _verify_sync(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except VerificationError:
            # Mismatch (VerifyMismatchError is a subclass) or a hash argon2 cannot check.
            return False


def _hashable(password: str) -> str:
    if len(password) > MAX_HASHABLE_LENGTH:
        raise ValueError(f"password longer than {MAX_HASHABLE_LENGTH} characters")
    return normalize_password(password)

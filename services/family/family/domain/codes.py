"""Subscriber codes ("code abonné"): sent by letter, typed by a family to link its account.

Ten characters from an alphabet without look-alikes (no I, L, O, 0, 1): 31 symbols, about
49.5 bits, printed as two groups of five (``K7QX9-M2HTA``). Guessing is hopeless against the
per-account throttling (a handful of tries per quarter hour). Case, spaces and dashes do not
matter when a family types it.
"""

from __future__ import annotations

import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 10
_IGNORED = " -_.\t"


def generate() -> str:
    """A new random code, in its stored form (no dash)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """How the letter prints it: two groups of five."""
    return f"{code[:5]}-{code[5:]}" if len(code) == LENGTH else code


def normalise(typed: str) -> str | None:
    """What a person typed → the stored form, or None when it cannot be a code."""
    compact = "".join(c for c in typed.upper() if c not in _IGNORED)
    if len(compact) != LENGTH or any(c not in ALPHABET for c in compact):
        return None
    return compact

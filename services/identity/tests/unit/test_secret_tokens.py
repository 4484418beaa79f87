"""Link and refresh tokens: randomness, shape, and digest-only storage."""

from __future__ import annotations

import base64
import hashlib

from identity.domain.secret_tokens import (
    TokenPurpose,
    digest_matches,
    looks_like_token,
    new_secret_token,
    token_digest,
)


def test_token_has_256_bits_and_url_safe_shape() -> None:
    token = new_secret_token(TokenPurpose.PASSWORD_RESET)
    raw = base64.urlsafe_b64decode(token.value + "=")
    assert len(raw) == 32
    assert looks_like_token(token.value)


def test_tokens_are_unique() -> None:
    values = {new_secret_token(TokenPurpose.REFRESH).value for _ in range(1_000)}
    assert len(values) == 1_000


def test_digest_is_sha256_hex_of_purpose_and_value() -> None:
    token = new_secret_token(TokenPurpose.INVITATION)
    expected = hashlib.sha256(f"invitation:{token.value}".encode()).hexdigest()
    assert token.digest == expected == token_digest(TokenPurpose.INVITATION, token.value)
    assert len(token.digest) == 64
    assert token.value not in token.digest


def test_digest_depends_on_purpose() -> None:
    token = new_secret_token(TokenPurpose.PASSWORD_RESET)
    assert token_digest(TokenPurpose.EMAIL_VERIFICATION, token.value) != token.digest


def test_digest_matches() -> None:
    token = new_secret_token(TokenPurpose.EMAIL_VERIFICATION)
    assert digest_matches(TokenPurpose.EMAIL_VERIFICATION, token.value, token.digest)
    assert not digest_matches(TokenPurpose.PASSWORD_RESET, token.value, token.digest)
    altered = token.value[:-1] + ("A" if token.value[-1] != "A" else "B")
    assert not digest_matches(TokenPurpose.EMAIL_VERIFICATION, altered, token.digest)


def test_value_is_kept_out_of_repr() -> None:
    token = new_secret_token(TokenPurpose.REFRESH)
    assert token.value not in repr(token)
    assert token.digest in repr(token)


def test_looks_like_token_rejects_junk() -> None:
    assert not looks_like_token("")
    assert not looks_like_token("a" * 42)
    assert not looks_like_token("a" * 44)
    assert not looks_like_token("a" * 42 + "=")
    assert not looks_like_token("a" * 42 + "\n")
    assert not looks_like_token("x" * 10_000)

"""Access tokens signed by a throwaway Ed25519 key, served through a JWKS like identity's."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenFactory:
    issuer = "portail-famille-identity-test"
    audience = "portail-famille"

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.kid = uuid.uuid4().hex[:16]

    def jwks(self) -> dict[str, Any]:
        public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": _b64(public),
                    "kid": self.kid,
                    "alg": "EdDSA",
                    "use": "sig",
                }
            ]
        }

    def claims(
        self,
        *,
        tenant: str = "testville",
        roles: tuple[str, ...] = ("family",),
        account_id: str | None = None,
        household_id: str | None = None,
        ttl: int = 300,
        **extra: Any,
    ) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": account_id or str(uuid.uuid4()),
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            "tenant": tenant,
            "roles": list(roles),
            "scope": "full",
            "terms_pending": False,
        }
        if household_id:
            claims["household_id"] = household_id
        claims.update(extra)
        return claims

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: Ed25519PrivateKey | None = None,
        kid: str | None = None,
    ) -> str:
        return jwt.encode(
            claims, key or self.key, algorithm="EdDSA", headers={"kid": kid or self.kid}
        )

    def token(self, **kwargs: Any) -> str:
        return self.sign(self.claims(**kwargs))

    def header(self, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**kwargs)}"}

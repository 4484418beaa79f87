"""What a running family service holds besides the foundation's state: the health vault."""

from __future__ import annotations

from aiohttp import web

from shared.vault import Vault

VAULT: web.AppKey[Vault] = web.AppKey("family_vault", Vault)

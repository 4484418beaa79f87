"""`Idempotency-Key` on the POSTs that create (as payment APIs do, and the IETF draft
"The Idempotency-Key HTTP Header Field" describes): a client that lost the answer to a
creation sends the same request again with the same key and gets the first answer, not a
second household, basket or account.

- Same key, same request (method, path and body, byte for byte) → the first answer replayed:
  its status, body, `Location` and `Content-Type`, with `Idempotent-Replayed: true`.
- Same key, another request → 422 naming the header (a key names one request).
- Same key while the first request still runs → 409 « en cours » with `Retry-After: 1`: the
  client retries and then gets the stored answer. (Not waiting in the server: a waiting
  request would hold a connection and a worker for as long as the first one runs.)
- Only a success (2xx) is kept, for 24 hours: a refusal or a failure leaves no trace, so the
  same request can be sent again and runs afresh.
- A key belongs to its caller: the tenant of the URL and the account of the token (for the
  calls without a token, such as a sign-up, the tenant's anonymous callers together), so
  nobody can replay another family's answer.
- The key itself is not stored (only a digest with its caller), and the answer's body is
  sealed with a key derived from it: what the table holds (an account's temporary password,
  say) is of no use without the client's key.

Each service that uses it has the `idempotency_keys` table in its schema (its migration:
family 0010, identity 0008, booking 0019, billing 0016). JSON bodies only: a multipart body
with a key is refused (400), since its fingerprint would consume the upload's stream. The
first request's record is committed before it runs, naming the database connection that
claimed it (`owner_pid`, a connection of the process's pool): once that connection is gone
(the process died: kill -9, a crash) the key is taken over at once by the client's retry, not
after `IN_PROGRESS_SECONDS` (the fallback, for a process alive but hung). (A connection cut
by the database while its process lives frees the key too: the rare second run of a request
in that window, against a minute of 409 after every crash.)
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import os
import random
import re
from collections.abc import Awaitable, Callable

import asyncpg
from aiohttp import web
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.auth import CALLER
from shared.errors import Problem
from shared.keys import POOL
from shared.logging import get_logger

log = get_logger(__name__)

HEADER = "Idempotency-Key"
KEEP_SECONDS = 24 * 3600
# A first request still marked running after this is taken to have died with its process
# (no request runs this long: the pool's statement timeout is 30 s).
IN_PROGRESS_SECONDS = 60
# Answer headers a replay gives again (the body's type, the created resource).
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")
# Printable ASCII without spaces, as clients generate them (a UUID, a random token).
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# Expired keys are deleted now and then by the requests that bring keys.
PURGE_ONE_IN = 100

MARK = "__idempotent__"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def idempotent(handler: Handler) -> Handler:
    """Accept `Idempotency-Key` on this handler (a POST that creates; a JSON body). Put it
    below `@doc`, which then documents the header."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        key = request.headers.get(HEADER)
        if key is None:
            return await handler(request)
        return await _run(request, handler, key)

    setattr(wrapper, MARK, True)
    return wrapper


def _problem_invalid() -> Problem:
    return Problem(
        400,
        "idempotency-key-invalid",
        "Invalid Idempotency-Key",
        "L'en-tête Idempotency-Key doit contenir de 1 à 255 caractères ASCII visibles.",
        errors=[{"field": HEADER, "detail": "Valeur invalide."}],
    )


def caller_of(request: web.Request) -> str:
    """Whose key it is: the URL's tenant and the token's account (`-`: no token)."""
    caller = request.get(CALLER)
    tenant = request.match_info.get("tenant") or (caller.tenant if caller else "")
    return f"{tenant}|{caller.account_id if caller else '-'}"


def stored_key(caller: str, key: str) -> str:
    """What the table holds of a key: its digest with the caller's identity."""
    return hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest()


def _cipher(key: str) -> AESGCM:
    return AESGCM(hashlib.sha256(f"idempotency-answer\n{key}".encode()).digest())


def seal(key: str, body: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + _cipher(key).encrypt(nonce, body, None)


def unseal(key: str, sealed: bytes) -> bytes:
    return _cipher(key).decrypt(sealed[:12], sealed[12:], None)


async def fingerprint(request: web.Request, key: str) -> str:
    """The request's method, path and body, keyed by the client's key (a body may hold a
    password: without the key, the digest cannot be tested against guesses)."""
    body = await request.read()  # aiohttp keeps it: the handler reads it again
    digest = hmac.new(key.encode(), f"{request.method} {request.rel_url}\n".encode(), "sha256")
    digest.update(body)
    return digest.hexdigest()


async def _run(request: web.Request, handler: Handler, key: str) -> web.StreamResponse:
    if not _KEY.fullmatch(key):
        raise _problem_invalid()
    if request.content_type.startswith("multipart/"):
        # Its fingerprint would consume the stream the handler reads: not offered there.
        raise Problem(
            400,
            "idempotency-key-unsupported",
            "Idempotency-Key not supported with multipart bodies",
            "L'en-tête Idempotency-Key n'est accepté que pour un corps JSON.",
            errors=[{"field": HEADER, "detail": "Non accepté pour un envoi de fichiers."}],
        )
    pool: asyncpg.Pool = request.app[POOL]
    caller, print_ = caller_of(request), await fingerprint(request, key)
    secret, key = key, stored_key(caller, key)
    if random.randrange(PURGE_ONE_IN) == 0:
        await purge(pool)
    for _ in range(3):
        if await claim(pool, caller, key, print_):
            return await _first(request, handler, pool, caller, key, secret)
        row = await pool.fetchrow(
            "SELECT fingerprint, status, headers, body FROM idempotency_keys"
            " WHERE caller = $1 AND key = $2",
            caller,
            key,
        )
        if row is None:  # the first request failed in between: this one runs
            continue
        if row["fingerprint"] != print_:
            raise Problem(
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused for another request",
                "Cette clé Idempotency-Key a déjà servi pour une autre requête : utilisez une"
                " nouvelle clé pour une nouvelle demande.",
                errors=[{"field": HEADER, "detail": "Déjà utilisée pour une autre requête."}],
            )
        if row["status"] is None:
            raise Problem(
                409,
                "idempotency-key-in-progress",
                "A request with this Idempotency-Key is in progress",
                "Une demande identique est en cours de traitement : réessayez dans un instant.",
                headers={"Retry-After": "1"},
            )
        headers = {**(row["headers"] or {}), "Idempotent-Replayed": "true"}
        body = unseal(secret, row["body"])
        return web.Response(status=row["status"], body=body, headers=headers)
    raise Problem(
        409,
        "idempotency-key-in-progress",
        "A request with this Idempotency-Key is in progress",
        "Une demande identique est en cours de traitement : réessayez dans un instant.",
        headers={"Retry-After": "1"},
    )


async def _first(
    request: web.Request,
    handler: Handler,
    pool: asyncpg.Pool,
    caller: str,
    key: str,
    secret: str,
) -> web.StreamResponse:
    """The first request with this key: run it, keep its answer if it succeeded."""
    try:
        response = await handler(request)
    except BaseException:
        # No answer to give again: the same request may run afresh.
        await asyncio.shield(release(pool, caller, key))
        raise
    body = getattr(response, "body", None)
    if 200 <= response.status < 300 and isinstance(body, bytes):
        headers = {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}
        try:
            sealed = seal(secret, body)
            await asyncio.shield(keep(pool, caller, key, response.status, headers, sealed))
        except Exception:
            # The creation is done: answer it; the key is taken over after a while.
            log.exception("idempotency_key_not_kept", key=key)
    else:
        await asyncio.shield(release(pool, caller, key))
    return response


async def claim(pool: asyncpg.Pool, caller: str, key: str, print_: str) -> bool:
    """Record the key as running for this request; False when it is already recorded (and
    neither expired nor abandoned: its claiming connection gone, or running too long)."""
    return bool(
        await pool.fetchval(
            """INSERT INTO idempotency_keys (caller, key, fingerprint, owner_pid)
               VALUES ($1, $2, $3, pg_backend_pid())
               ON CONFLICT (caller, key) DO UPDATE
                   SET fingerprint = EXCLUDED.fingerprint, status = NULL, headers = NULL,
                       body = NULL, created_at = now(), owner_pid = EXCLUDED.owner_pid
                   WHERE idempotency_keys.created_at <= now() - make_interval(secs => $4)
                      OR (idempotency_keys.status IS NULL
                          AND (idempotency_keys.created_at
                                   <= now() - make_interval(secs => $5)
                               OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                                              WHERE a.pid = idempotency_keys.owner_pid)))
               RETURNING true""",
            caller,
            key,
            print_,
            float(KEEP_SECONDS),
            float(IN_PROGRESS_SECONDS),
        )
    )


async def keep(
    pool: asyncpg.Pool, caller: str, key: str, status: int, headers: dict[str, str], body: bytes
) -> None:
    await pool.execute(
        "UPDATE idempotency_keys SET status = $3, headers = $4::jsonb, body = $5"
        " WHERE caller = $1 AND key = $2",
        caller,
        key,
        status,
        headers,  # the pools encode jsonb from Python values (`shared.db`)
        body,
    )


async def release(pool: asyncpg.Pool, caller: str, key: str) -> None:
    await pool.execute(
        "DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 AND status IS NULL",
        caller,
        key,
    )


async def purge(pool: asyncpg.Pool) -> None:
    """Forget the keys older than KEEP_SECONDS (a bounded batch)."""
    await pool.execute(
        """DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
               SELECT ctid FROM idempotency_keys
               WHERE created_at <= now() - make_interval(secs => $1) LIMIT 1000))""",
        float(KEEP_SECONDS),
    )

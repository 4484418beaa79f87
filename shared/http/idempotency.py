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
- Only a success (2xx) is kept, for 24 hours: a refusal or a failure leaves no trace (what
  its units of work wrote is rolled back with it), so the same request can be sent again
  and runs afresh.
- A key belongs to its caller: the tenant of the URL and the account of the token (for the
  calls without a token, such as a sign-up, the tenant's anonymous callers together), so
  nobody can replay another family's answer.
- The key itself is not stored (only a digest with its caller), and the answer's body is
  sealed with a key derived from it: what the table holds (an account's temporary password,
  say) is of no use without the client's key.

Each service that uses it has the `idempotency_keys` table in its schema (its migration:
family 0010, identity 0008, booking 0019, billing 0016). JSON bodies only: a multipart body
with a key is refused (400), since its fingerprint would consume the upload's stream.

The creation and its answer commit together. The first request's record is committed before
it runs (the claim), naming the database connection that claimed it (`owner_pid`, a
connection of the process's pool). The handler then runs with a shared transaction
(`shared.uow.SharedTransaction`): the units of work its use cases open through
`unit_of_work(app)` join it instead of committing, and the answer is stored in it, under the
claim, before the one commit. So after any crash (kill -9 between the creation and the
answer, the database cut) there is either both, and the retry gets the answer, or neither,
and the retry runs afresh: never a second household, basket or account. The process gone,
its claiming connection is gone too, and the retry takes the key over at once, not after
`IN_PROGRESS_SECONDS` (the fallback, for a process alive but hung). A retry that took a key
over while the first request still ran (its claiming connection cut by the database while
its process lives: rare) wins: the first one's answer is stored only under its own claim,
else its change is rolled back and it answers 409 « en cours ».

What the handler reads back after its use case (billing reads the created payment) is read
through `shared.uow.reading(pool)`: the pool's other connections do not see the creation
before the commit. Only `unit_of_work(app)` joins (in the request's own task): a
transaction a handler opens on the pool itself commits on its own, as before. A handler
whose change is written on another path than its unit of work
(booking's group commit of basket validations) leaves the shared transaction unused: its
answer is then stored just after the change, as before, and such a use case answers a retry
itself (a validated basket gives the answer its validation gave).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import hmac
import os
import random
import re
from collections.abc import Awaitable, Callable
from datetime import datetime

import asyncpg
from aiohttp import web
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.auth import CALLER
from shared.errors import Problem
from shared.keys import POOL
from shared.logging import get_logger
from shared.uow import SharedTransaction, share_transaction, stop_sharing

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
        claimed = await claim(pool, caller, key, print_)
        if claimed is not None:
            return await _first(request, handler, pool, caller, key, secret, claimed)
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
            raise _in_progress()
        headers = {**(row["headers"] or {}), "Idempotent-Replayed": "true"}
        body = unseal(secret, row["body"])
        return web.Response(status=row["status"], body=body, headers=headers)
    raise _in_progress()


async def _first(
    request: web.Request,
    handler: Handler,
    pool: asyncpg.Pool,
    caller: str,
    key: str,
    secret: str,
    claimed: Claim,
) -> web.StreamResponse:
    """The first request with this key: run it in one shared transaction (its units of work
    join it), then commit its creation together with its answer (a success), or nothing (a
    refusal, a failure)."""
    shared, token = share_transaction(pool)
    try:
        response = await handler(request)
    except BaseException:
        stop_sharing(token)
        # No answer to give again: the same request may run afresh.
        await asyncio.shield(_forget(shared, pool, caller, key, claimed))
        raise
    stop_sharing(token)
    body = getattr(response, "body", None)
    if not 200 <= response.status < 300:
        await asyncio.shield(_forget(shared, pool, caller, key, claimed))
        return response
    if not isinstance(body, bytes):
        # A streamed answer cannot be given again: the change commits, the key is freed.
        await asyncio.shield(_commit_unkept(shared, pool, caller, key, claimed))
        return response
    headers = {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}
    answer = Answer(response.status, headers, seal(secret, body))
    await asyncio.shield(_keep_and_commit(shared, pool, caller, key, claimed, answer))
    return response


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    sealed: bytes


async def _keep_and_commit(
    shared: SharedTransaction,
    pool: asyncpg.Pool,
    caller: str,
    key: str,
    claimed: Claim,
    answer: Answer,
) -> None:
    if not shared.started:
        # Nothing written in the shared transaction (no unit of work entered, or one that
        # writes on its own path, as booking's group commit of validations, which answers a
        # retry itself): the answer is stored on its own, after the change.
        try:
            await shared.commit()  # refused when a failing unit of work undid the others
        except BaseException:
            await _forget(shared, pool, caller, key, claimed)
            raise
        try:
            if not await keep(pool, caller, key, claimed, answer):
                log.warning("idempotency_key_taken_over", key=key)
        except Exception:
            # The change is done: answer it; the key is taken over after a while.
            log.exception("idempotency_key_not_kept", key=key)
        return
    assert shared.conn is not None
    try:
        if not await keep(shared.conn, caller, key, claimed, answer):
            # Taken over by a retry while this one ran (its claiming connection lost): the
            # retry creates; this one's change must not commit too.
            raise _in_progress()
        await shared.commit()
    except BaseException:
        # Not committed (or, a commit cut short, committed with its answer: then the key
        # keeps it, `release` leaves an answered key alone).
        await _forget(shared, pool, caller, key, claimed)
        raise


async def _commit_unkept(
    shared: SharedTransaction, pool: asyncpg.Pool, caller: str, key: str, claimed: Claim
) -> None:
    try:
        await shared.commit()
    finally:
        await release(pool, caller, key, claimed)


async def _forget(
    shared: SharedTransaction, pool: asyncpg.Pool, caller: str, key: str, claimed: Claim
) -> None:
    await shared.roll_back()
    try:
        await release(pool, caller, key, claimed)
    except Exception:
        # The key stays claimed by a live connection: 409 until IN_PROGRESS_SECONDS.
        log.exception("idempotency_key_not_released", key=key)


def _in_progress() -> Problem:
    return Problem(
        409,
        "idempotency-key-in-progress",
        "A request with this Idempotency-Key is in progress",
        "Une demande identique est en cours de traitement : réessayez dans un instant.",
        headers={"Retry-After": "1"},
    )


# A claim's identity: a retry that takes the key over claims it anew (another time, another
# connection), and the first request's answer or release then no longer applies to it.
Claim = tuple[datetime, int]


async def claim(pool: asyncpg.Pool, caller: str, key: str, print_: str) -> Claim | None:
    """Record the key as running for this request; None when it is already recorded (and
    neither expired nor abandoned: its claiming connection gone, or running too long)."""
    row = await pool.fetchrow(
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
           RETURNING created_at, owner_pid""",
        caller,
        key,
        print_,
        float(KEEP_SECONDS),
        float(IN_PROGRESS_SECONDS),
    )
    return None if row is None else (row["created_at"], row["owner_pid"])


async def keep(
    conn: asyncpg.Pool | asyncpg.Connection,
    caller: str,
    key: str,
    claimed: Claim,
    answer: Answer,
) -> bool:
    """Store the answer under this request's claim; False when the key was taken over."""
    stored = await conn.fetchval(
        "UPDATE idempotency_keys SET status = $5, headers = $6::jsonb, body = $7"
        " WHERE caller = $1 AND key = $2 AND created_at = $3 AND owner_pid = $4"
        " RETURNING true",
        caller,
        key,
        *claimed,
        answer.status,
        answer.headers,  # the pools encode jsonb from Python values (`shared.db`)
        answer.sealed,
    )
    return bool(stored)


async def release(pool: asyncpg.Pool, caller: str, key: str, claimed: Claim) -> None:
    """Free the key of a request that left no answer (not one a retry has taken over)."""
    await pool.execute(
        "DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 AND status IS NULL"
        " AND created_at = $3 AND owner_pid = $4",
        caller,
        key,
        *claimed,
    )


async def purge(pool: asyncpg.Pool) -> None:
    """Forget the keys older than KEEP_SECONDS (a bounded batch)."""
    await pool.execute(
        """DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
               SELECT ctid FROM idempotency_keys
               WHERE created_at <= now() - make_interval(secs => $1) LIMIT 1000))""",
        float(KEEP_SECONDS),
    )

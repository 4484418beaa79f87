"""The whole suite under faults (issue 17): every service a process of its own behind the
gateway (tests/faults/conftest.py), families validating baskets for a few hot days while a
seeded random schedule kills each service (kill -9, restarted), stops and starts the broker,
crashes and restarts Postgres (the suite's own throwaway cluster: pg_ctl stop -m immediate,
then start), cuts every Postgres connection of the test's database, delivers an event twice
and publishes a poison message. Once settled: no basket lost, no day over capacity, each
confirmed day billed once, each email sent once, only the poison parked. Prints the
schedule (its seed: FAULTS_SEED=<seed> replays it) and a table of what was measured.

The families' client behaves as the portal's page does: on a lost connection, a 5xx, a 429
or a 409 « en cours », the same request again (same body, same Idempotency-Key), with
backoff; the answer it ends with is the basket's outcome.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import random
import re
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aio_pika
import aiohttp
import asyncpg

from shared.testing import plugin
from shared.testing.browser import (
    PASSWORD,
    STAFF,
    TENANT,
    client_address,
    household_of,
    paris_today,
)
from shared.testing.processes import start_broker, stop_broker
from tests.faults.cluster import Cluster

FAMILIES, DAYS, CAPACITY = 40, 3, 10
STREAM_SECONDS = 30.0  # the baskets' sending spread over this; the faults too
CLIENT_DEADLINE = 150.0  # a family gives up (a lost basket) after this
SETTLE_SECONDS = 120.0
# The crashed Postgres stays down this long, as the broker does: long enough for requests,
# relays, consumers and pools to meet a refused connection, not only a cut one.
PG_DOWN_SECONDS = 2.0
PORTS = {"identity": 8081, "family": 8082, "booking": 8083, "billing": 8084, "notify": 8085}
PORTS["web"] = 8086
WITH_OUTBOX = ["identity", "family", "booking", "billing", "notify"]
POISON_TYPE = "booking.WaitingListCancelled"  # consumed by notify alone
T = f"/tenants/{TENANT}"


class Api:
    """The public API through the gateway, as one client (its own address)."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base, self.address = http, f"{base}/api", client_address()

    async def call(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> tuple[int, Any, dict[str, str]]:
        async with self.http.request(
            method,
            f"{self.base}{path}",
            json=body,
            headers={**(headers or {}), "X-Forwarded-For": self.address},
            timeout=aiohttp.ClientTimeout(total=15),
        ) as r:
            text = await r.text()
            try:
                payload = json.loads(text) if text else None
            except ValueError:  # a proxy's error page
                payload = text
            return r.status, payload, {k.lower(): v for k, v in r.headers.items()}

    async def ok(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> Any:
        status, payload, _ = await self.call(method, path, headers, body)
        assert status in (200, 201), f"{method} {path}: {status} {payload}"
        return payload

    async def login(self, login: str, password: str = PASSWORD) -> dict[str, str]:
        token = await self.ok(
            "POST", f"/identity{T}/login", body={"login": login, "password": password}
        )
        return {"Authorization": f"Bearer {token['access_token']}"}


async def until(check: Any, *, timeout: float, interval: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(interval)


@dataclass
class Family:
    email: str
    household_id: str
    child_id: str
    api: Api
    headers: dict[str, str] = field(default_factory=dict)
    outcome: dict[str, Any] | None = None  # the validation's answer, once it came
    refusal: tuple[int, Any] | None = None  # a final 4xx instead
    attempts: Counter[str] = field(default_factory=Counter)
    started_at: float | None = None
    finished_at: float | None = None


# --- the town's setup and the families, through the gateway ------------------------------


async def hot_days(api: Api, staff: dict[str, str]) -> tuple[str, list[str]]:
    """A holiday week five weeks ahead with CAPACITY places a day, billed prepaid per day;
    its first DAYS days."""
    start = paris_today() + timedelta(days=35 - paris_today().weekday())
    activity = await api.ok(
        "POST",
        f"/booking{T}/activities",
        staff,
        {
            "name": "Centre de loisirs — semaine de vacances",
            "type": "VACANCES",
            "site": "Centre du Lac",
            "period_from": start.isoformat(),
            "period_to": (start + timedelta(days=4)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5],
            "capacity": CAPACITY,
            "booking_deadline": {"days_before": 2, "at": "23:59"},
            "cancel_deadline": {"days_before": 2, "at": "23:59"},
        },
    )
    regie = await api.ok(
        "POST",
        f"/billing{T}/regies",
        staff,
        {
            "code": "ENFANCE",
            "name": "Régie Enfance-Jeunesse",
            "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
            "email": "regie@demo.example",
        },
    )
    await api.ok(
        "PUT",
        f"/billing{T}/billing/activities/{activity['id']}",
        staff,
        {
            "regie_id": regie["id"],
            "name": "Centre de loisirs",
            "billing_mode": "prepaid",
            "unit": "day",
        },
    )
    await api.ok(
        "POST",
        f"/billing{T}/billing/activities/{activity['id']}/price-grids",
        staff,
        {
            "valid_from": (start - timedelta(days=60)).isoformat(),
            "brackets": [{"qf_min": 0, "qf_max": None, "amounts": [415]}],
        },
    )
    days = await api.ok("GET", f"/booking{T}/activities/{activity['id']}/days", staff)
    return activity["id"], [d["date"] for d in days["days"]][:DAYS]


async def new_family(
    http: aiohttp.ClientSession, base: str, staff: dict[str, str], run: str, i: int, activity: str
) -> Family:
    """Staff open the household and its account (a temporary password) and link them; the
    family changes its password, accepts the terms and enrolls its child."""
    api = Api(http, base)
    address = f"famille{i}.{run}@faults.example"
    child = {
        "first_name": f"Enfant{i}",
        "last_name": f"Famille{i}",
        "birth_date": "2017-05-03",
        "sex": "M",
        "school": "École du centre",
        "grade": "CE2",
    }
    opened = await api.ok(
        "POST",
        f"/family{T}/households",
        staff,
        household_of(address, "Camille", f"Famille{i}", [child]),
    )
    created = await api.ok(
        "POST",
        f"/identity{T}/accounts",
        staff,
        {
            "display_name": f"Camille Famille{i}",
            "email": address,
            "roles": ["family"],
            "mode": "temporary_password",
        },
    )
    await api.ok(
        "POST",
        f"/family{T}/households/{opened['id']}/accounts",
        staff,
        {"account_id": created["account"]["id"]},
    )
    temporary = await api.login(address, created["temporary_password"])
    tokens = await api.ok(
        "POST",
        f"/identity{T}/me/password",
        temporary,
        {"current_password": created["temporary_password"], "new_password": PASSWORD},
    )
    session = {"Authorization": f"Bearer {tokens['access_token']}"}
    family = Family(address, opened["id"], opened["children"][0]["id"], api)

    # Identity hears of the link (family's HouseholdLinked): the next token names it. Polled
    # on /me, not by logging in again (the gateway limits logins per address).
    async def linked() -> dict[str, Any] | None:
        me = await api.ok("GET", f"/identity{T}/me", session)
        return me if me["household_id"] == opened["id"] else None

    me = await until(linked, timeout=30, interval=0.2)
    headers = await api.login(address)
    if me["terms"]["must_accept"]:
        version = me["terms"]["current_version"]
        await api.ok("POST", f"/identity{T}/me/terms", headers, {"version": version})
        headers = await api.login(address)
    family.headers = headers

    async def enrolled() -> bool:
        body = {"child_id": family.child_id, "activity_id": activity}
        status, _, _ = await api.call("POST", f"/booking{T}/enrollments", family.headers, body)
        return status == 201

    await until(enrolled, timeout=30)
    return family


# --- the families' client: retries as the portal's page does --------------------------------


def retried(status: int | None, headers: dict[str, str]) -> bool:
    """What the page tries again: no answer, a server error, too many requests, and the
    idempotency's 409 « en cours » (it says when: Retry-After)."""
    return (
        status is None
        or status >= 500
        or status == 429
        or (status == 409 and "retry-after" in headers)
    )


# Requests on their way, per step: the kills aim at a busy moment (a validation in flight).
IN_FLIGHT: Counter[str] = Counter()


async def post_until_answered(
    family: Family, path: str, body: Any, deadline: float, step: str
) -> tuple[int, Any] | None:
    key = str(uuid.uuid4())
    delay = 0.2
    while time.monotonic() < deadline:
        family.attempts[step] += 1
        IN_FLIGHT[step] += 1
        try:
            status, payload, headers = await family.api.call(
                "POST", path, {**family.headers, "Idempotency-Key": key}, body
            )
        except (aiohttp.ClientError, TimeoutError):
            status, payload, headers = None, None, {}
        finally:
            IN_FLIGHT[step] -= 1
        if not retried(status, headers):
            assert status is not None
            return status, payload
        await asyncio.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 2, 2.0)
    return None


async def book(family: Family, activity: str, dates: list[str], start: float) -> None:
    deadline = start + CLIENT_DEADLINE
    family.started_at = start
    line = {"child_id": family.child_id, "activity_id": activity, "dates": dates}
    answer = await post_until_answered(
        family, f"/booking{T}/baskets", {"lines": [line]}, deadline, "create"
    )
    if answer is None:
        return
    if answer[0] != 201:
        family.refusal = answer
        return
    basket = answer[1]["id"]
    answer = await post_until_answered(
        family, f"/booking{T}/baskets/{basket}/validate", {}, deadline, "validate"
    )
    if answer is None:
        return
    if answer[0] == 200:
        family.outcome = answer[1]
    else:
        family.refusal = answer
    family.finished_at = time.monotonic()


# --- the faults -------------------------------------------------------------------------------


class Faults:
    def __init__(self, fs: Any, http: aiohttp.ClientSession, cluster: Cluster | None) -> None:
        self.fs, self.http, self.cluster = fs, http, cluster
        # Each Postgres restart: (seconds the server was away, seconds until every service
        # answered ready again, counted from its return).
        self.pg_restarts: list[tuple[float, float]] = []
        self.log: list[tuple[float, str, str]] = []
        self.consumers_back: float | None = None
        self.restarts: dict[str, float] = {}
        self.duplicated: list[str] = []
        self.poison_id = str(uuid.uuid4())
        self.failed: list[str] = []

    def pid(self, service: str) -> int:
        pattern = re.compile(rf"^\[dev\] {service} runs as pid (\d+)$")
        pids = [int(m[1]) for line in list(self.fs.stack.lines) if (m := pattern.match(line))]
        return pids[-1]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{PORTS[service] + self.fs.stack.offset}"

    async def ready(self, service: str) -> bool:
        try:
            async with self.http.get(
                f"{self.url(service)}/readyz",
                params={"strict": "1"},
                timeout=aiohttp.ClientTimeout(total=2),
            ) as r:
                return r.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def all_ready(self) -> bool:
        return all(await asyncio.gather(*(self.ready(s) for s in PORTS)))

    async def kill(self, service: str) -> str:
        if service == "booking":  # while a validation is on its way (5 s at most)
            for _ in range(500):
                if IN_FLIGHT["validate"]:
                    break
                await asyncio.sleep(0.01)
        pid = self.pid(service)
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()

        async def restarted() -> bool:
            return self.pid(service) != pid and await self.ready(service)

        await until(restarted, timeout=60, interval=0.1)
        self.restarts[service] = time.monotonic() - killed
        return f"pid {pid}, ready again in {self.restarts[service]:.1f} s"

    async def broker(self) -> str:
        await stop_broker()
        try:
            await asyncio.sleep(2)
        finally:
            await start_broker()
        back = time.monotonic()
        await until(self.all_ready, timeout=60, interval=0.1)
        self.consumers_back = time.monotonic() - back
        return f"down ~2 s; every consumer back {self.consumers_back:.1f} s after it returned"

    async def postgres(self) -> str:
        admin = await asyncpg.connect(self.cluster.admin_dsn if self.cluster else plugin.ADMIN_DSN)
        try:
            cut = await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.fs.database,
            )
        finally:
            await admin.close()
        return f"{len(cut)} connections cut"

    async def pg_restart(self) -> str:
        """The server crashed (every backend gone, crash recovery at its start) and started
        again, while a validation is on its way (5 s at most)."""
        assert self.cluster is not None
        for _ in range(500):
            if IN_FLIGHT["validate"]:
                break
            await asyncio.sleep(0.01)
        away = await self.cluster.restart(PG_DOWN_SECONDS)
        back = time.monotonic()
        await until(self.all_ready, timeout=60, interval=0.1)
        ready = time.monotonic() - back
        self.pg_restarts.append((away, ready))
        return f"away {away:.1f} s; every service ready {ready:.1f} s after it returned"

    async def publish(self, message: aio_pika.Message, routing_key: str) -> None:
        connection = await aio_pika.connect(plugin.AMQP_URL)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(
                self.fs.topology("booking").exchange, ensure=False
            )
            await exchange.publish(message, routing_key=routing_key, mandatory=True, timeout=10)
        finally:
            await connection.close()

    async def duplicate(self) -> str:
        """A copy of events already published (same message and event id), as the relay
        sends them: a booking's validation and an invoice."""
        db = await asyncpg.connect(self.fs.dsn)
        try:

            async def published() -> list[Any]:
                rows = []
                for schema, kind in (
                    ("booking", "booking.ReservationValidated"),
                    ("billing", "billing.InvoiceIssued"),
                ):
                    row = await db.fetchrow(
                        f"SELECT id, type, envelope::text AS body,"
                        " envelope ->> 'correlation_id' AS correlation_id,"
                        " envelope ->> 'tenant_id' AS tenant_id,"
                        " (envelope ->> 'version')::int AS version"
                        f" FROM {schema}.outbox WHERE type = $1 AND published_at IS NOT NULL"
                        " ORDER BY seq LIMIT 1",
                        kind,
                    )
                    if row is None:
                        return []
                    rows.append(row)
                return rows

            rows = await until(published, timeout=60, interval=0.5)
        finally:
            await db.close()
        for row in rows:
            await self.publish(
                aio_pika.Message(
                    row["body"].encode(),
                    message_id=str(row["id"]),
                    type=row["type"],
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    correlation_id=row["correlation_id"],
                    headers={"tenant_id": row["tenant_id"] or "", "version": row["version"]},
                ),
                row["type"],
            )
            self.duplicated.append(f"{row['type']} {row['id']}")
        return ", ".join(self.duplicated)

    async def poison(self) -> str:
        await self.publish(
            aio_pika.Message(
                b'{"type": "booking.WaitingListCancelled", "payload": ',
                message_id=self.poison_id,
                type=POISON_TYPE,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                headers={"tenant_id": TENANT, "version": 1},
            ),
            POISON_TYPE,
        )
        return f"message {self.poison_id} ({POISON_TYPE}, not JSON)"

    def schedule(self, rng: random.Random) -> list[tuple[float, str, Any]]:
        faults: list[tuple[str, Any]] = [(f"kill -9 {s}", lambda s=s: self.kill(s)) for s in PORTS]
        faults += [
            ("rabbitmqctl stop_app/start_app", self.broker),
            ("pg_terminate_backend (test database)", self.postgres),
            (
                ("pg_ctl stop -m immediate + start (own cluster)", self.pg_restart)
                if self.cluster is not None
                # Printed by the conftest: no cluster of the suite's own to restart.
                else ("pg_terminate_backend (instead of a restart: no own cluster)", self.postgres)
            ),
            ("an event delivered twice", self.duplicate),
            ("a poison message", self.poison),
        ]
        rng.shuffle(faults)
        times = sorted(rng.uniform(1.0, STREAM_SECONDS) for _ in faults)
        return [(at, name, run) for at, (name, run) in zip(times, faults, strict=True)]

    async def run(self, plan: list[tuple[float, str, Any]], start: float) -> None:
        for at, name, fault in plan:
            await asyncio.sleep(max(0.0, start + at - time.monotonic()))
            began = time.monotonic() - start
            try:
                detail = await fault()
            except Exception as exc:  # reported in the table; the others still run
                detail = f"FAILED: {exc!r}"
                self.failed.append(name)
            self.log.append((began, name, detail))
            print(f"[faults] t={began:5.1f} s  {name}: {detail}", flush=True)


# --- what is left once settled -------------------------------------------------------------


async def queue_depths(fs: Any) -> dict[str, int]:
    """Messages ready in each service's queue, its retry queues and its parked queue."""
    depths: dict[str, int] = {}
    connection = await aio_pika.connect(plugin.AMQP_URL)
    try:
        for service in fs.services:
            topology = fs.topology(service)
            names = [
                topology.queue,
                topology.parked,
                *map(topology.retry_queue, fs.retry_delays_ms),
            ]
            for name in names:
                channel = await connection.channel()
                try:
                    declared = await channel.declare_queue(name, passive=True)
                    depths[name] = declared.declaration_result.message_count or 0
                except aio_pika.exceptions.ChannelClosed:
                    continue  # a service without consumers has no queue
                finally:
                    if not channel.is_closed:
                        await channel.close()
    finally:
        await connection.close()
    return depths


async def parked_ids(fs: Any, service: str) -> list[str]:
    connection = await aio_pika.connect(plugin.AMQP_URL)
    ids = []
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(fs.topology(service).parked, passive=True)
        while (message := await queue.get(no_ack=False, fail=False)) is not None:
            ids.append(str(message.message_id))
        await channel.close()  # unacknowledged: they stay parked
    finally:
        await connection.close()
    return ids


@dataclass
class Settled:
    unpublished: dict[str, int]
    queued_emails: int
    depths: dict[str, int]
    booked: dict[str, int]  # child -> confirmed days in booking
    billed: dict[str, float]  # child -> days charged in billing
    per_day: dict[str, int]  # day -> booked places

    def done(self) -> bool:
        """Nothing left to do (the parked queues are looked at once settled)."""
        busy = {q: n for q, n in self.depths.items() if n and not q.endswith(".parked")}
        return (
            not any(self.unpublished.values())
            and not self.queued_emails
            and not busy
            and self.booked == self.billed
        )


async def snapshot(fs: Any, activity: str) -> Settled:
    db = await asyncpg.connect(fs.dsn)
    try:
        unpublished = {
            s: await db.fetchval(f"SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL")
            for s in WITH_OUTBOX
        }
        queued = await db.fetchval("SELECT count(*) FROM notify.emails WHERE status = 'queued'")
        booked = {
            str(r["child_id"]): r["n"]
            for r in await db.fetch(
                "SELECT child_id, count(*) AS n FROM booking.bookings"
                " WHERE activity_id = $1 AND status = 'booked' GROUP BY child_id",
                uuid.UUID(activity),
            )
        }
        billed = {
            str(r["child_id"]): float(r["n"])
            for r in await db.fetch(
                "SELECT child_id, sum(quantity) AS n FROM billing.invoice_lines"
                " WHERE activity_id = $1 AND kind = 'charge' GROUP BY child_id",
                uuid.UUID(activity),
            )
        }
        per_day = {
            str(r["day"]): r["n"]
            for r in await db.fetch(
                "SELECT day, count(*) AS n FROM booking.bookings"
                " WHERE activity_id = $1 AND status = 'booked' GROUP BY day",
                uuid.UUID(activity),
            )
        }
    finally:
        await db.close()
    return Settled(unpublished, queued, await queue_depths(fs), booked, billed, per_day)


def mailbox(fs: Any) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(fs.stack.mailbox.directory.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        found.append(parsed)
    return found


def kind_of(subject: str) -> str:
    lowered = subject.lower()
    if "facture" in lowered:
        return "invoice"
    if "réservations" in lowered or "liste d'attente" in lowered:
        return "recap"
    return "other"


def emails_by_family(
    messages: list[email.message.EmailMessage], families: list[Family]
) -> dict[str, Counter[str]]:
    counted: dict[str, Counter[str]] = {f.email: Counter() for f in families}
    for message in messages:
        to = str(message["To"]).lower()
        for address in counted:
            if address in to:
                counted[address][kind_of(str(message["Subject"]))] += 1
    return counted


def expected_emails(family: Family) -> Counter[str]:
    confirmed = (family.outcome or {}).get("confirmed", 0)
    return Counter({"recap": 1, **({"invoice": 1} if confirmed else {})})


# --- the test ---------------------------------------------------------------------------------


async def test_the_suite_keeps_every_promise_under_faults(
    fault_stack: Any, pg_cluster: Cluster | None
) -> None:
    # (fault_stack: shared.testing.stack's StackRun, started by tests/faults/conftest.py;
    # pg_cluster: the suite's own Postgres, the stack's, or None when it has none)
    fs = fault_stack
    if pg_cluster is None:
        print("[faults] no Postgres cluster of its own: no restart, backends cut instead")
    seed = int(os.environ.get("FAULTS_SEED") or random.randrange(1 << 31))
    print(f"\n[faults] seed {seed} (FAULTS_SEED={seed} replays this schedule)", flush=True)
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:6]
    began = time.monotonic()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:
        api = Api(http, fs.stack.url)
        staff = await api.login(STAFF)
        activity, dates = await hot_days(api, staff)
        assert len(dates) == DAYS
        gate = asyncio.Semaphore(8)

        async def one(i: int) -> Family:
            async with gate:
                return await new_family(http, fs.stack.url, staff, run, i, activity)

        families = await asyncio.gather(*(one(i) for i in range(FAMILIES)))
        seeded = time.monotonic() - began
        print(f"[faults] {FAMILIES} families enrolled in {seeded:.1f} s", flush=True)

        faults = Faults(fs, http, pg_cluster)
        plan = faults.schedule(rng)
        for at, name, _ in plan:
            print(f"[faults] planned t={at:5.1f} s  {name}", flush=True)
        offsets = [rng.uniform(0, STREAM_SECONDS) for _ in families]
        start = time.monotonic()

        async def later(family: Family, offset: float) -> None:
            await asyncio.sleep(offset)
            await book(family, activity, dates, time.monotonic())

        await asyncio.gather(
            faults.run(plan, start),
            *(later(f, o) for f, o in zip(families, offsets, strict=True)),
        )
        answered = time.monotonic()
        stream = answered - start

        expected = {f.email: expected_emails(f) for f in families}

        emails_in: float | None = None

        async def settled() -> Settled | None:
            nonlocal emails_in
            state = await snapshot(fs, activity)
            got = emails_by_family(mailbox(fs), families)
            caught_up = all(got[a][k] >= n for a, want in expected.items() for k, n in want.items())
            if caught_up and emails_in is None:
                emails_in = time.monotonic() - answered
            return state if state.done() and caught_up else None

        try:
            await until(settled, timeout=SETTLE_SECONDS, interval=1.0)
            settled_in: float | None = time.monotonic() - answered
        except AssertionError:
            settled_in = None
        state = await snapshot(fs, activity)
        messages = mailbox(fs)
        got = emails_by_family(messages, families)
        parked = {
            s: await parked_ids(fs, s)
            for s in ("identity", "notify", "family", "booking", "billing")
        }

    # --- the table ---
    errors = [
        line for line in list(fs.stack.lines) if '"level": "error"' in line or "Traceback" in line
    ]
    # (aio-pika's own lines while the broker is away are expected: counted apart)
    broker_noise = [line for line in errors if '"logger": "aiormq.' in line]
    # (and asyncpg's pool, failing to reconnect while Postgres is down: a warning with a
    # traceback)
    pool_noise = [line for line in errors if '"logger": "asyncpg.pool"' in line]
    errors = [line for line in errors if line not in broker_noise and line not in pool_noise]
    slowest = max(
        (f.finished_at - f.started_at for f in families if f.finished_at and f.started_at),
        default=0.0,
    )
    outcomes = [f for f in families if f.outcome is not None]
    refused = [f for f in families if f.refusal is not None]
    lost = [f for f in families if f.outcome is None and f.refusal is None]
    confirmed = sum(f.outcome["confirmed"] for f in outcomes)
    waiting = sum(f.outcome["waiting_list"] for f in outcomes)
    over = {d: n for d, n in state.per_day.items() if n > CAPACITY}
    wrongly_billed = {
        c: (state.booked.get(c, 0), state.billed.get(c, 0))
        for c in set(state.booked) | set(state.billed)
        if state.booked.get(c, 0) != state.billed.get(c, 0)
    }
    wrong_emails = {
        a: (dict(got[a]), dict(want))
        for a, want in expected.items()
        if +Counter({k: got[a][k] for k in ("recap", "invoice")}) != want
    }
    message_ids = Counter(str(m["Message-ID"]) for m in messages)
    twice = {mid: n for mid, n in message_ids.items() if n > 1}
    # The answer each family got is what booking holds (a replayed answer, not a guess).
    answer_vs_db = {
        f.email: (f.outcome["confirmed"], state.booked.get(f.child_id, 0))
        for f in outcomes
        if f.outcome["confirmed"] != state.booked.get(f.child_id, 0)
    }
    # Parking is at least once, as every move of the consumer: a kill or a broker cut between
    # the parked copy's confirm and the original's ack parks it again (same message id; a
    # replay of both is harmless, consumers being idempotent). What counts is which messages.
    unparked = {
        s: ids
        for s, ids in parked.items()
        if ids and not (s == "notify" and set(ids) == {faults.poison_id})
    }
    retries = sum(sum(f.attempts.values()) - len(f.attempts) for f in families)
    rows = [
        ("seed", seed),
        ("families enrolled (seconds)", f"{seeded:.1f}"),
        ("baskets sent", FAMILIES),
        ("with a final outcome (200 / 4xx)", f"{len(outcomes)} / {len(refused)}"),
        ("lost", len(lost)),
        ("client retries (same Idempotency-Key)", retries),
        ("slowest basket, first sending to its answer (s)", f"{slowest:.1f}"),
        ("days booked: confirmed / waiting list", f"{confirmed} / {waiting}"),
        ("places booked per day (capacity)", f"{sorted(state.per_day.values())} ({CAPACITY})"),
        ("days over capacity", len(over)),
        ("answers differing from booking's rows", len(answer_vs_db)),
        ("children billed ≠ booked days", len(wrongly_billed)),
        ("families with wrong email counts", len(wrong_emails)),
        ("same Message-ID twice in the mailbox", len(twice)),
        ("emails in the mailbox", len(messages)),
        (
            "parked: poison / others",
            f"{len(parked['notify'])} / {sum(len(v) for k, v in parked.items() if k != 'notify')}",
        ),
        ("unpublished outbox rows", sum(state.unpublished.values())),
        ("queued emails", state.queued_emails),
        (
            "restart after kill -9 (s)",
            ", ".join(f"{k} {v:.1f}" for k, v in faults.restarts.items()),
        ),
        (
            "Postgres",
            f"own cluster, port {pg_cluster.port}"
            if pg_cluster is not None
            else "the test server's (no own cluster: no restart)",
        ),
        (
            "Postgres restarts: away / every service ready after (s)",
            ", ".join(f"{a:.1f} / {r:.1f}" for a, r in faults.pg_restarts) or "-",
        ),
        (
            "consumers back after the broker (s)",
            f"{faults.consumers_back:.1f}" if faults.consumers_back is not None else "-",
        ),
        ("stream with faults (s)", f"{stream:.1f}"),
        (
            "every email out, after the last answer (s)",
            f"{emails_in:.1f}" if emails_in is not None else "-",
        ),
        (
            "settled, emails caught up, after the last answer (s)",
            f"{settled_in:.1f}" if settled_in is not None else f"not within {SETTLE_SECONDS:.0f}",
        ),
        ("faults that could not be made", len(faults.failed)),
        (
            "errors logged by the services (aiormq's / asyncpg pool's apart)",
            f"{len(errors)} ({len(broker_noise)} / {len(pool_noise)})",
        ),
        ("whole test (s)", f"{time.monotonic() - began:.1f}"),
    ]
    width = max(len(k) for k, _ in rows)
    for line in errors[:20]:
        print(f"[faults] logged: {line[:400]}", flush=True)
    print("\n[faults] " + "\n[faults] ".join(f"{k.ljust(width)}  {v}" for k, v in rows), flush=True)
    for name, detail in (
        ("lost", [f.email for f in lost]),
        ("refused", [(f.email, f.refusal) for f in refused]),
        ("over capacity", over),
        ("answers vs booking", answer_vs_db),
        ("billing", wrongly_billed),
        ("emails", wrong_emails),
        ("Message-ID twice", twice),
        ("parked", unparked),
        ("unpublished", {k: v for k, v in state.unpublished.items() if v}),
        ("queues", {q: n for q, n in state.depths.items() if n}),
    ):
        if detail:
            print(f"[faults] {name}: {detail}", flush=True)

    assert not faults.failed, f"faults not made: {faults.failed}"
    assert not lost, "baskets without a final outcome"
    assert not refused, "baskets refused instead of validated"
    assert not over, "a day over capacity"
    assert state.per_day and all(n == CAPACITY for n in state.per_day.values()), state.per_day
    assert not answer_vs_db, "a (replayed) answer differs from what booking holds"
    assert not wrongly_billed, "a confirmed day billed more or less than once"
    assert not wrong_emails and not twice, "an email missing or sent twice"
    assert set(parked["notify"]) == {faults.poison_id} and not unparked, "parked: " + repr(parked)
    assert not any(state.unpublished.values()), state.unpublished
    assert not state.queued_emails
    assert settled_in is not None, "not settled in time"

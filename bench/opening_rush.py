"""Benchmark of the opening rush as families live it: through the gateway, with real logins.

Starts the whole suite as `scripts/dev` runs it (`scripts/run_services.py`: every service as
its own process, the development mailbox, nginx in front) on a fresh database, bus namespace,
port set and mailbox directory. Staff open A activities for a camp week with M places a day,
then K households (a third of them with two children), and invite their guardians in one
onboarding run; each family chooses its password with the emailed link, accepts the town's
terms and logs in through the gateway (real identity tokens), enrolls its children and fills
one basket (siblings in the same basket, each child the whole week of one activity). Then the
rush: every family validates its basket through the gateway, all at once over `--concurrency`
keep-alive connections, or paced at `--rate` baskets/s; a share of the families
(`--cancellations`) cancel a confirmed day as soon as they have their answer, racing the
promotions from the waiting list.

Prints baskets/s, latency from sending (and, paced, from the offered time), errors (must be
0), confirmed = capacity on every day (fails otherwise), waiting-list order = arrival order
(fails otherwise: nobody confirmed while a child who came before waits, the places freed go
to the first waiting, in turn, and the service's order agrees with the order the clients
observed; `waiting_list_breaches`), the time until every family has its recap email (the
mailbox directory), and, in the same run, the bare place-taking transaction's rate with pgbench
(booking_rush.py's) and the ratio, against the goals (ratio >= 0.8, p99 from sending <= 100 ms
at 500 baskets/s offered, every email out within 60 s of the rush's end).

Logins through the gateway: its per-address login limit (10/min) stays as deployed; the stack
trusts this machine as the families' proxy (GATEWAY_TRUSTED_PROXIES, as behind a load
balancer) and each family comes from an address of its own (X-Forwarded-For), so that each is
counted alone, as families are. Passwords are hashed at identity's own cost (argon2id; it
refuses less than OWASP's minimum): the preparation's logins take most of its time (they are
measured by identity_login.py; here only counted).

    uv run python bench/opening_rush.py [--families 3000] [--capacity 900] [--activities 2]
        [--concurrency 64] [--rate N: baskets/s offered] [--cancellations 0.1]
        [--bare-seconds 3] [--mail-timeout 120]

`--families 24 --capacity 6 --concurrency 8 --bare-seconds 0.5` is the tests' smoke size.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import email
import email.policy
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import asyncpg
from booking_rush import RushClient, bare_pgbench, bare_postgres, pct

from shared.testing.browser import client_address
from shared.testing.stack import start_stack

TENANT = "demo"  # loaded by scripts/run_services.py (staff accounts, the town's terms)
STAFF, STAFF_PASSWORD = "agent@demo.example", "Demo-2026-portail"
PASSWORD = "Ouverture-Centre-2027!"  # none of the names or the email in it
INVITED = "Votre compte sur le portail famille"  # account_invited.j2
# basket_recap.j2's subjects (one email per basket, whatever became of its days).
RECAP = re.compile(
    r"^(Vos réservations pour|Confirmation de vos réservations pour"
    r"|Vos demandes en liste d'attente pour|Confirmation de vos annulations pour)"
)
SETUP_CONCURRENCY = 16
GOAL_RATIO, GOAL_P99_MS, GOAL_RATE, GOAL_MAIL_S = 0.8, 100, 500, 60


@dataclass
class Family:
    index: int
    email: str
    address: str  # X-Forwarded-For: the family's own address
    household_id: str = ""
    children: list[str] = field(default_factory=list)
    token: str = ""
    basket_id: str = ""

    def headers(self, token: str | None = None) -> dict[str, str]:
        found = {"X-Forwarded-For": self.address}
        if token or self.token:
            found["Authorization"] = f"Bearer {token or self.token}"
        return found


@dataclass
class Line:
    """One day of one child's activity in a validated basket, as the family saw it."""

    booking_id: str
    activity_id: str
    day: str
    outcome: str  # at validation: confirmed / waiting_list
    sent: float
    answered: float


class Gateway:
    """The public API through the gateway (setup calls: not timed)."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.base = http, f"{url}/api"

    async def call(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Any = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> Any:
        async with self.http.request(method, f"{self.base}{path}", headers=headers, json=body) as r:
            if r.status not in ok:
                raise RuntimeError(f"{method} {path}: {r.status} {await r.text()}")
            return await r.json() if r.status != 204 else None

    async def status(self, method: str, path: str, headers: dict[str, str], body: Any) -> int:
        async with self.http.request(method, f"{self.base}{path}", headers=headers, json=body) as r:
            await r.read()
            return r.status


async def bounded(count: int, work: Any, items: list[Any]) -> list[Any]:
    semaphore = asyncio.Semaphore(count)

    async def one(item: Any) -> Any:
        async with semaphore:
            return await work(item)

    return await asyncio.gather(*(one(item) for item in items))


def camp_week() -> list[date]:
    """Monday to Friday of a week at least four weeks ahead: every deadline still open."""
    start = date.today() + timedelta(days=28)
    start += timedelta(days=(7 - start.weekday()) % 7)
    return [start + timedelta(days=n) for n in range(5)]


class MailIndex:
    """The mailbox's index.tsv read as it grows: (when first seen, recipient, subject, file)."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.path, self.offset = directory, directory / "index.tsv", 0
        self.lines: list[tuple[float, str, str, str]] = []

    def read(self) -> list[tuple[float, str, str, str]]:
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return self.lines
        end = chunk.rfind(b"\n") + 1  # a line being written is read next time
        self.offset += end
        now = time.perf_counter()
        for raw in chunk[:end].decode().splitlines():
            _, _, recipients, subject, name = raw.split("\t")
            for recipient in recipients.split(","):
                self.lines.append((now, recipient.lower(), subject, name))
        return self.lines

    async def wait_for(self, subject: str | re.Pattern[str], who: set[str], timeout: float) -> dict:
        """recipient → the line of its first email with that subject, once each in `who` has
        one (or the timeout passed: those found so far)."""
        deadline = time.monotonic() + timeout
        found: dict[str, tuple[float, str, str, str]] = {}
        seen = 0
        while True:
            lines = self.read()
            for line in lines[seen:]:
                matches = (
                    subject.search(line[2])
                    if isinstance(subject, re.Pattern)
                    else subject in line[2]
                )
                if matches and line[1] in who and line[1] not in found:
                    found[line[1]] = line
            seen = len(lines)
            if len(found) == len(who) or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.2)

    async def quiet(self, seconds: float, timeout: float) -> None:
        """Until no email arrived for `seconds` (the preparation's emails are out)."""
        deadline = time.monotonic() + timeout
        count, since = len(self.read()), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - since < seconds:
            await asyncio.sleep(0.25)
            if len(self.read()) != count:
                count, since = len(self.lines), time.monotonic()


async def prepare(
    api: Gateway,
    staff: dict[str, str],
    mail: MailIndex,
    families: list[Family],
    activities: list[str],
    week: list[date],
) -> float:
    """Households, accounts, logins, enrollments, baskets; returns the logins' wall time."""

    async def open_household(family: Family) -> None:
        siblings = 2 if family.index % 3 == 0 else 1
        opened = await api.call(
            "POST",
            f"/family/tenants/{TENANT}/households",
            staff,
            {
                "address": {
                    "line1": "3 place de la Mairie",
                    "postal_code": "74330",
                    "city": "Epagny",
                },
                "guardians": [
                    {
                        "first_name": "Camille",
                        "last_name": f"Ruee{family.index}",
                        "email": family.email,
                        "phones": ["06 12 34 56 78"],
                    }
                ],
                "children": [
                    {
                        "first_name": ("Inès", "Jules")[n],
                        "last_name": f"Ruee{family.index}",
                        "birth_date": "2017-04-12",
                    }
                    for n in range(siblings)
                ],
            },
        )
        family.household_id = opened["id"]
        family.children = [c["id"] for c in opened["children"]]

    await bounded(SETUP_CONCURRENCY, open_household, families)
    for start in range(0, len(families), 10_000):
        await api.call(
            "POST",
            f"/family/tenants/{TENANT}/onboarding-runs",
            staff,
            {"household_ids": [f.household_id for f in families[start : start + 10_000]]},
        )
    by_email = {f.email: f for f in families}
    invited = await mail.wait_for(INVITED, set(by_email), timeout=60 + len(families) / 20)
    if len(invited) != len(families):
        raise SystemExit(f"FAILED: {len(invited)} of {len(families)} invitations emailed")

    async def log_in(family: Family) -> None:
        raw = (mail.directory / invited[family.email][3]).read_bytes()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        link = re.search(r"https?://\S*token=\S+", str(body.get_content()))
        assert link is not None, f"no invitation link for {family.email}"
        token = parse_qs(urlsplit(link[0]).query)["token"][0]
        chosen = await api.call(
            "POST",
            f"/identity/tenants/{TENANT}/invitation/accept",
            family.headers(),
            {"token": token, "password": PASSWORD},
        )
        terms = chosen["terms"]
        if terms["must_accept"]:
            await api.call(
                "POST",
                f"/identity/tenants/{TENANT}/me/terms",
                family.headers(chosen["access_token"]),
                {"version": terms["current_version"]},
            )
        # The morning of the rush: the family logs in (argon2id check, a fresh token).
        logged = await api.call(
            "POST",
            f"/identity/tenants/{TENANT}/login",
            family.headers(),
            {"login": family.email, "password": PASSWORD},
        )
        family.token = logged["access_token"]

    started = time.perf_counter()
    await bounded(SETUP_CONCURRENCY, log_in, families)
    logins = time.perf_counter() - started

    async def enroll_and_fill(family: Family) -> None:
        lines = []
        for n, child in enumerate(family.children):
            activity = activities[(family.index + n) % len(activities)]
            deadline = time.monotonic() + 60
            while True:  # booking hears of the household and its children through events
                status = await api.status(
                    "POST",
                    f"/booking/tenants/{TENANT}/enrollments",
                    family.headers(),
                    {"child_id": child, "activity_id": activity},
                )
                if status == 201:
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"FAILED: enrollment of {family.email}'s child: {status}")
                await asyncio.sleep(0.5)
            lines.append(
                {"child_id": child, "activity_id": activity, "dates": [str(d) for d in week]}
            )
        basket = await api.call(
            "POST", f"/booking/tenants/{TENANT}/baskets", family.headers(), {"lines": lines}
        )
        family.basket_id = basket["id"]

    await bounded(SETUP_CONCURRENCY, enroll_and_fill, families)
    return logins


@dataclass(frozen=True)
class Stored:
    """What the service stored of one line: its booking's `seq` (the order the lines of a day
    were decided in) and `status`, and the outbox position of the ReservationValidated that
    confirmed it at validation (None: put on the waiting list) and of its
    WaitingListPromoted (None: never promoted)."""

    seq: int
    status: str
    confirmed_at: int | None
    promoted_at: int | None


STORED = ("seq", "status", "confirmed_at", "promoted_at")
# Every booking of the activities, with the outbox positions of the events that confirmed or
# promoted it. Every change to a day's bookings holds the day's row lock and writes its events
# just before its commit, so on one day the outbox order is the order of these changes.
STORED_QUERY = """
SELECT b.id::text, b.seq, b.status, v.seq AS confirmed_at, p.seq AS promoted_at
FROM {schema}.bookings b
LEFT JOIN (SELECT o.seq, d ->> 'booking_id' AS booking_id FROM {schema}.outbox o,
                  jsonb_array_elements(o.envelope -> 'payload' -> 'dates') AS d
           WHERE o.type = 'booking.ReservationValidated') AS v ON v.booking_id = b.id::text
LEFT JOIN (SELECT o.seq, o.envelope -> 'payload' ->> 'booking_id' AS booking_id
           FROM {schema}.outbox o WHERE o.type = 'booking.WaitingListPromoted') AS p
       ON p.booking_id = b.id::text
WHERE b.activity_id = ANY($1::uuid[])
"""


async def stored_lines(
    conn: asyncpg.Connection | asyncpg.Pool, activities: list[str], schema: str = "booking"
) -> dict[str, Stored]:
    """booking id → what the service stored of it (`Stored`), for these activities."""
    rows = await conn.fetch(STORED_QUERY.format(schema=schema), activities)
    return {r["id"]: Stored(**{k: r[k] for k in STORED}) for r in rows}


def waiting_list_breaches(
    lines: list[Line], stored: dict[str, Stored]
) -> tuple[list[str], int, int]:
    """The waiting list of one day against arrival order: (breaches, confirmations after a
    waiting-list answer that were right, 1 if promoted out of turn else 0).

    A line is confirmed at validation only while nobody waits that day: every line of the
    day put on the waiting list before it (lower `seq`) must have been promoted before its
    validation committed (earlier in the outbox). A later arrival confirmed after an earlier
    one waited is therefore right when the earlier one was promoted first and a further
    cancellation then found nobody waiting: the place goes to the next to arrive. (The
    check before issue 17 refused any confirmation after a waiting-list answer, and so failed
    on that history: a cancellation promotes the first waiting, a second one frees a place
    while nobody waits, the next basket takes it.) Promotions follow the waiting list: the
    promoted are its first lines, promoted in its order (every child here is eligible).
    Each answer must also be what the rows say was decided."""
    found: list[str] = []
    for line in lines:
        confirmed = stored[line.booking_id].confirmed_at is not None
        if confirmed != (line.outcome == "confirmed"):
            found.append(
                f"{line.activity_id} {line.day}: {line.booking_id} answered"
                f" {line.outcome}, stored otherwise"
            )
    waiting = sorted(
        (stored[x.booking_id] for x in lines if x.outcome == "waiting_list"),
        key=lambda s: s.seq,
    )
    # The latest promotion among the first n waiting (inf: one of them never promoted), so
    # that each confirmation is checked in log time (a day of the 3,000-family run has
    # about 900 of them and 1,000 waiting).
    waiting_seqs = [w.seq for w in waiting]
    latest = [0.0]
    for w in waiting:
        latest.append(max(latest[-1], float("inf") if w.promoted_at is None else w.promoted_at))
    served = 0
    for line in lines:
        c = stored[line.booking_id]
        if line.outcome != "confirmed" or c.confirmed_at is None:
            continue
        earlier = bisect.bisect_left(waiting_seqs, c.seq)
        if latest[earlier] > c.confirmed_at:
            late = next(
                w
                for w in waiting[:earlier]
                if w.promoted_at is None or w.promoted_at > c.confirmed_at
            )
            found.append(
                f"{line.activity_id} {line.day}: booking {line.booking_id} (seq {c.seq})"
                f" confirmed while seq {late.seq} waited"
            )
        elif earlier:
            served += 1
    promoted = [w.promoted_at for w in waiting if w.promoted_at is not None]
    out_of_turn = promoted != sorted(promoted) or any(
        w.promoted_at is None for w in waiting[: len(promoted)]
    )
    return found, served, int(out_of_turn)


def arrival_order_violations(lines: list[Line], seqs: dict[str, int]) -> tuple[int, int]:
    """(pairs where the service's order contradicts the clients', pairs checkable): line A's
    answer arrived before line B was sent, yet B is before A in the service's order."""
    ordered = sorted(lines, key=lambda line: seqs[line.booking_id])
    violations = checkable = 0
    earliest_answer_after = float("inf")  # among the lines after this one in the service's order
    for line in reversed(ordered):
        if earliest_answer_after < line.sent:
            violations += 1
        earliest_answer_after = min(earliest_answer_after, line.answered)
    answered = sorted(line.answered for line in lines)
    # pairs (A, B) with A answered before B was sent: what the check could have caught
    for line in lines:
        checkable += bisect.bisect_left(answered, line.sent)
    return violations, checkable


async def run(
    families_count: int,
    capacity: int,
    activities_count: int,
    concurrency: int,
    rate: float | None,
    cancellations: float,
    bare_seconds: float,
    mail_timeout: float,
) -> None:
    run_id = uuid.uuid4().hex[:8]
    mail_dir = Path(tempfile.mkdtemp(prefix="opening-rush-mail-"))
    week = camp_week()
    # The whole suite as the tests run it (shared.testing.stack), logging warnings only.
    run = await asyncio.to_thread(start_stack, "bench", mail_dir, {"LOG_LEVEL": "warning"})
    stack, dsn = run.stack, run.dsn
    failures: list[str] = []
    try:
        mail = MailIndex(mail_dir)
        families = [
            Family(i, f"famille{i}.{run_id}@ruee.example", client_address())
            for i in range(families_count)
        ]
        timeout = aiohttp.ClientTimeout(total=60)
        connector = aiohttp.TCPConnector(limit=SETUP_CONCURRENCY * 2)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            api = Gateway(http, f"http://127.0.0.1:{8080 + stack.offset}")
            staff_address = client_address()
            staff_token = (
                await api.call(
                    "POST",
                    f"/identity/tenants/{TENANT}/login",
                    {"X-Forwarded-For": staff_address},
                    {"login": STAFF, "password": STAFF_PASSWORD},
                )
            )["access_token"]
            staff = {"X-Forwarded-For": staff_address, "Authorization": f"Bearer {staff_token}"}
            activities = []
            for n in range(activities_count):
                activity = await api.call(
                    "POST",
                    f"/booking/tenants/{TENANT}/activities",
                    staff,
                    {
                        "name": f"Vacances d'hiver — activité {n + 1}",
                        "type": "VACANCES",
                        "site": "Centre du Lac",
                        "period_from": str(week[0]),
                        "period_to": str(week[-1]),
                        "weekdays": [1, 2, 3, 4, 5],
                        "capacity": capacity,
                        "booking_deadline": {"days_before": 7, "at": "23:59"},
                        "cancel_deadline": {"days_before": 7, "at": "23:59"},
                    },
                )
                activities.append(activity["id"])
            started = time.perf_counter()
            logins = await prepare(api, staff, mail, families, activities, week)
            prepared = time.perf_counter() - started
            # The preparation's emails (invitations...) out before the rush starts.
            await mail.quiet(2, timeout=120)

        # --- the rush ---------------------------------------------------------------------
        lines: list[Line] = []
        latencies: list[float] = []  # from sending (a connection was free)
        offered: list[float] = []  # paced: from the time the basket was offered
        errors: dict[str, int] = {}
        cancelled: list[str] = []
        cancellers = {
            f.index for f in families if cancellations and f.index % round(1 / cancellations) == 0
        }
        rush = RushClient("127.0.0.1", 8080 + stack.offset, concurrency)
        await rush.connect()
        base = f"/api/booking/tenants/{TENANT}"

        async def validate(position: int, family: Family) -> None:
            due = begin + position / rate if rate else begin
            if rate:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            status, raw, sent = await rush.post(
                f"{base}/baskets/{family.basket_id}/validate", family.headers(), b"{}"
            )
            answered = time.perf_counter()
            latencies.append(answered - sent)
            offered.append(answered - due)
            if status != 200:
                errors[f"validate {status}"] = errors.get(f"validate {status}", 0) + 1
                return
            taken = []
            for line in json.loads(raw)["lines"]:
                if line["outcome"] not in ("confirmed", "waiting_list"):  # refused: a setup bug
                    errors[line["outcome"]] = errors.get(line["outcome"], 0) + 1
                    continue
                lines.append(
                    Line(
                        line["booking_id"],
                        line["activity_id"],
                        line["date"],
                        line["outcome"],
                        sent,
                        answered,
                    )
                )
                if line["outcome"] == "confirmed":
                    taken.append(line["booking_id"])
            if family.index in cancellers and taken:
                # Changed their mind at once: a place freed while the rush goes on.
                status, raw, _ = await rush.post(
                    f"{base}/bookings/{taken[0]}/cancel", family.headers(), b"{}"
                )
                if status != 200:
                    errors[f"cancel {status}"] = errors.get(f"cancel {status}", 0) + 1
                else:
                    cancelled.append(taken[0])

        begin = time.perf_counter()
        await asyncio.gather(*(validate(n, f) for n, f in enumerate(families)))
        rush_end = time.perf_counter()
        elapsed = rush_end - begin
        await rush.close()

        # --- every family's recap email ---------------------------------------------------
        recaps = await mail.wait_for(RECAP, {f.email for f in families}, timeout=mail_timeout)
        last_mail = max((line[0] for line in recaps.values()), default=rush_end) - rush_end

        # --- what the service decided -----------------------------------------------------
        conn = await asyncpg.connect(dsn)
        try:
            days = await conn.fetch(
                "SELECT d.activity_id::text, d.day, d.booked, d.capacity,"
                " (SELECT count(*) FROM booking.bookings b WHERE b.activity_id = d.activity_id"
                "  AND b.day = d.day AND b.status = 'booked') AS rows"
                " FROM booking.activity_days d WHERE d.activity_id = ANY($1::uuid[])"
                " ORDER BY d.activity_id, d.day",
                activities,
            )
            stored = await stored_lines(conn, activities)
        finally:
            await conn.close()
        bare = await bare_postgres(dsn, 16, bare_seconds)
        pgbench = await bare_pgbench(dsn, 16, max(1, round(bare_seconds)))

        # Confirmed = capacity on every day of every activity (more children than places).
        full = all(
            r["booked"] == r["capacity"] == r["rows"] for r in days if r["day"] in set(week)
        ) and len(days) == activities_count * len(week)
        # Waiting-list order = arrival order, day by day.
        seqs = {booking_id: row.seq for booking_id, row in stored.items()}
        by_day: dict[tuple[str, str], list[Line]] = {}
        for line in lines:
            by_day.setdefault((line.activity_id, line.day), []).append(line)
        violations = checkable = served = out_of_turn = waiting = promoted = 0
        breaches: list[str] = []  # a line confirmed while a line decided before it waited
        for day_lines in by_day.values():
            found, right, late = waiting_list_breaches(day_lines, stored)
            breaches, served, out_of_turn = breaches + found, served + right, out_of_turn + late
            states = [stored[x.booking_id].status for x in day_lines if x.outcome == "waiting_list"]
            taken = sum(1 for s in states if s == "booked")
            waiting += len(states) - taken
            promoted += taken
            v, c = arrival_order_violations(day_lines, seqs)
            violations, checkable = violations + v, checkable + c
        in_order = not (violations or breaches or out_of_turn)

        p50, p99 = statistics.median(latencies) * 1000, pct(latencies, 99) * 1000
        baskets_per_s = len(families) / elapsed
        siblings = sum(1 for f in families if len(f.children) > 1)
        error_count = sum(errors.values())
        print(
            f"families={len(families)} ({siblings} baskets with siblings) activities="
            f"{activities_count} capacity/day={capacity} camp week {week[0]}..{week[-1]}"
            f" client connections={concurrency}"
            + (f" offered rate={rate:g} baskets/s" if rate else " (every family at once)")
        )
        print(
            f"preparation: {prepared:.1f} s; logins through the gateway (invitation link,"
            f" terms, login): {len(families)} families in"
            f" {logins:.1f} s, failed: 0"
        )
        print(
            f"rush through the gateway: {baskets_per_s:,.0f} baskets/s, {len(lines) / elapsed:,.0f}"
            f" lines/s ({len(families)} baskets, {len(lines)} lines, {len(cancelled)}"
            f" cancellations racing promotions, {elapsed:.2f} s)"
        )
        print(
            f"latency from sending: median {p50:.0f} ms, p95 {pct(latencies, 95) * 1000:.0f} ms,"
            f" p99 {p99:.0f} ms"
        )
        if rate:
            print(
                f"latency from the offered time: median {statistics.median(offered) * 1000:.0f}"
                f" ms, p99 {pct(offered, 99) * 1000:.0f} ms"
            )
        print(f"errors: {error_count}" + (f" {errors}" if errors else ""))
        print(
            "confirmed = capacity on every day: "
            + ("yes" if full else "NO")
            + " ("
            + ", ".join(f"{r['day']:%a}: {r['booked']}/{r['capacity']}" for r in days)
            + ")"
        )
        print(
            "waiting-list order = arrival order: "
            + ("yes" if in_order else "NO")
            + f" ({waiting} waiting, {promoted} promoted in turn; {checkable:,} ordered pairs"
            f" seen by the clients, {violations} contradicted; {len(breaches)} confirmed while"
            f" an earlier line waited, {served} confirmed after a waiting-list answer once the"
            f" waiting list was served; {out_of_turn} days promoted out of turn)"
        )
        for breach in breaches[:5]:
            print(f"  confirmed while an earlier line waited: {breach}")
        print(
            f"recap emails: {len(recaps)} of {len(families)} families, every one"
            f" {last_mail:.1f} s after the rush's end"
            if len(recaps) == len(families)
            else f"recap emails: {len(recaps)} of {len(families)} families after {mail_timeout:g} s"
        )
        print(
            f"bare Postgres place-taking transaction (16 clients, one hot row): asyncpg loop"
            f" {bare:,.0f}/s" + (f", pgbench {pgbench:,.0f}/s" if pgbench else "")
        )
        reference = pgbench or bare
        ratio = baskets_per_s / reference
        print(
            f"gateway/{'pgbench' if pgbench else 'bare'} = {ratio:.2f} (validated baskets"
            " through the gateway per bare place-taking transaction)"
        )
        # The ratio is judged on the unpaced rush (a paced one is as fast as it is offered),
        # the latency on the paced one (the goal is stated at 500 baskets/s offered).
        if rate:
            goal = (
                f"p99 from sending <= {GOAL_P99_MS} ms at {rate:g} baskets/s offered"
                + ("" if rate == GOAL_RATE else f" (goal stated at {GOAL_RATE}/s)")
                + f": {'met' if p99 <= GOAL_P99_MS else 'missed'} ({p99:.0f} ms)"
            )
        else:
            goal = f"ratio >= {GOAL_RATIO}: {'met' if ratio >= GOAL_RATIO else 'missed'}"
        mailed = len(recaps) == len(families) and last_mail <= GOAL_MAIL_S
        goals = [goal, f"emails within {GOAL_MAIL_S} s: {'met' if mailed else 'missed'}"]
        print("goals: " + "; ".join(goals))
        if error_count:
            failures.append(f"{error_count} errors")
        if not full:
            failures.append("confirmed does not equal capacity")
        if not in_order:
            failures.append("waiting-list order differs from arrival order")
        if len(recaps) != len(families):
            failures.append("recap emails missing")
    except BaseException:
        print("\n".join(stack.lines[-60:]), file=sys.stderr)
        raise
    finally:
        await asyncio.to_thread(run.stop)
        await asyncio.to_thread(shutil.rmtree, mail_dir, True)
    if failures:
        raise SystemExit("FAILED: " + "; ".join(failures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=3000)
    parser.add_argument("--capacity", type=int, default=900, help="places a day, per activity")
    parser.add_argument("--activities", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=64, help="client connections")
    parser.add_argument(
        "--rate", type=float, default=None, help="baskets/s offered (default: all at once)"
    )
    parser.add_argument(
        "--cancellations",
        type=float,
        default=0.1,
        help="share of the families who cancel a confirmed day at once",
    )
    parser.add_argument("--bare-seconds", type=float, default=3.0)
    parser.add_argument(
        "--mail-timeout", type=float, default=120.0, help="seconds to wait for the recap emails"
    )
    args = parser.parse_args()
    asyncio.run(
        run(
            args.families,
            args.capacity,
            args.activities,
            args.concurrency,
            args.rate,
            args.cancellations,
            args.bare_seconds,
            args.mail_timeout,
        )
    )

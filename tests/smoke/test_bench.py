"""Smoke of the benchmarks: each `bench/*.py` runs to the end at a tiny size and prints its
figures. Timings are never asserted (they depend on the machine); the figures' lines must be
there, and what the benchmarks check themselves (no overbooking, every login accepted, every
email handed over) must hold. Also: every option the README documents exists."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shared.testing import plugin

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 180  # seconds per benchmark run; they take 3 to 10 s here

N = r"[\d,.]+"  # a figure as the benchmarks print it: 1,234 or 12.5
EVENT_BUS = [
    rf"^write phase: {N} events/s committed$",
    rf"^end to end: {N} events/s \(commit -> published with confirms",
    rf"^delay commit -> handled: median {N} ms, p95 {N} ms, p99 {N} ms, max {N} ms$",
]
RUSH = [
    rf"^validations: {N} baskets/s, {N} confirmed days/s, {N} lines/s \({N} s\)$",
    rf"^latency from the rush's start .*: median {N} ms, p95 {N} ms, p99 {N} ms$",
    rf"^latency from sending the request: median {N} ms, p95 {N} ms, p99 {N} ms$",
    rf"^group commits: {N} transactions for 30 baskets \({N} baskets per commit\)$",
    r"^outcomes: \{.*\}, http errors: 0$",
    rf"^CPU during the rush: .*whole machine {N}% busy",
    rf"^bare Postgres place-taking transactions .*: {N}/s; service/bare = {N} ",
    r"^OVERBOOKING: none$",
]
RUSH_SMALL = ["--families", "30", "--capacity", "10", "--concurrency", "8", "--bare-seconds", "0.5"]
# The rush through the gateway: the whole stack, 24 families (8 with two children) for 6
# places a day in each of 2 activities, paced (the offered-rate mode), one family in ten
# cancelling a confirmed day.
OPENING_RUSH_SMALL = ["--families", "24", "--capacity", "6", "--concurrency", "8"]
OPENING_RUSH = [
    rf"^preparation: {N} s; logins through the gateway .*: 24 families in {N} s, failed: 0$",
    rf"^rush through the gateway: {N} baskets/s, {N} lines/s \(24 baskets, 160 lines, {N} cancel",
    rf"^latency from sending: median {N} ms, p95 {N} ms, p99 {N} ms$",
    rf"^latency from the offered time: median {N} ms, p99 {N} ms$",
    r"^errors: 0$",
    r"^confirmed = capacity on every day: yes \((\w{3}: 6/6, ){9}\w{3}: 6/6\)$",
    rf"^waiting-list order = arrival order: yes \({N} waiting, {N} promoted in turn; {N} ordered",
    rf"^recap emails: 24 of 24 families, every one -?{N} s after the rush's end$",
    rf"^bare Postgres place-taking transaction .*: asyncpg loop {N}/s",
    rf"^gateway/(pgbench|bare) = {N} ",
    r"^goals: p99 from sending <= 100 ms at 100 baskets/s offered .*: (met|missed) .*; emails",
]
# The fair opening: 300 requests for 20 places a day over 3 days (every day oversubscribed),
# then 50 families submitting.
ALLOCATION_SMALL = [
    *("--requests", "300", "--places", "20", "--days", "3", "--families", "50"),
    *("--concurrency", "8"),
]
ALLOCATION = [
    r"^set-up: 300 requests \(.*\), .* for 20 places × 3 days = 60 places; written with COPY",
    rf"^domain allocate alone: {N} s \(300 tickets, 60 booked, {N} waiting\)$",
    rf"^allocation use case \(allocate_due, committed\): {N} s for 300 requests \({N} requests/s",
    rf"^written: 60 booked rows, {N} waiting rows, {N} events in the outbox \({N} Reservation",
    r"^per day \(booked/capacity, waiting\): (\w{3} \d\d: 20/20 \(\d+\), ){2}\w{3} \d\d: 20/20",
    r"^checks: ok ",
    rf"^of which the event path, .*: contract check .* {N} s, outbox insert .* {N} s: {N}% of",
    rf"^bare Postgres: one COPY of {N} booking rows .*: {N} s \({N} rows/s\); use case/bare = {N}",
    r"^goal: allocation of 20,000 requests under 10 s: not measured at this size",
    rf"^submissions: 50 families PUT their request \(.*\): {N} requests/s \({N} s\)$",
    rf"^submission latency from sending: median {N} ms, p95 {N} ms, p99 {N} ms$",
    r"^submission errors: 0$",
    r"^stored: 50 requests, \d+ children$",
    rf"^bare Postgres, the same writes \(asyncpg loop, 8 connections\): {N} requests/s; "
    rf"service/bare = {N}$",
]

# bench file → runs: (arguments, the lines its figures must match, how often each).
SMOKE: dict[str, list[tuple[list[str], list[str], int]]] = {
    "event_bus.py": [
        # A burst, then a paced run: each prints the same figures.
        (["--events", "200", "--writers", "4"], EVENT_BUS, 2),
    ],
    "identity_login.py": [
        (
            ["--accounts", "5", "--logins", "20", "--concurrency", "4", "--verifications", "200"],
            [
                r"^logins: 20 over 5 accounts, concurrency 4, argon2id ",
                rf"^total: {N} s, {N} logins/s, failed: 0$",
                rf"^latency: p50 {N} ms, p95 {N} ms, p99 {N} ms, max {N} ms$",
                rf"^largest event-loop stall: {N} ms$",
                rf"^token verifications, signature checked: {N}/s",
                rf"^token verifications, already verified: {N}/s",
            ],
            1,
        ),
    ],
    "notify_emails.py": [
        (
            ["--emails", "20", "--batch", "5", "--workers", "2"],
            [
                rf"^rendering only: +{N} emails/s$",
                rf"^end to end: +{N} emails/s rendered and handed to SMTP \(20 emails, .*"
                r"the sink received 20\)$",
            ],
            1,
        ),
    ],
    "opening_rush.py": [
        (
            [*OPENING_RUSH_SMALL, "--rate", "100", "--bare-seconds", "0.5", "--mail-timeout", "30"],
            OPENING_RUSH,
            1,
        ),
    ],
    "billing_campaign.py": [
        (
            ["--households", "20", "--lines", "3", "--pdfs", "2"],
            [
                rf"^draft: {N} s \({N} lines/s\), 20 draft invoices, 0 errors",
                rf"^finalise: {N} s \({N} invoices/s\)$",
                rf"^campaign: {N} s for 20 invoices",
                r"^issued: 20 invoices, 60 invoice lines, .* 20 InvoiceIssued events in",
                rf"^pdf: 2 invoices in {N} s = {N} PDFs/s",
                rf"^bare postgres: 60 rows with COPY {N} rows/s, executemany {N} rows/s$",
                r"^ratio: campaign ",
            ],
            1,
        ),
    ],
    "web_pages.py": [
        (
            ["--requests", "10", "--concurrency", "2"],
            [
                r"^portal pages: 10 requests each, concurrency 2, ",
                *(
                    rf"^page {page}: p50 {N} ms, p95 {N} ms, errors 0$"
                    for page in ("/", "/foyer", "/factures", "/tirelire", "/prelevement")
                ),
                rf"^  bare API (identity|notify|family|billing) GET /tenants/demo/\S+: p50 {N} ms",
                rf"^ratio page/bare API \(p50\): / {N}, /foyer {N}, /factures {N}, "
                rf"/tirelire {N}, /prelevement {N}$",
                *(
                    rf"^staff page {re.escape(page)}: p50 {N} ms, p95 {N} ms, errors 0\b"
                    for page in (
                        "/gestion",
                        "/gestion/foyers?q=Durand",
                        "/gestion/foyers/{household}",
                        "/gestion/inscriptions",
                        "/gestion/presences",
                        "/gestion/facturation",
                        "/gestion/facturation/prelevements",
                        "/gestion/comptes",
                        "/gestion/activites",
                        "/gestion/communication",
                    )
                ),
                rf"^ratio staff page/bare API \(p50\): /gestion {N}, ",
                r"^staff pages over the 150 ms p95 budget: ",
                rf"^javascript per page \(budget 100 KB\): / {N} KB, ",
                r"^errors: 0$",
            ],
            1,
        ),
    ],
    "booking_rush.py": [
        # The README's default mode: one service process, its relay inside.
        (RUSH_SMALL, [*RUSH, r"'confirmed': 10\b", r"'waiting_list': 20\b"], 1),
        # The service inside the benchmark's process.
        ([*RUSH_SMALL, "--processes", "0"], [*RUSH, r"'confirmed': 10\b"], 1),
        # Two service processes, the relay apart, holiday-week baskets.
        (
            [*RUSH_SMALL, "--processes", "2", "--separate-relay", "--days", "3"],
            [*RUSH, r"'confirmed': 30\b", r"'waiting_list': 60\b"],
            1,
        ),
    ],
    "allocation.py": [
        # The service as a process, every family at once over 8 connections.
        (ALLOCATION_SMALL, ALLOCATION, 1),
        # The service inside the benchmark's process, paced submissions, another population.
        ([*ALLOCATION_SMALL, "--processes", "0", "--rate", "100", "--seed", "7"], ALLOCATION, 1),
    ],
}


def _environment() -> dict[str, str]:
    # The servers of this test run (the plugin may have started containers).
    return {
        **os.environ,
        "TEST_DATABASE_URL": plugin.ADMIN_DSN,
        "TEST_AMQP_URL": plugin.AMQP_URL,
    }


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(args)} exited with {done.returncode}:\n{output}"
    return output


def test_every_benchmark_has_a_smoke_run() -> None:
    assert sorted(p.name for p in (ROOT / "bench").glob("*.py")) == sorted(SMOKE)


@pytest.mark.parametrize(
    ("bench", "arguments", "figures", "times"),
    [
        pytest.param(bench, arguments, figures, times, id=f"{bench}{' '.join(['', *arguments])}")
        for bench, runs in SMOKE.items()
        for arguments, figures, times in runs
    ],
)
def test_benchmark_runs_and_prints_its_figures(
    test_run: plugin.TestRun, bench: str, arguments: list[str], figures: list[str], times: int
) -> None:
    # (test_run: the servers answer, or the run stops with instructions.)
    output = _run(f"bench/{bench}", *arguments)
    print(output)
    lines = output.splitlines()
    missing = [
        figure for figure in figures if sum(1 for line in lines if re.search(figure, line)) < times
    ]
    assert not missing, f"figures missing from bench/{bench}: {missing}\n{output}"


def _documented_commands() -> dict[str, set[str]]:
    """bench file → the options the README's Benchmarks section shows for it."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Benchmarks\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands: dict[str, set[str]] = {}
    current = None
    for line in block.splitlines():
        match = re.match(r"^uv run python bench/(\S+\.py)", line)
        if match:
            current = match[1]
            commands[current] = set()
        if current is not None:  # the command's line and the comment lines under it
            commands[current] |= set(re.findall(r"--[a-z][a-z-]*", line))
    return commands


def test_the_readme_documents_existing_benchmarks_and_options() -> None:
    commands = _documented_commands()
    assert sorted(commands) == sorted(SMOKE)
    for bench, options in commands.items():
        source = (ROOT / "bench" / bench).read_text()
        known = set(re.findall(r"add_argument\(\s*\"(--[a-z][a-z-]*)\"", source))
        unknown = sorted(options - known)
        assert not unknown, f"README shows options that bench/{bench} does not have: {unknown}"

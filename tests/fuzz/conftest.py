"""The fuzzing run's stack: every service, the portal and the gateway as processes
(`scripts/run_services.py`, as the browser tests run them), their own database, bus namespace,
ports and mailbox; Playwright's request API (no browser) to make the family and log staff in."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Playwright, sync_playwright

from shared.testing import plugin
from shared.testing.browser import (
    STAFF,
    TENANT,
    Api,
    Stack,
    client_address,
    household_of,
    linked_household,
    new_family,
)
from shared.testing.stack import running_stack

SERVICES = ["identity", "notify", "family", "booking", "billing", "web"]


@pytest.fixture(scope="module")
def stack(test_run: plugin.TestRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # (test_run: Postgres and RabbitMQ answer, or the run stops with instructions.)
    with running_stack("fuzz", tmp_path_factory.mktemp("mail")) as run:
        yield run.stack


# Per module: Playwright's sync API holds an event loop in the main thread while it runs.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@dataclass(frozen=True)
class Caller:
    """One role's headers (bearer token, an address of its own) and the ids it may name."""

    role: str
    headers: dict[str, str]
    path_ids: dict[str, Any]


@pytest.fixture(scope="module")
def callers(playwright: Playwright, stack: Stack) -> Iterator[list[Caller]]:
    """A family linked to a household with a child (signed up, activated, terms accepted),
    and the town's staff; path parameters naming the family's own household and child."""
    context = playwright.request.new_context(
        extra_http_headers={"X-Forwarded-For": client_address()}
    )
    try:
        api = Api(context, stack.url)
        email = f"fuzz-{uuid.uuid4().hex[:8]}@example.org"
        child = {
            "first_name": "Léo",
            "last_name": "Martin",
            "birth_date": "2017-05-03",
            "sex": "M",
            "school": "École du centre",
            "grade": "CE2",
        }
        family = new_family(api, stack.mailbox, email)
        household, family = linked_household(
            api, family, household_of(email, "Camille", "Martin", [child])
        )
        ids = {
            "tenant": TENANT,
            "household_id": household["id"],
            "child_id": household["children"][0]["id"],
        }
        staff = api.login(STAFF)
        yield [
            Caller("family", family, ids),
            Caller("staff", staff, ids),
        ]
    finally:
        context.dispose()

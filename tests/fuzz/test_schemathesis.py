"""API fuzzing (issue 17): schemathesis against every service's OpenAPI document, as the
gateway serves it (/api/openapi.json: every service's document merged, paths under
/api/<service>), through the gateway, with a family's and a staff member's tokens.

Every operation gets a fixed budget of generated valid requests (EXAMPLES per role,
derandomized: the same requests on every run) sent as the family, then as staff. Checks: no
5xx; the status is one the document lists; the body conforms to the documented schema (and
media type). Every failure is collected, the run goes on, and the whole list is printed:
one run shows every finding. The number of operations and of requests is printed.

Not run: the operations that would end the callers' sessions halfway (EXCLUDED).
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from shared.testing.browser import TENANT, Stack

from .conftest import Caller

EXAMPLES = 3  # generated requests per operation and role (the CI budget)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Operations that would end the callers' sessions (or change their credentials) mid-run.
EXCLUDED = {
    ("POST", "/api/identity/tenants/{tenant}/logout"),
    ("POST", "/api/identity/tenants/{tenant}/me/password"),
    ("POST", "/api/identity/tenants/{tenant}/me/email"),
}
MY_HOUSEHOLD = f"/api/family/tenants/{TENANT}/me/household"
HOUSEHOLDS = f"/api/family/tenants/{TENANT}/households"
SENT = itertools.count()  # every request's own client address (see _headers)


def _headers(caller: Caller) -> dict[str, str]:
    """The caller's token, from an address of its own per request: the gateway's per-address
    limits (sign-up, password forms: 5 a minute) are tests/gateway's subject, not this run's."""
    n = next(SENT)
    return {**caller.headers, "X-Forwarded-For": f"10.77.{n // 250 % 250}.{n % 250 + 1}"}


def _fuzz(
    stack: Stack, operation: Any, caller: Caller, failures: dict[str, str], statuses: Counter[str]
) -> None:
    """EXAMPLES requests to `operation` as `caller`; the first failure of each kind is kept,
    every answer's status counted (per role and class: "family 2xx")."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are collected
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        known = {k: v for k, v in caller.path_ids.items() if k in case.path_parameters}
        case.path_parameters = {**case.path_parameters, **known}
        headers = _headers(caller)
        try:
            response = case.call(base_url=stack.url, headers=headers, timeout=30)
        except requests.RequestException as exc:  # the gateway closed on us: a finding too
            failures.setdefault(
                f"{operation.label} as {caller.role}: no answer",
                f"{exc!r}\n  request: {case.method} {case.formatted_path} query={case.query}",
            )
            return
        statuses[f"{caller.role} {response.status_code // 100}xx"] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = f"{operation.label} as {caller.role}: {getattr(failure, 'title', '')}"
                failures.setdefault(
                    key,
                    f"{response.status_code} {str(failure)[:600]}\n"
                    f"  request: {case.method} {case.formatted_path} "
                    f"query={case.query} body={str(case.body)[:300]}\n"
                    f"  response: {response.text[:400]}",
                )

    run()


def test_every_operation_answers_as_its_document_says(stack: Stack, callers: list[Caller]):
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(f"{stack.url}/api/openapi.json")
    failures: dict[str, str] = {}
    operations, skipped, statuses = 0, [], Counter[str]()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            skipped.append(operation.label)
            continue
        operations += 1
        for caller in callers:
            _fuzz(stack, operation, caller, failures, statuses)
    elapsed = time.monotonic() - started
    print(
        f"\nschemathesis: {operations} operations, {sum(statuses.values())} requests in "
        f"{elapsed:.0f} s; answers: {dict(sorted(statuses.items()))}; not run: {skipped}"
    )
    for key, text in sorted(failures.items()):
        print(f"- {key}\n  {text}")
    assert operations >= 300  # every service's document was read
    # The callers stayed themselves throughout: their tokens still open their own data, and
    # many operations answered them with a success (not 401s all along).
    for caller, path in zip(callers, (MY_HOUSEHOLD, HOUSEHOLDS), strict=True):
        answer = requests.get(f"{stack.url}{path}", headers=caller.headers, timeout=30)
        assert answer.status_code == 200, (caller.role, answer.text)
        assert statuses[f"{caller.role} 2xx"] >= 100, statuses
    assert not failures, f"{len(failures)} findings (printed above)"

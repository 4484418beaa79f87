"""API fuzzing (issue 17): schemathesis against every service's OpenAPI document, as the
gateway serves it (/api/openapi.json: every service's document merged, paths under
/api/<service>), through the gateway, with a family's and a staff member's tokens.

Every operation gets a fixed budget of generated valid requests (EXAMPLES per role,
derandomized: the same requests on every run) sent as the family, then as staff. Checks: no
5xx; the status is one the document lists; the body conforms to the documented schema (and
media type). Every failure is collected, the run goes on, and the whole list is printed:
one run shows every finding. The number of operations and of requests is printed.

Then invalid requests (schemathesis' negative mode: wrong types, missing required fields,
out-of-range or malformed query and body values), NEGATIVE_EXAMPLES per operation, sent as
staff (whom most operations let through to validation) and, on the family's own addresses
(`/me`), as the family. Checks: the same, and every refusal is a problem+json whose status is
the answer's, a 422 naming each wrong field (`errors[].field`, or `field` for a domain rule).
Operations with neither a body nor query parameters have nothing to make invalid.

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
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from shared.testing.browser import TENANT, Stack

from .conftest import Caller

EXAMPLES = 3  # generated requests per operation and role (the CI budget)
NEGATIVE_EXAMPLES = 5  # invalid requests per operation and role (the CI budget)
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


def _refusal_failures(response: Any) -> list[str]:
    """What a 4xx answer (schemathesis' Response: lowercase headers, lists of values) lacks to
    be a refusal a client can act on: problem+json with its own status, and a 422 naming
    what is wrong."""
    if not 400 <= response.status_code < 500:
        return []
    content_type = (response.headers.get("content-type") or [""])[0]
    if content_type.split(";")[0].strip() != "application/problem+json":
        return [f"refusal not in problem+json: {content_type!r}"]
    try:
        body = response.json()
    except ValueError:
        return ["refusal body is not JSON"]
    found = []
    if not isinstance(body, dict) or body.get("status") != response.status_code:
        found.append("problem status differs from the answer's")
    elif response.status_code == 422:
        # A domain rule names its one field (`field`); validation names each (`errors`).
        errors = body.get("errors") or [body]
        if not all(
            isinstance(e, dict) and isinstance(e.get("field"), str) and e["field"] for e in errors
        ):
            found.append("422 without a field naming what is wrong")
    return found


def _fuzz(
    stack: Stack,
    operation: Any,
    caller: Caller,
    failures: dict[str, str],
    statuses: Counter[str],
    mode: GenerationMode = GenerationMode.POSITIVE,
) -> None:
    """EXAMPLES requests (NEGATIVE_EXAMPLES invalid ones in negative mode) to `operation` as
    `caller`; the first failure of each kind is kept, every answer's status counted (per
    role and class: "family 2xx")."""
    negative = mode is GenerationMode.NEGATIVE
    # The caller's own headers (its token) as generated values: an invalid request, not a
    # missing token, is what negative mode is for here (401s are tests/gateway's subject).
    fixed = _headers(caller) if negative else None

    @settings(
        max_examples=NEGATIVE_EXAMPLES if negative else EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are collected
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, headers=fixed))
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
        found: list[tuple[str, str]] = []
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            found = [(getattr(f, "title", ""), str(f)) for f in group.exceptions]
        if negative:
            found += [(title, title) for title in _refusal_failures(response)]
        for title, text in found:
            key = f"{operation.label} as {caller.role}{' (invalid)' if negative else ''}: {title}"
            failures.setdefault(
                key,
                f"{response.status_code} {text[:600]}\n"
                f"  request: {case.method} {case.formatted_path} "
                f"query={case.query} body={str(case.body)[:300]}\n"
                f"  response: {response.text[:400]}",
            )

    try:
        run()
    except Unsatisfiable:
        if not negative:
            raise
        # Nothing of this operation's body or query can be made invalid (e.g. no constraint).


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


def test_invalid_requests_are_refused_with_problems_naming_the_field(
    stack: Stack, callers: list[Caller]
):
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(f"{stack.url}/api/openapi.json")
    failures: dict[str, str] = {}
    operations, untestable, statuses = 0, 0, Counter[str]()
    family, staff = callers
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue
        operations += 1
        if not operation.body and not operation.query:
            untestable += 1
            continue
        _fuzz(stack, operation, staff, failures, statuses, GenerationMode.NEGATIVE)
        if "/me/" in operation.path or operation.path.endswith("/me"):
            _fuzz(stack, operation, family, failures, statuses, GenerationMode.NEGATIVE)
    elapsed = time.monotonic() - started
    print(
        f"\nschemathesis (invalid requests): {operations} operations, "
        f"{sum(statuses.values())} requests in {elapsed:.0f} s; "
        f"answers: {dict(sorted(statuses.items()))}; nothing to make invalid: {untestable}"
    )
    for key, text in sorted(failures.items()):
        print(f"- {key}\n  {text}")
    assert operations >= 300
    # Invalid requests were refused (4xx), and the callers are intact.
    assert statuses["staff 4xx"] >= 200, statuses
    for caller, path in zip(callers, (MY_HOUSEHOLD, HOUSEHOLDS), strict=True):
        answer = requests.get(f"{stack.url}{path}", headers=caller.headers, timeout=30)
        assert answer.status_code == 200, (caller.role, answer.text)
    assert not failures, f"{len(failures)} findings (printed above)"

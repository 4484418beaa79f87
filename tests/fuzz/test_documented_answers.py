"""What the schemathesis run (test_schemathesis.py) found the documents missing, checked on
the documents themselves (in process, fast): every answer a service gives is listed, with
the body it has."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _apidocs() -> Any:
    name = "_scripts_apidocs"
    if name not in sys.modules:  # (scripts/ is not a package; tests/gateway loads it so too)
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts/apidocs.py")
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


@pytest.fixture(scope="module")
def paths() -> dict[str, dict[str, Any]]:
    apidocs = _apidocs()
    found = {}
    for service, definition in apidocs.definitions().items():
        for path, operations in apidocs.openapi_in_process(definition)["paths"].items():
            found[f"{service} {path}"] = operations
    return found


def _problem(response: dict[str, Any]) -> Any:
    return response["content"]["application/problem+json"]["schema"]


def test_every_operation_lists_the_refusals_any_of_its_kind_may_answer(paths):
    for where, operations in paths.items():
        for method, operation in operations.items():
            responses, label = operation["responses"], f"{method.upper()} {where}"
            if "{" in where:  # a path naming a record (a tenant, an id) that may not exist
                assert _problem(responses["404"]) == PROBLEM, label
            if "security" in operation:  # an account this operation is not for
                assert _problem(responses["403"]) == PROBLEM, label
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body:  # read_json
                assert {"400", "413", "415", "422"} <= set(responses), label
            if "multipart/form-data" in body:  # read_form
                assert {"400", "413", "422"} <= set(responses), label
            query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            if query:  # read_query
                assert "422" in responses, label


def test_a_second_success_has_the_body_of_the_first(paths):
    page = paths["notify /tenants/{tenant}/pages/{slug}"]["put"]["responses"]
    assert page["201"]["content"] == page["200"]["content"]  # created, or replaced
    for where, status in [
        ("notify /tenants/{tenant}/menus/{week_start}", "201"),
        ("family /tenants/{tenant}/households/{household_id}/accounts", "200"),
    ]:
        method = "put" if "menus" in where else "post"
        assert "content" in paths[where][method]["responses"][status], where
    # The staff's additions answer 201, the file with created_id.
    child = paths["family /tenants/{tenant}/households/{household_id}/children"]["post"]
    assert "201" in child["responses"] and "200" not in child["responses"]


def test_an_html_page_refuses_with_a_page_and_redirects_without_a_body(paths):
    page = paths["billing /dev/dummy-payment"]
    assert set(page["get"]["responses"]["400"]["content"]) == {
        "text/html",
        "application/problem+json",
    }
    assert "content" not in page["post"]["responses"]["303"]

"""Builds the documents the gateway serves: /api/openapi.json, /api/asyncapi.json,
/api/problems (HTML) and /api/problems.json.

    python scripts/apidocs.py --out var/gateway/docs                  # from the code
    python scripts/apidocs.py --out DIR --from identity=http://127.0.0.1:8081 ...

With `--from`, each service's OpenAPI document is its running `/openapi.json` (scripts/dev
does this once the services are ready); without, each service's app is built in-process and
described the same way (`shared.http.openapi.build_spec`, what its `/openapi.json` answers):
no service needs to run, e.g. when a gateway image is built. The events and problem types
always come from the code: the registry (`shared.events.contract`), each service's
`definition().event_handlers`, every `DomainError` subclass, and the problems the code and
the gateway's template raise literally.

It lives in scripts/ because it is the one place that knows every service (as
scripts/run_services.py does); `shared.http.apidocs` does the building and never imports a
service.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import re
import sys
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, *(ROOT / "services").iterdir()):  # as the services' packages are found
    if str(_path) not in sys.path:
        sys.path.append(str(_path))

from shared import disabled_accounts  # noqa: E402
from shared.errors import DomainError  # noqa: E402
from shared.events import registry  # noqa: E402
from shared.http import apidocs  # noqa: E402
from shared.http.app import ServiceDefinition, create_service_app  # noqa: E402
from shared.http.openapi import build_spec  # noqa: E402

# The services with an API; the families' web portal (web) serves pages, not an API.
FRONTENDS = ("web",)
SERVICES = sorted(
    p.name
    for p in (ROOT / "services").iterdir()
    if (p / p.name / "app.py").is_file() and p.name not in FRONTENDS
)
TEMPLATE = ROOT / "deploy/gateway/nginx.conf.template"
# Problem(status, "code", "Title", "détail", ...) written literally in the code.
_LITERAL = re.compile(
    r'Problem\(\s*(\d{3}),\s*"([a-z0-9-]+)",\s*"([^"]+)",\s*f?"((?:[^"\\]|\\.)*)"', re.S
)
# shared.http.middlewares' table: 404: ("not-found", "Not found", "Cette adresse...").
_TABLE = re.compile(r'(\d{3}): \(\s*"([a-z0-9-]+)",\s*"([^"]+)",\s*"((?:[^"\\]|\\.)*)"', re.S)
_GATEWAY = re.compile(
    r'problems/([a-z0-9-]+)","title":"([^"]+)","status":(\d{3}),"detail":"((?:[^"\\]|\\.)*)"'
)


def definitions() -> dict[str, ServiceDefinition]:
    return {name: importlib.import_module(f"{name}.app").definition() for name in SERVICES}


def openapi_in_process(definition: ServiceDefinition) -> dict[str, Any]:
    """The document the service's `/openapi.json` answers, without running it."""
    settings = definition.settings_type.from_env({})
    app = create_service_app(settings, definition)
    return build_spec(
        app, title=definition.title, version=definition.version, description=definition.description
    )


def openapi_from(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url.rstrip('/')}/openapi.json", timeout=30) as response:
        return json.load(response)


def consumers(defs: dict[str, ServiceDefinition]) -> dict[str, list[str]]:
    """event type -> the services that handle it (as tests/test_contract_matrix.py says)."""
    found: dict[str, list[str]] = {}
    for name, definition in defs.items():
        for event_type in definition.event_handlers:
            found.setdefault(event_type, []).append(name)
    for event_type in disabled_accounts.HANDLERS:
        found.setdefault(event_type, []).append("every service")
    return found


def domain_errors() -> list[tuple[str, type[DomainError]]]:
    """(owner, class) of every DomainError subclass, once every module is imported."""
    for name in SERVICES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            if module.name.endswith("__main__") or ".tests" in module.name:
                continue
            importlib.import_module(module.name)
    found, todo = [], [DomainError]
    while todo:
        cls = todo.pop()
        found.append((cls.__module__.split(".")[0], cls))
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda item: (item[1].code, item[0]))


def literal_problems() -> list[tuple[str, int, str, str, str]]:
    found = []
    sources = [ROOT / "shared", *(ROOT / "services" / s / s for s in SERVICES)]
    for source in sources:
        for path in sorted(source.rglob("*.py")):
            owner = path.relative_to(ROOT).parts[0 if source.name == "shared" else 1]
            text = path.read_text()
            for pattern in (_LITERAL, _TABLE):
                for status, code, title, detail in pattern.findall(text):
                    found.append((owner, int(status), code, title, _unescape(detail)))
    for code, title, status, detail in _GATEWAY.findall(TEMPLATE.read_text()):
        found.append(("gateway", int(status), code, title, detail.replace("\\'", "'")))
    return found


def _unescape(text: str) -> str:
    return re.sub(r"\{[^}]*\}", "…", text.replace('\\"', '"').replace("\\'", "'"))


def build(out: Path, sources: dict[str, str] | None = None) -> dict[str, Path]:
    """Writes the four documents into `out`; returns name -> path."""
    defs = definitions()
    documents = {
        name: openapi_from(sources[name]) if sources else openapi_in_process(defs[name])
        for name in SERVICES
    }
    namespace = os.environ.get("BUS_NAMESPACE", "portail")
    events = [e for e in registry.declared() if not e[0].startswith("test.")]
    problems = apidocs.problem_types(domain_errors(), literal_problems())
    written = {
        "openapi.json": apidocs.combine_openapi(documents),
        "asyncapi.json": apidocs.asyncapi_document(
            events=events, consumers=consumers(defs), namespace=namespace
        ),
        "problems.json": problems,
        "problems.html": apidocs.problems_page(problems),
    }
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, content in written.items():
        path = out / name
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(path)
        paths[name] = path
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var/gateway/docs")
    parser.add_argument(
        "--from",
        dest="sources",
        action="append",
        default=[],
        metavar="SERVICE=URL",
        help="read this service's /openapi.json from its running URL (every service, then)",
    )
    args = parser.parse_args(argv)
    sources = dict(item.split("=", 1) for item in args.sources) or None
    if sources and set(sources) != set(SERVICES):
        parser.error(f"--from must name every service: {SERVICES}")
    paths = build(args.out, sources)
    print(f"API documentation written: {', '.join(str(p) for p in paths.values())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

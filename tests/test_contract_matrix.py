"""The event contract against every service: who produces each type, who consumes it.

Built from the registry (`shared.events.contract`) and each service's handler map (its
`ServiceDefinition.event_handlers`, plus the handlers the foundation adds to every service),
so a new event type without a consumer, or a handler for a type nobody declares, fails here.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

from shared import disabled_accounts
from shared.events import registry
from shared.events.contract import KEPT_FOR_LATER_CONSUMERS

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(
    p.name for p in (ROOT / "services").iterdir() if (p / p.name / "app.py").is_file()
)
# A literal event type where an event is built: uow.emit("x.Y", ...) or new_event("x.Y", ...).
_PRODUCED = re.compile(r"""(?:emit|new_event)\(\s*["']([a-z]+\.[A-Z][A-Za-z]+)["']""")


def _consumers() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for service in SERVICES:
        definition = importlib.import_module(f"{service}.app").definition()
        for event_type in definition.event_handlers:
            found.setdefault(event_type, []).append(service)
    for event_type in disabled_accounts.HANDLERS:
        found.setdefault(event_type, []).append("every service")
    return found


def _produced_in_code() -> dict[str, set[str]]:
    produced: dict[str, set[str]] = {}
    for service in SERVICES:
        for path in (ROOT / "services" / service / service).rglob("*.py"):
            for event_type in _PRODUCED.findall(path.read_text()):
                produced.setdefault(event_type, set()).add(service)
    return produced


def test_every_service_is_found():
    assert {"identity", "family", "booking", "notify"} <= set(SERVICES)


def test_every_event_type_has_a_consumer_or_a_reason_to_wait():
    consumers = _consumers()
    matrix = [(t, consumers.get(t, [])) for t in registry.known_types() if "." in t]
    print("\n".join(f"{t:40} -> {', '.join(c) or '(kept for later)'}" for t, c in matrix))
    orphans = [
        t for t, c in matrix if not c and t not in KEPT_FOR_LATER_CONSUMERS and t[:5] != "test."
    ]
    assert orphans == [], f"produced, consumed by nobody, and not kept for later: {orphans}"
    consumed_now = sorted(t for t in KEPT_FOR_LATER_CONSUMERS if consumers.get(t))
    assert consumed_now == [], f"consumed now: remove from KEPT_FOR_LATER_CONSUMERS: {consumed_now}"
    unknown = sorted(set(KEPT_FOR_LATER_CONSUMERS) - set(registry.known_types()))
    assert unknown == []


def test_every_consumed_type_is_in_the_registry():
    known = set(registry.known_types())
    unknown = {t: s for t, s in _consumers().items() if t not in known}
    assert unknown == {}, f"handlers for event types nobody declares: {unknown}"


def test_every_produced_type_is_in_the_registry_and_produced_by_its_owner():
    known = set(registry.known_types())
    produced = _produced_in_code()
    assert produced, "no event production found: the pattern no longer matches the code"
    unknown = {t: s for t, s in produced.items() if t not in known}
    assert unknown == {}
    # An event type is named after the service that produces it.
    foreign = {t: s for t, s in produced.items() if s != {t.split(".")[0]}}
    assert foreign == {}, f"event types produced by another service than their prefix: {foreign}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_module_imports(service):
    """Nothing in a service is left unimportable (a handler map cannot hide a broken module)."""
    package = importlib.import_module(service)
    for module in pkgutil.walk_packages(package.__path__, f"{service}."):
        if module.name.endswith("__main__") or ".tests" in module.name:
            continue
        importlib.import_module(module.name)

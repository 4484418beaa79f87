"""deploy/prometheus/alerts.yml watches metrics the services really export."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from prometheus_client import Counter

from shared.metrics import ServiceMetrics

ROOT = Path(__file__).resolve().parents[2]
# Exported by Prometheus itself and kube-state-metrics.
EXTERNAL = {"up", "kube_pod_status_ready"}
# What is left of an expression once the label matchers, ranges and grouping clauses are
# taken out: metric names, function names (followed by a parenthesis) and operators.
NOT_NAMES = re.compile(
    r"\{[^}]*\}|\[[^\]]*\]|\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"
)
NAME = re.compile(r"\b([a-z_][a-z0-9_]*)\b(?!\s*\()")
OPERATORS = {"and", "or", "unless", "bool", "offset"}


def metric_names(expr: str) -> set[str]:
    return set(NAME.findall(NOT_NAMES.sub(" ", expr))) - OPERATORS


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exported() -> set[str]:
    """The series names of shared/metrics.py, and notify's email counter (dispatcher.py)."""
    registry = ServiceMetrics().registry
    Counter("notify_emails", "Emails", ["template", "outcome"], registry=registry)
    return {m.name + s for m in registry.collect() for s in SUFFIXES.get(m.type, ("",))}


def test_every_alert_uses_exported_metrics() -> None:
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    known = exported() | EXTERNAL
    alerts = [r for g in rules["groups"] for r in g["rules"]]
    assert alerts
    for rule in alerts:
        assert {"alert", "expr", "labels", "annotations"} <= set(rule), rule
        used = metric_names(rule["expr"])
        assert used, rule["alert"]
        assert used <= known, f"{rule['alert']}: unknown metrics {sorted(used - known)}"

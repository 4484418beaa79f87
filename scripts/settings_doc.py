"""The configuration tables of the operating guide, generated from the settings classes.

    uv run python scripts/settings_doc.py           # rewrites deploy/README.md between the markers
    uv run python scripts/settings_doc.py --check   # exit 1 if the guide is out of date

One table for the variables every service reads (`shared.settings.ServiceSettings`), then
one per service for its own (and the common ones whose default it changes). "production"
marks what a service refuses to start without under APP_ENV=production: found by starting
its settings class with the defaults and reading the names it refuses.
tests/deploy/test_settings_doc.py fails when the guide and the classes differ.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import importlib
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "deploy/README.md"
SERVICES = ["identity", "family", "booking", "billing", "notify", "web"]
BEGIN = "<!-- settings:begin (scripts/settings_doc.py writes this part) -->"
END = "<!-- settings:end -->"
# Values tried for a variable production refuses at its default (a key, a key ring).
STAND_INS = ("s" * 48, "k1:" + base64.b64encode(b"k" * 32).decode())


def settings_type(service: str) -> Any:
    path = str(ROOT / "services" / service)
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(f"{service}.app").definition().settings_type


def show(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, tuple):
        text = ",".join(str(v) for v in value)
    else:
        text = str(value)
    return f"`{text}`" if text else "(empty)"


def required_in_production(kind: Any) -> set[str]:
    """The variables whose defaults the class refuses under APP_ENV=production."""
    from shared.settings import SettingsError

    names = {f.metadata["env"] for f in dataclasses.fields(kind)}
    env = {"APP_ENV": "production"}
    required: set[str] = set()
    for _ in range(len(names)):
        try:
            kind.from_env(env)
            return required
        except SettingsError as exc:
            named = [n for n in re.findall(r"[A-Z][A-Z0-9_]+", str(exc)) if n in names]
            if not named:
                raise
            name = named[0]
            tried = STAND_INS.index(env[name]) + 1 if env.get(name) in STAND_INS else 0
            if tried >= len(STAND_INS):
                raise
            env[name] = STAND_INS[tried]
            required.add(name)
    return required


def table(fields: list[dataclasses.Field[Any]], required: set[str]) -> list[str]:
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for field in fields:
        name = field.metadata["env"]
        meaning = field.metadata.get("help", "").replace("|", "\\|")
        if name in required:
            meaning = f"**required in production** {meaning}".rstrip()
        lines.append(f"| `{name}` | {show(field.default)} | {meaning} |")
    return lines


def generate() -> str:
    from shared.settings import ServiceSettings

    common = {f.name: f for f in dataclasses.fields(ServiceSettings)}
    out = [
        BEGIN,
        "",
        "#### Every service",
        "",
        "Read by each service (`shared/settings.py`); a service's own default, when it has "
        "one, is in its table.",
        "",
        *table(list(common.values()), set()),
    ]
    for service in SERVICES:
        kind = settings_type(service)
        own = [
            f
            for f in dataclasses.fields(kind)
            if f.name not in common or f.default != common[f.name].default
        ]
        out += [
            "",
            f"#### {service} (`{kind.__module__}.{kind.__name__}`)",
            "",
            *table(own, required_in_production(kind)),
        ]
    out += ["", END]
    return "\n".join(out)


def updated(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + generate() + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say if it is out of date")
    args = parser.parse_args(argv)
    text = GUIDE.read_text()
    new = updated(text)
    if args.check:
        if new != text:
            print(f"{GUIDE}: out of date; run scripts/settings_doc.py", file=sys.stderr)
            return 1
        return 0
    GUIDE.write_text(new)
    print(GUIDE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

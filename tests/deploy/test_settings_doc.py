"""The operating guide's configuration tables are the settings classes' (not written twice)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_guide_lists_the_settings_of_today() -> None:
    spec = importlib.util.spec_from_file_location("settings_doc", ROOT / "scripts/settings_doc.py")
    assert spec is not None and spec.loader is not None
    settings_doc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(settings_doc)
    text = settings_doc.GUIDE.read_text()
    assert settings_doc.updated(text) == text, (
        "deploy/README.md is out of date: run `uv run python scripts/settings_doc.py`"
    )
    tables = settings_doc.generate()
    assert "| `SIGNING_KEY_SECRET` |" in tables and "**required in production**" in tables

"""Logging: JSON lines in production, readable text in development, context on every line."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog

from shared.logging import configure_logging, get_logger

QUIETED = ("aiohttp.access", "aiormq", "aio_pika")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put it back for the other tests."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in QUIETED}
    was_configured = structlog.is_configured()
    config = structlog.get_config()
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)
        if was_configured:
            structlog.configure(**config)
        else:
            structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()


def fresh_logger() -> Any:
    # A logger of our own: the service modules' loggers cache their configuration on first
    # use, and must not keep the one configured here.
    return get_logger(f"test.logging.{uuid.uuid4().hex[:8]}")


def json_lines(err: str) -> list[dict[str, Any]]:
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_json_lines_carry_the_service(capsys):
    configure_logging("sample", json=True)
    log = fresh_logger()
    log.info("note_recorded", count=3, text="été")
    [line] = json_lines(capsys.readouterr().err)
    assert line["event"] == "note_recorded"
    assert line["service"] == "sample"
    assert line["level"] == "info"
    assert line["logger"].startswith("test.logging.")
    assert line["count"] == 3
    assert line["text"] == "été"
    assert line["timestamp"].endswith("Z")  # ISO 8601, UTC


def test_json_lines_never_fail_on_values_json_does_not_know(capsys):
    configure_logging("sample", json=True)
    fresh_logger().info("odd_values", value=object(), when=datetime.now(UTC))
    [line] = json_lines(capsys.readouterr().err)
    assert line["event"] == "odd_values"
    assert "object" in line["value"]


def test_json_lines_log_uuids_as_their_plain_value(capsys):
    configure_logging("sample", json=True)
    note_id = uuid.uuid4()
    fresh_logger().info("note_recorded", note_id=note_id)
    [line] = json_lines(capsys.readouterr().err)
    assert line["note_id"] == str(note_id)


def test_bound_context_appears_on_each_line_inside_it_only(capsys):
    configure_logging("sample", json=True)
    log = fresh_logger()
    with structlog.contextvars.bound_contextvars(request_id="req-123", tenant="testville"):
        log.info("inside")
        log.warning("inside_again")
    log.info("outside")
    inside, again, outside = json_lines(capsys.readouterr().err)
    for line in (inside, again):
        assert line["request_id"] == "req-123"
        assert line["tenant"] == "testville"
        assert line["service"] == "sample"
    assert again["level"] == "warning"
    assert outside["event"] == "outside"
    assert "request_id" not in outside
    assert "tenant" not in outside


def test_standard_library_logs_are_json_lines_with_the_context(capsys):
    configure_logging("sample", json=True)
    with structlog.contextvars.bound_contextvars(request_id="req-9"):
        logging.getLogger("some.library").warning("disk %s%% full", 93)
    [line] = json_lines(capsys.readouterr().err)
    assert line["event"] == "disk 93% full"
    assert line["level"] == "warning"
    assert line["logger"] == "some.library"
    assert line["service"] == "sample"
    assert line["request_id"] == "req-9"


def test_exceptions_are_rendered_inside_the_json_line(capsys):
    configure_logging("sample", json=True)
    log = fresh_logger()
    try:
        raise ValueError("broken invariant")
    except ValueError:
        log.exception("unhandled_error", error_id="e-1")
    [line] = json_lines(capsys.readouterr().err)
    assert line["level"] == "error"
    assert line["error_id"] == "e-1"
    assert "Traceback" in line["exception"]
    assert "ValueError: broken invariant" in line["exception"]


def test_level_filters_lines(capsys):
    configure_logging("sample", json=True, level="warning")
    log = fresh_logger()
    log.info("too_chatty")
    log.debug("even_more")
    log.error("kept")
    [line] = json_lines(capsys.readouterr().err)
    assert line["event"] == "kept"


def test_noisy_libraries_are_quieted():
    configure_logging("sample", json=True, level="debug")
    for name in QUIETED:
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
    assert logging.getLogger("some.library").isEnabledFor(logging.DEBUG)


def test_console_mode_is_readable_text(capsys):
    configure_logging("sample", json=False)
    log = fresh_logger()
    with structlog.contextvars.bound_contextvars(request_id="req-7", tenant="testville"):
        log.info("note_recorded", count=3)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1
    [line] = lines
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
    assert "note_recorded" in line
    assert "info" in line
    assert "count=3" in line
    assert "request_id=req-7" in line
    assert "tenant=testville" in line
    assert "service=sample" in line
    assert "\x1b[" not in line  # no colour codes when stderr is not a terminal


def test_console_mode_shows_exceptions(capsys):
    configure_logging("sample", json=False)
    log = fresh_logger()
    try:
        raise ValueError("broken invariant")
    except ValueError:
        log.exception("unhandled_error")
    err = capsys.readouterr().err
    assert "unhandled_error" in err
    assert "ValueError" in err
    assert "broken invariant" in err

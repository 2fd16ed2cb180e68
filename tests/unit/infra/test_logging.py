"""Tests for structured logging: JSON lines, rotation, redaction, levels and re-configuration."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog

from midfreq.infra.logging import configure_logging, get_logger, redact_secrets


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    structlog.reset_defaults()


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_file_lines_are_json_with_standard_keys(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "midfreq.log"
    configure_logging(console=False, file_path=path)
    before = datetime.now(UTC)

    get_logger("oms", strategy_id="MR-001").info("order_submitted", quantity=100, price=10.5)

    [record] = read_json_lines(path)
    assert record["event"] == "order_submitted"
    assert record["level"] == "info"
    assert record["component"] == "oms"
    assert record["logger"] == "midfreq.oms"
    assert record["strategy_id"] == "MR-001"
    assert record["quantity"] == 100
    assert record["price"] == 10.5
    assert record["timestamp"].endswith("Z")
    stamp = datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=60) <= stamp <= datetime.now(UTC) + timedelta(seconds=60)


def test_standard_library_records_use_the_same_format(tmp_path: Path) -> None:
    path = tmp_path / "midfreq.log"
    configure_logging(console=False, file_path=path)

    logging.getLogger("thirdparty.client").warning("retrying in %d s", 3)

    [record] = read_json_lines(path)
    assert record["event"] == "retrying in 3 s"
    assert record["level"] == "warning"
    assert record["logger"] == "thirdparty.client"
    assert "timestamp" in record


def test_exception_is_written_as_text(tmp_path: Path) -> None:
    path = tmp_path / "midfreq.log"
    configure_logging(console=False, file_path=path)

    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        get_logger("risk").exception("check_failed")

    [record] = read_json_lines(path)
    assert record["level"] == "error"
    assert "ZeroDivisionError: division by zero" in record["exception"]


def test_console_text_is_human_readable() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream)

    get_logger("data").info("bar_received", symbol="AAPL")

    line = stream.getvalue()
    assert line.count("\n") == 1
    assert "[info" in line
    assert "bar_received" in line
    assert "[midfreq.data]" in line
    assert "symbol=AAPL" in line
    assert "component=data" in line
    assert "\x1b[" not in line  # no colour codes
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_console_json() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, console_format="json")

    get_logger("data").info("bar_received", symbol="AAPL")

    record = json.loads(stream.getvalue())
    assert record["event"] == "bar_received"
    assert record["symbol"] == "AAPL"


def test_file_rotates_at_max_bytes(tmp_path: Path) -> None:
    path = tmp_path / "midfreq.log"
    configure_logging(console=False, file_path=path, max_bytes=400, backup_count=2)
    log = get_logger("bench")

    for i in range(40):
        log.info("tick", sequence=i)

    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["midfreq.log", "midfreq.log.1", "midfreq.log.2"]
    for file in files:
        assert 0 < file.stat().st_size <= 400
    # The newest events are in the current file; the oldest were dropped with older backups.
    sequences = [record["sequence"] for f in reversed(files) for record in read_json_lines(f)]
    assert sequences == list(range(40 - len(sequences), 40))
    assert len(sequences) < 40


@pytest.mark.parametrize(
    "key",
    ["api_key", "API_KEY", "apikey", "client_secret", "password", "access_token", "Authorization"],
)
def test_secret_keys_are_redacted(tmp_path: Path, key: str) -> None:
    path = tmp_path / "midfreq.log"
    stream = io.StringIO()
    configure_logging(stream=stream, file_path=path)

    get_logger("connector").info("connected", **{key: "s3cret-value"}, venue="SIM")

    [record] = read_json_lines(path)
    assert record[key] == "***"
    assert record["venue"] == "SIM"
    assert "s3cret-value" not in path.read_text(encoding="utf-8")
    assert "s3cret-value" not in stream.getvalue()


def test_bound_and_nested_secrets_are_redacted(tmp_path: Path) -> None:
    path = tmp_path / "midfreq.log"
    configure_logging(console=False, file_path=path)
    headers = {"Authorization": "Bearer abc", "Accept": "json"}

    log = get_logger("connector", api_key="bound-secret")
    log.info("request", headers=headers, payloads=[{"password": "pw", "user": "u"}])

    [record] = read_json_lines(path)
    assert record["api_key"] == "***"
    assert record["headers"] == {"Authorization": "***", "Accept": "json"}
    assert record["payloads"] == [{"password": "***", "user": "u"}]
    assert headers["Authorization"] == "Bearer abc"  # the caller's object is not changed


def test_redact_secrets_processor_directly() -> None:
    event = {"event": "login", "user": "ada", "session_token": "t", "tokens_used": 3}

    assert redact_secrets(None, "info", event) == {
        "event": "login",
        "user": "ada",
        "session_token": "***",
        "tokens_used": "***",
    }


def test_reconfiguring_does_not_duplicate_output(tmp_path: Path) -> None:
    first, second = io.StringIO(), io.StringIO()
    path = tmp_path / "midfreq.log"
    configure_logging(stream=first, file_path=path)
    configure_logging(stream=second, file_path=path)
    configure_logging(stream=second, file_path=path)

    get_logger("oms").info("once")

    assert first.getvalue() == ""
    assert second.getvalue().count("once") == 1
    assert len(read_json_lines(path)) == 1
    names = [h.name or "" for h in logging.getLogger().handlers]
    assert sorted(n for n in names if n.startswith("midfreq")) == [
        "midfreq.console",
        "midfreq.file",
    ]


def test_reconfiguring_keeps_handlers_added_by_others() -> None:
    other = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(other)

    configure_logging(stream=io.StringIO())
    configure_logging(stream=io.StringIO())

    assert other in logging.getLogger().handlers


def test_logger_created_before_configuration_uses_it() -> None:
    log = get_logger("early")
    stream = io.StringIO()
    configure_logging(stream=stream, console_format="json")

    log.info("after_configure")

    assert json.loads(stream.getvalue())["component"] == "early"


@pytest.mark.parametrize(
    ("level", "expected_events"),
    [
        ("DEBUG", ["debug", "info", "warning", "error", "foreign_debug"]),
        ("info", ["info", "warning", "error"]),
        ("WARNING", ["warning", "error"]),
        ("ERROR", ["error"]),
        ("CRITICAL", []),
    ],
)
def test_level_filtering(level: str, expected_events: list[str]) -> None:
    stream = io.StringIO()
    configure_logging(level, stream=stream, console_format="json")
    log = get_logger("oms")

    log.debug("debug")
    log.info("info")
    log.warning("warning")
    log.error("error")
    logging.getLogger("thirdparty").debug("foreign_debug")

    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    assert events == expected_events


def test_no_handlers_requested_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(console=False)

    get_logger("oms").error("nowhere")

    captured = capsys.readouterr()
    assert "nowhere" not in captured.err + captured.out


@pytest.mark.parametrize("level", ["x", "VERBOSE", ""])
def test_invalid_level(level: str) -> None:
    with pytest.raises(ValueError, match="level: expected one of") as info:
        configure_logging(level)

    assert str(info.value) == (
        f"level: expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL, was {level!r}"
    )


def test_invalid_level_leaves_previous_configuration(tmp_path: Path) -> None:
    stream = io.StringIO()
    configure_logging(stream=stream)

    with pytest.raises(ValueError, match="level"):
        configure_logging("loud", stream=io.StringIO())
    get_logger("oms").info("still_here")

    assert "still_here" in stream.getvalue()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"console_format": "xml"}, "console_format: expected 'text' or 'json', was 'xml'"),
        ({"max_bytes": -1}, "max_bytes: expected a size in bytes >= 0, was -1"),
        ({"backup_count": -2}, "backup_count: expected a count >= 0, was -2"),
    ],
)
def test_invalid_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="expected") as info:
        configure_logging(**kwargs)

    assert str(info.value) == message


def test_get_logger_name_is_not_doubly_prefixed() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, console_format="json")

    get_logger("midfreq.oms").info("x")

    assert json.loads(stream.getvalue())["logger"] == "midfreq.oms"

"""Structured logging: structlog on top of the standard library, with secrets redacted.

`configure_logging` installs a console handler (readable text or JSON) and an optional rotating
JSON-lines file on the root logger, so records from libraries appear in the same format.
`get_logger` returns a logger with the emitting component bound.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from midfreq.core.errors import expected

__all__ = ["REDACTED", "SECRET_KEY_MARKERS", "configure_logging", "get_logger", "redact_secrets"]

LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SECRET_KEY_MARKERS: Final = ("api_key", "apikey", "secret", "password", "token", "authorization")
"""A key whose lower-cased name contains one of these has its value logged as `REDACTED`."""
REDACTED: Final = "***"

_HANDLER_PREFIX: Final = "midfreq."
_ROOT_LOGGER_NAME: Final = "midfreq"


def redact_secrets(_logger: WrappedLogger, _method_name: str, event_dict: EventDict) -> EventDict:
    """Replace the values of secret-looking keys with ``"***"`` (a structlog processor).

    A key is secret when its lower-cased name contains one of `SECRET_KEY_MARKERS`; nested
    mappings and lists (HTTP headers, request payloads) are redacted too, as copies, so the
    caller's objects are not changed.

    Examples
    --------
    >>> redact_secrets(None, "info", {"event": "connected", "api_key": "k", "user": "u"})
    {'event': 'connected', 'api_key': '***', 'user': 'u'}
    """
    for key, value in event_dict.items():
        event_dict[key] = REDACTED if _is_secret(key) else _redact_nested(value)
    return event_dict


def _is_secret(key: object) -> bool:
    name = str(key).lower()
    return any(marker in name for marker in SECRET_KEY_MARKERS)


def _redact_nested(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: REDACTED if _is_secret(k) else _redact_nested(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_nested(item) for item in value)
    return value


def _shared_processors() -> list[Processor]:
    # Run for structlog events and for records from plain `logging` users alike.
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        redact_secrets,
    ]


def _formatter(renderer: Literal["text", "json"]) -> structlog.stdlib.ProcessorFormatter:
    processors: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if renderer == "json":
        processors += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        # Plain tracebacks: rich ones show local variables, which may hold secrets.
        processors.append(
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            )
        )
    return structlog.stdlib.ProcessorFormatter(
        processors=processors, foreign_pre_chain=_shared_processors()
    )


def configure_logging(
    level: str = "INFO",
    *,
    console: bool = True,
    console_format: Literal["text", "json"] = "text",
    file_path: str | Path | None = None,
    max_bytes: int = 10_000_000,
    backup_count: int = 5,
    stream: TextIO | None = None,
) -> None:
    """Set up structured logging for the process; calling it again replaces the previous setup.

    Every line carries an ISO-8601 UTC timestamp, the level, the logger name, the event and its
    key-values; values of secret-looking keys are redacted (see `redact_secrets`). Handlers are
    installed on the root logger, so standard-library records from other packages are formatted
    the same way; handlers installed by earlier calls are closed and removed, and handlers that
    others added are left alone. Timestamps are wall-clock time even in a backtest, where the
    simulated time belongs in the event's own keys (``ts_event``).

    Parameters
    ----------
    level : str
        Lowest level written: DEBUG, INFO, WARNING, ERROR or CRITICAL (any case).
    console : bool
        Write to `stream`.
    console_format : {"text", "json"}
        Human-readable aligned text, or one JSON object per line.
    file_path : str or Path, optional
        Also write JSON lines to this file, rotated at `max_bytes`; its directory is created.
    max_bytes : int
        Size at which the file is rotated (0 never rotates).
    backup_count : int
        Rotated files kept (``app.log.1`` ... ``app.log.N``).
    stream : TextIO, optional
        The console stream; standard error by default.

    Raises
    ------
    ValueError
        If `level`, `console_format`, `max_bytes` or `backup_count` is invalid.
    """
    level_name = level.upper() if isinstance(level, str) else ""
    if level_name not in LEVELS:
        raise expected("level", level, f"one of {', '.join(LEVELS)}")
    if console_format not in ("text", "json"):
        raise expected("console_format", console_format, "'text' or 'json'")
    if max_bytes < 0:
        raise expected("max_bytes", max_bytes, "a size in bytes >= 0")
    if backup_count < 0:
        raise expected("backup_count", backup_count, "a count >= 0")

    handlers: list[logging.Handler] = []
    if console:
        console_handler = logging.StreamHandler(sys.stderr if stream is None else stream)
        console_handler.set_name(f"{_HANDLER_PREFIX}console")
        console_handler.setFormatter(_formatter(console_format))
        handlers.append(console_handler)
    if file_path is not None:
        path = Path(file_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
        )
        file_handler.set_name(f"{_HANDLER_PREFIX}file")
        file_handler.setFormatter(_formatter("json"))
        handlers.append(file_handler)
    if not handlers:  # nothing requested: stay silent rather than fall back to logging.lastResort
        null_handler = logging.NullHandler()
        null_handler.set_name(f"{_HANDLER_PREFIX}null")
        handlers.append(null_handler)

    root = logging.getLogger()
    for handler in list(root.handlers):
        if (handler.name or "").startswith(_HANDLER_PREFIX):
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level_name)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Loggers made at import time, before this call, must still pick up this configuration.
        cache_logger_on_first_use=False,
    )


def _configure_library_default() -> None:
    # Used as a library (a script running `BacktestEngine` without `configure_logging`),
    # midfreq logs like any well-behaved library: through the standard `logging` module, so
    # the application's logging setup decides; with none, Python prints warnings and errors
    # to standard error and nothing else (structlog's own default prints every level).
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(component: str, **bound: Any) -> structlog.stdlib.BoundLogger:
    """Return a structured logger for `component`, with `component` and `bound` in every event.

    The standard-library logger is named ``midfreq.<component>``. The logger may be created
    before `configure_logging` is called; it uses the configuration current when it logs.
    Without `configure_logging`, events go to the standard `logging` module (by default only
    warnings and errors, to standard error).

    Parameters
    ----------
    component : str
        What is logging, for example ``"oms"`` or ``"risk.gate"``.
    **bound : Any
        Further key-values added to every event, for example ``strategy_id="MR-001"``.

    Returns
    -------
    structlog.stdlib.BoundLogger
        Call ``.info("order_submitted", client_order_id=...)`` and so on.
    """
    if not structlog.is_configured():
        _configure_library_default()
    name = (
        component
        if component == _ROOT_LOGGER_NAME or component.startswith(f"{_ROOT_LOGGER_NAME}.")
        else f"{_ROOT_LOGGER_NAME}.{component}"
    )
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(
        name, component=component, **bound
    )
    return logger

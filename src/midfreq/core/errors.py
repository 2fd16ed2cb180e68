"""Exceptions grouped by how they are handled.

User mistakes (`UserError` and subclasses) carry one clear message naming the field, the value and
what was expected; the CLI prints them without a traceback. `InvariantViolation` means the system
refused something that must never happen (an overfill, an illegal order transition).
"""

from __future__ import annotations

from typing import Any


class MidfreqError(Exception):
    """Base class of every error raised by midfreq."""


class UserError(MidfreqError):
    """A mistake in input a user controls: config, data files, command-line arguments, requests."""


class ConfigError(UserError):
    """A configuration value is missing, unknown or invalid.

    Parameters
    ----------
    field : str
        Dotted path of the offending key, for example ``risk.max_order_quantity``.
    value : Any
        The value that was given.
    expected : str
        What would have been accepted.
    source : str, optional
        The file (or other origin) the value came from.
    """

    def __init__(self, field: str, value: Any, expected: str, source: str | None = None) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        self.source = source
        where = f" in {source}" if source else ""
        super().__init__(f"{field}{where}: expected {expected}, was {value!r}")


class DataError(UserError):
    """Market data that cannot be used: unreadable file, bad row, unknown symbol."""


class VenueError(MidfreqError):
    """A venue or broker connection failed or answered something unusable."""


class RiskError(MidfreqError):
    """A risk component was misused (a refusal of an order is an event, never this error)."""


class InvariantViolation(MidfreqError):
    """Something that must never happen was attempted and refused."""


class InvalidStateTransition(InvariantViolation):
    """An aggregate was asked to apply an event its current state does not allow."""


def expected(name: str, value: Any, what: str) -> ValueError:
    """Build a ``ValueError`` saying ``name: expected <what>, was <value>``."""
    return ValueError(f"{name}: expected {what}, was {value!r}")

"""Tests of the error hierarchy and the "expected X, was Y" messages."""

from __future__ import annotations

import pytest

from midfreq.core.errors import (
    ConfigError,
    DataError,
    InvalidStateTransition,
    InvariantViolation,
    MidfreqError,
    RiskError,
    UserError,
    VenueError,
    expected,
)


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        (ConfigError, (UserError, MidfreqError)),
        (DataError, (UserError, MidfreqError)),
        (VenueError, (MidfreqError,)),
        (RiskError, (MidfreqError,)),
        (InvalidStateTransition, (InvariantViolation, MidfreqError)),
        (UserError, (MidfreqError, Exception)),
    ],
)
def test_hierarchy_groups_errors_by_handling(
    error: type[Exception], bases: tuple[type[Exception], ...]
) -> None:
    assert issubclass(error, bases)


@pytest.mark.parametrize(
    "error", [VenueError, RiskError, InvariantViolation, InvalidStateTransition]
)
def test_non_user_errors_are_not_user_errors(error: type[Exception]) -> None:
    assert not issubclass(error, UserError)


def test_config_error_names_field_value_expectation_and_source() -> None:
    error = ConfigError("risk.max_order_quantity", -5, "a positive number", source="cfg.yaml")
    assert str(error) == "risk.max_order_quantity in cfg.yaml: expected a positive number, was -5"
    assert (error.field, error.value, error.expected, error.source) == (
        "risk.max_order_quantity",
        -5,
        "a positive number",
        "cfg.yaml",
    )


def test_config_error_without_source_reprs_strings() -> None:
    error = ConfigError("mode", "fast", "one of backtest, paper, live")
    assert str(error) == "mode: expected one of backtest, paper, live, was 'fast'"
    assert error.source is None


def test_expected_builds_a_value_error() -> None:
    error = expected("quantity", -1.5, "> 0")
    assert isinstance(error, ValueError)
    assert str(error) == "quantity: expected > 0, was -1.5"

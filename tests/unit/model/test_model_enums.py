"""Tests of the domain enums: StrEnum with UPPER_SNAKE members, side sign and opposite."""

from __future__ import annotations

from enum import StrEnum

import pytest

from midfreq.model import enums
from midfreq.model.enums import TERMINAL_ORDER_STATUSES, OrderSide, OrderStatus

ENUMS = [
    value
    for value in vars(enums).values()
    if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
]


def test_there_are_enums_to_check() -> None:
    assert OrderSide in ENUMS
    assert len(ENUMS) >= 10


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_members_are_upper_snake_and_equal_their_name(enum: type[StrEnum]) -> None:
    for member in enum:
        assert member.value == member.name
        assert member.name == member.name.upper()
        assert " " not in member.name


def test_side_sign_and_opposite() -> None:
    assert (OrderSide.BUY.sign, OrderSide.SELL.sign) == (1, -1)
    assert OrderSide.BUY.opposite is OrderSide.SELL
    assert OrderSide.SELL.opposite is OrderSide.BUY


def test_terminal_statuses_are_order_statuses() -> None:
    assert set(OrderStatus) > TERMINAL_ORDER_STATUSES
    assert OrderStatus.PARTIALLY_FILLED not in TERMINAL_ORDER_STATUSES

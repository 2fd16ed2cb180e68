"""Tests of the value types: fixed-point Money, div_round, to_fixed and currencies."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from midfreq.model.values import (
    BTC,
    EUR,
    JPY,
    MONEY_PRECISION,
    MONEY_SCALE,
    USD,
    USDT,
    Currency,
    Money,
    currency,
    div_round,
    to_fixed,
)


def _reference_div_round(numerator: int, denominator: int) -> int:
    """Half away from zero via exact fractions."""
    exact = Fraction(numerator, denominator)
    magnitude = math.floor(abs(exact) + Fraction(1, 2))
    return magnitude if exact >= 0 else -magnitude


# ---- div_round -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("numerator", "denominator", "result"),
    [
        (10, 5, 2),
        (7, 2, 4),  # 3.5 -> 4
        (-7, 2, -4),  # -3.5 -> -4 (away from zero)
        (5, 2, 3),  # 2.5 -> 3 (not banker's 2)
        (-5, 2, -3),
        (7, -2, -4),
        (-7, -2, 4),
        (1, 3, 0),
        (2, 3, 1),
        (-1, 3, 0),
        (-2, 3, -1),
        (0, 7, 0),
        (10**30 + 1, 2, 5 * 10**29 + 1),  # exact beyond float range
    ],
)
def test_div_round_by_hand(numerator: int, denominator: int, result: int) -> None:
    assert div_round(numerator, denominator) == result


@given(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.integers(min_value=-(10**20), max_value=10**20).filter(lambda d: d != 0),
)
def test_div_round_matches_exact_fraction_rounding(numerator: int, denominator: int) -> None:
    assert div_round(numerator, denominator) == _reference_div_round(numerator, denominator)


def test_div_round_by_zero_raises() -> None:
    with pytest.raises(ZeroDivisionError):
        div_round(1, 0)


# ---- to_fixed ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "precision", "raw"),
    [
        (123.45, 2, 12345),
        (0.1 + 0.2, 1, 3),
        (1.15, 2, 115),  # 114.99999999999999 in binary, nearest is 115
        (-2.5, 0, -2),  # round() is half to even on an exact half
        (0.000001, 6, 1),
        (4500.25, 2, 450025),
    ],
)
def test_to_fixed(value: float, precision: int, raw: int) -> None:
    assert to_fixed(value, precision) == raw


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(0, 6))
def test_to_fixed_recovers_decimal_grid_values(units: int, precision: int) -> None:
    assert to_fixed(units / 10**precision, precision) == units


# ---- Money ---------------------------------------------------------------------------------
def test_money_scale() -> None:
    assert MONEY_PRECISION == 9
    assert MONEY_SCALE == 10**9


@pytest.mark.parametrize(
    ("amount", "ccy", "raw"),
    [
        (1.23, USD, 1_230_000_000),
        (-1.23, USD, -1_230_000_000),
        (0.004, USD, 0),
        (0.006, USD, 10_000_000),
        (1.15, USD, 1_150_000_000),
        (100, JPY, 100_000_000_000),
        (100.4, JPY, 100_000_000_000),
        ("0.12345678", BTC, 123_456_780),
        ("10", USD, 10_000_000_000),
        (7, USD, 7_000_000_000),
    ],
)
def test_money_of_rounds_to_the_currency_minor_unit(
    amount: float | int | str, ccy: Currency, raw: int
) -> None:
    money = Money.of(amount, ccy)
    assert money.raw == raw
    assert money.currency == ccy


@pytest.mark.parametrize(
    ("text", "ccy", "raw"),
    [
        # Beyond 2**53 minor units a float cannot hold these; strings must stay exact.
        ("90071992547409.93", USD, 90_071_992_547_409_930_000_000),
        ("123456789.12345678", USDT, 123_456_789_123_456_780),
        ("0.125", USD, 120_000_000),  # exact half rounds to even
        ("0.135", USD, 140_000_000),
        ("-0.125", USD, -120_000_000),
    ],
)
def test_money_of_string_is_exact(text: str, ccy: Currency, raw: int) -> None:
    assert Money.of(text, ccy).raw == raw


def test_money_of_large_int_is_exact() -> None:
    assert Money.of(10**17 + 1).raw == (10**17 + 1) * MONEY_SCALE


@pytest.mark.parametrize("bad", ["abc", "", "nan", "inf", "1,000"])
def test_money_of_bad_string_raises_value_error(bad: str) -> None:
    with pytest.raises(ValueError, match="expected a finite number"):
        Money.of(bad)


def test_money_default_currency_is_usd() -> None:
    assert Money(5).currency == USD
    assert Money.of(1) == Money(MONEY_SCALE, USD)


def test_money_amount_and_str() -> None:
    money = Money.of(1234.5)
    assert money.amount == 1234.5
    assert str(money) == "1,234.50 USD"
    assert str(Money.of(-3, JPY)) == "-3 JPY"
    assert str(Money.of("0.5", BTC)) == "0.50000000 BTC"


def test_money_add_sub_neg_are_exact() -> None:
    a, b = Money.of(0.1), Money.of(0.2)
    assert a + b == Money.of(0.3)  # exact, unlike 0.1 + 0.2 in floats
    assert (b - a).raw == 100_000_000
    assert (-a).raw == -100_000_000
    assert (a - b) == -(b - a)


def test_money_sum_of_many_cents_is_exact() -> None:
    total = Money(0)
    for _ in range(10_000):
        total = total + Money.of(0.01)
    assert total == Money.of(100)


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_money_currency_mismatch_raises(operation: object) -> None:
    usd, eur = Money.of(1, USD), Money.of(2, EUR)
    with pytest.raises(ValueError, match="currency: expected USD, was EUR"):
        operation(usd, eur)  # type: ignore[operator]


def test_money_same_raw_in_different_currencies_is_not_equal() -> None:
    assert Money(1, USD) != Money(1, EUR)


def test_money_ordering_within_one_currency() -> None:
    small, large = Money.of(1), Money.of(2)
    assert small < large
    assert small <= small
    assert large > small
    assert large >= large
    assert not large < small
    assert sorted([large, small, -large]) == [-large, small, large]
    assert max(small, large) == large


@pytest.mark.parametrize(
    ("raw", "ccy", "rounded"),
    [
        (1_234_999_999, USD, 1_230_000_000),
        (1_235_000_000, USD, 1_240_000_000),  # half a cent rounds away from zero
        (-1_235_000_000, USD, -1_240_000_000),
        (1_234_999_999, JPY, 1_000_000_000),
        (499_999_999, JPY, 0),
        (123_456_789, BTC, 123_456_790),
    ],
)
def test_money_rounded_to_minor_unit(raw: int, ccy: Currency, rounded: int) -> None:
    result = Money(raw, ccy).rounded()
    assert result == Money(rounded, ccy)


def test_money_is_immutable() -> None:
    money = Money(1)
    with pytest.raises(AttributeError):
        money.raw = 2  # type: ignore[misc]


@given(st.lists(st.integers(min_value=-(10**11), max_value=10**11), max_size=50))
def test_money_sum_of_cents_matches_integer_sum(cents: list[int]) -> None:
    total = Money(0)
    for amount in cents:
        total = total + Money.of(amount / 100)
    assert total.raw == sum(cents) * 10_000_000


# ---- currencies ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "expected"),
    [("USD", USD), ("usd", USD), ("JPY", JPY), ("BTC", BTC), ("CHF", Currency("CHF", 2))],
)
def test_currency_lookup(code: str, expected: Currency) -> None:
    assert currency(code) == expected


@pytest.mark.parametrize("bad", ["", "U", "US-D", "TOOLONGCODE", 5])
def test_currency_bad_code(bad: object) -> None:
    with pytest.raises(ValueError, match="currency"):
        currency(bad)  # type: ignore[arg-type]


def test_currency_precisions() -> None:
    assert (USD.precision, JPY.precision, BTC.precision, USDT.precision) == (2, 0, 8, 8)
    assert str(EUR) == "EUR"

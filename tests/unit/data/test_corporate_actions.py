"""Tests of split and dividend back-adjustment on hand-computed numbers: continuity across a
split, dividend scaling, compounding, the day a bar belongs to, ranges and validation."""

from __future__ import annotations

import calendar as stdlib_calendar
from datetime import date, datetime

import numpy as np
import pytest

from midfreq.core.errors import ConfigError, DataError
from midfreq.data.bars import BarArrays
from midfreq.data.corporate_actions import (
    CashDividend,
    CorporateAction,
    Split,
    adjust_bars,
    adjustment_factors,
)
from midfreq.model.identifiers import InstrumentId

AAPL = InstrumentId("AAPL.SIM")


def utc_ns(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return stdlib_calendar.timegm((year, month, day, hour, minute, 0)) * 10**9


def daily_bars(days: list[date], opens: list[float], closes: list[float]) -> BarArrays:
    """Daily bars stamped at 16:00 New York in summer (20:00 UTC)."""
    ts = [utc_ns(d.year, d.month, d.day, 20) for d in days]
    o, c = np.array(opens), np.array(closes)
    return BarArrays(
        AAPL,
        np.array(ts, dtype=np.int64),
        o,
        np.maximum(o, c) + 1.0,
        np.minimum(o, c) - 1.0,
        c,
        np.array([1000.0 * (i + 1) for i in range(len(days))]),
    )


# AAPL's 4-for-1 split went ex on Monday 2020-08-31; the numbers are round, for hand checks.
SPLIT_DAYS = [date(2020, 8, 27), date(2020, 8, 28), date(2020, 8, 31), date(2020, 9, 1)]


@pytest.fixture
def split_bars() -> BarArrays:
    return daily_bars(SPLIT_DAYS, [496.0, 498.0, 125.0, 126.0], [498.0, 500.0, 126.0, 127.0])


def test_four_for_one_split_makes_the_last_close_before_continuous_with_the_first_open_after(
    split_bars: BarArrays,
) -> None:
    actions = [Split(date(2020, 8, 31), 4.0)]

    factors = adjustment_factors(split_bars, actions)
    adjusted = adjust_bars(split_bars, actions, mode="adjusted")

    assert factors.tolist() == [0.25, 0.25, 1.0, 1.0]
    assert adjusted.close.tolist() == [124.5, 125.0, 126.0, 127.0]
    assert adjusted.open.tolist() == [124.0, 124.5, 125.0, 126.0]
    assert adjusted.close[1] == adjusted.open[2]
    assert adjusted.high.tolist() == [124.75, 125.25, 127.0, 128.0]
    assert adjusted.low.tolist() == [123.75, 124.25, 124.0, 125.0]
    # Four times the shares before the split; traded value unchanged.
    assert adjusted.volume.tolist() == [4000.0, 8000.0, 3000.0, 4000.0]
    np.testing.assert_allclose(
        adjusted.close * adjusted.volume, split_bars.close * split_bars.volume
    )
    assert adjusted.ts.tolist() == split_bars.ts.tolist()


def test_reverse_split_raises_earlier_prices_and_cuts_volume() -> None:
    bars = daily_bars([date(2024, 6, 3), date(2024, 6, 4)], [1.0, 10.0], [1.0, 10.0])

    adjusted = adjust_bars(bars, [Split(date(2024, 6, 4), 0.1)], mode="adjusted")

    assert adjusted.close.tolist() == pytest.approx([10.0, 10.0], rel=1e-12)
    assert adjusted.volume.tolist() == pytest.approx([100.0, 2000.0], rel=1e-12)


def test_dividend_of_one_on_a_close_of_100_scales_earlier_prices_by_0_99() -> None:
    days = [date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 5)]
    bars = daily_bars(days, [98.0, 99.0, 99.5], [99.0, 100.0, 99.2])

    factors = adjustment_factors(bars, [CashDividend(date(2024, 6, 5), 1.00)])
    adjusted = adjust_bars(bars, [CashDividend(date(2024, 6, 5), 1.00)], mode="adjusted")

    assert factors.tolist() == pytest.approx([0.99, 0.99, 1.0], rel=1e-12)
    assert adjusted.close.tolist() == pytest.approx([98.01, 99.0, 99.2], rel=1e-12)
    assert adjusted.open.tolist() == pytest.approx([97.02, 98.01, 99.5], rel=1e-12)
    # Dividends leave volume alone.
    assert adjusted.volume.tolist() == bars.volume.tolist()


def test_split_and_dividend_compound() -> None:
    days = [date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 5), date(2024, 6, 6)]
    # Raw: 100 before the dividend, then a 2-for-1 split the day after, priced near 49.5.
    bars = daily_bars(days, [100.0, 99.0, 49.5, 49.6], [100.0, 99.0, 49.5, 49.8])
    actions: list[CorporateAction] = [
        Split(date(2024, 6, 5), 2.0),
        CashDividend(date(2024, 6, 4), 1.00),  # on the raw close 100.00 of 2024-06-03
    ]

    factors = adjustment_factors(bars, actions)
    adjusted = adjust_bars(bars, actions, mode="adjusted")

    # 2024-06-03: 0.99 * 0.5; 2024-06-04: 0.5; after the split: 1.
    assert factors.tolist() == pytest.approx([0.495, 0.5, 1.0, 1.0], rel=1e-12)
    assert adjusted.close.tolist() == pytest.approx([49.5, 49.5, 49.5, 49.8], rel=1e-12)
    assert adjusted.volume.tolist() == [2000.0, 4000.0, 3000.0, 4000.0]
    # The order the actions are given in does not matter.
    assert adjustment_factors(bars, actions[::-1]).tolist() == factors.tolist()


def test_dividend_after_a_split_uses_the_raw_previous_close() -> None:
    days = [date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 5)]
    bars = daily_bars(days, [100.0, 50.0, 49.5], [100.0, 50.0, 49.5])
    actions: list[CorporateAction] = [
        Split(date(2024, 6, 4), 2.0),
        CashDividend(date(2024, 6, 5), 0.5),
    ]

    # The dividend factor is 1 - 0.5 / 50.0 = 0.99 (raw close of 2024-06-04).
    assert adjustment_factors(bars, actions).tolist() == pytest.approx(
        [0.5 * 0.99, 0.99, 1.0], rel=1e-12
    )


def test_no_actions_gives_factors_of_one_and_unchanged_bars(split_bars: BarArrays) -> None:
    adjusted = adjust_bars(split_bars, [], mode="adjusted")

    assert adjustment_factors(split_bars, []).tolist() == [1.0] * 4
    assert adjusted.close.tolist() == split_bars.close.tolist()
    assert adjusted.volume.tolist() == split_bars.volume.tolist()


def test_raw_mode_returns_the_bars_unchanged(split_bars: BarArrays) -> None:
    assert adjust_bars(split_bars, [Split(date(2020, 8, 31), 4.0)], mode="raw") is split_bars


def test_actions_outside_the_bars_change_nothing(split_bars: BarArrays) -> None:
    before: list[CorporateAction] = [
        Split(date(2020, 8, 27), 4.0),
        CashDividend(date(2020, 1, 2), 5.0),
    ]
    after: list[CorporateAction] = [
        Split(date(2020, 9, 2), 4.0),
        CashDividend(date(2021, 2, 5), 0.205),
    ]

    assert adjustment_factors(split_bars, before).tolist() == [1.0] * 4
    # Adjustment is anchored to the last bar: later actions are not applied.
    assert adjustment_factors(split_bars, after).tolist() == [1.0] * 4


def test_action_on_a_day_without_bars_adjusts_the_bars_before_it() -> None:
    # Friday and Tuesday bars around a Monday ex-date with no bar (a data gap).
    bars = daily_bars([date(2024, 6, 7), date(2024, 6, 11)], [100.0, 50.0], [100.0, 50.0])

    assert adjustment_factors(bars, [Split(date(2024, 6, 10), 2.0)]).tolist() == [0.5, 1.0]


def test_a_bar_belongs_to_the_day_of_its_close_in_the_time_zone() -> None:
    ts = [
        utc_ns(2024, 6, 4, 3, 30),  # 23:30 New York on 2024-06-03
        utc_ns(2024, 6, 4, 4, 0),  # 00:00 New York on 2024-06-04, the ex-date
        utc_ns(2024, 6, 4, 14, 0),
    ]
    ones = np.ones(3)
    bars = BarArrays(AAPL, np.array(ts), ones, ones, ones, ones, ones)
    split = [Split(date(2024, 6, 4), 2.0)]

    assert adjustment_factors(bars, split).tolist() == [0.5, 1.0, 1.0]
    # In UTC all three bars are on the ex-date, so nothing is before it.
    assert adjustment_factors(bars, split, tz="UTC").tolist() == [1.0, 1.0, 1.0]
    # In Los Angeles (UTC-7) the first two bars are on 2024-06-03, the third on 2024-06-04.
    assert adjustment_factors(bars, split, tz="America/Los_Angeles").tolist() == [0.5, 0.5, 1.0]


def test_factors_match_a_direct_product_over_actions() -> None:
    rng = np.random.default_rng(3)
    days = [date(2024, 1, 1 + i) for i in range(30)]
    closes = 50.0 + rng.uniform(0.0, 10.0, len(days))
    bars = daily_bars(days, closes.tolist(), closes.tolist())
    actions: list[CorporateAction] = [
        Split(date(2024, 1, 5), 3.0),
        CashDividend(date(2024, 1, 9), 0.4),
        CashDividend(date(2024, 1, 9), 0.1),
        Split(date(2024, 1, 20), 0.5),
        CashDividend(date(2024, 1, 25), 1.2),
    ]

    factors = adjustment_factors(bars, actions)

    # Reference: for each bar, the product of the factors of the actions after its day.
    expected = []
    for day in days:
        product = 1.0
        for action in actions:
            if day < action.ex_date:
                if isinstance(action, Split):
                    product /= action.ratio
                else:
                    previous = max(j for j in range(len(days)) if days[j] < action.ex_date)
                    product *= 1.0 - action.amount / closes[previous]
        expected.append(product)
    np.testing.assert_allclose(factors, expected, rtol=1e-12)


def test_empty_bars_give_empty_factors() -> None:
    empty = daily_bars([], [], [])

    assert adjustment_factors(empty, [Split(date(2024, 1, 2), 2.0)]).shape == (0,)
    assert len(adjust_bars(empty, [Split(date(2024, 1, 2), 2.0)], mode="adjusted")) == 0


@pytest.mark.parametrize("ratio", [0.0, -4.0, float("nan"), float("inf")])
def test_split_ratio_must_be_a_positive_finite_number(ratio: float) -> None:
    with pytest.raises(DataError, match=r"ratio: expected a finite number > 0, was"):
        Split(date(2020, 8, 31), ratio)


@pytest.mark.parametrize("amount", [-0.01, float("nan")])
def test_dividend_amount_must_not_be_negative(amount: float) -> None:
    with pytest.raises(DataError, match=r"amount: expected a finite number >= 0, was"):
        CashDividend(date(2024, 6, 5), amount)


def test_ex_date_must_be_a_date_not_a_datetime() -> None:
    with pytest.raises(DataError, match=r"Split: ex_date: expected a datetime\.date"):
        Split(datetime(2020, 8, 31, 9, 30), 4.0)  # noqa: DTZ001
    with pytest.raises(DataError, match=r"CashDividend: ex_date: expected a datetime\.date"):
        CashDividend("2024-06-05", 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [100.0, 150.0])
def test_dividend_at_or_above_the_previous_close_is_refused(amount: float) -> None:
    bars = daily_bars([date(2024, 6, 4), date(2024, 6, 5)], [100.0, 1.0], [100.0, 1.0])

    with pytest.raises(DataError, match=r"expected less than the previous close 100\.0"):
        adjustment_factors(bars, [CashDividend(date(2024, 6, 5), amount)])


def test_bad_mode_time_zone_and_action_type_are_refused(split_bars: BarArrays) -> None:
    with pytest.raises(ConfigError) as caught:
        adjust_bars(split_bars, [], mode="adjust")  # type: ignore[arg-type]
    assert caught.value.field == "mode"
    with pytest.raises(ConfigError, match=r"tz: expected an IANA time zone"):
        adjustment_factors(split_bars, [], tz="New York")
    with pytest.raises(DataError, match="expected Split or CashDividend"):
        adjustment_factors(split_bars, [("split", 4.0)])  # type: ignore[list-item]


def test_actions_are_frozen() -> None:
    split = Split(date(2020, 8, 31), 4.0)

    with pytest.raises(AttributeError):
        split.ratio = 2.0  # type: ignore[misc]
    assert split == Split(date(2020, 8, 31), 4.0)

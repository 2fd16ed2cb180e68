"""`DonchianBreakoutStrategy` and its `RollingExtremes` channel on handcrafted bars: the entry,
exit, reversal and ATR-stop bars worked out by hand and checked against pandas rolling maxima
and minima; orders are market orders filling at the next bar's open."""

from __future__ import annotations

import doctest
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from midfreq.core.errors import ConfigError
from midfreq.model.enums import OrderSide
from midfreq.strategies import breakout as breakout_module
from midfreq.strategies.breakout import DonchianBreakoutStrategy, RollingExtremes

BUY, SELL = OrderSide.BUY, OrderSide.SELL

# Flat bars (high = low = close). Entry channel: the previous 3 bars; exit channel: previous 2.
#  bar:    0   1   2   3   4   5   6   7   8   9   10  11  12  13
#  close:  10  11  10  12  11  13  12  11  10  9   8   9   10  12
#  high3:  -   -   -   11  12  12  13  13  13  12  11  10  9   10
#  low3:   -   -   -   10  10  10  11  11  11  10  9   8   8   8
#  high2:  -   -   11  11  12  12  13  13  12  11  10  9   9   10
#  low2:   -   -   10  10  10  11  11  12  11  10  9   8   8   9
#  bar 3: 12 > 11 long; bar 7: 11 < low2 12 exit; bar 8: 10 < low3 11 short;
#  bar 12: 10 > high2 9 exits the short and 10 > high3 9 goes long: one order of 20.
CLOSES = [10, 11, 10, 12, 11, 13, 12, 11, 10, 9, 8, 9, 10, 12]
HIGH3 = [np.nan] * 3 + [11, 12, 12, 13, 13, 13, 12, 11, 10, 9, 10]
LOW3 = [np.nan] * 3 + [10, 10, 10, 11, 11, 11, 10, 9, 8, 8, 8]
HIGH2 = [np.nan] * 2 + [11, 11, 12, 12, 13, 13, 12, 11, 10, 9, 9, 10]
LOW2 = [np.nan] * 2 + [10, 10, 10, 11, 11, 12, 11, 10, 9, 8, 8, 9]


def _strategy(**overrides: Any) -> DonchianBreakoutStrategy:
    config = {
        "strategy_id": "dc-1",
        "symbols": ["AAA"],
        "entry_period": 3,
        "exit_period": 2,
        "order_quantity": 10,
    }
    return DonchianBreakoutStrategy({**config, **overrides})


def test_hand_computed_channels_agree_with_pandas():
    closes = pd.Series(CLOSES, dtype=float)
    np.testing.assert_array_equal(closes.rolling(3).max().shift(1), HIGH3)
    np.testing.assert_array_equal(closes.rolling(3).min().shift(1), LOW3)
    np.testing.assert_array_equal(closes.rolling(2).max().shift(1), HIGH2)
    np.testing.assert_array_equal(closes.rolling(2).min().shift(1), LOW2)


def test_enters_exits_and_reverses_on_the_hand_computed_bars(make_market):
    market = make_market()
    strategy = _strategy()
    market.start(strategy)

    market.bars(CLOSES)

    assert market.order_log() == [
        (3, BUY, 10.0),  # breakout above 11
        (7, SELL, 10.0),  # below the exit channel's 12
        (8, SELL, 10.0),  # breakout below 11
        (12, BUY, 20.0),  # exit the short and break out above 9 at once
    ]
    assert [o.avg_px for o in market.orders()] == [11.0, 10.0, 9.0, 12.0]
    assert market.position(strategy) == 10


def test_without_shorting_a_downside_breakout_stays_flat(make_market):
    market = make_market()
    strategy = _strategy(allow_short=False)
    market.start(strategy)

    market.bars(CLOSES)

    assert market.order_log() == [(3, BUY, 10.0), (7, SELL, 10.0), (12, BUY, 10.0)]


def test_the_channel_is_of_highs_and_lows_not_closes(make_market):
    # Bar 1 closes at 10 but trades up to 11: bar 3's close of 10.5 is inside the channel.
    market = make_market()
    strategy = _strategy()
    market.start(strategy)
    market.bar(10.0)
    market.bar(10.0, high=11.0)
    market.bar(10.0)
    market.bar(10.5)
    assert market.orders() == []
    market.bar(11.5)  # above 11: breakout
    assert market.order_log() == [(4, BUY, 10.0)]


def test_needs_entry_period_earlier_bars(make_market):
    market = make_market()
    strategy = _strategy()
    market.start(strategy)
    market.bars([10, 11, 12])  # each above every earlier close, but fewer than 3 earlier bars
    assert market.orders() == []
    market.bar(13)
    assert market.order_log() == [(3, BUY, 10.0)]


# ATR stop, with entry channel 4, exit channel 6 (wide), ATR period 2:
#  bar:    0   1   2   3   4   5   6     7
#  close:  10  11  10  11  12  12  11.5  11
#  TR:     -   1   1   1   1   0   0.5   0.5
#  ATR:    -   -   1   1   1   0.5 0.5   0.5
#  bar 4: 12 > 11 (highest of bars 0-3) goes long with ATR 1; filled at bar 5's open, 12, so a
#  stop of k ATR is at 12 - k. Neither channel is reached: the lowest of the previous six bars
#  is 10 and of the previous four 10, then 11 (bar 7's 11 is not below it).
STOP_CLOSES = [10, 11, 10, 11, 12, 12, 11.5, 11]


@pytest.mark.parametrize(
    ("atr_stop", "exit_bar"),
    [
        (0.5, 6),  # stop 11.5: bar 6 closes on it
        (0.75, 7),  # stop 11.25: bar 6 (11.5) holds, bar 7 (11) exits
        (1.0, 7),  # stop 11: bar 7 closes on it
        (1.5, None),  # stop 10.5
    ],
)
def test_atr_stop_exits_on_the_bar_that_closes_at_or_below_it(make_market, atr_stop, exit_bar):
    market = make_market()
    strategy = _strategy(entry_period=4, exit_period=6, atr_period=2, atr_stop=atr_stop)
    market.start(strategy)

    market.bars(STOP_CLOSES[:6])
    assert strategy.stop_price("AAA") == pytest.approx(12 - atr_stop)
    market.bars(STOP_CLOSES[6:])

    exits = [(exit_bar, SELL, 10.0)] if exit_bar is not None else []
    assert market.order_log() == [(4, BUY, 10.0), *exits]


def test_without_an_atr_stop_the_same_bars_hold_the_long(make_market):
    market = make_market()
    strategy = _strategy(entry_period=4, exit_period=6, atr_period=2)
    market.start(strategy)
    market.bars(STOP_CLOSES)
    assert market.order_log() == [(4, BUY, 10.0)]


def test_atr_stop_of_a_short_is_above_its_entry(make_market):
    # The mirror image of STOP_CLOSES: short at bar 4 (8 < 9, ATR 1), filled at 8; the stop
    # of 0.75 ATR at 8.75 holds bar 6 (8.5) and is reached by bar 7 (9).
    market = make_market()
    strategy = _strategy(entry_period=4, exit_period=6, atr_period=2, atr_stop=0.75)
    market.start(strategy)

    market.bars([20 - c for c in STOP_CLOSES[:6]])
    assert strategy.stop_price("AAA") == pytest.approx(8.75)
    market.bars([8.5, 9.0])

    assert market.order_log() == [(4, SELL, 10.0), (7, BUY, 10.0)]


def test_no_entry_before_the_atr_exists_when_a_stop_is_set(make_market):
    # ATR(5) needs 6 bars: the bar-3 breakout is skipped; bar 5 (13 > 12) enters.
    market = make_market()
    strategy = _strategy(atr_period=5, atr_stop=2.0)
    market.start(strategy)

    market.bars(CLOSES[:6])

    assert market.order_log() == [(5, BUY, 10.0)]


def test_stop_price_is_nan_when_flat_or_without_a_stop(make_market):
    market = make_market()
    with_stop, without = _strategy(atr_stop=1.0, atr_period=2), _strategy(strategy_id="dc-2")
    market.start(with_stop, without)
    assert math.isnan(with_stop.stop_price("AAA"))
    market.bars(CLOSES[:5])
    assert without.position("AAA") == 10
    assert math.isnan(without.stop_price("AAA"))
    assert with_stop.stop_price("AAA") == pytest.approx(11 - 1.5)  # filled at 11, ATR 1.5


def test_trades_on_quote_mids_like_on_flat_bars(make_market):
    market = make_market()
    strategy = _strategy()
    market.start(strategy)

    for mid in CLOSES:
        market.quote(mid - 0.005, mid + 0.005)

    assert market.order_log() == [(3, BUY, 10.0), (7, SELL, 10.0), (8, SELL, 10.0), (12, BUY, 20.0)]


def test_instruments_have_their_own_channels(make_market):
    market = make_market(symbols=("AAA", "BBB"))
    strategy = _strategy(symbols=["AAA", "BBB"])
    market.start(strategy)
    for i, close in enumerate(CLOSES[:5]):
        market.bar(close, "AAA", index=i)
        market.bar(50.0 - i, "BBB", index=i)  # falling: short at bar 3
    log = [(market.bar_index(o.ts_init), o.instrument_id.symbol, o.side) for o in market.orders()]
    assert log == [(3, "AAA", BUY), (3, "BBB", SELL)]


# ---- the channel -------------------------------------------------------------------------------
@pytest.mark.parametrize("period", [1, 2, 7, 50])
def test_rolling_extremes_match_pandas_rolling_max_and_min(period):
    rng = np.random.default_rng(period)
    lows = np.round(100 + np.cumsum(rng.normal(0, 1, 500)), 1)  # rounded: many ties
    highs = lows + np.round(rng.random(500), 1)
    extremes = RollingExtremes(period)
    got_high, got_low = [], []
    for high, low in zip(highs.tolist(), lows.tolist(), strict=True):
        extremes.update(high, low)
        got_high.append(extremes.highest)
        got_low.append(extremes.lowest)
    np.testing.assert_array_equal(got_high, pd.Series(highs).rolling(period).max())
    np.testing.assert_array_equal(got_low, pd.Series(lows).rolling(period).min())


def test_rolling_extremes_keep_at_most_a_window_of_entries():
    extremes = RollingExtremes(5)
    for value in range(1_000, 0, -1):  # falling: every value is a candidate maximum
        extremes.update(float(value), float(value))
    assert len(extremes._highs) <= 5 and len(extremes._lows) == 1
    assert (extremes.highest, extremes.lowest) == (5.0, 1.0)


# ---- configuration -----------------------------------------------------------------------------
def test_defaults():
    strategy = DonchianBreakoutStrategy({"symbols": ["AAA"]})
    assert (strategy.entry_period, strategy.exit_period, strategy.atr_period) == (20, 10, 14)
    assert (strategy.atr_stop, strategy.allow_short, strategy.order_quantity) == (None, True, 100)
    assert str(strategy.strategy_id) == "donchian_breakout-001"


@pytest.mark.parametrize(
    ("settings", "field", "expected"),
    [
        ({"entry_period": 0}, "strategies.dc-1.entry_period", "greater than or equal to 1"),
        ({"exit_period": "ten"}, "strategies.dc-1.exit_period", "a valid integer"),
        ({"atr_stop": 0}, "strategies.dc-1.atr_stop", "greater than 0"),
        ({"atr_period": 0}, "strategies.dc-1.atr_period", "greater than or equal to 1"),
        ({"channel": 20}, "strategies.dc-1.channel", "one of the known keys"),
    ],
)
def test_invalid_settings_raise_config_error_naming_the_fields(settings, field, expected):
    with pytest.raises(ConfigError) as raised:
        _strategy(**settings)
    assert raised.value.field == field
    assert expected in raised.value.expected


def test_docstring_examples_run():
    assert doctest.testmod(breakout_module).failed == 0

"""`MeanReversionStrategy` on handcrafted closes: the bars where it enters, exits and turns
around, worked out by hand from the rolling z-score (window 5, sample std) and checked against
pandas; orders are market orders filling at the next bar's open."""

from __future__ import annotations

import doctest
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from midfreq.core.errors import ConfigError
from midfreq.model.enums import OrderSide
from midfreq.strategies import mean_reversion as mean_reversion_module
from midfreq.strategies.mean_reversion import (
    MeanReversionStrategy,
    ReturnZScore,
    TrendResidualZScore,
)

BUY, SELL = OrderSide.BUY, OrderSide.SELL

# z of each close against the last five (hand-computed, sample std):
#  bar 4: window 100 101 100 101 100, mean 100.4, var 0.3   -> z -0.73
#  bar 5: 101 100 101 100 95,  mean 99.4,  var 6.3   -> z -1.75  enter long (< -1.5)
#  bar 6: 100 101 100 95 97,   mean 98.6,  var 6.3   -> z -0.64  hold (still < -0.5)
#  bar 7: 101 100 95 97 99,    mean 98.4,  var 5.8   -> z +0.25  exit long (> -0.5)
#  bar 8: 100 95 97 99 105,    mean 99.2,  var 14.2  -> z +1.54  enter short (> 1.5)
#  bar 9: 95 97 99 105 104,    mean 100,   var 19    -> z +0.92  hold (still > 0.5)
#  bar 10: 97 99 105 104 100,  mean 101,   var 11.5  -> z -0.29  exit short (< 0.5)
#  bar 11: 99 105 104 100 100, mean 101.6, var 7.3   -> z -0.59  flat, no entry
CLOSES = [100, 101, 100, 101, 100, 95, 97, 99, 105, 104, 100, 100]
Z = {4: -0.73, 5: -1.753, 6: -0.637, 7: 0.249, 8: 1.539, 9: 0.918, 10: -0.295, 11: -0.592}
SETTINGS = {"lookback_period": 5, "z_score_threshold": 1.5, "exit_z_score": 0.5}


def _strategy(**overrides: Any) -> MeanReversionStrategy:
    config = {"strategy_id": "mr-1", "symbols": ["AAA"], "order_quantity": 10, **SETTINGS}
    return MeanReversionStrategy({**config, **overrides})


def test_hand_computed_z_scores_agree_with_pandas():
    closes = pd.Series(CLOSES, dtype=float)
    rolling = closes.rolling(5)
    z = ((closes - rolling.mean()) / rolling.std(ddof=1)).to_numpy()
    assert np.isnan(z[:4]).all()
    for bar, expected in Z.items():
        assert z[bar] == pytest.approx(expected, abs=5e-4)


def test_enters_exits_and_reverses_on_the_hand_computed_bars(make_market):
    market = make_market()
    strategy = _strategy()
    market.start(strategy)

    market.bars(CLOSES)

    assert market.order_log() == [
        (5, BUY, 10.0),  # long
        (7, SELL, 10.0),  # flat
        (8, SELL, 10.0),  # short
        (10, BUY, 10.0),  # flat
    ]
    assert market.position(strategy) == 0
    # Each filled at the next bar's open (flat bars: open = close).
    assert [o.avg_px for o in market.orders()] == [97.0, 105.0, 104.0, 100.0]


def test_without_shorting_only_the_long_trade_happens(make_market):
    market = make_market()
    strategy = _strategy(allow_short=False)
    market.start(strategy)

    market.bars(CLOSES)

    assert market.order_log() == [(5, BUY, 10.0), (7, SELL, 10.0)]
    assert market.position(strategy) == 0


def test_a_long_hit_by_an_opposite_extreme_goes_flat_first_then_short(make_market):
    # bar 6: 100 101 100 95 110,  mean 101.2, var 29.7  -> z +1.61: exit the long only
    # bar 7: 101 100 95 110 125,  mean 106.2, var 139.7 -> z +1.59: now enter short
    market = make_market()
    strategy = _strategy()
    market.start(strategy)

    market.bars([100, 101, 100, 101, 100, 95, 110, 125])

    assert market.order_log() == [(5, BUY, 10.0), (6, SELL, 10.0), (7, SELL, 10.0)]
    market.bar(125.0)
    assert market.position(strategy) == -10


def test_trades_on_quote_mids_like_on_bar_closes(make_market):
    market = make_market()
    strategy = _strategy()
    market.start(strategy)

    for mid in CLOSES:
        market.quote(mid - 0.05, mid + 0.05)

    assert market.order_log() == [
        (5, BUY, 10.0),
        (7, SELL, 10.0),
        (8, SELL, 10.0),
        (10, BUY, 10.0),
    ]


def test_instruments_are_scored_separately(make_market):
    market = make_market(symbols=("AAA", "BBB"))
    strategy = _strategy(symbols=["AAA", "BBB"])
    market.start(strategy)

    for i, close in enumerate(CLOSES):
        market.bar(close, "AAA", index=i)
        market.bar(200.0 + (i % 2), "BBB", index=i)  # oscillates: |z| never beyond 1.5

    assert [o.instrument_id.symbol for o in market.orders()] == ["AAA"] * 4


def test_a_flat_market_never_trades(make_market):
    market = make_market()
    strategy = _strategy()
    market.start(strategy)
    market.bars([100.1] * 30)
    assert market.orders() == []


# ---- configuration ----------------------------------------------------------------------------
def test_defaults():
    strategy = MeanReversionStrategy({"symbols": ["AAA"]})
    assert (strategy.lookback, strategy.entry, strategy.exit, strategy.allow_short) == (
        20,
        2.0,
        0.5,
        True,
    )
    assert str(strategy.strategy_id) == "mean_reversion-001"


@pytest.mark.parametrize(("text", "expected"), [("false", False), ("True", True)])
def test_allow_short_given_as_text_is_read_as_a_boolean(text, expected):
    # `allow_short: ${ALLOW_SHORT:-false}` arrives as a string; bool("false") would be True.
    assert _strategy(allow_short=text).allow_short is expected


@pytest.mark.parametrize(
    ("settings", "field", "expected"),
    [
        (
            {"z_score_threshold": 0.5, "exit_z_score": 0.5},
            "strategies.mr-1.exit_z_score",
            "a number >= 0 and below z_score_threshold (0.5)",
        ),
        (
            {"z_score_threshold": 1.0, "exit_z_score": 2.0},
            "strategies.mr-1.exit_z_score",
            "a number >= 0 and below z_score_threshold (1.0)",
        ),
        (
            {"exit_z_score": -0.1},
            "strategies.mr-1.exit_z_score",
            "a number >= 0 and below z_score_threshold (1.5)",
        ),
        (
            {"z_score_threshold": "high"},
            "strategies.mr-1.z_score_threshold",
            "a valid number, unable to parse string as a number",
        ),
        ({"exit_z_score": None}, "strategies.mr-1.exit_z_score", "a valid number"),
        (
            {"allow_short": "maybe"},
            "strategies.mr-1.allow_short",
            "a valid boolean, unable to interpret input",
        ),
        ({"lookback_period": 1}, "strategies.mr-1.lookback_period", "greater than or equal to 2"),
        ({"order_quantity": 0}, "strategies.mr-1.order_quantity", "greater than 0"),
        ({"zscore": 2}, "strategies.mr-1.zscore", None),
    ],
)
def test_invalid_settings_raise_config_error_naming_the_fields(settings, field, expected):
    with pytest.raises(ConfigError) as raised:
        _strategy(**settings)
    assert raised.value.field == field
    if expected is None:  # an unknown key: the known ones are listed
        expected = raised.value.expected
        assert expected.startswith("one of the known keys: strategy_id, symbols")
        assert "z_score_threshold" in expected
    assert raised.value.expected == expected
    assert str(raised.value).startswith(f"{field}: expected {expected}, was ")


# ---- signals: returns and trend residuals ------------------------------------------------------
def _pandas_z(values: pd.Series, window: int) -> np.ndarray:
    rolling = values.rolling(window)
    return ((values - rolling.mean()) / rolling.std(ddof=1)).to_numpy()


# One-bar returns alternate +1% / -0.99%, then bar 7 falls 5%:
#  bar 7: returns of bars 3-7: .01 -.0099 .01 -.0099 -.05, mean -.00996, std .0245 -> z -1.635
#  bar 8: +1.05%: returns -.0099 .01 -.0099 -.05 .0105 -> z +0.83: exit the long
RETURN_CLOSES = [100, 101, 100, 101, 100, 101, 100, 95, 96, 97, 96, 97]


def test_return_signal_scores_one_bar_returns_as_pandas_does(make_market):
    returns = pd.Series(RETURN_CLOSES, dtype=float).pct_change()
    z = _pandas_z(returns, 5)
    assert z[7] == pytest.approx(-1.635, abs=5e-4)
    assert z[8] == pytest.approx(0.828, abs=5e-4)
    market = make_market()
    strategy = _strategy(signal="returns")
    market.start(strategy)

    market.bars(RETURN_CLOSES)

    assert market.order_log() == [(7, BUY, 10.0), (8, SELL, 10.0)]


def test_return_z_score_matches_pandas_on_random_prices():
    prices = 100.0 * np.exp(np.cumsum(np.random.default_rng(3).normal(0, 0.01, 300)))
    expected = _pandas_z(pd.Series(prices).pct_change(), 20)
    score = ReturnZScore(20)
    got = np.array([score.update(p) for p in prices.tolist()])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9, equal_nan=True)


def test_trend_residual_z_score_matches_numpy_least_squares():
    prices = 100.0 + np.cumsum(np.random.default_rng(5).normal(0.1, 1.0, 200))
    score = TrendResidualZScore(10)
    got = [score.update(p) for p in prices.tolist()]
    x = np.arange(10.0)
    for end in range(10, prices.size + 1):
        window = prices[end - 10 : end]
        slope, intercept = np.polyfit(x, window, 1)
        residuals = window - (intercept + slope * x)
        expected = residuals[-1] / math.sqrt(residuals @ residuals / 8)
        assert got[end - 1] == pytest.approx(expected, rel=1e-7, abs=1e-9)
    assert all(math.isnan(v) for v in got[:9])


def test_residual_signal_ignores_a_steady_trend_and_buys_the_dip_below_it(make_market):
    # A straight line 100, 101, ...: the price z-score of its last point is +1.26 (window of 5),
    # above a threshold of 1.0, so the price signal sells a steady rise; the residuals are 0.
    # Bar 7 drops to 100: the line through 103..106, 100 is 104.4 - 0.4 x, residuals
    # -1.4 0 1.4 2.8 -2.8, standard error sqrt(19.6 / 3) = 2.556 -> z -1.095: buy.
    closes = [100, 101, 102, 103, 104, 105, 106, 100]
    settings = {"z_score_threshold": 1.0, "exit_z_score": 0.2}
    residual_market, price_market = make_market(), make_market()
    residual_market.start(_strategy(signal="residuals", **settings))
    price_market.start(_strategy(**settings))

    residual_market.bars(closes)
    price_market.bars(closes)

    assert residual_market.order_log() == [(7, BUY, 10.0)]
    assert price_market.order_log()[0] == (4, SELL, 10.0)


# ---- exits: stop loss, take profit, holding time ---------------------------------------------
# Entry: bar 5 (z -1.75) buys 10, filled at bar 6's open, 97. With a 2% stop the stop level
# is 97 * 0.98 = 95.06.
ENTRY = [100, 101, 100, 101, 100, 95, 97]


@pytest.mark.parametrize(
    ("last_close", "stop_loss", "exits"),
    [
        (94.0, 0.02, True),  # below 95.06 (z -1.12: the signal alone would hold)
        (95.06, 0.02, True),  # on the level
        (95.07, 0.02, False),
        (94.0, 0.04, False),  # level 93.12
    ],
)
def test_stop_loss_exits_a_long_on_the_bar_that_closes_at_or_beyond_it(
    make_market, last_close, stop_loss, exits
):
    market = make_market()
    strategy = _strategy(stop_loss=stop_loss)
    market.start(strategy)

    market.bars([*ENTRY, last_close])

    assert market.orders()[0].avg_px == 97.0
    expected = [(5, BUY, 10.0), (7, SELL, 10.0)] if exits else [(5, BUY, 10.0)]
    assert market.order_log() == expected


def test_stop_loss_exits_a_short_that_rises_beyond_it(make_market):
    # CLOSES shorts at bar 8 (z 1.54), filled at 104 on bar 9; a 2% stop is at 106.08. Bar 10
    # closes at 107 (z +1.24, the signal would hold the short): stopped out.
    market = make_market()
    strategy = _strategy(stop_loss=0.02)
    market.start(strategy)

    market.bars([*CLOSES[:10], 107])

    assert market.order_log() == [(5, BUY, 10.0), (7, SELL, 10.0), (8, SELL, 10.0), (10, BUY, 10.0)]
    assert market.orders()[2].avg_px == 104.0


def test_after_a_stop_no_entry_until_the_z_score_is_back(make_market):
    # bar 7 stops the long out (94 < 95.06). Bar 8 (z -1.53) would buy again and bar 9 (z -0.76)
    # is still below -0.5; bar 10 (z +0.59) is back, re-arming; bar 14 (z -1.51) buys.
    # Without the stop the long is held until the signal exits it at bar 10.
    closes = [*ENTRY, 94, 88, 90, 95, 97, 99, 97, 92]
    z = _pandas_z(pd.Series(closes, dtype=float), 5)
    assert np.round(z[7:], 3).tolist() == [
        -1.115,
        -1.532,
        -0.756,
        0.594,
        1.135,
        1.116,
        0.408,
        -1.512,
    ]
    stopped, plain = make_market(), make_market()
    stopped.start(_strategy(stop_loss=0.02))
    plain.start(_strategy())

    stopped.bars(closes)
    plain.bars(closes)

    assert stopped.order_log() == [(5, BUY, 10.0), (7, SELL, 10.0), (14, BUY, 10.0)]
    assert plain.order_log() == [(5, BUY, 10.0), (10, SELL, 10.0), (14, BUY, 10.0)]


@pytest.mark.parametrize(("take_profit", "exits"), [(0.01, True), (0.02, False)])
def test_take_profit_exits_on_the_bar_that_reaches_it(make_market, take_profit, exits):
    # Filled at 97; bar 7 closes at 98 (+1.03%, z -0.08: with exit_z_score 0 the signal holds).
    market = make_market()
    strategy = _strategy(take_profit=take_profit, exit_z_score=0.0)
    market.start(strategy)

    market.bars([*ENTRY, 98])

    expected = [(5, BUY, 10.0), (7, SELL, 10.0)] if exits else [(5, BUY, 10.0)]
    assert market.order_log() == expected


@pytest.mark.parametrize(("max_holding_bars", "exit_bar"), [(1, 6), (2, 7), (3, None)])
def test_max_holding_bars_exits_that_many_bars_after_the_entry_order(
    make_market, max_holding_bars, exit_bar
):
    # The long entered on bar 5 is held by the signal through bar 7 (z -0.89, -0.83).
    closes = [100, 101, 100, 101, 100, 95, 96, 95]
    z = _pandas_z(pd.Series(closes, dtype=float), 5)
    assert np.round(z[5:], 3).tolist() == [-1.753, -0.888, -0.833]
    market = make_market()
    strategy = _strategy(max_holding_bars=max_holding_bars)
    market.start(strategy)

    market.bars(closes)

    expected = [(5, BUY, 10.0)] + ([(exit_bar, SELL, 10.0)] if exit_bar is not None else [])
    assert market.order_log() == expected


# ---- max positions ----------------------------------------------------------------------------
# BBB's z-scores: bar 5 -1.75 (entry), 6 +0.34, 7 -1.55 (entry), 8 -0.88, 9 +0.20 (exit).
BBB_CLOSES = [100, 101, 100, 101, 100, 95, 100, 90, 91, 95, 97, 99]


@pytest.mark.parametrize(
    ("max_positions", "expected"),
    [
        (
            1,
            # bar 5: BBB's entry waits for AAA's long; bar 7: AAA exits, then BBB enters;
            # bar 8: AAA's short waits for BBB, which exits on bar 9.
            [(5, "AAA", BUY), (7, "AAA", SELL), (7, "BBB", BUY), (9, "BBB", SELL)],
        ),
        (
            2,
            [
                (5, "AAA", BUY),
                (5, "BBB", BUY),
                (6, "BBB", SELL),
                (7, "AAA", SELL),
                (7, "BBB", BUY),
                (8, "AAA", SELL),
                (9, "BBB", SELL),
                (10, "AAA", BUY),
            ],
        ),
    ],
)
def test_max_positions_caps_the_instruments_held_at_once(make_market, max_positions, expected):
    z = _pandas_z(pd.Series(BBB_CLOSES, dtype=float), 5)
    assert np.round(z[5:10], 2).tolist() == [-1.75, 0.34, -1.55, -0.88, 0.2]
    market = make_market(symbols=("AAA", "BBB"))
    strategy = _strategy(symbols=["AAA", "BBB"], max_positions=max_positions)
    market.start(strategy)

    for i, (a, b) in enumerate(zip(CLOSES, BBB_CLOSES, strict=True)):
        market.bar(a, "AAA", index=i)
        market.bar(b, "BBB", index=i)

    log = [(market.bar_index(o.ts_init), o.instrument_id.symbol, o.side) for o in market.orders()]
    assert log == expected


# ---- new settings -----------------------------------------------------------------------------
def test_new_settings_are_off_by_default():
    strategy = MeanReversionStrategy({"symbols": ["AAA"]})
    assert strategy.signal == "price"
    assert (
        strategy.stop_loss,
        strategy.take_profit,
        strategy.max_holding_bars,
        strategy.max_positions,
    ) == (None, None, None, None)


@pytest.mark.parametrize(
    ("settings", "field", "expected"),
    [
        ({"signal": "volume"}, "strategies.mr-1.signal", "'price', 'returns' or 'residuals'"),
        ({"stop_loss": 0}, "strategies.mr-1.stop_loss", "greater than 0"),
        ({"stop_loss": 1.5}, "strategies.mr-1.stop_loss", "less than 1"),
        ({"take_profit": -0.1}, "strategies.mr-1.take_profit", "greater than 0"),
        ({"max_holding_bars": 0}, "strategies.mr-1.max_holding_bars", "greater than or equal to 1"),
        ({"max_positions": 0}, "strategies.mr-1.max_positions", "greater than or equal to 1"),
    ],
)
def test_invalid_new_settings_raise_config_error_naming_the_fields(settings, field, expected):
    with pytest.raises(ConfigError) as raised:
        _strategy(**settings)
    assert raised.value.field == field
    assert expected in raised.value.expected


def test_residuals_need_a_window_of_three():
    with pytest.raises(ConfigError, match="lookback_period: expected an integer >= 3"):
        _strategy(signal="residuals", lookback_period=2)
    assert _strategy(signal="residuals", lookback_period=3).signal == "residuals"


def test_docstring_examples_run():
    assert doctest.testmod(mean_reversion_module).failed == 0

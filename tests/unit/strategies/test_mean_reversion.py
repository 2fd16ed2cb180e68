"""`MeanReversionStrategy` on handcrafted closes: the bars where it enters, exits and turns
around, worked out by hand from the rolling z-score (window 5, sample std) and checked against
pandas; orders are market orders filling at the next bar's open."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from midfreq.core.errors import ConfigError
from midfreq.model.enums import OrderSide
from midfreq.strategies.mean_reversion import MeanReversionStrategy

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

"""`MomentumStrategy` on handcrafted closes: the crossover bars worked out by hand from the fast
(2) and slow (4) simple moving averages and checked against pandas rolling means; orders are
market orders filling at the next bar's open."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from midfreq.core.errors import ConfigError
from midfreq.model.enums import OrderSide
from midfreq.strategies.momentum import MomentumStrategy

BUY, SELL = OrderSide.BUY, OrderSide.SELL

#  bar:   0   1   2   3   4     5      6   7     8    9     10  11  12  13
#  close: 10  10  10  10  12    13     9   8     8    14    14  14  14  14
#  fast:  -   10  10  10  11    12.5   11  8.5   8    11    14  14  14  14
#  slow:  -   -   -   10  10.5  11.25  11  10.5  9.5  9.75  11  12.5 14 14
#  sign:  ready at 3 (equal: no view), + at 4, equal at 6 (hold), - at 7, + at 9, equal at 12
CLOSES = [10, 10, 10, 10, 12, 13, 9, 8, 8, 14, 14, 14, 14, 14]
FAST = [np.nan, 10, 10, 10, 11, 12.5, 11, 8.5, 8, 11, 14, 14, 14, 14]
SLOW = [np.nan] * 3 + [10, 10.5, 11.25, 11, 10.5, 9.5, 9.75, 11, 12.5, 14, 14]


def _strategy(**overrides: Any) -> MomentumStrategy:
    config = {
        "strategy_id": "mom-1",
        "symbols": ["AAA"],
        "fast_period": 2,
        "slow_period": 4,
        "order_quantity": 10,
    }
    return MomentumStrategy({**config, **overrides})


def test_hand_computed_averages_agree_with_pandas():
    closes = pd.Series(CLOSES, dtype=float)
    np.testing.assert_array_equal(closes.rolling(2).mean().to_numpy(), FAST)
    np.testing.assert_array_equal(closes.rolling(4).mean().to_numpy(), SLOW)


def test_follows_the_crossovers_on_the_hand_computed_bars(make_market):
    market = make_market()
    strategy = _strategy()
    market.start(strategy)

    market.bars(CLOSES)

    assert market.order_log() == [
        (4, BUY, 10.0),  # flat -> long
        (7, SELL, 20.0),  # long -> short in one order
        (9, BUY, 20.0),  # short -> long
    ]
    assert market.position(strategy) == 10
    assert [o.avg_px for o in market.orders()] == [13.0, 8.0, 14.0]


def test_without_shorting_goes_flat_instead_of_short(make_market):
    market = make_market()
    strategy = _strategy(allow_short=False)
    market.start(strategy)

    market.bars(CLOSES)

    assert market.order_log() == [(4, BUY, 10.0), (7, SELL, 10.0), (9, BUY, 10.0)]
    assert market.position(strategy) == 10


def test_no_order_before_the_slow_average_is_ready(make_market):
    market = make_market()
    strategy = _strategy()
    market.start(strategy)
    market.bars([10, 11, 12])  # fast above the partial slow average, but slow is not ready
    assert market.orders() == []
    market.bar(13)
    assert market.order_log() == [(3, BUY, 10.0)]


def test_a_flat_market_after_a_move_holds_the_position(make_market):
    # Bars 3-7: long at 3 (99.975 > 99.9075), short at 4 (99.07 < 99.905), then from bar 8 the
    # last four closes are all 97.87: fast == slow exactly, so the short is held. Running sums
    # put the two averages an ulp apart here, which must not read as a crossover.
    closes = [99.04, 100.64, 100.84, 99.11, 99.03] + [97.87] * 8
    market = make_market()
    strategy = _strategy()
    market.start(strategy)

    market.bars(closes)

    assert market.order_log() == [(3, BUY, 10.0), (4, SELL, 20.0)]
    assert market.position(strategy) == -10


def test_instruments_follow_their_own_averages(make_market):
    market = make_market(symbols=("AAA", "BBB"))
    strategy = _strategy(symbols=["AAA", "BBB"])
    market.start(strategy)

    for i, close in enumerate(CLOSES):
        market.bar(close, "AAA", index=i)
        market.bar(50.0 - i, "BBB", index=i)  # falling: short once slow is ready

    log = [(market.bar_index(o.ts_init), o.instrument_id.symbol, o.side) for o in market.orders()]
    assert log == [(3, "BBB", SELL), (4, "AAA", BUY), (7, "AAA", SELL), (9, "AAA", BUY)]


# ---- configuration ----------------------------------------------------------------------------
def test_defaults():
    strategy = MomentumStrategy({"symbols": ["AAA"]})
    assert (strategy.fast_period, strategy.slow_period, strategy.allow_short) == (10, 30, True)
    assert strategy.order_quantity == 100


@pytest.mark.parametrize(
    ("settings", "field", "expected"),
    [
        (
            {"fast_period": 4, "slow_period": 4},
            "strategies.mom-1.slow_period",
            "an integer above fast_period (4)",
        ),
        (
            {"fast_period": 30, "slow_period": 10},
            "strategies.mom-1.slow_period",
            "an integer above fast_period (30)",
        ),
        ({"fast_period": 0}, "strategies.mom-1.fast_period", "greater than or equal to 1"),
        (
            {"fast_period": "fast"},
            "strategies.mom-1.fast_period",
            "a valid integer, unable to parse string as an integer",
        ),
        (
            {"slow_period": 7.5},
            "strategies.mom-1.slow_period",
            "a valid integer, got a number with a fractional part",
        ),
        (
            {"allow_short": "maybe"},
            "strategies.mom-1.allow_short",
            "a valid boolean, unable to interpret input",
        ),
        ({"order_quantity": -10}, "strategies.mom-1.order_quantity", "greater than 0"),
    ],
)
def test_invalid_settings_raise_config_error_naming_the_fields(settings, field, expected):
    with pytest.raises(ConfigError) as raised:
        _strategy(**settings)
    assert raised.value.field == field
    assert raised.value.expected == expected
    assert str(raised.value).startswith(f"{field}: expected {expected}, was ")


# ---- exponential averages ---------------------------------------------------------------------
#  alpha 2/3 (fast 2) and 2/5 (slow 4), seeded with the first close:
#  bar:      3     4        5        6        7       8       9
#  fast:     10    11.3333  12.4444  10.1481  8.7160  8.2387  12.0796
#  slow:     10    10.8     11.68    10.6080  9.5648  8.9389  10.9633
#  sign:     =     +        +        -        -       -       +
#  (bar 6: fast 12.4444 + 2/3 (9 - 12.4444) = 10.1481 < slow 11.68 + 0.4 (9 - 11.68) = 10.608)
EMA_FAST = [10, 10, 10, 10, 11.3333, 12.4444, 10.1481, 8.7160, 8.2387, 12.0796]
EMA_SLOW = [10, 10, 10, 10, 10.8, 11.68, 10.6080, 9.5648, 8.9389, 10.9633]


def test_hand_computed_exponential_averages_agree_with_pandas():
    closes = pd.Series(CLOSES[:10], dtype=float)
    fast = closes.ewm(span=2, adjust=False).mean().to_numpy()
    slow = closes.ewm(span=4, adjust=False).mean().to_numpy()
    np.testing.assert_allclose(fast, EMA_FAST, atol=5e-5)
    np.testing.assert_allclose(slow, EMA_SLOW, atol=5e-5)


def test_exponential_averages_cross_a_bar_earlier_than_simple_ones(make_market):
    market = make_market()
    strategy = _strategy(moving_average="exponential")
    market.start(strategy)

    market.bars(CLOSES)

    assert market.order_log() == [(4, BUY, 10.0), (6, SELL, 20.0), (9, BUY, 20.0)]
    assert market.position(strategy) == 10


def test_exponential_averages_wait_for_slow_period_closes(make_market):
    market = make_market()
    strategy = _strategy(moving_average="exponential")
    market.start(strategy)
    market.bars([10, 11, 12])  # fast above slow from bar 1, but only 3 of 4 closes
    assert market.orders() == []
    market.bar(13)
    assert market.order_log() == [(3, BUY, 10.0)]


def test_moving_average_defaults_to_simple_and_refuses_other_kinds():
    assert MomentumStrategy({"symbols": ["AAA"]}).moving_average == "simple"
    with pytest.raises(ConfigError) as raised:
        _strategy(moving_average="hull")
    assert raised.value.field == "strategies.mom-1.moving_average"
    assert "'simple' or 'exponential'" in raised.value.expected

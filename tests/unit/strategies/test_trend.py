"""`TimeSeriesMomentumStrategy` on handcrafted closes: the direction, the volatility-targeted
size worked out by hand from the log returns, the caps, the rebalance period and threshold;
orders are market orders filling at the next bar's open."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

from midfreq.core.errors import ConfigError
from midfreq.model.enums import OrderSide
from midfreq.strategies.trend import TimeSeriesMomentumStrategy

BUY, SELL = OrderSide.BUY, OrderSide.SELL

# Trailing return over 2 bars, volatility of the last 2 one-bar log returns (sample std of two
# values: |a - b| / sqrt 2), annualised with 100 bars a year (x 10); 20% target on $10,000.
#  bar 2: returns ln(102/100) = .019803, ln(101/102) = -.009852 -> vol 10 * .029655 / 1.41421
#         = .209692; 101 / 100 - 1 > 0: long .2 / .209692 * 10,000 / 101 = 94.43 -> 94
#  bar 3: returns -.009852, ln(104/101) = .029270 -> vol .276648; 104 / 102 - 1 > 0:
#         long .2 / .276648 * 10,000 / 104 = 69.52 -> 69 (sell 25)
#  bar 4: returns .029270, ln(99/104) = -.049271 -> vol .555367; 99 / 101 - 1 < 0:
#         short .2 / .555367 * 10,000 / 99 = 36.38 -> 36 (sell 105)
CLOSES = [100, 102, 101, 104, 99]
R = [math.log(b / a) for a, b in itertools.pairwise(CLOSES)]


def _volatility(a: float, b: float) -> float:
    return abs(a - b) / math.sqrt(2) * 10


def _strategy(**overrides: Any) -> TimeSeriesMomentumStrategy:
    config = {
        "strategy_id": "ts-1",
        "symbols": ["AAA"],
        "momentum_period": 2,
        "volatility_period": 2,
        "bars_per_year": 100,
        "target_volatility": 0.2,
        "capital": 10_000,
        "rebalance_period": 1,
        "rebalance_threshold": 0.0,
    }
    return TimeSeriesMomentumStrategy({**config, **overrides})


def test_hand_computed_sizes():
    assert _volatility(R[0], R[1]) == pytest.approx(0.209692, abs=1e-6)
    assert math.floor(0.2 / _volatility(R[0], R[1]) * 10_000 / 101) == 94
    assert math.floor(0.2 / _volatility(R[1], R[2]) * 10_000 / 104) == 69
    assert math.floor(0.2 / _volatility(R[2], R[3]) * 10_000 / 99) == 36


def test_holds_the_trailing_return_sign_sized_to_the_volatility_target(make_market):
    market = make_market()
    strategy = _strategy()
    market.start(strategy)

    market.bars(CLOSES)

    assert market.order_log() == [(2, BUY, 94.0), (3, SELL, 25.0), (4, SELL, 105.0)]
    market.bar(99.0)
    assert market.position(strategy) == -36


def test_no_order_before_enough_history(make_market):
    market = make_market()
    strategy = _strategy()
    market.start(strategy)
    market.bars(CLOSES[:2])  # one return: no volatility yet
    assert market.orders() == []


def test_rebalances_only_every_rebalance_period_bars(make_market):
    # Ready at bar 2: rebalances on bars 2 and 4, so bar 3's smaller size is never traded.
    market = make_market()
    strategy = _strategy(rebalance_period=2)
    market.start(strategy)

    market.bars(CLOSES)

    assert market.order_log() == [(2, BUY, 94.0), (4, SELL, 130.0)]


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        # bar 3: |69 - 94| = 25 against 0.36 * 69 = 24.8: traded; against 0.37 * 69 = 25.5: not.
        (0.36, [(2, BUY, 94.0), (3, SELL, 25.0), (4, SELL, 105.0)]),
        (0.37, [(2, BUY, 94.0), (4, SELL, 130.0)]),
        # Entering and changing side always trade, whatever the threshold.
        (5.0, [(2, BUY, 94.0), (4, SELL, 130.0)]),
    ],
)
def test_rebalance_threshold_skips_small_changes(make_market, threshold, expected):
    market = make_market()
    strategy = _strategy(rebalance_threshold=threshold)
    market.start(strategy)

    market.bars(CLOSES)

    assert market.order_log() == expected


def test_without_shorting_a_negative_return_goes_flat(make_market):
    market = make_market()
    strategy = _strategy(allow_short=False)
    market.start(strategy)

    market.bars(CLOSES)

    assert market.order_log() == [(2, BUY, 94.0), (3, SELL, 25.0), (4, SELL, 69.0)]


@pytest.mark.parametrize(
    ("settings", "size"),
    [
        # 100% volatility target: .953780 * 5 * 10,000 / 101 = 472, capped at 1x: 10,000 / 101
        ({"target_volatility": 1.0}, 99.0),
        ({"target_volatility": 1.0, "max_leverage": 2.0}, 198.0),
        ({"target_volatility": 1.0, "max_leverage": 10.0}, 472.0),
        ({"max_position_size": 50}, 50.0),
    ],
)
def test_size_is_capped_by_leverage_and_max_position_size(make_market, settings, size):
    market = make_market()
    strategy = _strategy(**settings)
    market.start(strategy)
    market.bars(CLOSES[:3])
    assert market.order_log() == [(2, BUY, size)]


def test_sizes_on_account_equity_without_a_capital_setting(make_market):
    # Starting cash $250,000, nothing held yet: .2 / .209692 * 250,000 / 101 = 2360.8
    market = make_market(account={"starting_cash": 250_000})
    strategy = _strategy(capital=None)
    market.start(strategy)
    market.bars(CLOSES[:3])
    assert market.order_log() == [(2, BUY, 2360.0)]


def test_target_position_rounds_down_to_lots_and_zero_return_is_flat(make_market):
    market = make_market(instruments=[{"symbol": "AAA", "lot_size": 10}])
    strategy = _strategy()
    market.start(strategy)
    assert strategy.target_position("AAA", 101.0, 0.01, 0.209692) == 90.0  # 94.43 in lots of 10
    assert strategy.target_position("AAA", 101.0, -0.01, 0.209692) == -90.0
    assert strategy.target_position("AAA", 101.0, 0.0, 0.209692) == 0.0
    assert strategy.target_position("AAA", 101.0, 0.01, 0.0) == 90.0  # no volatility: the cap


# ---- configuration -----------------------------------------------------------------------------
def test_defaults():
    strategy = TimeSeriesMomentumStrategy({"symbols": ["AAA"]})
    assert (strategy.momentum_period, strategy.volatility_period) == (60, 20)
    assert (strategy.target_volatility, strategy.bars_per_year, strategy.capital) == (
        0.10,
        252.0,
        None,
    )
    assert (strategy.max_leverage, strategy.rebalance_period, strategy.rebalance_threshold) == (
        1.0,
        5,
        0.1,
    )
    assert str(strategy.strategy_id) == "time_series_momentum-001"


@pytest.mark.parametrize(
    ("settings", "field", "expected"),
    [
        ({"momentum_period": 0}, "strategies.ts-1.momentum_period", "greater than or equal to 1"),
        (
            {"volatility_period": 1},
            "strategies.ts-1.volatility_period",
            "greater than or equal to 2",
        ),
        ({"target_volatility": 0}, "strategies.ts-1.target_volatility", "greater than 0"),
        ({"bars_per_year": -1}, "strategies.ts-1.bars_per_year", "greater than 0"),
        ({"capital": 0}, "strategies.ts-1.capital", "greater than 0"),
        ({"max_leverage": 0}, "strategies.ts-1.max_leverage", "greater than 0"),
        ({"rebalance_period": 0}, "strategies.ts-1.rebalance_period", "greater than or equal to 1"),
        (
            {"rebalance_threshold": -0.1},
            "strategies.ts-1.rebalance_threshold",
            "greater than or equal to 0",
        ),
    ],
)
def test_invalid_settings_raise_config_error_naming_the_fields(settings, field, expected):
    with pytest.raises(ConfigError) as raised:
        _strategy(**settings)
    assert raised.value.field == field
    assert expected in raised.value.expected


def test_a_move_to_flat_trades_whatever_the_threshold(make_market):
    # Threshold 5: bar 3's resize is skipped, bar 4's exit (no shorting) is not.
    market = make_market()
    strategy = _strategy(allow_short=False, rebalance_threshold=5.0)
    market.start(strategy)

    market.bars(CLOSES)

    assert market.order_log() == [(2, BUY, 94.0), (4, SELL, 94.0)]

"""`StatArbStrategy` in a real kernel fed one-minute bars: the spread's z-score against a numpy
reference, entries and exits with both legs on the same bar, and leg failures (a leg denied by
the risk gate, a leg with no liquidity) repaired by unwinding or completing, with no new entry
while a pair is unbalanced."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from midfreq.core.errors import ConfigError
from midfreq.model.data import Bar
from midfreq.model.enums import OrderSide, OrderStatus
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.factory import StrategyFactory
from midfreq.strategies.stat_arb import (
    CointegrationTest,
    PairStatus,
    StatArbConfig,
    StatArbStrategy,
)
from midfreq.strategies.stat_arb import strategy as stat_arb_strategy

BUY, SELL = OrderSide.BUY, OrderSide.SELL
CLASS_PATH = "midfreq.strategies.stat_arb:StatArbStrategy"

# Tests off (p <= 1 passes, never re-tested): these tests are about signals and legs.
SETTINGS: dict[str, Any] = {
    "formation_period": 30,
    "retest_period": 0,
    "max_pvalue": 1.0,
    "break_pvalue": 1.0,
    "hedge_lookback": 10,
    "lookback_period": 10,
    "entry_z": 2.0,
    "exit_z": 0.5,
    "stop_z": 4.0,
    "order_quantity": 100,
    "leg_timeout_seconds": 150,
}
SPIKE = 40  # the bar where the spread jumps by 1.0


def _pair_closes(n: int, spikes: dict[int, float], phase: float = 0.0) -> tuple[list[float], ...]:
    """``x`` a slow sine around 50, ``y = 1.5 x + 10 + s`` with ``s`` a +-0.05 zigzag plus the
    ``spikes`` (bar -> jump)."""
    t = np.arange(n)
    x = 50.0 + 2.0 * np.sin(t / 5.0 + phase)
    s = 0.05 * (-1.0) ** t
    for bar, jump in spikes.items():
        s[bar] += jump
    y = 1.5 * x + 10.0 + s
    return [round(v, 2) for v in y], [round(v, 2) for v in x]


def _strategy(pairs: list[list[str]] | None = None, **overrides: Any) -> StatArbStrategy:
    config = {"strategy_id": "sa-1", "pairs": [["YYY", "XXX"]] if pairs is None else pairs}
    config.update(SETTINGS)
    config.update(overrides)
    return StatArbStrategy(config)


def _feed(market: Any, index: int, closes: dict[str, float], volume: dict[str, float]) -> None:
    for symbol, close in closes.items():
        ts = market.ts(index)
        iid = InstrumentId(f"{symbol}.SIM")
        bar = Bar(iid, close, close, close, close, volume.get(symbol, 1_000_000.0), ts, ts)
        market.kernel.process_bar(bar)
    market.steps = max(market.steps, index + 1)


def _log(market: Any, symbol: str) -> list[tuple[int, OrderSide, float, OrderStatus]]:
    return [
        (market.bar_index(o.ts_init), o.side, o.quantity, o.status)
        for o in market.orders()
        if o.instrument_id.symbol == symbol
    ]


def _reference_hedge(y: list[float], x: list[float], bar: int, lookback: int) -> int:
    """The x quantity for 100 of y at ``bar``: the OLS slope over the ``lookback`` bars before,
    times 100, to the nearest share."""
    beta = np.polyfit(np.array(x[bar - lookback : bar]), np.array(y[bar - lookback : bar]), 1)[0]
    return round(beta * 100)


# The rounding of prices to cents and the zigzag pull the slope a little under 1.5.
HEDGE = _reference_hedge(*_pair_closes(50, {SPIKE: 1.0}), SPIKE, 10)


def _reference_z(y: list[float], x: list[float], bar: int, lookback: int, window: int) -> float:
    """The strategy's z at ``bar``, recomputed with numpy: spreads from the OLS fit over the
    ``lookback`` bars before each bar, z-scored over the last ``window`` spreads (ddof=1)."""
    ys, xs = np.array(y), np.array(x)
    spreads = []
    for t in range(bar - window + 1, bar + 1):
        beta, alpha = np.polyfit(xs[t - lookback : t], ys[t - lookback : t], 1)
        spreads.append(ys[t] - beta * xs[t] - alpha)
    values = np.array(spreads)
    return float((values[-1] - values.mean()) / values.std(ddof=1))


# ---- config ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"exit_z": 2.5}, "exit_z: expected a number >= 0 and below entry_z (2.0), was 2.5"),
        ({"stop_z": 1.5}, "stop_z: expected a number above entry_z (2.0)"),
        ({"max_pvalue": 0.3, "break_pvalue": 0.2}, "break_pvalue: expected a p-value >= max"),
        ({"pairs": [["AAA", "BBB"], ["BBB", "CCC"]]}, "pairs: expected each symbol in one pair"),
        ({"pairs": [["AAA", "AAA"]]}, "pairs: expected two different symbols per pair"),
        ({"pairs": [["AAA", "ZZZ"]], "symbols": ["AAA", "BBB"]}, "(['ZZZ'] are not)"),
        ({"pairs": [], "symbols": ["AAA"]}, "pairs: expected pairs, or two or more symbols"),
        ({"pairs": []}, "pairs: expected pairs, or two or more symbols"),
        ({"hedge_ratio": "median"}, "hedge_ratio"),
        ({"leg_failure": "pray"}, "leg_failure"),
    ],
)
def test_config_mistakes_are_refused_naming_the_key(overrides, message):
    with pytest.raises(ConfigError) as error:
        _strategy(**overrides)
    assert message in str(error.value)
    assert "strategies.sa-1" in str(error.value)


def test_config_defaults_and_pairs_without_symbols_trade_the_legs():
    strategy = _strategy()
    assert isinstance(strategy.params, StatArbConfig)
    assert [str(i) for i in strategy.instrument_ids] == ["YYY.SIM", "XXX.SIM"]
    defaults = StatArbConfig(symbols=["A", "B"])
    assert (defaults.entry_z, defaults.exit_z, defaults.stop_z) == (2.0, 0.5, 4.0)
    assert (defaults.hedge_ratio, defaults.leg_failure) == ("ols", "unwind")
    assert StatArbStrategy.name == "stat_arb"
    assert StrategyFactory.resolve(CLASS_PATH) is StatArbStrategy


# ---- signals ----------------------------------------------------------------------------------
def test_z_score_matches_a_numpy_reference(make_market):
    y, x = _pair_closes(60, {})
    market = make_market(("YYY", "XXX"))
    strategy = _strategy()
    market.start(strategy)
    zs = {}
    for i in range(len(y)):
        _feed(market, i, {"YYY": y[i], "XXX": x[i]}, {})
        zs[i] = strategy.pairs[0].z
    # Hedge after 10 bars, z after 10 spreads: the first z is at bar 19.
    assert math.isnan(zs[18]) and not math.isnan(zs[19])
    for bar in (19, 33, 59):
        assert zs[bar] == pytest.approx(_reference_z(y, x, bar, 10, 10), rel=1e-9)
    assert strategy.pairs[0].status is PairStatus.ACTIVE  # tested at bar 29 (p <= 1)
    assert market.orders() == []  # the zigzag never reaches |z| 2


def test_enters_both_legs_on_the_spike_and_exits_when_it_reverts(make_market):
    y, x = _pair_closes(50, {SPIKE: 1.0})
    market = make_market(("YYY", "XXX"))
    strategy = _strategy()
    market.start(strategy)
    for i in range(len(y)):
        _feed(market, i, {"YYY": y[i], "XXX": x[i]}, {})
        if i == SPIKE:
            z, beta = strategy.pairs[0].z, strategy.pairs[0].beta
    assert beta == pytest.approx(HEDGE / 100, abs=0.005)
    assert z == pytest.approx(_reference_z(y, x, SPIKE, 10, 10), rel=1e-9)
    assert 2.0 <= z < 4.0  # short the spread: sell y, buy beta * y-quantity of x
    hedge = round(beta * 100)
    assert hedge == HEDGE == 149
    filled = OrderStatus.FILLED
    assert _log(market, "YYY") == [(SPIKE, SELL, 100, filled), (SPIKE + 1, BUY, 100, filled)]
    assert _log(market, "XXX") == [(SPIKE, BUY, hedge, filled), (SPIKE + 1, SELL, hedge, filled)]
    pair = strategy.pairs[0]
    assert (pair.entries, pair.exits, pair.leg_failures) == (1, 1, 0)
    assert market.position(strategy, "YYY") == market.position(strategy, "XXX") == 0


def test_a_spread_beyond_the_stop_is_not_entered(make_market):
    y, x = _pair_closes(50, {SPIKE: 3.0})  # z about 3: entered with stop 4, not with stop 2.5
    market = make_market(("YYY", "XXX"))
    strategy = _strategy(stop_z=2.5)
    market.start(strategy)
    for i in range(len(y)):
        _feed(market, i, {"YYY": y[i], "XXX": x[i]}, {})
    assert strategy.pairs[0].entries == 0
    assert market.orders() == []


def test_pair_notional_and_max_position_size_set_the_leg_sizes(make_market):
    y, x = _pair_closes(50, {SPIKE: 1.0})
    for settings, expected_y in (
        ({"pair_notional": 10_000}, None),
        ({"max_position_size": 60}, 40),
    ):
        market = make_market(("YYY", "XXX"))
        strategy = _strategy(**settings)
        market.start(strategy)
        for i in range(SPIKE + 1):
            _feed(market, i, {"YYY": y[i], "XXX": x[i]}, {})
        beta = strategy.pairs[0].beta
        if expected_y is None:  # 10,000 / (y + beta x), in whole shares
            expected_y = math.floor(10_000 / (y[SPIKE] + beta * x[SPIKE]))
            assert expected_y == 60
        # max_position_size 60 caps the larger leg: y = 60 / beta = 40.3 -> 40, x = 60.
        (sell_y,) = _log(market, "YYY")
        (buy_x,) = _log(market, "XXX")
        assert sell_y[:3] == (SPIKE, SELL, expected_y)
        assert buy_x[:3] == (SPIKE, BUY, round(beta * expected_y))


# ---- leg failures ----------------------------------------------------------------------------
def test_a_leg_denied_by_the_risk_gate_cancels_the_other_at_once(make_market):
    y, x = _pair_closes(50, {SPIKE: 1.0})
    # The x leg (149) is over the limit; the y leg (100) passes.
    market = make_market(("YYY", "XXX"), risk_management={"max_order_quantity": 120})
    strategy = _strategy()
    market.start(strategy)
    for i in range(len(y)):
        _feed(market, i, {"YYY": y[i], "XXX": x[i]}, {})
        if i == SPIKE:
            pair = strategy.pairs[0]
            assert pair.leg_failures == 1  # reacted to the denial on the same bar
    assert _log(market, "XXX") == [(SPIKE, BUY, HEDGE, OrderStatus.DENIED)]
    assert _log(market, "YYY") == [(SPIKE, SELL, 100, OrderStatus.CANCELED)]
    assert market.orders()[0].ts_last == market.ts(SPIKE)  # canceled before any fill could come
    assert market.kernel.portfolio_view.quantity(InstrumentId("YYY.SIM"), strategy.strategy_id) == 0
    pair = strategy.pairs[0]
    assert (pair.direction, pair.recovery, pair.working) == (0, None, [])


def test_complete_mode_resends_the_legs_then_unwinds_when_refused_again(make_market):
    y, x = _pair_closes(50, {SPIKE: 1.0})
    market = make_market(("YYY", "XXX"), risk_management={"max_order_quantity": 120})
    strategy = _strategy(leg_failure="complete")
    market.start(strategy)
    for i in range(len(y)):
        _feed(market, i, {"YYY": y[i], "XXX": x[i]}, {})
    # Bar 40: x denied, y canceled. Bar 41: both sent again, x denied again -> unwind, y
    # canceled before it could fill.
    assert _log(market, "XXX") == [
        (SPIKE, BUY, HEDGE, OrderStatus.DENIED),
        (SPIKE + 1, BUY, HEDGE, OrderStatus.DENIED),
    ]
    assert _log(market, "YYY") == [
        (SPIKE, SELL, 100, OrderStatus.CANCELED),
        (SPIKE + 1, SELL, 100, OrderStatus.CANCELED),
    ]
    assert market.position(strategy, "YYY") == market.position(strategy, "XXX") == 0
    assert strategy.pairs[0].recovery is None


def test_a_halted_leg_is_judged_on_the_other_legs_bars(make_market):
    # XXX sends no bar after the spike: the pair has no common bar again, so the timeout is
    # judged on YYY's bars once XXX has missed one (bar 43: 180 s >= 150 s).
    y, x = _pair_closes(50, {SPIKE: 1.0})
    market = make_market(("YYY", "XXX"))
    strategy = _strategy()
    market.start(strategy)
    for i in range(len(y)):
        closes = {"YYY": y[i], "XXX": x[i]} if i <= SPIKE else {"YYY": y[i]}
        _feed(market, i, closes, {})
    assert _log(market, "YYY") == [
        (SPIKE, SELL, 100, OrderStatus.FILLED),
        (SPIKE + 3, BUY, 100, OrderStatus.FILLED),
    ]
    assert _log(market, "XXX") == [(SPIKE, BUY, HEDGE, OrderStatus.CANCELED)]
    assert market.position(strategy, "YYY") == market.position(strategy, "XXX") == 0
    assert strategy.pairs[0].leg_failures == 1


def _illiquid_x_run(
    make_market, *, dry_x: bool, **overrides: Any
) -> tuple[Any, StatArbStrategy, dict[int, bool]]:
    """Two pairs: AAA/BBB spikes at bar 40, CCC/DDD at bar 42. With ``dry_x``, BBB trades no
    volume on bars 41-43, so AAA fills and BBB does not. Returns the market, the strategy and
    whether AAA/BBB was unbalanced after each bar."""
    a, b = _pair_closes(50, {SPIKE: 1.0})
    c, d = _pair_closes(50, {SPIKE + 2: 1.0}, phase=1.0)
    market = make_market(("AAA", "BBB", "CCC", "DDD"), venue={"max_volume_participation": 0.01})
    strategy = _strategy([["AAA", "BBB"], ["CCC", "DDD"]], **overrides)
    market.start(strategy)
    unbalanced = {}
    for i in range(len(a)):
        volume = {"BBB": 0.0} if dry_x and SPIKE < i <= SPIKE + 3 else {}
        _feed(market, i, {"AAA": a[i], "BBB": b[i], "CCC": c[i], "DDD": d[i]}, volume)
        unbalanced[i] = strategy.pairs[0].is_unbalanced
    return market, strategy, unbalanced


def test_without_leg_trouble_the_second_pair_enters_on_its_spike(make_market):
    market, strategy, unbalanced = _illiquid_x_run(make_market, dry_x=False)
    assert not any(unbalanced.values())
    assert [(i, side) for i, side, _, _ in _log(market, "CCC")] == [
        (SPIKE + 2, SELL),
        (SPIKE + 3, BUY),
    ]
    assert [p.entries for p in strategy.pairs] == [1, 1]


def test_a_leg_without_liquidity_is_unwound_and_blocks_other_entries(make_market):
    market, strategy, unbalanced = _illiquid_x_run(make_market, dry_x=True)
    first, second = strategy.pairs
    assert [unbalanced[i] for i in range(SPIKE - 1, SPIKE + 6)] == [
        False,  # 39: flat
        False,  # 40: both legs sent, neither filled
        True,  # 41: AAA filled, BBB not
        True,  # 42
        True,  # 43: timed out, unwinding
        False,  # 44: AAA bought back
        False,
    ]
    # Bar 41: AAA sold, BBB unfilled (no volume). Bar 43 (180 s >= 150 s): BBB canceled, AAA
    # bought back, filling at bar 44.
    assert _log(market, "AAA") == [
        (SPIKE, SELL, 100, OrderStatus.FILLED),
        (SPIKE + 3, BUY, 100, OrderStatus.FILLED),
    ]
    assert _log(market, "BBB") == [(SPIKE, BUY, HEDGE, OrderStatus.CANCELED)]
    assert first.leg_failures == 1 and first.recovery is None
    # CCC/DDD's spike came while AAA/BBB was unbalanced: not entered.
    assert _log(market, "CCC") == [] and _log(market, "DDD") == []
    assert second.entries == 0
    for symbol in ("AAA", "BBB", "CCC", "DDD"):
        assert market.position(strategy, symbol) == 0


def test_complete_mode_sends_the_missing_leg_again(make_market):
    market, strategy, unbalanced = _illiquid_x_run(make_market, dry_x=True, leg_failure="complete")
    assert [unbalanced[i] for i in range(SPIKE, SPIKE + 5)] == [False, True, True, True, False]
    # Bar 43: BBB canceled and sent again; it fills at bar 44 when volume returns, the pair
    # holds its position and exits on the reverting spread at bar 44.
    bbb = _log(market, "BBB")
    assert bbb[:2] == [
        (SPIKE, BUY, HEDGE, OrderStatus.CANCELED),
        (SPIKE + 3, BUY, HEDGE, OrderStatus.FILLED),
    ]
    first = strategy.pairs[0]
    assert first.leg_failures == 1
    assert market.position(strategy, "AAA") == market.position(strategy, "BBB") == 0
    assert _log(market, "AAA")[0] == (SPIKE, SELL, 100, OrderStatus.FILLED)


# ---- cointegration status ----------------------------------------------------------------------
def _scripted_tests(monkeypatch: pytest.MonkeyPatch, pvalues: list[float]) -> list[int]:
    """Make the strategy's Engle-Granger tests return ``pvalues`` in turn (half-life 5 bars);
    return the list that records the window length of each test."""
    windows: list[int] = []

    def engle_granger(y: Any, x: Any, max_lag: int | None = None) -> CointegrationTest:
        windows.append(len(y))
        pvalue = pvalues[len(windows) - 1]
        return CointegrationTest(
            t_statistic=-5.0, pvalue=pvalue, beta=1.5, alpha=10.0, half_life=5.0
        )

    monkeypatch.setattr(stat_arb_strategy, "engle_granger", engle_granger)
    return windows


def test_a_break_closes_the_position_and_suspends_until_three_passes(make_market, monkeypatch):
    # Tests every 13 bars from bar 29: pass; fail at bar 42 (short spread open since bar 40);
    # the wait for a clean window (30 bars) skips bars 55 and 68; passes at 72, 85, 98 resume
    # the pair at bar 98. Spread: +1 from bar 40 to 59, spikes at 80 (suspended: not traded)
    # and 110 (traded).
    windows = _scripted_tests(monkeypatch, [0.001, 0.9, 0.001, 0.001, 0.001, 0.001])
    t = np.arange(120)
    x = 50.0 + 2.0 * np.sin(t / 5.0)
    s = 0.05 * (-1.0) ** t
    s[40:60] += 1.0
    s[80] += 1.0
    s[110] += 1.0
    y = [round(v, 2) for v in 1.5 * x + 10.0 + s]
    x = [round(v, 2) for v in x]
    market = make_market(("YYY", "XXX"))
    strategy = _strategy(retest_period=13, max_pvalue=0.05, break_pvalue=0.5)
    market.start(strategy)
    for i in range(len(y)):
        _feed(market, i, {"YYY": y[i], "XXX": x[i]}, {})
    pair = strategy.pairs[0]
    assert [(market.bar_index(ts), status) for ts, status, _ in pair.status_changes] == [
        (29, PairStatus.ACTIVE),
        (42, PairStatus.SUSPENDED),
        (98, PairStatus.ACTIVE),
    ]
    assert windows == [30] * 6  # tests at bars 29, 42, 72, 85, 98, 111
    yyy = [(i, side) for i, side, _, status in _log(market, "YYY") if status is OrderStatus.FILLED]
    # Entered at 40, closed out by the suspension at 42; the spike at 80 is ignored; the one at
    # 110 is traded (entered at 110, exited at 111).
    assert yyy == [(SPIKE, SELL), (SPIKE + 2, BUY), (110, SELL), (111, BUY)]
    assert (pair.entries, pair.exits) == (2, 2)


def test_a_configured_pair_that_fails_its_first_test_is_never_traded(make_market, monkeypatch):
    _scripted_tests(monkeypatch, [0.3] * 10)
    y, x = _pair_closes(50, {SPIKE: 1.0})
    market = make_market(("YYY", "XXX"))
    strategy = _strategy(retest_period=5, max_pvalue=0.05, break_pvalue=0.5)
    market.start(strategy)
    for i in range(len(y)):
        _feed(market, i, {"YYY": y[i], "XXX": x[i]}, {})
    assert strategy.pairs[0].status is PairStatus.SUSPENDED
    assert market.orders() == []

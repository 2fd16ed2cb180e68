"""Live bar building: `LiveBarAggregator` against the batch aggregation functions (bit for bit),
bars closing on the clock without a following tick, late ticks counted, the config's checks, and
the kernel delivering built bars to strategies from a quote feed."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from midfreq.core.clock import SimulatedClock
from midfreq.data.aggregation import (
    LiveBarAggregator,
    LiveBarsConfig,
    dollar_bars,
    quote_time_bars,
    tick_bars,
    time_bars,
    volume_bars,
)
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel
from midfreq.system.trading_system import TradingSystem

AAA = InstrumentId("AAA.SIM")
SEC = 1_000_000_000
T0 = 1_704_205_800 * SEC  # 2024-01-02 14:30 UTC, on a minute boundary


def _trades(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    # Irregular arrivals with gaps of several bar lengths, some ticks sharing a time.
    gaps = rng.choice([0, 1, 5, 200, 7_000, 90_000], size=n, p=[0.1, 0.2, 0.3, 0.3, 0.08, 0.02])
    ts = T0 + np.cumsum(gaps.astype(np.int64) * 1_000_000)
    price = 100.0 + np.cumsum(rng.normal(0.0, 0.05, n))
    size = rng.integers(1, 500, n).astype(np.float64)
    return ts, price, size


def _rows(bars: Any) -> list[tuple[float, float, float, float, float, int]]:
    return [(b.open, b.high, b.low, b.close, b.volume, b.ts_event) for b in bars]


def _run(config: LiveBarsConfig, ts: np.ndarray, price: np.ndarray, size: np.ndarray) -> list[Bar]:
    """Feed events as the kernel does: time moves to each event (timers due fire first)."""
    clock = SimulatedClock(int(ts[0]))
    out: list[Bar] = []
    aggregator = LiveBarAggregator(config, clock, out.append)
    for t, p, s in zip(ts.tolist(), price.tolist(), size.tolist(), strict=True):
        clock.advance_time(t)
        aggregator.on_trade_values(AAA, p, s, t)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("fill_empty", [False, True])
def test_live_time_bars_equal_the_batch_ones_bit_for_bit(seed: int, fill_empty: bool) -> None:
    ts, price, size = _trades(3_000, seed)
    config = LiveBarsConfig(kind="time", interval_seconds=60, fill_empty=fill_empty)

    live = _run(config, ts, price, size)
    batch = time_bars(ts, price, size, 60 * SEC, AAA, fill_empty=fill_empty)

    # The batch result holds the last, still open interval; live has not published it yet.
    assert len(batch) > 20
    assert _rows(live) == _rows(list(batch.iter_bars())[:-1])


def test_a_time_bar_closes_on_the_clock_without_a_following_tick() -> None:
    clock = SimulatedClock(T0)
    bars: list[Bar] = []
    aggregator = LiveBarAggregator(
        LiveBarsConfig(kind="time", interval_seconds=60), clock, bars.append
    )
    aggregator.on_trade_values(AAA, 10.0, 1.0, T0 + 5 * SEC)
    aggregator.on_trade_values(AAA, 12.0, 2.0, T0 + 30 * SEC)
    clock.advance_time(T0 + 59 * SEC)
    assert bars == []

    clock.advance_time(T0 + 60 * SEC)

    assert _rows(bars) == [(10.0, 12.0, 10.0, 12.0, 3.0, T0 + 60 * SEC)]


def test_late_grace_waits_before_closing_and_a_later_tick_is_refused_and_counted() -> None:
    clock = SimulatedClock(T0)
    bars: list[Bar] = []
    config = LiveBarsConfig(kind="time", interval_seconds=60, late_grace_ms=500)
    aggregator = LiveBarAggregator(config, clock, bars.append)
    aggregator.on_trade_values(AAA, 10.0, 1.0, T0 + 5 * SEC)
    clock.advance_time(T0 + 60 * SEC + 400_000_000)
    aggregator.on_trade_values(AAA, 11.0, 1.0, T0 + 59 * SEC)  # late, within the grace
    assert bars == []

    clock.advance_time(T0 + 60 * SEC + 500_000_000)
    aggregator.on_trade_values(AAA, 9.0, 1.0, T0 + 59 * SEC)  # after the bar was published

    assert _rows(bars) == [(10.0, 11.0, 10.0, 11.0, 2.0, T0 + 60 * SEC)]
    assert aggregator.refused_events == 1


@pytest.mark.parametrize(
    ("kind", "threshold", "batch"),
    [("tick", 7, tick_bars), ("volume", 2_500.0, volume_bars), ("dollar", 150_000.0, dollar_bars)],
)
def test_live_threshold_bars_equal_the_batch_ones(kind: str, threshold: float, batch: Any) -> None:
    ts, price, size = _trades(2_000, 9)

    live = _run(LiveBarsConfig(kind=kind, threshold=threshold), ts, price, size)  # type: ignore[arg-type]
    expected = batch(ts, price, size, int(threshold) if kind == "tick" else threshold, AAA)

    assert len(expected) > 10
    assert _rows(live) == _rows(expected.iter_bars())


def test_quote_bars_aggregate_the_mid_and_count_quotes() -> None:
    rng = np.random.default_rng(4)
    n = 1_500
    ts = T0 + np.cumsum(rng.integers(0, 3_000, n).astype(np.int64) * 1_000_000)
    bid = 50.0 + np.cumsum(rng.normal(0, 0.01, n))
    ask = bid + rng.uniform(0.01, 0.05, n)
    clock = SimulatedClock(int(ts[0]))
    bars: list[Bar] = []
    aggregator = LiveBarAggregator(
        LiveBarsConfig(kind="time", interval_seconds=30, source="quotes"), clock, bars.append
    )
    for t, b, a in zip(ts.tolist(), bid.tolist(), ask.tolist(), strict=True):
        clock.advance_time(t)
        aggregator.on_quote(QuoteTick(AAA, b, a, 100.0, 100.0, t, t))
        aggregator.on_trade(TradeTick(AAA, b, 5.0, AggressorSide.SELLER, "x", t, t))  # ignored

    expected = quote_time_bars(ts, bid, ask, 30 * SEC, AAA)
    assert len(expected) > 20
    assert _rows(bars) == _rows(list(expected.iter_bars())[:-1])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"kind": "time"}, "interval_seconds: expected a number > 0 for time bars"),
        ({"kind": "volume"}, "threshold: expected a number > 0 for volume bars"),
        ({"kind": "tick", "threshold": 2.5}, "threshold: expected a whole number of trades"),
        ({"kind": "volume", "threshold": 10, "source": "quotes"}, "source: expected trades"),
        (
            {"kind": "tick", "threshold": 5, "interval_seconds": 60},
            "interval_seconds: expected none",
        ),
        ({"kind": "time", "interval_seconds": -1}, "greater than 0"),
    ],
)
def test_inconsistent_live_bar_settings_are_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        LiveBarsConfig(**settings)


class BarCounter(BaseStrategy):
    name = "bar_counter"

    def __init__(self) -> None:
        super().__init__({"strategy_id": "counter-1"})
        self.bars: list[Bar] = []
        self.quotes = 0

    def on_bar(self, bar: Bar) -> None:
        self.bars.append(bar)

    def on_quote(self, quote: QuoteTick) -> None:
        self.quotes += 1


def test_the_kernel_builds_bars_from_quotes_and_strategies_receive_them() -> None:
    config = parse_system_config(
        {
            "data_feed": {
                "symbols": ["AAA"],
                "bars": {"kind": "time", "interval_seconds": 60, "source": "quotes"},
            }
        }
    )
    kernel = Kernel(config, SimulatedClock(T0))
    strategy = kernel.add_strategy(BarCounter())
    kernel.start()
    stamps = [T0 + k * 20 * SEC for k in range(10)]  # 3 quotes a minute for 3 minutes + 1
    for k, t in enumerate(stamps):
        kernel.process_quote(QuoteTick(AAA, 100.0 + k, 100.2 + k, 10.0, 10.0, t, t))
    kernel.tick()

    closes = [round(bar.close, 6) for bar in strategy.bars]  # type: ignore[attr-defined]
    assert closes == [102.1, 105.1, 108.1]
    assert [bar.volume for bar in strategy.bars] == [3.0, 3.0, 3.0]  # type: ignore[attr-defined]
    assert strategy.quotes == 10  # type: ignore[attr-defined]
    assert kernel.cache.bars[AAA].ts_event == T0 + 180 * SEC
    assert kernel.live_bars is not None and kernel.live_bars.bars_built == 3


def test_without_the_bars_setting_the_kernel_builds_none() -> None:
    kernel = Kernel(parse_system_config({"data_feed": {"symbols": ["AAA"]}}), SimulatedClock(T0))
    strategy = kernel.add_strategy(BarCounter())
    kernel.start()
    for k in range(10):
        t = T0 + k * 20 * SEC
        kernel.process_quote(QuoteTick(AAA, 100.0, 100.2, 10.0, 10.0, t, t))

    assert kernel.live_bars is None
    assert strategy.bars == []  # type: ignore[attr-defined]


def test_paper_trading_builds_bars_on_the_wall_clock_from_the_synthetic_quotes() -> None:
    config = parse_system_config(
        {
            "data_feed": {
                "symbols": ["AAA", "BBB"],
                "update_frequency": 20,
                "bars": {"kind": "time", "interval_seconds": 0.25, "source": "quotes"},
            },
            "strategies": {},
            "logging": {"file": None},
        }
    )

    async def session() -> BarCounter:
        system = TradingSystem(config)
        await system.initialize()
        assert system.kernel is not None
        counter = system.kernel.add_strategy(BarCounter())
        await system.start()
        await asyncio.sleep(1.6)
        await system.stop()
        return counter  # type: ignore[return-value]

    counter = asyncio.run(session())
    interval = SEC // 4
    by_symbol: dict[str, list[Bar]] = {}
    for bar in counter.bars:
        by_symbol.setdefault(bar.instrument_id.symbol, []).append(bar)
    assert set(by_symbol) == {"AAA", "BBB"}
    for bars in by_symbol.values():
        assert len(bars) >= 3
        stamps = [bar.ts_event for bar in bars]
        assert all(ts % interval == 0 for ts in stamps)  # closed on bar boundaries
        assert stamps == sorted(set(stamps))  # one bar per interval, in order
        assert all(bar.low <= min(bar.open, bar.close) <= bar.high for bar in bars)
    assert sum(bar.volume for bar in counter.bars) <= counter.quotes

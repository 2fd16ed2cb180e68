"""Execution costs under the square-root impact model: 10,000 shares (a whole bar's volume)
bought with one market order cost more than the same quantity sliced evenly over five bars
(2,000 = 20% of each bar's volume), both in the venue's fill prices and in the TCA that the
results save. Both run in one backtest on twin instruments, so neither sees the other's impact.

Hand-computed (price 100, bar volume 10,000, sigma 0.2% per bar, eta 1, gamma 0.314, ticks of
0.01 rounded against the buyer; maker/taker fees, taker 0.003 per share):

- one order: temporary 1 x 0.002 x sqrt(1) x 100 = 0.20 -> fills at 100.20; cost 2,000.
- five slices: temporary 0.002 x sqrt(0.2) x 100 = 0.089443 each; each slice leaves a permanent
  shift of 0.314 x 0.002 x 0.2 x 100 = 0.01256, so slice k starts from 100 + 0.01256 k:
  100.0894, 100.1020, 100.1146, 100.1271, 100.1397 -> 100.09, 100.11, 100.12, 100.13, 100.14;
  cost 2,000 x (0.09 + 0.11 + 0.12 + 0.13 + 0.14) = 1,180.
- fees 10,000 x 0.003 = 30 each.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from midfreq.backtest.engine import BacktestEngine
from midfreq.backtest.results import BacktestResult
from midfreq.data.bars import BarArrays
from midfreq.model.data import Bar
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy
from midfreq.strategies.factory import StrategyFactory
from midfreq.system.config import parse_system_config

T0 = 1_704_205_800 * 10**9
MINUTE = 60 * 10**9
TOTAL = 10_000.0
SLICES = 5


class BlockBuyer(BaseStrategy):
    """Buys the whole quantity with one market order on its second bar."""

    name = "block_buyer"

    def on_start(self) -> None:
        self.bars_seen = 0

    def on_bar(self, bar: Bar) -> None:
        self.bars_seen += 1
        if self.bars_seen == 2:
            self.buy(bar.instrument_id, TOTAL)


class SlicedBuyer(BaseStrategy):
    """Buys the same quantity in equal market orders on consecutive bars (a stand-in for TWAP)."""

    name = "sliced_buyer"

    def on_start(self) -> None:
        self.bars_seen = 0

    def on_bar(self, bar: Bar) -> None:
        self.bars_seen += 1
        if 2 <= self.bars_seen < 2 + SLICES:
            self.buy(bar.instrument_id, TOTAL / SLICES)


def flat_bars(symbol: str, count: int = 12) -> BarArrays:
    ts = T0 + MINUTE * np.arange(1, count + 1, dtype=np.int64)
    price = np.full(count, 100.0)
    return BarArrays(
        InstrumentId(f"{symbol}.SIM"), ts, price, price, price, price, np.full(count, TOTAL)
    )


def run() -> tuple[BacktestResult, list[BarArrays]]:
    StrategyFactory.register(BlockBuyer.name, BlockBuyer)
    StrategyFactory.register(SlicedBuyer.name, SlicedBuyer)
    config = parse_system_config(
        {
            "account": {"starting_cash": 10_000_000},
            "data_feed": {"symbols": ["BLK", "SLC"]},
            "strategies": {
                "block_buyer": {"symbols": ["BLK"]},
                "sliced_buyer": {"symbols": ["SLC"]},
            },
            "risk_management": {
                "max_order_quantity": 100_000,
                "max_notional_per_order": 10_000_000,
                "max_position": 100_000,
            },
            "venue": {
                "fees": {"model": "maker_taker", "maker": -0.002, "taker": 0.003},
                "impact": {"model": "square_root", "eta": 1.0, "gamma": 0.314, "volatility": 0.002},
            },
            "logging": {"file": None},
        }
    )
    bars = [flat_bars("BLK"), flat_bars("SLC")]
    result = BacktestEngine(config).run_backtest(bars=bars)
    return result, bars


@pytest.fixture(scope="module")
def outcome() -> tuple[BacktestResult, list[BarArrays]]:
    return run()


def test_fill_prices_follow_the_square_root_model(outcome) -> None:
    result, _ = outcome
    fills = result.fills
    block = fills[fills.instrument_id == "BLK.SIM"]
    sliced = fills[fills.instrument_id == "SLC.SIM"]
    assert block.price.tolist() == [100.20]
    assert block.quantity.tolist() == [TOTAL]
    assert sliced.price.tolist() == [100.09, 100.11, 100.12, 100.13, 100.14]
    assert sliced.quantity.tolist() == [2_000.0] * 5
    assert set(fills.liquidity_side) == {"TAKER"}
    assert block.commission.sum() == pytest.approx(30.0)
    assert sliced.commission.sum() == pytest.approx(30.0)


def test_tca_shows_the_sliced_execution_costs_less(outcome, tmp_path) -> None:
    result, bars = outcome
    report = result.attach_tca(bars)
    by_strategy = report.by_strategy.set_index("strategy_id")
    block = by_strategy.loc["block_buyer-001"]
    sliced = by_strategy.loc["sliced_buyer-001"]
    assert block.impact_cost == pytest.approx(2_000.0)
    assert sliced.impact_cost == pytest.approx(1_180.0)
    assert block.implementation_shortfall == pytest.approx(2_030.0)
    assert sliced.implementation_shortfall == pytest.approx(1_210.0)
    # bps of the arrival notional, 10,000 x 100 = 1,000,000
    assert block.shortfall_bps == pytest.approx(20.3)
    assert sliced.shortfall_bps == pytest.approx(12.1)
    assert sliced.implementation_shortfall < block.implementation_shortfall
    assert (block.fill_rate, sliced.fill_rate) == (1.0, 1.0)
    # Each order fills on the bar after it was sent: the whole bar (1.0) vs 20% of each.
    assert block.participation_rate == pytest.approx(1.0)
    assert sliced.participation_rate == pytest.approx(0.2)
    # Flat bars: the interval VWAP is 100, so VWAP slippage equals the impact in bps.
    assert block.vwap_slippage_bps == pytest.approx(20.0)
    assert sliced.vwap_slippage_bps == pytest.approx(11.8)
    assert report.by_venue.venue.tolist() == ["SIM"]
    assert report.by_venue.implementation_shortfall.iloc[0] == pytest.approx(3_240.0)

    folder = result.write(tmp_path / "run")
    saved = pd.read_parquet(folder / "tca_by_strategy.parquet").set_index("strategy_id")
    assert saved.loc["sliced_buyer-001", "implementation_shortfall"] == pytest.approx(1_210.0)
    assert len(pd.read_csv(folder / "tca_orders.csv")) == 6
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["tca"]["parents"] == 6
    assert summary["models"]["slippage"]["name"] == "square_root"


def test_grouping_the_slices_under_one_parent(outcome) -> None:
    result, bars = outcome
    sliced_ids = result.orders[result.orders.instrument_id == "SLC.SIM"].client_order_id
    report = result.attach_tca(bars, parent_order_ids={str(c): "P-SLC" for c in sliced_ids})
    parent = report.orders.set_index("parent_order_id").loc["P-SLC"]
    assert parent.orders == 5
    assert parent.target_qty == TOTAL
    assert parent.avg_fill_price == pytest.approx(100.118)
    assert parent.implementation_shortfall == pytest.approx(1_210.0)
    assert parent.participation_rate == pytest.approx(10_000 / 50_000)


def test_the_costed_backtest_is_identical_when_run_twice() -> None:
    first, _ = run()
    second, _ = run()
    assert first.fills.equals(second.fills)
    assert np.array_equal(first.equity, second.equity)

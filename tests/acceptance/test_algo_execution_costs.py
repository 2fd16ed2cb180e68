"""Execution algorithms against one market order under the square-root impact model: buying
50,000 shares (five bars' volume) at once costs more than working them by TWAP or VWAP over 30
minutes, measured by the backtest's own transaction cost analysis per parent order.

The three executions run in one backtest on triplet instruments with the same bars (a seeded
random walk, 10,000 shares a bar), so none sees another's impact. Impact: eta 1, gamma 0.314,
sigma fixed at 0.2% per bar; maker/taker fees, taker 0.003 per share.

Expected sizes (price about 100): the market order pays 1 x 0.002 x sqrt(5) x 100 = 0.447 per
share, 44.7 bps. A one-minute slice of 1,667 (a sixth of a bar) pays 0.002 x sqrt(1/6) x 100 =
0.082, 8.2 bps, plus the permanent shift the earlier slices left (0.314 x 0.002 x 1/6 x 100 =
0.0105 per slice, about 15 bps on average over 30 slices), so roughly half the market order's
cost before the random walk's drift over the half hour. The pinned figures below are the
backtest's (seed 7): market order 45.3 bps, TWAP 19.60, VWAP 19.45; the assertions about
their order are the point.
"""

from __future__ import annotations

from pathlib import Path

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

T0 = 1_704_205_800 * 10**9  # 2024-01-02 14:30 UTC
MINUTE = 60 * 10**9
TOTAL = 50_000.0
BAR_VOLUME = 10_000.0
BARS = 60
SEED = 7
HORIZON = {"horizon_seconds": 1_800, "interval_seconds": 60}


class _BuyOnce(BaseStrategy):
    """Buys TOTAL on its second bar, as `exec_algorithm` says (None: one market order)."""

    exec_algorithm: str | None = None

    def on_start(self) -> None:
        self.bars_seen = 0

    def on_bar(self, bar: Bar) -> None:
        self.bars_seen += 1
        if self.bars_seen != 2:
            return
        if self.exec_algorithm is None:
            self.buy(bar.instrument_id, TOTAL)
        else:
            self.buy(
                bar.instrument_id,
                TOTAL,
                exec_algorithm=self.exec_algorithm,
                exec_params=HORIZON,
            )


class MarketBuyer(_BuyOnce):
    name = "market_buyer"


class TwapBuyer(_BuyOnce):
    name = "twap_buyer"
    exec_algorithm = "twap"


class VwapBuyer(_BuyOnce):
    name = "vwap_buyer"
    exec_algorithm = "vwap"


def walk_bars(symbol: str) -> BarArrays:
    """A seeded random walk (1 bp per bar), opens at the previous close, cent prices."""
    rng = np.random.default_rng(SEED)
    close = np.round(100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.0001, BARS))), 2)
    opens = np.concatenate([[100.0], close[:-1]])
    ts = T0 + MINUTE * np.arange(1, BARS + 1, dtype=np.int64)
    return BarArrays(
        InstrumentId(f"{symbol}.SIM"),
        ts,
        opens,
        np.maximum(opens, close),
        np.minimum(opens, close),
        close,
        np.full(BARS, BAR_VOLUME),
    )


def run(catalog: Path) -> BacktestResult:
    for cls in (MarketBuyer, TwapBuyer, VwapBuyer):
        StrategyFactory.register(cls.name, cls)
    config = parse_system_config(
        {
            "account": {"starting_cash": 50_000_000},
            "data_feed": {"symbols": ["MKT", "TWP", "VWP"]},
            "strategies": {
                "market_buyer": {"symbols": ["MKT"]},
                "twap_buyer": {"symbols": ["TWP"]},
                "vwap_buyer": {"symbols": ["VWP"]},
            },
            "catalog": {"path": str(catalog)},  # empty: VWAP uses its U-shaped fallback
            "risk_management": {
                "max_order_quantity": 100_000,
                "max_notional_per_order": 50_000_000,
                "max_position": 100_000,
            },
            "venue": {
                "fees": {"model": "maker_taker", "maker": -0.002, "taker": 0.003},
                "impact": {"model": "square_root", "eta": 1.0, "gamma": 0.314, "volatility": 0.002},
            },
            "logging": {"file": None},
        }
    )
    bars = [walk_bars(s) for s in ("MKT", "TWP", "VWP")]
    return BacktestEngine(config).run_backtest(bars=bars)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("empty_catalog"))


@pytest.fixture(scope="module")
def result(catalog: Path) -> BacktestResult:
    return run(catalog)


def _per_parent(result: BacktestResult) -> pd.DataFrame:
    assert result.tca is not None
    return result.tca.orders.set_index("strategy_id")


def test_one_tca_row_per_parent(result: BacktestResult) -> None:
    rows = _per_parent(result)
    assert sorted(rows.index) == ["market_buyer-001", "twap_buyer-001", "vwap_buyer-001"]
    assert rows.loc["market_buyer-001", "orders"] == 1
    assert rows.loc["twap_buyer-001", "orders"] == 30
    assert rows.loc["vwap_buyer-001", "orders"] == 30
    assert (rows.target_qty == TOTAL).all()
    assert (rows.filled_qty == TOTAL).all()
    assert (rows.fill_rate == 1.0).all()
    fills = result.fills
    for strategy, row in rows.iterrows():
        own = fills[fills.strategy_id == strategy]
        assert own.quantity.sum() == TOTAL
        average = (own.price * own.quantity).sum() / TOTAL
        assert row.avg_fill_price == pytest.approx(average)


def test_algorithms_cost_less_than_the_market_order(result: BacktestResult) -> None:
    rows = _per_parent(result)
    market = rows.loc["market_buyer-001"]
    twap = rows.loc["twap_buyer-001"]
    vwap = rows.loc["vwap_buyer-001"]
    # Hand-computed: 100 + 0.447 rounded up to the cent against the buyer; fees 50,000 x 0.003.
    assert market.avg_fill_price == 100.45
    assert market.impact_cost == pytest.approx(22_500.0)
    assert market.implementation_shortfall == pytest.approx(22_650.0)
    assert market.shortfall_bps == pytest.approx(45.3)
    # The algorithms pay well under half as much, though the price drifted 14 bps down
    # meanwhile (start 100.00, end 99.86) while the market order filled at once.
    for algo in (twap, vwap):
        assert algo.fees == pytest.approx(150.0)
        assert algo.implementation_shortfall < 0.5 * market.implementation_shortfall
        assert algo.shortfall_bps < market.shortfall_bps - 20.0
    # The backtest's figures (seed 7).
    assert twap.implementation_shortfall == pytest.approx(9_800.05, abs=0.01)
    assert vwap.implementation_shortfall == pytest.approx(9_726.20, abs=0.01)
    assert twap.shortfall_bps == pytest.approx(19.600, abs=0.001)
    assert vwap.shortfall_bps == pytest.approx(19.452, abs=0.001)
    assert twap.avg_fill_price == pytest.approx(100.193001, abs=1e-6)
    assert vwap.avg_fill_price == pytest.approx(100.191524, abs=1e-6)
    assert rows.end_price.tolist() == [100.0, 99.86, 99.86]


def test_vwap_slippage_and_participation_per_parent(result: BacktestResult) -> None:
    rows = _per_parent(result)
    market = rows.loc["market_buyer-001"]
    # One bar in the interval (flat typical price 100): slippage = the 45 bps impact, and the
    # order took five times the bar's volume.
    assert market.interval_vwap == pytest.approx(100.0)
    assert market.vwap_slippage_bps == pytest.approx(45.0)
    assert market.participation_rate == pytest.approx(5.0)
    for name in ("twap_buyer-001", "vwap_buyer-001"):
        algo = rows.loc[name]
        # 29 bars close after the parent started and by its last fill: 290,000 shares.
        assert algo.market_volume == 290_000.0
        assert algo.participation_rate == pytest.approx(TOTAL / 290_000.0)
        assert algo.interval_vwap == pytest.approx(99.949195, abs=1e-6)
    assert rows.loc["twap_buyer-001", "vwap_slippage_bps"] == pytest.approx(24.393, abs=0.001)
    assert rows.loc["vwap_buyer-001", "vwap_slippage_bps"] == pytest.approx(24.245, abs=0.001)


def test_the_backtest_is_identical_when_run_twice(result: BacktestResult, catalog: Path) -> None:
    again = run(catalog)
    assert again.fills.equals(result.fills)
    assert again.orders.equals(result.orders)
    assert result.tca is not None and again.tca is not None
    assert again.tca.orders.equals(result.tca.orders)

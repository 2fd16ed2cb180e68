"""Transaction cost analysis per parent order: the recorder keeps each algorithm child's parent
id (outside the orders and fills frames) and the backtest groups the children under it.

Hand-checked case: one TWAP parent of 300 shares over 3 minutes, one child a minute; the
parent and child 1 are sent on the close of bar 1 (T0 + 2 min, close 100). A market child fills
at the open of the first bar that starts after it was sent: the slice timers at T0 + 3 and
+ 4 min fire before the bars stamped with those times reach the venue, and those bars opened
before the children existed, so each child fills one bar later: fills 101, 102, 103. Average
102, and implementation shortfall 100 x (1 + 2 + 3) = 600 against the arrival price 100.

Without the parent map each child is its own parent with its own arrival price (the close at
its creation: 100, 101.5, 102.5), and the shortfalls 100, 50 and 50 understate the cost.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from midfreq.backtest.engine import BacktestEngine
from midfreq.backtest.recorder import FILL_COLUMNS, ORDER_COLUMNS
from midfreq.backtest.results import BacktestResult
from midfreq.data.bars import BarArrays
from midfreq.execution.tca import analyze_costs, bars_frame
from midfreq.model.data import Bar
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy
from midfreq.strategies.factory import StrategyFactory
from midfreq.system.config import parse_system_config

T0 = 1_704_205_800 * 10**9
MINUTE = 60 * 10**9
# Bar i closes at T0 + (i + 1) minutes.
OPENS = [100.0, 100.0, 101.0, 102.0, 103.0, 104.0, 104.0, 104.0]
CLOSES = [100.0, 100.0, 101.5, 102.5, 103.5, 104.0, 104.0, 104.0]


class TwapOnce(BaseStrategy):
    """Buys 300 shares by TWAP (3 slices, one a minute) on its second bar."""

    name = "twap_once"

    def on_start(self) -> None:
        self.bars_seen = 0

    def on_bar(self, bar: Bar) -> None:
        self.bars_seen += 1
        if self.bars_seen == 2:
            self.buy(
                bar.instrument_id,
                300.0,
                exec_algorithm="twap",
                exec_params={"horizon_seconds": 180, "interval_seconds": 60},
            )


def _bars() -> list[BarArrays]:
    ts = T0 + MINUTE * np.arange(1, len(OPENS) + 1, dtype=np.int64)
    opens = np.array(OPENS)
    closes = np.array(CLOSES)
    return [
        BarArrays(
            InstrumentId("AAA.SIM"),
            ts,
            opens,
            np.maximum(opens, closes),
            np.minimum(opens, closes),
            closes,
            np.full(len(ts), 10_000.0),
        )
    ]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> BacktestResult:
    StrategyFactory.register(TwapOnce.name, TwapOnce)
    catalog = Path(tmp_path_factory.mktemp("catalog"))
    config = parse_system_config(
        {
            "data_feed": {"symbols": ["AAA"]},
            "strategies": {"twap_once": {"symbols": ["AAA"]}},
            "catalog": {"path": str(catalog)},
            "logging": {"file": None},
        }
    )
    return BacktestEngine(config).run_backtest(bars=_bars())


def test_the_children_are_recorded_with_their_parent(result: BacktestResult) -> None:
    orders = result.orders
    assert list(orders.columns) == ORDER_COLUMNS
    assert list(result.fills.columns) == FILL_COLUMNS
    assert len(orders) == 3
    parent = orders.client_order_id.iloc[0].rsplit("-E", 1)[0]
    assert [str(c) for c in orders.client_order_id] == [f"{parent}-E{k}" for k in (1, 2, 3)]
    assert result.fills.price.tolist() == [101.0, 102.0, 103.0]
    assert result.fills.quantity.tolist() == [100.0, 100.0, 100.0]


def test_tca_has_one_row_per_parent(result: BacktestResult) -> None:
    assert result.tca is not None
    rows = result.tca.orders
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row.parent_order_id == result.orders.client_order_id.iloc[0].rsplit("-E", 1)[0]
    assert row.orders == 3
    assert row.target_qty == 300.0
    assert row.filled_qty == 300.0
    assert row.fill_rate == 1.0
    assert row.arrival_price == 100.0
    fills = result.fills
    assert row.avg_fill_price == pytest.approx((fills.price * fills.quantity).sum() / 300.0)
    assert row.avg_fill_price == pytest.approx((101.0 + 102.0 + 103.0) / 3)
    assert row.delay_cost == 0.0
    assert row.impact_cost == pytest.approx(100 * (1.0 + 2.0 + 3.0))
    assert row.implementation_shortfall == pytest.approx(600.0)
    assert row.shortfall_bps == pytest.approx(600.0 / (300 * 100.0) * 1e4)
    # The bars closing after the first child was sent, up to the last fill.
    first_bar = int((row.start_ts - T0) // MINUTE)
    last_bar = int((row.end_ts - T0) // MINUTE) - 1
    window = slice(first_bar, last_bar + 1)
    high = np.maximum(OPENS, CLOSES)[window]
    low = np.minimum(OPENS, CLOSES)[window]
    typical = (high + low + np.array(CLOSES)[window]) / 3
    assert row.interval_vwap == pytest.approx(typical.mean())
    assert row.market_volume == pytest.approx(10_000.0 * len(typical))
    assert row.participation_rate == pytest.approx(300.0 / row.market_volume)
    by_strategy = result.tca.by_strategy.set_index("strategy_id").loc["twap_once-001"]
    assert by_strategy.parents == 1
    assert by_strategy.implementation_shortfall == pytest.approx(600.0)


def test_without_the_parent_map_each_child_is_its_own_parent(result: BacktestResult) -> None:
    report = analyze_costs(result.orders, result.fills, bars=bars_frame(_bars()))
    assert len(report.orders) == 3
    assert report.orders.arrival_price.tolist() == [100.0, 101.5, 102.5]
    assert report.orders.implementation_shortfall.tolist() == pytest.approx([100.0, 50.0, 50.0])


def test_attaching_tca_again_keeps_the_parents(result: BacktestResult) -> None:
    assert sorted(result.parent_order_ids) == sorted(str(c) for c in result.orders.client_order_id)
    assert len(set(result.parent_order_ids.values())) == 1
    report = result.attach_tca(_bars())
    assert len(report.orders) == 1
    assert report.orders.implementation_shortfall.iloc[0] == pytest.approx(600.0)

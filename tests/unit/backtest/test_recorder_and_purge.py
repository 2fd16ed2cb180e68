"""Backtest results are recorded as columns while orders close, so purging closed orders from
the kernel's cache changes nothing in the results and keeps the cache small."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from golden import GOLDEN_CONFIG

from midfreq.backtest.engine import BacktestEngine
from midfreq.system.config import parse_system_config


def _run(purge: bool) -> tuple[BacktestEngine, object]:
    data = copy.deepcopy(GOLDEN_CONFIG)
    data["backtest"]["purge_closed_orders"] = purge
    engine = BacktestEngine(parse_system_config(data))
    return engine, engine.run_backtest()


@pytest.fixture(scope="module")
def runs() -> dict[bool, tuple[BacktestEngine, object]]:
    return {purge: _run(purge) for purge in (False, True)}


def test_purging_closed_orders_changes_no_result(runs) -> None:
    (_, kept), (_, purged) = runs[False], runs[True]
    pd.testing.assert_frame_equal(kept.orders, purged.orders)
    pd.testing.assert_frame_equal(kept.fills, purged.fills)
    assert kept.portfolio == purged.portfolio
    assert (kept.equity == purged.equity).all()


def test_purged_cache_keeps_only_open_orders_and_the_last_instant(runs) -> None:
    engine, result = runs[True]
    cache = engine.kernel.cache
    assert len(result.orders) == 327
    # Orders closed before the final instant are gone; open ones stay.
    assert len(cache.orders) < 10
    assert set(cache.open_orders) <= set(cache.orders)
    assert all(o.is_open or o.ts_last == result.end_ns for o in cache.orders.values())


def test_recorded_orders_match_the_unpurged_cache(runs) -> None:
    engine, result = runs[False]
    orders = list(engine.kernel.cache.orders.values())
    assert result.orders.client_order_id.tolist() == [str(o.client_order_id) for o in orders]
    assert result.orders.status.tolist() == [o.status.value for o in orders]
    assert result.orders.filled_qty.tolist() == [o.filled_qty for o in orders]
    still_open = result.orders[result.orders.status.isin(["ACCEPTED", "PARTIALLY_FILLED"])]
    assert len(still_open) == len(engine.kernel.cache.open_orders) == 1


def test_recorded_fills_add_up_to_each_orders_filled_quantity(runs) -> None:
    _, result = runs[True]
    per_order = result.fills.groupby("client_order_id").quantity.sum()
    filled = result.orders.set_index("client_order_id").filled_qty
    assert (per_order == filled[per_order.index]).all()
    assert (filled[filled > 0].index.isin(per_order.index)).all()

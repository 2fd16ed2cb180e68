"""The same strategies over the same recorded quotes produce the identical order sequence
through the backtest engine and through the paper-trading path (asyncio edge, queue, kernel)
driven by a simulated clock."""

from __future__ import annotations

import asyncio

import pandas as pd

from midfreq.backtest.engine import BacktestEngine
from midfreq.core.clock import SimulatedClock
from midfreq.data.synthetic import SyntheticQuoteStream
from midfreq.model.events import OrderEvent, OrderFilled
from midfreq.system.config import parse_system_config
from midfreq.system.trading_system import ReplayDataClient, TradingSystem

T0 = 1_700_000_000_000_000_000
CONFIG = {
    "data_feed": {
        "symbols": ["AAA", "BBB"],
        "synthetic": {"seed": 5, "annual_volatility": 0.9, "quotes_per_second": 5.0},
    },
    "strategies": {
        "momentum": {"fast_period": 5, "slow_period": 20, "order_quantity": 10},
        "mean_reversion": {"lookback_period": 30, "z_score_threshold": 1.5, "order_quantity": 20},
    },
    "risk_management": {"max_position": 25},
    "venue": {"latency_ms": 3, "fees": {"model": "bps", "rate": 1.0}},
    "logging": {"file": None},
}


def _paper_rows(orders: list, fills: list[OrderFilled]) -> tuple[list, list]:
    order_rows = [
        (str(o.client_order_id), o.side.value, o.order_type.value, o.quantity, o.ts_init)
        for o in orders
    ]
    fill_rows = [
        (str(f.client_order_id), f.last_qty, f.last_px, f.commission, f.ts_event) for f in fills
    ]
    return order_rows, fill_rows


def _backtest_rows(orders: pd.DataFrame, fills: pd.DataFrame) -> tuple[list, list]:
    order_columns = ["client_order_id", "side", "order_type", "quantity", "ts_init"]
    fill_columns = ["client_order_id", "quantity", "price", "commission", "ts_event"]
    return (
        list(orders[order_columns].itertuples(index=False, name=None)),
        list(fills[fill_columns].itertuples(index=False, name=None)),
    )


def test_backtest_and_paper_path_send_identical_orders() -> None:
    config = parse_system_config(CONFIG)
    recorded = SyntheticQuoteStream(config.synthetic_market(), T0).advance(T0 + 15 * 60 * 10**9)
    assert len(recorded) > 5_000

    backtest = BacktestEngine(config).run_backtest(data=recorded)

    system = TradingSystem(
        config, clock=SimulatedClock(T0), data_client=ReplayDataClient(recorded, batch_size=37)
    )
    paper_fills: list[OrderFilled] = []

    def record(event: OrderEvent) -> None:
        if isinstance(event, OrderFilled):
            paper_fills.append(event)

    async def session() -> None:
        await system.initialize()
        assert system.kernel is not None
        system.kernel.bus.subscribe("events.order.*", record)
        await system.start()
        await system.wait_until_done()
        await system.stop()

    asyncio.run(session())
    assert system.kernel is not None
    paper_orders = list(system.kernel.cache.orders.values())

    expected = _backtest_rows(backtest.orders, backtest.fills)
    actual = _paper_rows(paper_orders, paper_fills)
    assert len(expected[0]) > 20  # the strategies really traded
    assert actual[0] == expected[0]
    assert actual[1] == expected[1]
    assert system.processed == len(recorded)

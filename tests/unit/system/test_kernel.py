"""The `Kernel` composition: adding strategies (unknown symbols, duplicate ids, feed symbols for
a strategy without any, strategies from the config), the one-currency check, `stop` cancelling
open orders, and `status`."""

from __future__ import annotations

from typing import Any

import pytest

from midfreq.core.clock import NANOS_PER_MINUTE, SimulatedClock
from midfreq.core.component import ComponentState
from midfreq.core.errors import ConfigError, InvalidStateTransition
from midfreq.model.data import Bar
from midfreq.model.enums import OrderSide, OrderStatus, OrderType
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy
from midfreq.strategies.mean_reversion import MeanReversionStrategy
from midfreq.strategies.momentum import MomentumStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

# 2024-01-02 14:30:00 UTC.
T0 = 1_704_205_800_000_000_000
MIN = NANOS_PER_MINUTE
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def _kernel(source: str | None = None, **sections: Any) -> Kernel:
    data = {"data_feed": {"symbols": ["AAA", "BBB"]}, **sections}
    return Kernel(parse_system_config(data, source), SimulatedClock(T0))


def _bar(kernel: Kernel, index: int, close: float, symbol: str = "AAA") -> None:
    ts = T0 + (index + 1) * MIN
    kernel.process_bar(Bar(InstrumentId(f"{symbol}.SIM"), close, close, close, close, 1e6, ts, ts))


class Scripted(BaseStrategy):
    """Runs queued actions in its next `on_bar`."""

    name = "scripted"

    def __init__(self, strategy_id: str = "s-1", symbols: list[str] | None = None) -> None:
        config: dict[str, Any] = {"strategy_id": strategy_id}
        if symbols is not None:
            config["symbols"] = symbols
        super().__init__(config)
        self.actions: list[Any] = []
        self.bars: list[tuple[str, float]] = []

    def on_bar(self, bar: Bar) -> None:
        self.bars.append((bar.instrument_id.symbol, bar.close))
        actions, self.actions = self.actions, []
        for action in actions:
            action(self)


# ---- add_strategy -----------------------------------------------------------------------------
def test_a_strategy_trading_an_unknown_symbol_is_refused():
    kernel = _kernel("system.yaml")
    with pytest.raises(ConfigError) as raised:
        kernel.add_strategy(Scripted(symbols=["AAA", "ZZZ"]))
    error = raised.value
    assert (error.field, error.value, error.source) == (
        "strategies.s-1.symbols",
        "ZZZ.SIM",
        "system.yaml",
    )
    assert error.expected == "one of the configured instruments (AAA.SIM, BBB.SIM)"
    assert kernel.strategies == []


def test_a_symbol_on_another_venue_is_unknown():
    kernel = _kernel()
    with pytest.raises(ConfigError, match=r"was 'AAA\.XNAS'"):
        kernel.add_strategy(Scripted(symbols=["AAA.XNAS"]))


def test_duplicate_strategy_id_is_refused():
    kernel = _kernel()
    first = kernel.add_strategy(Scripted("dup", ["AAA"]))
    with pytest.raises(ConfigError) as raised:
        kernel.add_strategy(Scripted("dup", ["BBB"]))
    assert (raised.value.field, raised.value.value) == ("strategy_id", "dup")
    assert raised.value.expected == "a unique strategy id"
    assert kernel.strategies == [first]


def test_a_strategy_without_symbols_gets_the_feed_symbols():
    kernel = _kernel(
        instruments=[{"symbol": "CCC"}],  # configured, but not on the feed
    )
    strategy = kernel.add_strategy(Scripted(symbols=[]))
    kernel.start()

    assert strategy.instrument_ids == [InstrumentId("AAA.SIM"), InstrumentId("BBB.SIM")]
    _bar(kernel, 0, 10.0, "AAA")
    _bar(kernel, 0, 20.0, "BBB")
    _bar(kernel, 0, 30.0, "CCC")
    assert strategy.bars == [("AAA", 10.0), ("BBB", 20.0)]


@pytest.mark.parametrize(
    "strategy",
    [
        MomentumStrategy({"fast_period": 2, "slow_period": 3, "order_quantity": 5}),
        MeanReversionStrategy(
            {"lookback_period": 3, "z_score_threshold": 1.1, "exit_z_score": 0.1}
        ),
    ],
    ids=["momentum", "mean_reversion"],
)
def test_built_in_strategies_without_symbols_trade_the_feed_symbols(strategy):
    # Their per-instrument state is made when the first price of an instrument arrives, since
    # the kernel fills in the instruments after the strategy was built.
    kernel = _kernel()
    kernel.add_strategy(strategy)
    kernel.start()

    for index, close in enumerate([10.0, 10.0, 10.0, 10.0, 13.0]):
        _bar(kernel, index, close, "AAA")
        _bar(kernel, index, 20.0, "BBB")

    # Momentum: fast 11.5 > slow 11 at bar 4 -> long. Mean reversion: window (10, 10, 13) has
    # z = 2 / sqrt(3) = 1.155 > 1.1 -> short. BBB is flat: no order.
    orders = list(kernel.cache.orders.values())
    assert [(o.instrument_id, o.side) for o in orders] == [
        (InstrumentId("AAA.SIM"), BUY if isinstance(strategy, MomentumStrategy) else SELL)
    ]


def test_a_strategy_added_after_start_starts_at_once():
    kernel = _kernel()
    kernel.start()
    strategy = kernel.add_strategy(Scripted(symbols=["AAA"]))
    assert strategy.is_running
    _bar(kernel, 0, 10.0)
    assert strategy.bars == [("AAA", 10.0)]


def test_add_configured_strategies_builds_the_enabled_ones_with_feed_defaults():
    kernel = _kernel(
        strategies={
            "momentum": {"fast_period": 3, "slow_period": 8, "order_quantity": 5},
            "mean_reversion": {"enabled": False},
            "fade": {"class": "mean_reversion", "symbols": ["BBB"], "lookback_period": 7},
        }
    )
    added = kernel.add_configured_strategies()

    assert [str(s.strategy_id) for s in added] == ["momentum-001", "fade-001"]
    momentum, fade = added
    assert isinstance(momentum, MomentumStrategy)
    assert (momentum.fast_period, momentum.slow_period, momentum.order_quantity) == (3, 8, 5)
    assert momentum.instrument_ids == [InstrumentId("AAA.SIM"), InstrumentId("BBB.SIM")]
    assert isinstance(fade, MeanReversionStrategy)
    assert (fade.lookback, fade.instrument_ids) == (7, [InstrumentId("BBB.SIM")])
    assert momentum.risk_manager is kernel.risk_manager
    assert kernel.strategies == added


def test_add_configured_strategies_by_name_uses_defaults_for_unconfigured_names():
    kernel = _kernel(strategies={"momentum": {"enabled": False}})
    [strategy] = kernel.add_configured_strategies(["mean_reversion"])
    assert isinstance(strategy, MeanReversionStrategy)
    assert (strategy.lookback, strategy.entry) == (20, 2.0)


def test_add_configured_strategies_with_an_unknown_name_is_a_config_error():
    kernel = _kernel(strategies={"nope": {}})
    with pytest.raises(ConfigError, match=r"strategy: expected one of .*mean_reversion"):
        kernel.add_configured_strategies()


# ---- currencies -------------------------------------------------------------------------------
def test_an_instrument_in_another_currency_than_the_account_is_refused():
    with pytest.raises(ConfigError) as raised:
        _kernel("system.yaml", instruments=[{"symbol": "SAP", "venue": "XETR", "currency": "EUR"}])
    error = raised.value
    assert (error.field, error.value, error.source) == (
        "instruments[SAP].currency",
        "EUR",
        "system.yaml",
    )
    assert error.expected == "the account currency USD (one currency per account for now)"


def test_an_account_in_the_instruments_currency_is_accepted():
    kernel = _kernel(
        account={"currency": "EUR"},
        data_feed={"symbols": ["SAP"], "venue": "XETR"},
        instruments=[{"symbol": "SAP", "venue": "XETR", "currency": "EUR"}],
    )
    assert kernel.cache.instrument(InstrumentId("SAP.XETR")).currency.code == "EUR"


# ---- stop -------------------------------------------------------------------------------------
@pytest.mark.parametrize("latency_ms", [0, 5])
def test_stop_cancels_open_orders_of_every_strategy(latency_ms):
    kernel = _kernel(venue={"latency_ms": latency_ms})
    first = kernel.add_strategy(Scripted("s-1", ["AAA"]))
    second = kernel.add_strategy(Scripted("s-2", ["BBB"]))
    kernel.start()
    first.actions.append(lambda s: s.buy("AAA", 10, order_type=OrderType.LIMIT, price=5.0))
    second.actions.append(lambda s: s.sell("BBB", 10, order_type=OrderType.LIMIT, price=50.0))
    _bar(kernel, 0, 10.0, "AAA")
    _bar(kernel, 0, 20.0, "BBB")
    _bar(kernel, 1, 10.0, "AAA")  # with latency, the orders reach the venue by now
    _bar(kernel, 1, 20.0, "BBB")
    orders = list(kernel.cache.orders.values())
    assert [o.status for o in orders] == [OrderStatus.ACCEPTED, OrderStatus.ACCEPTED]

    kernel.stop()

    assert [o.status for o in orders] == [OrderStatus.CANCELED, OrderStatus.CANCELED]
    assert kernel.cache.open_orders == {}
    assert kernel.oms.refused == []
    assert not kernel.is_running
    assert not first.is_running and not second.is_running


def test_stop_cancels_an_order_still_on_its_way_to_the_venue():
    kernel = _kernel(venue={"latency_ms": 5})
    strategy = kernel.add_strategy(Scripted("s-1", ["AAA"]))
    kernel.start()
    strategy.actions.append(lambda s: s.buy("AAA", 10, order_type=OrderType.LIMIT, price=5.0))
    _bar(kernel, 0, 10.0)
    [order] = kernel.cache.orders.values()
    assert order.status is OrderStatus.SUBMITTED

    kernel.stop()

    assert order.status is OrderStatus.CANCELED
    assert kernel.cache.open_orders == {}
    assert kernel.oms.refused == []


def test_stop_can_leave_orders_open():
    kernel = _kernel()
    strategy = kernel.add_strategy(Scripted("s-1", ["AAA"]))
    kernel.start()
    strategy.actions.append(lambda s: s.buy("AAA", 10, order_type=OrderType.LIMIT, price=5.0))
    _bar(kernel, 0, 10.0)

    kernel.stop(cancel_open_orders=False)

    [order] = kernel.cache.orders.values()
    assert order.status is OrderStatus.ACCEPTED
    assert not strategy.is_running


# ---- status -----------------------------------------------------------------------------------
def test_status_reports_the_kernel_state():
    kernel = _kernel()
    strategy = kernel.add_strategy(Scripted("s-1", ["AAA"]))
    kernel.start()
    strategy.actions.append(lambda s: s.buy("AAA", 10))
    _bar(kernel, 0, 10.0)
    _bar(kernel, 1, 11.0)
    _bar(kernel, 1, 20.0, "BBB")

    status = kernel.status()

    assert set(status) == {
        "is_running",
        "time_ns",
        "portfolio",
        "orders",
        "strategies",
        "risk_metrics",
        "messages",
    }
    assert status["is_running"] is True
    assert status["time_ns"] == T0 + 2 * MIN
    assert status["messages"] == 3
    assert status["orders"]["orders"] == 1
    assert status["orders"]["open_orders"] == 0
    assert status["portfolio"]["fills"] == 1
    assert status["portfolio"]["cash"] == pytest.approx(1_000_000.0 - 10 * 11.0)
    assert [s["strategy_id"] for s in status["strategies"]] == ["s-1"]
    assert status["risk_metrics"]["trading_state"] == "ACTIVE"


def test_kernel_follows_the_component_lifecycle() -> None:
    config = parse_system_config({"data_feed": {"symbols": ["AAA"]}, "logging": {"file": None}})
    kernel = Kernel(config, SimulatedClock(0))
    strategy = kernel.add_strategy(MomentumStrategy({"symbols": ["AAA"]}))
    assert kernel.state is ComponentState.READY
    with pytest.raises(InvalidStateTransition):
        kernel.stop()
    kernel.start()
    assert kernel.state is ComponentState.RUNNING and strategy.is_running
    with pytest.raises(InvalidStateTransition):
        kernel.start()
    kernel.stop()
    assert kernel.state is ComponentState.STOPPED and not strategy.is_running
    kernel.start()  # a stopped kernel starts again, with its strategies
    assert kernel.is_running and strategy.is_running

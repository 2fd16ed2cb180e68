"""Strategies managed while the kernel runs: several side by side with their own positions,
P&L and order tags; stopped (orders cancelled, positions optionally closed), started again with
their state, and removed only when stopped and flat."""

from __future__ import annotations

from typing import Any

import pytest

from midfreq.core.errors import ConfigError, InvalidStateTransition
from midfreq.model.data import Bar
from midfreq.model.enums import OrderSide, OrderStatus, OrderType
from midfreq.strategies.base import BaseStrategy


class Trader(BaseStrategy):
    """Buys (or sells) ``order_quantity`` on the bars listed in ``trade_on``; may also rest a
    limit order far from the market."""

    name = "trader"

    def __init__(self, strategy_id: str, trade_on: dict[int, OrderSide], rest: bool = False):
        super().__init__({"strategy_id": strategy_id, "symbols": ["AAA"], "order_quantity": 10})
        self.trade_on = trade_on
        self.rest = rest
        self.seen: list[int] = []

    def on_bar(self, bar: Bar) -> None:
        index = len(self.seen)
        self.seen.append(index)
        side = self.trade_on.get(index)
        if side is not None:
            self.submit_order(self.make_order("AAA", side, self.order_quantity))
        if self.rest and index == 0:
            self.submit_order(
                self.make_order("AAA", OrderSide.BUY, 5, order_type=OrderType.LIMIT, price=50.0)
            )


def _market(make_market: Any) -> Any:
    return make_market(venue={"fees": {"model": "per_share", "rate": 0.0}})


def test_two_strategies_keep_their_own_positions_pnl_and_order_tags(make_market) -> None:
    market = _market(make_market)
    long = Trader("long-1", {0: OrderSide.BUY, 3: OrderSide.SELL})
    short = Trader("short-1", {1: OrderSide.SELL})
    market.start(long, short)

    market.bars([100, 100, 102, 104, 104, 104])  # fills at the next bar's open (= close here)

    assert market.position(long) == 0 and market.position(short) == -10
    pnl = market.kernel.portfolio.strategy_pnl
    assert pnl(long.strategy_id)["realized"] == pytest.approx(10 * (104 - 100))
    assert pnl(short.strategy_id)["unrealized"] == pytest.approx(-10 * (104 - 102))
    tags = {(str(o.strategy_id), o.side) for o in market.orders()}
    assert tags == {
        ("long-1", OrderSide.BUY),
        ("long-1", OrderSide.SELL),
        ("short-1", OrderSide.SELL),
    }


def test_a_stopped_strategy_has_its_orders_cancelled_and_gets_no_data_until_started(
    make_market,
) -> None:
    market = _market(make_market)
    strategy = Trader("t-1", {}, rest=True)
    market.start(strategy)
    market.bars([100, 100])
    (resting,) = market.kernel.cache.orders_open(strategy.strategy_id)

    market.kernel.stop_strategy("t-1")
    market.bars([100, 100, 100])

    assert resting.status is OrderStatus.CANCELED
    assert strategy.seen == [0, 1]
    market.kernel.start_strategy("t-1")
    market.bars([100])
    assert strategy.seen == [0, 1, 2]  # its state survived the stop


def test_stop_with_close_positions_flattens_and_books_the_fill_to_the_strategy(
    make_market,
) -> None:
    market = _market(make_market)
    strategy = Trader("t-1", {0: OrderSide.BUY})
    market.start(strategy)
    market.bars([100, 101])
    assert market.position(strategy) == 10

    market.kernel.stop_strategy("t-1", close_positions=True)
    market.bars([103])

    assert market.position(strategy) == 0
    closing = market.orders()[-1]
    assert (closing.side, closing.reduce_only, str(closing.strategy_id)) == (
        OrderSide.SELL,
        True,
        "t-1",
    )
    assert market.kernel.portfolio.strategy_pnl(strategy.strategy_id)["realized"] == pytest.approx(
        10 * (103 - 101)
    )


def test_remove_refuses_a_running_or_invested_strategy_and_removes_a_flat_one(make_market) -> None:
    market = _market(make_market)
    strategy = Trader("t-1", {0: OrderSide.BUY})
    market.start(strategy)
    market.bars([100, 101])

    with pytest.raises(ConfigError, match=r"it is running; positions in AAA.SIM"):
        market.kernel.remove_strategy("t-1")
    market.kernel.stop_strategy("t-1")
    with pytest.raises(ConfigError, match=r"but positions in AAA.SIM \(stop it with close"):
        market.kernel.remove_strategy("t-1")

    market.kernel.start_strategy("t-1")
    market.kernel.stop_strategy("t-1", close_positions=True)
    market.bars([102])
    removed = market.kernel.remove_strategy("t-1")

    assert removed is strategy and market.kernel.strategies == []
    assert market.kernel.portfolio.strategy_pnl(strategy.strategy_id)["realized"] == pytest.approx(
        10
    )


def test_unknown_ids_and_starting_on_a_stopped_kernel_are_clear_errors(make_market) -> None:
    market = _market(make_market)
    market.start(Trader("t-1", {}), Trader("t-2", {}))

    with pytest.raises(
        ConfigError,
        match=r"strategy_id: expected one of the strategies added "
        r"\(t-1, t-2\), was 'nope'",
    ):
        market.kernel.stop_strategy("nope")
    market.kernel.stop()
    with pytest.raises(InvalidStateTransition):
        market.kernel.start_strategy("t-1")

"""The post-trade RiskManager: a drawdown breach moves the gate to the configured state, after
which opening orders are denied (and, when REDUCING, half of every position is closed by a
reduce-only order and closing orders still pass).

Scenario (10,000 starting cash, 5% drawdown limit): buy 500 at 10.00 (the minute-1 open); the
minute-1 bar closes at 8.00, so equity is 5,000 cash + 500 x 8.00 = 9,000, a 10% fall from the
10,000 peak. The breach is seen when that equity point is recorded (the kernel records it as
time moves to minute 2), before the minute-2 bar reaches strategies.
"""

from __future__ import annotations

import pytest

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import NANOS_PER_MINUTE, SimulatedClock
from midfreq.model.enums import DenialCode, LiquiditySide, OrderSide, OrderStatus, TradingState
from midfreq.model.events import OrderDenied, OrderFilled
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId, TradeId, VenueOrderId
from midfreq.model.instruments import equity
from midfreq.portfolio.portfolio import Portfolio, PortfolioView
from midfreq.risk.config import RiskGateConfig, RiskManagerConfig
from midfreq.risk.gate import TRADING_STATE_TOPIC, RiskGate
from midfreq.risk.manager import RiskManager

BUY, SELL = OrderSide.BUY, OrderSide.SELL
AAA = InstrumentId("AAA.SIM")
T0 = 1_704_205_800_000_000_000
MIN = NANOS_PER_MINUTE


def _breach(make_kernel, action: str):
    h = make_kernel(
        account={"starting_cash": 10_000},
        risk_management={"max_drawdown": 0.05, "drawdown_action": action},
    )
    published = []
    h.kernel.bus.subscribe(TRADING_STATE_TOPIC, published.append)
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    h.submit(BUY, 500.0)
    h.bar(1, 10.00, 10.00, 7.90, 8.00)
    assert h.kernel.portfolio.equity() == pytest.approx(9_000.0)
    assert h.kernel.gate.trading_state is TradingState.ACTIVE  # not yet recorded
    return h, published


@pytest.mark.parametrize("action", ["REDUCING", "HALTED"])
def test_drawdown_breach_moves_the_gate_to_the_configured_state(make_kernel, action):
    h, published = _breach(make_kernel, action)

    h.bar(2, 8.00, 8.10, 7.90, 8.00)

    state = TradingState(action)
    assert h.kernel.gate.trading_state is state
    assert [(e.state, e.reason, e.ts_event) for e in published] == [
        (state, "drawdown 10.00% >= 5.00%", T0 + MIN)
    ]
    assert len(h.kernel.risk_manager.breaches) == 1
    assert h.kernel.risk_manager.drawdown == pytest.approx(0.10)
    assert h.kernel.risk_manager.peak_equity == pytest.approx(10_000.0)
    assert h.kernel.risk_manager.metrics()["max_drawdown"] == pytest.approx(0.10)


def test_after_a_reducing_breach_opening_orders_are_denied_and_closing_ones_pass(make_kernel):
    h, _ = _breach(make_kernel, "REDUCING")
    h.bar(2, 8.00, 8.10, 7.90, 8.00)

    opening = h.submit(BUY, 10.0)
    closing = h.submit(SELL, 100.0)
    h.bar(3, 8.20, 8.30, 8.10, 8.20)

    assert opening.status is OrderStatus.DENIED
    denial = opening.events[-1]
    assert isinstance(denial, OrderDenied)
    assert denial.code is DenialCode.REDUCING_ONLY
    # The breach sold 250 (half of 500) at the minute-2 open, before these orders.
    assert denial.reason == "REDUCING_ONLY position=250.0 side=BUY"
    (reduce,) = [o for o in h.kernel.cache.orders.values() if "risk_reduce" in o.tags]
    assert (reduce.side, reduce.quantity, reduce.reduce_only, reduce.avg_px) == (
        SELL,
        250.0,
        True,
        8.00,
    )
    assert closing.status is OrderStatus.FILLED
    assert closing.avg_px == 8.20
    assert h.kernel.portfolio_view.net_quantity(AAA) == 150


def test_after_a_halting_breach_even_closing_orders_are_denied(make_kernel):
    h, _ = _breach(make_kernel, "HALTED")
    h.bar(2, 8.00, 8.10, 7.90, 8.00)

    closing = h.submit(SELL, 100.0)

    assert closing.status is OrderStatus.DENIED
    assert closing.events[-1].code is DenialCode.TRADING_HALTED


def test_further_losses_do_not_fire_the_breach_again(make_kernel):
    h, published = _breach(make_kernel, "REDUCING")
    h.bar(2, 8.00, 8.10, 7.00, 7.00)
    h.bar(3, 7.00, 7.10, 6.00, 6.00)
    h.bar(4, 6.00, 6.10, 5.90, 6.00)

    assert len(published) == 1
    assert len(h.kernel.risk_manager.breaches) == 1


def test_reducing_escalates_to_halted_when_halting_is_the_action(make_kernel):
    h = make_kernel(
        account={"starting_cash": 10_000},
        risk_management={"max_drawdown": 0.05, "drawdown_action": "HALTED"},
    )
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    h.submit(BUY, 500.0)
    h.bar(1, 10.00, 10.00, 7.90, 8.00)
    h.kernel.gate.set_trading_state(TradingState.REDUCING, "operator")

    h.bar(2, 8.00, 8.10, 7.90, 8.00)

    assert h.kernel.gate.trading_state is TradingState.HALTED


def test_drawdown_within_the_limit_changes_nothing(make_kernel):
    # Close 9.60: equity 5,000 + 4,800 = 9,800, a 2% fall.
    h = make_kernel(account={"starting_cash": 10_000}, risk_management={"max_drawdown": 0.05})
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    h.submit(BUY, 500.0)
    h.bar(1, 10.00, 10.00, 9.50, 9.60)
    h.bar(2, 9.60, 9.70, 9.50, 9.60)

    assert h.kernel.gate.trading_state is TradingState.ACTIVE
    assert h.kernel.risk_manager.drawdown == pytest.approx(0.02)
    assert h.kernel.risk_manager.breaches == []


def test_a_fill_that_opens_a_drawdown_is_checked_at_once():
    # Buying 500 at 10.00 with a 600.00 commission: equity 10,000 - 600 = 9,400, a 6% fall.
    bus = MessageBus()
    cache = Cache()
    cache.add_instrument(equity("AAA"))
    clock = SimulatedClock(T0)
    portfolio = Portfolio(bus, cache, clock, 10_000.0)
    gate = RiskGate(RiskGateConfig(), bus, cache, PortfolioView(portfolio), clock)
    manager = RiskManager(
        RiskManagerConfig(max_drawdown=0.05, drawdown_action=TradingState.REDUCING),
        bus,
        portfolio,
        gate,
    )

    bus.publish(
        "events.order.s-1",
        OrderFilled(
            client_order_id=ClientOrderId("O-1"),
            strategy_id=StrategyId("s-1"),
            instrument_id=AAA,
            venue_order_id=VenueOrderId("V-1"),
            trade_id=TradeId("T-1"),
            side=BUY,
            last_qty=500,
            last_px=10.00,
            commission=600.00,
            liquidity_side=LiquiditySide.TAKER,
            ts_event=T0,
            ts_init=T0,
        ),
    )

    assert portfolio.equity() == pytest.approx(9_400.0)
    assert manager.drawdown == pytest.approx(0.06)
    assert gate.trading_state is TradingState.REDUCING
    assert manager.metrics()["trading_state"] == "REDUCING"

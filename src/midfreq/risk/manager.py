"""The RiskManager (post-trade): watches equity after fills and on a timer, and acts by changing
the trading state the RiskGate enforces. Measures beyond drawdown and exposure arrive with the
risk issue; the hook points are here."""

from __future__ import annotations

from typing import Any

from midfreq.core.bus import MessageBus
from midfreq.core.clock import Clock, TimeEvent
from midfreq.model.enums import TradingState
from midfreq.model.events import OrderEvent, OrderFilled
from midfreq.portfolio.portfolio import PortfolioView
from midfreq.risk.config import RiskManagerConfig
from midfreq.risk.gate import RiskGate


class RiskManager:
    """Tracks peak equity and drawdown; moves the gate to ``drawdown_action`` on a breach."""

    def __init__(
        self,
        config: RiskManagerConfig,
        bus: MessageBus,
        clock: Clock,
        portfolio: PortfolioView,
        gate: RiskGate,
    ) -> None:
        self.config = config
        self._bus = bus
        self._clock = clock
        self._portfolio = portfolio
        self._gate = gate
        self.peak_equity = portfolio.equity()
        self.drawdown = 0.0
        self.max_drawdown_seen = 0.0
        self.breaches = 0
        bus.subscribe("events.order.*", self.on_order_event)

    def start(self) -> None:
        """Start the periodic check."""
        self._clock.set_timer(
            "RiskManager.check",
            int(self.config.check_interval_seconds * 1e9),
            self._on_timer,
        )

    def stop(self) -> None:
        """Stop the periodic check."""
        self._clock.cancel_timer("RiskManager.check")

    def on_order_event(self, event: OrderEvent) -> None:
        """Re-check after every fill."""
        if type(event) is OrderFilled:
            self.check()

    def _on_timer(self, _event: TimeEvent) -> None:
        self.check()

    def check(self) -> None:
        """Update drawdown and act on a breach."""
        equity = self._portfolio.equity()
        if equity > self.peak_equity:
            self.peak_equity = equity
        self.drawdown = 1.0 - equity / self.peak_equity if self.peak_equity > 0 else 0.0
        self.max_drawdown_seen = max(self.max_drawdown_seen, self.drawdown)
        limit = self.config.max_drawdown
        escalates = self._gate.trading_state is TradingState.ACTIVE or (
            self.config.drawdown_action is TradingState.HALTED
            and self._gate.trading_state is not TradingState.HALTED
        )
        if limit is not None and self.drawdown >= limit and escalates:
            self.breaches += 1
            self._gate.set_trading_state(
                self.config.drawdown_action,
                f"drawdown {self.drawdown:.2%} >= limit {limit:.2%}",
            )

    def metrics(self) -> dict[str, Any]:
        """Current risk figures for status displays."""
        return {
            "trading_state": self._gate.trading_state.value,
            "equity": self._portfolio.equity(),
            "peak_equity": self.peak_equity,
            "drawdown": self.drawdown,
            "max_drawdown": self.max_drawdown_seen,
            "gross_exposure": self._portfolio.gross_exposure(),
            "denied_orders": self._gate.denied_count,
        }

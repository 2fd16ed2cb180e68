"""The RiskManager (post-trade): watches equity after fills and along the equity curve, and acts
by changing the trading state the RiskGate enforces. VaR, correlation and stress measures arrive
with the risk issue."""

from __future__ import annotations

from typing import Any

from midfreq.core.bus import MessageBus
from midfreq.model.enums import TradingState
from midfreq.model.events import OrderEvent, OrderFilled
from midfreq.portfolio.portfolio import Portfolio
from midfreq.risk.config import RiskManagerConfig
from midfreq.risk.gate import RiskGate


class RiskManager:
    """Tracks drawdown from peak equity; moves the gate to ``drawdown_action`` on a breach.

    Drawdown is checked after every fill and at every point of the equity curve (through the
    portfolio's drawdown alert, so nothing runs per bar while equity is healthy).
    """

    def __init__(
        self,
        config: RiskManagerConfig,
        bus: MessageBus,
        portfolio: Portfolio,
        gate: RiskGate,
    ) -> None:
        self.config = config
        self._portfolio = portfolio
        self._gate = gate
        self.breaches = 0
        bus.subscribe("events.order.*", self.on_order_event)
        if config.max_drawdown is not None:
            portfolio.set_drawdown_alert(config.max_drawdown, self._on_drawdown_alert)

    @property
    def peak_equity(self) -> float:
        """Highest equity recorded so far (or now, if higher)."""
        return max(self._portfolio.peak_equity, self._portfolio.equity())

    @property
    def drawdown(self) -> float:
        """Current fall from the peak, as a fraction."""
        peak = self.peak_equity
        return 1.0 - self._portfolio.equity() / peak if peak > 0 else 0.0

    def on_order_event(self, event: OrderEvent) -> None:
        """Re-check after every fill."""
        if type(event) is OrderFilled:
            self.check()

    def _on_drawdown_alert(self, _equity: float, _peak: float) -> None:
        self.check()

    def check(self) -> None:
        """Act if the drawdown limit is breached and the gate is not already there."""
        limit = self.config.max_drawdown
        if limit is None:
            return
        drawdown = self.drawdown
        state = self._gate.trading_state
        escalates = state is TradingState.ACTIVE or (
            self.config.drawdown_action is TradingState.HALTED and state is not TradingState.HALTED
        )
        if drawdown >= limit and escalates:
            self.breaches += 1
            self._gate.set_trading_state(
                self.config.drawdown_action,
                f"drawdown {drawdown:.2%} >= limit {limit:.2%}",
            )

    def metrics(self) -> dict[str, Any]:
        """Current risk figures for status displays."""
        max_drawdown = 0.0
        peak = 0.0
        for value in self._portfolio.equity_values:
            if value > peak:
                peak = value
            elif peak > 0:
                max_drawdown = max(max_drawdown, 1.0 - value / peak)
        return {
            "trading_state": self._gate.trading_state.value,
            "equity": self._portfolio.equity(),
            "peak_equity": self.peak_equity,
            "drawdown": self.drawdown,
            "max_drawdown": max(max_drawdown, self.drawdown),
            "gross_exposure": self._portfolio.gross_exposure(),
            "net_exposure": self._portfolio.net_exposure(),
            "denied_orders": self._gate.denied_count,
        }

"""Write what happens to orders and risk to the structured log: denials and refused events as
warnings or errors, fills as info, and every risk action (trading-state changes, breaches, the
kill switch, restricted-list changes, strategies disabled or enabled) as an audit record."""

from __future__ import annotations

from midfreq.core.bus import MessageBus
from midfreq.infra.logging import get_logger
from midfreq.model.events import (
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderEventRefused,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    RiskBreach,
    TradingStateChanged,
)
from midfreq.oms.manager import REFUSED_TOPIC
from midfreq.risk.gate import TRADING_STATE_TOPIC
from midfreq.risk.gate.records import (
    KILL_SWITCH_TOPIC,
    RESTRICTIONS_TOPIC,
    STRATEGY_TRADING_TOPIC,
    KillSwitchActivated,
    StrategyTradingChanged,
)
from midfreq.risk.gate.restrictions import RestrictionChanged
from midfreq.risk.manager import BREACH_TOPIC


class EventLogger:
    """Subscribe to order, refusal and trading-state events and log them."""

    def __init__(self, bus: MessageBus) -> None:
        self._log = get_logger("events")
        bus.subscribe("events.order.*", self.on_order_event)
        bus.subscribe(REFUSED_TOPIC, self.on_refused)
        bus.subscribe(TRADING_STATE_TOPIC, self.on_trading_state)
        bus.subscribe(BREACH_TOPIC, self.on_breach)
        bus.subscribe(KILL_SWITCH_TOPIC, self.on_kill_switch)
        bus.subscribe(RESTRICTIONS_TOPIC, self.on_restrictions)
        bus.subscribe(STRATEGY_TRADING_TOPIC, self.on_strategy_trading)

    def on_order_event(self, event: OrderEvent) -> None:
        """Log fills, denials, rejections, cancels and expiries."""
        common = {
            "client_order_id": str(event.client_order_id),
            "strategy_id": str(event.strategy_id),
            "instrument_id": str(event.instrument_id),
            "ts_event": event.ts_event,
        }
        if isinstance(event, OrderFilled):
            self._log.info(
                "order filled",
                side=event.side.value,
                quantity=event.last_qty,
                price=event.last_px,
                commission=event.commission,
                **common,
            )
        elif isinstance(event, OrderDenied):
            self._log.warning("order denied", code=event.code.value, reason=event.reason, **common)
        elif isinstance(event, OrderRejected):
            self._log.warning("order rejected", reason=event.reason, **common)
        elif isinstance(event, OrderCanceled | OrderExpired):
            self._log.info(f"order {type(event).__name__[5:].lower()}", **common)

    def on_refused(self, refused: OrderEventRefused) -> None:
        """Log an event the OMS refused (it broke an order's invariants)."""
        self._log.error(
            "order event refused",
            event_type=type(refused.event).__name__,
            client_order_id=str(refused.event.client_order_id),
            status=refused.status,
            reason=refused.reason,
        )

    def on_trading_state(self, change: TradingStateChanged) -> None:
        """Log a change of trading state."""
        self._log.warning(
            "trading state changed",
            state=change.state.value,
            reason=change.reason,
            ts_event=change.ts_event,
        )

    def on_breach(self, breach: RiskBreach) -> None:
        """Log a portfolio risk limit breach and what the risk manager did."""
        self._log.warning(
            "risk limit breached",
            metric=breach.metric,
            value=breach.value,
            limit=breach.limit,
            action=breach.action,
            detail=breach.detail,
            ts_event=breach.ts_event,
        )

    def on_kill_switch(self, report: KillSwitchActivated) -> None:
        """Log the kill switch with every order it cancelled and who owned it."""
        self._log.error(
            "kill switch activated",
            actor=report.actor,
            reason=report.reason,
            orders_cancelled=len(report.orders),
            orders=[
                {
                    "client_order_id": str(o.client_order_id),
                    "strategy_id": str(o.strategy_id),
                    "account_id": o.account_id,
                }
                for o in report.orders
            ],
            ts_event=report.ts_event,
        )

    def on_restrictions(self, change: RestrictionChanged) -> None:
        """Log a restricted-list or locate change (the audit record)."""
        self._log.warning(
            "restrictions changed",
            action=str(change.action),
            instrument_id=str(change.instrument_id),
            before=change.before,
            after=change.after,
            actor=change.actor,
            reason=change.reason,
            ts_event=change.ts_event,
        )

    def on_strategy_trading(self, change: StrategyTradingChanged) -> None:
        """Log a strategy disabled by the execution throttle, or enabled again."""
        self._log.warning(
            "strategy trading changed",
            strategy_id=str(change.strategy_id),
            enabled=change.enabled,
            reason=change.reason,
        )

"""Write what happens to orders and risk to the structured log: denials and refused events as
warnings or errors, fills and trading-state changes as info."""

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
    TradingStateChanged,
)
from midfreq.oms.manager import REFUSED_TOPIC
from midfreq.risk.gate import TRADING_STATE_TOPIC


class EventLogger:
    """Subscribe to order, refusal and trading-state events and log them."""

    def __init__(self, bus: MessageBus) -> None:
        self._log = get_logger("events")
        bus.subscribe("events.order.*", self.on_order_event)
        bus.subscribe(REFUSED_TOPIC, self.on_refused)
        bus.subscribe(TRADING_STATE_TOPIC, self.on_trading_state)

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

"""Checks on the flow of orders and on who may trade what: order rate per strategy and venue,
the execution throttle, duplicates, the restricted list, short-sale locates and self-match
prevention. The stateful ones record an order only once the whole gate approved it."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from midfreq.model.enums import (
    AssetClass,
    DenialCode,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from midfreq.model.events import OrderEvent, OrderFilled, OrderTriggered
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId
from midfreq.model.orders import Order
from midfreq.risk.config import SelfMatchMode
from midfreq.risk.gate.context import Denial, RiskContext
from midfreq.risk.gate.records import GateAction, StrategyTradingChanged


def _in_window(times: deque[int], now: int, window_ns: int) -> int:
    # Drop what left the window (t <= now - window); what stays lies in (now - window, now].
    cutoff = now - window_ns
    while times and times[0] <= cutoff:
        times.popleft()
    return len(times)


class OrderRateLimit:
    """At most ``max_per_strategy`` submits and modifies per strategy, and ``max_per_venue``
    per venue, in any sliding window of ``window_ns``. Denied orders and cancels do not count.
    """

    def __init__(
        self, max_per_strategy: int | None, max_per_venue: int | None, window_ns: int
    ) -> None:
        self.max_per_strategy = max_per_strategy
        self.max_per_venue = max_per_venue
        self.window_ns = window_ns
        self._strategies: dict[str, deque[int]] = {}
        self._venues: dict[str, deque[int]] = {}

    def _denial(self, scope: str, key: str, count: int, limit: int) -> Denial:
        return Denial(
            DenialCode.ORDER_RATE_EXCEEDED,
            {
                scope: key,
                "orders_in_window": count,
                "limit": limit,
                "window_seconds": self.window_ns / 1e9,
            },
        )

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        now = context.now_ns
        limit = self.max_per_strategy
        if limit is not None:
            times = self._strategies.get(order.strategy_id)
            if times is not None and _in_window(times, now, self.window_ns) >= limit:
                return self._denial("strategy", str(order.strategy_id), len(times), limit)
        limit = self.max_per_venue
        if limit is not None:
            times = self._venues.get(order.instrument_id.rpartition(".")[2])
            if times is not None and _in_window(times, now, self.window_ns) >= limit:
                venue = order.instrument_id.rpartition(".")[2]
                return self._denial("venue", venue, len(times), limit)
        return None

    def on_approved(self, order: Order, context: RiskContext) -> None:
        now = context.now_ns
        if self.max_per_strategy is not None:
            times = self._strategies.get(order.strategy_id)
            if times is None:
                times = self._strategies[order.strategy_id] = deque()
            times.append(now)
        if self.max_per_venue is not None:
            venue = order.instrument_id.rpartition(".")[2]
            times = self._venues.get(venue)
            if times is None:
                times = self._venues[venue] = deque()
            times.append(now)


class ExecutionThrottle:
    """A strategy with ``max_fills`` fills within ``window_ns`` is disabled: its new orders
    are denied until `enable` (cancels still pass). ``listener`` hears every change."""

    def __init__(self, max_fills: int, window_ns: int) -> None:
        self.max_fills = max_fills
        self.window_ns = window_ns
        self.disabled: dict[StrategyId, str] = {}
        self.listener: Callable[[StrategyTradingChanged], None] | None = None
        self._fills: dict[StrategyId, deque[int]] = {}

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if self.disabled and order.strategy_id in self.disabled:
            return Denial(
                DenialCode.STRATEGY_DISABLED,
                {"strategy": str(order.strategy_id), "why": self.disabled[order.strategy_id]},
            )
        return None

    def on_order_event(self, event: OrderEvent) -> None:
        if type(event) is not OrderFilled:
            return
        strategy = event.strategy_id
        times = self._fills.get(strategy)
        if times is None:
            times = self._fills[strategy] = deque()
        times.append(event.ts_event)
        count = _in_window(times, event.ts_event, self.window_ns)
        if count >= self.max_fills and strategy not in self.disabled:
            reason = f"{count} fills within {self.window_ns / 1e9:g}s"
            self.disabled[strategy] = reason
            if self.listener is not None:
                self.listener(
                    StrategyTradingChanged(
                        ts_event=event.ts_event, strategy_id=strategy, enabled=False, reason=reason
                    )
                )

    def enable(self, strategy_id: StrategyId, ts: int, reason: str) -> bool:
        """Let a disabled strategy trade again (its fill count starts afresh); return whether
        it was disabled."""
        if self.disabled.pop(strategy_id, None) is None:
            return False
        self._fills.pop(strategy_id, None)
        if self.listener is not None:
            self.listener(
                StrategyTradingChanged(
                    ts_event=ts, strategy_id=strategy_id, enabled=True, reason=reason
                )
            )
        return True


_Key = tuple[StrategyId, InstrumentId, OrderSide, OrderType, float, Any, Any, TimeInForce]


class DuplicateOrder:
    """Refuse a client order id already used (``client_order_ids``) and, for ``window_ns``
    after a strategy's order was approved, an economically identical one from the same strategy
    (instrument, side, type, quantity, prices, time in force). Children of algorithms are exempt
    from the second rule. Modifies are not checked."""

    def __init__(self, client_order_ids: bool, window_ns: int | None) -> None:
        self.client_order_ids = client_order_ids
        self.window_ns = window_ns
        self._recent: dict[_Key, tuple[int, ClientOrderId]] = {}
        self._expiry: deque[tuple[int, _Key]] = deque()
        self._checked: tuple[Order, _Key] | None = None

    @staticmethod
    def _key(order: Order) -> _Key:
        return (
            order.strategy_id,
            order.instrument_id,
            order.side,
            order.order_type,
            order.quantity,
            order.price,
            order.trigger_price,
            order.time_in_force,
        )

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if context.action is not GateAction.SUBMIT:
            return None
        if self.client_order_ids and order.client_order_id in context.cache.orders:
            return Denial(
                DenialCode.DUPLICATE_CLIENT_ORDER_ID,
                {"client_order_id": str(order.client_order_id)},
            )
        window = self.window_ns
        if window is not None and order.parent_order_id is None:
            key = self._key(order)
            self._checked = (order, key)  # reused when the gate approves the order
            previous = self._recent.get(key)
            if previous is not None and context.now_ns - previous[0] < window:
                return Denial(
                    DenialCode.DUPLICATE_ORDER,
                    {
                        "same_as": str(previous[1]),
                        "seconds_since": (context.now_ns - previous[0]) / 1e9,
                        "window_seconds": window / 1e9,
                    },
                )
        return None

    def on_approved(self, order: Order, context: RiskContext) -> None:
        window = self.window_ns
        if window is None or context.action is not GateAction.SUBMIT:
            return
        if order.parent_order_id is not None:
            return
        now = context.now_ns
        expiry, recent = self._expiry, self._recent
        while expiry and expiry[0][0] <= now - window:
            ts, key = expiry.popleft()
            if recent.get(key, (None,))[0] == ts:
                del recent[key]
        checked = self._checked
        key = checked[1] if checked is not None and checked[0] is order else self._key(order)
        self._checked = None
        recent[key] = (now, order.client_order_id)
        expiry.append((now, key))


class RestrictedList:
    """No order in an instrument on the restricted list (``RiskContext.restrictions``)."""

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if order.instrument_id in context.restrictions.restricted:
            return Denial(
                DenialCode.RESTRICTED_INSTRUMENT, {"instrument": str(order.instrument_id)}
            )
        return None


class ShortSale:
    """In ``asset_classes``, a sell may not take the position (counting working sells) short
    by more than the located quantity (``RiskContext.restrictions.locates``; none: no short)."""

    def __init__(self, asset_classes: frozenset[AssetClass]) -> None:
        self.asset_classes = asset_classes

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if order.side is OrderSide.BUY:
            return None
        instrument = context.instrument(order)
        if instrument is None or instrument.asset_class not in self.asset_classes:
            return None
        _, sell = context.open_quantity(order)
        short = -(context.net_position(order) - sell - context.leaves(order))
        if short <= 1e-9:
            return None
        located = context.restrictions.locates.get(order.instrument_id, 0.0)
        if short > located + 1e-9:
            return Denial(
                DenialCode.SHORT_SALE_NO_LOCATE,
                {"short_after": round(short, 9), "located": located},
            )
        return None


def _rests_on_book(order: Order) -> bool:
    if order.order_type is OrderType.LIMIT:
        return True
    return order.order_type is OrderType.STOP_LIMIT and any(
        type(e) is OrderTriggered for e in order.events
    )


class SelfMatch:
    """An order that would trade against one of our own resting limit orders in the same
    instrument (the kernel trades one account) is refused (``REFUSE``), or the resting orders
    it would cross are cancelled and it goes through (``CANCEL_RESTING``). Market orders cross
    any resting order on the other side; stop orders are not checked until triggered."""

    def __init__(self, mode: SelfMatchMode) -> None:
        self.mode = mode

    def crossing(self, order: Order, context: RiskContext) -> list[Order]:
        """Our working orders ``order`` would trade against, oldest first."""
        if order.order_type is OrderType.MARKET:
            price = None
        elif order.order_type is OrderType.LIMIT:
            price = order.price
        else:
            return []
        buy = order.side is OrderSide.BUY
        found = []
        for resting in context.open_orders(order.instrument_id):
            if resting.side is order.side or resting.client_order_id == order.client_order_id:
                continue
            if resting.price is None or not _rests_on_book(resting):
                continue
            if price is None or (price >= resting.price if buy else price <= resting.price):
                found.append(resting)
        return found

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if self.mode is not SelfMatchMode.REFUSE:
            return None
        crossing = self.crossing(order, context)
        if crossing:
            resting = crossing[0]
            return Denial(
                DenialCode.SELF_MATCH,
                {
                    "resting_order": str(resting.client_order_id),
                    "resting_price": resting.price,
                    "resting_strategy": str(resting.strategy_id),
                    "account": context.account_id,
                },
            )
        return None

    def on_approved(self, order: Order, context: RiskContext) -> None:
        if self.mode is not SelfMatchMode.CANCEL_RESTING or context.cancel_order is None:
            return
        for resting in self.crossing(order, context):
            if resting.status is not OrderStatus.PENDING_CANCEL:
                context.cancel_order(resting, f"self-match with {order.client_order_id}")

"""The RiskGate: the last hop before any venue. Every order, including algorithm children and
router slices, is checked here; a refusal is an `OrderDenied` event with a `DenialCode`.

Checks share one signature, ``check(order, context) -> Denial | None``, and run in order; the
trading state (ACTIVE, REDUCING, HALTED) is enforced first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import Clock
from midfreq.model.enums import DenialCode, OrderType, TradingState
from midfreq.model.events import TradingStateChanged
from midfreq.model.instruments import Instrument
from midfreq.model.orders import Order
from midfreq.portfolio.portfolio import PortfolioView
from midfreq.risk.config import RiskGateConfig

TRADING_STATE_TOPIC = "events.risk.trading_state"


@dataclass(frozen=True, slots=True)
class Denial:
    """Why an order was refused: a code and the figures behind it."""

    code: DenialCode
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """Human-readable reason, e.g. ``NOTIONAL_EXCEEDS_MAX_PER_ORDER notional=1.2e6 ...``."""
        parts = " ".join(f"{k}={v}" for k, v in self.details.items())
        return f"{self.code.value} {parts}".strip()


class RiskContext:
    """What checks may read: instruments, prices, positions and open orders."""

    def __init__(self, cache: Cache, portfolio: PortfolioView) -> None:
        self._cache = cache
        self._portfolio = portfolio

    def instrument(self, order: Order) -> Instrument | None:
        """The order's instrument, or None if unknown."""
        return self._cache.instruments.get(order.instrument_id)

    def price(self, order: Order) -> float | None:
        """Price used to value the order: its limit price, else the trigger, else the last."""
        if order.price is not None:
            return order.price
        if order.trigger_price is not None and order.order_type is OrderType.STOP_MARKET:
            return order.trigger_price
        return self._cache.last_prices.get(order.instrument_id)

    def notional(self, order: Order) -> float | None:
        """Absolute value of the order's remaining quantity at `price`."""
        price = self.price(order)
        instrument = self.instrument(order)
        if price is None or instrument is None:
            return None
        return order.leaves_qty * price * instrument.multiplier

    def net_position(self, order: Order) -> float:
        """Net position in the order's instrument across strategies."""
        return self._portfolio.net_quantity(order.instrument_id)

    def open_quantity(self, order: Order) -> tuple[float, float]:
        """Open (buy, sell) order quantities in the order's instrument (excluding ``order``)."""
        buy, sell = self._cache.open_quantity(order.instrument_id)
        if order.client_order_id in self._cache.open_orders:
            if order.side.sign > 0:
                buy -= order.leaves_qty
            else:
                sell -= order.leaves_qty
        return buy, sell

    def worst_position_after(self, order: Order) -> float:
        """Largest absolute position reachable if this and every open order on its side fill."""
        buy, sell = self.open_quantity(order)
        net = self.net_position(order)
        if order.side.sign > 0:
            return abs(net + buy + order.leaves_qty)
        return abs(net - sell - order.leaves_qty)

    def gross_exposure(self) -> float:
        """Sum of absolute marked position values."""
        return self._portfolio.gross_exposure()

    def reduces_position(self, order: Order) -> bool:
        """Whether the order (with open orders on its side) only shrinks the absolute position."""
        net = self.net_position(order)
        buy, sell = self.open_quantity(order)
        if order.side.sign > 0:
            return net < 0 and net + buy + order.leaves_qty <= 0
        return net > 0 and net - sell - order.leaves_qty >= 0


class PreTradeCheck(Protocol):
    """One pre-trade rule."""

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        """Return a `Denial` or None."""
        ...


class InstrumentKnown:
    """The instrument must be known to the system."""

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if context.instrument(order) is None:
            return Denial(DenialCode.UNKNOWN_INSTRUMENT, {"instrument": str(order.instrument_id)})
        return None


class PrecisionValid:
    """Quantity must be a positive whole number of lots within the instrument's minimum and
    maximum order quantity; prices whole numbers of ticks."""

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        instrument = context.instrument(order)
        assert instrument is not None  # InstrumentKnown runs first
        if not instrument.is_valid_qty(order.quantity):
            return Denial(
                DenialCode.INVALID_QUANTITY,
                {"quantity": order.quantity, "lot_size": instrument.lot_size},
            )
        if order.quantity < instrument.min_quantity:
            return Denial(
                DenialCode.INVALID_QUANTITY,
                {"quantity": order.quantity, "min_quantity": instrument.min_quantity},
            )
        if instrument.max_quantity is not None and order.quantity > instrument.max_quantity:
            return Denial(
                DenialCode.INVALID_QUANTITY,
                {"quantity": order.quantity, "max_quantity": instrument.max_quantity},
            )
        for name, price in (("price", order.price), ("trigger_price", order.trigger_price)):
            if price is not None and not instrument.is_valid_price(price):
                return Denial(
                    DenialCode.INVALID_PRICE,
                    {name: price, "tick_size": instrument.tick_size},
                )
        return None


@dataclass(frozen=True, slots=True)
class MaxOrderQuantity:
    """An order's quantity may not exceed ``limit``."""

    limit: float

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if order.quantity > self.limit:
            return Denial(
                DenialCode.QUANTITY_EXCEEDS_MAX_PER_ORDER,
                {"quantity": order.quantity, "limit": self.limit},
            )
        return None


@dataclass(frozen=True, slots=True)
class MaxNotionalPerOrder:
    """An order's notional may not exceed ``limit``; an order that cannot be valued is denied."""

    limit: float

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        notional = context.notional(order)
        if notional is None:
            return Denial(
                DenialCode.NO_PRICE_FOR_NOTIONAL, {"instrument": str(order.instrument_id)}
            )
        if notional > self.limit:
            return Denial(
                DenialCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER,
                {"notional": round(notional, 2), "limit": self.limit},
            )
        return None


@dataclass(frozen=True, slots=True)
class MaxPosition:
    """The absolute net position, counting open orders on the order's side, may not exceed
    ``limit``; orders that reduce the position always pass."""

    limit: float

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if context.reduces_position(order):
            return None
        worst = context.worst_position_after(order)
        if worst > self.limit + 1e-9:
            return Denial(
                DenialCode.POSITION_EXCEEDS_MAX, {"position_after": worst, "limit": self.limit}
            )
        return None


@dataclass(frozen=True, slots=True)
class MaxPositionNotional:
    """The absolute net position value after the order may not exceed ``limit``."""

    limit: float

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if context.reduces_position(order):
            return None
        price = context.price(order)
        instrument = context.instrument(order)
        if price is None or instrument is None:
            return Denial(
                DenialCode.NO_PRICE_FOR_NOTIONAL, {"instrument": str(order.instrument_id)}
            )
        value = context.worst_position_after(order) * price * instrument.multiplier
        if value > self.limit:
            return Denial(
                DenialCode.POSITION_EXCEEDS_MAX,
                {"position_notional_after": round(value, 2), "limit": self.limit},
            )
        return None


@dataclass(frozen=True, slots=True)
class MaxGrossExposure:
    """Gross exposure plus the order's notional may not exceed ``limit`` (reducing orders pass)."""

    limit: float

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if context.reduces_position(order):
            return None
        notional = context.notional(order)
        if notional is None:
            return Denial(
                DenialCode.NO_PRICE_FOR_NOTIONAL, {"instrument": str(order.instrument_id)}
            )
        after = context.gross_exposure() + notional
        if after > self.limit:
            return Denial(
                DenialCode.GROSS_EXPOSURE_EXCEEDS_MAX,
                {"gross_exposure_after": round(after, 2), "limit": self.limit},
            )
        return None


def checks_from_config(config: RiskGateConfig) -> list[PreTradeCheck]:
    """Build the ordered check list for ``config``."""
    checks: list[PreTradeCheck] = [InstrumentKnown(), PrecisionValid()]
    if config.max_order_quantity is not None:
        checks.append(MaxOrderQuantity(config.max_order_quantity))
    if config.max_notional_per_order is not None:
        checks.append(MaxNotionalPerOrder(config.max_notional_per_order))
    if config.max_position is not None:
        checks.append(MaxPosition(config.max_position))
    if config.max_position_notional is not None:
        checks.append(MaxPositionNotional(config.max_position_notional))
    if config.max_gross_exposure is not None:
        checks.append(MaxGrossExposure(config.max_gross_exposure))
    return checks


class RiskGate:
    """Runs the trading-state rule and every check on each order, then approves or denies.

    Endpoints: ``RiskGate.execute`` (an `Order`) and ``RiskGate.set_trading_state`` (a
    `TradingState`, reason pair).
    """

    def __init__(
        self,
        config: RiskGateConfig,
        bus: MessageBus,
        cache: Cache,
        portfolio: PortfolioView,
        clock: Clock,
        checks: list[PreTradeCheck] | None = None,
    ) -> None:
        self.config = config
        self._bus = bus
        self._clock = clock
        self.context = RiskContext(cache, portfolio)
        self.checks = checks if checks is not None else checks_from_config(config)
        self.trading_state = config.trading_state
        self.approved_count = 0
        self.denied_count = 0
        self.denials_by_code: dict[DenialCode, int] = {}
        bus.register("RiskGate.execute", self.execute)
        bus.register("RiskGate.set_trading_state", self._on_set_state)

    def check(self, order: Order) -> Denial | None:
        """Return the first denial for ``order``, or None if it may go to the venue."""
        state = self.trading_state
        if state is TradingState.HALTED:
            return Denial(DenialCode.TRADING_HALTED)
        if state is TradingState.REDUCING and not self.context.reduces_position(order):
            return Denial(
                DenialCode.REDUCING_ONLY,
                {"position": self.context.net_position(order), "side": order.side.value},
            )
        if order.reduce_only and not self.context.reduces_position(order):
            return Denial(
                DenialCode.REDUCING_ONLY,
                {"position": self.context.net_position(order), "reduce_only": True},
            )
        context = self.context
        for rule in self.checks:
            denial = rule.check(order, context)
            if denial is not None:
                return denial
        return None

    def execute(self, order: Order) -> None:
        """Approve ``order`` to the OMS or deny it with an `OrderDenied` event."""
        denial = self.check(order)
        if denial is None:
            self.approved_count += 1
            self._bus.send("OrderManager.submit", order)
        else:
            self.denied_count += 1
            self.denials_by_code[denial.code] = self.denials_by_code.get(denial.code, 0) + 1
            self._bus.send("OrderManager.deny", (order, denial.code, denial.reason))

    def _on_set_state(self, message: tuple[TradingState, str]) -> None:
        self.set_trading_state(*message)

    def set_trading_state(self, state: TradingState, reason: str) -> None:
        """Change what the gate lets through and publish `TradingStateChanged`."""
        if state is self.trading_state:
            return
        self.trading_state = state
        self._bus.publish(
            TRADING_STATE_TOPIC,
            TradingStateChanged(state=state, reason=reason, ts_event=self._clock.timestamp_ns()),
        )

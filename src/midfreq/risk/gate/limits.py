"""Checks on the order itself and on what the account would hold: instrument and precision,
quantity and notional per order, position per instrument, gross and net exposure, open orders
and buying power. Positions count working orders from the moment they are approved."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from midfreq.model.enums import AssetClass, DenialCode, OrderSide
from midfreq.model.instruments import Instrument
from midfreq.model.orders import Order
from midfreq.risk.gate.context import Denial, RiskContext

# Relative slack for money limits: sums kept incrementally differ from a fresh sum in the last
# bits, and an order exactly at a limit must pass either way.
RELATIVE_TOLERANCE = 1e-9


def exceeds(value: float, limit: float) -> bool:
    """Whether ``value`` is above ``limit`` by more than rounding (relative 1e-9)."""
    return value > limit + abs(limit) * RELATIVE_TOLERANCE


def _no_price(order: Order) -> Denial:
    return Denial(DenialCode.NO_PRICE_FOR_NOTIONAL, {"instrument": str(order.instrument_id)})


class InstrumentKnown:
    """The instrument must be known to the system."""

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if context.instrument(order) is None:
            return Denial(DenialCode.UNKNOWN_INSTRUMENT, {"instrument": str(order.instrument_id)})
        return None


def _on_tick(instrument: Instrument, price: float) -> bool:
    # `Instrument.is_valid_price`, inlined (it runs on every order) and refusing inf and NaN.
    if not 0 < price < math.inf:
        return False
    tick = instrument.tick_size
    on_grid = round(round(price / tick) * tick, instrument.price_precision)
    return abs(price - on_grid) < tick * 1e-6


class PrecisionValid:
    """Quantity must be a positive whole number of lots within the instrument's minimum and
    maximum order quantity; prices whole numbers of ticks."""

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        instrument = context.instrument(order)
        assert instrument is not None  # InstrumentKnown runs first
        quantity = order.quantity
        lots = quantity / instrument.lot_size
        if not (quantity > 0 and abs(lots - round(lots)) < 1e-6):  # `is_valid_qty`, inlined
            return Denial(
                DenialCode.INVALID_QUANTITY,
                {"quantity": quantity, "lot_size": instrument.lot_size},
            )
        if quantity < instrument.min_quantity:
            return Denial(
                DenialCode.INVALID_QUANTITY,
                {"quantity": quantity, "min_quantity": instrument.min_quantity},
            )
        if instrument.max_quantity is not None and quantity > instrument.max_quantity:
            return Denial(
                DenialCode.INVALID_QUANTITY,
                {"quantity": quantity, "max_quantity": instrument.max_quantity},
            )
        price = order.price
        if price is not None and not _on_tick(instrument, price):
            return Denial(
                DenialCode.INVALID_PRICE, {"price": price, "tick_size": instrument.tick_size}
            )
        price = order.trigger_price
        if price is not None and not _on_tick(instrument, price):
            return Denial(
                DenialCode.INVALID_PRICE,
                {"trigger_price": price, "tick_size": instrument.tick_size},
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
            return _no_price(order)
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
    """The absolute net position value after the order (counting open orders on its side)
    may not exceed ``limit``."""

    limit: float

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if context.reduces_position(order):
            return None
        price = context.price(order)
        instrument = context.instrument(order)
        if price is None or instrument is None:
            return _no_price(order)
        value = context.worst_position_after(order) * price * instrument.multiplier
        if value > self.limit:
            return Denial(
                DenialCode.POSITION_EXCEEDS_MAX,
                {"position_notional_after": round(value, 2), "limit": self.limit},
            )
        return None


@dataclass(frozen=True, slots=True)
class MaxGrossExposure:
    """Gross exposure of positions, plus every working order that adds exposure, plus the
    order's notional may not exceed ``limit`` (reducing orders pass)."""

    limit: float
    uses_working_orders: ClassVar[bool] = True

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if context.reduces_position(order):
            return None
        notional = context.notional(order)
        if notional is None:
            return _no_price(order)
        working = context.working
        _, own_adds, _ = working.own(order)
        after = (
            context.gross_exposure() + working.buy_adds + working.sell_adds - own_adds + notional
        )
        if exceeds(after, self.limit):
            return Denial(
                DenialCode.GROSS_EXPOSURE_EXCEEDS_MAX,
                {"gross_exposure_after": round(after, 2), "limit": self.limit},
            )
        return None


@dataclass(frozen=True, slots=True)
class MaxNetExposure:
    """Signed exposure of positions plus every working order on the order's side plus the order
    may not leave ``[-limit, limit]`` (reducing orders pass)."""

    limit: float
    uses_working_orders: ClassVar[bool] = True

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if context.reduces_position(order):
            return None
        notional = context.notional(order)
        if notional is None:
            return _no_price(order)
        working = context.working
        own, _, _ = working.own(order)
        if order.side is OrderSide.BUY:
            after = context.net_exposure() + working.buy_value - own + notional
            breached = exceeds(after, self.limit)
        else:
            after = context.net_exposure() - working.sell_value + own - notional
            breached = exceeds(-after, self.limit)
        if breached:
            return Denial(
                DenialCode.NET_EXPOSURE_EXCEEDS_MAX,
                {"net_exposure_after": round(after, 2), "limit": self.limit},
            )
        return None


@dataclass(frozen=True, slots=True)
class MaxOpenOrders:
    """At most ``limit`` working orders at once, across instruments and strategies."""

    limit: int

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        count = context.open_order_count()
        if order.client_order_id in context.cache.open_orders:
            return None  # a modify: the count does not change
        if count + 1 > self.limit:
            return Denial(
                DenialCode.OPEN_ORDERS_EXCEED_MAX, {"open_orders": count, "limit": self.limit}
            )
        return None


@dataclass(frozen=True, slots=True)
class MaxOpenOrdersPerInstrument:
    """At most ``limit`` working orders in one instrument."""

    limit: int
    uses_working_orders: ClassVar[bool] = True

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        working = context.working
        if order.client_order_id in working:
            return None
        count = working.count(order.instrument_id)
        if count + 1 > self.limit:
            return Denial(
                DenialCode.OPEN_ORDERS_EXCEED_MAX,
                {
                    "instrument": str(order.instrument_id),
                    "open_orders": count,
                    "limit": self.limit,
                },
            )
        return None


@dataclass(frozen=True, slots=True)
class BuyingPower:
    """Margin of open positions, plus margin reserved by working orders, plus the order's own
    may not exceed the buying power: ``limit`` if set, else equity times ``leverage``.

    Margin is notional times the asset class's rate (1.0 unless ``margin_rates`` says
    otherwise: fully paid). Orders that reduce a position need none. A working order's margin
    is reserved the moment it is approved, so concurrent orders cannot together exceed the
    limit, and released as it fills (then the position carries it) or when it is cancelled,
    expires or is rejected.
    """

    limit: float | None = None
    leverage: float = 1.0
    margin_rates: Mapping[AssetClass, float] = field(default_factory=dict)
    uses_working_orders: ClassVar[bool] = True

    def rate(self, instrument: Instrument) -> float:
        """Margin per unit of notional for ``instrument``."""
        return self.margin_rates.get(instrument.asset_class, 1.0)

    def positions_margin(self, context: RiskContext) -> float:
        """Margin carried by open positions at current marks."""
        if not self.margin_rates:  # every rate 1.0: the gross exposure
            return context.gross_exposure()
        rates = self.margin_rates
        return sum(
            abs(quantity) * mark * instrument.multiplier * rates.get(instrument.asset_class, 1.0)
            for _, quantity, mark, instrument in context.positions()
        )

    def capacity(self, context: RiskContext) -> float:
        """The buying power now."""
        if self.limit is not None:
            return self.limit
        return context.equity() * self.leverage

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        if context.reduces_position(order):
            return None
        instrument = context.instrument(order)
        notional = context.notional(order)
        if notional is None or instrument is None:
            return _no_price(order)
        required = notional * self.rate(instrument)
        working = context.working
        _, _, own_margin = working.own(order)
        used = self.positions_margin(context) + working.margin - own_margin
        capacity = self.capacity(context)
        if exceeds(used + required, capacity):
            return Denial(
                DenialCode.BUYING_POWER_EXCEEDED,
                {
                    "required": round(required, 2),
                    "used": round(used, 2),
                    "buying_power": round(capacity, 2),
                },
            )
        return None

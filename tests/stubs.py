"""Hand-written test providers: instruments, order events, orders, fills and bars.

Every helper builds real domain objects with sensible defaults; override what a test is about.
Import as ``import stubs`` (the test directories' ``conftest.py`` put ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

from typing import Any

from midfreq.model.data import Bar
from midfreq.model.enums import (
    AssetClass,
    DenialCode,
    LiquiditySide,
    OptionRight,
    OrderSide,
    OrderType,
    TimeInForce,
)
from midfreq.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderInitialized,
    OrderPendingCancel,
    OrderRejected,
    OrderSubmitted,
    OrderTriggered,
    OrderUpdated,
)
from midfreq.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    StrategyId,
    TradeId,
    VenueOrderId,
)
from midfreq.model.instruments import CurrencyPair, Future, Instrument, Option, equity
from midfreq.model.orders import Order
from midfreq.model.values import BTC, USDT

STRATEGY_ID = StrategyId("S-001")
CLIENT_ORDER_ID = ClientOrderId("O-1")
VENUE_ORDER_ID = VenueOrderId("V-1")
# 2024-12-20 00:00:00 UTC, an ES expiry.
EXPIRY_NS = 1_734_652_800 * 1_000_000_000


# ---- instruments ---------------------------------------------------------------------------
def equity_instrument(symbol: str = "AAPL", venue: str = "SIM", **kwargs: Any) -> Instrument:
    """A cash equity: cent ticks, whole-share lots, multiplier 1."""
    return equity(symbol, venue, **kwargs)


def future_instrument(
    symbol: str = "ESZ4",
    venue: str = "CME",
    *,
    underlying: str = "ES",
    multiplier: int = 50,
    tick_size: float = 0.25,
    price_precision: int = 2,
    expiry_ns: int = EXPIRY_NS,
    **kwargs: Any,
) -> Future:
    """An E-mini S&P style future: quarter-point ticks, multiplier 50."""
    return Future(
        id=InstrumentId.from_parts(symbol, venue),
        underlying=underlying,
        expiry_ns=expiry_ns,
        multiplier=multiplier,
        tick_size=tick_size,
        price_precision=price_precision,
        **kwargs,
    )


def option_instrument(
    symbol: str = "AAPL241220C00200000",
    venue: str = "SIM",
    *,
    underlying: str = "AAPL.SIM",
    strike: float = 200.0,
    right: OptionRight = OptionRight.CALL,
    expiry_ns: int = EXPIRY_NS,
    **kwargs: Any,
) -> Option:
    """An equity option (multiplier 100 by default)."""
    return Option(
        id=InstrumentId.from_parts(symbol, venue),
        underlying=InstrumentId(underlying),
        strike=strike,
        right=right,
        expiry_ns=expiry_ns,
        **kwargs,
    )


def crypto_instrument(
    symbol: str = "BTCUSDT", venue: str = "BINANCE", **kwargs: Any
) -> CurrencyPair:
    """Spot BTC/USDT: cent ticks, quantities to 6 decimals (lot 0.000001)."""
    params: dict[str, Any] = {
        "asset_class": AssetClass.CRYPTO,
        "currency": USDT,
        "base_currency": BTC,
        "price_precision": 2,
        "tick_size": 0.01,
        "size_precision": 6,
        "lot_size": 0.000001,
    }
    params.update(kwargs)
    return CurrencyPair(id=InstrumentId.from_parts(symbol, venue), **params)


# ---- orders --------------------------------------------------------------------------------
def order_initialized(
    *,
    instrument_id: InstrumentId | str = "AAPL.SIM",
    side: OrderSide = OrderSide.BUY,
    quantity: float = 100.0,
    order_type: OrderType = OrderType.MARKET,
    price: float | None = None,
    trigger_price: float | None = None,
    time_in_force: TimeInForce = TimeInForce.GTC,
    expire_time_ns: int | None = None,
    client_order_id: ClientOrderId | str = CLIENT_ORDER_ID,
    strategy_id: StrategyId = STRATEGY_ID,
    ts: int = 0,
) -> OrderInitialized:
    """The event that creates an order (a market buy of 100 AAPL by default)."""
    return OrderInitialized(
        client_order_id=ClientOrderId(client_order_id),
        strategy_id=strategy_id,
        instrument_id=InstrumentId(instrument_id),
        ts_event=ts,
        ts_init=ts,
        side=side,
        order_type=order_type,
        quantity=quantity,
        price=price,
        trigger_price=trigger_price,
        time_in_force=time_in_force,
        expire_time_ns=expire_time_ns,
    )


def make_order(*, size_precision: int = 9, **kwargs: Any) -> Order:
    """An `Order` built from `order_initialized(**kwargs)`."""
    return Order(order_initialized(**kwargs), size_precision=size_precision)


def _header(order: Order, ts: int) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "strategy_id": order.strategy_id,
        "instrument_id": order.instrument_id,
        "ts_event": ts,
        "ts_init": ts,
    }


def denied(order: Order, ts: int = 1) -> OrderDenied:
    """The risk gate refused ``order``."""
    return OrderDenied(**_header(order, ts), code=DenialCode.TRADING_HALTED, reason="halted")


def submitted(order: Order, ts: int = 1) -> OrderSubmitted:
    """``order`` was sent to the venue."""
    return OrderSubmitted(**_header(order, ts))


def accepted(order: Order, ts: int = 2, venue_order_id: str = VENUE_ORDER_ID) -> OrderAccepted:
    """The venue acknowledged ``order``."""
    return OrderAccepted(**_header(order, ts), venue_order_id=VenueOrderId(venue_order_id))


def rejected(order: Order, ts: int = 2) -> OrderRejected:
    """The venue refused ``order``."""
    return OrderRejected(**_header(order, ts), reason="no liquidity")


def triggered(order: Order, ts: int = 3) -> OrderTriggered:
    """The stop of ``order`` was hit."""
    return OrderTriggered(**_header(order, ts))


def pending_cancel(order: Order, ts: int = 4) -> OrderPendingCancel:
    """A cancel of ``order`` was requested."""
    return OrderPendingCancel(**_header(order, ts))


def cancel_rejected(order: Order, ts: int = 5) -> OrderCancelRejected:
    """The venue refused to cancel ``order``."""
    return OrderCancelRejected(**_header(order, ts), reason="too late to cancel")


def canceled(order: Order, ts: int = 5) -> OrderCanceled:
    """``order`` was cancelled."""
    return OrderCanceled(**_header(order, ts))


def expired(order: Order, ts: int = 5) -> OrderExpired:
    """``order``'s time in force ran out."""
    return OrderExpired(**_header(order, ts))


def updated(
    order: Order,
    quantity: float,
    price: float | None = None,
    trigger_price: float | None = None,
    ts: int = 4,
) -> OrderUpdated:
    """The venue modified ``order``."""
    return OrderUpdated(
        **_header(order, ts), quantity=quantity, price=price, trigger_price=trigger_price
    )


def make_fill(
    order: Order,
    qty: float,
    px: float,
    commission: float = 0.0,
    ts: int = 3,
    *,
    side: OrderSide | None = None,
    trade_id: str | None = None,
) -> OrderFilled:
    """An execution of ``qty`` at ``px`` against ``order`` (on the order's side by default)."""
    return OrderFilled(
        **_header(order, ts),
        venue_order_id=order.venue_order_id or VENUE_ORDER_ID,
        trade_id=TradeId(trade_id or f"T-{order.client_order_id}-{len(order.events)}"),
        side=side if side is not None else order.side,
        last_qty=qty,
        last_px=px,
        commission=commission,
        liquidity_side=LiquiditySide.TAKER,
    )


def fill_event(
    instrument_id: InstrumentId | str,
    side: OrderSide,
    qty: float,
    px: float,
    commission: float = 0.0,
    *,
    strategy_id: StrategyId = STRATEGY_ID,
    ts: int = 0,
    client_order_id: str = "O-1",
    trade_id: str = "T-1",
) -> OrderFilled:
    """A standalone fill (for positions and portfolios, which need no `Order`)."""
    return OrderFilled(
        client_order_id=ClientOrderId(client_order_id),
        strategy_id=strategy_id,
        instrument_id=InstrumentId(instrument_id),
        ts_event=ts,
        ts_init=ts,
        venue_order_id=VENUE_ORDER_ID,
        trade_id=TradeId(trade_id),
        side=side,
        last_qty=qty,
        last_px=px,
        commission=commission,
    )


def walk(order: Order, events: list[OrderEvent]) -> Order:
    """Apply ``events`` to ``order`` in turn and return it."""
    for event in events:
        order.apply(event)
    return order


# ---- market data ---------------------------------------------------------------------------
def make_bar(instrument_id: InstrumentId | str, close: float, ts: int = 0) -> Bar:
    """A flat bar closing at ``close``."""
    return Bar(
        instrument_id=InstrumentId(instrument_id),
        open=close,
        high=close,
        low=close,
        close=close,
        volume=1.0,
        ts_event=ts,
        ts_init=ts,
    )


def order_snapshot(order: Order) -> dict[str, Any]:
    """Every field of ``order`` (a copy of its event list included), for before/after checks."""
    snapshot = {name: getattr(order, name) for name in Order.__slots__ if name != "events"}
    snapshot["events"] = list(order.events)
    return snapshot

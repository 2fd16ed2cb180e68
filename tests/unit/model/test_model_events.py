"""Tests of events and commands: immutable, keyword-only, sensible defaults, serialisable."""

from __future__ import annotations

import msgspec
import pytest

import stubs
from midfreq.model.commands import CancelAllOrders, CancelOrder
from midfreq.model.enums import LiquiditySide, OrderSide, TimeInForce, TradingState
from midfreq.model.events import (
    OrderEvent,
    OrderEventRefused,
    OrderFilled,
    OrderInitialized,
    OrderSubmitted,
    TradingStateChanged,
)
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId, TradeId


def _dec_hook(kind: type, raw: object) -> object:
    """Rebuild identifier types (str subclasses) from JSON strings."""
    return kind(raw)


def test_order_initialized_defaults() -> None:
    init = stubs.order_initialized()
    assert init.time_in_force is TimeInForce.GTC
    assert (init.price, init.trigger_price, init.expire_time_ns) == (None, None, None)
    assert (init.reduce_only, init.parent_order_id, init.tags) == (False, None, ())
    assert isinstance(init, OrderEvent)


def test_events_are_immutable() -> None:
    init = stubs.order_initialized()
    with pytest.raises(AttributeError):
        init.quantity = 5.0  # type: ignore[misc]


def test_events_are_keyword_only() -> None:
    args = (ClientOrderId("O-1"), StrategyId("S"), InstrumentId("A.B"), 0, 0)
    with pytest.raises(TypeError):
        OrderSubmitted(*args)  # type: ignore[call-arg]


def test_fill_defaults_to_taker_and_round_trips_through_msgspec() -> None:
    order = stubs.make_order()
    fill = stubs.make_fill(order, 10.0, 101.25, commission=1.5)
    assert fill.liquidity_side is LiquiditySide.TAKER
    decoded = msgspec.json.decode(
        msgspec.json.encode(fill, enc_hook=str), type=OrderFilled, dec_hook=_dec_hook
    )
    assert decoded == fill
    assert decoded.side is OrderSide.BUY
    assert type(decoded.trade_id) is TradeId


def test_initialized_round_trips_through_msgspec() -> None:
    init = stubs.order_initialized(time_in_force=TimeInForce.GTD, expire_time_ns=99)
    encoded = msgspec.json.encode(init, enc_hook=str)
    assert msgspec.json.decode(encoded, type=OrderInitialized, dec_hook=_dec_hook) == init


def test_identifiers_need_an_encode_hook() -> None:
    # Pinned so that whoever writes the journal knows: identifiers are custom types to msgspec.
    with pytest.raises(TypeError, match="ClientOrderId"):
        msgspec.json.encode(stubs.order_initialized())


def test_refusal_wraps_the_refused_event() -> None:
    event = stubs.submitted(stubs.make_order())
    refused = OrderEventRefused(event=event, status="FILLED", reason="not allowed")
    assert refused.event is event


def test_trading_state_changed() -> None:
    change = TradingStateChanged(state=TradingState.HALTED, reason="drawdown", ts_event=1)
    assert change.state is TradingState.HALTED


def test_commands() -> None:
    cancel = CancelOrder(
        client_order_id=ClientOrderId("O-1"),
        instrument_id=InstrumentId("AAPL.SIM"),
        strategy_id=StrategyId("S"),
        ts_init=3,
    )
    assert cancel.ts_init == 3
    everything = CancelAllOrders(ts_init=4)
    assert (everything.strategy_id, everything.instrument_id) == (None, None)

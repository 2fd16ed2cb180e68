"""The ExecutionRecorder: every fill, and every order once it closes, recorded as columns while a
backtest runs. Rows cost a few dozen bytes, so a run with millions of orders can let the kernel
forget closed orders (see `Cache.purge_closed_orders`) without losing its results."""

from __future__ import annotations

import math
from array import array
from typing import Any

import numpy as np
import pandas as pd

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.model.enums import OrderStatus
from midfreq.model.events import OrderDenied, OrderEvent, OrderFilled
from midfreq.model.orders import Order

ORDER_COLUMNS = [
    "client_order_id",
    "strategy_id",
    "instrument_id",
    "side",
    "order_type",
    "quantity",
    "price",
    "trigger_price",
    "time_in_force",
    "status",
    "filled_qty",
    "avg_px",
    "ts_init",
    "ts_last",
    "denial",
]
FILL_COLUMNS = [
    "ts_event",
    "client_order_id",
    "strategy_id",
    "instrument_id",
    "trade_id",
    "side",
    "quantity",
    "price",
    "commission",
    "liquidity_side",
]


class ExecutionRecorder:
    """Subscribe to order events; keep fills and closed orders as compact columns.

    Numbers go into typed arrays and repeated strings (strategy, instrument, enums) are
    shared, so a recorded order costs about 200 bytes and a fill about 130. Children of a
    parent (an execution algorithm's or the router's, ``parent_order_id`` set) are also kept
    in `parent_order_ids`, outside the frames, so transaction cost analysis can group them.
    """

    def __init__(self, bus: MessageBus, cache: Cache) -> None:
        self._cache = cache
        self._strings: dict[str, str] = {}
        self._fills: dict[str, Any] = {
            "ts_event": array("q"),
            "client_order_id": [],
            "strategy_id": [],
            "instrument_id": [],
            "trade_id": [],
            "side": [],
            "quantity": array("d"),
            "price": array("d"),
            "commission": array("d"),
            "liquidity_side": [],
        }
        self._orders: dict[str, Any] = {
            "sequence": array("q"),
            "client_order_id": [],
            "strategy_id": [],
            "instrument_id": [],
            "side": [],
            "order_type": [],
            "quantity": array("d"),
            "price": array("d"),
            "trigger_price": array("d"),
            "time_in_force": [],
            "status": [],
            "filled_qty": array("d"),
            "avg_px": array("d"),
            "ts_init": array("q"),
            "ts_last": array("q"),
            "denial": [],
        }
        self._parents: dict[str, str] = {}
        bus.subscribe("events.order.*", self.on_order_event)

    def _shared(self, value: str) -> str:
        text = self._strings.get(value)
        if text is None:
            text = self._strings[value] = str(value)
        return text

    @property
    def fill_count(self) -> int:
        """Fills recorded so far."""
        return len(self._fills["ts_event"])

    def on_order_event(self, event: OrderEvent) -> None:
        """Record a fill; record the order when this event closed it."""
        if type(event) is OrderFilled:
            fills = self._fills
            shared = self._shared
            fills["ts_event"].append(event.ts_event)
            fills["client_order_id"].append(event.client_order_id)
            fills["strategy_id"].append(shared(event.strategy_id))
            fills["instrument_id"].append(shared(event.instrument_id))
            fills["trade_id"].append(event.trade_id)
            fills["side"].append(shared(event.side.value))
            fills["quantity"].append(event.last_qty)
            fills["price"].append(event.last_px)
            fills["commission"].append(event.commission)
            fills["liquidity_side"].append(shared(event.liquidity_side.value))
        order = self._cache.orders.get(event.client_order_id)
        if order is not None and order.is_closed and order.events[-1] is event:
            self._record_order(order)

    def _record_order(self, order: Order) -> None:
        denial = None
        if order.status is OrderStatus.DENIED:
            last = order.events[-1]
            denial = last.reason if isinstance(last, OrderDenied) else None
        nan = math.nan
        shared = self._shared
        rows = self._orders
        rows["sequence"].append(order.sequence)
        rows["client_order_id"].append(order.client_order_id)
        rows["strategy_id"].append(shared(order.strategy_id))
        rows["instrument_id"].append(shared(order.instrument_id))
        rows["side"].append(shared(order.side.value))
        rows["order_type"].append(shared(order.order_type.value))
        rows["quantity"].append(order.quantity)
        rows["price"].append(nan if order.price is None else order.price)
        rows["trigger_price"].append(nan if order.trigger_price is None else order.trigger_price)
        rows["time_in_force"].append(shared(order.time_in_force.value))
        rows["status"].append(shared(order.status.value))
        rows["filled_qty"].append(order.filled_qty)
        rows["avg_px"].append(nan if order.avg_px is None else order.avg_px)
        rows["ts_init"].append(order.ts_init)
        rows["ts_last"].append(order.ts_last)
        rows["denial"].append(denial)
        if order.parent_order_id is not None:
            self._parents[order.client_order_id] = order.parent_order_id

    def finish(self) -> None:
        """Record the orders still open at the end."""
        for order in list(self._cache.open_orders.values()):
            self._record_order(order)

    @property
    def parent_order_ids(self) -> dict[str, str]:
        """Recorded child order id -> its parent's id, for the orders that have a parent
        (``analyze_costs(..., parent_order_ids=...)``)."""
        return dict(self._parents)

    def orders_frame(self) -> pd.DataFrame:
        """One row per order, in creation order (missing prices are NaN)."""
        frame = _frame(self._orders)
        frame = frame.sort_values("sequence", kind="stable").drop(columns="sequence")
        return frame.reset_index(drop=True)[ORDER_COLUMNS]

    def fills_frame(self) -> pd.DataFrame:
        """One row per execution, in the order they happened."""
        return _frame(self._fills)[FILL_COLUMNS]


def _frame(columns: dict[str, Any]) -> pd.DataFrame:
    data: dict[str, object] = {}
    for name, values in columns.items():
        if isinstance(values, array):
            data[name] = np.frombuffer(
                values, dtype=np.int64 if values.typecode == "q" else np.float64
            )
        else:
            # Identifiers are str subclasses, kept as they are (no copies); CSV and Parquet
            # write them as plain strings.
            data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data)

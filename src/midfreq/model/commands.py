"""Commands: imperative requests travelling toward a venue."""

from __future__ import annotations

import msgspec

from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId


class CancelOrder(msgspec.Struct, frozen=True, kw_only=True):
    """Cancel one working order."""

    client_order_id: ClientOrderId
    instrument_id: InstrumentId
    strategy_id: StrategyId
    ts_init: int


class CancelAllOrders(msgspec.Struct, frozen=True, kw_only=True):
    """Cancel every working order, optionally only of one strategy or instrument."""

    strategy_id: StrategyId | None = None
    instrument_id: InstrumentId | None = None
    ts_init: int

"""The Position aggregate: net quantity, cost basis and P&L of one instrument for one strategy.

Amounts are exact integers of nano-units (see `values.MONEY_SCALE`): the cost basis is carried
as a total, and a partial close removes its proportional share (rounded), so that realized plus
unrealized P&L always equals sells minus buys plus the marked value, to the nano-unit.
"""

from __future__ import annotations

from midfreq.model.enums import OrderSide, PositionSide
from midfreq.model.events import OrderFilled
from midfreq.model.identifiers import InstrumentId, StrategyId
from midfreq.model.instruments import Instrument
from midfreq.model.values import MONEY_PRECISION, div_round, to_fixed


class Position:
    """Average-cost position; change only with `apply(fill)`."""

    __slots__ = (
        "_money_factor",
        "_price_precision",
        "_size_precision",
        "cost_raw",
        "fees_raw",
        "fill_count",
        "instrument",
        "instrument_id",
        "quantity_raw",
        "realized_raw",
        "strategy_id",
        "traded_value_raw",
        "ts_last",
        "ts_opened",
    )

    def __init__(self, instrument: Instrument, strategy_id: StrategyId) -> None:
        self.instrument = instrument
        self.instrument_id: InstrumentId = instrument.id
        self.strategy_id = strategy_id
        self._price_precision = instrument.price_precision
        self._size_precision = instrument.size_precision
        self._money_factor = instrument.multiplier * 10 ** (
            MONEY_PRECISION - instrument.price_precision - instrument.size_precision
        )
        self.quantity_raw = 0  # signed, in 10**-size_precision units
        self.cost_raw = 0  # signed cost basis of the open quantity, nano-units
        self.realized_raw = 0
        self.fees_raw = 0
        self.traded_value_raw = 0
        self.fill_count = 0
        self.ts_opened: int | None = None
        self.ts_last: int | None = None

    # ---- derived --------------------------------------------------------------------------
    @property
    def quantity(self) -> float:
        """Signed net quantity (positive long, negative short)."""
        return float(self.quantity_raw / 10**self._size_precision)

    @property
    def side(self) -> PositionSide:
        """LONG, SHORT or FLAT."""
        if self.quantity_raw > 0:
            return PositionSide.LONG
        return PositionSide.SHORT if self.quantity_raw < 0 else PositionSide.FLAT

    @property
    def is_flat(self) -> bool:
        """Whether no quantity is open."""
        return self.quantity_raw == 0

    @property
    def avg_px(self) -> float | None:
        """Average entry price of the open quantity."""
        if self.quantity_raw == 0:
            return None
        value = self.cost_raw / (self.quantity_raw * self._money_factor)
        return float(value / 10**self._price_precision)

    def notional_raw(self, quantity_raw: int, price: float) -> int:
        """Exact value of ``quantity_raw`` at ``price`` (rounded to the tick) in nano-units."""
        return int(to_fixed(price, self._price_precision) * quantity_raw * self._money_factor)

    def market_value_raw(self, mark: float) -> int:
        """Signed value of the open quantity at ``mark``."""
        return self.notional_raw(self.quantity_raw, mark)

    def unrealized_raw(self, mark: float) -> int:
        """Unrealized P&L at ``mark``."""
        if self.quantity_raw == 0:
            return 0
        return self.market_value_raw(mark) - self.cost_raw

    # ---- state change ---------------------------------------------------------------------
    def apply(self, fill: OrderFilled, fee_raw: int) -> int:
        """Apply ``fill`` (with its fee in nano-units); return the realized P&L it produced."""
        qty = to_fixed(fill.last_qty, self._size_precision)
        signed = qty if fill.side is OrderSide.BUY else -qty
        value = self.notional_raw(qty, fill.last_px)
        self.traded_value_raw += value
        self.fees_raw += fee_raw
        self.fill_count += 1
        self.ts_last = fill.ts_event
        realized = 0
        current = self.quantity_raw
        if current == 0 or (current > 0) == (signed > 0):
            if current == 0:
                self.ts_opened = fill.ts_event
            self.quantity_raw = current + signed
            self.cost_raw += value if signed > 0 else -value
        else:
            closing = min(qty, abs(current))
            removed = div_round(self.cost_raw * closing, abs(current))
            closing_value = self.notional_raw(closing, fill.last_px)
            realized = (closing_value if current > 0 else -closing_value) - removed
            self.cost_raw -= removed
            self.quantity_raw = current + signed
            remainder = qty - closing
            if remainder:
                # Flip: the rest opens a new position at the fill price.
                self.ts_opened = fill.ts_event
                opened = self.notional_raw(remainder, fill.last_px)
                self.cost_raw = opened if signed > 0 else -opened
            elif self.quantity_raw == 0:
                self.cost_raw = 0
        self.realized_raw += realized
        return realized

    def __repr__(self) -> str:
        return (
            f"Position({self.instrument_id} {self.strategy_id} qty={self.quantity} "
            f"avg_px={self.avg_px} realized={self.realized_raw / 10**MONEY_PRECISION:.2f})"
        )

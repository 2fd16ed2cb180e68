"""The Portfolio: positions per strategy and instrument, cash, fees, realized and unrealized P&L,
closed round-trip trades and the equity curve.

The ledger is exact: amounts are integers of nano-units, and after any sequence of fills
``cash + marked positions == starting cash + realized + unrealized - fees`` holds to the unit.
Fully paid instruments (equities, options, spot) move their whole value through cash; futures
move only realized P&L, and their marked value is their unrealized P&L.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import Clock
from midfreq.core.errors import ConfigError
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.enums import PositionSide
from midfreq.model.events import OrderEvent, OrderFilled
from midfreq.model.identifiers import InstrumentId, StrategyId
from midfreq.model.position import Position
from midfreq.model.values import MONEY_SCALE, USD, Currency, Money


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosedTrade:
    """A round trip: from flat to flat (or to a flip) for one strategy and instrument."""

    instrument_id: InstrumentId
    strategy_id: StrategyId
    side: PositionSide
    opened_ns: int
    closed_ns: int
    pnl: float  # realized P&L minus the fees of the trip's fills
    fees: float


@dataclass(slots=True)
class _Trip:
    side: PositionSide
    opened_ns: int
    realized_raw: int = 0
    fees_raw: int = 0


class Portfolio:
    """Accounting for one account in one currency."""

    def __init__(
        self,
        bus: MessageBus,
        cache: Cache,
        clock: Clock,
        starting_cash: float,
        currency: Currency = USD,
    ) -> None:
        if not starting_cash > 0:
            raise ConfigError("portfolio.starting_cash", starting_cash, "a positive amount")
        self._bus = bus
        self._cache = cache
        self._clock = clock
        self.currency = currency
        self.starting_cash_raw = Money.of(starting_cash, currency).raw
        self.cash_raw = self.starting_cash_raw
        self.fees_raw = 0
        self.realized_raw = 0
        self.traded_value_raw = 0
        self.positions: dict[tuple[InstrumentId, StrategyId], Position] = {}
        self.closed_trades: list[ClosedTrade] = []
        self._trips: dict[tuple[InstrumentId, StrategyId], _Trip] = {}
        self._marks: dict[InstrumentId, float] = {}
        # Signed quantity x multiplier of open positions per instrument, for O(1) marking.
        self._exposure_units: dict[InstrumentId, float] = {}
        self._net_quantity: dict[InstrumentId, float] = {}
        self._positions_value = 0.0
        self.equity_ts = array("q")
        self.equity_values = array("d")
        # 1 where the sample had open positions: the "exposure" (time in market) statistic.
        self.exposed_flags = bytearray()
        self.peak_equity = starting_cash
        self._drawdown_alert: tuple[float, Callable[[float, float], None]] | None = None
        self.fill_count = 0
        bus.subscribe("events.order.*", self.on_order_event)
        bus.subscribe("data.bars.*", self.on_bar)
        bus.subscribe("data.quotes.*", self.on_quote)
        bus.subscribe("data.trades.*", self.on_trade)

    # ---- marks ----------------------------------------------------------------------------
    def on_bar(self, bar: Bar) -> None:
        """Mark to the bar's close."""
        iid = bar.instrument_id
        units = self._exposure_units.get(iid)
        if units:
            self._positions_value += units * (bar.close - self._marks[iid])
        self._marks[iid] = bar.close

    def on_quote(self, quote: QuoteTick) -> None:
        """Mark to the quote's mid."""
        self._mark(quote.instrument_id, (quote.bid_price + quote.ask_price) / 2.0)

    def on_trade(self, trade: TradeTick) -> None:
        """Mark to the trade price."""
        self._mark(trade.instrument_id, trade.price)

    def _mark(self, iid: InstrumentId, price: float) -> None:
        units = self._exposure_units.get(iid)
        if units:
            self._positions_value += units * (price - self._marks[iid])
        self._marks[iid] = price

    def mark(self, instrument_id: InstrumentId) -> float | None:
        """The price positions in ``instrument_id`` are marked at."""
        return self._marks.get(instrument_id)

    # ---- fills ----------------------------------------------------------------------------
    def on_order_event(self, event: OrderEvent) -> None:
        """Apply fills; other order events change nothing here."""
        if type(event) is OrderFilled:
            self.apply_fill(event)

    def apply_fill(self, fill: OrderFilled) -> None:
        """Update the position, cash, fees, trips and marks for one fill."""
        iid = fill.instrument_id
        instrument = self._cache.instrument(iid)
        key = (iid, fill.strategy_id)
        position = self.positions.get(key)
        if position is None:
            position = self.positions[key] = Position(instrument, fill.strategy_id)
        fee_raw = Money.of(fill.commission, self.currency).raw
        before = position.side
        qty_before = position.quantity_raw
        if iid not in self._marks:
            self._marks[iid] = fill.last_px
        value_before = self._marked_value_raw(position)
        value_raw = position.notional_raw(
            round(fill.last_qty * 10**instrument.size_precision), fill.last_px
        )
        realized = position.apply(fill, fee_raw)
        self.fill_count += 1
        self.fees_raw += fee_raw
        self.realized_raw += realized
        self.traded_value_raw += value_raw
        if instrument.settles_pnl_only:
            self.cash_raw += realized - fee_raw
        else:
            self.cash_raw += (-value_raw if fill.side.sign > 0 else value_raw) - fee_raw
        self._track_trip(key, position, before, qty_before, realized, fee_raw, fill.ts_event)
        # Only this position's contribution changed: update the running figures by the delta.
        self._positions_value += (self._marked_value_raw(position) - value_before) / MONEY_SCALE
        quantity_delta = (position.quantity_raw - qty_before) / 10**instrument.size_precision
        net = self._net_quantity.get(iid, 0.0) + quantity_delta
        self._net_quantity[iid] = round(net, instrument.size_precision)
        units = self._exposure_units.get(iid, 0.0) + quantity_delta * instrument.multiplier
        units = round(units, instrument.size_precision)
        if units:
            self._exposure_units[iid] = units
        else:  # flat, or strategies' positions offsetting: no net exposure to mark
            self._exposure_units.pop(iid, None)

    def _track_trip(
        self,
        key: tuple[InstrumentId, StrategyId],
        position: Position,
        before: PositionSide,
        qty_before: int,
        realized: int,
        fee_raw: int,
        ts: int,
    ) -> None:
        trip = self._trips.get(key)
        if trip is None:
            trip = self._trips[key] = _Trip(position.side, ts)
        trip.realized_raw += realized
        trip.fees_raw += fee_raw
        flipped = qty_before != 0 and position.side not in (before, PositionSide.FLAT)
        if position.is_flat or flipped:
            self.closed_trades.append(
                ClosedTrade(
                    instrument_id=key[0],
                    strategy_id=key[1],
                    side=before,
                    opened_ns=trip.opened_ns,
                    closed_ns=ts,
                    pnl=(trip.realized_raw - trip.fees_raw) / MONEY_SCALE,
                    fees=trip.fees_raw / MONEY_SCALE,
                )
            )
            del self._trips[key]
            if flipped:
                self._trips[key] = _Trip(position.side, ts)

    def _marked_value_raw(self, position: Position) -> int:
        if not position.quantity_raw:
            return 0
        mark = self._marks[position.instrument_id]
        if position.instrument.settles_pnl_only:
            return position.unrealized_raw(mark)
        return position.market_value_raw(mark)

    # ---- exact figures --------------------------------------------------------------------
    def positions_value_raw(self) -> int:
        """Marked value of every open position: market value if paid, unrealized P&L if not."""
        return sum(self._marked_value_raw(p) for p in self.positions.values())

    def unrealized_raw(self) -> int:
        """Unrealized P&L of every open position at current marks."""
        return sum(
            p.unrealized_raw(self._marks[p.instrument_id])
            for p in self.positions.values()
            if p.quantity_raw
        )

    def equity_raw(self) -> int:
        """Cash plus marked positions, exact."""
        return self.cash_raw + self.positions_value_raw()

    # ---- cheap figures (floats) -----------------------------------------------------------
    def equity(self) -> float:
        """Cash plus marked positions (float, maintained incrementally)."""
        return self.cash_raw / MONEY_SCALE + self._positions_value

    def net_quantity(self, instrument_id: InstrumentId) -> float:
        """Net position across strategies."""
        return self._net_quantity.get(instrument_id, 0.0)

    def net_positions(self) -> dict[InstrumentId, float]:
        """Net position across strategies of every instrument held (non-zero only)."""
        return {iid: q for iid, q in self._net_quantity.items() if q}

    def position(self, instrument_id: InstrumentId, strategy_id: StrategyId) -> Position | None:
        """One strategy's position in one instrument."""
        return self.positions.get((instrument_id, strategy_id))

    def gross_exposure(self) -> float:
        """Sum of absolute marked notional of open positions."""
        return sum(abs(units * self._marks[iid]) for iid, units in self._exposure_units.items())

    def net_exposure(self) -> float:
        """Signed marked notional of open positions."""
        return sum(units * self._marks[iid] for iid, units in self._exposure_units.items())

    def set_drawdown_alert(self, fraction: float, callback: Callable[[float, float], None]) -> None:
        """Call ``callback(equity, peak)`` whenever a recorded equity point is more than
        ``fraction`` below the peak of the curve."""
        self._drawdown_alert = (fraction, callback)

    def record_equity(self, ts_ns: int) -> None:
        """Append a point to the equity curve (the kernel calls this as time advances)."""
        equity = self.cash_raw / MONEY_SCALE + self._positions_value
        self.equity_ts.append(ts_ns)
        self.equity_values.append(equity)
        self.exposed_flags.append(1 if self._exposure_units else 0)
        if equity > self.peak_equity:
            self.peak_equity = equity
        elif self._drawdown_alert is not None:
            fraction, callback = self._drawdown_alert
            if equity < self.peak_equity * (1.0 - fraction):
                callback(equity, self.peak_equity)

    def strategy_pnl(self, strategy_id: StrategyId) -> dict[str, float]:
        """Realized, unrealized, fees and net P&L of one strategy."""
        realized = unrealized = fees = 0
        for (iid, sid), position in self.positions.items():
            if sid == strategy_id:
                realized += position.realized_raw
                fees += position.fees_raw
                if position.quantity_raw:
                    unrealized += position.unrealized_raw(self._marks[iid])
        return {
            "realized": realized / MONEY_SCALE,
            "unrealized": unrealized / MONEY_SCALE,
            "fees": fees / MONEY_SCALE,
            "net": (realized + unrealized - fees) / MONEY_SCALE,
        }

    def summary(self) -> dict[str, float | int]:
        """Headline figures for status lines and reports."""
        unrealized = self.unrealized_raw()
        return {
            "equity": self.equity_raw() / MONEY_SCALE,
            "cash": self.cash_raw / MONEY_SCALE,
            "realized_pnl": self.realized_raw / MONEY_SCALE,
            "unrealized_pnl": unrealized / MONEY_SCALE,
            "fees": self.fees_raw / MONEY_SCALE,
            "total_pnl": (self.realized_raw + unrealized - self.fees_raw) / MONEY_SCALE,
            "open_positions": sum(1 for p in self.positions.values() if p.quantity_raw),
            "fills": self.fill_count,
        }


class PortfolioView:
    """Read-only facade over a `Portfolio`."""

    __slots__ = ("_portfolio",)

    def __init__(self, portfolio: Portfolio) -> None:
        self._portfolio = portfolio

    def net_quantity(self, instrument_id: InstrumentId) -> float:
        """Net position across strategies."""
        return self._portfolio.net_quantity(instrument_id)

    def quantity(self, instrument_id: InstrumentId, strategy_id: StrategyId) -> float:
        """One strategy's signed position."""
        position = self._portfolio.positions.get((instrument_id, strategy_id))
        return position.quantity if position is not None else 0.0

    def avg_px(self, instrument_id: InstrumentId, strategy_id: StrategyId) -> float | None:
        """Average entry price of one strategy's position."""
        position = self._portfolio.positions.get((instrument_id, strategy_id))
        return position.avg_px if position is not None else None

    def equity(self) -> float:
        """Current equity."""
        return self._portfolio.equity()

    def strategy_pnl(self, strategy_id: StrategyId) -> dict[str, float]:
        """P&L of one strategy."""
        return self._portfolio.strategy_pnl(strategy_id)

    def summary(self) -> dict[str, float | int]:
        """Headline figures."""
        return self._portfolio.summary()

    def gross_exposure(self) -> float:
        """Gross marked exposure."""
        return self._portfolio.gross_exposure()

    def net_exposure(self) -> float:
        """Net marked exposure (long minus short)."""
        return self._portfolio.net_exposure()

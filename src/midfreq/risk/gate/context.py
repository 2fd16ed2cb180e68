"""What every pre-trade check shares: the `Denial` it returns, the `PreTradeCheck` signature,
and the `RiskContext` it reads (instruments, prices with their age, positions, exposure, working
orders, market history, restrictions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from midfreq.cache import Cache
from midfreq.core.clock import Clock
from midfreq.model.enums import DenialCode, OrderSide, OrderType
from midfreq.model.identifiers import InstrumentId
from midfreq.model.instruments import Instrument
from midfreq.model.orders import Order
from midfreq.risk.gate.market import CorrelationSource, MarketHistory
from midfreq.risk.gate.records import GateAction
from midfreq.risk.gate.restrictions import RestrictionBook
from midfreq.risk.gate.working import WorkingOrders

_UNSET = object()


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


class PortfolioReader(Protocol):
    """The portfolio figures the gate reads (a `PortfolioView` provides them)."""

    def net_quantity(self, instrument_id: InstrumentId) -> float:
        """Net position across strategies."""
        ...

    def gross_exposure(self) -> float:
        """Sum of absolute marked position values."""
        ...


class RiskContext:
    """What checks may read: instruments, prices, positions, open orders, exposure, and the
    gate's own running state (working orders, market history, restrictions).

    The gate calls `begin` before each decision and `end` after it: checks read the time
    (``now_ns``) and whether they judge a submit or a modify (``action``) as attributes, and
    the figures derived from the order (its quantity left, the net position, open quantities,
    whether it reduces, the account's exposures) are computed once however many checks ask.
    """

    def __init__(
        self,
        cache: Cache,
        portfolio: PortfolioReader,
        clock: Clock | None = None,
        *,
        account_id: str = "default",
        history: MarketHistory | None = None,
        restrictions: RestrictionBook | None = None,
    ) -> None:
        self.cache = cache  # read it; change nothing
        self._cache = cache
        self._portfolio = portfolio
        # The portfolio's own method: net position in an instrument across strategies.
        self.net_quantity: Callable[[InstrumentId], float] = portfolio.net_quantity
        self.account_id = account_id
        self.working = WorkingOrders(cache)
        self.history = history if history is not None else MarketHistory()
        self.restrictions = restrictions if restrictions is not None else RestrictionBook()
        self.now_ns = clock.timestamp_ns() if clock is not None else 0
        self.action = GateAction.SUBMIT
        # Set by the gate: sends a cancel for a working order through the gate's cancel path.
        self.cancel_order: Callable[[Order, str], None] | None = None
        self._net_exposure: Callable[[], float] | None = getattr(portfolio, "net_exposure", None)
        self._equity: Callable[[], float] | None = getattr(portfolio, "equity", None)
        # The order being judged, and figures derived from it, computed once per decision.
        self._subject: Order | None = None
        self._leaves: float | None = None
        self._net: float | None = None
        self._open: tuple[float, float] | None = None
        self._reduces: bool | None = None
        self._gross: float | None = None
        self._net_exposure_value: float | None = None
        self._positions: list[tuple[InstrumentId, float, float, Instrument]] | None = None
        self._notional: float | object | None = _UNSET

    def begin(self, order: Order, action: GateAction, now_ns: int) -> None:
        """Start judging ``order``: figures derived from it are computed once until `end`."""
        self._subject = order
        self._leaves = self._net = None
        self._open = None
        self._reduces = None
        self._gross = self._net_exposure_value = None
        self._positions = None
        self._notional = _UNSET
        self.action = action
        self.now_ns = now_ns

    def end(self) -> None:
        """Finish judging: the next read of any figure computes it afresh."""
        self._subject = None

    @property
    def correlation_source(self) -> CorrelationSource | None:
        """Where correlations come from, if the correlation check is on."""
        return self.history.correlation

    # ---- the order --------------------------------------------------------------------------
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
        if order is self._subject:
            notional = self._notional
            if notional is _UNSET:
                notional = self._notional = self._compute_notional(order)
            return notional  # type: ignore[return-value]
        return self._compute_notional(order)

    def _compute_notional(self, order: Order) -> float | None:
        price = self.price(order)
        instrument = self._cache.instruments.get(order.instrument_id)
        if price is None or instrument is None:
            return None
        return self.leaves(order) * price * instrument.multiplier

    def leaves(self, order: Order) -> float:
        """The order's quantity still to fill."""
        if order is self._subject:
            leaves = self._leaves
            if leaves is None:
                leaves = self._leaves = order.leaves_qty
            return leaves
        return order.leaves_qty

    # ---- positions --------------------------------------------------------------------------
    def position_id(self, instrument_id: InstrumentId) -> InstrumentId:
        """The instrument a position in ``instrument_id`` is booked to: a per-venue listing's
        consolidated instrument when orders are routed, else itself."""
        consolidated = self._cache.consolidated
        return consolidated.get(instrument_id, instrument_id) if consolidated else instrument_id

    def net_position(self, order: Order) -> float:
        """Net position in the order's instrument across strategies (for a per-venue listing,
        in its consolidated instrument)."""
        if order is self._subject:
            net = self._net
            if net is None:
                net = self._net = self.net_quantity(self.position_id(order.instrument_id))
            return net
        return self.net_quantity(self.position_id(order.instrument_id))

    def open_quantity(self, order: Order) -> tuple[float, float]:
        """Open (buy, sell) order quantities in the order's instrument (excluding ``order``)."""
        if order is self._subject:
            result = self._open
            if result is None:
                result = self._open = self._open_quantity(order)
            return result
        return self._open_quantity(order)

    def _open_quantity(self, order: Order) -> tuple[float, float]:
        if self.working.active:  # the same figures, kept current instead of summed per order
            return self.working.open_quantity(order, self.position_id(order.instrument_id))
        buy, sell = self._cache.open_quantity(self.position_id(order.instrument_id))
        own = self._cache.open_orders.get(order.client_order_id)
        if own is not None:
            if own.side is OrderSide.BUY:
                buy -= own.leaves_qty
            else:
                sell -= own.leaves_qty
        return buy, sell

    def worst_position_after(self, order: Order) -> float:
        """Largest absolute position reachable if this and every open order on its side fill."""
        buy, sell = self.open_quantity(order)
        net = self.net_position(order)
        if order.side is OrderSide.BUY:
            return abs(net + buy + self.leaves(order))
        return abs(net - sell - self.leaves(order))

    def reduces_position(self, order: Order) -> bool:
        """Whether the order (with open orders on its side) only shrinks the absolute position."""
        if order is self._subject:
            reduces = self._reduces
            if reduces is None:
                reduces = self._reduces = self._reduces_position(order)
            return reduces
        return self._reduces_position(order)

    def _reduces_position(self, order: Order) -> bool:
        net = self.net_position(order)
        if net == 0:
            return False
        buy, sell = self.open_quantity(order)
        if order.side is OrderSide.BUY:
            return net < 0 and net + buy + self.leaves(order) <= 0
        return net > 0 and net - sell - self.leaves(order) >= 0

    def mark(self, instrument_id: InstrumentId) -> float | None:
        """Latest price of ``instrument_id`` (else its last fill price), None if never seen."""
        price = self._cache.last_prices.get(instrument_id)
        if price is None:
            price = self.working.fill_prices.get(instrument_id)
        return price

    # ---- account ----------------------------------------------------------------------------
    def gross_exposure(self) -> float:
        """Sum of absolute marked position values."""
        if self._subject is None:
            return self._portfolio.gross_exposure()
        gross = self._gross
        if gross is None:
            gross = self._gross = self._portfolio.gross_exposure()
        return gross

    def net_exposure(self) -> float:
        """Signed marked value of all positions."""
        if self._subject is None:
            return self._compute_net_exposure()
        net = self._net_exposure_value
        if net is None:
            net = self._net_exposure_value = self._compute_net_exposure()
        return net

    def _compute_net_exposure(self) -> float:
        if self._net_exposure is not None:
            return self._net_exposure()
        # The portfolio offers no net exposure: sum positions at the latest prices.
        return sum(q * mark * i.multiplier for _, q, mark, i in self.positions())

    def positions(self) -> list[tuple[InstrumentId, float, float, Instrument]]:
        """Open positions as (instrument id, net quantity, mark, instrument), in instrument id
        order, among the instruments that filled (`held_instruments`) and have a mark."""
        if self._subject is not None and self._positions is not None:
            return self._positions
        found = []
        instruments = self._cache.instruments
        net_quantity = self.net_quantity
        for iid in self.working.held:
            quantity = net_quantity(iid)
            if quantity:
                mark = self.mark(iid)
                instrument = instruments.get(iid)
                if mark is not None and instrument is not None:
                    found.append((iid, quantity, mark, instrument))
        if self._subject is not None:
            self._positions = found
        return found

    def equity(self) -> float:
        """Account equity (cash plus marked positions).

        Raises
        ------
        TypeError
            If the portfolio given to the gate offers no ``equity()``.
        """
        if self._equity is None:
            raise TypeError("portfolio: expected an object with equity(), was without one")
        return self._equity()

    def held_instruments(self) -> tuple[InstrumentId, ...]:
        """Instruments that may hold a position: every one that filled (or held one at start)."""
        return self.working.held

    # ---- market -----------------------------------------------------------------------------
    def reference_price(self, instrument_id: InstrumentId) -> tuple[float, int] | None:
        """The latest quote mid, trade price or bar close, whichever is newest, with its
        ``ts_event``; None before any data."""
        cache = self._cache
        best: tuple[float, int] | None = None
        quote = cache.quotes.get(instrument_id)
        if quote is not None:
            best = ((quote.bid_price + quote.ask_price) / 2.0, quote.ts_event)
        trade = cache.trades.get(instrument_id)
        if trade is not None and (best is None or trade.ts_event > best[1]):
            best = (trade.price, trade.ts_event)
        bar = cache.bars.get(instrument_id)
        if bar is not None and (best is None or bar.ts_event > best[1]):
            best = (bar.close, bar.ts_event)
        return best

    def is_stale(self, instrument_id: InstrumentId) -> bool:
        """Whether the live feed flagged ``instrument_id`` stale."""
        return instrument_id in self._cache.stale_instruments

    def open_orders(self, instrument_id: InstrumentId) -> list[Order]:
        """Working orders in ``instrument_id``, oldest first."""
        return self._cache.orders_open(instrument_id=instrument_id)

    def open_order_count(self) -> int:
        """Working orders in every instrument."""
        return len(self._cache.open_orders)


class PreTradeCheck(Protocol):
    """One pre-trade rule.

    Optional hooks a check may define: ``on_approved(order, context)`` (called once the whole
    gate approved the order: a rate window records it, self-match cancels resting orders) and
    ``on_order_event(event)`` (order events, for checks counting fills). A check with a class
    attribute ``uses_working_orders = True`` makes the gate keep `WorkingOrders` current.
    """

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        """Return a `Denial` or None."""
        ...

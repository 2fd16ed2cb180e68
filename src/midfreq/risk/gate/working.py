"""Running totals of the orders the gate approved that are still working: how many per
instrument, their value per side and the buying power they reserve. Kept current from order
events, so a check costs O(1) however many orders are working, and an order counts from the
moment it is approved (before any venue acknowledgement)."""

from __future__ import annotations

from midfreq.cache import Cache
from midfreq.model.enums import OrderSide, OrderType
from midfreq.model.events import OrderEvent, OrderFilled
from midfreq.model.identifiers import ClientOrderId, InstrumentId
from midfreq.model.orders import Order


class _Entry:
    __slots__ = ("adds", "buy", "instrument_id", "leaves", "multiplier", "price", "rate")

    def __init__(
        self,
        instrument_id: InstrumentId,
        buy: bool,
        leaves: float,
        price: float,
        multiplier: float,
        rate: float,
        adds: bool,
    ) -> None:
        self.instrument_id = instrument_id
        self.buy = buy
        self.leaves = leaves
        self.price = price
        self.multiplier = multiplier
        self.rate = rate
        self.adds = adds

    @property
    def value(self) -> float:
        return self.leaves * self.price * self.multiplier


class WorkingOrders:
    """Approved orders still working, with totals by side.

    ``buy_value``/``sell_value`` hold every working order's remaining value (quantity left x
    price x multiplier, valued at its limit price, stop trigger, or the reference price when it
    was approved); ``buy_adds``/``sell_adds`` only those that add exposure (not reducing a
    position when approved); ``margin`` the buying power those reserve. ``held`` names every
    instrument that ever filled, the candidates for open positions.
    """

    def __init__(self, cache: Cache) -> None:
        self._cache = cache
        self._entries: dict[ClientOrderId, _Entry] = {}
        # Per instrument: [buy quantity left, sell quantity left, working orders].
        self._instruments: dict[InstrumentId, list[float]] = {}
        self.active = False
        self.buy_value = 0.0
        self.sell_value = 0.0
        self.buy_adds = 0.0
        self.sell_adds = 0.0
        self.margin = 0.0
        self.held: tuple[InstrumentId, ...] = ()  # sorted, so sums run in one fixed order
        self.fill_prices: dict[InstrumentId, float] = {}
        self.fill_count = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, client_order_id: object) -> bool:
        return client_order_id in self._entries

    def add(
        self,
        order: Order,
        price: float,
        multiplier: float,
        rate: float,
        adds: bool,
        position_id: InstrumentId | None = None,
    ) -> bool:
        """Count ``order`` (valued at ``price``) from now until it closes, under the instrument
        its position is booked to (``position_id``, default its own); return False (and change
        nothing) for an id already counted (a reused id is the OMS's to refuse)."""
        if order.client_order_id in self._entries:
            return False
        entry = _Entry(
            position_id or order.instrument_id,
            order.side is OrderSide.BUY,
            order.leaves_qty,
            price,
            multiplier,
            rate,
            adds,
        )
        self._entries[order.client_order_id] = entry
        self._apply(entry, 1.0)
        return True

    def hold(self, instrument_id: InstrumentId) -> None:
        """Name ``instrument_id`` among those that may hold a position."""
        if instrument_id not in self.held:
            self.held = tuple(sorted((*self.held, instrument_id)))

    def discard(self, client_order_id: ClientOrderId) -> None:
        """Stop counting an order (one the OMS did not register after all)."""
        entry = self._entries.pop(client_order_id, None)
        if entry is not None:
            self._apply(entry, -1.0)

    def own(self, order: Order) -> tuple[float, float, float]:
        """``order``'s own (value, adding value, margin) if it is counted, else zeros: what a
        modify of it replaces."""
        entry = self._entries.get(order.client_order_id)
        if entry is None:
            return 0.0, 0.0, 0.0
        value = entry.value
        adds = value if entry.adds else 0.0
        return value, adds, adds * entry.rate

    def open_quantity(
        self, order: Order, position_id: InstrumentId | None = None
    ) -> tuple[float, float]:
        """Working (buy, sell) quantity in ``order``'s instrument (or ``position_id``, the
        instrument its position is booked to), not counting ``order``."""
        totals = self._instruments.get(position_id or order.instrument_id)
        if totals is None:
            return 0.0, 0.0
        buy, sell, _ = totals
        own = self._entries.get(order.client_order_id)
        if own is not None:
            if own.buy:
                buy -= own.leaves
            else:
                sell -= own.leaves
        return buy, sell

    def count(self, instrument_id: InstrumentId) -> int:
        """Working orders in ``instrument_id``."""
        totals = self._instruments.get(instrument_id)
        return 0 if totals is None else int(totals[2])

    def _apply(self, entry: _Entry, sign: float) -> None:
        value = entry.leaves * entry.price * entry.multiplier * sign
        if entry.buy:
            self.buy_value += value
            if entry.adds:
                self.buy_adds += value
                self.margin += value * entry.rate
        else:
            self.sell_value += value
            if entry.adds:
                self.sell_adds += value
                self.margin += value * entry.rate
        iid = entry.instrument_id
        totals = self._instruments.get(iid)
        if totals is None:
            totals = self._instruments[iid] = [0.0, 0.0, 0.0]
        totals[0 if entry.buy else 1] += entry.leaves * sign
        totals[2] += sign
        if not totals[2]:
            del self._instruments[iid]  # exact zeros again for the next order in it
            if not self._entries:  # nothing working: no float residue from the sums
                self.buy_value = self.sell_value = self.buy_adds = self.sell_adds = 0.0
                self.margin = 0.0

    def on_order_event(self, event: OrderEvent) -> None:
        """Follow fills, cancels, expiries, rejections and modifies of counted orders."""
        if type(event) is OrderFilled:
            self.fill_count += 1
            if event.instrument_id not in self.held:
                self.hold(event.instrument_id)
            self.fill_prices[event.instrument_id] = event.last_px
        entry = self._entries.get(event.client_order_id)
        if entry is None:
            return
        order = self._cache.orders.get(event.client_order_id)
        if order is None or not order.is_open:
            del self._entries[event.client_order_id]
            self._apply(entry, -1.0)
            return
        leaves = order.leaves_qty
        price = entry.price
        if order.price is not None:
            price = order.price
        elif order.order_type is OrderType.STOP_MARKET and order.trigger_price is not None:
            price = order.trigger_price
        if leaves == entry.leaves and price == entry.price:
            return  # submitted, accepted, pending cancel...: nothing to recount
        self._apply(entry, -1.0)
        entry.leaves = leaves
        entry.price = price
        self._apply(entry, 1.0)

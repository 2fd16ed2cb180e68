"""The SimulatedVenue: an execution client that matches orders against bars, quotes and trades
using the named models in `models`. Backtests and paper trading use it the same way.

The kernel calls ``on_bar``/``on_quote``/``on_trade`` before publishing each piece of data (so
resting orders fill on prices strategies have not yet seen) and ``process(now)`` after the
handlers ran (so orders sent while handling data arrive after their latency).

With ``QuoteFillModel(queue_position=True)`` each resting limit also carries the volume displayed
ahead of it at its price (``queue_position``), which trades at that price consume before it fills.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from midfreq.cache import Cache
from midfreq.core.clock import Clock
from midfreq.execution.engine import ReportHandler
from midfreq.execution.impact import range_volatility
from midfreq.model.commands import CancelOrder
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide, LiquiditySide, OrderSide, OrderType, TimeInForce
from midfreq.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderTriggered,
    order_event,
)
from midfreq.model.identifiers import ClientOrderId, InstrumentId, TradeId, Venue, VenueOrderId
from midfreq.model.instruments import Instrument
from midfreq.model.orders import Order
from midfreq.simulation.models import (
    BarFillModel,
    ConstantLatency,
    FeeModel,
    FixedBpsSlippage,
    ImpactSlippage,
    MakerTakerFee,
    NoFee,
    QuoteFillModel,
    SlippageModel,
)
from midfreq.simulation.queue_position import displayed_size

_BUY = OrderSide.BUY
# Trade aggressors that consume resting buy (sell) orders at the trade price; an unknown
# aggressor counts for both, since a print at a resting order's price trades against its level.
_HITS_BIDS = (AggressorSide.SELLER, AggressorSide.NO_AGGRESSOR)
_LIFTS_ASKS = (AggressorSide.BUYER, AggressorSide.NO_AGGRESSOR)


class _Working:
    """The venue's own record of a working order."""

    __slots__ = (
        "expire_ns",
        "fees_charged",
        "filled_by_side",
        "filled_qty",
        "filled_value",
        "first_pass_done",
        "instrument",
        "leaves",
        "order",
        "queue_ahead",
        "seq",
        "triggered",
        "venue_order_id",
    )

    def __init__(
        self, order: Order, instrument: Instrument, seq: int, expire_ns: int | None
    ) -> None:
        self.order = order
        self.instrument = instrument
        self.seq = seq
        self.leaves = order.leaves_qty
        self.triggered = order.order_type not in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT)
        self.expire_ns = expire_ns
        self.first_pass_done = False
        self.venue_order_id = VenueOrderId(f"{instrument.id.venue}-{seq}")
        self.filled_qty = 0.0
        self.filled_value = 0.0
        self.fees_charged = 0.0
        # Maker/taker fees only: (quantity, value) filled per liquidity side.
        self.filled_by_side: dict[LiquiditySide, tuple[float, float]] | None = None
        # Volume displayed ahead of the order at its price (queue model only; None until it
        # rests in a queue, inf while the size there is unknown).
        self.queue_ahead: float | None = None


class SimulatedVenue:
    """Match orders for one venue; report every state change as an order event."""

    def __init__(
        self,
        venue: Venue,
        cache: Cache,
        clock: Clock,
        *,
        bar_fill: BarFillModel | None = None,
        quote_fill: QuoteFillModel | None = None,
        fee_model: FeeModel | None = None,
        slippage: SlippageModel | ImpactSlippage | None = None,
        latency: ConstantLatency | None = None,
        day_timezone: str = "UTC",
    ) -> None:
        self.venue = venue
        self._cache = cache
        self._clock = clock
        self.bar_fill = bar_fill or BarFillModel()
        self.quote_fill = quote_fill or QuoteFillModel()
        self.fee_model: FeeModel = fee_model or NoFee()
        self.slippage: SlippageModel | ImpactSlippage = slippage or FixedBpsSlippage(0.0)
        # Exactly one of these prices taker fills (see `_slipped`).
        self._impact = slippage if isinstance(slippage, ImpactSlippage) else None
        self._fixed_slippage: SlippageModel | None = (
            None if isinstance(self.slippage, ImpactSlippage) else self.slippage
        )
        # Per instrument: (ts of the last update, signed permanent impact offset).
        self._impact_offsets: dict[InstrumentId, tuple[int, float]] = {}
        self._matching_bar: Bar | None = None
        self._fees_by_side = isinstance(self.fee_model, MakerTakerFee)
        self.latency = latency or ConstantLatency(0)
        self._queue = self.quote_fill.queue_position
        self._tz = ZoneInfo(day_timezone)
        self._report: ReportHandler | None = None
        self._inflight: deque[tuple[int, int, Order | CancelOrder]] = deque()
        self._working: dict[InstrumentId, list[_Working]] = {}
        self._by_id: dict[str, _Working] = {}
        # Per instrument: (bar ts, volume our orders may still take in that bar).
        self._bar_volume_left: dict[InstrumentId, tuple[int, float]] = {}
        self._seq = 0
        self._trade_seq = 0
        self.fill_count = 0

    # ---- identity and wiring --------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """The models in use, for results and reports."""
        return {
            "venue": str(self.venue),
            "bar_fill": self.bar_fill.describe(),
            "quote_fill": self.quote_fill.describe(),
            "fees": self.fee_model.describe(),
            "slippage": self.slippage.describe(),
            "latency": self.latency.describe(),
            "day_timezone": str(self._tz),
        }

    def connect(self, report: ReportHandler) -> None:
        """Send order events to ``report``."""
        self._report = report

    def _emit(self, event: OrderEvent) -> None:
        assert self._report is not None, "SimulatedVenue used before connect()"
        self._report(event)

    @property
    def has_work(self) -> bool:
        """Whether any order is in flight or working (the kernel skips the venue otherwise)."""
        return bool(self._inflight) or bool(self._by_id)

    # ---- commands (from the execution engine) ---------------------------------------------
    def submit_order(self, order: Order) -> None:
        """Queue ``order``; it arrives after the latency model's delay."""
        self._inflight.append((self._clock.timestamp_ns() + self.latency.delay_ns(), 0, order))

    def cancel_order(self, command: CancelOrder) -> None:
        """Queue a cancel; it arrives after the latency model's delay."""
        self._inflight.append((self._clock.timestamp_ns() + self.latency.delay_ns(), 1, command))

    # ---- market data (called by the kernel before publishing) ------------------------------
    def on_bar(self, bar: Bar) -> None:
        """Match working orders against ``bar``'s assumed path.

        A bar is stamped with its close: an order that arrives at the bar's own time (a timer
        firing at ``ts_event`` sends before the bar reaches the venue) came after the prices
        the bar summarises, so it first matches the next bar.
        """
        ts = bar.ts_event
        if self._inflight and self._inflight[0][0] < ts:
            self._arrive(ts - 1, match_now=False)
        working = self._working.get(bar.instrument_id)
        if working:
            self._match_bar(bar, working)

    def on_quote(self, quote: QuoteTick) -> None:
        """Match working orders against the new top of book."""
        ts = quote.ts_event
        if self._inflight and self._inflight[0][0] <= ts:
            self._arrive(ts, match_now=False)
        working = self._working.get(quote.instrument_id)
        if working:
            self._match_quote(quote, working, resting=True)

    def on_trade(self, trade: TradeTick) -> None:
        """Fill resting limits traded through and trigger stops on the print."""
        ts = trade.ts_event
        if self._inflight and self._inflight[0][0] <= ts:
            # Orders arriving by now get their first pass against the current book first.
            self._arrive(ts, match_now=True)
        working = self._working.get(trade.instrument_id)
        if working:
            self._match_trade(trade, working)

    def process(self, now_ns: int) -> None:
        """Let orders and cancels whose latency has passed arrive, and match what can fill now."""
        if self._inflight and self._inflight[0][0] <= now_ns:
            self._arrive(now_ns, match_now=True)
        if self._by_id:
            self._expire(now_ns)

    # ---- arrival ----------------------------------------------------------------------------
    def _arrive(self, now_ns: int, *, match_now: bool) -> None:
        arrived: list[_Working] = []
        while self._inflight and self._inflight[0][0] <= now_ns:
            arrival_ns, _, item = self._inflight.popleft()
            if isinstance(item, CancelOrder):
                self._apply_cancel(item, arrival_ns)
            else:
                working = self._accept(item, arrival_ns)
                if working is not None:
                    arrived.append(working)
        if match_now:
            for working in arrived:
                if working.order.client_order_id in self._by_id:
                    self._match_on_arrival(working, now_ns)

    def _accept(self, order: Order, ts: int) -> _Working | None:
        instrument = self._cache.instruments.get(order.instrument_id)
        if instrument is None:
            self._emit(order_event(OrderRejected, order, ts, reason="unknown instrument"))
            return None
        self._seq += 1
        expire_ns = order.expire_time_ns
        if order.time_in_force is TimeInForce.DAY:
            expire_ns = self._next_midnight(ts)
        working = _Working(order, instrument, self._seq, expire_ns)
        if self._queue and order.order_type is OrderType.LIMIT:
            # The queue is measured now, at arrival: the cache holds the book the order meets.
            self._observe_queue(working, None)
        self._working.setdefault(order.instrument_id, []).append(working)
        self._by_id[order.client_order_id] = working
        self._emit(order_event(OrderAccepted, order, ts, venue_order_id=working.venue_order_id))
        return working

    def _match_on_arrival(self, working: _Working, now_ns: int) -> None:
        # The kernel caches data after the venue saw it, so the cache holds the current book.
        iid = working.order.instrument_id
        quote = self._cache.quotes.get(iid)
        bar = self._cache.bars.get(iid)
        if quote is not None and (bar is None or quote.ts_event >= bar.ts_event):
            self._match_quote(quote, [working], resting=False, ts=now_ns)
            return
        if quote is None and bar is None:
            # No book (a trades-only feed): the order rests and later prints may fill it.
            self._finish_pass([working], now_ns)
            return
        if (
            bar is not None
            and self.bar_fill.market_fill == "close"
            and working.order.order_type is OrderType.MARKET
            and bar.ts_event == now_ns
        ):
            # The bar's volume cap covers this fill too, shared with orders matched on the bar.
            available = self._bar_volume(bar)
            qty = self._capped(working, available)
            fok = working.order.time_in_force is TimeInForce.FOK
            if qty > 0 and not (fok and qty < working.leaves):
                self._bar_volume_left[iid] = (bar.ts_event, available - qty)
                self._fill(working, qty, bar.close, now_ns, LiquiditySide.TAKER, slip=True)
            self._finish_pass([working], now_ns)

    def _bar_volume(self, bar: Bar) -> float:
        """Volume our orders may still take in ``bar``."""
        left = self._bar_volume_left.get(bar.instrument_id)
        if left is not None and left[0] == bar.ts_event:
            return left[1]
        cap = self.bar_fill.max_volume_participation
        return math.inf if cap is None else bar.volume * cap

    def _apply_cancel(self, command: CancelOrder, ts: int) -> None:
        working = self._by_id.get(command.client_order_id)
        if working is None:
            order = self._cache.orders.get(command.client_order_id)
            if order is not None:
                self._emit(order_event(OrderCancelRejected, order, ts, reason="order not working"))
            return
        self._remove(working)
        self._emit(order_event(OrderCanceled, working.order, ts))

    # ---- expiry -----------------------------------------------------------------------------
    def _next_midnight(self, ts: int) -> int:
        local = datetime.fromtimestamp(ts / 1e9, tz=UTC).astimezone(self._tz)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), self._tz)
        return int(midnight.timestamp()) * 1_000_000_000

    def _expire(
        self, now_ns: int, only: list[_Working] | None = None, *, bar_close: bool = False
    ) -> None:
        """Expire orders whose time has come. A bar closing at ``now_ns`` still belongs to an
        order expiring exactly then (``bar_close``); the event carries the expiry time."""
        candidates = only if only is not None else list(self._by_id.values())
        for working in candidates:
            expire_ns = working.expire_ns
            if expire_ns is None:
                continue
            if now_ns > expire_ns or (now_ns == expire_ns and not bar_close):
                self._remove(working)
                event = order_event(OrderExpired, working.order, expire_ns)
                self._emit(msgspec.structs.replace(event, ts_init=now_ns))

    # ---- matching: bars -----------------------------------------------------------------------
    def _match_bar(self, bar: Bar, working: list[_Working]) -> None:
        ts = bar.ts_event
        self._expire(ts, list(working), bar_close=True)
        path = self.bar_fill.path(bar.open, bar.high, bar.low, bar.close)
        available = self._bar_volume(bar)
        passed: list[_Working] = []
        self._matching_bar = bar
        for w in sorted(working, key=lambda x: x.seq):
            if w.order.client_order_id not in self._by_id:
                continue
            passed.append(w)
            price, liquidity = self._bar_fill_price(w, path, ts)
            if price is None:
                continue
            qty = self._capped(w, available)
            if w.order.time_in_force is TimeInForce.FOK and qty < w.leaves:
                continue
            if qty > 0:
                available -= qty
                # Orders with a limit price (limit, stop-limit) never fill past it: no slippage.
                slip = liquidity is LiquiditySide.TAKER and w.order.price is None
                self._fill(w, qty, price, ts, liquidity, slip=slip)
        self._bar_volume_left[bar.instrument_id] = (ts, available)
        self._finish_pass(passed, ts)

    def _bar_fill_price(
        self, w: _Working, path: tuple[float, ...], ts: int
    ) -> tuple[float | None, LiquiditySide]:
        order = w.order
        buy = order.side is _BUY
        kind = order.order_type
        open_ = path[0]
        if kind is OrderType.MARKET:
            return open_, LiquiditySide.TAKER
        if kind is OrderType.LIMIT:
            return _limit_on_path(buy, order.price, path), LiquiditySide.MAKER  # type: ignore[arg-type]
        trigger = order.trigger_price
        assert trigger is not None
        if kind is OrderType.STOP_MARKET:
            if buy:
                if open_ >= trigger:
                    return open_, LiquiditySide.TAKER
                return (trigger if max(path) >= trigger else None), LiquiditySide.TAKER
            if open_ <= trigger:
                return open_, LiquiditySide.TAKER
            return (trigger if min(path) <= trigger else None), LiquiditySide.TAKER
        # STOP_LIMIT: find where the trigger is hit, then the limit on the rest of the path.
        limit = order.price
        assert limit is not None
        if w.triggered:
            return _limit_on_path(buy, limit, path), LiquiditySide.MAKER
        for i, point in enumerate(path):
            start = path[i - 1] if i else point
            hit = (point >= trigger) if buy else (point <= trigger)
            if hit:
                at = point if i == 0 else trigger
                w.triggered = True
                self._emit(order_event(OrderTriggered, order, ts))
                del start
                rest = (at, *path[i + 1 :])
                return _limit_on_path(buy, limit, rest), LiquiditySide.TAKER
        return None, LiquiditySide.MAKER

    # ---- matching: quotes and trades --------------------------------------------------------
    def _match_quote(
        self, quote: QuoteTick, working: list[_Working], *, resting: bool, ts: int | None = None
    ) -> None:
        # ``ts``: when matching happens, if later than the quote (an order arriving meanwhile).
        ts = quote.ts_event if ts is None else ts
        self._expire(ts, list(working))
        passed: list[_Working] = []
        for w in sorted(working, key=lambda x: x.seq):
            if w.order.client_order_id not in self._by_id:
                continue
            passed.append(w)
            order = w.order
            buy = order.side is _BUY
            touch = quote.ask_price if buy else quote.bid_price
            kind = order.order_type
            if kind in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT) and not w.triggered:
                trigger = order.trigger_price
                assert trigger is not None
                if not ((touch >= trigger) if buy else (touch <= trigger)):
                    continue
                if kind is OrderType.STOP_MARKET:
                    self._fill_all(w, touch, ts, LiquiditySide.TAKER, slip=True)
                    continue
                w.triggered = True
                self._emit(order_event(OrderTriggered, order, ts))
                resting_now = False
            else:
                resting_now = resting and w.first_pass_done
            if kind is OrderType.MARKET:
                self._fill_all(w, touch, ts, LiquiditySide.TAKER, slip=True)
            elif kind in (OrderType.LIMIT, OrderType.STOP_LIMIT):
                limit = order.price
                assert limit is not None
                if (touch <= limit) if buy else (touch >= limit):
                    if resting_now:
                        self._fill_all(w, limit, ts, LiquiditySide.MAKER, slip=False)
                    else:
                        self._fill_all(w, touch, ts, LiquiditySide.TAKER, slip=False)
                elif self._queue:
                    self._observe_queue(w, quote)
        self._finish_pass(passed, ts)

    def _match_trade(self, trade: TradeTick, working: list[_Working]) -> None:
        ts = trade.ts_event
        self._expire(ts, list(working))
        price = trade.price
        queue = self._queue
        # Volume of this print our earlier orders took, per side (queue model only).
        taken = {True: 0.0, False: 0.0}
        for w in sorted(working, key=lambda x: x.seq):
            if w.order.client_order_id not in self._by_id or not w.first_pass_done:
                continue
            order = w.order
            buy = order.side is _BUY
            kind = order.order_type
            if kind in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT) and not w.triggered:
                trigger = order.trigger_price
                assert trigger is not None
                if not ((price >= trigger) if buy else (price <= trigger)):
                    continue
                if kind is OrderType.STOP_MARKET:
                    self._fill_all(w, price, ts, LiquiditySide.TAKER, slip=True)
                    continue
                w.triggered = True
                self._emit(order_event(OrderTriggered, order, ts))
                if queue:
                    self._observe_queue(w, None)
                continue
            if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT):
                limit = order.price
                assert limit is not None
                if (price < limit) if buy else (price > limit):
                    self._fill_all(w, limit, ts, LiquiditySide.MAKER, slip=False)
                elif queue:
                    # The book may have changed since the last quote (L2 deltas reach the venue
                    # only through the cache), so look at the level before the print consumes it.
                    self._observe_queue(w, None)
                    if abs(price - limit) < w.instrument.tick_size / 2.0 and (
                        trade.aggressor_side in (_HITS_BIDS if buy else _LIFTS_ASKS)
                    ):
                        taken[buy] += self._consume_queue(w, trade.size - taken[buy], limit, ts)

    # ---- queue position ---------------------------------------------------------------------
    def _observe_queue(self, w: _Working, quote: QuoteTick | None) -> None:
        """Join the queue at the displayed size, or clamp the volume ahead to it (a decrease is
        assumed to come from behind unless the level shows less than is ahead of us)."""
        iid = w.order.instrument_id
        price = w.order.price
        assert price is not None
        displayed = displayed_size(
            self._cache.books.get(iid),
            quote if quote is not None else self._cache.quotes.get(iid),
            w.order.side is _BUY,
            price,
            w.instrument.tick_size,
        )
        ahead = w.queue_ahead
        if ahead is None:
            w.queue_ahead = math.inf if displayed is None else displayed
        elif displayed is not None and displayed < ahead:
            w.queue_ahead = displayed

    def _consume_queue(self, w: _Working, volume: float, limit: float, ts: int) -> float:
        """Let ``volume`` traded at ``w``'s price pass the queue ahead, fill ``w`` with the rest
        (whole lots, at most its leaves quantity) and return the quantity filled."""
        ahead = w.queue_ahead
        assert ahead is not None
        if volume <= ahead:
            w.queue_ahead = round(ahead - volume, w.instrument.size_precision)
            return 0.0
        w.queue_ahead = 0.0
        qty = self._capped(w, volume - ahead)
        if qty > 0:
            self._fill(w, qty, limit, ts, LiquiditySide.MAKER, slip=False)
        return qty

    def queue_position(self, client_order_id: ClientOrderId) -> float | None:
        """Volume displayed ahead of a working limit order at its price.

        Parameters
        ----------
        client_order_id : ClientOrderId
            The order.

        Returns
        -------
        float or None
            The volume (``math.inf`` while the size at its price is unknown: only a trade
            through it or the touch reaching it fills it then); None if the order is not working
            here, not in a queue (a market order, an untriggered stop), or the venue's
            ``queue_position`` option is off.
        """
        working = self._by_id.get(client_order_id)
        return None if working is None else working.queue_ahead

    # ---- fills ------------------------------------------------------------------------------
    def _capped(self, w: _Working, available: float) -> float:
        if available >= w.leaves:
            return w.leaves
        lot = w.instrument.lot_size
        lots = math.floor(round(max(available, 0.0) / lot, 9))
        return round(lots * lot, w.instrument.size_precision)

    def _fill_all(
        self, w: _Working, price: float, ts: int, liquidity: LiquiditySide, *, slip: bool
    ) -> None:
        self._fill(w, w.leaves, price, ts, liquidity, slip=slip)

    def _fill(
        self,
        w: _Working,
        qty: float,
        price: float,
        ts: int,
        liquidity: LiquiditySide,
        *,
        slip: bool,
    ) -> None:
        order = w.order
        instrument = w.instrument
        if slip:
            fixed = self._fixed_slippage
            if fixed is not None:
                price = fixed.apply(instrument, order.side, price)
            else:
                price = self._impacted(w, qty, price, ts)
        price = instrument.make_price(price)
        w.leaves = round(w.leaves - qty, instrument.size_precision)
        if w.leaves <= 0:
            self._remove(w)
        self._trade_seq += 1
        self.fill_count += 1
        self._emit(
            order_event(
                OrderFilled,
                order,
                ts,
                venue_order_id=w.venue_order_id,
                trade_id=TradeId(f"{self.venue}-T{self._trade_seq}"),
                side=order.side,
                last_qty=qty,
                last_px=price,
                commission=self._commission(w, qty, price, liquidity),
                liquidity_side=liquidity,
            )
        )

    def _impacted(self, w: _Working, qty: float, price: float, ts: int) -> float:
        """The impact model's fill price for a taker fill of ``qty`` at ``price`` (see
        `ImpactSlippage` for where its inputs come from); accumulate its permanent shift."""
        impact = self._impact
        assert impact is not None
        iid = w.order.instrument_id
        bar = self._cache.bars.get(iid)
        if bar is None and self._matching_bar is not None:
            # No earlier bar: fall back on the bar being matched.
            bar = self._matching_bar if self._matching_bar.instrument_id == iid else None
        quote = self._cache.quotes.get(iid)
        volume = bar.volume if bar is not None else math.nan
        volatility = range_volatility(bar.high, bar.low) if bar is not None else math.nan
        # A fill priced off a quote already paid the spread at the touch: no spread to add.
        spread = (
            0.0
            if quote is not None and (bar is None or quote.ts_event >= bar.ts_event)
            else math.nan
        )
        offset = 0.0
        last = self._impact_offsets.get(iid)
        if last is not None:
            offset = impact.decay(last[1], ts - last[0])
        filled, shift = impact.fill_price(
            w.instrument,
            w.order.side,
            qty,
            price + offset,
            volatility=volatility,
            volume=volume,
            spread=spread,
        )
        if shift or last is not None:
            self._impact_offsets[iid] = (ts, offset + shift)
        return filled

    def impact_offset(self, instrument_id: InstrumentId) -> float:
        """The permanent impact offset our fills have left in ``instrument_id``'s price (as of
        the last fill; 0 without an impact model)."""
        last = self._impact_offsets.get(instrument_id)
        return 0.0 if last is None else last[1]

    def _commission(self, w: _Working, qty: float, price: float, liquidity: LiquiditySide) -> float:
        """Fee of this fill: the fee of the order's fills so far minus what was charged, so a
        minimum applies once per order rather than once per partial fill (per liquidity side
        with maker/taker fees)."""
        w.filled_qty += qty
        w.filled_value += qty * price
        if self._fees_by_side:
            return self._commission_by_side(w, qty, price, liquidity)
        total = self.fee_model.commission(w.instrument, w.filled_qty, w.filled_value / w.filled_qty)
        fee = round(total - w.fees_charged, w.instrument.currency.precision)
        w.fees_charged += fee
        return fee

    def _commission_by_side(
        self, w: _Working, qty: float, price: float, liquidity: LiquiditySide
    ) -> float:
        sides = w.filled_by_side
        if sides is None:
            sides = w.filled_by_side = {}
        side_qty, side_value = sides.get(liquidity, (0.0, 0.0))
        side_qty += qty
        side_value += qty * price
        sides[liquidity] = (side_qty, side_value)
        total = 0.0
        for side, (filled, value) in sides.items():
            total += self.fee_model.commission(w.instrument, filled, value / filled, side)
        fee = round(total - w.fees_charged, w.instrument.currency.precision)
        w.fees_charged += fee
        return fee

    def _finish_pass(self, passed: list[_Working], ts: int) -> None:
        """After an order's first chance to match, cancel what IOC/FOK left."""
        for w in passed:
            w.first_pass_done = True
            tif = w.order.time_in_force
            if (tif is TimeInForce.IOC or tif is TimeInForce.FOK) and (
                w.order.client_order_id in self._by_id
            ):
                self._remove(w)
                self._emit(order_event(OrderCanceled, w.order, ts))

    def _remove(self, w: _Working) -> None:
        self._by_id.pop(w.order.client_order_id, None)
        working = self._working.get(w.order.instrument_id)
        if working is not None and w in working:
            working.remove(w)
            if not working:
                del self._working[w.order.instrument_id]

    def open_order_count(self) -> int:
        """Orders working at the venue."""
        return len(self._by_id)


def _limit_on_path(buy: bool, limit: float, path: tuple[float, ...]) -> float | None:
    """Fill price of a limit order along ``path``: the first point if it is already through
    the limit, else the limit itself if any later point reaches it."""
    first = path[0]
    if (first <= limit) if buy else (first >= limit):
        return first
    if buy:
        return limit if min(path) <= limit else None
    return limit if max(path) >= limit else None

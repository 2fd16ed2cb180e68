"""Avellaneda-Stoikov market making: one bid and one ask around an inventory-skewed reservation
price, refreshed by cancel/replace, capped by an inventory limit and switched off when fills turn
out to be adversely selected.

Model (Avellaneda & Stoikov 2008, "High-frequency trading in a limit order book"), with
``s`` the mid, ``q`` the inventory in quotes (position / ``order_quantity``), ``sigma`` the mid's
volatility and ``tau`` the time scale::

    reservation price   r      = s - q * gamma * sigma**2 * tau
    optimal spread      delta  = gamma * sigma**2 * tau + (2 / gamma) * ln(1 + gamma / kappa)
    quotes              bid    = r - delta / 2,   ask = r + delta / 2

Units, all explicit:

- ``sigma`` is in price units per square root of a second (absolute, not log returns): the
  realized variance of the mid, ``sum(dm**2) / sum(dt)`` over the last ``volatility_window``
  quote-to-quote mid changes ``dm`` taken ``dt`` seconds apart, or the fixed ``volatility``.
- ``tau`` is ``horizon_seconds``, held constant: the infinite-horizon variant with a fixed time
  scale rather than a session end that makes quotes collapse as it approaches.
- ``gamma`` (risk aversion) and ``kappa`` (decay of fill intensity with distance from the mid)
  are per price unit (1/$ for a dollar-priced instrument); ``q`` is dimensionless.

Execution rules:

- Prices go to the instrument's tick away from the reservation price (the bid down, the ask up,
  so quotes are never tighter than the model), then apart to at least ``min_spread_ticks``.
  Post-only: a bid at or above the best ask is pulled back to the best bid, an ask at or below the
  best bid to the best ask. The venue has no post-only flag, so a quote the market moves through
  while it is in flight can still fill as a taker on arrival.
- At most one open buy and one open sell quote at any time, in flight or pending cancel
  included: a refresh cancels the working quote and places the new one only once the venue
  confirmed the cancel (one latency without that side in exchange for the invariant).
- A side is refreshed when its target moved ``refresh_threshold_ticks`` from the working price
  (a mid move or an inventory change moves it), or when it is ``refresh_seconds`` old and the
  target differs. The strategy acts on quotes and trades; order events only update its state.
- Inventory limit: a quote's size is ``order_quantity`` cut to the room left, ``max_inventory``
  minus the position minus open orders on that side, so ``|position| <= max_inventory`` holds
  whatever fills; with no room the side is not quoted.
- Adverse-selection kill: each quote fill's markout, ``side * (mid(t + markout_seconds) -
  fill price)`` in ticks (``side`` +1 buy, -1 sell; positive when the fill earned money, the
  half-spread included), enters a quantity-weighted rolling average over the last
  ``markout_window`` fills of its side. Sides are kept apart because in a trend the side the
  informed flow trades against loses while the other side gains, and a pooled average hides it.
  When a full window of either side averages below ``kill_markout_ticks`` the strategy cancels
  its quotes, flattens the position with a market order if ``flatten_on_kill`` (after the
  cancels are confirmed, since they may still fill), logs a warning and stops quoting for
  ``kill_cooldown_seconds`` (or until `resume_quoting` when that is None); resuming empties the
  markout windows.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from pydantic import Field, model_validator

from midfreq.infra.logging import get_logger
from midfreq.model.data import QuoteTick, TradeTick
from midfreq.model.enums import OrderSide, OrderType
from midfreq.model.events import OrderEvent, OrderFilled
from midfreq.model.identifiers import ClientOrderId, InstrumentId
from midfreq.model.instruments import Instrument
from midfreq.model.orders import Order
from midfreq.strategies.base import BaseStrategy, OrderRouter
from midfreq.strategies.config import StrategyConfig

_NANOS = 1_000_000_000
_EPSILON = 1e-9  # slack, in ticks, for prices that are on the grid up to float noise


def avellaneda_stoikov(
    mid: float, inventory: float, gamma: float, kappa: float, sigma: float, tau: float
) -> tuple[float, float]:
    """Return the reservation price and the optimal total spread.

    Parameters
    ----------
    mid : float
        Mid price ``s``.
    inventory : float
        Inventory ``q`` in quote units (positive long).
    gamma, kappa : float
        Risk aversion and order-book liquidity, per price unit, > 0.
    sigma : float
        Volatility of the mid, price units per square root of the time unit of ``tau``.
    tau : float
        Time scale ``T - t``.

    Returns
    -------
    tuple of float
        ``(s - q*gamma*sigma**2*tau, gamma*sigma**2*tau + (2/gamma)*ln(1 + gamma/kappa))``.

    Examples
    --------
    >>> r, spread = avellaneda_stoikov(100.0, 2.0, 0.1, 1.5, 2.0, 1.0)
    >>> round(r, 6), round(spread, 6)
    (99.2, 1.69077)
    """
    inventory_risk = gamma * sigma * sigma * tau
    return mid - inventory * inventory_risk, inventory_risk + (2.0 / gamma) * math.log1p(
        gamma / kappa
    )


class MarketMakingConfig(StrategyConfig):
    """Settings of `MarketMakingStrategy` (units in the module docstring).

    Attributes
    ----------
    gamma : float
        Risk aversion, per price unit, > 0.
    kappa : float
        Order-book liquidity (fill intensity decay), per price unit, > 0.
    volatility : float or None
        Fixed ``sigma`` in price units per sqrt(second); None estimates it from the mid.
    volatility_window : int
        Quote-to-quote mid changes in the realized-volatility estimate; no quotes before it is
        full (unless ``volatility`` is set).
    horizon_seconds : float
        The constant time scale ``tau``.
    max_inventory : float
        Largest absolute position, >= ``order_quantity``.
    min_spread_ticks : int
        Smallest distance between our bid and ask, in ticks, >= 1.
    refresh_threshold_ticks : int
        Cancel/replace a side whose target moved this many ticks from its working price.
    refresh_seconds : float
        Cancel/replace a side this old whose target differs from its working price at all.
    markout_seconds : float
        Horizon of a fill's markout.
    markout_window : int
        Fills per side in the rolling average markout.
    kill_markout_ticks : float
        Stop quoting when either side's rolling average markout (ticks, positive is good) is
        below this.
    kill_cooldown_seconds : float or None
        How long quoting stays off after a kill; None until `resume_quoting`.
    flatten_on_kill : bool
        Close the position with a market order when the kill engages.
    """

    gamma: float = Field(default=0.1, gt=0, allow_inf_nan=False)
    kappa: float = Field(default=100.0, gt=0, allow_inf_nan=False)
    volatility: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    volatility_window: int = Field(default=100, ge=2)
    horizon_seconds: float = Field(default=60.0, gt=0, allow_inf_nan=False)
    max_inventory: float = Field(default=500.0, gt=0, allow_inf_nan=False)
    min_spread_ticks: int = Field(default=1, ge=1)
    refresh_threshold_ticks: int = Field(default=1, ge=1)
    refresh_seconds: float = Field(default=5.0, gt=0, allow_inf_nan=False)
    markout_seconds: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    markout_window: int = Field(default=20, ge=1)
    kill_markout_ticks: float = Field(default=-1.0, allow_inf_nan=False)
    kill_cooldown_seconds: float | None = Field(default=60.0, gt=0, allow_inf_nan=False)
    flatten_on_kill: bool = True

    @model_validator(mode="after")
    def _quote_fits_limit(self) -> Self:
        if self.order_quantity > self.max_inventory:
            raise ValueError(
                f"order_quantity: expected at most max_inventory ({self.max_inventory}), "
                f"was {self.order_quantity}"
            )
        return self


@dataclass(slots=True)
class _Fill:
    """A quote fill waiting for its markout."""

    due_ns: int
    sign: int
    quantity: float
    price: float


@dataclass(slots=True)
class _Market:
    """Per-instrument state: working quotes, inventory, estimates and the kill switch."""

    instrument: Instrument
    volatility_window: int
    markout_window: int
    bid: Order | None = None
    ask: Order | None = None
    canceling: set[ClientOrderId] = field(default_factory=set)
    placed_ns: dict[ClientOrderId, int] = field(default_factory=dict)
    flatten: Order | None = None
    inventory: float = 0.0
    quote: QuoteTick | None = None
    mid: float | None = None
    # The last sample of the volatility estimate (the first mid seen at each timestamp).
    sample_mid: float | None = None
    sample_ns: int = 0
    # Realized variance: (dm**2, dt seconds) per mid update, with running sums.
    variance_terms: deque[tuple[float, float]] = field(default_factory=deque)
    sum_squares: float = 0.0
    sum_seconds: float = 0.0
    pending: deque[_Fill] = field(default_factory=deque)
    # Rolling markouts of buy and sell fills: (quantity, quantity * markout in ticks).
    markouts: dict[int, deque[tuple[float, float]]] = field(
        default_factory=lambda: {1: deque(), -1: deque()}
    )
    killed: bool = False
    killed_until_ns: int | None = None
    kill_count: int = 0
    spread_capture: float = 0.0
    fees: float = 0.0
    max_abs_inventory: float = 0.0

    def update_mid(self, mid: float, ts: int) -> None:
        self.mid = mid
        if self.sample_mid is not None and ts <= self.sample_ns:
            return
        if self.sample_mid is not None:
            term = ((mid - self.sample_mid) ** 2, (ts - self.sample_ns) / _NANOS)
            self.variance_terms.append(term)
            self.sum_squares += term[0]
            self.sum_seconds += term[1]
            if len(self.variance_terms) > self.volatility_window:
                old_squares, old_seconds = self.variance_terms.popleft()
                self.sum_squares -= old_squares
                self.sum_seconds -= old_seconds
        self.sample_mid = mid
        self.sample_ns = ts

    def volatility(self) -> float | None:
        if len(self.variance_terms) < self.volatility_window or self.sum_seconds <= 0:
            return None
        return math.sqrt(max(self.sum_squares, 0.0) / self.sum_seconds)

    def average_markout(self, sign: int) -> float | None:
        window = self.markouts[sign]
        quantity = sum(q for q, _ in window)
        return None if quantity <= 0 else sum(v for _, v in window) / quantity


class MarketMakingStrategy(BaseStrategy):
    """Quote a bid and an ask by Avellaneda-Stoikov; see the module docstring for the rules.

    Config: ``gamma`` (0.1), ``kappa`` (100), ``volatility`` (None: estimated),
    ``volatility_window`` (100), ``horizon_seconds`` (60), ``order_quantity`` (100, per quote),
    ``max_inventory`` (500), ``min_spread_ticks`` (1), ``refresh_threshold_ticks`` (1),
    ``refresh_seconds`` (5), ``markout_seconds`` (1), ``markout_window`` (20),
    ``kill_markout_ticks`` (-1), ``kill_cooldown_seconds`` (60; None: until `resume_quoting`),
    ``flatten_on_kill`` (true).
    """

    name = "market_making"
    config_class = MarketMakingConfig
    params: MarketMakingConfig
    keeps_price_history = False

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        order_router: OrderRouter | None = None,
        risk_manager: Any | None = None,
    ) -> None:
        super().__init__(config, order_router, risk_manager)
        p = self.params
        self.gamma = p.gamma
        self.kappa = p.kappa
        self.horizon_seconds = p.horizon_seconds
        self.max_inventory = p.max_inventory
        self._markets: dict[InstrumentId, _Market] = {}
        self._log = get_logger("strategies.market_making", strategy_id=str(self.strategy_id))

    # ---- read-only views ------------------------------------------------------------------
    def working_quotes(self, symbol: str | InstrumentId) -> tuple[Order | None, Order | None]:
        """The open bid and ask orders (in flight and pending cancel included)."""
        market = self._markets.get(self.instrument_id(symbol))
        return (None, None) if market is None else (market.bid, market.ask)

    def inventory(self, symbol: str | InstrumentId) -> float:
        """Signed position built from this strategy's fills."""
        market = self._markets.get(self.instrument_id(symbol))
        return 0.0 if market is None else market.inventory

    def volatility(self, symbol: str | InstrumentId) -> float | None:
        """``sigma`` in use, price units per sqrt(second); None while the estimate warms up."""
        if self.params.volatility is not None:
            return self.params.volatility
        market = self._markets.get(self.instrument_id(symbol))
        return None if market is None else market.volatility()

    def average_markout(self, symbol: str | InstrumentId, side: OrderSide) -> float | None:
        """Quantity-weighted rolling markout of recent quote fills on ``side``, in ticks
        (positive earned); None before the first markout."""
        market = self._markets.get(self.instrument_id(symbol))
        return None if market is None else market.average_markout(side.sign)

    def is_killed(self, symbol: str | InstrumentId) -> bool:
        """Whether quoting is off after an adverse-selection kill."""
        market = self._markets.get(self.instrument_id(symbol))
        return market is not None and market.killed

    def kill_count(self, symbol: str | InstrumentId) -> int:
        """How many times the kill switch engaged."""
        market = self._markets.get(self.instrument_id(symbol))
        return 0 if market is None else market.kill_count

    def pnl_breakdown(self, symbol: str | InstrumentId) -> dict[str, float]:
        """Spread capture, fees and the largest absolute inventory reached.

        ``spread_capture`` sums ``side * (mid - price) * quantity * multiplier`` over every fill,
        with the mid last seen before the fill; net P&L minus spread capture plus fees is what
        holding inventory made or lost as the mid moved.
        """
        market = self._markets.get(self.instrument_id(symbol))
        if market is None:
            return {"spread_capture": 0.0, "fees": 0.0, "max_abs_inventory": 0.0}
        return {
            "spread_capture": market.spread_capture,
            "fees": market.fees,
            "max_abs_inventory": market.max_abs_inventory,
        }

    def resume_quoting(self, symbol: str | InstrumentId) -> None:
        """Switch quoting back on after a kill, with an empty markout window."""
        market = self._markets.get(self.instrument_id(symbol))
        if market is not None and market.killed:
            market.killed = False
            market.killed_until_ns = None
            market.pending.clear()
            for window in market.markouts.values():
                window.clear()
            self._log.info("quoting resumed", instrument=str(market.instrument.id))

    # ---- hooks ----------------------------------------------------------------------------
    def on_quote(self, quote: QuoteTick) -> None:
        """Settle markouts, update the volatility estimate and refresh the quotes."""
        market = self._market(quote.instrument_id)
        ts = quote.ts_event
        # Markouts due before this quote saw the previous mid; those due now see the new one.
        self._settle_markouts(market, ts - 1)
        market.quote = quote
        market.update_mid((quote.bid_price + quote.ask_price) / 2.0, ts)
        self._settle_markouts(market, ts)
        self._act(market, ts)

    def on_trade(self, trade: TradeTick) -> None:
        """Settle markouts due by now and act on fills the print caused."""
        market = self._market(trade.instrument_id)
        self._settle_markouts(market, trade.ts_event)
        self._act(market, trade.ts_event)

    def on_order_event(self, event: OrderEvent) -> None:
        """Track fills and free a side's slot once its order is closed."""
        market = self._markets.get(event.instrument_id)
        if market is None:
            return
        if type(event) is OrderFilled:
            self._on_fill(market, event)
        order_id = event.client_order_id
        for order in (market.bid, market.ask, market.flatten):
            if order is not None and order.client_order_id == order_id and order.is_closed:
                market.canceling.discard(order_id)
                market.placed_ns.pop(order_id, None)
                if order is market.bid:
                    market.bid = None
                elif order is market.ask:
                    market.ask = None
                else:
                    market.flatten = None

    # ---- state ----------------------------------------------------------------------------
    def _market(self, iid: InstrumentId) -> _Market:
        market = self._markets.get(iid)
        if market is None:
            assert self.cache is not None
            market = self._markets[iid] = _Market(
                self.cache.instrument(iid),
                self.params.volatility_window,
                self.params.markout_window,
            )
        return market

    def _on_fill(self, market: _Market, fill: OrderFilled) -> None:
        sign = fill.side.sign
        market.inventory = round(
            market.inventory + sign * fill.last_qty, market.instrument.size_precision
        )
        market.max_abs_inventory = max(market.max_abs_inventory, abs(market.inventory))
        market.fees += fill.commission
        if market.mid is not None:
            edge = sign * (market.mid - fill.last_px) * fill.last_qty
            market.spread_capture += edge * market.instrument.multiplier
        is_quote = (
            market.bid is not None and fill.client_order_id == market.bid.client_order_id
        ) or (market.ask is not None and fill.client_order_id == market.ask.client_order_id)
        if is_quote:
            due = fill.ts_event + int(self.params.markout_seconds * _NANOS)
            market.pending.append(_Fill(due, sign, fill.last_qty, fill.last_px))

    def _settle_markouts(self, market: _Market, now_ns: int) -> None:
        pending = market.pending
        if not pending or market.mid is None or pending[0].due_ns > now_ns:
            return
        tick = market.instrument.tick_size
        while pending and pending[0].due_ns <= now_ns:
            fill = pending.popleft()
            markout = fill.sign * (market.mid - fill.price) / tick
            window = market.markouts[fill.sign]
            window.append((fill.quantity, fill.quantity * markout))
            if len(window) > market.markout_window:
                window.popleft()
        if market.killed:
            return
        for sign in (1, -1):
            if len(market.markouts[sign]) < market.markout_window:
                continue
            average = market.average_markout(sign)
            if average is not None and average < self.params.kill_markout_ticks:
                self._kill(market, now_ns, OrderSide.BUY if sign > 0 else OrderSide.SELL, average)
                return

    def _kill(self, market: _Market, now_ns: int, side: OrderSide, average: float) -> None:
        cooldown = self.params.kill_cooldown_seconds
        market.killed = True
        market.kill_count += 1
        market.killed_until_ns = None if cooldown is None else now_ns + int(cooldown * _NANOS)
        for order in (market.bid, market.ask):
            if order is not None:
                self._cancel(market, order)
        self._log.warning(
            "adverse selection: quoting stopped",
            instrument=str(market.instrument.id),
            side=side.value,
            average_markout_ticks=round(average, 4),
            threshold_ticks=self.params.kill_markout_ticks,
            inventory=market.inventory,
            cooldown_seconds=cooldown,
        )

    # ---- quoting --------------------------------------------------------------------------
    def _act(self, market: _Market, now_ns: int) -> None:
        if market.killed:
            until = market.killed_until_ns
            if until is None or now_ns < until:
                self._flatten_if_killed(market)
                return
            self.resume_quoting(market.instrument.id)
        quote = market.quote
        sigma = self.params.volatility
        if sigma is None:
            sigma = market.volatility()
        if quote is None or sigma is None or market.flatten is not None:
            return
        if not 0 < quote.bid_price < quote.ask_price:
            return  # a locked, crossed or one-sided book: keep what is working, place nothing
        bid_price, ask_price = self.quote_prices(market.instrument, quote, market.inventory, sigma)
        self._maintain(market, OrderSide.BUY, bid_price, now_ns)
        self._maintain(market, OrderSide.SELL, ask_price, now_ns)

    def quote_prices(
        self, instrument: Instrument, quote: QuoteTick, inventory: float, sigma: float
    ) -> tuple[float, float]:
        """Bid and ask for ``quote`` holding ``inventory``, on the tick grid and post-only.

        Parameters
        ----------
        instrument : Instrument
            Gives the tick.
        quote : QuoteTick
            The market: its mid is ``s``; its touch bounds the post-only adjustment.
        inventory : float
            Signed position (divided by ``order_quantity`` to give ``q``).
        sigma : float
            Volatility, price units per sqrt(second).

        Returns
        -------
        tuple of float
            ``(bid, ask)`` with ``bid < ask``.
        """
        tick = instrument.tick_size
        mid = (quote.bid_price + quote.ask_price) / 2.0
        q = inventory / self.order_quantity
        reservation, spread = avellaneda_stoikov(
            mid, q, self.gamma, self.kappa, sigma, self.horizon_seconds
        )
        half = max(spread / 2.0, self.params.min_spread_ticks * tick / 2.0)
        bid_ticks = math.floor((reservation - half) / tick + _EPSILON)
        ask_ticks = math.ceil((reservation + half) / tick - _EPSILON)
        if ask_ticks - bid_ticks < self.params.min_spread_ticks:  # rounding took both in
            ask_ticks = bid_ticks + self.params.min_spread_ticks
        precision = instrument.price_precision
        bid = round(bid_ticks * tick, precision)
        ask = round(ask_ticks * tick, precision)
        if bid >= quote.ask_price - tick * _EPSILON:
            bid = quote.bid_price
        if ask <= quote.bid_price + tick * _EPSILON:
            ask = quote.ask_price
        return bid, ask

    def _room(self, market: _Market, side: OrderSide) -> float:
        assert self.cache is not None
        open_same_side = sum(
            o.leaves_qty
            for o in self.cache.orders_open(self.strategy_id, market.instrument.id)
            if o.side is side
        )
        return self.max_inventory - side.sign * market.inventory - open_same_side

    def _maintain(self, market: _Market, side: OrderSide, price: float, now_ns: int) -> None:
        working = market.bid if side is OrderSide.BUY else market.ask
        instrument = market.instrument
        if working is not None:
            if working.client_order_id in market.canceling:
                return  # the replacement goes out once the venue confirms the cancel
            assert working.price is not None
            moved_ticks = abs(price - working.price) / instrument.tick_size
            age_ns = now_ns - market.placed_ns.get(working.client_order_id, now_ns)
            if moved_ticks >= self.params.refresh_threshold_ticks - _EPSILON or (
                moved_ticks > _EPSILON and age_ns >= self.params.refresh_seconds * _NANOS
            ):
                self._cancel(market, working)
            return
        quantity = instrument.make_qty(min(self.order_quantity, self._room(market, side)))
        if quantity <= 0 or price <= 0:
            return
        order = self.make_order(
            instrument.id, side, quantity, order_type=OrderType.LIMIT, price=price
        )
        if side is OrderSide.BUY:
            market.bid = order
        else:
            market.ask = order
        market.placed_ns[order.client_order_id] = now_ns
        self.submit_order(order)

    def _cancel(self, market: _Market, order: Order) -> None:
        if order.client_order_id in market.canceling or order.is_closed:
            return
        market.canceling.add(order.client_order_id)
        self.cancel_order(order)

    def _flatten_if_killed(self, market: _Market) -> None:
        # Wait for the quotes' cancels to settle (they may still fill), then close what is left.
        if (
            not self.params.flatten_on_kill
            or market.flatten is not None
            or market.bid is not None
            or market.ask is not None
        ):
            return
        instrument = market.instrument
        quantity = instrument.make_qty(abs(market.inventory))
        if quantity <= 0:
            return
        side = OrderSide.SELL if market.inventory > 0 else OrderSide.BUY
        market.flatten = self.make_order(instrument.id, side, quantity, reduce_only=True)
        self.submit_order(market.flatten)

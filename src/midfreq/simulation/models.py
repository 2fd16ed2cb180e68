"""Simulation assumptions as small named models. Each has ``describe()`` so a backtest result
records exactly which assumptions produced it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from midfreq.model.enums import OrderSide
from midfreq.model.instruments import Instrument


class FeeModel(Protocol):
    """Commission for an order's fills. The venue asks for the fee of everything the order has
    filled so far and charges the difference, so minimums apply once per order."""

    def commission(self, instrument: Instrument, quantity: float, price: float) -> float:
        """Return the fee in the instrument's currency (rounded to the currency's minor unit)."""
        ...

    def describe(self) -> dict[str, Any]:
        """Name and parameters."""
        ...


def _round_money(amount: float, instrument: Instrument) -> float:
    return round(amount, instrument.currency.precision)


@dataclass(frozen=True, slots=True)
class NoFee:
    """No commission."""

    def commission(self, instrument: Instrument, quantity: float, price: float) -> float:
        return 0.0

    def describe(self) -> dict[str, Any]:
        return {"name": "none"}


@dataclass(frozen=True, slots=True)
class PerShareFee:
    """``rate`` per share, at least ``minimum`` per fill, at most ``maximum_fraction`` of value."""

    rate: float
    minimum: float = 0.0
    maximum_fraction: float | None = None

    def commission(self, instrument: Instrument, quantity: float, price: float) -> float:
        fee = max(quantity * self.rate, self.minimum)
        if self.maximum_fraction is not None:
            fee = min(fee, instrument.notional(quantity, price) * self.maximum_fraction)
        return _round_money(fee, instrument)

    def describe(self) -> dict[str, Any]:
        return {"name": "per_share", **asdict(self)}


@dataclass(frozen=True, slots=True)
class PerContractFee:
    """``rate`` per contract, at least ``minimum`` per fill."""

    rate: float
    minimum: float = 0.0

    def commission(self, instrument: Instrument, quantity: float, price: float) -> float:
        return _round_money(max(quantity * self.rate, self.minimum), instrument)

    def describe(self) -> dict[str, Any]:
        return {"name": "per_contract", **asdict(self)}


@dataclass(frozen=True, slots=True)
class BasisPointsFee:
    """``bps`` basis points of the fill's notional, at least ``minimum``."""

    bps: float
    minimum: float = 0.0

    def commission(self, instrument: Instrument, quantity: float, price: float) -> float:
        fee = instrument.notional(quantity, price) * self.bps / 10_000.0
        return _round_money(max(fee, self.minimum), instrument)

    def describe(self) -> dict[str, Any]:
        return {"name": "bps", **asdict(self)}


class SlippageModel(Protocol):
    """Price actually obtained by an order that takes liquidity."""

    def apply(self, instrument: Instrument, side: OrderSide, price: float) -> float:
        """Return the worsened price, on the instrument's tick grid."""
        ...

    def describe(self) -> dict[str, Any]:
        """Name and parameters."""
        ...


@dataclass(frozen=True, slots=True)
class FixedBpsSlippage:
    """Worsen taker fills by ``bps`` basis points, rounded away from the trader to a tick."""

    bps: float = 0.0

    def apply(self, instrument: Instrument, side: OrderSide, price: float) -> float:
        if self.bps == 0.0:
            return price
        raw = price * (1.0 + side.sign * self.bps / 10_000.0)
        ticks = raw / instrument.tick_size
        ticks = math.ceil(ticks - 1e-9) if side is OrderSide.BUY else math.floor(ticks + 1e-9)
        return round(max(ticks, 1) * instrument.tick_size, instrument.price_precision)

    def describe(self) -> dict[str, Any]:
        return {"name": "fixed_bps", "bps": self.bps}


@dataclass(frozen=True, slots=True)
class ConstantLatency:
    """Orders and cancels reach the venue ``nanos`` after they are sent."""

    nanos: int = 0

    def delay_ns(self) -> int:
        """Delay for one message."""
        return self.nanos

    def describe(self) -> dict[str, Any]:
        return {"name": "constant", "milliseconds": self.nanos / 1e6}


@dataclass(frozen=True, slots=True)
class BarFillModel:
    """How orders fill against bars.

    - Market orders fill at the next bar's open (``market_fill="next_open"``) or at the close of
      the bar during which they were sent (``"close"``).
    - Within a bar the price is assumed to travel open -> nearer extreme -> farther extreme ->
      close (when high and low are equally far from the open: open -> high -> low -> close).
      Limit orders fill at their price when the path reaches it (at the open if it opens
      through it); stop orders trigger when the path reaches the trigger and fill there (at
      the open on a gap), plus slippage; a stop-limit then needs the rest of the path to reach
      its limit.
    - ``max_volume_participation`` caps the share of a bar's volume all orders in that
      instrument may take in that bar; the rest stays working (partial fills).
    """

    market_fill: str = "next_open"
    max_volume_participation: float | None = None

    def describe(self) -> dict[str, Any]:
        return {"name": "bar_path", **asdict(self)}

    @staticmethod
    def path(open_: float, high: float, low: float, close: float) -> tuple[float, ...]:
        """The assumed intra-bar price path."""
        if high - open_ <= open_ - low:
            return (open_, high, low, close)
        return (open_, low, high, close)


@dataclass(frozen=True, slots=True)
class QuoteFillModel:
    """How orders fill against quotes and trades.

    Market orders and marketable limits take the touch (ask for buys, bid for sells) in full;
    resting limits fill at their price when the opposite touch reaches it, or when a trade
    prints through it (strictly better), which assumes we were not first in the queue at the
    price. Stops trigger on the touch (bid for sell stops, ask for buy stops) or on trades.

    With ``queue_position`` a resting limit also fills on trades *at* its price, but only with
    the volume beyond what was displayed ahead of it when it arrived:

    - On arrival (after latency) it joins behind the size displayed at its price on its side:
      the L2 book's level when the venue has a book for the instrument, else the latest quote's
      size when its price is the best, 0 when it improves on the best (a new level). Behind the
      best with no book the size is unknown: the queue is infinite until a quote shows the
      level's size (then it is clamped to it), so until then only a trade through or the touch
      crossing fills it. A stop-limit joins when it triggers.
    - A trade at its price whose aggressor is the other side (or unknown) first reduces the
      volume ahead; only what is left fills the order (partially, in lots, capped by its leaves
      quantity), at its limit as a maker. Several of our orders at one price share a print in
      arrival order.
    - A decrease of the displayed size is assumed to be cancellations behind us; the volume
      ahead only drops when the level shows less than it (it is clamped to the level's size).
      Increases join behind us.
    - A trade strictly through its price, or the opposite touch reaching it, fills the rest in
      full, as without the option.
    - Bars do not use it; market orders and stops are unaffected.
    """

    queue_position: bool = False

    def describe(self) -> dict[str, Any]:
        return {"name": "top_of_book", "queue_position": self.queue_position}

"""Simulation assumptions as small named models. Each has ``describe()`` so a backtest result
records exactly which assumptions produced it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from midfreq.execution.impact import ImpactModel
from midfreq.model.enums import LiquiditySide, OrderSide
from midfreq.model.instruments import Instrument

_TAKER = LiquiditySide.TAKER


class FeeModel(Protocol):
    """Commission for an order's fills. The venue asks for the fee of everything the order has
    filled so far and charges the difference, so minimums apply once per order."""

    def commission(
        self,
        instrument: Instrument,
        quantity: float,
        price: float,
        liquidity_side: LiquiditySide = _TAKER,
    ) -> float:
        """Return the fee in the instrument's currency (rounded to the currency's minor unit);
        negative is a rebate. Only `MakerTakerFee` looks at ``liquidity_side``."""
        ...

    def describe(self) -> dict[str, Any]:
        """Name and parameters."""
        ...


def _round_money(amount: float, instrument: Instrument) -> float:
    return round(amount, instrument.currency.precision)


@dataclass(frozen=True, slots=True)
class NoFee:
    """No commission."""

    def commission(
        self,
        instrument: Instrument,
        quantity: float,
        price: float,
        liquidity_side: LiquiditySide = _TAKER,
    ) -> float:
        return 0.0

    def describe(self) -> dict[str, Any]:
        return {"name": "none"}


@dataclass(frozen=True, slots=True)
class PerShareFee:
    """``rate`` per share, at least ``minimum`` per fill, at most ``maximum_fraction`` of value."""

    rate: float
    minimum: float = 0.0
    maximum_fraction: float | None = None

    def commission(
        self,
        instrument: Instrument,
        quantity: float,
        price: float,
        liquidity_side: LiquiditySide = _TAKER,
    ) -> float:
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

    def commission(
        self,
        instrument: Instrument,
        quantity: float,
        price: float,
        liquidity_side: LiquiditySide = _TAKER,
    ) -> float:
        return _round_money(max(quantity * self.rate, self.minimum), instrument)

    def describe(self) -> dict[str, Any]:
        return {"name": "per_contract", **asdict(self)}


@dataclass(frozen=True, slots=True)
class BasisPointsFee:
    """``bps`` basis points of the fill's notional, at least ``minimum``."""

    bps: float
    minimum: float = 0.0

    def commission(
        self,
        instrument: Instrument,
        quantity: float,
        price: float,
        liquidity_side: LiquiditySide = _TAKER,
    ) -> float:
        fee = instrument.notional(quantity, price) * self.bps / 10_000.0
        return _round_money(max(fee, self.minimum), instrument)

    def describe(self) -> dict[str, Any]:
        return {"name": "bps", **asdict(self)}


@dataclass(frozen=True, slots=True)
class MakerTakerFee:
    """A venue's maker/taker schedule: ``maker`` on fills that added liquidity, ``taker`` on fills
    that took it, per share (``unit="per_share"``) or in basis points of notional
    (``unit="bps"``). A negative rate is a rebate (the fill's commission is negative).

    Examples
    --------
    >>> from midfreq.model.instruments import equity
    >>> fee = MakerTakerFee(maker=-0.002, taker=0.003)
    >>> fee.commission(equity("AAA"), 1_000, 50.0, LiquiditySide.MAKER)
    -2.0
    """

    maker: float = 0.0
    taker: float = 0.0
    unit: str = "per_share"

    def __post_init__(self) -> None:
        if self.unit not in ("per_share", "bps"):
            raise ValueError(f"unit: expected 'per_share' or 'bps', was {self.unit!r}")

    def commission(
        self,
        instrument: Instrument,
        quantity: float,
        price: float,
        liquidity_side: LiquiditySide = _TAKER,
    ) -> float:
        rate = self.maker if liquidity_side is LiquiditySide.MAKER else self.taker
        if self.unit == "per_share":
            return _round_money(quantity * rate, instrument)
        return _round_money(instrument.notional(quantity, price) * rate / 10_000.0, instrument)

    def describe(self) -> dict[str, Any]:
        return {"name": "maker_taker", **asdict(self)}


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
class ImpactSlippage:
    """Price taker fills with an `ImpactModel` (fixed bps, half spread, volume share, square
    root) instead of a fixed slippage. The venue supplies the model's inputs at each fill:

    - ``volume``: the volume of the latest bar the venue knows before the fill (the previous bar
      for next-open fills, the bar just closed for close fills; the filling bar itself only when
      no earlier bar exists), so period = one bar.
    - ``volatility``: ``volatility`` when set (a fraction per bar), else Parkinson's range
      estimate of that same bar (`range_volatility`).
    - ``spread``: none for bar fills (models needing it use their own assumption, e.g.
      ``HalfSpreadImpact.spread_bps``); 0 for fills priced off a quote newer than the latest bar,
      since they already fill at the touch (the half spread is paid; impact comes on top).

    The permanent part accumulates per instrument as a price offset added to the reference price
    of every later taker fill of ours in that instrument (buys push it up, sells down). It halves
    every ``permanent_half_life_seconds`` of market time (None: it never decays). It moves our
    fill prices only: the market data strategies see, limit-order matching and marks are not
    shifted.
    """

    model: ImpactModel
    volatility: float | None = None
    permanent_half_life_seconds: float | None = None

    def fill_price(
        self,
        instrument: Instrument,
        side: OrderSide,
        quantity: float,
        reference: float,
        *,
        volatility: float,
        volume: float,
        spread: float,
    ) -> tuple[float, float]:
        """Return the fill price (rounded away from the trader to a tick) and the signed
        permanent shift this fill leaves."""
        if self.volatility is not None:
            volatility = self.volatility
        estimate = self.model.estimate(
            side, quantity, reference, volatility=volatility, volume=volume, spread=spread
        )
        price = round_away_from_trader(instrument, side, estimate.execution_price)
        return price, side.sign * estimate.permanent

    def decay(self, offset: float, elapsed_ns: int) -> float:
        """The permanent offset ``elapsed_ns`` after it was last updated."""
        half_life = self.permanent_half_life_seconds
        if half_life is None or offset == 0.0 or elapsed_ns <= 0:
            return offset
        return offset * math.pow(0.5, elapsed_ns / (half_life * 1e9))

    def describe(self) -> dict[str, Any]:
        return {
            **self.model.describe(),
            "volatility": self.volatility,
            "permanent_half_life_seconds": self.permanent_half_life_seconds,
        }


def round_away_from_trader(instrument: Instrument, side: OrderSide, price: float) -> float:
    """Round ``price`` to the tick grid against the trader: up for buys, down for sells (a price
    already on the grid, to 1e-9 ticks, stays)."""
    ticks = price / instrument.tick_size
    ticks = math.ceil(ticks - 1e-9) if side is OrderSide.BUY else math.floor(ticks + 1e-9)
    return round(max(ticks, 1) * instrument.tick_size, instrument.price_precision)


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

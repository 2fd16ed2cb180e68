"""Z-score mean reversion: sell when the price (or its latest return, or its residual from a
rolling trend line) is far above normal, buy when far below, flatten when it comes back; with
optional stop loss, take profit, maximum holding time and a cap on instruments held."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, Protocol

from pydantic import Field, ValidationInfo, field_validator, model_validator

from midfreq.model.data import Bar, QuoteTick
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy, OrderRouter
from midfreq.strategies.config import StrategyConfig
from midfreq.strategies.indicators import (
    RollingCorrelation,
    RollingStandardDeviation,
    RollingZScore,
)
from midfreq.strategies.indicators.rolling import FLAT_RELATIVE_SPREAD

SignalKind = Literal["price", "returns", "residuals"]

_TOLERANCE = 1e-12


class MeanReversionConfig(StrategyConfig):
    """Settings of `MeanReversionStrategy`.

    Attributes
    ----------
    z_score_threshold : float
        Enter against a z-score beyond this (2.0).
    exit_z_score : float
        Exit once the z-score is back inside this, >= 0 and below the entry threshold (0.5).
    allow_short : bool
        Whether a high z-score sells short (true).
    signal : {"price", "returns", "residuals"}
        What is scored over the last ``lookback_period`` bars: the price itself (default), the
        latest one-bar return ``price / previous - 1``, or the latest price's residual from the
        least-squares line of price against bar number (a rolling linear trend; needs
        ``lookback_period >= 3``).
    stop_loss : float or None
        Exit when the price has moved this fraction of the entry price against the position
        (0.02: a long exits at or below 98% of its average entry price). Off by default.
    take_profit : float or None
        Exit when the price has moved this fraction of the entry price in favour. Off by default.
    max_holding_bars : int or None
        Exit on the ``max_holding_bars``-th bar after the entry order was sent. Off by default.
    max_positions : int or None
        Most instruments held (or being entered) at once; further entries wait. Off by default.
    """

    z_score_threshold: float = Field(default=2.0, allow_inf_nan=False)
    exit_z_score: float = Field(default=0.5, allow_inf_nan=False)
    allow_short: bool = True
    signal: SignalKind = "price"
    stop_loss: float | None = Field(default=None, gt=0, lt=1, allow_inf_nan=False)
    take_profit: float | None = Field(default=None, gt=0, lt=1, allow_inf_nan=False)
    max_holding_bars: int | None = Field(default=None, ge=1)
    max_positions: int | None = Field(default=None, ge=1)

    @field_validator("exit_z_score")
    @classmethod
    def _below_entry(cls, value: float, info: ValidationInfo) -> float:
        entry = info.data.get("z_score_threshold")
        if value < 0 or (entry is not None and value >= entry):
            raise ValueError(f"a number >= 0 and below z_score_threshold ({entry})")
        return value

    @model_validator(mode="after")
    def _window_fits_signal(self) -> MeanReversionConfig:
        if self.signal == "residuals" and self.lookback_period < 3:
            raise ValueError(
                "lookback_period: expected an integer >= 3 for signal 'residuals' (a line "
                f"through the window leaves n - 2 degrees of freedom), was {self.lookback_period}"
            )
        return self


class _Score(Protocol):
    def update(self, value: float) -> float: ...


class ReturnZScore:
    """Z-score of the latest one-bar return ``price / previous - 1`` against the last
    ``period`` returns (itself included, sample std); NaN until ``period`` returns exist.

    Examples
    --------
    >>> score = ReturnZScore(3)
    >>> [round(score.update(p), 6) for p in (100.0, 101.0, 100.0, 104.0)]
    [nan, nan, nan, 1.060247]
    """

    __slots__ = ("_previous", "_returns")

    def __init__(self, period: int) -> None:
        self._returns = RollingZScore(period)
        self._previous = math.nan

    def update(self, price: float) -> float:
        """Add a price; return the z-score of its return (NaN while undefined)."""
        previous, self._previous = self._previous, price
        if math.isnan(previous):
            return math.nan
        return self._returns.update(price / previous - 1.0)


class TrendResidualZScore:
    """Z-score of the latest price's residual from a rolling linear trend.

    The trend is the least-squares line of the last ``period`` prices against bar number; the
    residual of the latest price from that line is divided by the standard error of the
    regression, ``sqrt(sum of squared residuals / (period - 2))``. O(1) per update (rolling
    co-moments). NaN until ``period`` prices and while the residuals are all zero (prices on a
    straight line, or flat).

    Examples
    --------
    >>> score = TrendResidualZScore(4)
    >>> [round(score.update(p), 6) for p in (1.0, 2.0, 3.0, 5.0)]  # line 0.8 + 1.3 x, residual 0.3
    [nan, nan, nan, 0.774597]
    """

    __slots__ = ("_bar", "_fit", "_spread", "period")

    def __init__(self, period: int) -> None:
        if period < 3:
            raise ValueError(f"period: expected an integer >= 3, was {period!r}")
        self.period = period
        self._fit = RollingCorrelation(period)  # x: bar number, y: price
        self._spread = RollingStandardDeviation(period)
        self._bar = 0

    def update(self, price: float) -> float:
        """Add a price; return the z-score of its residual (NaN while undefined)."""
        self._bar += 1
        fit = self._fit
        correlation = fit.update(float(self._bar), price)
        spread = self._spread.update(price)
        if math.isnan(correlation):  # not ready, or flat prices
            return math.nan
        n = self.period
        mean = fit.mean_y
        residual = (price - mean) - fit.beta * (self._bar - fit.mean_x)
        variance = spread * spread * (1.0 - correlation * correlation) * (n - 1) / (n - 2)
        limit = FLAT_RELATIVE_SPREAD * mean
        if variance <= limit * limit:
            return math.nan
        return residual / math.sqrt(variance)


class MeanReversionStrategy(BaseStrategy):
    """Enter against a z-score beyond ``z_score_threshold``; exit inside ``exit_z_score``.

    Config (`MeanReversionConfig`): ``lookback_period`` (20), ``z_score_threshold`` (2.0),
    ``exit_z_score`` (0.5), ``order_quantity`` (100, the position size taken), ``allow_short``
    (true), ``signal`` (price), ``stop_loss``, ``take_profit``, ``max_holding_bars``,
    ``max_positions`` (all off).

    Stop loss, take profit and maximum holding time are checked on each bar's close (or quote
    mid) and exit with a market order, which fills at the next bar's open under the default
    venue. After such an exit the instrument is not entered again until its z-score has come
    back as far as would have exited the position (above ``-exit_z_score`` after a long, below
    ``exit_z_score`` after a short); else a stop in a trend would be re-entered at once. The
    entry price is the position's average fill price; until the entry has filled there is
    nothing to stop out.
    """

    name = "mean_reversion"
    config_class = MeanReversionConfig
    params: MeanReversionConfig
    keeps_price_history = False  # its rolling scores hold what they need

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        order_router: OrderRouter | None = None,
        risk_manager: Any | None = None,
    ) -> None:
        super().__init__(config, order_router, risk_manager)
        params = self.params
        self.entry = params.z_score_threshold
        self.exit = params.exit_z_score
        self.allow_short = params.allow_short
        self.signal: SignalKind = params.signal
        self.stop_loss = params.stop_loss
        self.take_profit = params.take_profit
        self.max_holding_bars = params.max_holding_bars
        self.max_positions = params.max_positions
        self._has_exits = (
            self.stop_loss is not None
            or self.take_profit is not None
            or self.max_holding_bars is not None
        )
        self._scores: dict[InstrumentId, _Score] = {
            iid: self._new_score() for iid in self.instrument_ids
        }
        self._targets: dict[InstrumentId, float] = dict.fromkeys(self.instrument_ids, 0.0)
        self._holding = 0  # instruments with a non-zero target
        self._bars_held: dict[InstrumentId, int] = {}
        # Instruments forced out of a position (+1 long, -1 short): no entry until z is back.
        self._disarmed: dict[InstrumentId, float] = {}

    def _new_score(self) -> _Score:
        if self.signal == "returns":
            return ReturnZScore(self.lookback)
        if self.signal == "residuals":
            return TrendResidualZScore(self.lookback)
        return RollingZScore(self.lookback)

    def on_bar(self, bar: Bar) -> None:
        """Update the z-score with the close and trade on it."""
        self._on_price(bar.instrument_id, bar.close)

    def on_quote(self, quote: QuoteTick) -> None:
        """Update the z-score with the mid and trade on it."""
        self._on_price(quote.instrument_id, (quote.bid_price + quote.ask_price) / 2.0)

    def _on_price(self, iid: InstrumentId, price: float) -> None:
        score = self._scores.get(iid)
        if score is None:  # an instrument the kernel gave a strategy configured without symbols
            score = self._scores[iid] = self._new_score()
        z = score.update(price)
        current = self._targets.get(iid, 0.0)
        if self._has_exits and current != 0 and self._must_exit(iid, price, current):
            self._disarmed[iid] = current
            self._set_target(iid, 0.0)
            return
        if math.isnan(z):
            return
        target = current
        size = self.order_quantity
        if current == 0:
            side = self._disarmed.get(iid)
            if side is not None:
                if (side > 0 and z <= -self.exit) or (side < 0 and z >= self.exit):
                    return
                del self._disarmed[iid]
            if self.max_positions is not None and self._holding >= self.max_positions:
                return
            if z > self.entry and self.allow_short:
                target = -size
            elif z < -self.entry:
                target = size
        elif (current > 0 and z > -self.exit) or (current < 0 and z < self.exit):
            target = 0.0
        if target != current:
            self._set_target(iid, target)

    def _set_target(self, iid: InstrumentId, target: float) -> None:
        self._holding += (target != 0) - (self._targets.get(iid, 0.0) != 0)
        self._targets[iid] = target
        if self._has_exits:
            self._bars_held[iid] = 0
        self.order_target(iid, target)

    def _must_exit(self, iid: InstrumentId, price: float, target: float) -> bool:
        """Whether the stop loss, take profit or holding limit closes this position now."""
        held = self._bars_held[iid] = self._bars_held.get(iid, 0) + 1
        if self.max_holding_bars is not None and held >= self.max_holding_bars:
            return True
        if self.stop_loss is None and self.take_profit is None:
            return False
        assert self.portfolio is not None
        entry = self.portfolio.avg_px(iid, self.strategy_id)
        if not entry or self.position(iid) * target <= 0:  # not filled yet
            return False
        move = (price / entry - 1.0) if target > 0 else (1.0 - price / entry)
        # A price on the level counts as reaching it (98 / 100 - 1 is -0.020000000000000018).
        if self.stop_loss is not None and move <= _TOLERANCE - self.stop_loss:
            return True
        return self.take_profit is not None and move >= self.take_profit - _TOLERANCE

"""Donchian channel breakout: enter when the close breaks out of the highest high / lowest low of
the previous bars, exit on a shorter opposite channel or an average-true-range stop."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from midfreq.model.data import Bar, QuoteTick
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy, OrderRouter
from midfreq.strategies.config import StrategyConfig
from midfreq.strategies.indicators import AverageTrueRange


class RollingExtremes:
    """Highest and lowest of the last ``period`` values, O(1) amortised per update.

    Two monotonic deques of ``(index, value)``: the maxima deque keeps values in decreasing
    order (a new value removes every smaller one before it, which can never be the maximum
    again), the minima deque in increasing order; entries older than the window leave from
    the front. `highest` and `lowest` are NaN until ``period`` values have been seen.

    Examples
    --------
    >>> extremes = RollingExtremes(3)
    >>> for high, low in ((5.0, 4.0), (7.0, 6.0), (6.0, 3.0), (4.0, 3.5)):
    ...     extremes.update(high, low)
    >>> (extremes.highest, extremes.lowest)  # of the last three bars
    (7.0, 3.0)
    """

    __slots__ = ("_count", "_highs", "_lows", "period")

    def __init__(self, period: int) -> None:
        if not isinstance(period, int) or period < 1:
            raise ValueError(f"period: expected an integer >= 1, was {period!r}")
        self.period = period
        self._count = 0
        self._highs: deque[tuple[int, float]] = deque()
        self._lows: deque[tuple[int, float]] = deque()

    @property
    def initialized(self) -> bool:
        """Whether ``period`` values have been seen."""
        return self._count >= self.period

    @property
    def highest(self) -> float:
        """Highest ``high`` of the window; NaN until `initialized`."""
        return self._highs[0][1] if self._count >= self.period else math.nan

    @property
    def lowest(self) -> float:
        """Lowest ``low`` of the window; NaN until `initialized`."""
        return self._lows[0][1] if self._count >= self.period else math.nan

    def update(self, high: float, low: float) -> None:
        """Add a bar's high and low."""
        index = self._count
        self._count = index + 1
        oldest = index - self.period  # this index and older have left the window
        highs, lows = self._highs, self._lows
        while highs and highs[-1][1] <= high:
            highs.pop()
        highs.append((index, high))
        if highs[0][0] <= oldest:
            highs.popleft()
        while lows and lows[-1][1] >= low:
            lows.pop()
        lows.append((index, low))
        if lows[0][0] <= oldest:
            lows.popleft()


class DonchianBreakoutConfig(StrategyConfig):
    """Settings of `DonchianBreakoutStrategy`.

    Attributes
    ----------
    entry_period : int
        Bars in the entry channel (20): go long when the close is above the highest high of
        the previous ``entry_period`` bars, short when below their lowest low.
    exit_period : int
        Bars in the exit channel (10): a long exits when the close is below the lowest low of
        the previous ``exit_period`` bars, a short when above their highest high.
    atr_stop : float or None
        Also exit a long when the close falls to ``entry price - atr_stop * ATR`` (a short:
        rises to ``entry + atr_stop * ATR``), with the ATR as of the entry signal. Off by
        default.
    atr_period : int
        Wilder smoothing period of the average true range (14).
    allow_short : bool
        Whether a downside breakout sells short (true).
    """

    entry_period: int = Field(default=20, ge=1)
    exit_period: int = Field(default=10, ge=1)
    atr_stop: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    atr_period: int = Field(default=14, ge=1)
    allow_short: bool = True


@dataclass(slots=True)
class _Book:
    """One instrument's channels, ATR and open trade."""

    entry: RollingExtremes
    exit: RollingExtremes
    atr: AverageTrueRange
    target: float = 0.0
    entry_atr: float = math.nan
    signal_close: float = math.nan


class DonchianBreakoutStrategy(BaseStrategy):
    """Hold ``order_quantity`` in the direction of the last Donchian channel breakout.

    On each bar (after ``entry_period`` earlier bars): a close above the entry channel's high
    goes long, below its low goes short (or stays flat without ``allow_short``); a long exits
    when the close is below the exit channel's low or at or below its ATR stop, a short
    symmetrically. An opposite breakout reverses in one order (or exits, without
    ``allow_short``). The channels are of the bars
    before the current one, so a breakout is the close beyond every high (low) in them. Quote
    mids count as bars whose high, low and close are the mid. The ATR stop's entry price is the
    position's average fill price (the signal bar's close until the entry has filled).

    Config (`DonchianBreakoutConfig`): ``entry_period`` (20), ``exit_period`` (10),
    ``atr_stop`` (off), ``atr_period`` (14), ``order_quantity`` (100), ``allow_short`` (true).
    """

    name = "donchian_breakout"
    config_class = DonchianBreakoutConfig
    params: DonchianBreakoutConfig
    keeps_price_history = False  # its channels hold what they need

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        order_router: OrderRouter | None = None,
        risk_manager: Any | None = None,
    ) -> None:
        super().__init__(config, order_router, risk_manager)
        params = self.params
        self.entry_period = params.entry_period
        self.exit_period = params.exit_period
        self.atr_stop = params.atr_stop
        self.atr_period = params.atr_period
        self.allow_short = params.allow_short
        self._books: dict[InstrumentId, _Book] = {
            iid: self._new_book() for iid in self.instrument_ids
        }

    def _new_book(self) -> _Book:
        return _Book(
            RollingExtremes(self.entry_period),
            RollingExtremes(self.exit_period),
            AverageTrueRange(self.atr_period),
        )

    def on_bar(self, bar: Bar) -> None:
        """Trade a breakout of the close, then add the bar to the channels."""
        self._on_bar(bar.instrument_id, bar.high, bar.low, bar.close)

    def on_quote(self, quote: QuoteTick) -> None:
        """Trade a breakout of the mid, then add it to the channels."""
        mid = (quote.bid_price + quote.ask_price) / 2.0
        self._on_bar(quote.instrument_id, mid, mid, mid)

    def stop_price(self, symbol: str | InstrumentId) -> float:
        """The ATR stop of the open trade in ``symbol`` (NaN when flat or without a stop)."""
        iid = self.instrument_id(symbol)
        book = self._books.get(iid)
        if book is None or book.target == 0 or self.atr_stop is None:
            return math.nan
        entry = book.signal_close
        if self.portfolio is not None and self.position(iid) * book.target > 0:
            entry = self.portfolio.avg_px(iid, self.strategy_id) or entry
        direction = 1.0 if book.target > 0 else -1.0
        return entry - direction * self.atr_stop * book.entry_atr

    def _on_bar(self, iid: InstrumentId, high: float, low: float, close: float) -> None:
        book = self._books.get(iid)
        if book is None:  # an instrument the kernel gave a strategy configured without symbols
            book = self._books[iid] = self._new_book()
        atr = book.atr.update(high, low, close)
        current = target = book.target
        if current != 0 and self._exits(book, close, self.stop_price(iid)):
            target = 0.0
        if book.entry.initialized:
            if target <= 0 and close > book.entry.highest:
                target = float(self.order_quantity)
            elif target >= 0 and close < book.entry.lowest:
                target = -float(self.order_quantity) if self.allow_short else 0.0
        book.entry.update(high, low)
        book.exit.update(high, low)
        if target == current:
            return
        if target != 0 and self.atr_stop is not None and math.isnan(atr):
            return  # no stop to protect the trade with yet: wait for the ATR
        book.target = target
        book.entry_atr = atr
        book.signal_close = close
        self.order_target(iid, target)

    @staticmethod
    def _exits(book: _Book, close: float, stop: float) -> bool:
        """Whether the close is beyond the exit channel or the stop (NaN: no stop)."""
        if book.target > 0:
            return close < book.exit.lowest or close <= stop
        return close > book.exit.highest or close >= stop

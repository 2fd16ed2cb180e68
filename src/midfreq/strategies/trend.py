"""Time-series momentum with volatility-targeted sizing: hold the sign of the trailing return,
sized so the position's volatility matches a target, rebalanced every few bars with a threshold
that limits turnover."""

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
from midfreq.strategies.indicators import RollingStandardDeviation


class TimeSeriesMomentumConfig(StrategyConfig):
    """Settings of `TimeSeriesMomentumStrategy`.

    ``order_quantity`` is not used: the size comes from the volatility target.

    Attributes
    ----------
    momentum_period : int
        Bars of the trailing return whose sign is held, ``price / price momentum_period bars
        ago - 1`` (60).
    volatility_period : int
        Bars of one-bar log returns whose sample standard deviation is the realised
        volatility (20), >= 2.
    target_volatility : float
        Annualised volatility the position aims at, as a fraction (0.10).
    bars_per_year : float
        Bars in a year, to annualise the realised volatility (252: daily bars; 98,280 for
        one-minute bars of 390-minute sessions).
    capital : float or None
        Capital the position is sized on; default the account equity at each rebalance.
    max_leverage : float
        Cap on the position's notional as a multiple of ``capital`` (1.0).
    rebalance_period : int
        Rebalance every this many bars, from the first bar with enough history (5).
    rebalance_threshold : float
        Skip a rebalance that keeps the position on its side (long or short) when the held
        position is within this fraction of the new target (``|target - held| <=
        rebalance_threshold * |target|``); entering, exiting and reversing always trade (0.1).
    allow_short : bool
        Whether a negative trailing return sells short (true) or goes flat.
    """

    momentum_period: int = Field(default=60, ge=1)
    volatility_period: int = Field(default=20, ge=2)
    target_volatility: float = Field(default=0.10, gt=0, allow_inf_nan=False)
    bars_per_year: float = Field(default=252.0, gt=0, allow_inf_nan=False)
    capital: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    max_leverage: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    rebalance_period: int = Field(default=5, ge=1)
    rebalance_threshold: float = Field(default=0.1, ge=0, allow_inf_nan=False)
    allow_short: bool = True


@dataclass(slots=True)
class _History:
    """One instrument's recent prices and return volatility."""

    prices: deque[float]
    volatility: RollingStandardDeviation
    ready_bars: int = 0


class TimeSeriesMomentumStrategy(BaseStrategy):
    """Hold the sign of the trailing ``momentum_period``-bar return, volatility-targeted.

    Every ``rebalance_period`` bars the target position is
    ``sign(trailing return) * target_volatility / realised volatility * capital / price``,
    with the realised volatility the annualised sample standard deviation of the last
    ``volatility_period`` one-bar log returns, capped at ``max_leverage * capital / price``
    (and at ``max_position_size`` when set) and rounded down to whole lots. The position is
    moved to the target with a market order unless it is already within
    ``rebalance_threshold`` of it. Between rebalances nothing trades.

    Config (`TimeSeriesMomentumConfig`): ``momentum_period`` (60), ``volatility_period``
    (20), ``target_volatility`` (0.10), ``bars_per_year`` (252), ``capital`` (equity),
    ``max_leverage`` (1.0), ``rebalance_period`` (5), ``rebalance_threshold`` (0.1),
    ``allow_short`` (true).
    """

    name = "time_series_momentum"
    config_class = TimeSeriesMomentumConfig
    params: TimeSeriesMomentumConfig
    keeps_price_history = False  # its own history holds what it needs

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        order_router: OrderRouter | None = None,
        risk_manager: Any | None = None,
    ) -> None:
        super().__init__(config, order_router, risk_manager)
        params = self.params
        self.momentum_period = params.momentum_period
        self.volatility_period = params.volatility_period
        self.target_volatility = params.target_volatility
        self.bars_per_year = params.bars_per_year
        self.capital = params.capital
        self.max_leverage = params.max_leverage
        self.rebalance_period = params.rebalance_period
        self.rebalance_threshold = params.rebalance_threshold
        self.allow_short = params.allow_short
        self._histories = {iid: self._new_history() for iid in self.instrument_ids}

    def _new_history(self) -> _History:
        return _History(
            deque(maxlen=self.momentum_period + 1),
            RollingStandardDeviation(self.volatility_period),
        )

    def on_bar(self, bar: Bar) -> None:
        """Add the close; rebalance when one is due."""
        self._on_price(bar.instrument_id, bar.close)

    def on_quote(self, quote: QuoteTick) -> None:
        """Add the mid; rebalance when one is due."""
        self._on_price(quote.instrument_id, (quote.bid_price + quote.ask_price) / 2.0)

    def target_position(
        self, symbol: str | InstrumentId, price: float, trailing_return: float, volatility: float
    ) -> float:
        """Return the volatility-targeted position for one rebalance.

        Parameters
        ----------
        symbol
            The instrument (for its lot size).
        price
            The current price.
        trailing_return
            The return over the last ``momentum_period`` bars; its sign is the direction.
        volatility
            Annualised realised volatility; 0 sizes at the leverage cap.

        Returns
        -------
        float
            Signed quantity in whole lots.
        """
        assert self.cache is not None
        if trailing_return == 0 or (trailing_return < 0 and not self.allow_short):
            return 0.0
        if self.capital is not None:
            capital = self.capital
        else:
            assert self.portfolio is not None
            capital = self.portfolio.equity()
        if capital <= 0 or price <= 0:
            return 0.0
        cap = self.max_leverage * capital / price
        size = (
            cap
            if volatility <= 0
            else min(cap, self.target_volatility / volatility * capital / price)
        )
        if self.max_position_size is not None:
            size = min(size, self.max_position_size)
        quantity = float(self.cache.instrument(self.instrument_id(symbol)).make_qty(size))
        return quantity if trailing_return > 0 else -quantity

    def _on_price(self, iid: InstrumentId, price: float) -> None:
        history = self._histories.get(iid)
        if history is None:  # an instrument the kernel gave a strategy configured without symbols
            history = self._histories[iid] = self._new_history()
        prices = history.prices
        if prices:
            history.volatility.update(math.log(price / prices[-1]))
        prices.append(price)
        if len(prices) <= self.momentum_period or not history.volatility.initialized:
            return
        due = history.ready_bars % self.rebalance_period == 0
        history.ready_bars += 1
        if not due:
            return
        volatility = history.volatility.value * math.sqrt(self.bars_per_year)
        target = self.target_position(iid, price, price / prices[0] - 1.0, volatility)
        held = self.position(iid) + self.pending_quantity(iid)
        if target == held:
            return
        same_side = (target > 0 and held > 0) or (target < 0 and held < 0)
        if same_side and abs(target - held) <= self.rebalance_threshold * abs(target):
            return
        self.order_target(iid, target)

"""Z-score mean reversion: sell when price is far above its rolling mean, buy when far below,
flatten when it comes back."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from midfreq.model.data import Bar, QuoteTick
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy, OrderRouter
from midfreq.strategies.config import StrategyConfig
from midfreq.strategies.indicators import RollingZScore


class MeanReversionConfig(StrategyConfig):
    """Settings of `MeanReversionStrategy`."""

    z_score_threshold: float = Field(default=2.0, allow_inf_nan=False)
    exit_z_score: float = Field(default=0.5, allow_inf_nan=False)
    allow_short: bool = True

    @field_validator("exit_z_score")
    @classmethod
    def _below_entry(cls, value: float, info: ValidationInfo) -> float:
        entry = info.data.get("z_score_threshold")
        if value < 0 or (entry is not None and value >= entry):
            raise ValueError(f"a number >= 0 and below z_score_threshold ({entry})")
        return value


class MeanReversionStrategy(BaseStrategy):
    """Enter against a z-score beyond ``z_score_threshold``; exit inside ``exit_z_score``.

    Config: ``lookback_period`` (20), ``z_score_threshold`` (2.0), ``exit_z_score`` (0.5),
    ``order_quantity`` (100, the position size taken), ``allow_short`` (true).
    """

    name = "mean_reversion"
    config_class = MeanReversionConfig
    params: MeanReversionConfig
    keeps_price_history = False  # its RollingZScore holds what it needs

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        order_router: OrderRouter | None = None,
        risk_manager: Any | None = None,
    ) -> None:
        super().__init__(config, order_router, risk_manager)
        self.entry = self.params.z_score_threshold
        self.exit = self.params.exit_z_score
        self.allow_short = self.params.allow_short
        self._scores = {iid: RollingZScore(self.lookback) for iid in self.instrument_ids}
        self._targets: dict[InstrumentId, float] = dict.fromkeys(self.instrument_ids, 0.0)

    def on_bar(self, bar: Bar) -> None:
        """Update the z-score with the close and trade on it."""
        self._on_price(bar.instrument_id, bar.close)

    def on_quote(self, quote: QuoteTick) -> None:
        """Update the z-score with the mid and trade on it."""
        self._on_price(quote.instrument_id, (quote.bid_price + quote.ask_price) / 2.0)

    def _on_price(self, iid: InstrumentId, price: float) -> None:
        score = self._scores.get(iid)
        if score is None:  # an instrument the kernel gave a strategy configured without symbols
            score = self._scores[iid] = RollingZScore(self.lookback)
        z = score.update(price)
        if math.isnan(z):
            return
        target = current = self._targets.get(iid, 0.0)
        size = self.order_quantity
        if current == 0:
            if z > self.entry and self.allow_short:
                target = -size
            elif z < -self.entry:
                target = size
        elif (current > 0 and z > -self.exit) or (current < 0 and z < self.exit):
            target = 0.0
        if target != current:
            self._targets[iid] = target
            self.order_target(iid, target)

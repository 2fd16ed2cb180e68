"""Configuration of the simulated venue and the factory that builds it."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from midfreq.cache import Cache
from midfreq.core.clock import Clock
from midfreq.infra.config import ConfigModel
from midfreq.model.identifiers import Venue
from midfreq.simulation.models import (
    BarFillModel,
    BasisPointsFee,
    ConstantLatency,
    FeeModel,
    FixedBpsSlippage,
    NoFee,
    PerContractFee,
    PerShareFee,
    QuoteFillModel,
)
from midfreq.simulation.venue import SimulatedVenue


class FeeConfig(ConfigModel):
    """Commission model: ``none``, ``per_share``, ``per_contract`` or ``bps``."""

    model: Literal["none", "per_share", "per_contract", "bps"] = "none"
    rate: float = Field(default=0.0, ge=0)
    minimum: float = Field(default=0.0, ge=0)
    maximum_fraction: float | None = Field(default=None, gt=0, le=1)

    def build(self) -> FeeModel:
        """The fee model this config describes."""
        if self.model == "per_share":
            return PerShareFee(self.rate, self.minimum, self.maximum_fraction)
        if self.model == "per_contract":
            return PerContractFee(self.rate, self.minimum)
        if self.model == "bps":
            return BasisPointsFee(self.rate, self.minimum)
        return NoFee()


class SimulatedVenueConfig(ConfigModel):
    """The simulated venue's assumptions.

    Attributes
    ----------
    market_fill : "next_open" or "close"
        Market orders sent while handling a bar fill at the next bar's open or that bar's close.
    max_volume_participation : float
        Share of a bar's volume orders may take (0 < x <= 1); unset means no cap.
    slippage_bps : float
        Adverse slippage of taker fills in basis points.
    latency_ms : float
        Delay before orders and cancels reach the venue.
    day_timezone : str
        Time zone whose midnight ends DAY orders.
    queue_position : bool
        Resting limits fill on trades at their price once the volume displayed ahead of them on
        arrival has traded (see `QuoteFillModel`); off by default: they then fill only when a
        trade prints through them or the opposite touch reaches them.
    """

    name: str = "SIM"
    market_fill: Literal["next_open", "close"] = "next_open"
    max_volume_participation: float | None = Field(default=None, gt=0, le=1)
    fees: FeeConfig = FeeConfig()
    slippage_bps: float = Field(default=0.0, ge=0)
    latency_ms: float = Field(default=0.0, ge=0)
    day_timezone: str = "UTC"
    queue_position: bool = False

    @field_validator("day_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone such as 'America/New_York'") from None
        return value

    def build(self, cache: Cache, clock: Clock) -> SimulatedVenue:
        """Build the venue."""
        return SimulatedVenue(
            Venue(self.name),
            cache,
            clock,
            bar_fill=BarFillModel(self.market_fill, self.max_volume_participation),
            quote_fill=QuoteFillModel(queue_position=self.queue_position),
            fee_model=self.fees.build(),
            slippage=FixedBpsSlippage(self.slippage_bps),
            latency=ConstantLatency(int(self.latency_ms * 1_000_000)),
            day_timezone=self.day_timezone,
        )

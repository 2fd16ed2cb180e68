"""Configuration of the simulated venue and the factory that builds it."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from midfreq.cache import Cache
from midfreq.core.clock import Clock
from midfreq.execution.impact import (
    FixedBpsImpact,
    HalfSpreadImpact,
    ImpactModel,
    SquareRootImpact,
    VolumeShareImpact,
)
from midfreq.infra.config import ConfigModel
from midfreq.model.identifiers import Venue
from midfreq.simulation.models import (
    BarFillModel,
    BasisPointsFee,
    ConstantLatency,
    FeeModel,
    FixedBpsSlippage,
    ImpactSlippage,
    MakerTakerFee,
    NoFee,
    PerContractFee,
    PerShareFee,
    QuoteFillModel,
)
from midfreq.simulation.venue import SimulatedVenue


class FeeConfig(ConfigModel):
    """Commission model: ``none``, ``per_share``, ``per_contract``, ``bps`` or ``maker_taker``.

    ``maker_taker`` charges ``maker`` on fills that added liquidity and ``taker`` on fills that
    took it, per share or in basis points (``unit``); a negative rate is a rebate.
    """

    model: Literal["none", "per_share", "per_contract", "bps", "maker_taker"] = "none"
    rate: float = Field(default=0.0, ge=0)
    minimum: float = Field(default=0.0, ge=0)
    maximum_fraction: float | None = Field(default=None, gt=0, le=1)
    maker: float = 0.0
    taker: float = 0.0
    unit: Literal["per_share", "bps"] = "per_share"

    def build(self) -> FeeModel:
        """The fee model this config describes."""
        if self.model == "maker_taker":
            return MakerTakerFee(self.maker, self.taker, self.unit)
        if self.model == "per_share":
            return PerShareFee(self.rate, self.minimum, self.maximum_fraction)
        if self.model == "per_contract":
            return PerContractFee(self.rate, self.minimum)
        if self.model == "bps":
            return BasisPointsFee(self.rate, self.minimum)
        return NoFee()


class ImpactConfig(ConfigModel):
    """Slippage/impact model for taker fills (see `midfreq.execution.impact`).

    Attributes
    ----------
    model : "fixed_bps", "half_spread", "volume_share" or "square_root"
    bps : float
        ``fixed_bps``: cost in basis points of the price.
    spread_bps : float
        ``half_spread``: the spread assumed when no quote is known (bars), in bps of the price.
    price_impact : float
        ``volume_share``: cost = price_impact x (fill quantity / bar volume)^2 x price.
    eta, gamma : float
        ``square_root``: temporary = eta x sigma x sqrt(q / V) x price, permanent shift =
        gamma x sigma x (q / V) x price, with sigma and V per bar.
    volatility : float
        Return standard deviation per bar (0.002 = 0.2%); unset: each bar's range estimate.
    permanent_half_life_seconds : float
        How fast the permanent shift decays; unset: never.
    """

    model: Literal["fixed_bps", "half_spread", "volume_share", "square_root"] = "square_root"
    bps: float = Field(default=0.0, ge=0)
    spread_bps: float | None = Field(default=None, ge=0)
    price_impact: float = Field(default=0.1, ge=0)
    eta: float = Field(default=1.0, ge=0)
    gamma: float = Field(default=0.314, ge=0)
    volatility: float | None = Field(default=None, ge=0)
    permanent_half_life_seconds: float | None = Field(default=None, gt=0)

    def build_model(self) -> ImpactModel:
        """The impact model alone (what a router uses for estimates)."""
        if self.model == "fixed_bps":
            return FixedBpsImpact(self.bps)
        if self.model == "half_spread":
            return HalfSpreadImpact(self.spread_bps)
        if self.model == "volume_share":
            return VolumeShareImpact(self.price_impact)
        return SquareRootImpact(self.eta, self.gamma)

    def build(self) -> ImpactSlippage:
        """The model wrapped for the simulated venue."""
        return ImpactSlippage(self.build_model(), self.volatility, self.permanent_half_life_seconds)


class SimulatedVenueConfig(ConfigModel):
    """The simulated venue's assumptions.

    Attributes
    ----------
    market_fill : "next_open" or "close"
        Market orders sent while handling a bar fill at the next bar's open or that bar's close.
    max_volume_participation : float
        Share of a bar's volume orders may take (0 < x <= 1); unset means no cap.
    slippage_bps : float
        Adverse slippage of taker fills in basis points (at least a tick).
    impact : ImpactConfig
        An impact model for taker fills instead of ``slippage_bps`` (set one or the other).
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
    impact: ImpactConfig | None = None
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

    @model_validator(mode="after")
    def _one_slippage(self) -> SimulatedVenueConfig:
        if self.impact is not None and self.slippage_bps:
            raise ValueError(
                f"either slippage_bps or impact, was both (slippage_bps={self.slippage_bps})"
            )
        return self

    def build(self, cache: Cache, clock: Clock) -> SimulatedVenue:
        """Build the venue."""
        return SimulatedVenue(
            Venue(self.name),
            cache,
            clock,
            bar_fill=BarFillModel(self.market_fill, self.max_volume_participation),
            quote_fill=QuoteFillModel(queue_position=self.queue_position),
            fee_model=self.fees.build(),
            slippage=(
                FixedBpsSlippage(self.slippage_bps) if self.impact is None else self.impact.build()
            ),
            latency=ConstantLatency(int(self.latency_ms * 1_000_000)),
            day_timezone=self.day_timezone,
        )

"""Configuration of the SmartOrderRouter (the ``execution`` section), accepting the seed keys
``venues``, ``venue_weights``, ``transaction_cost`` and ``slippage``."""

from __future__ import annotations

from pydantic import Field, model_validator

from midfreq.execution.routing.allocation import RoutingPolicy
from midfreq.execution.routing.book import VenueFees
from midfreq.infra.config import ConfigModel


class VenueFeesConfig(ConfigModel):
    """A venue's fees as the router prices them (fractions of notional and money per unit;
    negative values are rebates)."""

    taker_rate: float = 0.0
    maker_rate: float = 0.0
    taker_per_unit: float = 0.0
    maker_per_unit: float = 0.0

    def build(self) -> VenueFees:
        """The `VenueFees` this describes."""
        return VenueFees(
            taker_rate=self.taker_rate,
            maker_rate=self.maker_rate,
            taker_per_unit=self.taker_per_unit,
            maker_per_unit=self.maker_per_unit,
        )


class SmartOrderRouterConfig(ConfigModel):
    """Settings of the SmartOrderRouter (the ``execution`` section).

    Attributes
    ----------
    venues : list of str
        Venues to route to, in tie-break order.
    venue_weights : dict of str to float
        Weights of the `VENUE_WEIGHTS` policy (venues missing get 0; empty: equal weights).
    transaction_cost : float
        Taker fee (fraction of notional) of every venue without its own ``fees`` entry.
    slippage : float
        Expected adverse slippage (fraction), reported by `describe`; the same for every venue,
        so it never changes a routing decision. The simulated venue's slippage is configured
        under ``venue``.
    policy : RoutingPolicy
        How orders are split.
    fees : dict of str to VenueFeesConfig
        Per-venue fee schedules.
    child_timeout_seconds : float or None
        Cancel a child still open after this long and re-route its remainder; None: never.
    stale_after_seconds : float or None
        Ignore a venue's prices older than this in price-based policies; None: never.
    max_reroutes : int
        Re-routes per parent order before the remainder is given up.
    """

    venues: list[str] = Field(default_factory=lambda: ["SIM"], min_length=1)
    venue_weights: dict[str, float] = Field(default_factory=dict)
    transaction_cost: float = Field(default=0.0, ge=0)
    slippage: float = Field(default=0.0, ge=0)
    policy: RoutingPolicy = RoutingPolicy.FEE_ADJUSTED
    fees: dict[str, VenueFeesConfig] = Field(default_factory=dict)
    child_timeout_seconds: float | None = Field(default=None, gt=0)
    stale_after_seconds: float | None = Field(default=None, gt=0)
    max_reroutes: int = Field(default=5, ge=0)

    @model_validator(mode="after")
    def _known_venues(self) -> SmartOrderRouterConfig:
        if len(set(self.venues)) != len(self.venues):
            raise ValueError(f"venues: expected each venue once, was {self.venues}")
        for key, mapping in (("venue_weights", self.venue_weights), ("fees", self.fees)):
            unknown = sorted(set(mapping) - set(self.venues))
            if unknown:
                raise ValueError(f"{key}: expected venues among {self.venues}, was {unknown}")
        negative = {v: w for v, w in self.venue_weights.items() if not w >= 0}
        if negative:
            raise ValueError(f"venue_weights: expected weights >= 0, was {negative}")
        return self

    def venue_fees(self, venue: str) -> VenueFees:
        """The fees of ``venue``: its own entry, else ``transaction_cost`` as a taker rate."""
        own = self.fees.get(venue)
        return own.build() if own is not None else VenueFees(taker_rate=self.transaction_cost)

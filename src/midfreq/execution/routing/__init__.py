"""Smart order routing's pure core: the consolidated multi-venue book and the allocation of an
order across venues. The stateful `SmartOrderRouter` lives in `midfreq.execution.router`."""

from midfreq.execution.routing.allocation import (
    Allocation,
    AllocationKind,
    RoutingPolicy,
    allocate,
    rank_venues,
    to_lots,
)
from midfreq.execution.routing.book import ConsolidatedBook, Level, VenueFees, VenueView

__all__ = [
    "Allocation",
    "AllocationKind",
    "ConsolidatedBook",
    "Level",
    "RoutingPolicy",
    "VenueFees",
    "VenueView",
    "allocate",
    "rank_venues",
    "to_lots",
]

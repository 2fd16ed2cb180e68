"""VWAP: TWAP's slice schedule with each slice weighted by the share of the day's volume
expected in it, from an intraday `VolumeProfile` learned from the catalog's bars.

The profile is the average, over the last ``lookback_days`` UTC days with volume before the
start, of each day's share of volume per ``bucket_seconds`` bucket of the UTC day (a bar is
counted in the bucket where it starts, one nanosecond before its close). A slice's weight is the
profile integrated over its interval (the last slice runs to the end of the horizon). Without
history, or if the history has no volume in the horizon, the fallback is a U-shape over the
horizon (density ``1 + 3 (2u - 1)^2`` at fraction ``u`` of it: three times the midday rate at
the ends, the synthetic market's shape) or flat (TWAP).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, field_validator

from midfreq.core.clock import NANOS_PER_DAY, NANOS_PER_SECOND
from midfreq.data.catalog import ParquetCatalog
from midfreq.execution.algorithms.framework import AlgoParams
from midfreq.execution.algorithms.twap import ScheduledAlgorithm, ScheduleParams
from midfreq.model.identifiers import InstrumentId

if TYPE_CHECKING:
    from midfreq.execution.algorithms.engine import AlgoRun


@dataclass(frozen=True, slots=True)
class VolumeProfile:
    """Expected share of a day's volume in each ``bucket_seconds`` bucket of the UTC day.

    Examples
    --------
    >>> profile = VolumeProfile.from_bars(
    ...     np.array([1_800, 3_600, 88_200, 90_000]) * NANOS_PER_SECOND,
    ...     np.array([30.0, 10.0, 10.0, 10.0]), bucket_seconds=1800)
    >>> [round(s, 3) for s in profile.shares[:2]], profile.days
    ([0.625, 0.375], 2)
    """

    bucket_seconds: int
    shares: tuple[float, ...]
    days: int

    @classmethod
    def from_bars(
        cls,
        ts: npt.NDArray[np.int64],
        volume: npt.NDArray[np.float64],
        *,
        bucket_seconds: int,
        lookback_days: int | None = None,
    ) -> VolumeProfile | None:
        """Learn the profile from bar close times and volumes (None without any volume)."""
        if NANOS_PER_DAY % (bucket_seconds * NANOS_PER_SECOND):
            raise ValueError(f"bucket_seconds: expected a divisor of 86400, was {bucket_seconds}")
        bucket_ns = bucket_seconds * NANOS_PER_SECOND
        starts = np.asarray(ts, dtype=np.int64) - 1
        day = starts // NANOS_PER_DAY
        bucket = (starts % NANOS_PER_DAY) // bucket_ns
        days, day_index = np.unique(day, return_inverse=True)
        grid = np.zeros((len(days), NANOS_PER_DAY // bucket_ns))
        np.add.at(grid, (day_index, bucket), np.asarray(volume, dtype=np.float64))
        totals = grid.sum(axis=1)
        grid = grid[totals > 0]
        totals = totals[totals > 0]
        if lookback_days is not None:
            grid, totals = grid[-lookback_days:], totals[-lookback_days:]
        if len(grid) == 0:
            return None
        shares = (grid / totals[:, None]).mean(axis=0)
        return cls(bucket_seconds, tuple(float(s) for s in shares), len(grid))

    def weight(self, start_ns: int, end_ns: int) -> float:
        """Expected share of a day's volume between ``start_ns`` and ``end_ns``."""
        bucket_ns = self.bucket_seconds * NANOS_PER_SECOND
        total = 0.0
        t = start_ns
        while t < end_ns:
            into_day = t % NANOS_PER_DAY
            bucket_end = t - into_day % bucket_ns + bucket_ns
            stop = min(end_ns, bucket_end)
            total += self.shares[into_day // bucket_ns] * (stop - t) / bucket_ns
            t = stop
        return total


class CatalogVolumeProfiles:
    """A VWAP profile source reading bars from a Parquet catalog (None when it has none).

    Called with ``(instrument_id, end_ns, lookback_days, bucket_seconds)``; reads bars of the
    ``2 * lookback_days + 7`` calendar days before ``end_ns`` (weekends and holidays) and keeps
    the last ``lookback_days`` days with volume.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __call__(
        self, instrument_id: InstrumentId, end_ns: int, lookback_days: int, bucket_seconds: int
    ) -> VolumeProfile | None:
        catalog = ParquetCatalog(self.root)
        if not catalog.partitions("bars", str(instrument_id)):
            return None
        start_ns = end_ns - (2 * lookback_days + 7) * NANOS_PER_DAY
        bars = catalog.read_bars(instrument_id, start_ns, end_ns - 1)
        if len(bars) == 0:
            return None
        return VolumeProfile.from_bars(
            bars.ts, bars.volume, bucket_seconds=bucket_seconds, lookback_days=lookback_days
        )


class VwapParams(ScheduleParams):
    """VWAP settings (``exec_params``).

    Parameters
    ----------
    horizon_seconds, interval_seconds : float
        See `ScheduleParams`.
    lookback_days : int, default 20
        Days of history the profile averages.
    bucket_seconds : int, default 1800
        Width of the profile's buckets (a divisor of 86400).
    fallback : "u_shape" or "flat", default "u_shape"
        The profile over the horizon when there is no usable history.
    """

    lookback_days: int = Field(default=20, ge=1)
    bucket_seconds: int = Field(default=1800, gt=0)
    fallback: Literal["u_shape", "flat"] = "u_shape"

    @field_validator("bucket_seconds")
    @classmethod
    def _divides_day(cls, value: int) -> int:
        if 86_400 % value:
            raise ValueError("a divisor of 86400")
        return value


def u_shape_weight(lo: float, hi: float) -> float:
    """Integral of ``(1 + 3 (2u - 1)^2) / 2`` over ``[lo, hi]`` (the whole of [0, 1] is 1)."""
    return (hi - lo) / 2 + ((2 * hi - 1) ** 3 - (2 * lo - 1) ** 3) / 4


class VwapAlgorithm(ScheduledAlgorithm):
    """Volume-weighted average price: slices follow the intraday volume profile."""

    name: ClassVar[str] = "vwap"
    params_class: ClassVar[type[AlgoParams]] = VwapParams
    params: VwapParams
    profile_used: str = ""
    """``catalog (N days)``, ``u_shape`` or ``flat``: where the weights came from."""

    def weights(self, run: AlgoRun) -> list[float]:
        p = self.params
        offsets = self.slice_offsets_ns()
        horizon_ns = round(p.horizon_seconds * NANOS_PER_SECOND)
        bounds = [*offsets, horizon_ns]
        profile = run.volume_profile(p.lookback_days, p.bucket_seconds)
        if isinstance(profile, VolumeProfile):
            start = run.start_ns
            weights = [profile.weight(start + lo, start + hi) for lo, hi in pairwise(bounds)]
            if sum(weights) > 0:
                self.profile_used = f"catalog ({profile.days} days)"
                # A slice in a bucket without history volume still gets a sliver, so the
                # cumulative targets stay strictly increasing.
                floor = 1e-6 * sum(weights)
                return [max(w, floor) for w in weights]
        self.profile_used = p.fallback
        if p.fallback == "flat":
            return [hi - lo for lo, hi in pairwise(bounds)]
        return [u_shape_weight(lo / horizon_ns, hi / horizon_ns) for lo, hi in pairwise(bounds)]

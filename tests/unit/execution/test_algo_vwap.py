"""VWAP: the intraday volume profile learned from the catalog (checked against the synthetic
market's closed-form U-shape), the schedule that follows it, and the fallbacks."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.integrate import quad

from algo_desk import AAA, MIN, Desk
from midfreq.core.clock import NANOS_PER_DAY
from midfreq.data.bars import BarArrays
from midfreq.data.catalog import ParquetCatalog
from midfreq.data.synthetic import SyntheticMarketConfig, generate_session_bars
from midfreq.execution.algorithms.vwap import VolumeProfile, u_shape_weight
from midfreq.model.enums import OrderStatus

BUCKET = 30 * MIN
# The synthetic market's U-shape: share of a 390-minute session in each 30-minute bucket.
EXPECTED_SHARES = np.array([u_shape_weight(k / 13, (k + 1) / 13) for k in range(13)])


@pytest.fixture(scope="module")
def session_bars() -> BarArrays:
    """21 XNYS sessions of one-minute bars (2024-01-02 .. 2024-01-31) with the U-shaped
    intraday volume profile; sessions open at 14:30 UTC."""
    config = SyntheticMarketConfig(symbols=["AAA"], calendar="XNYS", intraday_volume_profile=True)
    (bars,) = generate_session_bars(config, date(2024, 1, 2), date(2024, 1, 31))
    return bars


def _split(bars: BarArrays, ts: int) -> tuple[BarArrays, BarArrays]:
    def part(mask: Any) -> BarArrays:
        return BarArrays(
            bars.instrument_id,
            bars.ts[mask],
            bars.open[mask],
            bars.high[mask],
            bars.low[mask],
            bars.close[mask],
            bars.volume[mask],
        )

    return part(bars.ts < ts), part(bars.ts >= ts)


def test_u_shape_weight_is_the_integral_of_the_density() -> None:
    for lo, hi in [(0.0, 1.0), (0.0, 0.1), (0.3, 0.7), (0.9, 1.0)]:
        value, _ = quad(lambda u: (1 + 3 * (2 * u - 1) ** 2) / 2, lo, hi)
        assert u_shape_weight(lo, hi) == pytest.approx(value, rel=1e-12)


def test_profile_from_hand_made_bars() -> None:
    day = NANOS_PER_DAY
    ts = np.array([BUCKET, 2 * BUCKET, day + BUCKET, day + 2 * BUCKET, 2 * day + BUCKET])
    volume = np.array([30.0, 10.0, 10.0, 10.0, 0.0])  # the third day has no volume: skipped
    profile = VolumeProfile.from_bars(ts, volume, bucket_seconds=1800)
    assert profile is not None and profile.days == 2
    assert profile.shares[:3] == pytest.approx((0.625, 0.375, 0.0))
    # Half of bucket 0 and all of bucket 1.
    assert profile.weight(BUCKET // 2, 2 * BUCKET) == pytest.approx(0.3125 + 0.375)
    last = VolumeProfile.from_bars(ts, volume, bucket_seconds=1800, lookback_days=1)
    assert last is not None and last.shares[:2] == pytest.approx((0.5, 0.5))


def test_profile_learned_from_the_catalog_matches_the_synthetic_shape(
    session_bars: BarArrays, tmp_path: Path
) -> None:
    from midfreq.execution.algorithms import CatalogVolumeProfiles

    ParquetCatalog(tmp_path).write_bars(session_bars)
    end = int(session_bars.ts[-1]) + 1
    profile = CatalogVolumeProfiles(tmp_path)(AAA, end, 20, 1800)
    assert profile is not None and profile.days == 20
    shares = np.array(profile.shares)
    open_bucket = (14 * 3600 + 1800) // 1800
    session = shares[open_bucket : open_bucket + 13]
    assert session.sum() == pytest.approx(1.0)
    assert shares.sum() == pytest.approx(1.0)
    # Stated tolerance: each bucket within 5% (relative) of the closed form (measured: 1.8%).
    np.testing.assert_allclose(session, EXPECTED_SHARES, rtol=0.05)
    assert CatalogVolumeProfiles(tmp_path / "none")(AAA, end, 20, 1800) is None


def test_vwap_follows_the_profile_over_a_synthetic_session(
    session_bars: BarArrays, tmp_path: Path
) -> None:
    last_open = int(session_bars.ts[-390]) - MIN  # the last session's open, 14:30 UTC
    history, today = _split(session_bars, last_open)
    ParquetCatalog(tmp_path).write_bars(history)
    desk = Desk(last_open, catalog={"path": str(tmp_path)})
    quantity = 2000
    parent = desk.submit(quantity, "vwap", {"horizon_seconds": 390 * 60, "interval_seconds": 1800})
    algorithm = desk.kernel.algorithms.run(parent.client_order_id).algorithm
    assert algorithm.profile_used == "catalog (20 days)"
    for bar in today.iter_bars():
        desk.kernel.process_bar(bar)
    children = desk.children(parent)
    assert [(c.ts_init - last_open) // BUCKET for c in children] == list(range(13))
    assert parent.status is OrderStatus.FILLED
    # The schedule is the learned profile's cumulative share, floored to the lot.
    learned = VolumeProfile.from_bars(history.ts, history.volume, bucket_seconds=1800)
    assert learned is not None
    shares = np.array(
        [learned.weight(last_open + k * BUCKET, last_open + (k + 1) * BUCKET) for k in range(13)]
    )
    cumulative = np.cumsum([c.quantity for c in children])
    np.testing.assert_allclose(
        cumulative / quantity, np.cumsum(shares) / shares.sum(), atol=1 / quantity
    )
    # Against the day's actual volume: the share done by the end of each bucket tracks the
    # share of the day's volume traded by then within 3 points (measured: 1.34).
    bucket_of_bar = (today.ts - 1 - last_open) // BUCKET
    actual = np.cumsum(np.bincount(bucket_of_bar, weights=today.volume, minlength=13))
    actual /= actual[-1]
    deviation = np.abs(cumulative / quantity - actual).max()
    assert deviation < 0.03
    # And the U-shape shows: the first and last buckets trade over three times the middle.
    sizes = np.diff(np.concatenate([[0.0], cumulative]))
    assert min(sizes[0], sizes[-1]) > 3 * sizes[6]


@pytest.mark.parametrize(
    ("fallback", "expected"),
    [
        # U-shape over thirds of the horizon: 1/6 + 26/108 = 0.4074, 1/6 + 2/108 = 0.1852,
        # 0.4074: cumulative targets floor(40.74) = 40, floor(59.26) = 59, 100.
        ("u_shape", [40.0, 19.0, 41.0]),
        ("flat", [33.0, 33.0, 34.0]),
    ],
)
def test_without_history_vwap_falls_back(
    fallback: str, expected: list[float], tmp_path: Path
) -> None:
    desk = Desk(catalog={"path": str(tmp_path / "empty")})
    desk.bar()
    params = {"horizon_seconds": 180, "interval_seconds": 60, "fallback": fallback}
    parent = desk.submit(100, "vwap", params)
    for _ in range(4):
        desk.bar()
    assert [c.quantity for c in desk.children(parent)] == expected
    assert desk.kernel.algorithms.run(parent.client_order_id).algorithm.profile_used == fallback

"""Indicator speed: updates per second of each incremental indicator (one Python call per value,
as a strategy makes them) and values per second of its batch form over numpy arrays.

Data: a seeded random walk of closes (with highs, lows, volumes and a correlated second series).
Each figure is the best of ``--repeats`` runs. Window statistics are measured at two periods,
because their batch forms do O(n * period) vectorised arithmetic (exact per window).

Usage: python bench/bench_indicators.py [--updates 500000] [--batch 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from midfreq.strategies.indicators import (
    AverageTrueRange,
    BollingerBands,
    ExponentialMovingAverage,
    KalmanHedgeRatio,
    RelativeStrengthIndex,
    RollingBeta,
    RollingCorrelation,
    RollingStandardDeviation,
    RollingVolumeWeightedAveragePrice,
    RollingZScore,
    SimpleMovingAverage,
    VolumeWeightedAveragePrice,
    WilderMovingAverage,
)


def _market(size: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2024)
    close = 100.0 * np.exp(rng.normal(0.0, 0.001, size).cumsum())
    return {
        "close": close,
        "high": close * (1.0 + rng.uniform(0.0, 0.002, size)),
        "low": close * (1.0 - rng.uniform(0.0, 0.002, size)),
        "volume": rng.integers(1, 1_000, size).astype(float),
        "other": 0.5 * close + rng.normal(0.0, 0.05, size),
    }


# name -> (factory, input columns, batch call taking the market dict)
Case = tuple[Callable[[], Any], tuple[str, ...], Callable[[dict[str, np.ndarray]], Any]]


def _cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for period in (20, 200):
        cases[f"SimpleMovingAverage({period})"] = (
            lambda p=period: SimpleMovingAverage(p),
            ("close",),
            lambda m, p=period: SimpleMovingAverage.batch(m["close"], p),
        )
    cases["ExponentialMovingAverage(20)"] = (
        lambda: ExponentialMovingAverage(20),
        ("close",),
        lambda m: ExponentialMovingAverage.batch(m["close"], 20),
    )
    cases["WilderMovingAverage(14)"] = (
        lambda: WilderMovingAverage(14),
        ("close",),
        lambda m: WilderMovingAverage.batch(m["close"], 14),
    )
    for period in (20, 200):
        cases[f"RollingStandardDeviation({period})"] = (
            lambda p=period: RollingStandardDeviation(p),
            ("close",),
            lambda m, p=period: RollingStandardDeviation.batch(m["close"], p),
        )
        cases[f"RollingZScore({period})"] = (
            lambda p=period: RollingZScore(p),
            ("close",),
            lambda m, p=period: RollingZScore.batch(m["close"], p),
        )
    cases["BollingerBands(20)"] = (
        lambda: BollingerBands(20),
        ("close",),
        lambda m: BollingerBands.batch(m["close"], 20),
    )
    cases["RelativeStrengthIndex(14)"] = (
        lambda: RelativeStrengthIndex(14),
        ("close",),
        lambda m: RelativeStrengthIndex.batch(m["close"], 14),
    )
    cases["AverageTrueRange(14)"] = (
        lambda: AverageTrueRange(14),
        ("high", "low", "close"),
        lambda m: AverageTrueRange.batch(m["high"], m["low"], m["close"], 14),
    )
    cases["VolumeWeightedAveragePrice"] = (
        VolumeWeightedAveragePrice,
        ("close", "volume"),
        lambda m: VolumeWeightedAveragePrice.batch(m["close"], m["volume"]),
    )
    cases["RollingVolumeWeightedAveragePrice(20)"] = (
        lambda: RollingVolumeWeightedAveragePrice(20),
        ("close", "volume"),
        lambda m: RollingVolumeWeightedAveragePrice.batch(m["close"], m["volume"], 20),
    )
    for period in (20, 200):
        cases[f"RollingCorrelation({period})"] = (
            lambda p=period: RollingCorrelation(p),
            ("close", "other"),
            lambda m, p=period: RollingCorrelation.batch(m["close"], m["other"], p),
        )
    cases["RollingBeta(60)"] = (
        lambda: RollingBeta(60),
        ("close", "other"),
        lambda m: RollingBeta.batch(m["close"], m["other"], 60),
    )
    cases["KalmanHedgeRatio"] = (
        KalmanHedgeRatio,
        ("close", "other"),
        lambda m: KalmanHedgeRatio.batch(m["close"], m["other"]),
    )
    return cases


def _best(run: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def _incremental(factory: Callable[[], Any], columns: list[list[float]]) -> Callable[[], None]:
    def run() -> None:
        update = factory().update
        if len(columns) == 1:
            for value in columns[0]:
                update(value)
        else:
            for row in zip(*columns, strict=True):
                update(*row)

    return run


def main() -> None:
    """Parse arguments and print one JSON line per indicator."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=500_000)
    parser.add_argument("--batch", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    small, large = _market(args.updates), _market(args.batch)
    lists = {name: column.tolist() for name, column in small.items()}
    for name, (factory, inputs, batch) in _cases().items():
        columns = [lists[column] for column in inputs]
        incremental = _best(_incremental(factory, columns), args.repeats)
        vectorised = _best(lambda batch=batch: batch(large), args.repeats)
        print(
            json.dumps(
                {
                    "indicator": name,
                    "updates_per_second": round(args.updates / incremental),
                    "microseconds_per_update": round(incremental / args.updates * 1e6, 3),
                    "batch_values_per_second": round(args.batch / vectorised),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()

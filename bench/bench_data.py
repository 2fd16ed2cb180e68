"""Data-layer benchmarks (issue: the data layer).

import  - import a 10,000,000-row CSV of one-second bars into a fresh catalog: rows/s and
          peak memory (the file is written first, untimed, by another process so that the
          peak is the import's alone).
replay  - stream 50,000,000 bars (10 symbols x 5,000,000 ten-second bars, generated into a
          catalog first, untimed) from the catalog through the kernel with a strategy that
          receives every bar and does nothing: bars/s and peak memory.

Each case runs in its own process (peak memory is ru_maxrss). Usage:
  python bench/bench_data.py import [--rows N] [--chunk-rows N] [--workdir DIR]
  python bench/bench_data.py replay [--bars-per-symbol N] [--symbols N] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from midfreq.backtest.engine import BacktestEngine
from midfreq.data.catalog import ParquetCatalog
from midfreq.data.importer import DEFAULT_CHUNK_ROWS, import_file
from midfreq.data.synthetic import SyntheticMarketConfig, iter_bar_windows
from midfreq.model.data import Bar
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy
from midfreq.strategies.factory import StrategyFactory
from midfreq.system.config import parse_system_config

START_NS = 1_577_836_800 * 10**9  # 2020-01-01T00:00:00Z


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def write_import_file(rows: int, source: Path) -> None:
    """Write a CSV of ``rows`` one-second bars (epoch-nanosecond times) to ``source``."""
    market = SyntheticMarketConfig(symbols=["AAA"], bar_interval_seconds=1, seed=3)
    with source.open("w") as out:
        out.write("timestamp,open,high,low,close,volume\n")
        for window in iter_bar_windows(market, START_NS, rows):
            bars = window[0]
            frame = pd.DataFrame(
                {
                    "timestamp": bars.ts,
                    "open": bars.open,
                    "high": bars.high,
                    "low": bars.low,
                    "close": bars.close,
                    "volume": bars.volume,
                }
            )
            frame.to_csv(out, header=False, index=False)


def import_case(rows: int, workdir: Path, chunk_rows: int) -> dict[str, object]:
    """Write a CSV of ``rows`` one-second bars (in a child process), then time its import."""
    source = workdir / "bars.csv"
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(write_import_file, rows, source).result()
    size_mb = round(source.stat().st_size / 1e6, 1)
    catalog = ParquetCatalog(workdir / "catalog")
    before_mb = _peak_mb()
    started = time.perf_counter()
    report = import_file(catalog, source, InstrumentId("AAA.SIM"), chunk_rows=chunk_rows)
    seconds = time.perf_counter() - started
    return {
        "case": "import",
        "rows": report.rows_written,
        "file_mb": size_mb,
        "chunk_rows": chunk_rows,
        "partitions": len(catalog.partitions("bars", "AAA.SIM")),
        "seconds": round(seconds, 2),
        "rows_per_second": round(report.rows_written / seconds),
        "peak_rss_before_import_mb": before_mb,
        "peak_rss_mb": _peak_mb(),
    }


class Receiver(BaseStrategy):
    """Receive every bar and do nothing (the kernel's data path alone)."""

    keeps_price_history = False

    def on_bar(self, bar: Bar) -> None:
        """Do nothing."""


def replay_case(bars_per_symbol: int, symbols: int, workdir: Path) -> dict[str, object]:
    """Generate bars into a catalog, then time a backtest that streams them from it."""
    names = [f"S{i:02d}" for i in range(symbols)]
    catalog = ParquetCatalog(workdir / "catalog")
    market = SyntheticMarketConfig(symbols=names, bar_interval_seconds=10, seed=5)
    for window in iter_bar_windows(market, START_NS, bars_per_symbol):
        for bars in window:
            catalog.write_bars(bars)
    last_day = pd.Timestamp(START_NS + bars_per_symbol * 10 * 10**9, tz="UTC").date()
    StrategyFactory.register("receiver", Receiver)
    config = parse_system_config(
        {
            "data_feed": {"symbols": names},
            "strategies": {"receiver": {"class": "receiver"}},
            "catalog": {"path": str(workdir / "catalog")},
            "logging": {"file": None},
            "backtest": {
                "start_date": "2019-12-31",
                "end_date": str(last_day),
                "data": {"source": "catalog"},
            },
        }
    )
    started = time.perf_counter()
    result = BacktestEngine(config).run_backtest()
    seconds = time.perf_counter() - started
    return {
        "case": "replay",
        "symbols": symbols,
        "bars": result.bars_processed,
        "seconds": round(seconds, 2),
        "bars_per_second": round(result.bars_processed / seconds),
        "peak_rss_mb": _peak_mb(),
    }


def main() -> None:
    """Run one case in a fresh process (or inline with --inline)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=["import", "replay"])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS)
    parser.add_argument("--bars-per-symbol", type=int, default=5_000_000)
    parser.add_argument("--symbols", type=int, default=10)
    parser.add_argument("--workdir", help="scratch folder (default: a temporary one)")
    parser.add_argument("--inline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.inline:
        command = [sys.executable, __file__, *sys.argv[1:], "--inline"]
        subprocess.run(command, check=True)
        return
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="midfreq-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if args.case == "import":
            figures = import_case(args.rows, workdir, args.chunk_rows)
        else:
            figures = replay_case(args.bars_per_symbol, args.symbols, workdir)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()

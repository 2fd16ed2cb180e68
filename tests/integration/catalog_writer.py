"""Helper process for test_catalog_crash.py: overwrite one large bars partition again and again.

Usage: ``python catalog_writer.py CATALOG_ROOT ROWS MAX_WRITES [HOLD]``. Writes version 1
(every volume 1.0) and prints ``ready <seconds>`` (how long that write took); then alternates
versions 2, 1, 2, ... printing ``writing <n> <version>`` just before each overwrite, until
killed or MAX_WRITES overwrites are done (then ``done``). Prices follow `bars_frame`.

HOLD stops the first overwrite at a chosen moment, prints where, and sleeps (to be killed):
``mid-file`` with half of the temporary file written, ``before-rename`` with the temporary file
complete but not yet renamed over the partition.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from midfreq.data.catalog import ParquetCatalog

INSTRUMENT = "BIG.SIM"
DAY_START_NS = 1_704_153_600 * 10**9  # 2024-01-02T00:00:00Z
STEP_NS = 100_000_000  # 100 ms: 864,000 slots in one UTC day
HOLD_SECONDS = 30.0


def bars_frame(rows: int, volume: float) -> pd.DataFrame:
    """``rows`` bars of one UTC day, 100 ms apart; versions differ only by ``volume``."""
    i = np.arange(rows, dtype=np.int64)
    close = 100.0 + (i % 1000) * 0.01
    return pd.DataFrame(
        {
            "ts_event": DAY_START_NS + i * STEP_NS,
            "open": close - 0.005,
            "high": close + 0.02,
            "low": close - 0.02,
            "close": close,
            "volume": np.full(rows, volume),
        }
    )


def _hold(where: str, temp: object) -> None:
    print(f"holding {where} {temp}", flush=True)
    time.sleep(HOLD_SECONDS)
    print("hold expired", flush=True)
    raise SystemExit(3)


def _install_hold(mode: str) -> None:
    """Patch the functions the catalog calls so that the next write stops at ``mode``."""
    if mode == "before-rename":
        real_replace = os.replace

        def replace(src: Any, dst: Any) -> None:
            if str(dst).endswith(".parquet"):
                _hold(mode, src)
            real_replace(src, dst)

        os.replace = replace  # type: ignore[assignment]
    elif mode == "mid-file":
        real_write_table = pq.write_table

        def write_table(table: Any, where: Any, **kwargs: Any) -> None:
            real_write_table(table, where, **kwargs)
            where.flush()
            size = os.fstat(where.fileno()).st_size
            where.truncate(size // 2)
            where.flush()
            _hold(mode, f"{size // 2} of {size} bytes")

        pq.write_table = write_table
    elif mode != "none":
        raise SystemExit(f"HOLD: expected none, mid-file or before-rename, was {mode!r}")


def main(argv: list[str]) -> int:
    root, rows, max_writes = argv[0], int(argv[1]), int(argv[2])
    hold = argv[3] if len(argv) > 3 else "none"
    catalog = ParquetCatalog(root)
    versions = {1: bars_frame(rows, 1.0), 2: bars_frame(rows, 2.0)}
    started = time.perf_counter()
    catalog.write("bars", INSTRUMENT, versions[1], mode="overwrite")
    print(f"ready {time.perf_counter() - started:.6f}", flush=True)
    _install_hold(hold)
    for n in range(1, max_writes + 1):
        version = 2 if n % 2 else 1
        print(f"writing {n} {version}", flush=True)
        catalog.write("bars", INSTRUMENT, versions[version], mode="overwrite")
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

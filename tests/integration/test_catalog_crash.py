"""Crash safety of the Parquet catalog: a writer process killed with SIGKILL at any moment of an
overwrite leaves the partition reading back as one complete version, never a mix or an error.

The writer (`catalog_writer.py`) overwrites one 500,000-row bars partition again and again,
alternating two versions told apart by their volume column (all 1.0 or all 2.0).
"""

from __future__ import annotations

import importlib.util
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from midfreq.data.catalog import ParquetCatalog

WRITER = Path(__file__).with_name("catalog_writer.py")
INSTRUMENT = "BIG.SIM"
ROWS = 500_000
DAY_START = int(datetime(2024, 1, 2, tzinfo=UTC).timestamp()) * 10**9
STEP = 100_000_000  # 100 ms
STARTUP_TIMEOUT = 15.0  # seconds for the writer to import and write its first version
LINE_TIMEOUT = 10.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]


def load_writer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("catalog_writer", WRITER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Writer:
    """The writer subprocess and a queue of the lines it prints (read by a daemon thread)."""

    def __init__(self, root: Path, max_writes: int, hold: str = "none") -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WRITER), str(root), str(ROWS), str(max_writes), hold],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def wait_for(self, prefix: str, timeout: float = LINE_TIMEOUT) -> str:
        """Return the next line starting with ``prefix``; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"writer printed no {prefix!r} line in {timeout} s: {self.seen}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                assert self.process.stderr is not None
                pytest.fail(
                    f"writer ended before {prefix!r}: {self.seen}\n{self.process.stderr.read()}"
                )
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def kill(self) -> int:
        self.process.send_signal(signal.SIGKILL)
        return self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def start_writer(tmp_path: Path) -> Iterator[Callable[..., Writer]]:
    writers: list[Writer] = []

    def start(max_writes: int, hold: str = "none") -> Writer:
        writer = Writer(tmp_path / "catalog", max_writes, hold)
        writers.append(writer)
        return writer

    yield start
    for writer in writers:
        writer.stop()


def stored_version(root: Path) -> float:
    """Read the partition back; check it is one whole version and return its volume."""
    catalog = ParquetCatalog(root)
    assert [p.name for p in catalog.partitions("bars", INSTRUMENT)] == ["2024-01-02.parquet"]
    frame = catalog.read("bars", INSTRUMENT)
    assert len(frame) == ROWS
    volumes = np.unique(frame["volume"].to_numpy())
    assert volumes.tolist() in ([1.0], [2.0]), f"mixed or unknown volumes {volumes[:5]}"
    assert np.array_equal(
        frame["ts_event"].to_numpy(), DAY_START + np.arange(ROWS, dtype=np.int64) * STEP
    )
    pd.testing.assert_frame_equal(frame, load_writer().bars_frame(ROWS, float(volumes[0])))
    (entry,) = catalog.entries()
    assert (entry.rows, entry.partitions) == (ROWS, 1)
    assert (entry.first_ts, entry.last_ts) == (DAY_START, DAY_START + (ROWS - 1) * STEP)
    return float(volumes[0])


def test_the_day_fits_the_partition() -> None:
    # 500,000 bars 100 ms apart stay inside one UTC day (864,000 slots).
    frame = load_writer().bars_frame(ROWS, 1.0)
    ts = frame["ts_event"].to_numpy()

    assert len(frame) == ROWS
    assert bool(np.all(np.diff(ts) > 0))
    assert ts[0] // (86_400 * 10**9) == ts[-1] // (86_400 * 10**9)
    assert ts[0] == DAY_START


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_writer_killed_at_a_random_moment_leaves_one_complete_version(
    tmp_path: Path, start_writer: Callable[..., Writer], seed: int
) -> None:
    rng = random.Random(seed)
    writer = start_writer(max_writes=60)
    write_seconds = float(writer.wait_for("ready", STARTUP_TIMEOUT).split()[1])
    target = rng.randint(1, 3)
    writing = writer.wait_for(f"writing {target} ")
    # Somewhere inside this overwrite, or just after it.
    time.sleep(rng.uniform(0.0, 1.5 * write_seconds))

    code = writer.kill()

    assert code == -signal.SIGKILL
    assert writing.split()[:2] == ["writing", str(target)]
    assert stored_version(tmp_path / "catalog") in (1.0, 2.0)


@pytest.mark.parametrize("hold", ["mid-file", "before-rename"])
def test_writer_killed_inside_an_overwrite_leaves_the_previous_version(
    tmp_path: Path, start_writer: Callable[..., Writer], hold: str
) -> None:
    root = tmp_path / "catalog"
    writer = start_writer(max_writes=1, hold=hold)
    writer.wait_for("ready", STARTUP_TIMEOUT)
    assert writer.wait_for("writing") == "writing 1 2"
    writer.wait_for(f"holding {hold}")
    folder = root / "bars" / INSTRUMENT
    temporary = [p for p in folder.iterdir() if p.name.endswith(".tmp")]

    code = writer.kill()

    assert code == -signal.SIGKILL
    assert len(temporary) == 1  # the half-done version 2, left behind by the crash
    assert temporary[0].exists()
    assert stored_version(root) == 1.0
    # A later writer replaces the partition normally despite the leftover temporary file.
    again = start_writer(max_writes=1)
    again.wait_for("done", STARTUP_TIMEOUT)
    assert again.process.wait(timeout=10) == 0
    assert stored_version(root) == 2.0


def test_reader_during_overwrites_sees_only_whole_versions(
    tmp_path: Path, start_writer: Callable[..., Writer]
) -> None:
    root = tmp_path / "catalog"
    writer = start_writer(max_writes=40)
    writer.wait_for("ready", STARTUP_TIMEOUT)
    writer.wait_for("writing 1 ")

    seen = [stored_version(root) for _ in range(8)]

    writer.kill()
    assert set(seen) <= {1.0, 2.0}
    assert len(seen) == 8

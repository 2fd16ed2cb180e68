"""Staging checked rows on disk and writing them to the catalog one whole day at a time."""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from midfreq.core.errors import DataError
from midfreq.data.catalog import SCHEMAS, ParquetCatalog
from midfreq.data.importer._checks import _AGGRESSORS, _Scanner
from midfreq.data.importer._reading import _NS_PER_DAY, _batches, _chunks
from midfreq.model.identifiers import InstrumentId


def _stage(
    path: Path,
    found: dict[str, str],
    scanner: _Scanner,
    staged: Path,
    rejects: _Rejects,
    on_error: str,
    chunk_rows: int,
) -> tuple[bool, set[int]]:
    """Pass 1: check every chunk; stage the good rows (until a bad row dooms a stopping
    import) and write the bad ones to the rejects file; return whether rows were staged and
    the UTC days (since 1970) they fall on."""
    schema = SCHEMAS[scanner.data_type]
    days: set[int] = set()
    writer: pq.ParquetWriter | None = None
    try:
        for frame in _chunks(path, found, chunk_rows):
            offset = scanner.rows
            ts, values, codes = scanner.scan(frame)
            bad = codes != 0
            if on_error == "stop" and scanner.rejected:
                continue  # nothing will be written: only count the problems
            if bad.any():
                out = frame[bad].copy()
                out.insert(0, "problem", np.asarray(scanner.texts, dtype=object)[codes[bad]])
                out.insert(0, "row", offset + np.flatnonzero(bad))
                rejects.write(out)
            good = ~bad
            if not good.any():
                continue
            table = _table(scanner, ts[good], {k: v[good] for k, v in values.items()}, frame[good])
            days.update(np.unique(table["ts_event"].to_numpy() // _NS_PER_DAY).tolist())
            if writer is None:
                writer = pq.ParquetWriter(staged, schema, compression="none")
            writer.write_table(pa.Table.from_pandas(table, schema=schema, preserve_index=False))
    finally:
        if writer is not None:
            writer.close()
    return writer is not None, days


def _staged_days(staged: Path, batch_rows: int) -> Iterator[pd.DataFrame]:
    """The staged rows (sorted by time) one whole UTC day at a time."""
    pending: list[pd.DataFrame] = []
    current: int | None = None
    for batch in _batches(pq.ParquetFile(staged), batch_rows):
        frame = batch.to_pandas()
        days = frame["ts_event"].to_numpy() // _NS_PER_DAY
        cuts = [0, *(np.flatnonzero(np.diff(days)) + 1).tolist(), len(frame)]
        for start, end in itertools.pairwise(cuts):
            if current is not None and days[start] != current:
                yield pd.concat(pending, ignore_index=True)
                pending = []
            current = int(days[start])
            pending.append(frame.iloc[start:end])
    if pending:
        yield pd.concat(pending, ignore_index=True)


def _refuse_stored_bars(
    catalog: ParquetCatalog,
    instrument_id: InstrumentId,
    staged: Path,
    days: set[int],
    batch_rows: int,
) -> None:
    """Raise if an appended bar is already stored, before any day is written (the catalog
    checks each write, but one day at a time)."""
    stored = {p.stem: p for p in catalog.partitions("bars", instrument_id)}
    clashing = {d for d in days if _day_name(d) in stored}
    if not clashing:
        return
    for frame in _staged_days(staged, batch_rows):
        ts = frame["ts_event"].to_numpy()
        name = _day_name(int(ts[0] // _NS_PER_DAY))
        if name not in stored:
            continue
        existing = pq.read_table(stored[name], columns=["ts_event"]).column(0).to_numpy()
        clash = np.intersect1d(ts, existing)
        if len(clash):
            raise DataError(
                f"catalog write: {instrument_id} bars: expected new timestamps, was "
                f"{pd.Timestamp(int(clash[0]), tz='UTC').isoformat()} already stored "
                "(use overwrite mode to replace)"
            )


class _Rejects:
    """The rejects CSV, written to a temporary file beside it and renamed into place only
    after the catalog writes, so a refused import leaves no rejects file behind."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self._temp: Path | None = None
        self._file: IO[str] | None = None

    def write(self, frame: pd.DataFrame) -> None:
        if self._file is None:
            try:
                handle, name = tempfile.mkstemp(
                    dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".tmp"
                )
            except OSError as exc:
                raise DataError(f"rejects file {self.target}: cannot write: {exc}") from exc
            self._temp = Path(name)
            self._file = os.fdopen(handle, "w", newline="")
            frame.to_csv(self._file, index=False)
        else:
            frame.to_csv(self._file, index=False, header=False)

    def commit(self) -> None:
        if self._file is not None and self._temp is not None:
            self._file.close()
            self._file = None
            os.replace(self._temp, self.target)
            self._temp = None

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None


# ---- reading ----------------------------------------------------------------------------------


def _day_name(day: int) -> str:
    return str(np.datetime64(day, "D"))


# ---- checking ---------------------------------------------------------------------------------


def _table(
    scanner: _Scanner,
    ts: npt.NDArray[np.int64],
    values: dict[str, npt.NDArray[np.float64]],
    frame: pd.DataFrame,
) -> pd.DataFrame:
    """The catalog rows of a chunk's good rows."""
    data_type, found = scanner.data_type, scanner.found
    columns: dict[str, object] = {"ts_event": ts}
    if data_type == "bars":
        for name in ("open", "high", "low", "close"):
            columns[name] = values[name]
        columns["volume"] = values.get("volume", np.zeros(len(ts)))
    elif data_type == "quotes":
        for name in ("bid_price", "ask_price"):
            columns[name] = values[name]
        for name in ("bid_size", "ask_size"):
            columns[name] = values.get(name, np.zeros(len(ts)))
    else:
        columns["price"] = values["price"]
        columns["size"] = values["size"]
        if "aggressor_side" in found:
            raw = frame[found["aggressor_side"]].astype("string").str.strip().str.lower()
            columns["aggressor_side"] = raw.map(_AGGRESSORS).fillna("NO_AGGRESSOR").to_numpy()
        else:
            columns["aggressor_side"] = np.full(len(ts), "NO_AGGRESSOR", dtype=object)
        if "trade_id" in found:
            columns["trade_id"] = frame[found["trade_id"]].astype("string").to_numpy()
        else:
            # Numbered in the file's good rows, across chunks.
            first = scanner.kept - len(ts)
            columns["trade_id"] = np.arange(first, first + len(ts)).astype(str).astype(object)
    return pd.DataFrame(columns)

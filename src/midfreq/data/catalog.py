"""The Parquet catalog: market data stored per data type, instrument and UTC date, one file per
partition, with an explicit schema per type.

Layout: ``ROOT/<bars|quotes|trades>/<SYMBOL.VENUE>/<YYYY-MM-DD>.parquet`` and
``ROOT/instruments.json``. Each partition file is written whole to a temporary file and renamed
into place, so a crash mid-write leaves the previous version readable and never a corrupt or
half-visible file. Reads select partitions by date and stream file by file, so memory stays
bounded by one day of one instrument.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from midfreq.core.errors import DataError
from midfreq.data.bars import BarArrays
from midfreq.model.identifiers import InstrumentId

DataType = Literal["bars", "quotes", "trades"]
DATA_TYPES: tuple[DataType, ...] = ("bars", "quotes", "trades")

SCHEMAS: dict[str, pa.Schema] = {
    "bars": pa.schema(
        [
            ("ts_event", pa.int64()),
            ("open", pa.float64()),
            ("high", pa.float64()),
            ("low", pa.float64()),
            ("close", pa.float64()),
            ("volume", pa.float64()),
        ]
    ),
    "quotes": pa.schema(
        [
            ("ts_event", pa.int64()),
            ("bid_price", pa.float64()),
            ("ask_price", pa.float64()),
            ("bid_size", pa.float64()),
            ("ask_size", pa.float64()),
        ]
    ),
    "trades": pa.schema(
        [
            ("ts_event", pa.int64()),
            ("price", pa.float64()),
            ("size", pa.float64()),
            ("aggressor_side", pa.string()),
            ("trade_id", pa.string()),
        ]
    ),
}
"""The columns stored for each data type (``ts_event`` is UTC nanoseconds)."""

_NS_PER_DAY = 86_400 * 10**9


def _default_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _default_file_mode()


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogEntry:
    """What the catalog holds for one instrument and data type."""

    instrument_id: str
    data_type: str
    asset_class: str | None
    first_ts: int
    last_ts: int
    rows: int
    partitions: int


class ParquetCatalog:
    """Store and query market data under ``root``.

    Parameters
    ----------
    root : str or Path
        The catalog folder (created on first write).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # ---- paths ----------------------------------------------------------------------------
    def _folder(self, data_type: str, instrument_id: str) -> Path:
        _schema(data_type)
        return self.root / data_type / str(instrument_id)

    def partitions(self, data_type: str, instrument_id: str) -> list[Path]:
        """Partition files of one instrument and type, in date order."""
        folder = self._folder(data_type, instrument_id)
        if not folder.is_dir():
            return []
        return sorted(folder.glob("????-??-??.parquet"))

    # ---- writing --------------------------------------------------------------------------
    def write(
        self,
        data_type: DataType,
        instrument_id: InstrumentId | str,
        frame: pd.DataFrame,
        *,
        mode: Literal["append", "overwrite"] = "append",
    ) -> int:
        """Write rows (columns as in `SCHEMAS`, sorted by ``ts_event``); return rows written.

        ``append`` merges the rows into the existing partitions and refuses a bar whose
        timestamp is already stored (say ``overwrite`` to replace); ``overwrite`` replaces every
        date partition the rows fall in. Each partition is replaced atomically.

        Nothing is written unless every partition passes these checks.

        Raises
        ------
        DataError
            If the data type is unknown, columns are missing, timestamps are not sorted (bars:
            not strictly increasing), or an appended bar would duplicate a stored one.
        """
        schema = _schema(data_type)
        missing = [name for name in schema.names if name not in frame.columns]
        if missing:
            raise DataError(f"catalog write: expected columns {schema.names}, missing {missing}")
        frame = frame[schema.names]
        ts = frame["ts_event"].to_numpy(dtype=np.int64)
        if len(ts) and np.any(np.diff(ts) < 0):
            raise DataError("catalog write: ts_event: expected non-decreasing timestamps")
        if data_type == "bars" and len(ts) and np.any(np.diff(ts) == 0):
            clash = ts[1:][np.diff(ts) == 0][0]
            raise DataError(
                f"catalog write: {instrument_id} bars: expected strictly increasing timestamps, "
                f"was {pd.Timestamp(int(clash), tz='UTC').isoformat()} twice"
            )
        folder = self._folder(data_type, instrument_id)
        folder.mkdir(parents=True, exist_ok=True)
        days = ts // _NS_PER_DAY
        # Check (and merge) every partition before replacing any, so a refused append leaves
        # the catalog as it was.
        pending: list[tuple[pd.DataFrame, Path]] = []
        for day in np.unique(days):
            part = frame[days == day]
            path = folder / f"{_day_name(int(day))}.parquet"
            if mode == "append" and path.exists():
                existing = pq.read_table(path, schema=schema).to_pandas()
                merged = pd.concat([existing, part], ignore_index=True)
                merged = merged.sort_values("ts_event", kind="stable", ignore_index=True)
                if data_type == "bars" and merged["ts_event"].duplicated().any():
                    clash = merged["ts_event"][merged["ts_event"].duplicated()].iloc[0]
                    raise DataError(
                        f"catalog write: {instrument_id} bars: expected new timestamps, was "
                        f"{pd.Timestamp(int(clash), tz='UTC').isoformat()} already stored "
                        "(use overwrite mode to replace)"
                    )
                part = merged
            pending.append((part, path))
        for part, path in pending:
            _write_atomic(pa.Table.from_pandas(part, schema=schema, preserve_index=False), path)
        return len(frame)

    def write_bars(
        self, bars: BarArrays, *, mode: Literal["append", "overwrite"] = "append"
    ) -> int:
        """Write `BarArrays`."""
        return self.write("bars", bars.instrument_id, bars.to_frame(), mode=mode)

    def set_asset_class(self, instrument_id: str, asset_class: str) -> None:
        """Record an instrument's asset class in ``instruments.json``."""
        registry = self.instruments()
        registry[str(instrument_id)] = {"asset_class": asset_class}
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "instruments.json"
        text = json.dumps(registry, indent=2, sort_keys=True) + "\n"
        handle, temp = tempfile.mkstemp(dir=self.root, prefix=".instruments.", suffix=".tmp")
        with os.fdopen(handle, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)

    def instruments(self) -> dict[str, dict[str, str]]:
        """The instrument registry (asset classes)."""
        path = self.root / "instruments.json"
        if not path.exists():
            return {}
        data: dict[str, dict[str, str]] = json.loads(path.read_text())
        return data

    # ---- reading --------------------------------------------------------------------------
    def _files_in_range(
        self, data_type: str, instrument_id: str, start_ns: int | None, end_ns: int | None
    ) -> list[Path]:
        first = _day_name(start_ns // _NS_PER_DAY) if start_ns is not None else ""
        last = _day_name(end_ns // _NS_PER_DAY) if end_ns is not None else "9999"
        return [p for p in self.partitions(data_type, instrument_id) if first <= p.stem <= last]

    def iter_frames(
        self,
        data_type: DataType,
        instrument_id: InstrumentId | str,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> Iterator[pd.DataFrame]:
        """Yield the rows with ``start_ns <= ts_event <= end_ns`` one partition at a time."""
        schema = _schema(data_type)
        for path in self._files_in_range(data_type, str(instrument_id), start_ns, end_ns):
            frame = pq.read_table(path, schema=schema).to_pandas()
            ts = frame["ts_event"]
            keep = np.ones(len(frame), dtype=bool)
            if start_ns is not None:
                keep &= ts.to_numpy() >= start_ns
            if end_ns is not None:
                keep &= ts.to_numpy() <= end_ns
            if not keep.all():
                frame = frame[keep].reset_index(drop=True)
            if len(frame):
                yield frame

    def read(
        self,
        data_type: DataType,
        instrument_id: InstrumentId | str,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> pd.DataFrame:
        """All rows in the range as one frame."""
        frames = list(self.iter_frames(data_type, instrument_id, start_ns, end_ns))
        if not frames:
            return pd.DataFrame(
                {f.name: pd.Series(dtype=f.type.to_pandas_dtype()) for f in _schema(data_type)}
            )
        return pd.concat(frames, ignore_index=True)

    def read_bars(
        self,
        instrument_id: InstrumentId | str,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> BarArrays:
        """Bars in the range as `BarArrays`."""
        return BarArrays.from_frame(
            InstrumentId(str(instrument_id)), self.read("bars", instrument_id, start_ns, end_ns)
        )

    def iter_bar_windows(
        self,
        instrument_ids: list[InstrumentId],
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> Iterator[list[BarArrays]]:
        """Bars of several instruments one UTC day at a time (for a streamed backtest)."""
        days: set[str] = set()
        for iid in instrument_ids:
            days.update(p.stem for p in self._files_in_range("bars", iid, start_ns, end_ns))
        for day in sorted(days):
            day_start = int(pd.Timestamp(day, tz="UTC").value)
            lo = day_start if start_ns is None else max(day_start, start_ns)
            hi = day_start + _NS_PER_DAY - 1
            hi = hi if end_ns is None else min(hi, end_ns)
            window = [self.read_bars(iid, lo, hi) for iid in instrument_ids]
            window = [bars for bars in window if len(bars)]
            if window:
                yield window

    # ---- describing -----------------------------------------------------------------------
    def entries(self) -> list[CatalogEntry]:
        """What the catalog holds, per data type and instrument (from file metadata)."""
        registry = self.instruments()
        result = []
        for data_type in DATA_TYPES:
            folder = self.root / data_type
            if not folder.is_dir():
                continue
            for instrument_folder in sorted(p for p in folder.iterdir() if p.is_dir()):
                files = self.partitions(data_type, instrument_folder.name)
                if not files:
                    continue
                rows = 0
                first_ts = last_ts = None
                for path in files:
                    metadata = pq.ParquetFile(path).metadata
                    rows += metadata.num_rows
                    low, high = _ts_range(metadata)
                    first_ts = low if first_ts is None else min(first_ts, low)
                    last_ts = high if last_ts is None else max(last_ts, high)
                info = registry.get(instrument_folder.name, {})
                result.append(
                    CatalogEntry(
                        instrument_id=instrument_folder.name,
                        data_type=data_type,
                        asset_class=info.get("asset_class"),
                        first_ts=int(first_ts or 0),
                        last_ts=int(last_ts or 0),
                        rows=rows,
                        partitions=len(files),
                    )
                )
        return result


def _schema(data_type: str) -> pa.Schema:
    if data_type not in SCHEMAS:
        raise DataError(f"data type: expected one of {', '.join(DATA_TYPES)}, was {data_type!r}")
    return SCHEMAS[data_type]


def _day_name(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day))).isoformat()


def _ts_range(metadata: pq.FileMetaData) -> tuple[int, int]:
    low = high = None
    column = metadata.schema.names.index("ts_event")
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(column).statistics
        if stats is None or not stats.has_min_max:
            continue
        low = stats.min if low is None else min(low, stats.min)
        high = stats.max if high is None else max(high, stats.max)
    return int(low or 0), int(high or 0)


def _write_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to a temporary file beside ``path``, fsync it, then rename it over
    ``path``: readers see the old file or the new one, never a part."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        os.chmod(temp, _FILE_MODE)  # mkstemp makes 0600; catalog files are shared like any file
        with os.fdopen(handle, "wb") as file:
            pq.write_table(table, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)

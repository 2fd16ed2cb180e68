"""Reading import files in chunks: CSV and Parquet headers, row chunks, and timestamps."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from midfreq.core.errors import DataError
from midfreq.data import loaders

_TEXT_FIELDS = ("ts_event", "aggressor_side", "trade_id")  # read as text, never as numbers

_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2})$")

_NO_TIME = np.iinfo(np.int64).min


def _header(path: Path) -> tuple[list[str], dict[str, str]]:
    """The file's column names, and the units recorded in Parquet field metadata by column."""
    source = str(path)
    name = path.name.lower()
    if not name.endswith(loaders.CSV_SUFFIXES + loaders.PARQUET_SUFFIXES):
        raise DataError(
            f"{source}: expected a file ending in one of "
            f"{', '.join(loaders.CSV_SUFFIXES + loaders.PARQUET_SUFFIXES)}, was "
            f"{path.suffix or 'no suffix'!r}"
        )
    if not path.is_file():
        raise DataError(f"{source}: no such file")
    if _is_csv(path):
        try:
            return [str(c) for c in pd.read_csv(path, nrows=0, skipinitialspace=True).columns], {}
        except pd.errors.EmptyDataError as exc:
            raise DataError(f"{source}: file is empty") from exc
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise DataError(f"{source}: cannot read as CSV: {exc}") from exc
    if path.stat().st_size == 0:
        raise DataError(f"{source}: file is empty")
    try:
        schema = pq.ParquetFile(path).schema_arrow
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{source}: cannot read as Parquet: {exc}") from exc
    units = {
        field.name: field.metadata[loaders._UNIT_KEY].decode()
        for field in schema
        if field.metadata and loaders._UNIT_KEY in field.metadata
    }
    return list(schema.names), units


def _chunks(path: Path, found: dict[str, str], chunk_rows: int) -> Iterator[pd.DataFrame]:
    source = str(path)
    text = [found[name] for name in _TEXT_FIELDS if name in found]
    if _is_csv(path):
        precision: Literal["round_trip"] | None = (
            None if loaders._PANDAS_PARSES_FLOATS_EXACTLY else "round_trip"
        )
        try:
            with pd.read_csv(
                path,
                chunksize=chunk_rows,
                skipinitialspace=True,
                dtype=dict.fromkeys(text, "string"),
                float_precision=precision,
            ) as reader:
                for frame in reader:
                    if len(frame):
                        yield frame.reset_index(drop=True)
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise DataError(f"{source}: cannot read as CSV: {exc}") from exc
        return
    try:
        for batch in _batches(pq.ParquetFile(path), chunk_rows):
            frame = batch.to_pandas()
            for column in text:
                # Integers with nulls would become float64, which rounds epoch nanoseconds.
                array = batch.column(column)
                if pa.types.is_integer(array.type) and array.null_count:
                    frame[column] = array.to_pandas(types_mapper=lambda _: pd.Int64Dtype())
            if len(frame):
                yield frame
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{source}: cannot read as Parquet: {exc}") from exc


def _batches(file: pq.ParquetFile, batch_rows: int) -> Iterator[pa.RecordBatch]:
    # One reader per row group: pyarrow's iter_batches over a whole file keeps what it has read
    # until it is exhausted (measured with pyarrow 26: the whole file), one per group only that
    # group.
    for group in range(file.num_row_groups):
        yield from file.iter_batches(batch_size=batch_rows, row_groups=[group])


def _is_csv(path: Path) -> bool:
    return path.name.lower().endswith(loaders.CSV_SUFFIXES)


def _line(path: Path, row: int) -> str:
    return f"line {row + 2}" if _is_csv(path) else "Parquet"


def _timestamps(
    frame: pd.DataFrame,
    found: dict[str, str],
    explicit: Mapping[str, str],
    tz: str,
    source: str,
    unit: str | None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """UTC nanoseconds per row and a mask of rows whose time could not be read."""
    column = found["ts_event"]
    values = _as_integers(loaders._time_values(frame, found, dict(explicit)))
    try:
        ts = loaders._to_utc_ns(values, tz, source, column, unit)
        return ts, np.zeros(len(ts), dtype=bool)
    except DataError:
        pass  # some rows are unreadable: find them all
    parsed: pd.Series
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
        values.dtype
    ):
        parsed = pd.Series(values)
    else:
        text = values.astype("string").str.strip()
        numbers = pd.to_numeric(text, errors="coerce")
        if numbers.notna().sum() * 2 >= text.notna().sum():
            bad = (numbers.isna() | ~np.isfinite(numbers.astype("float64"))).to_numpy()
            ts = np.zeros(len(values), dtype=np.int64)
            if not (~bad).any():
                return ts, bad
            good = numbers[~bad].reset_index(drop=True)
            compact = loaders._compact_dates(good) if unit is None else None
            if compact is None:
                ts[~bad] = loaders._epoch_to_ns(good, source, column, unit)
                return ts, bad
            # YYYYMMDD[HHMMSS] integers with a blank among them are still dates.
            parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
            parsed[~bad] = compact.to_numpy()
        else:
            has_offset = text.str.contains(_OFFSET, na=False).to_numpy()
            aware = pd.to_datetime(
                text.where(has_offset), format="ISO8601", errors="coerce", utc=True
            )
            naive = pd.to_datetime(text.where(~has_offset), format="ISO8601", errors="coerce")
            parsed = aware.where(
                has_offset,
                naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC"),
            )
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    bad = parsed.isna().to_numpy()
    ts = np.zeros(len(parsed), dtype=np.int64)
    ts[~bad] = parsed[~bad].dt.tz_convert("UTC").dt.as_unit("ns").to_numpy(dtype=np.int64)
    return ts, bad


def _as_integers(values: pd.Series) -> pd.Series:
    """Text that is all integers (epoch times) as int64, else unchanged: pyarrow parses them
    a dozen times faster than pandas, to the same numbers."""
    if not isinstance(values.dtype, pd.StringDtype) or values.isna().any():
        return values
    try:
        numbers = pc.cast(pc.utf8_trim_whitespace(pa.array(values.array)), pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return values
    return pd.Series(numbers.to_numpy(), index=values.index, name=values.name)


_NS_PER_DAY = 86_400 * 10**9

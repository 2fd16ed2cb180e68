"""Read OHLCV bars from CSV and Parquet files into `BarArrays`, and write them back.

Column names are matched case-insensitively with common aliases; timestamps may be ISO 8601
strings or dates, epoch integers in seconds to nanoseconds, or datetime columns. Every problem
with a file is a `DataError` naming the file, the row and the value.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from midfreq.core.errors import ConfigError, DataError
from midfreq.data.bars import FRAME_COLUMNS, BarArrays
from midfreq.model.identifiers import InstrumentId

ALIASES: dict[str, tuple[str, ...]] = {
    "ts_event": ("timestamp", "time", "datetime", "date", "ts_event", "ts"),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c", "last", "price"),
    "volume": ("volume", "vol", "v"),
}
"""File column names accepted for each of our fields, in order of preference (lower case)."""

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")

# Parquet field metadata we write on the time column so integers read back as nanoseconds
# whatever their magnitude (nanoseconds before 1973 would otherwise look like microseconds).
_UNIT_KEY = b"unit"

# Epoch integer units, inferred from the largest magnitude: (unit, ns per unit, upper bound).
# Each bound is the year ~5138 in that unit, so present-day values fall well inside one band.
_EPOCH_UNITS = (("s", 10**9, 1e11), ("ms", 10**6, 1e14), ("us", 10**3, 1e17), ("ns", 1, np.inf))
_INT64_MAX = np.iinfo(np.int64).max

# pandas 3 parses CSV floats exactly by default (and deprecates float_precision); pandas 2
# needs float_precision="round_trip" for write/read round trips to be exact.
_PANDAS_PARSES_FLOATS_EXACTLY = int(pd.__version__.split(".")[0]) >= 3

_UTC_OFFSET = r"(?:[zZ]|[+-]\d{2}:?\d{2})$"
_NS_MIN = pd.Timestamp.min.tz_localize("UTC")
_NS_MAX = pd.Timestamp.max.tz_localize("UTC")


def read_bars(
    path: str | Path,
    instrument_id: InstrumentId,
    *,
    tz: str = "UTC",
    columns: Mapping[str, str] | None = None,
) -> BarArrays:
    """Read one instrument's bars from a ``.csv`` or ``.parquet`` file and validate them.

    Columns are found case-insensitively by the names in `ALIASES` (for example ``Date``,
    ``o``, ``Last``, ``vol``); a file with separate ``date`` and ``time`` columns (and no full
    timestamp column) has them joined. Volume is optional and reads as zeros when absent.

    Timestamps may be ISO 8601 strings or dates (those without a UTC offset are local times in
    ``tz``), compact ``YYYYMMDD`` or ``YYYYMMDDHHMMSS`` integers (also local in ``tz``), epoch
    integers or floats in seconds, milliseconds, microseconds or nanoseconds (the unit is
    inferred from the largest magnitude: below 1e11 seconds, 1e14 milliseconds, 1e17
    microseconds), or datetime columns. They are taken as bar close times.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` (or ``.csv.gz``) or ``.parquet`` (or ``.pq``) file.
    instrument_id : InstrumentId
        The instrument of every row.
    tz : str, default "UTC"
        IANA time zone of timestamps written without a UTC offset.
    columns : Mapping[str, str], optional
        Our field name (``ts_event, open, high, low, close, volume``) to the file's column name,
        overriding the aliases for the fields given.

    Returns
    -------
    BarArrays
        Validated bars (see `BarArrays.validate`).

    Raises
    ------
    DataError
        If the file is missing, empty, of another type or unreadable, lacks a required
        column, or has a bad row (the message names the file, the 0-based data row and
        the value).
    ConfigError
        If ``tz`` is not a time zone name.
    """
    path = Path(path)
    source = str(path)
    _check_time_zone(tz)
    frame, units = _read_frame(path)
    if len(frame) == 0:
        raise DataError(f"{source}: no data rows (columns {_column_list(frame)})")
    found = _resolve_columns(frame, columns or {}, source)
    ts_values = _time_values(frame, found, columns or {})
    ts = _to_utc_ns(ts_values, tz, source, found["ts_event"], units.get(found["ts_event"]))
    values = {
        name: _to_float(frame[found[name]], source, found[name])
        for name in ("open", "high", "low", "close")
    }
    if "volume" in found:
        volume = _to_float(frame[found["volume"]], source, found["volume"])
    else:
        volume = np.zeros(len(frame), dtype=np.float64)
    bars = BarArrays(
        instrument_id,
        ts,
        values["open"],
        values["high"],
        values["low"],
        values["close"],
        volume,
    )
    bars.validate(source=source)
    return bars


def write_bars_csv(bars: BarArrays, path: str | Path) -> None:
    """Write bars as CSV: ``ts_event`` as ISO 8601 UTC (``...Z``), then open..volume.

    Timestamps get the fewest fractional digits that keep them exact, and floats are written
    in their shortest round-trip form, so `read_bars` gives identical arrays back.

    Parameters
    ----------
    bars : BarArrays
        The bars to write.
    path : str or Path
        Destination file (overwritten).
    """
    arrays = [pa.array(_iso_utc(bars.ts), pa.string())]
    arrays += [pa.array(getattr(bars, name), pa.float64()) for name in FRAME_COLUMNS[1:]]
    table = pa.Table.from_arrays(arrays, names=list(FRAME_COLUMNS))
    # Arrow writes floats in shortest round-trip form (whole ones without ".0") and 10x faster
    # than pandas; the header is written by hand to leave it unquoted on any pyarrow version.
    with open(path, "wb") as file:
        file.write((",".join(FRAME_COLUMNS) + "\n").encode())
        pcsv.write_csv(table, file, pcsv.WriteOptions(include_header=False, quoting_style="none"))


def write_bars_parquet(bars: BarArrays, path: str | Path) -> None:
    """Write bars as Parquet: ``ts_event`` int64 UTC nanoseconds, then open..volume float64.

    The ``ts_event`` field carries the metadata ``unit=ns`` so that `read_bars` reads it as
    nanoseconds whatever the magnitude.

    Parameters
    ----------
    bars : BarArrays
        The bars to write.
    path : str or Path
        Destination file (overwritten).
    """
    fields = [pa.field("ts_event", pa.int64(), nullable=False, metadata={_UNIT_KEY: b"ns"})]
    fields += [pa.field(name, pa.float64(), nullable=False) for name in FRAME_COLUMNS[1:]]
    arrays = [pa.array(bars.ts, pa.int64())]
    arrays += [pa.array(getattr(bars, name), pa.float64()) for name in FRAME_COLUMNS[1:]]
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), path)


def _check_time_zone(tz: str) -> None:
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ConfigError("tz", tz, "an IANA time zone name such as 'America/New_York'") from exc


def _read_frame(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read the file; also return the units recorded in Parquet field metadata by column."""
    source = str(path)
    name = path.name.lower()
    is_csv = name.endswith(CSV_SUFFIXES)
    if not is_csv and not name.endswith(PARQUET_SUFFIXES):
        raise DataError(
            f"{source}: expected a file ending in one of "
            f"{', '.join(CSV_SUFFIXES + PARQUET_SUFFIXES)}, was {path.suffix or 'no suffix'!r}"
        )
    if not path.is_file():
        raise DataError(f"{source}: no such file")
    if is_csv:
        try:
            if _PANDAS_PARSES_FLOATS_EXACTLY:
                frame = pd.read_csv(path, skipinitialspace=True)
            else:
                frame = pd.read_csv(path, skipinitialspace=True, float_precision="round_trip")
        except pd.errors.EmptyDataError as exc:
            raise DataError(f"{source}: file is empty") from exc
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise DataError(f"{source}: cannot read as CSV: {exc}") from exc
        return frame, {}
    if path.stat().st_size == 0:
        raise DataError(f"{source}: file is empty")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{source}: cannot read as Parquet: {exc}") from exc
    units = {
        field.name: field.metadata[_UNIT_KEY].decode()
        for field in table.schema
        if field.metadata and _UNIT_KEY in field.metadata
    }
    return table.to_pandas(), units


def _column_list(frame: pd.DataFrame) -> list[str]:
    return [str(column) for column in frame.columns]


def _resolve_columns(
    frame: pd.DataFrame,
    explicit: Mapping[str, str],
    source: str,
    aliases: Mapping[str, tuple[str, ...]] = ALIASES,
    optional: tuple[str, ...] = ("volume",),
) -> dict[str, str]:
    """Map each field of ``aliases`` to a column of ``frame`` (the ``optional`` ones only when
    present), by the explicit mapping first, then by alias (case-insensitive)."""
    unknown = sorted(set(explicit) - set(aliases))
    if unknown:
        raise DataError(
            f"{source}: columns: expected keys among {list(aliases)}, was {unknown} "
            f"(map our field name to the file's column name)"
        )
    lower: dict[str, str] = {}
    for label in frame.columns:
        lower.setdefault(str(label).strip().lower(), str(label))
    found: dict[str, str] = {}
    for name, names in aliases.items():
        if name in explicit:
            wanted = explicit[name]
            match = wanted if wanted in frame.columns else lower.get(wanted.strip().lower())
            if match is None:
                raise DataError(
                    f"{source}: column {wanted!r} given for {name} not found; found columns "
                    f"{_column_list(frame)}"
                )
            found[name] = match
            continue
        match = next((lower[alias] for alias in names if alias in lower), None)
        if match is not None:
            found[name] = match
    missing = [name for name in aliases if name not in optional and name not in found]
    if missing:
        expected = "; ".join(f"{name}: one of {list(aliases[name])}" for name in missing)
        raise DataError(
            f"{source}: missing required column(s) {missing} (expected {expected}); found "
            f"columns {_column_list(frame)}; name them with columns field=column"
        )
    return found


def _time_values(
    frame: pd.DataFrame, found: dict[str, str], explicit: Mapping[str, str]
) -> pd.Series:
    """The time column, or ``date + " " + time`` for files that split them in two columns."""
    column = found["ts_event"]
    if "ts_event" in explicit or column.strip().lower() != "time":
        return frame[column]
    date_column = next((str(c) for c in frame.columns if str(c).strip().lower() == "date"), None)
    times = frame[column]
    first = times.dropna()
    if date_column is None or len(first) == 0 or not isinstance(first.iloc[0], str):
        return times
    sample = first.iloc[0].strip()
    if ":" not in sample or "-" in sample or "/" in sample:
        return times  # a full timestamp, not a time of day
    return frame[date_column].astype("string").str.strip() + " " + times.astype("string")


def _to_utc_ns(
    values: pd.Series, tz: str, source: str, column: str, unit: str | None
) -> npt.NDArray[np.int64]:
    """Convert a timestamp column of any supported form to int64 UTC nanoseconds."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return _datetimes_to_ns(values, values, tz, source, column)
    if pd.api.types.is_bool_dtype(dtype):
        raise DataError(f"{source}: column {column!r}: expected timestamps, was booleans")
    if pd.api.types.is_numeric_dtype(dtype):
        numbers = values
    else:
        text = values.astype("string").str.strip()
        present = text.dropna()
        numbers = None
        if len(present) and pd.notna(pd.to_numeric(present.iloc[:1], errors="coerce").iloc[0]):
            numbers = pd.to_numeric(text, errors="coerce")
            _raise_first_bad(numbers.isna(), values, source, column, _TIMESTAMP_EXPECTED)
    if numbers is not None:
        compact = _compact_dates(numbers) if unit is None else None
        if compact is not None:
            return _datetimes_to_ns(compact, values, tz, source, column)
        return _epoch_to_ns(numbers, source, column, unit)
    try:
        parsed = pd.to_datetime(text, format="ISO8601")
    except (ValueError, TypeError):
        parsed = _parse_mixed_offsets(text, values, source, column)
    _raise_first_bad(parsed.isna(), values, source, column, _TIMESTAMP_EXPECTED)
    return _datetimes_to_ns(parsed, values, tz, source, column)


_TIMESTAMP_EXPECTED = "an ISO 8601 timestamp or date, or epoch seconds/ms/us/ns"

# Integers like 20240102 or 20240102093000 are dates, not seconds or milliseconds in 1970.
_COMPACT_FORMATS = ((10**7, 10**8, "%Y%m%d"), (10**13, 10**14, "%Y%m%d%H%M%S"))


def _compact_dates(numbers: pd.Series) -> pd.Series | None:
    """Parse ``YYYYMMDD`` or ``YYYYMMDDHHMMSS`` integers, or return None if they are not."""
    if numbers.isna().any() or not pd.api.types.is_integer_dtype(numbers.dtype):
        return None
    ints = numbers.to_numpy(dtype=np.int64)
    for low, high, layout in _COMPACT_FORMATS:
        if bool(np.all((ints >= low) & (ints < high))):
            parsed = pd.to_datetime(pd.Series(ints.astype(str)), format=layout, errors="coerce")
            return None if parsed.isna().any() else parsed
    return None


def _parse_mixed_offsets(text: pd.Series, values: pd.Series, source: str, column: str) -> pd.Series:
    """Parse strings pandas refuses in one go: unparseable ones, or several UTC offsets."""
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    _raise_first_bad(parsed.isna(), values, source, column, _TIMESTAMP_EXPECTED)
    naive = ~text.str.contains(_UTC_OFFSET, na=False)
    if naive.any():
        _raise_first_bad(
            naive,
            values,
            source,
            column,
            "a UTC offset like the other rows (the column mixes times with and without one)",
        )
    return parsed


def _datetimes_to_ns(
    parsed: pd.Series, values: pd.Series, tz: str, source: str, column: str
) -> npt.NDArray[np.int64]:
    _raise_first_bad(parsed.isna(), values, source, column, _TIMESTAMP_EXPECTED)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        utc = parsed.dt.tz_convert("UTC")
    else:
        utc = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        _raise_first_bad(
            utc.isna(),
            values,
            source,
            column,
            f"a local time that exists once in {tz} (this one is skipped or repeated by a "
            f"daylight-saving change; write it with a UTC offset)",
        )
        utc = utc.dt.tz_convert("UTC")
    _raise_first_bad((utc < _NS_MIN) | (utc > _NS_MAX), values, source, column, _NS_RANGE)
    ns: npt.NDArray[np.int64] = utc.dt.as_unit("ns").to_numpy(dtype=np.int64)
    return ns


_NS_RANGE = "a time between 1677-09-22 and 2262-04-11 (the int64 nanosecond range)"


def _epoch_to_ns(
    numbers: pd.Series, source: str, column: str, unit: str | None
) -> npt.NDArray[np.int64]:
    _raise_first_bad(numbers.isna(), numbers, source, column, _TIMESTAMP_EXPECTED)
    ints: npt.NDArray[np.int64] | None = None
    floats: npt.NDArray[np.float64] | None = None
    if pd.api.types.is_integer_dtype(numbers.dtype):
        ints = numbers.to_numpy(dtype=np.int64)
        magnitude = float(np.abs(ints.astype(np.float64)).max())
    else:
        floats = numbers.to_numpy(dtype=np.float64)
        finite = np.isfinite(floats)
        _raise_first_bad(pd.Series(~finite), numbers, source, column, _TIMESTAMP_EXPECTED)
        magnitude = float(np.abs(floats).max())
        if magnitude < 2.0**53 and np.all(floats == np.round(floats)):
            ints, floats = floats.astype(np.int64), None
    if unit is None:
        unit = next(name for name, _, bound in _EPOCH_UNITS if magnitude < bound)
    factor = {name: f for name, f, _ in _EPOCH_UNITS}[unit]
    if ints is not None:
        out_of_range = pd.Series(np.abs(ints) > _INT64_MAX // factor)
        _raise_first_bad(out_of_range, numbers, source, column, _NS_RANGE)
        return ints * factor
    assert floats is not None
    whole = np.floor(floats)
    _raise_first_bad(
        pd.Series(np.abs(whole) * factor >= 2.0**62), numbers, source, column, _NS_RANGE
    )
    # A float holds about 16 digits, so 1704205800.1 s is really 1704205800.09999990 s: round
    # the fraction to the power of ten (in ns) just above the float's resolution.
    resolution_ns = float(np.spacing(magnitude)) * factor
    quantum = 1 if resolution_ns <= 1 else 10 ** math.ceil(math.log10(resolution_ns))
    fraction_ns = np.round((floats - whole) * factor / quantum).astype(np.int64) * quantum
    ns: npt.NDArray[np.int64] = whole.astype(np.int64) * factor + fraction_ns
    return ns


def _to_float(values: pd.Series, source: str, column: str) -> npt.NDArray[np.float64]:
    numbers = pd.to_numeric(values, errors="coerce")
    _raise_first_bad(numbers.isna() & values.notna(), values, source, column, "a number")
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def _raise_first_bad(
    bad: pd.Series, values: pd.Series, source: str, column: str, expected: str
) -> None:
    mask = bad.to_numpy(dtype=bool, na_value=True)
    if mask.any():
        row = int(np.argmax(mask))
        value = values.iloc[row]
        shown = None if value is None or value is pd.NA or _is_nan(value) else value
        raise DataError(
            f"{source}: row {row}: column {column!r}: expected {expected}, was {shown!r}"
        )


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and value != value


def _iso_utc(ts: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """ISO 8601 UTC strings with the fewest fractional digits that keep every value exact."""
    unit = next(
        (name for name, factor, _ in _EPOCH_UNITS if not np.any(ts % factor)),
        "ns",
    )
    strings: npt.NDArray[np.str_] = np.datetime_as_string(
        ts.astype("datetime64[ns]").astype(f"datetime64[{unit}]"), timezone="UTC"
    )
    return strings

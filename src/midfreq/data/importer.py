"""Import vendor files (CSV or Parquet bars, quotes or trades) into the catalog.

Every row is accounted for: a bad row (unparseable time, NaN/inf/zero/negative price, high
below low, open or close outside the range, crossed quote, duplicate or out-of-order time)
either stops the import with a message naming the file, the row and the problem, or, with
``on_error="skip"``, goes to a rejects file with its problem while the good rows are written.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from midfreq.core.errors import ConfigError, DataError
from midfreq.data import loaders
from midfreq.data.catalog import SCHEMAS, DataType, ParquetCatalog
from midfreq.model.identifiers import InstrumentId

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "bars": dict(loaders.ALIASES),
    "quotes": {
        "ts_event": loaders.ALIASES["ts_event"],
        "bid_price": ("bid_price", "bid", "bid_px", "bidprice", "bp"),
        "ask_price": ("ask_price", "ask", "ask_px", "askprice", "offer", "ap"),
        "bid_size": ("bid_size", "bid_sz", "bidsize", "bs", "bid_qty"),
        "ask_size": ("ask_size", "ask_sz", "asksize", "as", "ask_qty", "offer_size"),
    },
    "trades": {
        "ts_event": loaders.ALIASES["ts_event"],
        "price": ("price", "px", "trade_price", "last", "p"),
        "size": ("size", "qty", "quantity", "volume", "trade_size", "s"),
        "aggressor_side": ("aggressor_side", "side", "aggressor", "taker_side"),
        "trade_id": ("trade_id", "id", "tid", "match_id"),
    },
}
"""Accepted file column names per data type and field (matched case-insensitively)."""

OPTIONAL: dict[str, tuple[str, ...]] = {
    "bars": ("volume",),
    "quotes": ("bid_size", "ask_size"),
    "trades": ("aggressor_side", "trade_id"),
}

_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2})$")
_AGGRESSORS = {
    "buy": "BUYER",
    "b": "BUYER",
    "buyer": "BUYER",
    "sell": "SELLER",
    "s": "SELLER",
    "seller": "SELLER",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportReport:
    """What an import did."""

    path: str
    instrument_id: str
    data_type: str
    rows_read: int
    rows_written: int
    rows_rejected: int
    rejects_path: str | None
    first_ts: int | None
    last_ts: int | None


def import_file(
    catalog: ParquetCatalog,
    path: str | Path,
    instrument_id: InstrumentId,
    *,
    data_type: DataType = "bars",
    tz: str = "UTC",
    columns: Mapping[str, str] | None = None,
    on_error: Literal["stop", "skip"] = "stop",
    rejects_path: str | Path | None = None,
    mode: Literal["append", "overwrite"] = "append",
    asset_class: str = "equity",
) -> ImportReport:
    """Read ``path``, check every row, and write the good rows to ``catalog``.

    Parameters
    ----------
    data_type : "bars", "quotes" or "trades"
    tz : str
        Time zone of timestamps written without a UTC offset.
    columns : Mapping[str, str], optional
        Our field name to the file's column name, for layouts the aliases miss.
    on_error : "stop" or "skip"
        Stop at the first bad row (nothing is written), or write bad rows to ``rejects_path``
        (default: ``<file>.rejects.csv`` beside the input) and import the rest.

    Raises
    ------
    DataError
        With ``on_error="stop"``: the first bad row (file, row, problem, and how many rows
        have problems); always: unreadable files, missing columns, clashes with stored bars.
    """
    path = Path(path)
    source = str(path)
    if on_error not in ("stop", "skip"):
        raise ConfigError("on_error", on_error, "'stop' or 'skip'")
    if mode not in ("append", "overwrite"):
        raise ConfigError("mode", mode, "'append' or 'overwrite'")
    if data_type not in ALIASES:
        raise DataError(f"data type: expected one of {', '.join(ALIASES)}, was {data_type!r}")
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError("tz", tz, "an IANA time zone such as 'America/New_York'") from None
    frame, units = loaders._read_frame(path)
    if len(frame) == 0:
        raise DataError(f"{source}: no data rows (columns {list(map(str, frame.columns))})")
    found = loaders._resolve_columns(
        frame, columns or {}, source, ALIASES[data_type], OPTIONAL[data_type]
    )
    frame = _exact_time_column(path, frame, found["ts_event"])
    ts, ts_bad = _timestamps(frame, found, columns or {}, tz, source, units)
    values = {
        name: pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
        for name, column in found.items()
        if name not in ("ts_event", "aggressor_side", "trade_id")
    }
    problems = _problems(data_type, ts, ts_bad, values, frame, found)
    bad = problems != ""
    rejected = int(bad.sum())
    rejects: str | None = None
    if rejected and on_error == "stop":
        row = int(np.argmax(bad))
        raise DataError(
            f"{source}: row {row} ({_line(path, row)}): {problems[row]}; {rejected} of "
            f"{len(frame)} rows have problems (nothing imported; --on-error skip imports the "
            "good rows and writes the others to a rejects file)"
        )
    good = ~bad
    table = _table(data_type, ts[good], {k: v[good] for k, v in values.items()}, frame[good], found)
    # The catalog write comes first: if it is refused, no rejects file suggests a partial import.
    written = catalog.write(data_type, instrument_id, table, mode=mode) if len(table) else 0
    if rejected:
        target = Path(rejects_path) if rejects_path else path.with_name(path.name + ".rejects.csv")
        out = frame[bad].copy()
        out.insert(0, "problem", problems[bad])
        out.insert(0, "row", np.flatnonzero(bad))
        out.to_csv(target, index=False)
        rejects = str(target)
    catalog.set_asset_class(str(instrument_id), asset_class)
    kept = ts[good]
    return ImportReport(
        path=source,
        instrument_id=str(instrument_id),
        data_type=data_type,
        rows_read=len(frame),
        rows_written=written,
        rows_rejected=rejected,
        rejects_path=rejects,
        first_ts=int(kept[0]) if len(kept) else None,
        last_ts=int(kept[-1]) if len(kept) else None,
    )


def _line(path: Path, row: int) -> str:
    return f"line {row + 2}" if path.name.lower().endswith(loaders.CSV_SUFFIXES) else "Parquet"


def _exact_time_column(path: Path, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Read the time column again if a blank cell made pandas turn its integers into float64,
    which rounds epoch nanoseconds (1704205800123456789 would become ...768)."""
    values = frame[column]
    if not (pd.api.types.is_float_dtype(values.dtype) and values.isna().any()):
        return frame
    exact: pd.Series
    if path.name.lower().endswith(loaders.CSV_SUFFIXES):
        exact = pd.read_csv(path, usecols=[column], dtype="string", skipinitialspace=True)[column]
    else:
        field = pq.read_table(path, columns=[column]).column(0)
        if not pa.types.is_integer(field.type):
            return frame
        exact = pd.Series(field.to_pandas(types_mapper=lambda _: pd.Int64Dtype()))
    frame = frame.copy()
    frame[column] = exact.array
    return frame


def _timestamps(
    frame: pd.DataFrame,
    found: dict[str, str],
    explicit: Mapping[str, str],
    tz: str,
    source: str,
    units: dict[str, str],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """UTC nanoseconds per row and a mask of rows whose time could not be read."""
    column = found["ts_event"]
    values = loaders._time_values(frame, found, dict(explicit))
    try:
        ts = loaders._to_utc_ns(values, tz, source, column, units.get(column))
        return ts, np.zeros(len(ts), dtype=bool)
    except DataError:
        pass  # some rows are unreadable: find them all
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
            if (~bad).any():
                good = numbers[~bad].reset_index(drop=True)
                ts[~bad] = loaders._epoch_to_ns(good, source, column, units.get(column))
            return ts, bad
        has_offset = text.str.contains(_OFFSET, na=False).to_numpy()
        aware = pd.to_datetime(text.where(has_offset), format="ISO8601", errors="coerce", utc=True)
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


def _problems(
    data_type: str,
    ts: npt.NDArray[np.int64],
    ts_bad: npt.NDArray[np.bool_],
    values: dict[str, npt.NDArray[np.float64]],
    frame: pd.DataFrame,
    found: dict[str, str],
) -> npt.NDArray[np.object_]:
    """The first problem of each row ("" when none), checked in a fixed order."""
    n = len(ts)
    problems = np.full(n, "", dtype=object)

    def flag(mask: npt.NDArray[np.bool_], text: str) -> None:
        problems[(problems == "") & mask] = text

    flag(ts_bad, f"time {found['ts_event']!r}: expected a readable timestamp")
    if data_type == "bars":
        o, h, lo, c = (values[k] for k in ("open", "high", "low", "close"))
        for name, array in (("open", o), ("high", h), ("low", lo), ("close", c)):
            flag(~np.isfinite(array), f"{name}: expected a number, was NaN or infinite")
            flag(np.isfinite(array) & (array <= 0), f"{name}: expected a price > 0")
        if "volume" in values:
            volume = values["volume"]
            flag(~np.isfinite(volume) | (volume < 0), "volume: expected a number >= 0")
        flag(h < lo, "high: expected high >= low")
        flag((o < lo) | (o > h), "open: expected low <= open <= high")
        flag((c < lo) | (c > h), "close: expected low <= close <= high")
    elif data_type == "quotes":
        bid, ask = values["bid_price"], values["ask_price"]
        for name in ("bid_price", "ask_price"):
            array = values[name]
            flag(~np.isfinite(array), f"{name}: expected a number, was NaN or infinite")
            flag(np.isfinite(array) & (array <= 0), f"{name}: expected a price > 0")
        for name in ("bid_size", "ask_size"):
            if name in values:
                size = values[name]
                flag(~np.isfinite(size) | (size < 0), f"{name}: expected a number >= 0")
        flag(bid >= ask, "bid_price: expected bid < ask (crossed or locked quote)")
    else:
        price, size = values["price"], values["size"]
        flag(~np.isfinite(price), "price: expected a number, was NaN or infinite")
        flag(np.isfinite(price) & (price <= 0), "price: expected a price > 0")
        flag(~np.isfinite(size) | (size <= 0), "size: expected a number > 0")
    # Order: each row against the rows before it that have no other problem.
    ok = problems == ""
    previous = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    valid_ts = np.where(ok, ts, np.iinfo(np.int64).min)
    running = np.maximum.accumulate(valid_ts)
    previous[1:] = running[:-1]
    if data_type == "bars":
        flag(ok & (ts == previous), "time: expected a new timestamp, was a duplicate")
    else:
        columns = [found[name] for name in SCHEMAS[data_type].names if name in found]
        duplicated = frame[columns].duplicated().to_numpy()
        flag(ok & duplicated, "row: expected a new row, was an exact duplicate")
    flag(
        ok & (ts < previous), "time: expected timestamps in order, was earlier than a previous row"
    )
    return problems


def _table(
    data_type: str,
    ts: npt.NDArray[np.int64],
    values: dict[str, npt.NDArray[np.float64]],
    frame: pd.DataFrame,
    found: dict[str, str],
) -> pd.DataFrame:
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
            columns["trade_id"] = np.array([str(i) for i in range(len(ts))], dtype=object)
    return pd.DataFrame(columns)

"""Import vendor files (CSV or Parquet bars, quotes or trades) into the catalog in bounded memory.

Every row is accounted for: a bad row (unparseable time, NaN/inf/zero/negative price, high
below low, open or close outside the range, crossed quote, duplicate or out-of-order time, and
with a calendar and ``outside_session="reject"`` a time outside the exchange's sessions) either
stops the import with a message naming the file, the row and the problem, or, with
``on_error="skip"``, goes to a rejects file with its problem while the good rows are written.

Streaming. Pass 1 reads the file ``chunk_rows`` rows at a time (pandas' chunked CSV reader with
the time column read as text, so epoch nanoseconds stay exact; Parquet row group by row group)
and checks each chunk, carrying across chunk boundaries what the checks need: the row offset,
the latest accepted time (duplicates and out-of-order rows) and, for quotes and trades, the rows
accepted at that time (exact duplicates: a row repeating one accepted at the same latest time).
Good rows are staged in a temporary Parquet file inside the catalog folder (disk, not memory;
reading them back costs far less than parsing the file twice), skipped rows in a temporary file
beside the rejects file. Nothing reaches the catalog before the whole file has been read: a bad
row anywhere with ``on_error="stop"``, or an appended bar already stored on any day, deletes the
staging and leaves the catalog as it was. Pass 2 writes the staged rows one UTC day at a time,
each day whole however many chunks it spanned (so ``overwrite`` replaces a day with all of the
file's rows for it), then renames the rejects file into place. The catalog replaces each day
atomically, but days one after another: a crash or full disk during pass 2 can leave some days
written and others not. Memory is bounded by a chunk (or a Parquet row group) plus a day of rows.
The epoch unit of numeric times is inferred per chunk (from its largest value), which for a file
written in one unit is that unit.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import tempfile
import zoneinfo
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from midfreq.core.errors import ConfigError, DataError
from midfreq.data import loaders
from midfreq.data.bars import BarArrays
from midfreq.data.calendars import TradingCalendar
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

DEFAULT_CHUNK_ROWS = 100_000
"""Rows read and checked at a time."""

_TEXT_FIELDS = ("ts_event", "aggressor_side", "trade_id")  # read as text, never as numbers
_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2})$")
_AGGRESSORS = {
    "buy": "BUYER",
    "b": "BUYER",
    "buyer": "BUYER",
    "sell": "SELLER",
    "s": "SELLER",
    "seller": "SELLER",
}
_NS_PER_DAY = 86_400 * 10**9
_NO_TIME = np.iinfo(np.int64).min
_EXAMPLES = 5
_CALENDAR_MARGIN = timedelta(days=31)  # the calendar covers this much around the data

_Flag = Callable[[npt.NDArray[np.bool_], str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportReport:
    """What an import did.

    ``rows_outside_session`` counts the rows outside the calendar's sessions (kept, or rejected
    with ``outside_session="reject"``); ``outside_session_examples`` holds the first few as
    ``(row, ts_event)``.
    """

    path: str
    instrument_id: str
    data_type: str
    rows_read: int
    rows_written: int
    rows_rejected: int
    rejects_path: str | None
    first_ts: int | None
    last_ts: int | None
    calendar: str | None = None
    outside_session: Literal["keep", "reject"] = "keep"
    bar_interval_ns: int | None = None
    rows_outside_session: int = 0
    outside_session_examples: tuple[tuple[int, int], ...] = ()


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
    calendar: str | None = None,
    outside_session: Literal["keep", "reject"] = "keep",
    bar_interval_ns: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> ImportReport:
    """Read ``path`` chunk by chunk, check every row, and write the good rows to ``catalog``.

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
    mode : "append" or "overwrite"
        Merge into the stored days (a bar already stored is refused), or replace each day the
        file has rows for.
    calendar : str, optional
        An exchange-calendars name (``"XNYS"``): rows outside its sessions are counted in the
        report. Bars are inside when their whole interval ``(ts - bar_interval, ts]`` is; quotes
        and trades when the market is open at their time.
    outside_session : "keep" or "reject"
        Keep the rows outside sessions, or treat them as bad rows (``on_error`` decides).
    bar_interval_ns : int, optional
        The bars' length; by default the median spacing of the first chunk's times. Bars of a
        day or longer are inside when their date in ``tz`` is a session.
    chunk_rows : int
        Rows read and checked at a time (memory grows with it, not with the file).

    Raises
    ------
    DataError
        With ``on_error="stop"``: the first bad row (file, row, problem, and how many rows
        have problems); always: unreadable files, missing columns, clashes with stored bars.
    ConfigError
        For an unknown setting, time zone or calendar name.
    """
    path = Path(path)
    source = str(path)
    if on_error not in ("stop", "skip"):
        raise ConfigError("on_error", on_error, "'stop' or 'skip'")
    if mode not in ("append", "overwrite"):
        raise ConfigError("mode", mode, "'append' or 'overwrite'")
    if outside_session not in ("keep", "reject"):
        raise ConfigError("outside_session", outside_session, "'keep' or 'reject'")
    if outside_session == "reject" and calendar is None:
        raise ConfigError("outside_session", outside_session, "'keep' when no calendar is given")
    for name, number in (("bar_interval_ns", bar_interval_ns), ("chunk_rows", chunk_rows)):
        if number is not None and not (
            isinstance(number, int | np.integer) and not isinstance(number, bool) and number > 0
        ):
            raise ConfigError(name, number, "a positive integer")
    if data_type not in ALIASES:
        raise DataError(f"data type: expected one of {', '.join(ALIASES)}, was {data_type!r}")
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError("tz", tz, "an IANA time zone such as 'America/New_York'") from None
    sessions = (
        _Sessions(TradingCalendar.get(calendar), data_type, tz, bar_interval_ns, source)
        if calendar is not None
        else None
    )
    header, units = _header(path)
    found = loaders._resolve_columns(
        pd.DataFrame(columns=header), columns or {}, source, ALIASES[data_type], OPTIONAL[data_type]
    )
    scanner = _Scanner(data_type, found, dict(columns or {}), tz, source, units, sessions)
    scanner.reject_outside = outside_session == "reject"
    target = Path(rejects_path) if rejects_path else path.with_name(path.name + ".rejects.csv")
    root_existed = catalog.root.exists()
    catalog.root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=catalog.root, prefix=".import-"))
    rejects = _Rejects(target)
    try:
        staged = staging / "rows.parquet"
        has_staged, days = _stage(path, found, scanner, staged, rejects, on_error, chunk_rows)
        if scanner.rows == 0:
            raise DataError(f"{source}: no data rows (columns {header})")
        if scanner.rejected and on_error == "stop":
            row, problem = scanner.first_bad
            raise DataError(
                f"{source}: row {row} ({_line(path, row)}): {problem}; {scanner.rejected} of "
                f"{scanner.rows} rows have problems (nothing imported; --on-error skip imports "
                "the good rows and writes the others to a rejects file)"
            )
        written = 0
        if has_staged:
            if mode == "append" and data_type == "bars":
                _refuse_stored_bars(catalog, instrument_id, staged, days, chunk_rows)
            for frame in _staged_days(staged, chunk_rows):
                written += catalog.write(data_type, instrument_id, frame, mode=mode)
        rejects.commit()
    finally:
        rejects.discard()
        shutil.rmtree(staging, ignore_errors=True)
        if not root_existed:
            with contextlib.suppress(OSError):
                catalog.root.rmdir()  # only when empty: the import wrote nothing
    catalog.set_asset_class(str(instrument_id), asset_class)
    return ImportReport(
        path=source,
        instrument_id=str(instrument_id),
        data_type=data_type,
        rows_read=scanner.rows,
        rows_written=written,
        rows_rejected=scanner.rejected,
        rejects_path=str(target) if scanner.rejected else None,
        first_ts=scanner.first_kept,
        last_ts=scanner.last_kept,
        calendar=calendar,
        outside_session=outside_session,
        bar_interval_ns=sessions.interval if sessions else None,
        rows_outside_session=scanner.outside,
        outside_session_examples=tuple(scanner.outside_examples),
    )


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


def _day_name(day: int) -> str:
    return str(np.datetime64(day, "D"))


# ---- checking ---------------------------------------------------------------------------------


class _Scanner:
    """Checks chunk after chunk, carrying what the checks of the next chunk need."""

    def __init__(
        self,
        data_type: str,
        found: dict[str, str],
        explicit: dict[str, str],
        tz: str,
        source: str,
        units: dict[str, str],
        sessions: _Sessions | None,
    ) -> None:
        self.data_type = data_type
        self.found = found
        self.explicit = explicit
        self.tz = tz
        self.source = source
        self.unit = units.get(found["ts_event"])
        self.sessions = sessions
        self.reject_outside = False
        self.texts: list[str] = [""]  # problem text by code; 0 is "no problem"
        self.rows = 0
        self.rejected = 0
        self.kept = 0
        self.first_bad = (0, "")
        self.first_kept: int | None = None
        self.last_kept: int | None = None
        self.outside = 0
        self.outside_examples: list[tuple[int, int]] = []
        self._last_ts = _NO_TIME  # the latest time of a row without other problems
        self._last_keys: pd.DataFrame | None = None  # quotes, trades: those rows at _last_ts

    def scan(
        self, frame: pd.DataFrame
    ) -> tuple[npt.NDArray[np.int64], dict[str, npt.NDArray[np.float64]], npt.NDArray[np.int16]]:
        """Times, numbers and a problem code per row (0 when none) of the next chunk."""
        found, n, offset = self.found, len(frame), self.rows
        ts, ts_bad = _timestamps(frame, found, self.explicit, self.tz, self.source, self.unit)
        values = {
            name: pd.to_numeric(frame[column], errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
            for name, column in found.items()
            if name not in _TEXT_FIELDS
        }
        codes = np.zeros(n, dtype=np.int16)

        def flag(mask: npt.NDArray[np.bool_], text: str) -> None:
            if text not in self.texts:
                self.texts.append(text)
            codes[(codes == 0) & mask] = self.texts.index(text)

        flag(ts_bad, f"time {found['ts_event']!r}: expected a readable timestamp")
        _value_problems(self.data_type, values, flag)
        outside = np.zeros(n, dtype=bool)
        if self.sessions is not None:
            ok = np.flatnonzero(codes == 0)
            outside[ok] = ~self.sessions.inside(ts[ok], self._last_ts)
            if self.reject_outside:
                flag(outside, self.sessions.problem)
        # Order: each row against the rows before it, in this chunk and earlier ones, that have
        # no other problem.
        ok = codes == 0
        running = np.maximum.accumulate(
            np.concatenate(([self._last_ts], np.where(ok, ts, _NO_TIME)))
        )
        previous = running[:-1]
        if self.data_type == "bars":
            flag(ok & (ts == previous), "time: expected a new timestamp, was a duplicate")
        else:
            flag(
                self._repeated(frame, ts, values, ok & (ts >= previous), int(running[-1])),
                "row: expected a new row, was an exact duplicate",
            )
        flag(
            ok & (ts < previous),
            "time: expected timestamps in order, was earlier than a previous row",
        )
        self._last_ts = int(running[-1])
        bad = codes != 0
        if bad.any() and not self.rejected:
            row = int(np.argmax(bad))
            self.first_bad = (offset + row, self.texts[codes[row]])
        self.rows += n
        self.rejected += int(bad.sum())
        good = np.flatnonzero(~bad)
        if len(good):
            self.first_kept = int(ts[good[0]]) if self.first_kept is None else self.first_kept
            self.last_kept = int(ts[good[-1]])
        self.kept += len(good)
        counted = np.flatnonzero(outside & (bad if self.reject_outside else ~bad))
        self.outside += len(counted)
        room = _EXAMPLES - len(self.outside_examples)
        self.outside_examples += [(offset + int(i), int(ts[i])) for i in counted[:room]]
        return ts, values, codes

    def _repeated(
        self,
        frame: pd.DataFrame,
        ts: npt.NDArray[np.int64],
        values: dict[str, npt.NDArray[np.float64]],
        run: npt.NDArray[np.bool_],
        last_ts: int,
    ) -> npt.NDArray[np.bool_]:
        """Quotes and trades: the rows at the latest time so far that repeat a row accepted
        at that time (all fields equal), here or at the end of earlier chunks."""
        rows = np.flatnonzero(run)
        keys = pd.DataFrame({"ts_event": ts[rows]})
        for name in SCHEMAS[self.data_type].names[1:]:
            if name in values:
                keys[name] = values[name][rows]
            elif name in self.found:
                keys[name] = frame[self.found[name]].astype("string").to_numpy()[rows]
        carried = self._last_keys
        both = keys if carried is None else pd.concat([carried, keys], ignore_index=True)
        repeated = np.zeros(len(ts), dtype=bool)
        repeated[rows] = both.duplicated().to_numpy()[len(both) - len(keys) :]
        self._last_keys = both[both["ts_event"].to_numpy() == last_ts].reset_index(drop=True)
        return repeated


def _value_problems(
    data_type: str, values: dict[str, npt.NDArray[np.float64]], flag: _Flag
) -> None:
    """Flag the problems of each row's numbers, in a fixed order."""
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


class _Sessions:
    """Which times lie in a calendar's sessions, widening the calendar's range as needed."""

    def __init__(
        self,
        calendar: TradingCalendar,
        data_type: str,
        tz: str,
        bar_interval_ns: int | None,
        source: str,
    ) -> None:
        self.calendar = calendar
        self.data_type = data_type
        self.tz = tz
        self.interval = int(bar_interval_ns) if bar_interval_ns is not None else None
        self.source = source
        what = "bar" if data_type == "bars" else "time"
        self.problem = f"time: outside {calendar.name} session (expected a {what} inside one)"

    def inside(self, ts: npt.NDArray[np.int64], previous: int) -> npt.NDArray[np.bool_]:
        if ts.size == 0:
            return np.zeros(0, dtype=bool)
        if self.data_type != "bars":
            return self._covering(int(ts.min()), int(ts.max())).is_open_array(ts)
        if self.interval is None:
            self.interval = self._infer_interval(ts, previous)
        if self.interval >= _NS_PER_DAY:
            local = pd.DatetimeIndex(pd.to_datetime(ts, utc=True)).tz_convert(self.tz)
            days = local.tz_localize(None).to_numpy().astype("datetime64[D]")
            first, last = (d.astype(date) for d in (days.min(), days.max()))
            calendar = self._covering(int(ts.min()), int(ts.max()), first, last)
            return np.isin(days, np.array(calendar.sessions(first, last), dtype="datetime64[D]"))
        calendar = self._covering(int(ts.min()) - self.interval, int(ts.max()))
        bars = BarArrays(InstrumentId("IMPORT.SIM"), ts, *(np.zeros(len(ts)) for _ in range(5)))
        return calendar.session_mask_for_bars(bars, self.interval)

    def _infer_interval(self, ts: npt.NDArray[np.int64], previous: int) -> int:
        times = np.unique(ts if previous == _NO_TIME else np.append(ts, previous))
        steps = np.diff(times)
        if not len(steps):
            raise DataError(
                f"{self.source}: bar interval: expected two or more bar times to infer it from "
                "their spacing, was one; give it (--bar-interval SECONDS)"
            )
        return int(np.sort(steps)[(len(steps) - 1) // 2])  # the lower median

    def _covering(self, first_ns: int, last_ns: int, *days: date) -> TradingCalendar:
        first = min((_to_date(first_ns), *days)) - _CALENDAR_MARGIN
        last = max((_to_date(last_ns), *days)) + _CALENDAR_MARGIN
        calendar = self.calendar
        if first < calendar.first_day or last > calendar.last_day:
            self.calendar = TradingCalendar.get(
                calendar.name,
                start=min(calendar.first_day, first - timedelta(days=365)),
                end=max(calendar.last_day, last + timedelta(days=365)),
            )
        return self.calendar


def _to_date(ts_ns: int) -> date:
    value: date = np.datetime64(ts_ns, "ns").astype("datetime64[D]").item()
    return value


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

"""`import_file`: check a vendor file chunk by chunk, stage the good rows, write whole days."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from midfreq.core.errors import ConfigError, DataError
from midfreq.data import loaders
from midfreq.data.calendars import TradingCalendar
from midfreq.data.catalog import DataType, ParquetCatalog
from midfreq.data.importer._checks import _Scanner
from midfreq.data.importer._reading import _header, _line
from midfreq.data.importer._staging import _refuse_stored_bars, _Rejects, _stage, _staged_days
from midfreq.data.sessions import SessionFilter
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
        SessionFilter(TradingCalendar.get(calendar), data_type, tz, bar_interval_ns, source)
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

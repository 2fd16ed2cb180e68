"""Nasdaq Data Link (formerly Quandl): `NasdaqDataLinkClient` reads tables (following cursor
pages) and time series into DataFrames, `bars_from_timeseries` turns a daily price series into
`BarArrays` stamped at the close, and `fetch_timeseries_to_catalog` stores series in a
`ParquetCatalog`. ``quandl_error`` answers are translated into `DataError` and `VenueError`.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from midfreq.connectors.fetch import store_fetched_bars
from midfreq.connectors.http import (
    JsonResponse,
    ParamValue,
    RateLimiter,
    RetryPolicy,
    VendorClient,
)
from midfreq.core.errors import ConfigError, DataError, VenueError
from midfreq.data.bars import BarArrays
from midfreq.data.catalog import ParquetCatalog
from midfreq.model.identifiers import InstrumentId

__all__ = [
    "API_KEY_ENV",
    "BASE_URL",
    "DEFAULT_REQUESTS_PER_MINUTE",
    "NasdaqDataLinkClient",
    "bars_from_timeseries",
    "fetch_timeseries_to_catalog",
]

VENDOR: Final = "Nasdaq Data Link"
BASE_URL: Final = "https://data.nasdaq.com/api/v3"
API_KEY_ENV: Final = "NASDAQ_DATA_LINK_API_KEY"
DEFAULT_REQUESTS_PER_MINUTE: Final = 200.0
"""A registered key's documented sustained limit (2,000 calls per 10 minutes)."""

FilterValue = ParamValue | dt.date | Sequence[str | int | float]
"""A table filter: a scalar, a date, or several values (sent comma-separated)."""

_DATE_COLUMNS: Final = ("date", "trade date")
_PRICE_ALIASES: Final = {
    "open": ("open",),
    "high": ("high",),
    "low": ("low",),
    "close": ("close", "last", "settle"),
    "volume": ("volume",),
}
_NUMERIC_TYPE = re.compile(r"(?i)^(integer|bigdecimal|decimal|double|float|numeric|long)")
_CODE = re.compile(r"^QE([A-Z])x\d\d$")
_DEFAULT_CLOSE_TIME: Final = "16:00"


class NasdaqDataLinkClient(VendorClient):
    """Client of the Nasdaq Data Link REST API (tables and time series).

    Parameters
    ----------
    api_key : str, optional
        The API key; read from the environment variable ``NASDAQ_DATA_LINK_API_KEY`` when None.
    base_url : str, default "https://data.nasdaq.com/api/v3"
        Prefix of the endpoint paths.
    requests_per_minute : float, default 200
        Client-side rate limit; ignored with `rate_limiter`.
    rate_limiter : RateLimiter, optional
        A limiter shared with other clients of the same key.
    retry : RetryPolicy, optional
        Retries of 429 (``QELx..`` limits), 5xx, connection errors and timeouts.
    max_pages : int, default 1000
        Most cursor pages one `datatable` call follows.
    timeout : float, default 30.0
        Seconds per connect, read and write.
    clock, sleep : callables, optional
        Monotonic seconds and a sleep function, injected in tests.

    Raises
    ------
    ConfigError
        If no key is given and ``NASDAQ_DATA_LINK_API_KEY`` is unset or empty.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = BASE_URL,
        requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE,
        rate_limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        max_pages: int = 1000,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            VENDOR,
            api_key,
            API_KEY_ENV,
            base_url.rstrip("/") + "/",
            requests_per_minute=requests_per_minute,
            rate_limiter=rate_limiter,
            retry=retry,
            timeout=timeout,
            clock=clock,
            sleep=sleep,
        )
        if max_pages < 1:
            raise ConfigError("max_pages", max_pages, "an integer >= 1")
        self.max_pages = max_pages

    def datatable(self, code: str, **filters: FilterValue) -> pd.DataFrame:
        """Fetch every row of a table matching ``filters``, following cursor pages.

        Parameters
        ----------
        code : str
            The table, ``"PUBLISHER/TABLE"`` (for example ``"ZACKS/FC"``).
        **filters : FilterValue
            Row filters and options as the API names them, for example ``ticker="AAPL"``,
            ``ticker=["AAPL", "MSFT"]`` or ``**{"date.gte": "2024-01-01",
            "qopts.columns": "ticker,date,close"}``.

        Returns
        -------
        pandas.DataFrame
            One column per table column, in the table's order; ``Date`` columns parsed to
            datetime64 and numeric columns to numbers.

        Raises
        ------
        DataError
            If the table is unknown, not in your subscription, or a filter is invalid.
        VenueError
            If the key is rejected, limits persist after the retries, the answer is unusable,
            or the table has more than ``max_pages`` pages.
        """
        _check_code(code, "code", "'PUBLISHER/TABLE'")
        path = f"datatables/{code}.json"
        params: dict[str, ParamValue] = {k: _filter_value(v) for k, v in filters.items()}
        subject = f"table {code}"
        frames: list[pd.DataFrame] = []
        seen: set[str] = set()
        cursor: str | None = None
        for _page in range(self.max_pages):
            page_params = {**params, "qopts.cursor_id": cursor, "api_key": self._api_key}
            payload = self._get(path, page_params, subject)
            table = payload.get("datatable")
            if not isinstance(table, dict) or not isinstance(table.get("columns"), list):
                raise VenueError(
                    f"{VENDOR}: {subject}: expected 'datatable' with 'columns' and 'data', "
                    f"found keys {sorted(payload)}"
                )
            frames.append(_table_frame(table, subject))
            meta = payload.get("meta")
            cursor = meta.get("next_cursor_id") if isinstance(meta, dict) else None
            if cursor is None:
                return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            cursor = str(cursor)
            if cursor in seen:
                raise VenueError(f"{VENDOR}: {subject}: cursor {cursor!r} came back twice")
            seen.add(cursor)
        raise VenueError(
            f"{VENDOR}: {subject}: more than max_pages={self.max_pages} pages; narrow the "
            "filters or raise max_pages"
        )

    def timeseries(
        self,
        database: str,
        dataset: str,
        start_date: str | dt.date | None = None,
        end_date: str | dt.date | None = None,
    ) -> pd.DataFrame:
        """Fetch one time series (``/datasets/{database}/{dataset}/data.json``), oldest first.

        Parameters
        ----------
        database, dataset : str
            For example ``"CHRIS"`` and ``"CME_ES1"``.
        start_date, end_date : str or datetime.date, optional
            Inclusive bounds, ``"YYYY-MM-DD"``.

        Returns
        -------
        pandas.DataFrame
            The series' ``column_names`` as columns; the first (date) column parsed to
            datetime64, the others numeric where they are numbers.

        Raises
        ------
        DataError
            If the dataset is unknown or not in your subscription, or the dates are invalid.
        VenueError
            If the key is rejected, limits persist after the retries, or the answer is unusable.
        """
        _check_code(database, "database", "a database code such as 'CHRIS'")
        _check_code(dataset, "dataset", "a dataset code such as 'CME_ES1'")
        subject = f"dataset {database}/{dataset}"
        params: dict[str, ParamValue] = {
            "start_date": _date_text(start_date, "start_date"),
            "end_date": _date_text(end_date, "end_date"),
            "order": "asc",
            "api_key": self._api_key,
        }
        payload = self._get(f"datasets/{database}/{dataset}/data.json", params, subject)
        data = payload.get("dataset_data")
        if not isinstance(data, dict) or not isinstance(data.get("column_names"), list):
            raise VenueError(
                f"{VENDOR}: {subject}: expected 'dataset_data' with 'column_names' and 'data', "
                f"found keys {sorted(payload)}"
            )
        names = [str(name) for name in data["column_names"]]
        rows = data.get("data") or []
        try:
            frame = pd.DataFrame(rows, columns=names)
        except (ValueError, TypeError) as exc:
            raise VenueError(f"{VENDOR}: {subject}: rows do not fit {names}: {exc}") from None
        if names:
            first = names[0]
            frame[first] = _parse_dates(frame[first], f"{subject}: {first}")
            for name in names[1:]:
                frame[name] = _numeric_if_possible(frame[name])
            frame = frame.sort_values(first, kind="stable", ignore_index=True)
        return frame

    # ---- transport and error shapes --------------------------------------------------------
    def _get(self, path: str, params: Mapping[str, ParamValue], subject: str) -> dict[str, Any]:
        answer = self._http.get_json(path, params)
        if answer.status_code >= 400 or not isinstance(answer.payload, dict):
            raise self._error(answer, subject)
        payload: dict[str, Any] = answer.payload
        return payload

    def _error(self, answer: JsonResponse, subject: str) -> Exception:
        error = answer.payload.get("quandl_error") if isinstance(answer.payload, dict) else None
        if not isinstance(error, dict):
            return VenueError(
                f"{VENDOR}: {subject}: GET {answer.url}: expected a JSON object, was HTTP "
                f"{answer.status_code}{_excerpt(self._http.scrub(answer.text))}"
            )
        code = str(error.get("code", ""))
        message = self._http.scrub(str(error.get("message", "")))
        text = f"{VENDOR}: {subject}: {code}: {message} (HTTP {answer.status_code})"
        match = _CODE.match(code)
        category = match.group(1) if match else ""
        # Categories of the vendor's codes: A authentication, P permission (subscription),
        # C unknown code, S invalid request, L limits (the 429s are retried before we get here),
        # M and X the service itself.
        if category == "A" or answer.status_code == 401:
            return VenueError(f"{text}; check {API_KEY_ENV}")
        if category in ("C", "P", "S", "L") or answer.status_code in (400, 403, 404, 422):
            return DataError(text)
        return VenueError(text)


def bars_from_timeseries(
    frame: pd.DataFrame,
    instrument_id: InstrumentId | str,
    tz: str,
    *,
    close_time: str = _DEFAULT_CLOSE_TIME,
    close_column: str | None = None,
) -> BarArrays:
    """Turn a daily price series (`NasdaqDataLinkClient.timeseries`) into `BarArrays`.

    Columns are found by name, ignoring case: ``Date`` (or ``Trade Date``), ``Open``, ``High``,
    ``Low``, the close from the first of ``Close``, ``Last``, ``Settle``, and ``Volume``. Each
    bar is stamped at ``close_time`` local time in `tz` on its date, as UTC nanoseconds, and the
    bars are sorted oldest first. Missing values stay NaN (`BarArrays.validate` reports them).

    Parameters
    ----------
    frame : pandas.DataFrame
    instrument_id : InstrumentId or str
        ``SYMBOL.VENUE`` of the bars.
    tz : str
        The IANA time zone of the exchange, for example ``"America/New_York"``.
    close_time : str, default "16:00"
        Local ``HH:MM`` at which a daily bar closes.
    close_column : str, optional
        The column to use as the close instead of the first alias found.

    Returns
    -------
    BarArrays

    Raises
    ------
    DataError
        If a column is missing, a date cannot be read, or `tz` or `close_time` is invalid.

    Examples
    --------
    >>> frame = pd.DataFrame({"Date": ["2024-01-02"], "Open": [1.0], "High": [2.0],
    ...                       "Low": [0.5], "Settle": [1.5], "Volume": [10]})
    >>> bars = bars_from_timeseries(frame, "ES1.CME", "America/Chicago", close_time="15:00")
    >>> pd.Timestamp(int(bars.ts[0]), tz="UTC").isoformat(), float(bars.close[0])
    ('2024-01-02T21:00:00+00:00', 1.5)
    """
    iid = InstrumentId(str(instrument_id))
    by_name = {str(column).strip().lower(): column for column in frame.columns}
    found = [str(c) for c in frame.columns]
    date_column = next((by_name[n] for n in _DATE_COLUMNS if n in by_name), None)
    if date_column is None:
        raise DataError(f"{iid} bars: expected a 'Date' column, found {found}")
    columns: dict[str, Any] = {}
    for field, aliases in _PRICE_ALIASES.items():
        if field == "close" and close_column is not None:
            aliases = (close_column.strip().lower(),)
        column = next((by_name[a] for a in aliases if a in by_name), None)
        if column is None:
            names = " or ".join(repr(a.title()) for a in aliases)
            raise DataError(f"{iid} bars: expected a {names} column, found {found}")
        columns[field] = pd.to_numeric(frame[column], errors="coerce").to_numpy(np.float64)
    try:
        offset = pd.Timedelta(f"{close_time}:00")
    except ValueError:
        raise DataError(f"{iid} bars: close_time: expected 'HH:MM', was {close_time!r}") from None
    days = pd.DatetimeIndex(_parse_dates(frame[date_column], f"{iid} bars: {date_column}"))
    try:
        local = days.normalize() + offset
        ts = local.tz_localize(tz, ambiguous="raise", nonexistent="raise").tz_convert("UTC")
    except Exception as exc:  # unknown zone, or a close time a DST change skips or repeats
        raise DataError(
            f"{iid} bars: tz: expected a time zone such as 'America/New_York', was {tz!r}: {exc}"
        ) from None
    stamps = ts.as_unit("ns").asi8.astype(np.int64)
    order = np.argsort(stamps, kind="stable")
    return BarArrays(
        iid,
        stamps[order],
        columns["open"][order],
        columns["high"][order],
        columns["low"][order],
        columns["close"][order],
        columns["volume"][order],
    )


def fetch_timeseries_to_catalog(
    client: NasdaqDataLinkClient,
    catalog: ParquetCatalog,
    database: str,
    datasets: Sequence[str],
    venue: str,
    tz: str,
    start_date: str | dt.date | None = None,
    end_date: str | dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    close_time: str = _DEFAULT_CLOSE_TIME,
    mode: Literal["append", "overwrite"] = "append",
) -> int:
    """Fetch daily series, one request per dataset, into ``catalog`` as ``DATASET.VENUE`` bars.

    Each series is checked (`BarArrays.validate`) and written before the next is requested.

    Parameters
    ----------
    client : NasdaqDataLinkClient
    catalog : ParquetCatalog
    database : str
        The database of every dataset, for example ``"CHRIS"``.
    datasets : Sequence[str]
        Dataset codes; each becomes the symbol of its instrument.
    venue : str
        Venue of the instrument ids.
    tz, close_time : str
        As for `bars_from_timeseries`.
    start_date, end_date : str or datetime.date, optional
        As for `NasdaqDataLinkClient.timeseries`.
    progress : Callable[[int, int], None], optional
        Called with (datasets done, datasets in total) after each dataset.
    mode : {"append", "overwrite"}
        The catalog's write mode.

    Returns
    -------
    int
        Rows written.

    Raises
    ------
    ConfigError, DataError, VenueError
        As for `NasdaqDataLinkClient.timeseries` and `bars_from_timeseries`, plus the
        catalog's and `validate`'s DataError.
    """
    total = len(datasets)
    written = 0
    for done, dataset in enumerate(datasets, start=1):
        frame = client.timeseries(database, dataset, start_date, end_date)
        bars = bars_from_timeseries(
            frame, InstrumentId.from_parts(dataset, venue), tz, close_time=close_time
        )
        written += store_fetched_bars(
            catalog,
            bars,
            vendor=VENDOR,
            source=f"{VENDOR} {database}/{dataset}",
            mode=mode,
            dataset=f"{database}/{dataset}",
        )
        if progress is not None:
            progress(done, total)
    return written


# ---- payload translation ---------------------------------------------------------------------
def _check_code(value: str, field: str, what: str) -> None:
    if not value or any(ch in value for ch in "?#&% ") or ".." in value:
        raise ConfigError(field, value, what)


def _filter_value(value: FilterValue) -> ParamValue:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return ",".join(str(item) for item in value)


def _date_text(value: str | dt.date | None, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ConfigError(field, value, "a date 'YYYY-MM-DD'") from None


def _parse_dates(column: pd.Series[Any], what: str) -> pd.Series[Any]:
    try:
        return pd.to_datetime(column, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise DataError(f"{VENDOR}: {what}: expected dates 'YYYY-MM-DD': {exc}") from None


def _numeric_if_possible(column: pd.Series[Any]) -> pd.Series[Any]:
    # Series mix price columns with text ones (a "Notes" column): convert only what is numeric.
    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        return column


def _table_frame(table: Mapping[str, Any], subject: str) -> pd.DataFrame:
    columns = [c for c in table["columns"] if isinstance(c, dict)]
    names = [str(c.get("name")) for c in columns]
    try:
        frame = pd.DataFrame(table.get("data") or [], columns=names)
    except (ValueError, TypeError) as exc:
        raise VenueError(f"{VENDOR}: {subject}: rows do not fit {names}: {exc}") from None
    for column in columns:
        name, kind = str(column.get("name")), str(column.get("type", ""))
        if kind.lower() == "date":
            frame[name] = _parse_dates(frame[name], f"{subject}: {name}")
        elif _NUMERIC_TYPE.match(kind):
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
    return frame


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return f" ({text[:300]})" if text else ""

"""Alpha Vantage: `AlphaVantageClient` turns the intraday and daily time-series endpoints into
`BarArrays` stamped at bar close (UTC ns), and `fetch_intraday_to_catalog` stores months of
intraday bars in a `ParquetCatalog`. Alpha Vantage reports errors and rate limits in HTTP 200
bodies; they are translated here into `DataError`, retries and `VenueError`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from midfreq.connectors.fetch import bars_from_rows, store_fetched_bars
from midfreq.connectors.http import (
    JsonResponse,
    RateLimiter,
    Retry,
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
    "INTERVALS",
    "AlphaVantageClient",
    "fetch_intraday_to_catalog",
]

VENDOR: Final = "Alpha Vantage"
BASE_URL: Final = "https://www.alphavantage.co"
API_KEY_ENV: Final = "ALPHAVANTAGE_API_KEY"
DEFAULT_REQUESTS_PER_MINUTE: Final = 5.0
"""The free tier's documented limit."""

INTERVALS: Final[Mapping[str, int]] = {
    "1min": 60 * 10**9,
    "5min": 300 * 10**9,
    "15min": 900 * 10**9,
    "30min": 1800 * 10**9,
    "60min": 3600 * 10**9,
}
"""Intraday intervals and their lengths in nanoseconds."""

Interval = Literal["1min", "5min", "15min", "30min", "60min"]
OutputSize = Literal["compact", "full"]

_PATH: Final = "/query"
_DEFAULT_TIME_ZONE: Final = "US/Eastern"
_DAILY_CLOSE: Final = pd.Timedelta(hours=16)
_FIELDS: Final = ("1. open", "2. high", "3. low", "4. close", "5. volume")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# Phrases of Alpha Vantage's per-minute / per-second throttling notes ("Our standard API call
# frequency is 5 calls per minute", "Please consider spreading out your free API requests more
# sparingly (1 request per second)"). A note about the daily quota alone is not retried.
_FREQUENCY_MARKERS: Final = ("call frequency", "per minute", "per second", "spreading out", "burst")


class AlphaVantageClient(VendorClient):
    """Client of the Alpha Vantage time-series API.

    Parameters
    ----------
    api_key : str, optional
        The API key; read from the environment variable ``ALPHAVANTAGE_API_KEY`` when None.
    base_url : str, default "https://www.alphavantage.co"
        Scheme and host (requests go to ``<base_url>/query``).
    requests_per_minute : float, default 5
        Client-side rate limit (the free tier allows 5 a minute); ignored with `rate_limiter`.
    rate_limiter : RateLimiter, optional
        A limiter shared with other clients of the same key.
    retry : RetryPolicy, optional
        Retries of 429, 5xx, connection errors and throttling notes.
    rate_limit_wait : float, default 60.0
        Seconds to wait after a throttling note before retrying.
    timeout : float, default 30.0
        Seconds per connect, read and write.
    clock, sleep : callables, optional
        Monotonic seconds and a sleep function, injected in tests.

    Raises
    ------
    ConfigError
        If no key is given and ``ALPHAVANTAGE_API_KEY`` is unset or empty.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = BASE_URL,
        requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE,
        rate_limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        rate_limit_wait: float = 60.0,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            VENDOR,
            api_key,
            API_KEY_ENV,
            base_url,
            requests_per_minute=requests_per_minute,
            rate_limiter=rate_limiter,
            retry=retry,
            timeout=timeout,
            clock=clock,
            sleep=sleep,
        )
        self.rate_limit_wait = rate_limit_wait

    def intraday(
        self,
        symbol: str,
        interval: Interval = "1min",
        month: str | None = None,
        outputsize: OutputSize = "compact",
        adjusted: bool = False,
        *,
        extended_hours: bool = True,
        venue: str = "SIM",
    ) -> BarArrays:
        """Fetch intraday bars (``TIME_SERIES_INTRADAY``).

        Alpha Vantage stamps a bar with its start in US/Eastern (the payload's time zone); the
        bars returned are stamped at their close, ``start + interval``, in UTC nanoseconds, and
        sorted oldest first.

        Parameters
        ----------
        symbol : str
            The ticker, for example ``"IBM"``.
        interval : {"1min", "5min", "15min", "30min", "60min"}
        month : str, optional
            ``"YYYY-MM"`` for that calendar month; the most recent days when None.
        outputsize : {"compact", "full"}
            The latest 100 bars, or the whole month (or the last 30 days without `month`).
        adjusted : bool, default False
            Split and dividend adjusted prices.
        extended_hours : bool, default True
            Include pre-market and after-hours bars (04:00-20:00 New York).
        venue : str, default "SIM"
            Venue of the instrument id ``SYMBOL.VENUE`` of the bars.

        Returns
        -------
        BarArrays

        Raises
        ------
        ConfigError
            If `interval`, `month` or `outputsize` is not one Alpha Vantage accepts.
        DataError
            If Alpha Vantage answers with an ``Error Message`` (an unknown symbol) or a row
            cannot be read.
        VenueError
            If the rate limit persists after the retries, the daily quota is spent, the request
            needs a premium plan, the key is rejected, or the service fails.
        """
        if interval not in INTERVALS:
            raise ConfigError("interval", interval, f"one of {', '.join(INTERVALS)}")
        if month is not None and not _MONTH.fullmatch(month):
            raise ConfigError("month", month, "a month 'YYYY-MM'")
        _check_outputsize(outputsize)
        params = {
            "function": "TIME_SERIES_INTRADAY",
            "symbol": symbol,
            "interval": interval,
            "month": month,
            "outputsize": outputsize,
            "adjusted": adjusted,
            "extended_hours": extended_hours,
            "datatype": "json",
        }
        payload = self._query(params)
        instrument_id = InstrumentId.from_parts(symbol, venue)
        series, time_zone = _series(payload, f"Time Series ({interval})", symbol)
        starts = _local_to_utc_ns(list(series), "%Y-%m-%d %H:%M:%S", time_zone, symbol)
        return _bars(instrument_id, starts + INTERVALS[interval], series, symbol)

    def daily(
        self, symbol: str, outputsize: OutputSize = "compact", *, venue: str = "SIM"
    ) -> BarArrays:
        """Fetch daily bars (``TIME_SERIES_DAILY``), stamped at 16:00 New York in UTC ns.

        The close is the regular 16:00 close on every day, early closes included: the payload
        does not say which days closed early.

        Parameters
        ----------
        symbol : str
            The ticker.
        outputsize : {"compact", "full"}
            The latest 100 days, or the full history (a premium feature at the time of writing).
        venue : str, default "SIM"
            Venue of the instrument id ``SYMBOL.VENUE``.

        Returns
        -------
        BarArrays

        Raises
        ------
        ConfigError, DataError, VenueError
            As for `intraday`.
        """
        _check_outputsize(outputsize)
        params = {
            "function": "TIME_SERIES_DAILY",
            "symbol": symbol,
            "outputsize": outputsize,
            "datatype": "json",
        }
        payload = self._query(params)
        instrument_id = InstrumentId.from_parts(symbol, venue)
        series, time_zone = _series(payload, "Time Series (Daily)", symbol)
        days = _local_to_utc_ns(list(series), "%Y-%m-%d", time_zone, symbol, offset=_DAILY_CLOSE)
        return _bars(instrument_id, days, series, symbol)

    # ---- transport and error shapes --------------------------------------------------------
    def _query(self, params: Mapping[str, str | bool | None]) -> dict[str, Any]:
        answer = self._http.get_json(
            _PATH, {**params, "apikey": self._api_key}, retry_if=self._throttled
        )
        payload = answer.payload
        what = f"{params['function']} {params['symbol']}"
        if answer.status_code != 200 or not isinstance(payload, dict):
            raise VenueError(
                f"{VENDOR}: {what}: expected HTTP 200 with a JSON object, was HTTP "
                f"{answer.status_code}{_excerpt(self._http.scrub(answer.text))}"
            )
        if "Error Message" in payload:
            message = self._http.scrub(str(payload["Error Message"]))
            if "apikey" in message.lower():
                raise VenueError(f"{VENDOR}: {what}: {message} (check {API_KEY_ENV})")
            raise DataError(f"{VENDOR}: {what}: {message}")
        for key in ("Information", "Note"):
            if key in payload and not any(k.startswith("Time Series") for k in payload):
                message = self._http.scrub(str(payload[key]))
                if "per day" in message.lower():
                    raise VenueError(f"{VENDOR}: {what}: daily request quota used up: {message}")
                raise VenueError(f"{VENDOR}: {what}: {message}")
        return payload

    def _throttled(self, answer: JsonResponse) -> Retry | None:
        payload = answer.payload
        if answer.status_code != 200 or not isinstance(payload, dict):
            return None
        if any(key.startswith("Time Series") for key in payload):
            return None
        for key in ("Note", "Information"):
            text = payload.get(key)
            if isinstance(text, str) and any(m in text.lower() for m in _FREQUENCY_MARKERS):
                return Retry(f"{key}: {text}", self.rate_limit_wait)
        return None


def fetch_intraday_to_catalog(
    client: AlphaVantageClient,
    catalog: ParquetCatalog,
    symbol: str,
    venue: str,
    interval: Interval,
    months: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
    *,
    adjusted: bool = False,
    extended_hours: bool = True,
    mode: Literal["append", "overwrite"] = "append",
) -> int:
    """Fetch whole months of intraday bars, one request per month, into ``catalog``.

    Each month is checked (`BarArrays.validate`) and written before the next is requested, so
    months already written stay written if a later one fails.

    Parameters
    ----------
    client : AlphaVantageClient
    catalog : ParquetCatalog
    symbol, venue : str
        The bars are stored under ``SYMBOL.VENUE``.
    interval : {"1min", "5min", "15min", "30min", "60min"}
    months : Sequence[str]
        ``"YYYY-MM"`` months, fetched in the order given.
    progress : Callable[[int, int], None], optional
        Called with (months done, months in total) after each month.
    adjusted, extended_hours : bool
        As for `AlphaVantageClient.intraday`.
    mode : {"append", "overwrite"}
        The catalog's write mode (append refuses bars already stored).

    Returns
    -------
    int
        Rows written.

    Raises
    ------
    ConfigError, DataError, VenueError
        As for `AlphaVantageClient.intraday`, plus the catalog's and `validate`'s DataError.
    """
    total = len(months)
    written = 0
    for done, month in enumerate(months, start=1):
        bars = client.intraday(
            symbol,
            interval,
            month=month,
            outputsize="full",
            adjusted=adjusted,
            extended_hours=extended_hours,
            venue=venue,
        )
        written += store_fetched_bars(
            catalog,
            bars,
            vendor=VENDOR,
            source=f"{VENDOR} {symbol} {interval} {month}",
            mode=mode,
            month=month,
        )
        if progress is not None:
            progress(done, total)
    return written


# ---- payload translation ---------------------------------------------------------------------
def _check_outputsize(outputsize: str) -> None:
    if outputsize not in ("compact", "full"):
        raise ConfigError("outputsize", outputsize, "'compact' or 'full'")


def _series(
    payload: Mapping[str, Any], key: str, symbol: str
) -> tuple[Mapping[str, Mapping[str, Any]], str]:
    series = payload.get(key)
    if not isinstance(series, dict):
        raise VenueError(
            f"{VENDOR}: {symbol}: expected key {key!r} in the answer, found {sorted(payload)}"
        )
    meta = payload.get("Meta Data")
    time_zone = _DEFAULT_TIME_ZONE
    if isinstance(meta, dict):
        for name, value in meta.items():
            if name.endswith("Time Zone") and isinstance(value, str):
                time_zone = value
    return series, time_zone


def _local_to_utc_ns(
    stamps: list[str],
    fmt: str,
    time_zone: str,
    symbol: str,
    offset: pd.Timedelta | None = None,
) -> np.ndarray[Any, np.dtype[np.int64]]:
    try:
        local = pd.DatetimeIndex(pd.to_datetime(stamps, format=fmt))
    except (ValueError, TypeError) as exc:
        raise DataError(f"{VENDOR}: {symbol}: timestamps: expected {fmt!r}: {exc}") from None
    if offset is not None:
        local = local + offset
    try:
        aware = local.tz_localize(time_zone, ambiguous="raise", nonexistent="raise")
    except Exception as exc:  # unknown zone or a wall time skipped/repeated by a DST change
        raise DataError(
            f"{VENDOR}: {symbol}: timestamps in {time_zone!r}: expected unambiguous local "
            f"times: {exc}"
        ) from None
    return aware.tz_convert("UTC").as_unit("ns").asi8.astype(np.int64)


def _bars(
    instrument_id: InstrumentId,
    ts: np.ndarray[Any, np.dtype[np.int64]],
    series: Mapping[str, Mapping[str, Any]],
    symbol: str,
) -> BarArrays:
    # Alpha Vantage lists the newest bar first; the rows come back in time order.
    return bars_from_rows(instrument_id, ts, list(series.values()), _FIELDS, f"{VENDOR}: {symbol}")


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return f" ({text[:300]})" if text else ""

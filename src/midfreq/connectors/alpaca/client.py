"""Alpaca market data over REST: `AlpacaMarketDataClient` pages through the historical stock
endpoints (``GET /v2/stocks/{symbol}/bars|trades|quotes``, by ``next_page_token``), turning bars
into `BarArrays` stamped at bar close (UTC ns) and handing trades and quotes back as Alpaca's
records; `fetch_bars_to_catalog` stores bars in a `ParquetCatalog`. Alpaca's error bodies
(``{"code": ..., "message": ...}``) are translated here into `DataError` and `VenueError`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from midfreq.connectors.fetch import bars_from_rows, store_fetched_bars
from midfreq.connectors.http import HttpClient, ParamValue, RateLimiter, RetryPolicy, VendorClient
from midfreq.core.errors import ConfigError, DataError, VenueError
from midfreq.data.bars import BarArrays
from midfreq.data.catalog import ParquetCatalog
from midfreq.model.identifiers import InstrumentId

__all__ = [
    "BASE_URL",
    "DATASETS",
    "DEFAULT_REQUESTS_PER_MINUTE",
    "FEEDS",
    "KEY_ID_ENV",
    "SECRET_KEY_ENV",
    "TIMEFRAMES",
    "AlpacaMarketDataClient",
    "fetch_bars_to_catalog",
    "resolve_credentials",
]

VENDOR: Final = "Alpaca"
BASE_URL: Final = "https://data.alpaca.markets"
KEY_ID_ENV: Final = "APCA_API_KEY_ID"
SECRET_KEY_ENV: Final = "APCA_API_SECRET_KEY"
DEFAULT_REQUESTS_PER_MINUTE: Final = 200.0
"""The free (Basic) plan's documented limit."""
FEEDS: Final = ("iex", "sip", "otc", "delayed_sip")
"""Stock data feeds Alpaca serves; the free plan has ``iex`` (and 15-minute ``delayed_sip``)."""

TIMEFRAMES: Final[Mapping[str, int]] = {
    "1Min": 60 * 10**9,
    "5Min": 300 * 10**9,
    "15Min": 900 * 10**9,
    "1Hour": 3600 * 10**9,
    "1Day": 86_400 * 10**9,
}
"""Bar timeframes and their lengths in nanoseconds."""

DATASETS: Final = ("trades", "quotes", "bars")
"""The historical stock endpoints `AlpacaMarketDataClient.records` reads."""

Timeframe = Literal["1Min", "5Min", "15Min", "1Hour", "1Day"]
Adjustment = Literal["raw", "split", "dividend", "all"]
Dataset = Literal["trades", "quotes", "bars"]

_ADJUSTMENTS: Final = ("raw", "split", "dividend", "all")
_PAGE_LIMIT: Final = 10_000
_EXCHANGE_TIME_ZONE: Final = "America/New_York"
_DAILY_CLOSE: Final = pd.Timedelta(hours=16)
_FIELDS: Final = ("o", "h", "l", "c", "v")
_EXCERPT: Final = 300


def resolve_credentials(key_id: str | None, secret: str | None) -> tuple[str, str]:
    """Return the key id and secret, read from ``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY``
    where not given.

    Raises
    ------
    ConfigError
        Naming the environment variable that is unset or empty (the key id is checked first).
    """
    values = []
    for value, variable, what in (
        (key_id, KEY_ID_ENV, "key_id"),
        (secret, SECRET_KEY_ENV, "secret"),
    ):
        resolved = value if value is not None else os.environ.get(variable)
        if not resolved:
            # The value itself is never shown: an empty string is the only thing it can be here.
            raise ConfigError(
                variable,
                resolved,
                f"an {VENDOR} API {what.replace('_', ' ')} in the environment variable "
                f"{variable} (or {what}=...)",
            )
        values.append(resolved)
    return values[0], values[1]


class AlpacaMarketDataClient(VendorClient):
    """Client of Alpaca's historical stock market data API (v2).

    Parameters
    ----------
    key_id, secret : str, optional
        The API key id and secret; read from ``APCA_API_KEY_ID`` and ``APCA_API_SECRET_KEY``
        when None. Sent as the ``APCA-API-KEY-ID`` / ``APCA-API-SECRET-KEY`` headers and
        scrubbed from every message this client logs or raises.
    base_url : str, default "https://data.alpaca.markets"
        Scheme and host (point it at ``http://127.0.0.1:PORT`` in tests).
    feed : {"iex", "sip", "otc", "delayed_sip"}, default "iex"
        The data feed asked for.
    requests_per_minute : float, default 200
        Client-side rate limit (the free plan allows 200 a minute); ignored with `rate_limiter`.
    rate_limiter : RateLimiter, optional
        A limiter shared with other clients of the same key.
    retry : RetryPolicy, optional
        Retries of 429, 5xx, connection errors and timeouts.
    timeout : float, default 30.0
        Seconds per connect, read and write.
    max_pages : int, default 1000
        Most pages followed for one request before giving up with `VenueError`.
    clock, sleep : callables, optional
        Monotonic seconds and a sleep function, injected in tests.

    Raises
    ------
    ConfigError
        If a credential is neither given nor in its environment variable, or `feed` is unknown.
    """

    def __init__(
        self,
        key_id: str | None = None,
        secret: str | None = None,
        *,
        base_url: str = BASE_URL,
        feed: str = "iex",
        requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE,
        rate_limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        max_pages: int = 1000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if feed not in FEEDS:
            raise ConfigError("feed", feed, f"one of {', '.join(FEEDS)}")
        if max_pages < 1:
            raise ConfigError("max_pages", max_pages, "an integer >= 1")
        key_id, secret = resolve_credentials(key_id, secret)
        super().__init__(
            VENDOR,
            key_id,
            KEY_ID_ENV,
            base_url,
            requests_per_minute=requests_per_minute,
            rate_limiter=rate_limiter,
            retry=retry,
            timeout=timeout,
            clock=clock,
            sleep=sleep,
        )
        # The base client knows one query-parameter key; Alpaca wants two headers, and both
        # values must be scrubbed, so the transport is rebuilt with them (same limiter, retry).
        base_http = self._http
        self._http = HttpClient(
            VENDOR,
            base_url,
            rate_limiter=base_http.rate_limiter,
            retry=base_http.retry,
            timeout=timeout,
            sleep=sleep,
            secrets=(key_id, secret),
            headers={"APCA-API-KEY-ID": key_id, "APCA-API-SECRET-KEY": secret},
        )
        base_http.close()
        self.feed = feed
        self.max_pages = max_pages

    def bars(
        self,
        symbol: str,
        timeframe: Timeframe = "1Min",
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        *,
        adjustment: Adjustment = "raw",
        venue: str = "SIM",
    ) -> BarArrays:
        """Fetch historical bars, following ``next_page_token`` until the last page.

        Alpaca stamps a bar with its start in UTC; the bars returned are stamped at their close,
        ``start + timeframe``, in UTC nanoseconds. Daily bars are stamped at 16:00 New York of
        their date (the regular close; early closes are not in the payload).

        Parameters
        ----------
        symbol : str
            The ticker, for example ``"AAPL"``.
        timeframe : {"1Min", "5Min", "15Min", "1Hour", "1Day"}
        start, end : datetime or str, optional
            Bounds of the bars' start times: timezone-aware datetimes, or RFC-3339 / ``YYYY-MM-DD``
            strings passed as they are.
        adjustment : {"raw", "split", "dividend", "all"}
            Corporate action adjustment of prices and volumes.
        venue : str, default "SIM"
            Venue of the instrument id ``SYMBOL.VENUE`` of the bars.

        Returns
        -------
        BarArrays
            Sorted oldest first; empty when Alpaca has no bars in the range.

        Raises
        ------
        ConfigError
            If `timeframe`, `adjustment`, `start` or `end` is not one Alpaca accepts.
        DataError
            If Alpaca refuses the request (an invalid symbol, bad parameters) or a bar cannot be
            read.
        VenueError
            If the credentials are rejected (401/403), rate limits or failures persist after
            the retries, or the pages do not end within ``max_pages``.
        """
        rows = self.records(symbol, "bars", start, end, timeframe=timeframe, adjustment=adjustment)
        return _bars(InstrumentId.from_parts(symbol, venue), rows, timeframe, symbol)

    def records(
        self,
        symbol: str,
        dataset: Dataset,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        *,
        timeframe: Timeframe = "1Min",
        adjustment: Adjustment = "raw",
    ) -> list[Any]:
        """Fetch one symbol's trades, quotes or bars as Alpaca sends them, following
        ``next_page_token`` until the last page.

        Records keep Alpaca's short field names: trades ``t, x, p, s, c, i, z``; quotes
        ``t, ax, ap, as, bx, bp, bs, c, z``; bars ``t, o, h, l, c, v, n, vw`` (``t`` is an
        RFC-3339 time, a bar's start). They are not checked here; callers validate them.

        Parameters
        ----------
        symbol : str
            The ticker, for example ``"AAPL"``.
        dataset : {"trades", "quotes", "bars"}
            The endpoint, ``/v2/stocks/{symbol}/{dataset}``.
        start, end : datetime or str, optional
            Inclusive bounds of the records' ``t``: timezone-aware datetimes, or RFC-3339 /
            ``YYYY-MM-DD`` strings passed as they are.
        timeframe, adjustment
            As for `bars`; sent with ``dataset="bars"`` only.

        Returns
        -------
        list
            The records of every page, in Alpaca's order (oldest first).

        Raises
        ------
        ConfigError, DataError, VenueError
            As for `bars`; `ConfigError` also for an unknown `dataset`.
        """
        if dataset not in DATASETS:
            raise ConfigError("dataset", dataset, f"one of {', '.join(DATASETS)}")
        params: dict[str, ParamValue] = {
            "start": _time_param("start", start),
            "end": _time_param("end", end),
            "limit": _PAGE_LIMIT,
            "feed": self.feed,
        }
        if dataset == "bars":
            if timeframe not in TIMEFRAMES:
                raise ConfigError("timeframe", timeframe, f"one of {', '.join(TIMEFRAMES)}")
            if adjustment not in _ADJUSTMENTS:
                raise ConfigError("adjustment", adjustment, f"one of {', '.join(_ADJUSTMENTS)}")
            params = {"timeframe": timeframe, **params, "adjustment": adjustment}
        path = f"/v2/stocks/{symbol}/{dataset}"
        what = f"{symbol} {dataset}"
        rows: list[Any] = []
        token: str | None = None
        for _ in range(self.max_pages):
            payload = self._get(path, {**params, "page_token": token}, what)
            page = payload.get(dataset)
            if page is not None and not isinstance(page, list):
                raise VenueError(
                    f"{VENDOR}: {what}: expected {dataset!r} to be a list or null, was "
                    f"{type(page).__name__}"
                )
            rows.extend(page or [])
            next_token = payload.get("next_page_token")
            if not next_token:
                return rows
            token = str(next_token)
        raise VenueError(
            f"{VENDOR}: {what}: expected the pages to end within max_pages="
            f"{self.max_pages}, the last still had a next_page_token"
        )

    # ---- transport and error shapes --------------------------------------------------------
    def _get(self, path: str, params: Mapping[str, ParamValue], what: str) -> dict[str, Any]:
        answer = self._http.get_json(path, params)
        payload = answer.payload
        status = answer.status_code
        if status == 200 and isinstance(payload, dict):
            return payload
        detail = self._detail(payload, answer.text)
        what = f"{what}: HTTP {status}"
        if status in (401, 403):
            raise VenueError(
                f"{VENDOR}: {what}: credentials refused{detail} (check {KEY_ID_ENV} and "
                f"{SECRET_KEY_ENV})"
            )
        if 400 <= status < 500:
            raise DataError(f"{VENDOR}: {what}{detail}")
        raise VenueError(f"{VENDOR}: {what}: expected HTTP 200 with a JSON object{detail}")

    def _detail(self, payload: Any, text: str) -> str:
        if isinstance(payload, dict) and "message" in payload:
            code = payload.get("code")
            message = f"{payload['message']}" + (f" (code {code})" if code is not None else "")
        else:
            message = " ".join(text.split())
        if len(message) > _EXCERPT:
            message = message[:_EXCERPT] + "..."
        return f": {self._http.scrub(message)}" if message else ""


def fetch_bars_to_catalog(
    client: AlpacaMarketDataClient,
    catalog: ParquetCatalog,
    symbols: Sequence[str],
    timeframe: Timeframe,
    start: datetime | str,
    end: datetime | str,
    venue: str,
    progress: Callable[[int, int], None] | None = None,
    mode: Literal["append", "overwrite"] = "append",
) -> int:
    """Fetch each symbol's bars over ``[start, end]`` and write them to ``catalog``.

    Each symbol is checked (`BarArrays.validate`) and written before the next is requested, so
    symbols already written stay written if a later one fails; a symbol without bars writes
    nothing.

    Parameters
    ----------
    client : AlpacaMarketDataClient
    catalog : ParquetCatalog
    symbols : Sequence[str]
        Tickers, fetched in the order given; stored under ``SYMBOL.VENUE``.
    timeframe : {"1Min", "5Min", "15Min", "1Hour", "1Day"}
    start, end : datetime or str
        As for `AlpacaMarketDataClient.bars`.
    venue : str
    progress : Callable[[int, int], None], optional
        Called with (symbols done, symbols in total) after each symbol.
    mode : {"append", "overwrite"}
        The catalog's write mode (append refuses bars already stored).

    Returns
    -------
    int
        Rows written.

    Raises
    ------
    ConfigError, DataError, VenueError
        As for `AlpacaMarketDataClient.bars`, plus the catalog's and `validate`'s DataError.
    """
    if isinstance(symbols, str):
        raise ConfigError("symbols", symbols, "a sequence of tickers, not one string")
    total = len(symbols)
    written = 0
    for done, symbol in enumerate(symbols, start=1):
        bars = client.bars(symbol, timeframe, start, end, venue=venue)
        written += store_fetched_bars(
            catalog,
            bars,
            vendor=VENDOR,
            source=f"{VENDOR} {symbol} {timeframe}",
            mode=mode,
            timeframe=timeframe,
        )
        if progress is not None:
            progress(done, total)
    return written


# ---- payload translation ---------------------------------------------------------------------
def _time_param(name: str, value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ConfigError(name, value, "a timezone-aware datetime or an RFC-3339 string")
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _bars(
    instrument_id: InstrumentId,
    rows: list[Mapping[str, Any]],
    timeframe: str,
    symbol: str,
) -> BarArrays:
    try:
        starts = pd.DatetimeIndex(pd.to_datetime([row["t"] for row in rows], utc=True))
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(
            f"{VENDOR}: {symbol} bars: 't': expected an RFC-3339 time in every bar: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if timeframe == "1Day":
        # Stamp at 16:00 New York of the bar's (New York) date, whatever hour Alpaca starts it.
        days = starts.tz_convert(_EXCHANGE_TIME_ZONE).normalize().tz_localize(None)
        closes = (days + _DAILY_CLOSE).tz_localize(_EXCHANGE_TIME_ZONE)
        ts = closes.tz_convert("UTC").as_unit("ns").asi8.astype(np.int64)
    else:
        ts = starts.as_unit("ns").asi8.astype(np.int64) + TIMEFRAMES[timeframe]
    return bars_from_rows(instrument_id, ts, rows, _FIELDS, f"{VENDOR}: {symbol} bars")

"""Nasdaq Data Link (formerly Quandl): tables and time series (`NasdaqDataLinkClient`), daily
bars from a price series (`bars_from_timeseries`) and a fetch into the Parquet catalog
(`fetch_timeseries_to_catalog`)."""

from midfreq.connectors.nasdaq.client import (
    API_KEY_ENV,
    BASE_URL,
    DEFAULT_REQUESTS_PER_MINUTE,
    NasdaqDataLinkClient,
    bars_from_timeseries,
    fetch_timeseries_to_catalog,
)

__all__ = [
    "API_KEY_ENV",
    "BASE_URL",
    "DEFAULT_REQUESTS_PER_MINUTE",
    "NasdaqDataLinkClient",
    "bars_from_timeseries",
    "fetch_timeseries_to_catalog",
]

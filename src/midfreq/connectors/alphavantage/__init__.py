"""Alpha Vantage market data: intraday and daily bars (`AlphaVantageClient`) and a month-by-month
fetch into the Parquet catalog (`fetch_intraday_to_catalog`)."""

from midfreq.connectors.alphavantage.client import (
    API_KEY_ENV,
    BASE_URL,
    DEFAULT_REQUESTS_PER_MINUTE,
    INTERVALS,
    AlphaVantageClient,
    fetch_intraday_to_catalog,
)

__all__ = [
    "API_KEY_ENV",
    "BASE_URL",
    "DEFAULT_REQUESTS_PER_MINUTE",
    "INTERVALS",
    "AlphaVantageClient",
    "fetch_intraday_to_catalog",
]

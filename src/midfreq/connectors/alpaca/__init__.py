"""Alpaca market data: historical stock bars, trades and quotes over REST
(`AlpacaMarketDataClient`, `fetch_bars_to_catalog`) and the real-time WebSocket stream
(`AlpacaStreamClient`), which backfills reconnect gaps from the REST history."""

from midfreq.connectors.alpaca.client import (
    BASE_URL,
    DATASETS,
    DEFAULT_REQUESTS_PER_MINUTE,
    FEEDS,
    KEY_ID_ENV,
    SECRET_KEY_ENV,
    TIMEFRAMES,
    AlpacaMarketDataClient,
    fetch_bars_to_catalog,
)
from midfreq.connectors.alpaca.stream import (
    AUTH_FAILED,
    BACKFILL_RETRY,
    CHANNELS,
    DEFAULT_MAX_BACKFILL_SECONDS,
    STREAM_URL,
    AlpacaStreamClient,
)

__all__ = [
    "AUTH_FAILED",
    "BACKFILL_RETRY",
    "BASE_URL",
    "CHANNELS",
    "DATASETS",
    "DEFAULT_MAX_BACKFILL_SECONDS",
    "DEFAULT_REQUESTS_PER_MINUTE",
    "FEEDS",
    "KEY_ID_ENV",
    "SECRET_KEY_ENV",
    "STREAM_URL",
    "TIMEFRAMES",
    "AlpacaMarketDataClient",
    "AlpacaStreamClient",
    "fetch_bars_to_catalog",
]

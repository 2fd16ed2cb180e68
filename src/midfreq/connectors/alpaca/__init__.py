"""Alpaca market data: historical stock bars over REST (`AlpacaMarketDataClient`,
`fetch_bars_to_catalog`) and the real-time WebSocket stream (`AlpacaStreamClient`)."""

from midfreq.connectors.alpaca.client import (
    BASE_URL,
    DEFAULT_REQUESTS_PER_MINUTE,
    FEEDS,
    KEY_ID_ENV,
    SECRET_KEY_ENV,
    TIMEFRAMES,
    AlpacaMarketDataClient,
    fetch_bars_to_catalog,
)
from midfreq.connectors.alpaca.stream import AUTH_FAILED, CHANNELS, STREAM_URL, AlpacaStreamClient

__all__ = [
    "AUTH_FAILED",
    "BASE_URL",
    "CHANNELS",
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

"""Live market data at the asyncio edge: message validation, the reconnecting feed client and
its WebSocket transport for the generic midfreq feed protocol."""

from midfreq.data.live.client import (
    BackoffPolicy,
    FeedItem,
    FeedStats,
    FeedStatus,
    FeedUnavailable,
    FreshData,
    LiveFeedClient,
    StaleData,
)
from midfreq.data.live.validation import (
    MessageValidator,
    RawMessage,
    Rejection,
    RejectReason,
    ValidatedData,
    parse_timestamp,
)
from midfreq.data.live.websocket import WebSocketFeedClient

__all__ = [
    "BackoffPolicy",
    "FeedItem",
    "FeedStats",
    "FeedStatus",
    "FeedUnavailable",
    "FreshData",
    "LiveFeedClient",
    "MessageValidator",
    "RawMessage",
    "RejectReason",
    "Rejection",
    "StaleData",
    "ValidatedData",
    "WebSocketFeedClient",
    "parse_timestamp",
]

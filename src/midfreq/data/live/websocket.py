"""`WebSocketFeedClient`: the generic midfreq feed protocol over a WebSocket (``websockets``).

The client sends ``{"action": "subscribe", "symbols": [...]}`` on connect (and
``{"action": "unsubscribe", ...}`` on request) and receives one JSON object per frame: market
data (see `MessageValidator`), ``{"type": "error", ...}`` and ``{"type": "heartbeat"}`` frames.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, Final

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK

from midfreq.core.clock import Clock, LiveClock
from midfreq.core.errors import VenueError, expected
from midfreq.data.live.client import BackoffPolicy, LiveFeedClient
from midfreq.data.live.validation import MessageValidator

__all__ = ["CONTROL_TYPES", "WebSocketFeedClient"]

CONTROL_TYPES: Final = frozenset({"heartbeat", "subscribed", "unsubscribed", "info"})
"""Frame types that are acknowledged and counted but carry no market data."""

_LOG_FIRST_ERRORS: Final = 5
_LOG_EVERY_ERRORS: Final = 1000


class WebSocketFeedClient(LiveFeedClient):
    """A live feed speaking the generic midfreq protocol to a WebSocket server.

    WebSocket pings keep the connection alive and detect a dead peer (``ping_interval``,
    ``ping_timeout``); a lost connection is re-opened with backoff and every symbol is
    re-subscribed (see `LiveFeedClient`). Error frames are logged (the first few, then every
    thousandth) and counted in ``stats.error_frames``; heartbeats and acknowledgements in
    ``stats.control_frames``.

    Parameters
    ----------
    url : str
        ``ws://`` or ``wss://`` address of the feed.
    symbols : Iterable[str]
        Symbols to subscribe.
    clock : Clock, optional
        Defaults to the wall clock.
    name : str
        Name of the feed in logs and status.
    venue : str
        Venue of the instrument ids built from the symbols.
    validator : MessageValidator, optional
        Message checks and limits; a default one otherwise.
    backoff : BackoffPolicy, optional
        Delays between reconnection attempts.
    rng : random.Random, optional
        Seeded source of backoff jitter for reproducible delays.
    stale_after_seconds : float, optional
        Staleness threshold (see `LiveFeedClient`); None disables it.
    poll_interval_seconds : float, optional
        Longest wait for messages before staleness is checked.
    open_timeout : float
        Seconds allowed for the TCP connection and the opening handshake.
    ping_interval, ping_timeout : float or None
        WebSocket keepalive: ping every ``ping_interval`` seconds, drop the connection when a
        pong takes longer than ``ping_timeout``; None disables.
    max_frame_bytes : int
        Largest frame accepted by the transport; a larger one closes the connection (code 1009)
        and triggers a reconnect. Keep it above the validator's ``max_message_bytes`` so that
        oversized messages are counted and skipped instead.
    headers : Mapping[str, str], optional
        Extra HTTP headers for the opening handshake (for example authentication).
    **options : Any
        Further `LiveFeedClient` options (``max_batch_size``, ``dedup_window``).

    Examples
    --------
    >>> client = WebSocketFeedClient("ws://127.0.0.1:8765", ["AAPL", "MSFT"])
    >>> client.symbols
    ('AAPL', 'MSFT')
    """

    def __init__(
        self,
        url: str,
        symbols: Iterable[str],
        *,
        clock: Clock | None = None,
        name: str = "websocket",
        venue: str = "SIM",
        validator: MessageValidator | None = None,
        backoff: BackoffPolicy | None = None,
        rng: random.Random | None = None,
        stale_after_seconds: float | None = None,
        poll_interval_seconds: float | None = None,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        max_frame_bytes: int = 4 * 1024 * 1024,
        headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("ws://", "wss://")):
            raise expected("url", url, "a ws:// or wss:// address")
        if max_frame_bytes <= 0:
            raise expected("max_frame_bytes", max_frame_bytes, "a positive number of bytes")
        super().__init__(
            symbols,
            clock=clock or LiveClock(),
            name=name,
            venue=venue,
            validator=validator,
            backoff=backoff,
            rng=rng,
            stale_after_seconds=stale_after_seconds,
            poll_interval_seconds=poll_interval_seconds,
            **options,
        )
        self.url = url
        self._open_timeout = open_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._max_frame_bytes = max_frame_bytes
        self._headers = dict(headers or {})
        self._connection: ClientConnection | None = None
        self._encoder = msgspec.json.Encoder()

    async def _connect(self) -> None:
        self._connection = await connect(
            self.url,
            open_timeout=self._open_timeout,
            ping_interval=self._ping_interval,
            ping_timeout=self._ping_timeout,
            max_size=self._max_frame_bytes,
            additional_headers=self._headers or None,
            proxy=None,  # a feed address is used as given, never through an environment proxy
        )

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    async def _send_subscribe(self, symbols: list[str]) -> None:
        await self._send({"action": "subscribe", "symbols": symbols})

    async def _send_unsubscribe(self, symbols: list[str]) -> None:
        await self._send({"action": "unsubscribe", "symbols": symbols})

    async def _send(self, command: dict[str, Any]) -> None:
        connection = self._connection
        if connection is None:
            raise VenueError(f"{self.name}: not connected, cannot send {command['action']}")
        await connection.send(self._encoder.encode(command).decode())

    async def _messages(self) -> AsyncIterator[object]:
        connection = self._connection
        if connection is None:
            return
        while True:
            try:
                # Bytes straight to the JSON decoder: no str round trip.
                yield await connection.recv(decode=False)
            except ConnectionClosedOK as closed:
                self._log.info("feed_connection_closed", code=_close_code(closed))
                return
            except ConnectionClosed as closed:
                raise VenueError(
                    f"{self.name}: connection lost (close code {_close_code(closed)})"
                ) from closed

    def _handle_control(self, message: Mapping[str, Any]) -> bool:
        kind = message.get("type")
        if kind == "error":
            self.stats.error_frames += 1
            count = self.stats.error_frames
            if count <= _LOG_FIRST_ERRORS or count % _LOG_EVERY_ERRORS == 0:
                self._log.warning(
                    "feed_error_frame",
                    code=_field(message, "code"),
                    message=_field(message, "message"),
                    count=count,
                )
            return True
        return isinstance(kind, str) and kind in CONTROL_TYPES


def _close_code(closed: ConnectionClosed) -> int | None:
    frame = closed.rcvd or closed.sent
    return frame.code if frame is not None else None


def _field(message: Mapping[str, Any], name: str) -> str | None:
    value = message.get(name)
    return None if value is None else str(value)[:200]

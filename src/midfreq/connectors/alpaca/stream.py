"""Alpaca's real-time stock data stream: `AlpacaStreamClient` speaks the v2 WebSocket protocol
(connect, authenticate, subscribe, JSON arrays of messages) and maps quotes, trades and minute
bars into the generic messages `MessageValidator` checks; after a reconnect it backfills the gap
from Alpaca's REST history through the same translation. Reconnecting, de-duplication and
staleness are `LiveFeedClient`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping, Sequence
from typing import Any, Final, cast

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK

from midfreq.connectors.alpaca.client import (
    BASE_URL,
    DEFAULT_REQUESTS_PER_MINUTE,
    KEY_ID_ENV,
    SECRET_KEY_ENV,
    AlpacaMarketDataClient,
    Dataset,
    resolve_credentials,
)
from midfreq.connectors.http import RateLimiter, RetryPolicy
from midfreq.core.clock import NANOS_PER_SECOND, Clock
from midfreq.core.errors import DataError, VenueError, expected
from midfreq.data.live.client import BackoffPolicy, FeedItem
from midfreq.data.live.validation import (
    MessageValidator,
    Rejection,
    RejectReason,
    ValidatedData,
    parse_timestamp,
)
from midfreq.data.live.websocket import WebSocketFeedClient
from midfreq.infra.logging import REDACTED

__all__ = [
    "AUTH_FAILED",
    "BACKFILL_RETRY",
    "CHANNELS",
    "DEFAULT_MAX_BACKFILL_SECONDS",
    "STREAM_URL",
    "AlpacaStreamClient",
]

STREAM_URL: Final = "wss://stream.data.alpaca.markets/v2/{feed}"
"""The stock data stream; ``{feed}`` is ``iex``, ``sip``, ``delayed_sip`` or ``test``."""
CHANNELS: Final = ("quotes", "trades", "bars")
"""Channels `AlpacaStreamClient` can subscribe."""
AUTH_FAILED: Final = 402
"""The error code of rejected credentials: not retried."""
DEFAULT_MAX_BACKFILL_SECONDS: Final = 300.0
"""How far back a backfill after a reconnect reaches at most, by default."""
BACKFILL_RETRY: Final = RetryPolicy(
    max_attempts=3, initial_backoff=0.5, max_backoff=4.0, max_retry_after=10.0
)
"""Retries of one backfill request: brief, since the stream is not read while it runs."""

_BAR_LENGTH_NS: Final = 60 * NANOS_PER_SECOND
_QUOTE_FIELDS: Final = (
    ("S", "symbol"),
    ("bp", "bid"),
    ("ap", "ask"),
    ("bs", "bid_size"),
    ("as", "ask_size"),
    ("t", "ts"),
)
_TRADE_FIELDS: Final = (("S", "symbol"), ("p", "price"), ("s", "size"), ("i", "id"), ("t", "ts"))
_BAR_FIELDS: Final = (
    ("S", "symbol"),
    ("o", "open"),
    ("h", "high"),
    ("l", "low"),
    ("c", "close"),
    ("v", "volume"),
)
# Alpaca control messages become frames `WebSocketFeedClient` counts as control.
_CONTROL: Final = {"success": "info", "subscription": "subscribed"}
# Channel -> (REST dataset, stream message code "T", the validator's kind of data).
_HISTORY: Final[Mapping[str, tuple[Dataset, str, str]]] = {
    "quotes": ("quotes", "q", "quote"),
    "trades": ("trades", "t", "trade"),
    "bars": ("bars", "b", "bar"),
}
_BACKFILL_TIMEOUT: Final = 10.0
# How far one channel's last update may trail the feed's last one and still mark where that
# channel's gap starts: a minute bar arrives after its close, quotes and trades may cross.
# Older than that, the channel was quiet, not cut off.
_CHANNEL_LAG_NS: Final = 60 * NANOS_PER_SECOND
# Real-time feeds: a delayed feed's gap ends before the clock's window, and `test` has no history.
_BACKFILL_FEEDS: Final = ("iex", "sip")


class AlpacaStreamClient(WebSocketFeedClient):
    """A live feed of Alpaca stock quotes, trades and minute bars.

    On every (re)connect the client waits for ``connected``, authenticates with
    ``{"action": "auth", ...}``, and subscribes every symbol on the chosen channels. Data
    frames are JSON arrays; each quote (``T: q``), trade (``T: t``) and bar (``T: b``) becomes
    a generic message, checked by the `MessageValidator` and delivered as `QuoteTick` (sizes
    as Alpaca sends them, in round lots), `TradeTick` (no aggressor side, ``i`` as the trade id)
    or `Bar` (stamped at the minute's end, ``t + 60 s``). Error frames are counted in
    ``stats.error_frames`` and logged. Rejected credentials (error 402) end `stream` with
    `VenueError` instead of reconnecting; other failures reconnect per the `BackoffPolicy`.

    After each reconnect, `backfill` fetches what the subscribed channels missed from Alpaca's
    REST history (same keys and feed), at most ``max_backfill_seconds`` back; see `backfill`.

    Parameters
    ----------
    symbols : Iterable[str]
        Tickers to subscribe.
    key_id, secret : str, optional
        Credentials; read from ``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY`` when None. Never
        logged: the WebSocket library's debug log of the auth frame is scrubbed.
    feed : str, default "iex"
        The feed in the default URL.
    url : str, optional
        The stream address; ``wss://stream.data.alpaca.markets/v2/{feed}`` by default.
    channels : Sequence[str], default ("quotes", "trades")
        Which of ``quotes``, ``trades``, ``bars`` to subscribe.
    clock, name, venue, validator, backoff, rng, stale_after_seconds, poll_interval_seconds,
    open_timeout, ping_interval, ping_timeout, max_frame_bytes, **options
        As for `WebSocketFeedClient`; ``open_timeout`` also bounds each handshake reply.
    max_backfill_seconds : float, default 300
        The longest stretch before the reconnect that `backfill` fetches; 0 turns backfill off.
        Only the real-time feeds, ``iex`` and ``sip``, backfill: ``test`` has no REST history,
        and ``delayed_sip``'s gap lies before the window the clock gives.
    rest_url : str, default "https://data.alpaca.markets"
        Scheme and host of the REST history API used by `backfill`.
    rest_retry : RetryPolicy, optional
        Retries of each backfill request (429, 5xx, connection errors); `BACKFILL_RETRY` by
        default.
    rate_limiter : RateLimiter, optional
        The REST rate limit; share the one of an `AlpacaMarketDataClient` using the same key.
        Its own limiter at 200 requests a minute (the free plan's) by default.

    Raises
    ------
    ConfigError
        If a credential is neither given nor in its environment variable.
    ValueError
        If `channels` is empty or names an unknown channel, or `max_backfill_seconds` is
        negative or not finite.
    """

    def __init__(
        self,
        symbols: Iterable[str],
        key_id: str | None = None,
        secret: str | None = None,
        *,
        feed: str = "iex",
        url: str | None = None,
        channels: Sequence[str] = ("quotes", "trades"),
        clock: Clock | None = None,
        name: str = "alpaca",
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
        max_backfill_seconds: float = DEFAULT_MAX_BACKFILL_SECONDS,
        rest_url: str = BASE_URL,
        rest_retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        **options: Any,
    ) -> None:
        chosen = tuple(dict.fromkeys(channels)) if not isinstance(channels, str) else ()
        if not chosen or any(channel not in CHANNELS for channel in chosen):
            raise expected("channels", channels, f"a non-empty selection of {', '.join(CHANNELS)}")
        if not (math.isfinite(max_backfill_seconds) and max_backfill_seconds >= 0):
            raise expected("max_backfill_seconds", max_backfill_seconds, "seconds >= 0")
        key_id, secret = resolve_credentials(key_id, secret)
        super().__init__(
            url if url is not None else STREAM_URL.format(feed=feed),
            symbols,
            clock=clock,
            name=name,
            venue=venue,
            validator=validator,
            backoff=backoff,
            rng=rng,
            stale_after_seconds=stale_after_seconds,
            poll_interval_seconds=poll_interval_seconds,
            open_timeout=open_timeout,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            max_frame_bytes=max_frame_bytes,
            **options,
        )
        self.channels = chosen
        self._key_id = key_id
        self._secret = secret
        self._ws_logger = _ScrubbingLogger(logging.getLogger("websockets.client"), (key_id, secret))
        self._fatal: VenueError | None = None
        self._decoder = msgspec.json.Decoder()
        self.max_backfill_seconds = float(max_backfill_seconds)
        self._max_backfill_ns = int(max_backfill_seconds * NANOS_PER_SECOND)
        self._backfills = self._max_backfill_ns > 0 and feed in _BACKFILL_FEEDS
        self._feed = feed
        self._rest_url = rest_url
        self._rest_retry = rest_retry if rest_retry is not None else BACKFILL_RETRY
        self._rate_limiter = rate_limiter or RateLimiter(DEFAULT_REQUESTS_PER_MINUTE)
        self._rest: AlpacaMarketDataClient | None = None  # opened at the first backfill
        self._failed_round: tuple[int, int] | None = None

    def __repr__(self) -> str:
        return f"AlpacaStreamClient(url={self.url!r}, channels={self.channels!r})"

    async def stream(self) -> AsyncIterator[list[FeedItem]]:
        """Yield batches as `LiveFeedClient.stream` does.

        Raises
        ------
        VenueError
            If Alpaca rejects the credentials (naming ``APCA_API_KEY_ID`` and
            ``APCA_API_SECRET_KEY``); no reconnection is attempted.
        FeedUnavailable
            After ``backoff.max_attempts`` consecutive failed connection attempts.
        """
        self._fatal = None
        inner = cast(AsyncGenerator[list[FeedItem], None], super().stream())
        async with contextlib.aclosing(inner) as batches:
            async for batch in batches:
                yield batch
        if self._fatal is not None:
            raise self._fatal

    async def backfill(self, symbol: str, since_ns: int, until_ns: int) -> list[ValidatedData]:
        """Fetch from Alpaca's REST history the data of ``symbol`` the stream may have missed.

        Called by `stream` after each reconnect, ``since_ns`` being the symbol's last update
        delivered. For every subscribed channel it reads ``/v2/stocks/{symbol}/trades|quotes|
        bars`` (all pages) from that channel's own last update (no more than a minute before
        ``since_ns``: a bar arrives after its close; ``since_ns`` for a channel without one)
        to ``until_ns``, both inclusive; bars are asked for by their start, a minute before
        their stamp, and only those closed by ``until_ns``. Each record goes through the
        stream's translation and ``validator.parse``, so the same checks apply: a bad record
        is counted in ``validator.rejections`` and ``stats.rejected`` and skipped. What
        overlaps data already delivered is dropped by `LiveFeedClient` as a duplicate.

        The window reaches back at most ``max_backfill_seconds``: an older start is moved up
        and the part left uncovered is logged (``feed_backfill_capped``, with ``gap_start`` and
        ``gap_end``). A request that still fails after the retries is logged
        (``feed_backfill_request_failed``, naming the gap) and the other channels go on; after
        a failure that is not the symbol's own (rate limits, outages, refused credentials) the
        rest of this reconnect's backfill is skipped (``feed_backfill_skipped``) rather than
        each request waiting out its own retries while the stream is not read. Nothing here
        stops the stream.

        Returns
        -------
        list of QuoteTick, TradeTick and Bar
            Channel by channel, each oldest first; empty when backfill is off.
        """
        instrument_id = self.validator.instrument_id(symbol)
        if not self._backfills or instrument_id is None:
            return []
        this_round = (self.stats.reconnects, until_ns)
        floor_ns = until_ns - self._max_backfill_ns
        out: list[ValidatedData] = []
        for channel in self.channels:
            dataset, code, kind = _HISTORY[channel]
            last_ns = self.validator.last_ts(kind, instrument_id)
            start_ns = since_ns if last_ns is None else max(last_ns, since_ns - _CHANNEL_LAG_NS)
            if start_ns < floor_ns:
                self._log.warning(
                    "feed_backfill_capped",
                    symbol=symbol,
                    channel=channel,
                    gap_start=_rfc3339(start_ns),
                    gap_end=_rfc3339(floor_ns),
                    max_backfill_seconds=self.max_backfill_seconds,
                )
                start_ns = floor_ns
            if start_ns > until_ns:
                continue
            gap = {"gap_start": _rfc3339(start_ns), "gap_end": _rfc3339(until_ns)}
            if self._failed_round == this_round:
                self._log.warning(
                    "feed_backfill_skipped",
                    symbol=symbol,
                    channel=channel,
                    reason="an earlier backfill request after this reconnect failed",
                    **gap,
                )
                continue
            # Alpaca filters bars on their start; ours are stamped a minute later, at close.
            shift = _BAR_LENGTH_NS if channel == "bars" else 0
            client = self._rest_client()
            try:
                records = await asyncio.to_thread(
                    client.records,
                    symbol,
                    dataset,
                    _rfc3339(start_ns - shift),
                    _rfc3339(until_ns - shift),
                )
            except (DataError, VenueError) as exc:
                if isinstance(exc, VenueError):
                    self._failed_round = this_round
                self._log.warning(
                    "feed_backfill_request_failed",
                    symbol=symbol,
                    channel=channel,
                    error=str(exc),
                    **gap,
                )
                continue
            out.extend(self._validated(symbol, code, records))
        return out

    async def close(self) -> None:
        """Stop reconnecting, close the connection and the REST client; `stream` then ends."""
        await super().close()
        rest, self._rest = self._rest, None
        if rest is not None:
            rest.close()

    def _rest_client(self) -> AlpacaMarketDataClient:
        if self._rest is None:
            self._rest = AlpacaMarketDataClient(
                self._key_id,
                self._secret,
                base_url=self._rest_url,
                feed=self._feed,
                rate_limiter=self._rate_limiter,
                retry=self._rest_retry,
                timeout=_BACKFILL_TIMEOUT,
            )
        return self._rest

    def _validated(self, symbol: str, code: str, records: list[Any]) -> list[ValidatedData]:
        validator = self.validator
        out: list[ValidatedData] = []
        for record in records:
            if isinstance(record, dict):
                # REST records are stream messages without "T" and "S": add them, translate.
                message = cast(dict[str, Any], translate({**record, "T": code, "S": symbol}))
                data = validator.parse(message)
            else:
                data = validator.reject(
                    RejectReason.WRONG_TYPE,
                    f"{symbol} backfill: expected a JSON object, was {type(record).__name__}",
                    record,
                )
            if isinstance(data, Rejection):
                self.stats.rejected += 1
            else:
                out.append(data)
        return out

    # ---- transport hooks ----------------------------------------------------------------------
    async def _connect(self) -> None:
        connection = await connect(
            self.url,
            open_timeout=self._open_timeout,
            ping_interval=self._ping_interval,
            ping_timeout=self._ping_timeout,
            max_size=self._max_frame_bytes,
            proxy=None,
            logger=self._ws_logger,
        )
        try:
            await self._expect(connection, "connected", "connecting")
            await connection.send(
                self._encoder.encode(
                    {"action": "auth", "key": self._key_id, "secret": self._secret}
                ).decode()
            )
            await self._expect(connection, "authenticated", "authenticating")
        except BaseException:
            await connection.close()
            raise
        self._connection = connection

    async def _expect(self, connection: ClientConnection, success: str, stage: str) -> None:
        try:
            async with asyncio.timeout(self._open_timeout):
                raw = await connection.recv(decode=False)
        except TimeoutError:
            raise VenueError(
                f"{self.name}: no answer within {self._open_timeout:g} s while {stage}"
            ) from None
        try:
            frame = self._decoder.decode(raw)
        except msgspec.DecodeError:
            raise VenueError(f"{self.name}: {stage}: expected a JSON array") from None
        for message in frame if isinstance(frame, list) else [frame]:
            if not isinstance(message, dict):
                continue
            kind = message.get("T")
            if kind == "success" and message.get("msg") == success:
                return
            if kind == "error":
                code, text = message.get("code"), str(message.get("msg"))[:200]
                error = VenueError(f"{self.name}: {stage}: error {code} ({text})")
                if code == AUTH_FAILED:
                    error = VenueError(
                        f"{self.name}: authentication failed: error {code} ({text}); check "
                        f"{KEY_ID_ENV} and {SECRET_KEY_ENV}"
                    )
                    self._fatal = error
                    self._closing = True  # stop `LiveFeedClient.stream` from reconnecting
                raise error
        raise VenueError(f"{self.name}: {stage}: expected {success!r}, was {_short(frame)}")

    async def _send_subscribe(self, symbols: list[str]) -> None:
        await self._send({"action": "subscribe", **dict.fromkeys(self.channels, symbols)})

    async def _send_unsubscribe(self, symbols: list[str]) -> None:
        await self._send({"action": "unsubscribe", **dict.fromkeys(self.channels, symbols)})

    async def _messages(self) -> AsyncIterator[object]:
        connection = self._connection
        if connection is None:
            return
        while True:
            try:
                raw = await connection.recv(decode=False)
            except ConnectionClosedOK:
                return
            except ConnectionClosed as closed:
                raise VenueError(f"{self.name}: connection lost ({closed})") from closed
            try:
                frame = self._decoder.decode(raw)
            except msgspec.DecodeError:
                yield raw  # rejected and counted as BAD_JSON by the validator
                continue
            if not isinstance(frame, list):
                frame = [frame]
            for message in frame:
                yield translate(message)


def translate(message: object) -> object:
    """Return one Alpaca stream message as a generic feed message (others unchanged).

    Examples
    --------
    >>> translate({"T": "t", "S": "AAPL", "i": 7, "x": "V", "p": 187.11, "s": 100,
    ...            "t": "2024-01-02T14:30:00Z", "c": ["@"], "z": "C"})
    {'type': 'trade', 'side': None, 'symbol': 'AAPL', 'price': 187.11, 'size': 100, 'id': 7, \
'ts': '2024-01-02T14:30:00Z'}
    """
    if not isinstance(message, dict):
        return message
    kind = message.get("T")
    if kind == "q":
        return {"type": "quote", **_rename(message, _QUOTE_FIELDS)}
    if kind == "t":
        return {"type": "trade", "side": None, **_rename(message, _TRADE_FIELDS)}
    if kind == "b":
        bar = {"type": "bar", **_rename(message, _BAR_FIELDS)}
        if "t" in message:
            try:
                bar["ts"] = parse_timestamp(message["t"]) + _BAR_LENGTH_NS
            except ValueError:
                bar["ts"] = message["t"]  # rejected as INVALID_TIMESTAMP by the validator
        return bar
    if kind == "error":
        return {"type": "error", "code": message.get("code"), "message": message.get("msg")}
    if isinstance(kind, str) and kind in _CONTROL:
        return {**message, "type": _CONTROL[kind]}
    # Statuses, corrections, LULD...: not subscribed; rejected as UNKNOWN_TYPE if they come.
    return {**message, "type": kind}


def _rename(message: Mapping[str, Any], fields: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    # Absent fields stay absent, so the validator reports them as MISSING_FIELD.
    return {ours: message[theirs] for theirs, ours in fields if theirs in message}


def _rfc3339(ns: int) -> str:
    """Return UTC nanoseconds as an RFC-3339 time with nine fractional digits.

    >>> _rfc3339(1_704_207_600_000_000_001)
    '2024-01-02T15:00:00.000000001Z'
    """
    seconds, nanos = divmod(ns, NANOS_PER_SECOND)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}.{nanos:09d}Z"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


class _ScrubbingLogger(logging.LoggerAdapter[logging.Logger]):
    # websockets logs every frame at DEBUG, the auth frame included: format, then scrub.
    def __init__(self, logger: logging.Logger, secrets: tuple[str, ...]) -> None:
        super().__init__(logger, {})
        self._secrets = tuple(s for s in secrets if s)

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        text = str(msg) % args if args else str(msg)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        self.logger.log(level, text, **kwargs)

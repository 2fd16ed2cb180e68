"""The transport-independent half of a live market data feed: `LiveFeedClient`.

It reconnects with jittered exponential backoff, re-subscribes and backfills gaps after a
reconnect, validates and de-duplicates messages, and tells strategies when an instrument's data
goes stale (`StaleData`) and when it resumes (`FreshData`). Subclasses supply the transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping
from dataclasses import asdict, dataclass
from operator import attrgetter
from typing import Any, Final

from midfreq.core.clock import NANOS_PER_SECOND, Clock
from midfreq.core.errors import InvariantViolation, VenueError, expected
from midfreq.data.live.validation import (
    MessageValidator,
    Rejection,
    RejectReason,
    ValidatedData,
    data_kind,
)
from midfreq.infra.logging import get_logger
from midfreq.model.data import FreshData, StaleData, TradeTick
from midfreq.model.identifiers import InstrumentId

__all__ = [
    "BackoffPolicy",
    "FeedItem",
    "FeedStats",
    "FeedStatus",
    "FeedUnavailable",
    "FreshData",
    "LiveFeedClient",
    "StaleData",
]

_BY_TS_EVENT: Final = attrgetter("ts_event")


FeedStatus = StaleData | FreshData
"""Events about the feed itself, delivered in the stream between market data."""

FeedItem = ValidatedData | StaleData | FreshData
"""What a `LiveFeedClient` batch holds."""


class FeedUnavailable(VenueError):
    """The feed could not be (re)connected within the backoff policy's ``max_attempts``."""


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """Jittered exponential backoff between reconnection attempts.

    Attempt ``n`` (0-based) waits ``min(maximum, initial * multiplier**n)`` reduced by a random
    fraction of up to ``jitter`` of it, so many clients do not reconnect in lockstep.

    Parameters
    ----------
    initial : float
        Seconds before the first reconnection attempt.
    maximum : float
        Cap on the delay, seconds.
    multiplier : float
        Growth per consecutive failure (>= 1).
    jitter : float
        Fraction in [0, 1] of the delay that may be randomly removed (1 is "full jitter").
    max_attempts : int or None
        Consecutive failed attempts after which the feed gives up (`FeedUnavailable`);
        None retries forever.

    Examples
    --------
    >>> policy = BackoffPolicy(1.0, 10.0, 2.0, 0.0)
    >>> [policy.delay(n, random.Random(0)) for n in range(5)]
    [1.0, 2.0, 4.0, 8.0, 10.0]
    """

    initial: float = 0.5
    maximum: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.initial) and self.initial >= 0):
            raise expected("initial", self.initial, "seconds >= 0")
        if not (math.isfinite(self.maximum) and self.maximum >= self.initial):
            raise expected("maximum", self.maximum, f"seconds >= initial ({self.initial})")
        if not (math.isfinite(self.multiplier) and self.multiplier >= 1):
            raise expected("multiplier", self.multiplier, "a factor >= 1")
        if not 0 <= self.jitter <= 1:
            raise expected("jitter", self.jitter, "a fraction in [0, 1]")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise expected("max_attempts", self.max_attempts, "None or an integer >= 1")

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Return the seconds to wait before attempt ``attempt`` (0-based)."""
        try:
            base = min(self.maximum, self.initial * self.multiplier ** min(attempt, 1024))
        except OverflowError:
            base = self.maximum
        return base * (1.0 - self.jitter * rng.random()) if self.jitter else base

    def gives_up(self, failures: int) -> bool:
        """Whether ``failures`` consecutive failed attempts exhaust the policy."""
        return self.max_attempts is not None and failures >= self.max_attempts


@dataclass(slots=True)
class FeedStats:
    """Counters of a live feed since it was created."""

    messages_received: int = 0
    """Every raw message, control frames and rejected ones included."""
    accepted: int = 0
    """Market data delivered in the stream (backfilled data included)."""
    rejected: int = 0
    """Messages the validator rejected (see ``validator.rejections`` for the reasons)."""
    duplicates_dropped: int = 0
    """Market data already delivered, dropped (replays after a reconnect, backfill overlap)."""
    reconnects: int = 0
    """Successful connections after the first one."""
    connection_failures: int = 0
    """Connection attempts that failed."""
    control_frames: int = 0
    """Protocol frames that are not market data (heartbeats, acknowledgements, errors)."""
    error_frames: int = 0
    """Error frames sent by the server."""
    backfilled: int = 0
    """Items delivered from `LiveFeedClient.backfill`."""
    stale_events: int = 0
    """`StaleData` events emitted."""

    def as_dict(self) -> dict[str, int]:
        """Return the counters by name."""
        return asdict(self)


class _Ended:
    # Put on the reader queue when the transport's message iterator finishes.
    __slots__ = ("error",)

    def __init__(self, error: Exception | None) -> None:
        self.error = error


class _RecentKeys:
    # An insertion-ordered set with a capacity: the newest keys of one (type, instrument) stream.
    __slots__ = ("_capacity", "_keys")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._keys: dict[tuple[int, str], None] = {}

    def __contains__(self, key: tuple[int, str]) -> bool:
        return key in self._keys

    def add(self, key: tuple[int, str]) -> None:
        keys = self._keys
        keys[key] = None
        if len(keys) > self._capacity:
            del keys[next(iter(keys))]


class LiveFeedClient(ABC):
    """A reconnecting, validating, de-duplicating live feed; subclasses add the transport.

    `stream` yields batches (lists) of `QuoteTick`, `TradeTick`, `Bar` and, when staleness
    detection is on, `StaleData` / `FreshData` events, matching the ``LiveDataClient`` protocol
    of the trading system. It connects, subscribes every symbol, and hands each raw message to
    the `MessageValidator`; after a disconnect it waits per the `BackoffPolicy`, reconnects,
    re-subscribes every symbol and calls `backfill` for each with the last accepted timestamp.

    No item is delivered twice: an item whose (type, symbol, ``ts_event`` and, for trades,
    ``trade_id``) is among the last ``dedup_window`` delivered for its type and instrument is
    dropped as a duplicate, and anything older than the last delivered is rejected by the
    validator as `RejectReason.BACKWARDS_TIMESTAMP`.

    Subclasses implement ``_connect``, ``_disconnect``, ``_send_subscribe``,
    ``_send_unsubscribe`` and ``_messages`` (an async iterator of raw messages that ends, or
    raises, when the connection is lost), and may override ``_handle_control`` to consume
    protocol frames that are not market data, and `backfill`.

    Parameters
    ----------
    symbols : Iterable[str]
        Symbols to subscribe on connect.
    clock : Clock
        Stamps ``ts_init``, and measures staleness.
    name : str
        Name of the feed in logs and status (``LiveDataClient.name``).
    venue : str
        Venue of the instrument ids (``AAPL`` -> ``AAPL.SIM``); ignored if ``validator`` given.
    validator : MessageValidator, optional
        Defaults to one with the validator's default limits.
    backoff : BackoffPolicy
        Delays between reconnection attempts.
    rng : random.Random, optional
        Source of backoff jitter; pass a seeded one for reproducible delays.
    stale_after_seconds : float, optional
        Emit `StaleData` for an instrument without an accepted update for this long; None (the
        default) turns staleness detection off, and no `FeedStatus` events are emitted.
    poll_interval_seconds : float, optional
        Longest wait for messages before staleness is checked again; defaults to a quarter of
        ``stale_after_seconds`` capped at one second.
    max_batch_size : int
        Most raw messages handled in one batch.
    dedup_window : int
        Recent keys remembered per (type, instrument) to recognise replayed messages.
    """

    name: str

    def __init__(
        self,
        symbols: Iterable[str],
        *,
        clock: Clock,
        name: str = "live",
        venue: str = "SIM",
        validator: MessageValidator | None = None,
        backoff: BackoffPolicy | None = None,
        rng: random.Random | None = None,
        stale_after_seconds: float | None = None,
        poll_interval_seconds: float | None = None,
        max_batch_size: int = 1_000,
        dedup_window: int = 4_096,
    ) -> None:
        if stale_after_seconds is not None and not stale_after_seconds > 0:
            raise expected("stale_after_seconds", stale_after_seconds, "None or seconds > 0")
        if poll_interval_seconds is None:
            poll_interval_seconds = min(1.0, (stale_after_seconds or 4.0) / 4)
        if not poll_interval_seconds > 0:
            raise expected("poll_interval_seconds", poll_interval_seconds, "seconds > 0")
        if max_batch_size < 1:
            raise expected("max_batch_size", max_batch_size, "an integer >= 1")
        if dedup_window < 1:
            raise expected("dedup_window", dedup_window, "an integer >= 1")
        self.name = name
        self.clock = clock
        self.validator = validator or MessageValidator([], clock=clock, venue=venue)
        self.backoff = backoff or BackoffPolicy()
        self.stats = FeedStats()
        self._rng = rng or random.Random()
        self._stale_after_ns = (
            None if stale_after_seconds is None else int(stale_after_seconds * NANOS_PER_SECOND)
        )
        self._poll_seconds = poll_interval_seconds
        self._poll_ns = int(poll_interval_seconds * NANOS_PER_SECOND)
        self._next_staleness_check_ns = 0
        self._max_batch = max_batch_size
        self._dedup_window = dedup_window
        self._symbols: dict[str, InstrumentId] = {}
        self._subscribed_ids: set[InstrumentId] = set()
        self._subscribed_at: dict[InstrumentId, int] = {}
        self._last_seen_ns: dict[InstrumentId, int] = {}
        self._last_event_ts: dict[InstrumentId, int] = {}
        self._stale: set[InstrumentId] = set()
        self._recent: dict[tuple[str, InstrumentId], _RecentKeys] = {}
        self._connected = False
        self._closing = False
        self._streaming = False
        self._connection_messages = 0
        self._log = get_logger("data.live", feed=name)
        self._track(_symbol_list(symbols))

    # ---- public API ------------------------------------------------------------------------
    @property
    def symbols(self) -> tuple[str, ...]:
        """The subscribed symbols, in subscription order."""
        return tuple(self._symbols)

    @property
    def is_connected(self) -> bool:
        """Whether a connection is currently open."""
        return self._connected

    @property
    def stale_instruments(self) -> frozenset[InstrumentId]:
        """Instruments currently marked stale."""
        return frozenset(self._stale)

    async def subscribe(self, symbols: Iterable[str]) -> None:
        """Add ``symbols`` to the subscription and, if connected, subscribe them now.

        A failed send is logged and left to the reconnect, which subscribes every symbol.

        Raises
        ------
        ValueError
            If a symbol cannot form an instrument id.
        """
        new = [s for s in _symbol_list(symbols) if s not in self._symbols]
        if not new:
            return
        self._track(new)
        if self._connected:
            try:
                await self._send_subscribe(new)
            except Exception as exc:
                self._log.warning("feed_subscribe_failed", symbols=new, error=repr(exc))

    async def unsubscribe(self, symbols: Iterable[str]) -> None:
        """Remove ``symbols`` from the subscription and, if connected, unsubscribe them now.

        Messages for them still in flight are rejected as `RejectReason.UNKNOWN_SYMBOL`.
        """
        gone = [s for s in _symbol_list(symbols) if s in self._symbols]
        if not gone:
            return
        for symbol in gone:
            instrument_id = self._symbols.pop(symbol)
            self._subscribed_ids.discard(instrument_id)
            self._stale.discard(instrument_id)
        self.validator.remove_symbols(gone)
        if self._connected:
            try:
                await self._send_unsubscribe(gone)
            except Exception as exc:
                self._log.warning("feed_unsubscribe_failed", symbols=gone, error=repr(exc))

    async def backfill(self, symbol: str, since_ns: int, until_ns: int) -> list[ValidatedData]:
        """Return the data of ``symbol`` from ``since_ns`` to ``until_ns`` (both inclusive).

        Called after each reconnect for every subscribed symbol, with the ``ts_event`` of its
        last accepted update (or the time it was subscribed) and the clock's time. Overlap
        with data already delivered is dropped as duplicates. The default returns nothing;
        connectors with a history endpoint override it (and may use ``self.validator.parse``
        to check what they fetch).
        """
        return []

    async def close(self) -> None:
        """Stop reconnecting and close the connection; `stream` then ends."""
        self._closing = True
        if self._connected:
            with contextlib.suppress(Exception):
                await self._disconnect()

    async def stream(self) -> AsyncIterator[list[FeedItem]]:
        """Yield batches of validated market data and feed status events until closed.

        Raises
        ------
        FeedUnavailable
            After ``backoff.max_attempts`` consecutive failed connection attempts.
        InvariantViolation
            If the stream of this client is already being iterated.
        """
        if self._streaming:
            raise InvariantViolation(f"{self.name}: stream() is already running")
        self._streaming = True
        self._closing = False
        now = self.clock.timestamp_ns()
        for instrument_id in self._symbols.values():
            if instrument_id not in self._last_event_ts:  # staleness counts from the start
                self._subscribed_at[instrument_id] = self._last_seen_ns[instrument_id] = now
        failures = 0
        connected_before = False
        try:
            while not self._closing:
                if failures or connected_before:
                    if self.backoff.gives_up(failures):
                        raise FeedUnavailable(
                            f"{self.name}: no connection after {failures} consecutive attempts"
                        )
                    delay = self.backoff.delay(failures, self._rng)
                    self._log.info(
                        "feed_reconnect_wait", seconds=round(delay, 6), failures=failures
                    )
                    async with contextlib.aclosing(self._pause(delay)) as pause:
                        async for batch in pause:
                            yield batch
                    if self._stopping():
                        break
                try:
                    await self._connect()
                except Exception as exc:
                    failures += 1
                    self.stats.connection_failures += 1
                    self._log.warning("feed_connect_failed", attempt=failures, error=repr(exc))
                    continue
                self._connected = True
                self._connection_messages = 0
                reconnect = connected_before
                connected_before = True
                if reconnect:
                    self.stats.reconnects += 1
                self._log.info("feed_connected", reconnect=reconnect, symbols=len(self._symbols))
                try:
                    if self._symbols:
                        await self._send_subscribe(list(self._symbols))
                    if reconnect:
                        batch = await self._backfill_all()
                        batch.extend(self._check_staleness())
                        if batch:
                            yield batch
                    async with contextlib.aclosing(self._run_connection()) as batches:
                        async for batch in batches:
                            yield batch
                    if self._stopping():
                        self._log.info("feed_closed")
                    else:
                        self._log.warning("feed_disconnected", reason="connection closed")
                except Exception as exc:
                    self._log.warning("feed_disconnected", reason=repr(exc))
                finally:
                    self._connected = False
                    with contextlib.suppress(Exception):
                        await self._disconnect()
                failures = 0 if self._connection_messages else failures + 1
        finally:
            self._streaming = False
            self._connected = False

    # ---- transport hooks ----------------------------------------------------------------------
    @abstractmethod
    async def _connect(self) -> None:
        """Open the connection; raise on failure."""

    @abstractmethod
    async def _disconnect(self) -> None:
        """Close the connection (called also when it is already closed)."""

    @abstractmethod
    async def _send_subscribe(self, symbols: list[str]) -> None:
        """Ask the server for the data of ``symbols``."""

    @abstractmethod
    async def _send_unsubscribe(self, symbols: list[str]) -> None:
        """Ask the server to stop sending the data of ``symbols``."""

    @abstractmethod
    def _messages(self) -> AsyncIterator[object]:
        """Yield raw messages (bytes, str or decoded mappings) until the connection is lost."""

    def _handle_control(self, message: Mapping[str, Any]) -> bool:
        """Consume a decoded frame that is not market data; return whether it was one."""
        return False

    # ---- internals ----------------------------------------------------------------------------
    def _track(self, symbols: list[str]) -> None:
        ids = self.validator.add_symbols(symbols)
        now = self.clock.timestamp_ns()
        for symbol, instrument_id in zip(symbols, ids, strict=True):
            self._symbols[symbol] = instrument_id
            self._subscribed_ids.add(instrument_id)
            self._subscribed_at[instrument_id] = now
            self._last_seen_ns[instrument_id] = now

    def _stopping(self) -> bool:
        # A method, not the attribute: `close` may have changed it while we awaited.
        return self._closing

    async def _pause(self, seconds: float) -> AsyncGenerator[list[FeedItem], None]:
        # Sleep in slices so that staleness is still reported while disconnected.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self._closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            await asyncio.sleep(min(remaining, self._poll_seconds))
            events: list[FeedItem] = list(self._check_staleness())
            if events:
                yield events

    async def _run_connection(self) -> AsyncGenerator[list[FeedItem], None]:
        queue: asyncio.Queue[object] = asyncio.Queue(maxsize=4 * self._max_batch)
        reader = asyncio.create_task(self._read(queue), name=f"{self.name}-reader")
        try:
            while True:
                raws: list[object] = []
                ended: _Ended | None = None
                try:
                    async with asyncio.timeout(self._poll_seconds):
                        raws.append(await queue.get())
                except TimeoutError:
                    pass
                while raws and len(raws) < self._max_batch:
                    try:
                        raws.append(queue.get_nowait())
                    except asyncio.QueueEmpty:
                        break
                if raws and isinstance(raws[-1], _Ended):
                    ended = raws.pop()  # type: ignore[assignment]
                batch = self._process(raws)
                batch.extend(self._check_staleness())
                if batch:
                    yield batch
                if ended is not None:
                    if ended.error is not None:
                        raise ended.error
                    return
        finally:
            reader.cancel()
            await asyncio.wait({reader})

    async def _read(self, queue: asyncio.Queue[object]) -> None:
        try:
            async for raw in self._messages():
                await queue.put(raw)
        except Exception as exc:
            await queue.put(_Ended(exc))
        else:
            await queue.put(_Ended(None))

    def _process(self, raws: list[object]) -> list[FeedItem]:
        out: list[FeedItem] = []
        if not raws:
            return out
        stats = self.stats
        validator = self.validator
        stats.messages_received += len(raws)
        self._connection_messages += len(raws)
        for raw in raws:
            message = validator.decode(raw)
            if isinstance(message, Rejection):
                stats.rejected += 1
                continue
            if self._handle_control(message):
                stats.control_frames += 1
                continue
            data = validator.parse(message)
            if isinstance(data, Rejection):
                stats.rejected += 1
                continue
            self._accept(data, out)
        return out

    def _accept(self, data: ValidatedData, out: list[FeedItem]) -> bool:
        instrument_id = data.instrument_id
        if instrument_id not in self._subscribed_ids:
            self.validator.reject(
                RejectReason.UNKNOWN_SYMBOL, f"{instrument_id}: not subscribed", data
            )
            self.stats.rejected += 1
            return False
        stream_key = (data_kind(data), instrument_id)
        recent = self._recent.get(stream_key)
        if recent is None:
            recent = self._recent[stream_key] = _RecentKeys(self._dedup_window)
        key = (data.ts_event, data.trade_id if type(data) is TradeTick else "")
        if key in recent:
            self.stats.duplicates_dropped += 1
            return False
        if isinstance(self.validator.admit(data), Rejection):
            self.stats.rejected += 1
            return False
        recent.add(key)
        self.stats.accepted += 1
        now = self.clock.timestamp_ns()
        if instrument_id in self._stale:
            self._stale.discard(instrument_id)
            out.append(FreshData(instrument_id, now))
            self._log.info("feed_data_fresh", instrument_id=str(instrument_id))
        self._last_seen_ns[instrument_id] = now
        if data.ts_event > self._last_event_ts.get(instrument_id, 0):
            self._last_event_ts[instrument_id] = data.ts_event
        out.append(data)
        return True

    def _check_staleness(self) -> list[StaleData]:
        limit = self._stale_after_ns
        if limit is None:
            return []
        now = self.clock.timestamp_ns()
        # Once per poll interval of clock time, not on every batch of a busy feed.
        if now < self._next_staleness_check_ns:
            return []
        self._next_staleness_check_ns = now + self._poll_ns
        events = []
        for instrument_id in self._symbols.values():
            if instrument_id in self._stale or now - self._last_seen_ns[instrument_id] < limit:
                continue
            self._stale.add(instrument_id)
            last_ts = self._last_event_ts.get(instrument_id)
            events.append(StaleData(instrument_id, last_ts, now))
            self._log.warning("feed_data_stale", instrument_id=str(instrument_id), last_ts=last_ts)
        self.stats.stale_events += len(events)
        return events

    async def _backfill_all(self) -> list[FeedItem]:
        until_ns = self.clock.timestamp_ns()
        out: list[FeedItem] = []
        for symbol, instrument_id in list(self._symbols.items()):
            since_ns = self._last_event_ts.get(
                instrument_id, self._subscribed_at.get(instrument_id, until_ns)
            )
            try:
                items = await self.backfill(symbol, since_ns, until_ns)
            except Exception as exc:
                self._log.warning("feed_backfill_failed", symbol=symbol, error=repr(exc))
                continue
            accepted = sum(self._accept(item, out) for item in sorted(items, key=_BY_TS_EVENT))
            self.stats.backfilled += accepted
            if items:
                self._log.info(
                    "feed_backfilled", symbol=symbol, received=len(items), accepted=accepted
                )
        return out


def _symbol_list(symbols: Iterable[str]) -> list[str]:
    if isinstance(symbols, str):
        raise expected("symbols", symbols, "a collection of symbols, not one string")
    return list(dict.fromkeys(symbols))

"""Validation of live feed messages: raw vendor payloads in, domain data or a counted rejection out.

`MessageValidator` never raises on bad input. Every rejection is counted under a `RejectReason`,
kept as a recent sample for diagnostics and logged (rate-limited) as one structured line.
"""

from __future__ import annotations

import math
import re
import reprlib
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, Final

import msgspec

from midfreq.core.clock import NANOS_PER_SECOND, Clock
from midfreq.core.errors import expected
from midfreq.infra.logging import get_logger
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide
from midfreq.model.identifiers import InstrumentId

__all__ = [
    "BAR_FIELDS",
    "QUOTE_FIELDS",
    "TRADE_FIELDS",
    "MessageValidator",
    "RawMessage",
    "RejectReason",
    "Rejection",
    "ValidatedData",
    "data_kind",
    "parse_timestamp",
]

ValidatedData = QuoteTick | TradeTick | Bar
"""What a valid feed message becomes."""

RawMessage = bytes | bytearray | memoryview | str | Mapping[str, Any]
"""A message as received: JSON text or bytes, or a mapping already decoded by a connector."""

QUOTE_FIELDS: Final = ("symbol", "bid", "ask", "bid_size", "ask_size", "ts")
TRADE_FIELDS: Final = ("symbol", "price", "size", "side", "id", "ts")
BAR_FIELDS: Final = ("symbol", "open", "high", "low", "close", "volume", "ts")
_FIELDS: Final = {"quote": QUOTE_FIELDS, "trade": TRADE_FIELDS, "bar": BAR_FIELDS}
_SIDES: Final = {"buy": AggressorSide.BUYER, "sell": AggressorSide.SELLER}
_SAMPLE_CHARS: Final = 300
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_REPR: Final = reprlib.Repr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist = 3, 12, 12
_REPR.maxstring = _REPR.maxother = _SAMPLE_CHARS
_ISO_TIMESTAMP: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:[.,]([0-9]{1,9}))?(Z|z|[+-][0-9]{2}:?[0-9]{2})\Z",
    re.ASCII,
)


class RejectReason(StrEnum):
    """Why a feed message was rejected (checked in this order; the first failure wins)."""

    OVERSIZED = "OVERSIZED"
    """The raw payload is longer than ``max_message_bytes``."""
    BAD_JSON = "BAD_JSON"
    """The payload is not valid UTF-8 JSON (truncated, garbage, ``NaN`` literals)."""
    WRONG_TYPE = "WRONG_TYPE"
    """Not a JSON object, or a field has the wrong type or a value outside its allowed set."""
    MISSING_FIELD = "MISSING_FIELD"
    """A required field (including ``type``) is absent."""
    UNKNOWN_TYPE = "UNKNOWN_TYPE"
    """``type`` is not ``quote``, ``trade`` or ``bar``."""
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    """The symbol is not one of the configured (subscribed) symbols."""
    INVALID_PRICE = "INVALID_PRICE"
    """A price is NaN, infinite, zero or negative."""
    INVALID_SIZE = "INVALID_SIZE"
    """A size or volume is NaN, infinite or negative (a trade's size must be positive)."""
    CROSSED_QUOTE = "CROSSED_QUOTE"
    """A quote's bid is at or above its ask (crossed or locked)."""
    INCONSISTENT_BAR = "INCONSISTENT_BAR"
    """A bar's high is below its open, close or low, or its low is above its open or close."""
    INVALID_TIMESTAMP = "INVALID_TIMESTAMP"
    """``ts`` is not a positive nanosecond count or an ISO-8601 string with a UTC offset."""
    FUTURE_TIMESTAMP = "FUTURE_TIMESTAMP"
    """``ts`` is later than the clock plus ``future_tolerance_seconds``."""
    BACKWARDS_TIMESTAMP = "BACKWARDS_TIMESTAMP"
    """``ts`` is earlier than the last accepted one of the same type for the same instrument."""


class Rejection(msgspec.Struct, frozen=True):
    """One rejected message: the reason, a human-readable detail and a truncated sample."""

    reason: RejectReason
    detail: str
    sample: str
    ts_init: int


class _Reject(Exception):
    # Internal control flow only: never escapes `MessageValidator`.
    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def data_kind(data: ValidatedData) -> str:
    """Return the message type of ``data``: ``"quote"``, ``"trade"`` or ``"bar"``."""
    if type(data) is QuoteTick:
        return "quote"
    if type(data) is TradeTick:
        return "trade"
    return "bar"


def parse_timestamp(value: object) -> int:
    """Return ``value`` as UTC nanoseconds: a positive ``int`` or an ISO-8601 string with offset.

    Fractions of a second may have up to nine digits; the offset is ``Z`` or ``+HH:MM``.

    Raises
    ------
    ValueError
        If ``value`` is neither, names an impossible date, or is not after the epoch.

    Examples
    --------
    >>> parse_timestamp("1970-01-01T00:00:01.000000002Z")
    1000000002
    >>> parse_timestamp("1970-01-01T01:00:01+01:00")
    1000000000
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise expected("ts", value, "integer nanoseconds or an ISO-8601 string")
    if isinstance(value, int):
        if value <= 0:
            raise expected("ts", value, "positive integer nanoseconds")
        return value
    match = _ISO_TIMESTAMP.match(value)
    if match is None:
        raise expected("ts", value, "an ISO-8601 timestamp with a UTC offset")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        if offset in ("Z", "z"):
            tz = UTC
        else:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz
        )
    except ValueError as exc:
        raise expected("ts", value, f"a real date and time ({exc})") from None
    seconds = (moment - _EPOCH) // timedelta(seconds=1)
    nanos = seconds * NANOS_PER_SECOND + (int(fraction.ljust(9, "0")) if fraction else 0)
    if nanos <= 0:
        raise expected("ts", value, "a time after 1970-01-01T00:00:00Z")
    return nanos


class MessageValidator:
    """Turn feed messages into `QuoteTick`, `TradeTick` and `Bar`, or into counted rejections.

    Messages follow the generic protocol (vendor connectors map their payloads to it)::

        {"type": "quote", "symbol": "AAPL", "bid": 1.0, "ask": 1.1,
         "bid_size": 100, "ask_size": 200, "ts": 1700000000000000000}
        {"type": "trade", "symbol": "AAPL", "price": 1.05, "size": 10,
         "side": "buy", "id": "T-1", "ts": "2023-11-14T22:13:20.000000001Z"}
        {"type": "bar", "symbol": "AAPL", "open": 1.0, "high": 1.2, "low": 0.9,
         "close": 1.1, "volume": 1000, "ts": 1700000000000000000}

    ``ts`` is integer UTC nanoseconds or an ISO-8601 string with an offset; it becomes
    ``ts_event``, and ``ts_init`` is the injected clock's time. A trade's ``side`` is ``buy``,
    ``sell`` or ``null`` (no aggressor); its ``id`` is a non-empty string or an integer.

    Parameters
    ----------
    symbols : Iterable[str]
        The symbols accepted; others are rejected as `RejectReason.UNKNOWN_SYMBOL`.
    clock : Clock
        Gives ``ts_init`` and the reference for future timestamps.
    venue : str
        Venue of the instrument ids built from symbols (``AAPL`` -> ``AAPL.SIM``).
    max_message_bytes : int
        Longest raw payload accepted (decoded mappings are not measured).
    future_tolerance_seconds : float
        How far ``ts`` may be ahead of the clock (vendor clocks drift).
    sample_size : int
        How many recent rejections `samples` keeps.
    log_first : int
        Rejections logged in full for each reason before the log is thinned.
    log_every : int
        After ``log_first``, log only every ``log_every``-th rejection of a reason.

    Raises
    ------
    ValueError
        If a symbol or a setting is invalid.

    Examples
    --------
    >>> from midfreq.core.clock import SimulatedClock
    >>> validator = MessageValidator(["AAPL"], clock=SimulatedClock(2_000_000_000), log_first=0)
    >>> validator.validate(b'{"type": "quote", "symbol": "AAPL", "bid": 1.0, "ask": 1.1,'
    ...                    b' "bid_size": 100, "ask_size": 200, "ts": 1000000000}').mid
    1.05
    >>> validator.validate(b'{"type": "quote"').reason
    <RejectReason.BAD_JSON: 'BAD_JSON'>
    >>> validator.rejections[RejectReason.BAD_JSON]
    1
    """

    def __init__(
        self,
        symbols: Iterable[str],
        *,
        clock: Clock,
        venue: str = "SIM",
        max_message_bytes: int = 65_536,
        future_tolerance_seconds: float = 5.0,
        sample_size: int = 100,
        log_first: int = 5,
        log_every: int = 1000,
    ) -> None:
        if max_message_bytes <= 0:
            raise expected("max_message_bytes", max_message_bytes, "a positive number of bytes")
        if not future_tolerance_seconds >= 0:
            raise expected("future_tolerance_seconds", future_tolerance_seconds, "seconds >= 0")
        if sample_size < 0 or log_first < 0 or log_every <= 0:
            raise expected(
                "sample_size, log_first, log_every",
                (sample_size, log_first, log_every),
                "sample_size >= 0, log_first >= 0 and log_every > 0",
            )
        self.clock = clock
        self.venue = venue
        self.max_message_bytes = max_message_bytes
        self.future_tolerance_ns = int(future_tolerance_seconds * NANOS_PER_SECOND)
        self.log_first = log_first
        self.log_every = log_every
        self.rejections: Counter[RejectReason] = Counter()
        """Rejections so far, per reason."""
        self.samples: deque[Rejection] = deque(maxlen=sample_size)
        """The most recent rejections, oldest first."""
        self.accepted = 0
        """Messages accepted so far."""
        self._instruments: dict[str, InstrumentId] = {}
        self._last_ts: dict[tuple[str, InstrumentId], int] = {}
        self._log = get_logger("data.live.validation", venue=venue)
        self.add_symbols(symbols)

    # ---- configuration ------------------------------------------------------------------------
    @property
    def symbols(self) -> frozenset[str]:
        """The symbols currently accepted."""
        return frozenset(self._instruments)

    @property
    def rejected(self) -> int:
        """Messages rejected so far, all reasons together."""
        return self.rejections.total()

    def add_symbols(self, symbols: Iterable[str]) -> list[InstrumentId]:
        """Accept messages for ``symbols``; return their instrument ids.

        Raises
        ------
        ValueError
            If a symbol cannot form an instrument id (empty, or with spaces).
        """
        if isinstance(symbols, str):
            raise expected("symbols", symbols, "a collection of symbols, not one string")
        ids = []
        for symbol in symbols:
            instrument_id = self._instruments.get(symbol)
            if instrument_id is None:
                instrument_id = InstrumentId.from_parts(symbol, self.venue)
                self._instruments[symbol] = instrument_id
            ids.append(instrument_id)
        return ids

    def remove_symbols(self, symbols: Iterable[str]) -> None:
        """Stop accepting messages for ``symbols`` (their ordering state is kept)."""
        if isinstance(symbols, str):
            raise expected("symbols", symbols, "a collection of symbols, not one string")
        for symbol in symbols:
            self._instruments.pop(symbol, None)

    def instrument_id(self, symbol: str) -> InstrumentId | None:
        """Return the instrument id of an accepted ``symbol``, or None."""
        return self._instruments.get(symbol)

    def last_ts(self, kind: str, instrument_id: InstrumentId) -> int | None:
        """Return the last accepted ``ts_event`` of ``kind`` (quote/trade/bar) for an instrument."""
        return self._last_ts.get((kind, instrument_id))

    # ---- validation -------------------------------------------------------------------------
    def validate(self, raw: object) -> ValidatedData | Rejection:
        """Decode, check and admit one message: `decode`, then `parse`, then `admit`.

        Returns
        -------
        QuoteTick or TradeTick or Bar or Rejection
            The domain object, or the (already counted and logged) rejection.
        """
        message = self.decode(raw)
        if isinstance(message, Rejection):
            return message
        data = self.parse(message)
        if isinstance(data, Rejection):
            return data
        return self.admit(data)

    def decode(self, raw: object) -> Mapping[str, Any] | Rejection:
        """Check the size of a raw payload and decode it as a JSON object.

        Mappings are returned as they are. Control frames (errors, heartbeats) can be told apart
        by their ``type`` before `parse` is called.
        """
        if isinstance(raw, Mapping):
            return raw
        if isinstance(raw, str):
            # A UTF-8 character takes at most 4 bytes: measure exactly only when it could matter.
            size = len(raw)
            if size * 4 > self.max_message_bytes:
                size = len(raw.encode("utf-8", "surrogatepass"))
        elif isinstance(raw, bytes | bytearray | memoryview):
            size = len(raw) if not isinstance(raw, memoryview) else raw.nbytes
        else:
            return self.reject(
                RejectReason.WRONG_TYPE,
                f"message: expected bytes, str or a mapping, was {type(raw).__name__}",
                raw,
            )
        if size > self.max_message_bytes:
            return self.reject(
                RejectReason.OVERSIZED,
                f"message: expected at most {self.max_message_bytes} bytes, was {size}",
                raw,
            )
        try:
            message = msgspec.json.decode(raw)
        except Exception as exc:  # msgspec errors, and Unicode errors for surrogates in str
            return self.reject(RejectReason.BAD_JSON, f"message: expected JSON ({exc})", raw)
        if not isinstance(message, dict):
            return self.reject(
                RejectReason.WRONG_TYPE,
                f"message: expected a JSON object, was {type(message).__name__}",
                raw,
            )
        return message

    def parse(self, message: Mapping[str, Any]) -> ValidatedData | Rejection:
        """Check a decoded message's fields and build its domain object.

        Stateless: the per-instrument ordering check is `admit`'s job, so a caller can drop
        duplicates in between.
        """
        try:
            kind = message.get("type")
            if kind is None:
                raise _Reject(RejectReason.MISSING_FIELD, "type: missing")
            if not isinstance(kind, str):
                raise _Reject(RejectReason.WRONG_TYPE, f"type: expected a string, was {kind!r}")
            fields = _FIELDS.get(kind)
            if fields is None:
                raise _Reject(
                    RejectReason.UNKNOWN_TYPE,
                    f"type: expected 'quote', 'trade' or 'bar', was {kind!r}",
                )
            for name in fields:
                if name not in message:
                    raise _Reject(RejectReason.MISSING_FIELD, f"{name}: missing from {kind}")
            if kind == "quote":
                return self._parse_quote(message)
            if kind == "trade":
                return self._parse_trade(message)
            return self._parse_bar(message)
        except _Reject as problem:
            return self.reject(problem.reason, problem.detail, message)

    def admit(self, data: ValidatedData) -> ValidatedData | Rejection:
        """Accept ``data`` unless it is earlier than the last accepted of its type and instrument.

        Equal timestamps are accepted (several trades can print in one nanosecond).
        """
        key = (data_kind(data), data.instrument_id)
        last = self._last_ts.get(key)
        if last is not None and data.ts_event < last:
            return self.reject(
                RejectReason.BACKWARDS_TIMESTAMP,
                f"ts: expected >= {last} (last accepted {key[0]} for {data.instrument_id}), "
                f"was {data.ts_event}",
                data,
            )
        self._last_ts[key] = data.ts_event
        self.accepted += 1
        return data

    def reject(self, reason: RejectReason, detail: str, raw: object) -> Rejection:
        """Count, sample and log one rejection; return it."""
        rejection = Rejection(reason, detail, _sample(raw), self.clock.timestamp_ns())
        count = self.rejections[reason] + 1
        self.rejections[reason] = count
        self.samples.append(rejection)
        if count <= self.log_first or count % self.log_every == 0:
            self._log.warning(
                "feed_message_rejected",
                reason=reason.value,
                detail=detail,
                count=count,
                sample=rejection.sample,
            )
        return rejection

    # ---- one parser per message type ---------------------------------------------------------
    def _parse_quote(self, message: Mapping[str, Any]) -> QuoteTick:
        symbol = _string(message, "symbol")
        bid = _number(message, "bid")
        ask = _number(message, "ask")
        bid_size = _number(message, "bid_size")
        ask_size = _number(message, "ask_size")
        ts = _timestamp_type(message)
        instrument_id = self._known(symbol)
        bid_price = _price("bid", bid)
        ask_price = _price("ask", ask)
        bid_quantity = _size("bid_size", bid_size, allow_zero=True)
        ask_quantity = _size("ask_size", ask_size, allow_zero=True)
        if bid_price >= ask_price:
            raise _Reject(
                RejectReason.CROSSED_QUOTE,
                f"{symbol} quote: expected bid < ask, was {bid_price!r} >= {ask_price!r}",
            )
        ts_event = self._timestamp(ts)
        return QuoteTick(
            instrument_id,
            bid_price,
            ask_price,
            bid_quantity,
            ask_quantity,
            ts_event,
            self.clock.timestamp_ns(),
        )

    def _parse_trade(self, message: Mapping[str, Any]) -> TradeTick:
        symbol = _string(message, "symbol")
        price = _number(message, "price")
        size = _number(message, "size")
        side_value = message["side"]
        side = _SIDES.get(side_value.lower()) if isinstance(side_value, str) else None
        if side is None:
            if side_value is not None:
                raise _Reject(
                    RejectReason.WRONG_TYPE,
                    f"side: expected 'buy', 'sell' or null, was {_short(side_value)}",
                )
            side = AggressorSide.NO_AGGRESSOR
        trade_id = message["id"]
        if isinstance(trade_id, int) and not isinstance(trade_id, bool):
            trade_id = str(trade_id)
        if not isinstance(trade_id, str) or not trade_id:
            raise _Reject(
                RejectReason.WRONG_TYPE,
                f"id: expected a non-empty string or an integer, was {_short(trade_id)}",
            )
        ts = _timestamp_type(message)
        instrument_id = self._known(symbol)
        trade_price = _price("price", price)
        trade_size = _size("size", size, allow_zero=False)
        ts_event = self._timestamp(ts)
        return TradeTick(
            instrument_id,
            trade_price,
            trade_size,
            side,
            trade_id,
            ts_event,
            self.clock.timestamp_ns(),
        )

    def _parse_bar(self, message: Mapping[str, Any]) -> Bar:
        symbol = _string(message, "symbol")
        values = [_number(message, name) for name in ("open", "high", "low", "close")]
        volume_value = _number(message, "volume")
        ts = _timestamp_type(message)
        instrument_id = self._known(symbol)
        open_, high, low, close = (
            _price(name, value)
            for name, value in zip(("open", "high", "low", "close"), values, strict=True)
        )
        volume = _size("volume", volume_value, allow_zero=True)
        if high < max(open_, close, low) or low > min(open_, close):
            raise _Reject(
                RejectReason.INCONSISTENT_BAR,
                f"{symbol} bar: expected low <= open, close <= high, was "
                f"open={open_!r} high={high!r} low={low!r} close={close!r}",
            )
        ts_event = self._timestamp(ts)
        return Bar(
            instrument_id, open_, high, low, close, volume, ts_event, self.clock.timestamp_ns()
        )

    def _known(self, symbol: str) -> InstrumentId:
        instrument_id = self._instruments.get(symbol)
        if instrument_id is None:
            raise _Reject(
                RejectReason.UNKNOWN_SYMBOL,
                f"symbol: expected one of the {len(self._instruments)} subscribed symbols, "
                f"was {_short(symbol)}",
            )
        return instrument_id

    def _timestamp(self, value: int | str) -> int:
        try:
            ts_event = parse_timestamp(value)
        except ValueError as exc:
            raise _Reject(RejectReason.INVALID_TIMESTAMP, str(exc)) from None
        limit = self.clock.timestamp_ns() + self.future_tolerance_ns
        if ts_event > limit:
            raise _Reject(
                RejectReason.FUTURE_TIMESTAMP,
                f"ts: expected <= {limit} (clock + tolerance), was {ts_event}",
            )
        return ts_event


def _string(message: Mapping[str, Any], name: str) -> str:
    value = message[name]
    if not isinstance(value, str):
        raise _Reject(RejectReason.WRONG_TYPE, f"{name}: expected a string, was {_short(value)}")
    return value


def _number(message: Mapping[str, Any], name: str) -> int | float:
    value = message[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Reject(RejectReason.WRONG_TYPE, f"{name}: expected a number, was {_short(value)}")
    return value


def _timestamp_type(message: Mapping[str, Any]) -> int | str:
    value = message["ts"]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Reject(
            RejectReason.WRONG_TYPE,
            f"ts: expected integer nanoseconds or an ISO-8601 string, was {_short(value)}",
        )
    return value


def _price(name: str, value: int | float) -> float:
    try:
        price = float(value)
    except OverflowError:
        price = math.inf
    if not (math.isfinite(price) and price > 0.0):
        raise _Reject(
            RejectReason.INVALID_PRICE, f"{name}: expected a finite price > 0, was {_short(value)}"
        )
    return price


def _size(name: str, value: int | float, *, allow_zero: bool) -> float:
    try:
        size = float(value)
    except OverflowError:
        size = math.inf
    valid = size >= 0.0 if allow_zero else size > 0.0
    if not (math.isfinite(size) and valid):
        bound = ">= 0" if allow_zero else "> 0"
        raise _Reject(
            RejectReason.INVALID_SIZE,
            f"{name}: expected a finite size {bound}, was {_short(value)}",
        )
    return size


def _short(value: object) -> str:
    return _limited_repr(value, 80)


def _sample(raw: object) -> str:
    if isinstance(raw, bytes | bytearray | memoryview):
        return _limited_repr(bytes(raw[:_SAMPLE_CHARS]), _SAMPLE_CHARS)
    return _limited_repr(raw, _SAMPLE_CHARS)


def _limited_repr(value: object, limit: int) -> str:
    # reprlib bounds the work on huge or deeply nested payloads; builtins.repr would not.
    try:
        text = _REPR.repr(value[:limit] if isinstance(value, str | bytes) else value)
    except Exception:  # a connector's exotic object: its repr must not break validation
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."

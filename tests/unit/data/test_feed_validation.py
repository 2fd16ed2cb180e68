"""Tests of `MessageValidator`: every reject reason, a seeded flood of bad messages mixed with good
ones, and fuzzing that arbitrary input never raises."""

from __future__ import annotations

import doctest
import json
import math
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from midfreq.core.clock import NANOS_PER_SECOND, SimulatedClock
from midfreq.data.live import validation as validation_module
from midfreq.data.live.validation import (
    MessageValidator,
    Rejection,
    RejectReason,
    parse_timestamp,
)
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide
from midfreq.model.identifiers import InstrumentId

NOW = 1_700_000_000 * NANOS_PER_SECOND  # 2023-11-14T22:13:20Z
TOLERANCE_SECONDS = 5.0
MAX_BYTES = 2_048
SYMBOLS = ("AAPL", "MSFT", "GOOGL")
AAPL = InstrumentId("AAPL.SIM")


def make_validator(**kwargs: Any) -> MessageValidator:
    options: dict[str, Any] = {
        "clock": SimulatedClock(NOW),
        "max_message_bytes": MAX_BYTES,
        "future_tolerance_seconds": TOLERANCE_SECONDS,
        **kwargs,
    }
    return MessageValidator(SYMBOLS, **options)


def quote(**overrides: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "quote",
        "symbol": "AAPL",
        "bid": 189.5,
        "ask": 189.52,
        "bid_size": 100,
        "ask_size": 200,
        "ts": NOW - 1_000,
    }
    return {**message, **overrides}


def trade(**overrides: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "trade",
        "symbol": "AAPL",
        "price": 189.51,
        "size": 25,
        "side": "buy",
        "id": "T-1",
        "ts": NOW - 1_000,
    }
    return {**message, **overrides}


def bar(**overrides: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "bar",
        "symbol": "AAPL",
        "open": 189.0,
        "high": 190.0,
        "low": 188.5,
        "close": 189.5,
        "volume": 12_000,
        "ts": NOW - 1_000,
    }
    return {**message, **overrides}


def without(message: dict[str, Any], field: str) -> dict[str, Any]:
    return {key: value for key, value in message.items() if key != field}


def iso(ts_ns: int) -> str:
    seconds, nanos = divmod(ts_ns, NANOS_PER_SECOND)
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"


def test_docstring_examples_run() -> None:
    result = doctest.testmod(validation_module)

    assert result.attempted > 0
    assert result.failed == 0


# ---- valid messages --------------------------------------------------------------------------
def test_valid_quote_trade_and_bar_become_domain_objects() -> None:
    validator = make_validator()

    assert validator.validate(msgspec.json.encode(quote())) == QuoteTick(
        AAPL, 189.5, 189.52, 100.0, 200.0, NOW - 1_000, NOW
    )
    assert validator.validate(json.dumps(trade(side="sell", id=17))) == TradeTick(
        AAPL, 189.51, 25.0, AggressorSide.SELLER, "17", NOW - 1_000, NOW
    )
    assert validator.validate(trade(side=None, id="T-2")) == TradeTick(
        AAPL, 189.51, 25.0, AggressorSide.NO_AGGRESSOR, "T-2", NOW - 1_000, NOW
    )
    assert validator.validate(bar(ts=iso(NOW - 1))) == Bar(
        AAPL, 189.0, 190.0, 188.5, 189.5, 12_000.0, NOW - 1, NOW
    )
    assert validator.accepted == 4
    assert validator.rejected == 0


def test_iso_timestamps_keep_nanoseconds_and_offsets() -> None:
    assert parse_timestamp("2023-11-14T22:13:20.123456789Z") == NOW + 123_456_789
    assert parse_timestamp("2023-11-14T22:13:20Z") == NOW
    assert parse_timestamp("2023-11-15T03:43:20.5+05:30") == NOW + 500_000_000
    assert parse_timestamp("2023-11-14T17:13:20-0500") == NOW
    assert parse_timestamp(NOW) == NOW


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=datetime(2200, 1, 1),  # noqa: DTZ001
    )
)
def test_iso_timestamps_match_the_standard_library(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC)
    reference = (aware - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1_000

    assert parse_timestamp(aware.isoformat()) == reference
    assert parse_timestamp(aware.isoformat().replace("+00:00", "Z")) == reference


def test_locked_and_crossed_quotes_are_distinct_from_a_one_tick_spread() -> None:
    validator = make_validator()

    assert isinstance(validator.validate(quote(bid=100.0, ask=100.01)), QuoteTick)
    assert validator.validate(quote(bid=100.0, ask=100.0)).reason is RejectReason.CROSSED_QUOTE
    assert validator.validate(quote(bid=100.02, ask=100.0)).reason is RejectReason.CROSSED_QUOTE


# ---- one test case per reject reason ---------------------------------------------------------
REJECTED = [
    pytest.param(b'{"type": "quote", "pad": "' + b"x" * MAX_BYTES + b'"}', "OVERSIZED", id="big"),
    pytest.param("é" * (MAX_BYTES // 2 + 1), "OVERSIZED", id="big-multibyte-str"),
    pytest.param(msgspec.json.encode(quote())[:-7], "BAD_JSON", id="truncated"),
    pytest.param(b"\xff\xfe\x00garbage", "BAD_JSON", id="garbage"),
    pytest.param(b'{"type": "quote", "bid": NaN}', "BAD_JSON", id="nan-literal"),
    pytest.param(b"", "BAD_JSON", id="empty"),
    pytest.param(b"[1, 2, 3]", "WRONG_TYPE", id="array"),
    pytest.param(42, "WRONG_TYPE", id="not-a-message"),
    pytest.param(quote(bid="189.5"), "WRONG_TYPE", id="price-as-string"),
    pytest.param(quote(bid_size=True), "WRONG_TYPE", id="size-as-bool"),
    pytest.param(quote(symbol=7), "WRONG_TYPE", id="symbol-as-number"),
    pytest.param(quote(ts=1.7e18), "WRONG_TYPE", id="ts-as-float"),
    pytest.param(quote(type=["quote"]), "WRONG_TYPE", id="type-as-list"),
    pytest.param(trade(side="up"), "WRONG_TYPE", id="unknown-side"),
    pytest.param(trade(id=""), "WRONG_TYPE", id="empty-trade-id"),
    pytest.param(without(quote(), "type"), "MISSING_FIELD", id="no-type"),
    pytest.param(without(quote(), "ask"), "MISSING_FIELD", id="no-ask"),
    pytest.param(without(trade(), "id"), "MISSING_FIELD", id="no-trade-id"),
    pytest.param(without(bar(), "volume"), "MISSING_FIELD", id="no-volume"),
    pytest.param(quote(type="candle"), "UNKNOWN_TYPE", id="candle"),
    pytest.param(quote(symbol="TSLA"), "UNKNOWN_SYMBOL", id="tsla"),
    pytest.param(quote(symbol="aapl"), "UNKNOWN_SYMBOL", id="lower-case"),
    pytest.param(quote(bid=math.nan), "INVALID_PRICE", id="nan"),
    pytest.param(quote(ask=math.inf), "INVALID_PRICE", id="inf"),
    pytest.param(trade(price=0), "INVALID_PRICE", id="zero"),
    pytest.param(trade(price=-1.5), "INVALID_PRICE", id="negative"),
    pytest.param(bar(low=-math.inf), "INVALID_PRICE", id="bar-minus-inf"),
    pytest.param(trade(price=10**400), "INVALID_PRICE", id="int-too-big-for-float"),
    pytest.param(quote(bid_size=-1), "INVALID_SIZE", id="negative-size"),
    pytest.param(trade(size=0), "INVALID_SIZE", id="zero-trade-size"),
    pytest.param(trade(size=math.nan), "INVALID_SIZE", id="nan-size"),
    pytest.param(bar(volume=-5), "INVALID_SIZE", id="negative-volume"),
    pytest.param(quote(bid=100.0, ask=99.0), "CROSSED_QUOTE", id="crossed"),
    pytest.param(quote(bid=100.0, ask=100.0), "CROSSED_QUOTE", id="locked"),
    pytest.param(bar(high=189.4), "INCONSISTENT_BAR", id="high-below-close"),
    pytest.param(bar(low=189.2), "INCONSISTENT_BAR", id="low-above-open"),
    pytest.param(quote(ts="yesterday"), "INVALID_TIMESTAMP", id="words"),
    pytest.param(quote(ts="2023-11-14T22:13:20"), "INVALID_TIMESTAMP", id="no-offset"),
    pytest.param(quote(ts="2023-02-30T00:00:00Z"), "INVALID_TIMESTAMP", id="february-30"),
    pytest.param(quote(ts=0), "INVALID_TIMESTAMP", id="zero-ts"),
    pytest.param(quote(ts=-5), "INVALID_TIMESTAMP", id="negative-ts"),
    pytest.param(
        quote(ts=NOW + int(TOLERANCE_SECONDS * NANOS_PER_SECOND) + 1),
        "FUTURE_TIMESTAMP",
        id="just-past-tolerance",
    ),
    pytest.param(quote(ts=iso(NOW + 3_600 * NANOS_PER_SECOND)), "FUTURE_TIMESTAMP", id="iso"),
]


@pytest.mark.parametrize(("message", "reason"), REJECTED)
def test_each_bad_message_is_rejected_and_counted_under_its_reason(
    message: object, reason: str
) -> None:
    validator = make_validator()

    result = validator.validate(message)

    assert isinstance(result, Rejection)
    assert result.reason is RejectReason(reason)
    assert validator.rejections == {RejectReason(reason): 1}
    assert list(validator.samples) == [result]
    assert validator.accepted == 0


def test_every_reject_reason_is_exercised() -> None:
    tested = {param.values[1] for param in REJECTED} | {"BACKWARDS_TIMESTAMP"}
    assert tested == {reason.value for reason in RejectReason}


def test_timestamps_at_the_future_tolerance_are_accepted() -> None:
    validator = make_validator()
    limit = NOW + int(TOLERANCE_SECONDS * NANOS_PER_SECOND)

    assert isinstance(validator.validate(quote(ts=limit)), QuoteTick)


def test_backwards_timestamps_are_rejected_per_instrument_and_type() -> None:
    validator = make_validator()
    assert isinstance(validator.validate(quote(ts=NOW - 100)), QuoteTick)

    late = validator.validate(quote(ts=NOW - 101))
    same = validator.validate(quote(ts=NOW - 100))
    other_symbol = validator.validate(quote(symbol="MSFT", ts=NOW - 500))
    other_type = validator.validate(trade(ts=NOW - 500))

    assert isinstance(late, Rejection)
    assert late.reason is RejectReason.BACKWARDS_TIMESTAMP
    assert isinstance(same, QuoteTick)
    assert isinstance(other_symbol, QuoteTick)
    assert isinstance(other_type, TradeTick)
    assert validator.last_ts("quote", AAPL) == NOW - 100
    assert validator.rejections == {RejectReason.BACKWARDS_TIMESTAMP: 1}


def test_rejected_messages_do_not_move_the_last_timestamp() -> None:
    validator = make_validator()
    validator.validate(quote(ts=NOW - 100))

    validator.validate(quote(ts=NOW - 50, bid=math.nan))

    assert validator.last_ts("quote", AAPL) == NOW - 100
    assert isinstance(validator.validate(quote(ts=NOW - 60)), QuoteTick)


def test_symbols_can_be_added_and_removed() -> None:
    validator = make_validator()
    validator.add_symbols(["TSLA"])
    assert isinstance(validator.validate(quote(symbol="TSLA")), QuoteTick)

    validator.remove_symbols(["TSLA"])

    assert validator.validate(quote(symbol="TSLA")).reason is RejectReason.UNKNOWN_SYMBOL
    assert validator.symbols == frozenset(SYMBOLS)
    with pytest.raises(ValueError, match="not one string"):
        validator.add_symbols("TSLA")


def test_only_the_last_samples_are_kept() -> None:
    validator = make_validator(sample_size=3)

    for ts in range(1, 11):
        validator.validate(quote(symbol=f"X{ts}", ts=ts))

    assert [sample.detail.rsplit(" ", 1)[-1] for sample in validator.samples] == [
        "'X8'",
        "'X9'",
        "'X10'",
    ]
    assert all("'type': 'quote'" in sample.sample for sample in validator.samples)
    assert validator.rejections[RejectReason.UNKNOWN_SYMBOL] == 10


def test_samples_of_huge_payloads_are_truncated() -> None:
    validator = make_validator()

    rejection = validator.validate(b"{" * 100_000)
    nested = validator.validate(quote(symbol={"deep": [[[[list(range(100_000))]]]]}))

    assert rejection.reason is RejectReason.OVERSIZED
    assert len(rejection.sample) <= 303
    assert nested.reason is RejectReason.WRONG_TYPE
    assert len(nested.sample) <= 303


def test_rejection_log_is_rate_limited_per_reason() -> None:
    validator = make_validator(log_first=5, log_every=1000)

    with capture_logs() as logs:
        for _ in range(2_500):
            validator.validate(b"{")
        validator.validate(quote(symbol="TSLA"))

    bad_json = [entry for entry in logs if entry["reason"] == "BAD_JSON"]
    assert [entry["count"] for entry in bad_json] == [1, 2, 3, 4, 5, 1000, 2000]
    assert all(entry["event"] == "feed_message_rejected" for entry in logs)
    assert all(entry["log_level"] == "warning" for entry in logs)
    assert [entry["reason"] for entry in logs if entry["reason"] != "BAD_JSON"] == [
        "UNKNOWN_SYMBOL"
    ]
    assert validator.rejections[RejectReason.BAD_JSON] == 2_500


# ---- a seeded flood of bad messages mixed with good ones -----------------------------------
BAD_KINDS = {
    "truncated_json": RejectReason.BAD_JSON,
    "nan": RejectReason.INVALID_PRICE,
    "inf": RejectReason.INVALID_PRICE,
    "zero_price": RejectReason.INVALID_PRICE,
    "negative_price": RejectReason.INVALID_PRICE,
    "negative_size": RejectReason.INVALID_SIZE,
    "crossed": RejectReason.CROSSED_QUOTE,
    "future_ts": RejectReason.FUTURE_TIMESTAMP,
    "backwards_ts": RejectReason.BACKWARDS_TIMESTAMP,
    "unknown_symbol": RejectReason.UNKNOWN_SYMBOL,
    "oversized": RejectReason.OVERSIZED,
    "wrong_type": RejectReason.WRONG_TYPE,
    "missing_field": RejectReason.MISSING_FIELD,
}
PRICE_FIELDS = {
    "quote": ("bid", "ask"),
    "trade": ("price",),
    "bar": ("open", "high", "low", "close"),
}
SIZE_FIELDS = {"quote": ("bid_size", "ask_size"), "trade": ("size",), "bar": ("volume",)}


class FloodGenerator:
    """Builds valid messages with rising timestamps and single-defect bad ones, tallying both."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.last_ts: dict[tuple[str, str], int] = {}
        self.expected_data: list[QuoteTick | TradeTick | Bar] = []
        self.expected_rejections: Counter[RejectReason] = Counter()

    def valid(self) -> object:
        rng = self.rng
        kind = rng.choice(("quote", "trade", "bar"))
        symbol = rng.choice(SYMBOLS)
        previous = self.last_ts.get((kind, symbol), NOW - 10**12)
        ts = previous + rng.randint(0, 1_000_000)
        self.last_ts[kind, symbol] = ts
        message, data = self._build(kind, symbol, ts)
        self.expected_data.append(data)
        return self._encode(message, iso_ok=True)

    def invalid(self) -> object:
        rng = self.rng
        defect = rng.choice(sorted(BAD_KINDS))
        if defect == "backwards_ts" and not self.last_ts:
            defect = "unknown_symbol"
        kind = rng.choice(("quote", "trade", "bar"))
        symbol = rng.choice(SYMBOLS)
        if defect == "backwards_ts":
            kind, symbol = rng.choice(sorted(self.last_ts))
            ts = self.last_ts[kind, symbol] - rng.randint(1, 10**9)
        else:  # any timestamp at or after the last accepted one is fine for other defects
            ts = self.last_ts.get((kind, symbol), NOW - 10**12) + rng.randint(0, 1_000)
        if defect == "crossed":
            kind = "quote"
            ts = self.last_ts.get((kind, symbol), NOW - 10**12)
        message, _ = self._build(kind, symbol, ts)
        self.expected_rejections[BAD_KINDS[defect]] += 1
        if defect == "truncated_json":
            text = msgspec.json.encode(message)
            return text[: rng.randrange(len(text))]
        if defect == "nan":
            message[rng.choice(PRICE_FIELDS[kind])] = math.nan
            return message  # NaN cannot be written in strict JSON: a connector's mapping
        if defect == "inf":
            message[rng.choice(PRICE_FIELDS[kind])] = rng.choice((math.inf, -math.inf))
            return message
        if defect == "zero_price":
            message[rng.choice(PRICE_FIELDS[kind])] = rng.choice((0, 0.0, -0.0))
        elif defect == "negative_price":
            message[rng.choice(PRICE_FIELDS[kind])] = -rng.uniform(0.01, 500)
        elif defect == "negative_size":
            message[rng.choice(SIZE_FIELDS[kind])] = -rng.randint(1, 1_000)
        elif defect == "crossed":
            message["ask"] = message["bid"] - rng.choice((0.0, 0.01, 1.0))
        elif defect == "future_ts":
            message["ts"] = NOW + int(TOLERANCE_SECONDS * NANOS_PER_SECOND) + rng.randint(1, 10**12)
        elif defect == "unknown_symbol":
            message["symbol"] = rng.choice(("TSLA", "IBM", "aapl", "", "AAPL "))
        elif defect == "oversized":
            message["padding"] = "x" * rng.randint(MAX_BYTES, 3 * MAX_BYTES)
            return self._encode(message, iso_ok=False, as_mapping=False)
        elif defect == "wrong_type":
            return self._wrong_type(kind, symbol, message)
        elif defect == "missing_field":
            del message[rng.choice(sorted(message))]
        return self._encode(message, iso_ok=defect != "future_ts")

    def _wrong_type(self, kind: str, symbol: str, message: dict[str, Any]) -> object:
        rng = self.rng
        choice = rng.randrange(3)
        if choice == 0:
            return rng.choice((b"[1, 2]", b"42", b"null", b'"quote"', "true"))
        if choice == 1:
            field = rng.choice(PRICE_FIELDS[kind] + SIZE_FIELDS[kind] + ("symbol",))
            if field == "symbol":  # any string is a symbol, unknown at worst
                message[field] = rng.choice((7, [symbol], True, None, {"v": 1}))
            else:
                message[field] = rng.choice(("1.0", [1], True, None, {"v": 1}))
        else:
            message["ts"] = rng.choice((1.7e18, True, None, [1]))
        return self._encode(message, iso_ok=False)

    def _build(self, kind: str, symbol: str, ts: int) -> tuple[dict[str, Any], Any]:
        rng = self.rng
        instrument_id = InstrumentId(f"{symbol}.SIM")
        if kind == "quote":
            bid = round(rng.uniform(10, 500), 2)
            ask = round(bid + rng.choice((0.01, 0.02, 0.05, 0.5)), 2)
            sizes = rng.randint(0, 1_000), rng.randint(1, 1_000)
            message = {"type": "quote", "symbol": symbol, "bid": bid, "ask": ask}
            message |= {"bid_size": sizes[0], "ask_size": sizes[1], "ts": ts}
            data: Any = QuoteTick(instrument_id, bid, ask, *map(float, sizes), ts, NOW)
        elif kind == "trade":
            price = round(rng.uniform(10, 500), 2)
            size = rng.randint(1, 5_000)
            side = rng.choice(("buy", "sell", None))
            trade_id: str | int = rng.choice((f"T-{rng.randrange(10**9)}", rng.randrange(10**9)))
            message = {"type": "trade", "symbol": symbol, "price": price, "size": size}
            message |= {"side": side, "id": trade_id, "ts": ts}
            aggressor = {
                "buy": AggressorSide.BUYER,
                "sell": AggressorSide.SELLER,
                None: AggressorSide.NO_AGGRESSOR,
            }[side]
            data = TradeTick(instrument_id, price, float(size), aggressor, str(trade_id), ts, NOW)
        else:
            open_, close = (round(rng.uniform(10, 500), 2) for _ in range(2))
            high = round(max(open_, close) + rng.uniform(0, 5), 2)
            low = round(min(open_, close) - rng.uniform(0, 5), 2)
            volume = rng.choice((0, rng.randint(1, 10**6), rng.uniform(0, 10**6)))
            message = {"type": "bar", "symbol": symbol, "open": open_, "high": high}
            message |= {"low": low, "close": close, "volume": volume, "ts": ts}
            data = Bar(instrument_id, open_, high, low, close, float(volume), ts, NOW)
        return message, data

    def _encode(self, message: dict[str, Any], *, iso_ok: bool, as_mapping: bool = True) -> object:
        rng = self.rng
        if iso_ok and isinstance(message.get("ts"), int) and rng.random() < 0.3:
            message["ts"] = iso(message["ts"])
        encoding = rng.choice(("mapping", "bytes", "str") if as_mapping else ("bytes", "str"))
        if encoding == "mapping":
            return message
        raw = msgspec.json.encode(message)
        return raw if encoding == "bytes" else raw.decode()


def test_ten_thousand_bad_messages_among_good_ones_are_sorted_exactly() -> None:
    validator = make_validator(log_first=1)
    flood = FloodGenerator(seed=20_240_601)
    accepted: list[object] = []
    bad = 0
    while bad < 10_000:
        if flood.rng.random() < 0.35:
            raw = flood.valid()
        else:
            raw = flood.invalid()
            bad += 1
        result = validator.validate(raw)  # an exception here fails the test
        if not isinstance(result, Rejection):
            accepted.append(result)

    assert validator.rejections == flood.expected_rejections
    assert set(validator.rejections) == set(BAD_KINDS.values())
    assert validator.rejected == 10_000
    assert accepted == flood.expected_data
    assert validator.accepted == len(flood.expected_data) > 4_000


# ---- fuzzing ----------------------------------------------------------------------------------
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
FIELD_NAMES = ("symbol", "bid", "ask", "bid_size", "ask_size", "ts", "price", "size", "side")
FIELD_NAMES += ("id", "open", "high", "low", "close", "volume")
NEAR_VALID = st.fixed_dictionaries(
    {"type": st.sampled_from(("quote", "trade", "bar", "error")) | JSON_SCALARS},
    optional={
        name: st.sampled_from(("AAPL", "MSFT", "buy", "sell", NOW, iso(NOW), 1.0)) | JSON_VALUES
        for name in FIELD_NAMES
    },
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4_096))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    validator = make_validator()

    result = validator.validate(raw)

    assert isinstance(result, Rejection | QuoteTick | TradeTick | Bar)
    assert validator.rejected + validator.accepted == 1


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=1_024) | JSON_VALUES.map(json.dumps))
def test_arbitrary_text_never_raises(raw: str) -> None:
    validator = make_validator()

    result = validator.validate(raw)

    assert isinstance(result, Rejection | QuoteTick | TradeTick | Bar)
    assert validator.rejected + validator.accepted == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(NEAR_VALID, min_size=1, max_size=5))
def test_arbitrary_mappings_never_raise_and_are_all_accounted_for(
    messages: list[dict[str, Any]],
) -> None:
    validator = make_validator(log_first=0)

    results = [validator.validate(message) for message in messages]

    rejected = [result for result in results if isinstance(result, Rejection)]
    assert validator.rejected == len(rejected)
    assert validator.accepted == len(results) - len(rejected)
    for result in results:
        if not isinstance(result, Rejection):
            assert math.isfinite(result.ts_event) and 0 < result.ts_event <= NOW + 5 * 10**9

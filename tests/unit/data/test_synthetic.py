"""Tests of the synthetic market: config, bar generation and the live quote stream."""

from __future__ import annotations

import math

import numpy as np
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.data.bars import BarArrays
from midfreq.data.synthetic import (
    SECONDS_PER_YEAR,
    SyntheticMarketConfig,
    SyntheticQuoteStream,
    _autoregress,
    generate_bars,
)
from midfreq.model.data import QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide
from midfreq.model.identifiers import InstrumentId

SECOND = 1_000_000_000
START = 1_704_067_200 * SECOND  # 2024-01-01T00:00:00Z


def columns(bars: BarArrays) -> dict[str, np.ndarray]:
    return {n: getattr(bars, n) for n in ("ts", "open", "high", "low", "close", "volume")}


# --- config -----------------------------------------------------------------------------------


def test_config_defaults_and_instrument_ids() -> None:
    config = SyntheticMarketConfig(symbols=["AAA", "BRK.B"], initial_prices={"AAA": 50.0})

    assert config.instrument_ids() == [InstrumentId("AAA.SIM"), InstrumentId("BRK.B.SIM")]
    assert config.initial_price("AAA") == 50.0
    assert config.initial_price("BRK.B") == 100.0
    assert (config.seed, config.bar_interval_seconds, config.correlation) == (42, 60, 0.3)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"symbols": []}, "at least 1 item"),
        ({"symbols": ["A", "B", "A"]}, "expected unique symbols, was ['A'] repeated"),
        ({"symbols": ["A B"]}, "SYMBOL.VENUE"),
        ({"symbols": ["A"], "initial_prices": {"B": 1.0}}, "prices only for the symbols traded"),
        ({"symbols": ["A"], "initial_prices": {"A": 0.0}}, "prices > 0"),
        ({"symbols": ["A"], "correlation": 1.5}, "less than or equal to 1"),
        ({"symbols": ["A"], "mean_reversion": -0.1}, "greater than or equal to 0"),
        ({"symbols": ["A"], "annual_volatility": float("nan")}, "finite number"),
        ({"symbols": ["A"], "tick_size": 0.0}, "greater than 0"),
        ({"symbols": ["A"], "seed": -1}, "greater than or equal to 0"),
        ({"symbols": ["A"], "volatility": 0.2}, "Extra inputs are not permitted"),
    ],
)
def test_config_rejects_bad_values(fields: dict[str, object], message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message.replace("[", r"\[")):
        SyntheticMarketConfig(**fields)  # type: ignore[arg-type]


def test_config_is_frozen() -> None:
    config = SyntheticMarketConfig(symbols=["A"])

    with pytest.raises(pydantic.ValidationError):
        config.seed = 1  # type: ignore[misc]


# --- generate_bars ------------------------------------------------------------------------------


def test_bars_close_every_interval_after_start_for_each_symbol() -> None:
    config = SyntheticMarketConfig(symbols=["AAA", "BBB"], bar_interval_seconds=300)

    bars = generate_bars(config, START, 4)

    assert [str(b.instrument_id) for b in bars] == ["AAA.SIM", "BBB.SIM"]
    for b in bars:
        assert b.ts.tolist() == [START + k * 300 * SECOND for k in (1, 2, 3, 4)]


def test_open_is_previous_close_and_first_open_is_initial_price() -> None:
    config = SyntheticMarketConfig(symbols=["AAA"], initial_prices={"AAA": 123.456})

    (bars,) = generate_bars(config, START, 500)

    assert bars.open[0] == 123.46
    assert np.array_equal(bars.open[1:], bars.close[:-1])


def test_same_config_gives_identical_bars_and_another_seed_different_ones() -> None:
    config = SyntheticMarketConfig(symbols=["AAA", "BBB"], mean_reversion=0.02)

    first = generate_bars(config, START, 1000)
    second = generate_bars(config, START, 1000)
    other = generate_bars(config.model_copy(update={"seed": 43}), START, 1000)

    for a, b in zip(first, second, strict=True):
        for name, column in columns(a).items():
            assert np.array_equal(column, getattr(b, name)), name
    for a, c in zip(first, other, strict=True):
        assert not np.array_equal(a.close, c.close)


def test_a_symbols_path_does_not_depend_on_the_other_symbols() -> None:
    alone = generate_bars(SyntheticMarketConfig(symbols=["AAA"]), START, 300)[0]
    together = generate_bars(SyntheticMarketConfig(symbols=["ZZZ", "AAA"]), START, 300)[1]

    assert np.array_equal(alone.close, together.close)
    assert np.array_equal(alone.volume, together.volume)


def test_zero_count_gives_empty_bars_and_negative_count_is_refused() -> None:
    (bars,) = generate_bars(SyntheticMarketConfig(symbols=["AAA"]), START, 0)

    assert len(bars) == 0
    with pytest.raises(ValueError, match="count: expected >= 0, was -1"):
        generate_bars(SyntheticMarketConfig(symbols=["AAA"]), START, -1)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    volatility=st.floats(min_value=0.0, max_value=5.0),
    drift=st.floats(min_value=-1.0, max_value=1.0),
    correlation=st.floats(min_value=0.0, max_value=1.0),
    mean_reversion=st.floats(min_value=0.0, max_value=1.0),
    tick_size=st.sampled_from([0.0001, 0.01, 0.05, 0.25, 1.0, 5.0]),
    price=st.floats(min_value=0.01, max_value=50_000.0),
    interval=st.sampled_from([1, 60, 3600, 86_400]),
    base_volume=st.floats(min_value=0.001, max_value=1e7),
    count=st.integers(min_value=1, max_value=300),
)
def test_bars_are_always_consistent(
    seed: int,
    volatility: float,
    drift: float,
    correlation: float,
    mean_reversion: float,
    tick_size: float,
    price: float,
    interval: int,
    base_volume: float,
    count: int,
) -> None:
    config = SyntheticMarketConfig(
        symbols=["AAA", "BBB"],
        seed=seed,
        initial_prices={"AAA": price},
        annual_volatility=volatility,
        annual_drift=drift,
        correlation=correlation,
        mean_reversion=mean_reversion,
        tick_size=tick_size,
        bar_interval_seconds=interval,
        base_volume=base_volume,
    )

    for bars in generate_bars(config, START, count):
        bars.validate(str(bars.instrument_id))
        assert np.all(bars.high >= np.maximum(bars.open, bars.close))
        assert np.all(bars.low <= np.minimum(bars.open, bars.close))
        assert np.all(bars.low >= tick_size)
        assert np.all(bars.volume > 0)
        for prices in (bars.open, bars.high, bars.low, bars.close):
            ticks = prices / tick_size
            assert np.allclose(ticks, np.round(ticks), rtol=0, atol=1e-6)


def _log_returns(bars: BarArrays) -> np.ndarray:
    return np.diff(np.log(bars.close))


@pytest.mark.parametrize("correlation", [0.0, 0.3, 0.8])
def test_returns_have_the_configured_correlation_and_volatility(correlation: float) -> None:
    config = SyntheticMarketConfig(
        symbols=["A", "B", "C"], correlation=correlation, tick_size=0.0001, seed=2024
    )

    returns = [_log_returns(b) for b in generate_bars(config, START, 20_000)]

    matrix = np.corrcoef(returns)
    pairs = matrix[np.triu_indices(3, k=1)]
    # Standard error of a correlation over 20,000 samples is below 0.01.
    assert np.all(np.abs(pairs - correlation) < 0.03), pairs
    expected_std = 0.25 * math.sqrt(60 / SECONDS_PER_YEAR)
    for r in returns:
        assert abs(np.std(r) / expected_std - 1.0) < 0.03


def test_mean_reversion_pulls_log_price_back_at_the_configured_rate() -> None:
    config = SyntheticMarketConfig(
        symbols=["A"], mean_reversion=0.05, annual_drift=0.0, tick_size=0.0001, seed=9
    )

    (bars,) = generate_bars(config, START, 20_000)

    x = np.log(bars.close / 100.0)
    slope, _ = np.polyfit(x[:-1], x[1:], 1)
    assert abs(slope - 0.95) < 0.01
    # A random walk with these settings wanders about 10x further than the OU process.
    assert np.std(x) < 0.25 * math.sqrt(60 / SECONDS_PER_YEAR) / math.sqrt(1 - 0.95**2) * 1.2


@pytest.mark.parametrize("a", [0.0, 1e-300, 0.3, 0.9, 0.999, 1.0 - 1e-9, 1.0])
@pytest.mark.parametrize("n", [0, 1, 7, 5_000])
def test_autoregression_matches_the_plain_recursion(a: float, n: int) -> None:
    steps = np.random.default_rng(1).standard_normal(n)
    expected = np.empty(n)
    level = 0.0
    for i, step in enumerate(steps):
        level = a * level + step
        expected[i] = level

    assert np.allclose(_autoregress(steps, a), expected, rtol=1e-9, atol=1e-12)


# --- SyntheticQuoteStream ---------------------------------------------------------------------


STREAM_CONFIG = SyntheticMarketConfig(
    symbols=["AAA", "BBB", "CCC"],
    initial_prices={"BBB": 7.5, "CCC": 2500.0},
    quotes_per_second=4.0,
    mean_reversion=0.01,
)


def test_stepwise_advance_equals_one_advance() -> None:
    # 2,500 s crosses several event chunks per symbol, common-factor blocks and a discard.
    end = START + 2_500 * SECOND
    steps = [START, START + 1, START + SECOND // 3, START + 7 * SECOND, START + 7 * SECOND]
    steps += [*range(START + 60 * SECOND, end, 97 * SECOND), end]
    stepped = SyntheticQuoteStream(STREAM_CONFIG, START)
    whole = SyntheticQuoteStream(STREAM_CONFIG, START)

    pieces = []
    for to_ns in steps:
        before = stepped.last_ns
        piece = stepped.advance(to_ns)
        assert all(before < e.ts_event <= to_ns for e in piece)
        pieces.extend(piece)

    assert pieces == whole.advance(end)
    assert len(pieces) > 3 * 4 * 2_500 * 0.9


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=200 * SECOND), max_size=12))
def test_any_split_of_time_gives_the_same_events(cuts: list[int]) -> None:
    end = START + 200 * SECOND
    stepped = SyntheticQuoteStream(STREAM_CONFIG, START)

    pieces = [e for cut in sorted(cuts) for e in stepped.advance(START + cut)]
    pieces += stepped.advance(end)

    assert pieces == SyntheticQuoteStream(STREAM_CONFIG, START).advance(end)


def test_quotes_are_ordered_positive_and_at_least_a_tick_wide() -> None:
    events = SyntheticQuoteStream(STREAM_CONFIG, START).advance(START + 600 * SECOND)

    times = [e.ts_event for e in events]
    assert times == sorted(times)
    quotes = [e for e in events if isinstance(e, QuoteTick)]
    assert {q.instrument_id for q in quotes} == set(STREAM_CONFIG.instrument_ids())
    for q in quotes:
        assert q.ask_price > q.bid_price > 0
        assert q.ask_price - q.bid_price >= 0.01 - 1e-9
        assert q.bid_size >= 1 and q.ask_size >= 1
        assert q.ts_init == q.ts_event
        # Half of 5 bps each side, rounded outwards: at least 5 bps, at most 2 ticks more.
        assert 5e-4 * q.mid - 1e-9 <= q.ask_price - q.bid_price <= 5e-4 * q.mid + 0.02 + 1e-9
        assert round(q.bid_price * 100) == pytest.approx(q.bid_price * 100, abs=1e-6)


def test_trades_follow_a_quote_at_its_bid_or_ask() -> None:
    events = SyntheticQuoteStream(STREAM_CONFIG, START).advance(START + 900 * SECOND)

    last_quote: dict[InstrumentId, QuoteTick] = {}
    trade_numbers: dict[InstrumentId, list[int]] = {}
    quotes = trades = 0
    for previous, event in zip([None, *events], events, strict=False):
        if isinstance(event, QuoteTick):
            quotes += 1
            last_quote[event.instrument_id] = event
            continue
        assert isinstance(event, TradeTick)
        trades += 1
        quote = last_quote[event.instrument_id]
        assert previous == quote
        assert event.ts_event == quote.ts_event
        if event.aggressor_side is AggressorSide.BUYER:
            assert (event.price, event.size <= quote.ask_size) == (quote.ask_price, True)
        else:
            assert event.aggressor_side is AggressorSide.SELLER
            assert (event.price, event.size <= quote.bid_size) == (quote.bid_price, True)
        assert event.size >= 1
        symbol, number = event.trade_id.rsplit("-", 1)
        assert symbol == event.instrument_id.symbol
        trade_numbers.setdefault(event.instrument_id, []).append(int(number))

    for numbers in trade_numbers.values():
        assert numbers == list(range(1, len(numbers) + 1))
    # About one quote in three: 10,800 expected quotes, so 1/3 +- 0.02 is over 4 sigma.
    assert abs(trades / quotes - 1 / 3) < 0.02


def test_quote_rate_is_the_configured_poisson_rate() -> None:
    events = SyntheticQuoteStream(STREAM_CONFIG, START).advance(START + 1_000 * SECOND)

    for iid in STREAM_CONFIG.instrument_ids():
        count = sum(1 for e in events if isinstance(e, QuoteTick) and e.instrument_id == iid)
        # Poisson(4,000): standard deviation about 63.
        assert abs(count - 4_000) < 4 * 63


def test_stream_mid_returns_have_the_configured_correlation_and_volatility() -> None:
    config = SyntheticMarketConfig(
        symbols=["A", "B"],
        correlation=0.8,
        annual_volatility=2.0,
        tick_size=0.0001,
        spread_bps=1.0,
        quotes_per_second=2.0,
        seed=3,
    )
    stream = SyntheticQuoteStream(config, START)
    mids: list[list[float]] = [[], []]
    ids = config.instrument_ids()
    for minute in range(1, 6 * 60 + 1):
        latest: dict[InstrumentId, float] = {}
        for e in stream.advance(START + minute * 60 * SECOND):
            if isinstance(e, QuoteTick):
                latest[e.instrument_id] = e.mid
        for k, iid in enumerate(ids):
            mids[k].append(latest[iid])

    returns = np.diff(np.log(np.array(mids)), axis=1)
    assert abs(np.corrcoef(returns)[0, 1] - 0.8) < 0.08
    expected_std = 2.0 * math.sqrt(60 / SECONDS_PER_YEAR)
    for r in returns:
        assert abs(np.std(r) / expected_std - 1.0) < 0.15


def test_stream_is_deterministic_per_seed() -> None:
    end = START + 60 * SECOND

    first = SyntheticQuoteStream(STREAM_CONFIG, START).advance(end)
    again = SyntheticQuoteStream(STREAM_CONFIG, START).advance(end)
    other = SyntheticQuoteStream(STREAM_CONFIG.model_copy(update={"seed": 1}), START).advance(end)

    assert first == again
    assert first != other


def test_next_event_ns_is_the_first_event_returned() -> None:
    stream = SyntheticQuoteStream(STREAM_CONFIG, START)

    assert stream.advance(START) == []
    upcoming = stream.next_event_ns()
    assert stream.advance(upcoming - 1) == []
    events = stream.advance(upcoming)
    assert events and all(e.ts_event == upcoming for e in events)
    assert stream.next_event_ns() > upcoming


def test_advance_refuses_to_go_back_in_time() -> None:
    stream = SyntheticQuoteStream(STREAM_CONFIG, START)
    stream.advance(START + SECOND)

    with pytest.raises(ValueError, match="to_ns: expected >= last_ns"):
        stream.advance(START)
    assert stream.last_ns == START + SECOND
    assert stream.instrument_ids == STREAM_CONFIG.instrument_ids()

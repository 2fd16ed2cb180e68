"""The live synthetic stream (`SyntheticQuoteStream`) with the plain market: events as a function
of time however it is cut, quotes and trades consistent with each other, the configured rate,
correlation and volatility, the stream exactly as it was before the realism settings, and L2
book snapshots. The realism settings are tested in `test_synthetic_stream_realism.py` and
`test_synthetic_stream_sessions.py`."""

from __future__ import annotations

import doctest
import hashlib
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.data.synthetic import SECONDS_PER_YEAR, SyntheticMarketConfig, SyntheticQuoteStream
from midfreq.data.synthetic import stream as stream_module
from midfreq.model.book import OrderBook
from midfreq.model.data import OrderBookSnapshot, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide, BookSide
from midfreq.model.identifiers import InstrumentId

SECOND = 1_000_000_000
START = 1_704_067_200 * SECOND  # 2024-01-01T00:00:00Z


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


def sampled_log_mids(config: SyntheticMarketConfig, step_ns: int, count: int) -> np.ndarray:
    """Log mid of every symbol's latest quote at ``START + k * step_ns``, k = 1..count; one row
    per symbol."""
    stream = SyntheticQuoteStream(config, START)
    row = {iid: k for k, iid in enumerate(config.instrument_ids())}
    latest = [config.initial_price(symbol) for symbol in config.symbols]
    mids = np.empty((len(row), count))
    for j in range(count):
        for event in stream.advance(START + (j + 1) * step_ns):
            if type(event) is QuoteTick:
                latest[row[event.instrument_id]] = event.mid
        mids[:, j] = latest
    return np.log(mids)


@pytest.mark.parametrize("correlation", [0.0, 0.5, 0.8])
def test_stream_mid_returns_have_the_configured_correlation_and_volatility(
    correlation: float,
) -> None:
    config = SyntheticMarketConfig(
        symbols=["A", "B", "C"],
        correlation=correlation,
        annual_volatility=2.0,
        tick_size=0.0001,
        spread_bps=1.0,
        quotes_per_second=2.0,
        seed=3,
    )

    returns = np.diff(sampled_log_mids(config, 60 * SECOND, 2_000), axis=1)

    # numpy's Pearson correlation of 1-minute returns: its standard error over 2,000 samples is
    # (1 - rho**2) / sqrt(2,000) <= 0.023.
    pairs = np.corrcoef(returns)[np.triu_indices(3, k=1)]
    assert np.all(np.abs(pairs - correlation) < 0.08), pairs
    expected_std = 2.0 * math.sqrt(60 / SECONDS_PER_YEAR)
    for r in returns:
        assert abs(np.std(r) / expected_std - 1.0) < 0.06


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


def test_a_symbols_events_do_not_depend_on_the_other_symbols() -> None:
    end = START + 600 * SECOND
    alone = SyntheticQuoteStream(SyntheticMarketConfig(symbols=["AAA"]), START).advance(end)
    together = SyntheticQuoteStream(SyntheticMarketConfig(symbols=["ZZZ", "AAA"]), START)

    assert [e for e in together.advance(end) if e.instrument_id.symbol == "AAA"] == alone


# --- the plain stream, as before the realism settings -----------------------------------------

# The digest of the stream generated by the code before the realism settings existed: any change
# to the default stream's draws or arithmetic breaks it.
STREAM = SyntheticMarketConfig(
    symbols=["AAA", "BBB"], initial_prices={"BBB": 7.5}, quotes_per_second=4.0, mean_reversion=0.01
)
NEUTRAL = {
    "volatility_clustering": 0.0,
    "volatility_of_volatility": 0.8,
    "jump_intensity": 0.0,
    "jump_size": 0.02,
    "cointegrated_pairs": [],
    "cointegration_strength": 0.01,
    "cointegration_volatility": 0.1,
    "calendar": None,
    "intraday_volume_profile": False,
    "book_levels": 0,
}


def stream_digest(config: SyntheticMarketConfig, seconds: int) -> str:
    digest = hashlib.sha256()
    for event in SyntheticQuoteStream(config, START).advance(START + seconds * SECOND):
        digest.update(repr(event).encode())
    return digest.hexdigest()


def test_default_stream_is_the_market_from_before_the_settings() -> None:
    expected = "3c9c9561c632382fea990dad204d4fbaf1bb651c6c6010fa78831e6f83d082bb"

    assert stream_digest(STREAM, 600) == expected
    assert stream_digest(STREAM.model_copy(update=NEUTRAL), 600) == expected


def test_explicit_neutral_settings_equal_the_defaults() -> None:
    # Validated from keywords (not model_copy), as a config file would give them.
    fields = {"symbols": ["AAA", "BBB"], "seed": 3, "mean_reversion": 0.02}
    default = SyntheticMarketConfig(**fields)  # type: ignore[arg-type]
    explicit = SyntheticMarketConfig(**fields, **NEUTRAL)  # type: ignore[arg-type]

    end = START + 300 * SECOND
    assert SyntheticQuoteStream(default, START).advance(end) == SyntheticQuoteStream(
        explicit, START
    ).advance(end)


# --- order books ------------------------------------------------------------------------------

BOOK_CONFIG = SyntheticMarketConfig(
    symbols=["AAA", "BBB", "CCC"],
    initial_prices={"BBB": 7.5, "CCC": 0.05},
    quotes_per_second=4.0,
    book_levels=6,
)


def test_books_come_after_their_quote_and_change_nothing_else() -> None:
    with_books = STREAM.model_copy(update={"book_levels": 10})
    stream = SyntheticQuoteStream(with_books, START)
    events = []
    for seconds in range(10, 301, 10):
        events += stream.advance(START + seconds * SECOND)
        stream.book_snapshot("AAA")

    books = [e for e in events if isinstance(e, OrderBookSnapshot)]
    others = [e for e in events if not isinstance(e, OrderBookSnapshot)]
    assert others == SyntheticQuoteStream(STREAM, START).advance(START + 300 * SECOND)
    quotes = [e for e in others if isinstance(e, QuoteTick)]
    assert len(books) == len(quotes)
    for previous, event in itertools.pairwise(events):
        if isinstance(event, OrderBookSnapshot):
            assert isinstance(previous, QuoteTick)
            assert (event.instrument_id, event.ts_event) == (
                previous.instrument_id,
                previous.ts_event,
            )


def test_book_snapshots_are_consistent_with_the_quotes_and_a_valid_order_book() -> None:
    stream = SyntheticQuoteStream(BOOK_CONFIG, START)
    books = {iid: OrderBook(iid) for iid in stream.instrument_ids}
    assert stream.book_snapshot("AAA") is None  # no quote yet
    checked = 0
    last_quote: dict[InstrumentId, QuoteTick] = {}
    # 200 s crosses a chunk of 512 quotes for every symbol.
    while stream.last_ns < START + 200 * SECOND:
        for event in stream.advance(stream.next_event_ns()):
            if isinstance(event, QuoteTick):
                last_quote[event.instrument_id] = event
            if not isinstance(event, OrderBookSnapshot):
                continue
            quote = last_quote[event.instrument_id]
            assert stream.book_snapshot(event.instrument_id) == event
            book = books[event.instrument_id]
            book.apply_snapshot(event)  # raises on a crossed book, bad size or order
            assert book.top() == quote
            assert (event.ts_event, event.ts_init) == (quote.ts_event, quote.ts_event)
            for side in (BookSide.BID, BookSide.ASK):
                levels = book.depth(side)
                prices = np.array([price for price, _ in levels])
                sizes = np.array([size for _, size in levels])
                assert np.allclose(prices / 0.01, np.round(prices / 0.01), rtol=0, atol=1e-6)
                assert np.allclose(np.abs(np.diff(prices)), 0.01, rtol=0, atol=1e-9)
                assert np.all(sizes > 0) and np.all(sizes == np.round(sizes))
                assert np.all(np.diff(sizes) > 0)  # deeper levels hold more
                assert prices.min() >= 0.01
            assert event.bids[0][0] < event.asks[0][0]
            assert len(book.depth(BookSide.ASK)) == 6
            # Bids stop at one tick: CCC's at about 5 cents has about 4 bid levels.
            assert len(book.depth(BookSide.BID)) == min(6, round(quote.bid_price / 0.01))
            checked += 1
    assert checked > 3 * 4 * 200 * 0.9


def test_a_book_snapshot_depends_only_on_which_quote_it_is() -> None:
    end = START + 150 * SECOND
    one_go = SyntheticQuoteStream(BOOK_CONFIG, START)
    one_go.advance(end)
    stepped = SyntheticQuoteStream(BOOK_CONFIG, START)
    for seconds in range(1, 151):
        stepped.advance(START + seconds * SECOND)
        stepped.book_snapshot("BBB")

    for iid in BOOK_CONFIG.instrument_ids():
        assert one_go.book_snapshot(iid) == stepped.book_snapshot(iid)
        assert one_go.book_snapshot(iid) == one_go.book_snapshot(iid.symbol)
    other = SyntheticQuoteStream(BOOK_CONFIG.model_copy(update={"seed": 1}), START)
    other.advance(end)
    assert other.book_snapshot("AAA") != one_go.book_snapshot("AAA")


def test_book_snapshot_refuses_without_levels_or_for_an_unknown_instrument() -> None:
    with pytest.raises(ValueError, match="book_levels: expected > 0"):
        SyntheticQuoteStream(STREAM, START).book_snapshot("AAA")
    with pytest.raises(ValueError, match=r"instrument: expected one of AAA\.SIM"):
        SyntheticQuoteStream(BOOK_CONFIG, START).book_snapshot("ZZZ")


def test_docstring_examples_run() -> None:
    result = doctest.testmod(stream_module)

    assert result.attempted >= 8
    assert result.failed == 0

"""The realism settings on the live synthetic stream: mean reversion, volatility clustering,
Poisson jumps and cointegrated pairs, checked against closed forms and statsmodels; spreads
that widen with volatility; and, with every setting on, trades at the quotes, valid books and
events that depend only on time."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.tsa.stattools import adfuller, coint

from midfreq.data.synthetic import SECONDS_PER_YEAR, SyntheticMarketConfig, SyntheticQuoteStream
from midfreq.model.book import OrderBook
from midfreq.model.data import OrderBookSnapshot, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide
from midfreq.model.identifiers import InstrumentId

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
START = 1_704_067_200 * SECOND  # 2024-01-01T00:00:00Z
# Standard deviation of a 1-minute log return at the default 25 % a year.
MINUTE_SIGMA = 0.25 * math.sqrt(60 / SECONDS_PER_YEAR)
# Fine ticks and a narrow spread: the mid moves by less than a millionth when rounded.
FINE = {"tick_size": 0.0001, "spread_bps": 1.0}


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


def minute_returns(config: SyntheticMarketConfig, minutes: int) -> np.ndarray:
    return np.diff(sampled_log_mids(config, MINUTE, minutes)[0])


def lag_one_autocorrelation(values: np.ndarray) -> float:
    centred = values - values.mean()
    return float((centred[1:] * centred[:-1]).sum() / (centred * centred).sum())


def kurtosis(values: np.ndarray) -> float:
    centred = values - values.mean()
    return float((centred**4).mean() / (centred**2).mean() ** 2)


# --- mean reversion, volatility clustering, jumps ---------------------------------------------


def test_mean_reversion_pulls_the_mid_back_at_the_configured_rate() -> None:
    config = SyntheticMarketConfig(
        symbols=["A"], mean_reversion=0.05, annual_drift=0.0, quotes_per_second=0.5, seed=9, **FINE
    )

    x = sampled_log_mids(config, MINUTE, 10_000)[0]

    # An AR(1) of 1 - 0.05 per 60 s bar; standard error sqrt((1 - 0.95**2) / 10,000) = 0.003.
    slope = np.polyfit(x[:-1], x[1:], 1)[0]
    assert abs(slope - 0.95) < 0.015
    stationary = MINUTE_SIGMA / math.sqrt(1 - 0.95**2)
    assert abs(x.std() / stationary - 1.0) < 0.1


@pytest.fixture(scope="module")
def plain_and_clustered() -> tuple[np.ndarray, np.ndarray]:
    base = {"symbols": ["A"], "quotes_per_second": 0.25, "seed": 1, **FINE}
    plain = SyntheticMarketConfig(**base)  # type: ignore[arg-type]
    clustered = SyntheticMarketConfig(**base, volatility_clustering=0.95)  # type: ignore[arg-type]
    return minute_returns(plain, 20_000), minute_returns(clustered, 20_000)


def test_volatility_clustering_makes_squared_returns_autocorrelate(
    plain_and_clustered: tuple[np.ndarray, np.ndarray],
) -> None:
    plain, clustered = plain_and_clustered

    # Log-normal stochastic volatility sampled once a bar: corr(r_t^2, r_t+1^2) = (exp(s^2 phi)
    # - 1) / (3 exp(s^2) - 1) = 0.178 for s = 0.8, phi = 0.95. Without clustering it is 0 with
    # a standard error of 1 / sqrt(20,000) = 0.007.
    theory = (math.exp(0.64 * 0.95) - 1.0) / (3.0 * math.exp(0.64) - 1.0)
    assert abs(lag_one_autocorrelation(clustered**2) - theory) < 0.06
    assert abs(lag_one_autocorrelation(plain**2)) < 0.03
    # E[v] = 1 keeps the overall volatility; clustering fattens the tails (kurtosis 3 exp(s^2)
    # = 5.7) where the plain market is normal (standard error of the kurtosis about 0.035).
    assert abs(clustered.std() / MINUTE_SIGMA - 1.0) < 0.08
    assert abs(plain.std() / MINUTE_SIGMA - 1.0) < 0.03
    assert kurtosis(clustered) > 4.5
    assert abs(kurtosis(plain) - 3.0) < 0.2


def test_jumps_raise_kurtosis_at_the_configured_rate(
    plain_and_clustered: tuple[np.ndarray, np.ndarray],
) -> None:
    plain, _ = plain_and_clustered
    config = SyntheticMarketConfig(
        symbols=["A"],
        quotes_per_second=0.25,
        seed=1,
        jump_intensity=5_000.0,
        jump_size=0.05,
        **FINE,
    )

    jumpy = minute_returns(config, 20_000)

    assert kurtosis(jumpy) > 30.0
    # Jumps N(-s^2/2, s^2), s = 0.05, dwarf the continuous part (a 1-minute std of 0.00034),
    # which never reaches 10 of its standard deviations: the minutes beyond that are those
    # with a jump larger than that, lambda T P(|J| > 10 sigma) of them (about 180).
    threshold, mean = 10 * MINUTE_SIGMA, -0.5 * 0.05**2
    outside = 0.5 * math.erfc((threshold - mean) / (0.05 * math.sqrt(2))) + 0.5 * math.erfc(
        (threshold + mean) / (0.05 * math.sqrt(2))
    )
    expected = 5_000.0 * 20_000 * 60 / SECONDS_PER_YEAR * outside
    detected = int((np.abs(jumpy) > threshold).sum())
    assert abs(detected - expected) < 4 * math.sqrt(expected)
    assert int((np.abs(plain) > threshold).sum()) == 0


def test_a_quote_after_a_jump_trades() -> None:
    config = SyntheticMarketConfig(
        symbols=["A"], quotes_per_second=1.0, jump_intensity=20_000.0, jump_size=0.05, **FINE
    )
    events = SyntheticQuoteStream(config, START).advance(START + 3 * 3600 * SECOND)

    previous_mid, jumps = 100.0, 0
    for event, following in zip(events, [*events[1:], None], strict=True):
        if isinstance(event, QuoteTick):
            if abs(math.log(event.mid / previous_mid)) > 0.005:  # 100 quote-to-quote sigmas
                jumps += 1
                assert isinstance(following, TradeTick)
                assert following.ts_event == event.ts_event
            previous_mid = event.mid
    # 20,000 a year over 3 hours: 6.8 expected, 95 % of them above the threshold.
    assert jumps >= 2


def test_clustering_widens_spreads_and_speeds_up_trading_when_volatile() -> None:
    base = {"symbols": ["A"], "quotes_per_second": 1.0, "tick_size": 0.0001, "seed": 4}
    end = START + 6 * 3600 * SECOND

    def spreads_and_trades(config: SyntheticMarketConfig) -> tuple[np.ndarray, np.ndarray]:
        events = SyntheticQuoteStream(config, START).advance(end)
        relative, traded = [], []
        for event, following in zip(events, [*events[1:], None], strict=True):
            if isinstance(event, QuoteTick):
                relative.append((event.ask_price - event.bid_price) / event.mid)
                traded.append(isinstance(following, TradeTick))
        return np.array(relative), np.array(traded)

    plain, _ = spreads_and_trades(SyntheticMarketConfig(**base))  # type: ignore[arg-type]
    clustered, traded = spreads_and_trades(
        SyntheticMarketConfig(**base, volatility_clustering=0.99)  # type: ignore[arg-type]
    )

    # 5 bps of a 100 mid is 500 ticks: rounding moves the plain spread by 0.4 % at most.
    assert plain.std() / plain.mean() < 0.005
    assert abs(plain.mean() / 5e-4 - 1.0) < 0.01
    # The spread follows sqrt(v) / E[sqrt(v)]: mean 1, coefficient of variation sqrt(exp(s^2 /
    # 4) - 1) = 0.42 for s = 0.8 (over 6 hours of a persistent process: loosely).
    assert abs(clustered.mean() / 5e-4 - 1.0) < 0.25
    assert clustered.std() / clustered.mean() > 0.2
    wide = clustered > np.quantile(clustered, 0.8)
    narrow = clustered < np.quantile(clustered, 0.2)
    assert traded[wide].mean() > 1.5 * traded[narrow].mean()


# --- cointegrated pairs ----------------------------------------------------------------------

PAIR_BASE = {
    "symbols": ["A", "B"],
    "initial_prices": {"B": 50.0},
    "quotes_per_second": 0.5,
    "seed": 5,
    **FINE,
}
PAIRED = SyntheticMarketConfig(
    **PAIR_BASE,  # type: ignore[arg-type]
    cointegrated_pairs=[("A", "B")],
    cointegration_strength=0.05,
)


@pytest.mark.filterwarnings("ignore:adfuller currently returns:FutureWarning")
def test_a_cointegrated_pair_passes_statsmodels_coint_and_independent_legs_do_not() -> None:
    a, b = sampled_log_mids(PAIRED, MINUTE, 3_000)
    c, d = sampled_log_mids(SyntheticMarketConfig(**PAIR_BASE), MINUTE, 3_000)  # type: ignore[arg-type]

    # Engle-Granger (statsmodels' coint) and an augmented Dickey-Fuller test of the log spread,
    # with one lag (the spread is an AR(1); choosing lags by AIC takes seconds).
    lags = {"maxlag": 1, "autolag": None}
    assert coint(b, a, **lags)[1] < 0.01
    assert adfuller(b - a, **lags)[1] < 0.01
    assert coint(d, c, **lags)[1] > 0.05
    assert adfuller(d - c, **lags)[1] > 0.05
    # The follower tracks the leader one for one in log price.
    slope = np.polyfit(a, b, 1)[0]
    assert abs(slope - 1.0) < 0.1


def test_a_followers_spread_reverts_at_the_configured_rate() -> None:
    # The follower quotes its leader's latest log price plus the spread: pair each follower
    # quote with the leader's latest quote, then take the last pair of each minute.
    stream = SyntheticQuoteStream(PAIRED, START)
    spread = np.empty(5_000)
    leader_mid, latest = 100.0, 0.0
    for j in range(len(spread)):
        for event in stream.advance(START + (j + 1) * MINUTE):
            if type(event) is QuoteTick:
                if event.instrument_id.symbol == "A":
                    leader_mid = event.mid
                else:
                    latest = math.log(event.mid / 50.0) - math.log(leader_mid / 100.0)
        spread[j] = latest

    # AR(1) of 1 - 0.05 per bar (a quote's time jitters by about 2 s around the minute);
    # standard error sqrt((1 - 0.95^2) / 5,000) = 0.0044.
    slope = np.polyfit(spread[:-1], spread[1:], 1)[0]
    assert abs(slope - 0.95) < 0.02
    # Stationary std 0.1 sqrt(60 / year) / sqrt(1 - 0.95^2).
    stationary = 0.1 * math.sqrt(60 / SECONDS_PER_YEAR) / math.sqrt(1 - 0.95**2)
    assert abs(spread.std() / stationary - 1.0) < 0.15


def test_the_leader_is_the_same_with_or_without_a_follower() -> None:
    end = START + 1_800 * SECOND
    paired = SyntheticQuoteStream(PAIRED, START).advance(end)
    plain = SyntheticQuoteStream(SyntheticMarketConfig(**PAIR_BASE), START).advance(end)  # type: ignore[arg-type]

    def of(events: list, symbol: str) -> list:  # type: ignore[type-arg]
        return [e for e in events if e.instrument_id.symbol == symbol]

    assert of(paired, "A") == of(plain, "A")
    # The follower keeps its own quote times and sizes; only its prices change.
    follower, alone = of(paired, "B"), of(plain, "B")
    quotes = [(q.ts_event, q.bid_size) for q in follower if isinstance(q, QuoteTick)]
    assert quotes == [(q.ts_event, q.bid_size) for q in alone if isinstance(q, QuoteTick)]
    assert follower != alone


def test_a_follower_listed_before_its_leader_gives_the_same_events() -> None:
    end = START + 1_800 * SECOND
    leader_first = SyntheticQuoteStream(PAIRED, START).advance(end)
    follower_first = PAIRED.model_copy(update={"symbols": ["B", "A"]})
    stream = SyntheticQuoteStream(follower_first, START)

    stepped = [e for t in [*range(START, end, 37 * SECOND), end] for e in stream.advance(t)]

    for symbol in ("A", "B"):
        expected = [e for e in leader_first if e.instrument_id.symbol == symbol]
        assert [e for e in stepped if e.instrument_id.symbol == symbol] == expected


# --- everything on -------------------------------------------------------------------------

REALISTIC = SyntheticMarketConfig(
    symbols=["AAA", "BBB", "CCC"],
    initial_prices={"BBB": 7.5, "CCC": 0.05},
    quotes_per_second=1.0,
    mean_reversion=0.01,
    volatility_clustering=0.9,
    jump_intensity=2_000.0,
    cointegrated_pairs=[("AAA", "BBB")],
    calendar="XNYS",
    intraday_volume_profile=True,
    book_levels=4,
    seed=11,
)
# Friday 2023-11-24 13:30 UTC (08:30 New York): the day after Thanksgiving closes at 13:00,
# then a weekend.
FRIDAY = int(pd.Timestamp("2023-11-24T13:30Z").value)
MONDAY_NOON = int(pd.Timestamp("2023-11-27T17:00Z").value)


@pytest.fixture(scope="module")
def realistic_events() -> list[QuoteTick | TradeTick | OrderBookSnapshot]:
    return SyntheticQuoteStream(REALISTIC, FRIDAY).advance(MONDAY_NOON)


def test_trades_print_at_the_bid_or_ask_of_their_quote_with_every_setting_on(
    realistic_events: list[QuoteTick | TradeTick | OrderBookSnapshot],
) -> None:
    last_quote: dict[InstrumentId, QuoteTick] = {}
    numbers: dict[InstrumentId, list[int]] = {}
    for event in realistic_events:
        if isinstance(event, QuoteTick):
            last_quote[event.instrument_id] = event
        elif isinstance(event, TradeTick):
            quote = last_quote[event.instrument_id]
            assert event.ts_event == quote.ts_event
            if event.aggressor_side is AggressorSide.BUYER:
                assert (event.price, event.size <= quote.ask_size) == (quote.ask_price, True)
            else:
                assert event.aggressor_side is AggressorSide.SELLER
                assert (event.price, event.size <= quote.bid_size) == (quote.bid_price, True)
            numbers.setdefault(event.instrument_id, []).append(int(event.trade_id.split("-")[1]))
    assert set(numbers) == set(REALISTIC.instrument_ids())
    for trade_numbers in numbers.values():
        assert trade_numbers == list(range(1, len(trade_numbers) + 1))


def test_books_are_valid_and_top_out_at_the_quote_with_every_setting_on(
    realistic_events: list[QuoteTick | TradeTick | OrderBookSnapshot],
) -> None:
    books = {iid: OrderBook(iid) for iid in REALISTIC.instrument_ids()}
    last_quote: dict[InstrumentId, QuoteTick] = {}
    checked = 0
    for event in realistic_events:
        if isinstance(event, QuoteTick):
            last_quote[event.instrument_id] = event
            assert event.ask_price > event.bid_price > 0
        elif isinstance(event, OrderBookSnapshot):
            assert event.bids[0][0] < event.asks[0][0]
            assert all(size > 0 for _, size in (*event.bids, *event.asks))
            book = books[event.instrument_id]
            book.apply_snapshot(event)  # raises on a crossed or disordered book
            assert book.top() == last_quote[event.instrument_id]
            checked += 1
    # 3 symbols, a quote a second, over Friday's 3.5 hours and Monday's 2.5.
    assert checked > 3 * 6 * 3600 * 0.95


def test_the_same_seed_and_advance_times_give_the_same_events_with_every_setting_on(
    realistic_events: list[QuoteTick | TradeTick | OrderBookSnapshot],
) -> None:
    times = [*range(FRIDAY + 7 * MINUTE, MONDAY_NOON, 7 * MINUTE), MONDAY_NOON]
    stream = SyntheticQuoteStream(REALISTIC, FRIDAY)

    stepped = [e for t in times for e in stream.advance(t)]

    assert stepped == realistic_events  # which came from one advance
    other = SyntheticQuoteStream(REALISTIC.model_copy(update={"seed": 12}), FRIDAY)
    # The market opens an hour after the stream starts.
    first_hour = [e for e in realistic_events if e.ts_event <= FRIDAY + 120 * MINUTE]
    assert first_hour
    assert other.advance(FRIDAY + 120 * MINUTE) != first_hour


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=MONDAY_NOON - FRIDAY), max_size=8))
def test_any_split_of_time_gives_the_same_events_with_every_setting_on(cuts: list[int]) -> None:
    # A shorter stretch than the fixture's, with one quote every 10 s: Friday's session, the
    # weekend and Monday's opening gap.
    config = REALISTIC.model_copy(update={"quotes_per_second": 0.1})
    stream = SyntheticQuoteStream(config, FRIDAY)

    pieces = [e for cut in sorted(cuts) for e in stream.advance(FRIDAY + cut)]
    pieces += stream.advance(MONDAY_NOON)

    assert pieces == SyntheticQuoteStream(config, FRIDAY).advance(MONDAY_NOON)

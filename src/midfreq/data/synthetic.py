"""A seeded synthetic market: correlated GBM prices with optional mean reversion, as historical
bars (`generate_bars`) or as a live stream of quotes and trades (`SyntheticQuoteStream`).

Log prices follow ``x <- a * x + drift * h + sigma * sqrt(h) * shock`` with ``a = (1 -
mean_reversion) ** (h / bar_interval)``; every symbol's shock is ``sqrt(rho) * common +
sqrt(1 - rho) * own``. Each symbol draws from its own generator seeded by (seed, symbol), so a
symbol's path does not change when other symbols are added.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from midfreq.data.bars import BarArrays
from midfreq.model.data import QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide
from midfreq.model.identifiers import InstrumentId

SECONDS_PER_YEAR = 365 * 24 * 3600
"""The synthetic market trades around the clock, so a year is 365 full days."""

_NS_PER_SECOND = 1_000_000_000
_TRADE_PROBABILITY = 1.0 / 3.0
# Generator streams, kept apart by a tag in the seed.
_BARS_COMMON, _BARS_SYMBOL, _QUOTES_COMMON, _QUOTES_SYMBOL = 0, 1, 2, 3
# The stream's common factor is a Brownian path on this grid, linearly interpolated between
# points and generated lazily in blocks; symbols generate their events in chunks.
_COMMON_STEP_NS = 100_000_000
_COMMON_BLOCK = 4096
_EVENT_CHUNK = 512


class SyntheticMarketConfig(BaseModel):
    """Parameters of the synthetic market.

    Parameters
    ----------
    symbols : list[str]
        At least one, unique; instruments are ``SYMBOL.VENUE``.
    venue : str, default "SIM"
    seed : int, default 42
        Non-negative; the same seed gives the same market.
    initial_prices : dict[str, float], default {}
        Starting price per symbol (100.0 when missing).
    annual_drift, annual_volatility : float, default 0.05, 0.25
        GBM drift and volatility per (365-day) year.
    correlation : float, default 0.3
        Correlation of every pair of symbols' shocks (one common factor), 0..1.
    mean_reversion : float, default 0.0
        Fraction of the log price's distance from its initial level removed per bar, 0..1.
    bar_interval_seconds : int, default 60
    spread_bps : float, default 5.0
        Quoted spread in basis points of the mid (at least one tick).
    quotes_per_second : float, default 5.0
        Poisson rate of quotes per symbol in `SyntheticQuoteStream`.
    tick_size : float, default 0.01
    base_volume : float, default 10000
        Typical volume of one bar.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    symbols: list[str] = Field(min_length=1)
    venue: str = "SIM"
    seed: int = Field(default=42, ge=0)
    initial_prices: dict[str, float] = Field(default_factory=dict)
    annual_drift: float = 0.05
    annual_volatility: float = Field(default=0.25, ge=0.0)
    correlation: float = Field(default=0.3, ge=0.0, le=1.0)
    mean_reversion: float = Field(default=0.0, ge=0.0, le=1.0)
    bar_interval_seconds: int = Field(default=60, gt=0)
    spread_bps: float = Field(default=5.0, gt=0.0)
    quotes_per_second: float = Field(default=5.0, gt=0.0)
    tick_size: float = Field(default=0.01, gt=0.0)
    base_volume: float = Field(default=10000.0, gt=0.0)

    @model_validator(mode="after")
    def _check_symbols(self) -> SyntheticMarketConfig:
        duplicates = sorted({s for s in self.symbols if self.symbols.count(s) > 1})
        if duplicates:
            raise ValueError(f"symbols: expected unique symbols, was {duplicates} repeated")
        for symbol in self.symbols:
            InstrumentId.from_parts(symbol, self.venue)  # raises on a malformed symbol or venue
        return self

    @field_validator("initial_prices")
    @classmethod
    def _check_initial_prices(
        cls, value: dict[str, float], info: ValidationInfo
    ) -> dict[str, float]:
        # The message completes "expected ...": the config loader names the key and the value.
        symbols = info.data.get("symbols", [])
        unknown = sorted(set(value) - set(symbols))
        if unknown:
            raise ValueError(
                f"prices only for the symbols traded ({', '.join(symbols)}); unknown: "
                f"{', '.join(unknown)}"
            )
        if any(not price > 0 for price in value.values()):
            raise ValueError("prices > 0")
        return value

    def instrument_ids(self) -> list[InstrumentId]:
        """Return ``SYMBOL.VENUE`` for every symbol, in the order of ``symbols``."""
        return [InstrumentId.from_parts(symbol, self.venue) for symbol in self.symbols]

    def initial_price(self, symbol: str) -> float:
        """Return the starting price of ``symbol`` (100.0 unless configured)."""
        return self.initial_prices.get(symbol, 100.0)


def generate_bars(config: SyntheticMarketConfig, start_ns: int, count: int) -> list[BarArrays]:
    """Generate ``count`` bars per symbol, closing every ``bar_interval_seconds`` after start.

    Bar ``i`` closes at ``start_ns + (i + 1) * interval``; its open is the previous close (the
    initial price for the first bar); high and low are drawn as the extremes of a Brownian
    bridge between open and close; prices are rounded to ``tick_size`` and never below one
    tick; volume is lognormal around ``base_volume``, larger on bigger moves. The result
    depends only on ``(config, start_ns, count)`` and equals the windows of
    `iter_bar_windows` put together.

    Parameters
    ----------
    config : SyntheticMarketConfig
        The market.
    start_ns : int
        UTC nanoseconds at which the first bar opens.
    count : int
        Bars per symbol, >= 0.

    Returns
    -------
    list[BarArrays]
        One per symbol, in the order of ``config.symbols``.

    Raises
    ------
    ValueError
        If ``count`` is negative.

    Examples
    --------
    >>> config = SyntheticMarketConfig(symbols=["AAA", "BBB"], seed=7)
    >>> aaa, bbb = generate_bars(config, start_ns=0, count=3)
    >>> str(aaa.instrument_id), aaa.ts.tolist()
    ('AAA.SIM', [60000000000, 120000000000, 180000000000])
    >>> bool((aaa.high >= aaa.close).all() and (aaa.low <= aaa.open).all())
    True
    """
    windows = list(iter_bar_windows(config, start_ns, count))
    if len(windows) == 1:
        return windows[0]
    if not windows:
        empty_ts = np.empty(0, dtype=np.int64)
        empty = np.empty(0, dtype=np.float64)
        return [
            BarArrays(iid, empty_ts, empty, empty, empty, empty, empty)
            for iid in config.instrument_ids()
        ]
    ts = np.concatenate([w[0].ts for w in windows])
    ts.flags.writeable = False  # shared by every symbol's BarArrays
    result = []
    for i, instrument_id in enumerate(config.instrument_ids()):
        parts = [w[i] for w in windows]
        result.append(
            BarArrays(
                instrument_id,
                ts,
                np.concatenate([p.open for p in parts]),
                np.concatenate([p.high for p in parts]),
                np.concatenate([p.low for p in parts]),
                np.concatenate([p.close for p in parts]),
                np.concatenate([p.volume for p in parts]),
            )
        )
    return result


BAR_WINDOW = 8_192
"""Bars per symbol in one window of `iter_bar_windows` (fixed, so the data never depends on
how it is consumed)."""


def iter_bar_windows(
    config: SyntheticMarketConfig, start_ns: int, count: int
) -> Iterator[list[BarArrays]]:
    """Yield the bars of `generate_bars` in consecutive time windows of `BAR_WINDOW` bars per
    symbol, carrying each symbol's state across windows: memory stays bounded however many
    bars are asked for.

    Raises
    ------
    ValueError
        If ``count`` is negative.
    """
    if count < 0:
        raise ValueError(f"count: expected >= 0, was {count}")
    interval_ns = config.bar_interval_seconds * _NS_PER_SECOND
    years = config.bar_interval_seconds / SECONDS_PER_YEAR
    sigma = config.annual_volatility * math.sqrt(years)
    drift = (config.annual_drift - 0.5 * config.annual_volatility**2) * years
    rho = config.correlation
    persistence = 1.0 - config.mean_reversion
    tick, decimals = config.tick_size, _decimals(config.tick_size)
    common_rng = _generator(config.seed, _BARS_COMMON)
    symbols = [
        _SymbolBarState(
            symbol=symbol,
            instrument_id=instrument_id,
            rng=_generator(config.seed, _BARS_SYMBOL, symbol),
            p0=config.initial_price(symbol),
            previous_close=_round_to_tick(np.array([config.initial_price(symbol)]), tick, decimals),
        )
        for symbol, instrument_id in zip(config.symbols, config.instrument_ids(), strict=True)
    ]
    for offset in range(0, count, BAR_WINDOW):
        n = min(BAR_WINDOW, count - offset)
        ts = start_ns + interval_ns * np.arange(offset + 1, offset + n + 1, dtype=np.int64)
        ts.flags.writeable = False  # shared by every symbol's BarArrays
        common = common_rng.standard_normal(n)
        window = []
        for state in symbols:
            rng = state.rng
            shocks = math.sqrt(rho) * common + math.sqrt(1.0 - rho) * rng.standard_normal(n)
            x = _autoregress(drift + sigma * shocks, persistence)
            if state.x_last != 0.0:
                x = x + state.x_last * persistence ** np.arange(1, n + 1, dtype=np.float64)
            x_open = np.concatenate(([state.x_last], x[:-1]))
            move = x - x_open
            # Extremes of a Brownian bridge from 0 to `move` with variance sigma**2, by
            # inversion of P(max >= m) = exp(-2 m (m - move) / sigma**2); 1 - random() is in (0, 1].
            spread_up = np.sqrt(move * move - 2.0 * sigma**2 * np.log(1.0 - rng.random(n)))
            spread_down = np.sqrt(move * move - 2.0 * sigma**2 * np.log(1.0 - rng.random(n)))
            p0 = state.p0
            close = _round_to_tick(p0 * np.exp(x), tick, decimals)
            open_ = np.concatenate((state.previous_close, close[:-1]))[:n]
            high = _round_to_tick(p0 * np.exp(x_open + 0.5 * (move + spread_up)), tick, decimals)
            low = _round_to_tick(p0 * np.exp(x_open + 0.5 * (move - spread_down)), tick, decimals)
            high = np.maximum(high, np.maximum(open_, close))
            low = np.minimum(low, np.minimum(open_, close))
            size = np.exp(0.5 * rng.standard_normal(n) - 0.125) * (0.6 + 0.5 * np.abs(shocks))
            volume = config.base_volume * size
            if config.base_volume >= 10:
                volume = np.maximum(np.round(volume), 1.0)
            window.append(BarArrays(state.instrument_id, ts, open_, high, low, close, volume))
            state.x_last = float(x[-1])
            state.previous_close = close[-1:]
        yield window


@dataclass(slots=True, kw_only=True)
class _SymbolBarState:
    symbol: str
    instrument_id: InstrumentId
    rng: np.random.Generator
    p0: float
    previous_close: npt.NDArray[np.float64]
    x_last: float = 0.0


class SyntheticQuoteStream:
    """A live synthetic market: quotes and trades for every symbol, generated on demand.

    Each symbol quotes as a Poisson process with rate ``quotes_per_second``; its mid follows
    the dynamics of `generate_bars` scaled to the time between quotes; bid and ask are the mid
    minus and plus half of ``spread_bps``, rounded outwards to ticks and at least one tick
    apart. After about one quote in three a `TradeTick` prints at the same time, at the ask
    (aggressor BUYER) or the bid (SELLER), with a trade id ``SYMBOL-n``.

    Events are a function of the config, ``start_ns`` and time only: ``advance(t1)`` followed
    by ``advance(t2)`` returns the same events as one ``advance(t2)``.

    Parameters
    ----------
    config : SyntheticMarketConfig
        The market.
    start_ns : int
        UTC nanoseconds at which the market starts (mids at their initial prices).

    Examples
    --------
    >>> config = SyntheticMarketConfig(symbols=["AAA"], quotes_per_second=10.0)
    >>> stream = SyntheticQuoteStream(config, start_ns=0)
    >>> events = stream.advance(1_000_000_000)
    >>> all(0 < event.ts_event <= 1_000_000_000 for event in events)
    True
    >>> quote = next(event for event in events if isinstance(event, QuoteTick))
    >>> quote.ask_price > quote.bid_price
    True
    """

    def __init__(self, config: SyntheticMarketConfig, start_ns: int) -> None:
        self._config = config
        self._last_ns = start_ns
        self._common = _CommonFactor(_generator(config.seed, _QUOTES_COMMON), start_ns)
        self._symbols = [
            _SymbolQuotes(config, symbol, instrument_id, start_ns, self._common)
            for symbol, instrument_id in zip(config.symbols, config.instrument_ids(), strict=True)
        ]

    @property
    def last_ns(self) -> int:
        """The time up to which events have been returned (``start_ns`` at first)."""
        return self._last_ns

    @property
    def instrument_ids(self) -> list[InstrumentId]:
        """The instruments quoted, in the order of ``config.symbols``."""
        return [s.instrument_id for s in self._symbols]

    def next_event_ns(self) -> int:
        """Return the time of the next event after `last_ns` (to schedule the next call)."""
        return min(s.next_event_ns() for s in self._symbols)

    def advance(self, to_ns: int) -> list[QuoteTick | TradeTick]:
        """Return every event with ``last_ns < ts_event <= to_ns`` in time order.

        Events at the same time come in the order of ``config.symbols``, a quote before the
        trade that follows it.

        Parameters
        ----------
        to_ns : int
            UTC nanoseconds, >= `last_ns`.

        Returns
        -------
        list[QuoteTick | TradeTick]

        Raises
        ------
        ValueError
            If ``to_ns`` is before `last_ns`.
        """
        if to_ns < self._last_ns:
            raise ValueError(f"to_ns: expected >= last_ns {self._last_ns}, was {to_ns}")
        per_symbol = [s.take_until(to_ns) for s in self._symbols]
        self._last_ns = to_ns
        self._common.discard_before(min(s.generated_until for s in self._symbols))
        if len(per_symbol) == 1:
            return per_symbol[0]
        return list(heapq.merge(*per_symbol, key=attrgetter("ts_event")))


class _CommonFactor:
    """A standard Brownian path W(t) (t in seconds since start), generated lazily."""

    def __init__(self, rng: np.random.Generator, start_ns: int) -> None:
        self._rng = rng
        self._start_ns = start_ns
        self._base = 0  # grid index of self._values[0]
        self._values: npt.NDArray[np.float64] = np.zeros(1)
        self._step_std = math.sqrt(_COMMON_STEP_NS / _NS_PER_SECOND)

    def values_at(self, times_ns: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        offset = times_ns - self._start_ns
        index = offset // _COMMON_STEP_NS
        fraction = (offset % _COMMON_STEP_NS) / _COMMON_STEP_NS
        needed = int(index.max()) + 1 - self._base
        while len(self._values) <= needed:
            steps = self._rng.standard_normal(_COMMON_BLOCK) * self._step_std
            more = self._values[-1] + np.cumsum(steps)
            self._values = np.concatenate((self._values, more))
        local = index - self._base
        left = self._values[local]
        result: npt.NDArray[np.float64] = left + fraction * (self._values[local + 1] - left)
        return result

    def discard_before(self, time_ns: int) -> None:
        index = (time_ns - self._start_ns) // _COMMON_STEP_NS
        drop = index - self._base
        if drop > 4 * _COMMON_BLOCK:  # copy rarely
            self._values = self._values[drop:].copy()
            self._base = index


class _SymbolQuotes:
    """One symbol's events, generated in chunks from its own generator."""

    def __init__(
        self,
        config: SyntheticMarketConfig,
        symbol: str,
        instrument_id: InstrumentId,
        start_ns: int,
        common: _CommonFactor,
    ) -> None:
        self.instrument_id = instrument_id
        self.generated_until = start_ns
        self._symbol = symbol
        self._config = config
        self._common = common
        self._rng = _generator(config.seed, _QUOTES_SYMBOL, symbol)
        self._p0 = config.initial_price(symbol)
        self._decimals = _decimals(config.tick_size)
        self._x = 0.0
        self._w = 0.0
        self._trades = 0
        self._cursor = 0
        self._chunk: list[tuple[int, float, float, float, float, float]] = []

    def next_event_ns(self) -> int:
        if self._cursor == len(self._chunk):
            self._generate()
        return self._chunk[self._cursor][0]

    def take_until(self, to_ns: int) -> list[QuoteTick | TradeTick]:
        events: list[QuoteTick | TradeTick] = []
        iid = self.instrument_id
        while True:
            if self._cursor == len(self._chunk):
                if self.generated_until >= to_ns:
                    return events  # every event up to to_ns has been returned
                self._generate()
            chunk, cursor = self._chunk, self._cursor
            while cursor < len(chunk) and chunk[cursor][0] <= to_ns:
                t, bid, ask, bid_size, ask_size, trade_size = chunk[cursor]
                events.append(QuoteTick(iid, bid, ask, bid_size, ask_size, t, t))
                if trade_size > 0:
                    self._trades += 1
                    trade_id = f"{self._symbol}-{self._trades}"
                    side = AggressorSide.BUYER
                    events.append(TradeTick(iid, ask, trade_size, side, trade_id, t, t))
                elif trade_size < 0:
                    self._trades += 1
                    trade_id = f"{self._symbol}-{self._trades}"
                    side = AggressorSide.SELLER
                    events.append(TradeTick(iid, bid, -trade_size, side, trade_id, t, t))
                cursor += 1
            self._cursor = cursor
            if cursor < len(chunk):
                return events

    def _generate(self) -> None:
        """Draw the next chunk of events (always the same draws in the same order)."""
        config, rng, n = self._config, self._rng, _EVENT_CHUNK
        gaps_ns = np.maximum(
            np.round(rng.exponential(1.0 / config.quotes_per_second, n) * _NS_PER_SECOND), 1
        ).astype(np.int64)
        own = rng.standard_normal(n)
        sizes = np.exp(0.5 * rng.standard_normal((2, n)))
        trade_draws = rng.random((3, n))
        times = self.generated_until + np.cumsum(gaps_ns)
        w = self._common.values_at(times)
        common_steps = np.diff(w, prepend=self._w)
        seconds = gaps_ns / _NS_PER_SECOND
        per_second = config.annual_volatility / math.sqrt(SECONDS_PER_YEAR)
        drift = (config.annual_drift - 0.5 * config.annual_volatility**2) / SECONDS_PER_YEAR
        rho = config.correlation
        steps = drift * seconds + per_second * (
            math.sqrt(rho) * common_steps + math.sqrt(1.0 - rho) * np.sqrt(seconds) * own
        )
        pull = (1.0 - config.mean_reversion) ** (seconds / config.bar_interval_seconds)
        x = np.empty(n)
        level = self._x
        for i, (a, step) in enumerate(zip(pull.tolist(), steps.tolist(), strict=True)):
            level = a * level + step
            x[i] = level
        mid = self._p0 * np.exp(x)
        half_spread = mid * (config.spread_bps / 20_000.0)
        tick = config.tick_size
        bid_ticks = np.maximum(np.floor((mid - half_spread) / tick), 1.0)
        ask_ticks = np.maximum(np.ceil((mid + half_spread) / tick), bid_ticks + 1.0)
        bid = np.round(bid_ticks * tick, self._decimals)
        ask = np.round(ask_ticks * tick, self._decimals)
        typical_size = max(config.base_volume * 0.02, 1.0)
        bid_size = np.maximum(np.round(typical_size * sizes[0]), 1.0)
        ask_size = np.maximum(np.round(typical_size * sizes[1]), 1.0)
        buy = trade_draws[1] < 0.5
        trade_size = np.maximum(np.round(trade_draws[2] * np.where(buy, ask_size, bid_size)), 1.0)
        # Sign encodes the aggressor: + buyer (at the ask), - seller (at the bid), 0 no trade.
        trade_size = np.where(trade_draws[0] < _TRADE_PROBABILITY, 1.0, 0.0) * np.where(
            buy, trade_size, -trade_size
        )
        self._chunk = list(
            zip(
                times.tolist(),
                bid.tolist(),
                ask.tolist(),
                bid_size.tolist(),
                ask_size.tolist(),
                trade_size.tolist(),
                strict=True,
            )
        )
        self._cursor = 0
        self._x = level
        self._w = float(w[-1])
        self.generated_until = int(times[-1])


def _generator(seed: int, stream: int, symbol: str = "") -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, stream, *symbol.encode()]))


def _autoregress(steps: npt.NDArray[np.float64], a: float) -> npt.NDArray[np.float64]:
    """Return ``x`` with ``x[t] = a * x[t - 1] + steps[t]`` and ``x[-1] = 0``, vectorised."""
    n = len(steps)
    if a == 1.0:
        return np.cumsum(steps)
    if a == 0.0 or n == 0:
        return steps.copy()
    # Within a block x[j] = a**j * cumsum(steps[k] / a**k), which stays finite while
    # a**-block < 1e250; the state carried across blocks is a short scalar recursion.
    block = max(1, min(n, int(250.0 / -math.log10(a))))
    blocks = -(-n // block)
    padded = np.zeros(blocks * block)
    padded[:n] = steps
    power = a ** np.arange(block, dtype=np.float64)
    partial = power * np.cumsum(padded.reshape(blocks, block) / power, axis=1)
    ends = partial[:, -1].tolist()
    decay = a**block
    carry = [0.0] * blocks  # x just before each block
    for i in range(1, blocks):
        carry[i] = decay * carry[i - 1] + ends[i - 1]
    x = partial + np.outer(carry, a * power)
    result: npt.NDArray[np.float64] = x.reshape(-1)[:n]
    return result


def _decimals(tick_size: float) -> int:
    exponent = Decimal(repr(tick_size)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _round_to_tick(
    prices: npt.NDArray[np.float64], tick_size: float, decimals: int
) -> npt.NDArray[np.float64]:
    """Nearest multiple of the tick, at least one tick, as the float its decimal string gives."""
    ticks = np.maximum(np.round(prices / tick_size), 1.0)
    rounded: npt.NDArray[np.float64] = np.round(ticks * tick_size, decimals)
    return rounded

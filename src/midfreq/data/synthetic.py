"""A seeded synthetic market: correlated GBM prices with optional mean reversion, volatility
clustering, jumps, cointegrated pairs and trading-calendar sessions, as historical bars
(`generate_bars`, `generate_session_bars`) or as a live stream of quotes, trades and order book
snapshots (`SyntheticQuoteStream`).

Log prices follow ``x <- a * x + drift * h + sigma * sqrt(h) * shock`` with ``a = (1 -
mean_reversion) ** (h / bar_interval)``; every symbol's shock is ``sqrt(rho) * common +
sqrt(1 - rho) * own``. Each symbol draws from its own generator seeded by (seed, symbol), so a
symbol's path does not change when other symbols are added. Every optional feature draws from
generator streams of its own, so with the features off the market is exactly what it was before
they existed.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from midfreq.core.errors import ConfigError, DataError
from midfreq.data.bars import BarArrays
from midfreq.model.data import OrderBookSnapshot, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide
from midfreq.model.identifiers import InstrumentId

if TYPE_CHECKING:
    from midfreq.data.calendars import TradingCalendar

SECONDS_PER_YEAR = 365 * 24 * 3600
"""The synthetic market trades around the clock, so a year is 365 full days."""

_NS_PER_SECOND = 1_000_000_000
_NS_PER_DAY = 86_400 * _NS_PER_SECOND
_TRADE_PROBABILITY = 1.0 / 3.0
# Generator streams, kept apart by a tag in the seed.
_BARS_COMMON, _BARS_SYMBOL, _QUOTES_COMMON, _QUOTES_SYMBOL = 0, 1, 2, 3
# Streams of the optional features (never draw them from the four above: that would move every
# later draw and change the market of configs that do not use the feature).
_BARS_VOLATILITY, _BARS_JUMPS, _BARS_SPREAD, _BARS_GAP_COMMON, _BARS_GAP, _BOOK = 4, 5, 6, 7, 8, 9
# The stream's common factor is a Brownian path on this grid, linearly interpolated between
# points and generated lazily in blocks; symbols generate their events in chunks.
_COMMON_STEP_NS = 100_000_000
_COMMON_BLOCK = 4096
_EVENT_CHUNK = 512
# Intraday volume profile (1 + c * (2u - 1)**2) / (1 + c / 3) over the session fraction u: mean 1,
# twice the mean at the open and the close, half of it at midday.
_PROFILE_CURVATURE = 3.0
# A bar with a jump trades more: its activity (normally |shock|, mean 0.8) gets this much added.
_JUMP_ACTIVITY = 2.0


class SyntheticMarketConfig(BaseModel):
    """Parameters of the synthetic market.

    Every setting after ``base_volume`` is off (or has no effect) by default, and with all of
    them at their defaults the market is exactly the plain correlated GBM market.

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
        GBM drift and volatility per (365-day) year. With jumps, ``annual_volatility`` is the
        volatility of the continuous part only.
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
        Typical (mean) volume of one bar.
    volatility_clustering : float, default 0.0
        Persistence per bar of the variance, 0..0.99; 0 turns clustering off. Each symbol's
        variance is ``annual_volatility**2 * v`` with ``log v`` an AR(1) process of this
        coefficient (a log-normal stochastic volatility model: GARCH(1,1)-like clustering, as
        the autocorrelation of squared returns decays like ``volatility_clustering ** lag``,
        but with its own shocks, so that it can be generated vectorised). ``E[v] = 1``, so the
        unconditional variance, and the meaning of ``annual_volatility``, are unchanged.
        Volume rises with the current volatility.
    volatility_of_volatility : float, default 0.8
        Standard deviation of ``log v`` (0..3); used only with ``volatility_clustering``.
        Larger values give fatter tails: the kurtosis of returns is ``3 * exp(this ** 2)``.
    jump_intensity : float, default 0.0
        Expected jumps per symbol per (365-day) year; each bar (and each closed stretch between
        sessions, with a calendar) gets a Poisson number of jumps. 0 turns jumps off.
    jump_size : float, default 0.02
        Standard deviation of one jump's log size. Jumps have mean ``-jump_size**2 / 2`` so that
        they leave the expected price unchanged; a bar with a jump trades more.
    cointegrated_pairs : list[tuple[str, str]], default []
        Pairs ``(leader, follower)`` of configured symbols. A follower's log price relative to
        its initial price is the leader's plus a stationary spread: ``log(P_f / P_f0) =
        log(P_l / P_l0) + s`` with ``s`` an AR(1) (discrete Ornstein-Uhlenbeck) process
        starting at 0. The follower has no shocks or jumps of its own; its volume follows the
        leader's activity. A leader may lead several followers; a symbol follows at most one
        leader and a follower cannot lead.
    cointegration_strength : float, default 0.01
        Fraction of the spread removed per bar, in (0, 1]: the spread's half-life is
        ``log(0.5) / log(1 - cointegration_strength)`` bars.
    cointegration_volatility : float, default 0.1
        Annualised volatility of the spread's shocks (per 365-day year, like
        ``annual_volatility``); the spread's stationary standard deviation per bar is this
        times ``sqrt(bar_interval_seconds / SECONDS_PER_YEAR / (1 - (1 -
        cointegration_strength) ** 2))``.
    calendar : str or None, default None
        An exchange-calendars name (``"XNYS"``, ``"XLON"``, ``"CMES"``, ...). Bars are then the
        full bars of each session (`midfreq.data.calendars.session_bar_times`), and prices still
        move in wall-clock time: the first bar of a session opens at a gap that carries the
        move since the previous close (nights, weekends, holidays), so that close-to-close
        returns over a year of sessions have ``annual_volatility``. None: bars around the clock.
    intraday_volume_profile : bool, default False
        U-shaped volume over each session: with ``u`` the fraction of the session (open to
        close) elapsed at the middle of a bar, volume is multiplied by ``(1 + 3 * (2u - 1)**2)
        / 2``, which averages 1 over a session, is 2 at the open and the close and 0.5 at
        midday. Needs ``calendar``.
    book_levels : int, default 0
        Price levels per side of the order books of `SyntheticQuoteStream.book_snapshot`
        (0..100); 0 means no books.
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
    volatility_clustering: float = Field(default=0.0, ge=0.0, le=0.99)
    volatility_of_volatility: float = Field(default=0.8, ge=0.0, le=3.0)
    jump_intensity: float = Field(default=0.0, ge=0.0)
    jump_size: float = Field(default=0.02, ge=0.0)
    cointegrated_pairs: list[tuple[str, str]] = Field(default_factory=list)
    cointegration_strength: float = Field(default=0.01, gt=0.0, le=1.0)
    cointegration_volatility: float = Field(default=0.1, ge=0.0)
    calendar: str | None = None
    intraday_volume_profile: bool = False
    book_levels: int = Field(default=0, ge=0, le=100)

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

    @field_validator("cointegrated_pairs")
    @classmethod
    def _check_pairs(
        cls, value: list[tuple[str, str]], info: ValidationInfo
    ) -> list[tuple[str, str]]:
        symbols = info.data.get("symbols", [])
        unknown = sorted({s for pair in value for s in pair} - set(symbols))
        if unknown:
            raise ValueError(
                f"(leader, follower) pairs of the symbols traded ({', '.join(symbols)}); "
                f"unknown: {', '.join(unknown)}"
            )
        if any(leader == follower for leader, follower in value):
            raise ValueError("pairs of two different symbols")
        followers = [follower for _, follower in value]
        twice = sorted({s for s in followers if followers.count(s) > 1})
        if twice:
            raise ValueError(f"each symbol to follow one leader at most; {twice} follow several")
        leading = sorted({leader for leader, _ in value} & set(followers))
        if leading:
            raise ValueError(f"followers that do not lead; {leading} both follow and lead")
        return value

    @field_validator("calendar")
    @classmethod
    def _check_calendar(cls, value: str | None) -> str | None:
        if value is not None:
            from midfreq.data.calendars import TradingCalendar  # exchange-calendars is slow to load

            try:
                TradingCalendar.get(value)
            except ConfigError as error:
                raise ValueError(error.expected) from None
        return value

    @field_validator("intraday_volume_profile")
    @classmethod
    def _check_profile(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("calendar") is None:
            raise ValueError("false without a calendar (the profile follows each session)")
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

    With ``config.calendar`` the bars are instead the first ``count`` full session bars that
    open at or after ``start_ns`` (see `generate_session_bars`), and the first bar of each
    session after the first opens where the price has moved to while the market was closed.

    Parameters
    ----------
    config : SyntheticMarketConfig
        The market.
    start_ns : int
        UTC nanoseconds at which the first bar opens (with a calendar: no bar opens before).
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
    DataError
        With a calendar, if ``start_ns`` is before the days it covers or it has fewer than
        ``count`` session bars after ``start_ns``.

    Examples
    --------
    >>> config = SyntheticMarketConfig(symbols=["AAA", "BBB"], seed=7)
    >>> aaa, bbb = generate_bars(config, start_ns=0, count=3)
    >>> str(aaa.instrument_id), aaa.ts.tolist()
    ('AAA.SIM', [60000000000, 120000000000, 180000000000])
    >>> bool((aaa.high >= aaa.close).all() and (aaa.low <= aaa.open).all())
    True
    """
    return _join_windows(config, list(iter_bar_windows(config, start_ns, count)))


def generate_session_bars(config: SyntheticMarketConfig, start: date, end: date) -> list[BarArrays]:
    """Generate the bars of every session of ``config.calendar`` from ``start`` to ``end``.

    The bars are those of `midfreq.data.calendars.session_bar_times` (whole bars of
    ``bar_interval_seconds`` aligned to each session's open, early closes respected), and
    equal `generate_bars` from the first session's open with that many bars.

    Parameters
    ----------
    config : SyntheticMarketConfig
        The market; its ``calendar`` must be set.
    start, end : datetime.date
        Session days, inclusive.

    Returns
    -------
    list[BarArrays]
        One per symbol, in the order of ``config.symbols``.

    Raises
    ------
    ValueError
        If ``config.calendar`` is None.
    DataError
        If a day is outside the days the calendar covers.

    Examples
    --------
    >>> from datetime import date
    >>> config = SyntheticMarketConfig(symbols=["AAA"], calendar="XNYS")
    >>> (aaa,) = generate_session_bars(config, date(2024, 7, 3), date(2024, 7, 5))
    >>> len(aaa)  # 2024-07-03 closes at 13:00, 07-04 is a holiday, 07-05 a full day
    600
    """
    return _join_windows(config, list(iter_session_bar_windows(config, start, end)))


def iter_session_bar_windows(
    config: SyntheticMarketConfig, start: date, end: date
) -> Iterator[list[BarArrays]]:
    """Yield the bars of `generate_session_bars` in windows of `BAR_WINDOW` bars per symbol
    (as `iter_bar_windows`), with bounded memory.

    Raises
    ------
    ValueError
        If ``config.calendar`` is None.
    DataError
        If a day is outside the days the calendar covers.
    """
    calendar = _calendar(config)
    interval_ns = config.bar_interval_seconds * _NS_PER_SECOND
    count = len(calendar.bar_times(start, end, interval_ns))
    if count == 0:
        return iter(())
    first_open = calendar.session_bounds(calendar.sessions(start, end)[0])[0]
    return iter_bar_windows(config, first_open, count)


def _join_windows(config: SyntheticMarketConfig, windows: list[list[BarArrays]]) -> list[BarArrays]:
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
    DataError
        With a calendar, as `generate_bars`.
    """
    if count < 0:
        raise ValueError(f"count: expected >= 0, was {count}")
    interval_ns = config.bar_interval_seconds * _NS_PER_SECOND
    market = _BarModel(config)
    common_rng = _generator(config.seed, _BARS_COMMON)
    gap_common_rng = _generator(config.seed, _BARS_GAP_COMMON)
    leaders = {follower: leader for leader, follower in config.cointegrated_pairs}
    symbols = [
        _SymbolBarState.create(config, symbol, instrument_id, leaders.get(symbol))
        for symbol, instrument_id in zip(config.symbols, config.instrument_ids(), strict=True)
    ]
    clock: _SessionBarClock | None = None
    last_ts: int | None = None
    for offset in range(0, count, BAR_WINDOW):
        n = min(BAR_WINDOW, count - offset)
        window = _Window(n=n, ts=np.empty(0, dtype=np.int64))
        if config.calendar is None:
            window.ts = start_ns + interval_ns * np.arange(
                offset + 1, offset + n + 1, dtype=np.int64
            )
        else:
            if clock is None:
                clock = _SessionBarClock(_calendar(config), start_ns, interval_ns)
            window.ts, opens, closes = clock.take(n)
            previous = window.ts[0] - interval_ns if last_ts is None else last_ts
            elapsed = np.diff(window.ts, prepend=np.int64(previous))
            window.gaps = (elapsed - interval_ns) / interval_ns
            window.common_gap = gap_common_rng.standard_normal(n)
            if config.intraday_volume_profile:
                middle = window.ts - interval_ns / 2.0
                window.profile = _volume_profile((middle - opens) / (closes - opens))
            last_ts = int(window.ts[-1])
        window.ts.flags.writeable = False  # shared by every symbol's BarArrays
        common = common_rng.standard_normal(n)
        draws = {state.symbol: state.draw(n) for state in symbols}
        paths: dict[str, _Path] = {}
        for state in symbols:
            if state.leader is None:
                paths[state.symbol] = market.own_path(state, draws[state.symbol], common, window)
        for state in symbols:
            if state.leader is not None:
                paths[state.symbol] = market.follower_path(state, paths[state.leader], window)
        yield [
            market.bars(state, paths[state.symbol], draws[state.symbol], window)
            for state in symbols
        ]


@dataclass(slots=True, kw_only=True)
class _Window:
    n: int
    ts: npt.NDArray[np.int64]
    # With a calendar: bars of closed market before each bar's open, the common factor of the
    # gaps' shocks, and the volume profile (None when off).
    gaps: npt.NDArray[np.float64] | None = None
    common_gap: npt.NDArray[np.float64] | None = None
    profile: npt.NDArray[np.float64] | None = None


@dataclass(slots=True, kw_only=True)
class _Draws:
    """One symbol's draws from its original stream, in the original order."""

    own: npt.NDArray[np.float64]
    up: npt.NDArray[np.float64]
    down: npt.NDArray[np.float64]
    volume: npt.NDArray[np.float64]


@dataclass(slots=True, kw_only=True)
class _Path:
    """One symbol's log price (relative to its initial price) at each bar's open and close, the
    variance of its continuous part within a bar, and its activity (drives volume)."""

    x_open: npt.NDArray[np.float64]
    x: npt.NDArray[np.float64]
    variance: float | npt.NDArray[np.float64]
    activity: npt.NDArray[np.float64]


@dataclass(slots=True, kw_only=True)
class _SymbolBarState:
    symbol: str
    instrument_id: InstrumentId
    rng: np.random.Generator
    p0: float
    previous_close: npt.NDArray[np.float64]
    leader: str | None
    volatility_rng: np.random.Generator
    jump_rng: np.random.Generator
    gap_rng: np.random.Generator
    spread_rng: np.random.Generator
    x_last: float = 0.0
    log_variance_last: float = 0.0
    spread_last: float = 0.0

    @classmethod
    def create(
        cls,
        config: SyntheticMarketConfig,
        symbol: str,
        instrument_id: InstrumentId,
        leader: str | None,
    ) -> _SymbolBarState:
        p0 = config.initial_price(symbol)
        state = cls(
            symbol=symbol,
            instrument_id=instrument_id,
            rng=_generator(config.seed, _BARS_SYMBOL, symbol),
            p0=p0,
            previous_close=_round_to_tick(
                np.array([p0]), config.tick_size, _decimals(config.tick_size)
            ),
            leader=leader,
            volatility_rng=_generator(config.seed, _BARS_VOLATILITY, symbol),
            jump_rng=_generator(config.seed, _BARS_JUMPS, symbol),
            gap_rng=_generator(config.seed, _BARS_GAP, symbol),
            spread_rng=_generator(config.seed, _BARS_SPREAD, symbol),
        )
        # The log variance starts in its stationary distribution: no burn-in.
        state.log_variance_last = config.volatility_of_volatility * float(
            state.volatility_rng.standard_normal()
        )
        return state

    def draw(self, n: int) -> _Draws:
        rng = self.rng
        own = rng.standard_normal(n)
        up = rng.random(n)
        down = rng.random(n)
        return _Draws(own=own, up=up, down=down, volume=rng.standard_normal(n))


class _BarModel:
    """The per-window arithmetic of the bars, for one config."""

    def __init__(self, config: SyntheticMarketConfig) -> None:
        self.config = config
        years = config.bar_interval_seconds / SECONDS_PER_YEAR
        self.sigma = config.annual_volatility * math.sqrt(years)
        self.drift = (config.annual_drift - 0.5 * config.annual_volatility**2) * years
        self.rho = config.correlation
        self.persistence = 1.0 - config.mean_reversion
        self.tick, self.decimals = config.tick_size, _decimals(config.tick_size)
        self.jumps_per_bar = config.jump_intensity * years
        self.spread_sigma = config.cointegration_volatility * math.sqrt(years)

    def own_path(
        self,
        state: _SymbolBarState,
        draws: _Draws,
        common: npt.NDArray[np.float64],
        window: _Window,
    ) -> _Path:
        config, rho, n = self.config, self.rho, window.n
        shocks = math.sqrt(rho) * common + math.sqrt(1.0 - rho) * draws.own
        scale: float | npt.NDArray[np.float64] = self.sigma
        activity = np.abs(shocks)
        if config.volatility_clustering > 0.0:
            multiplier = self._volatility_multipliers(state, window)
            scale = self.sigma * multiplier
            activity = activity * multiplier
        steps = self.drift + scale * shocks
        if config.jump_intensity > 0.0:
            counts, jumps = self._jumps(state.jump_rng, np.full(n, self.jumps_per_bar))
            steps = steps + jumps
            activity = activity + _JUMP_ACTIVITY * (counts > 0)
        persistence = self.persistence
        if window.gaps is None:
            x = _autoregress(steps, persistence)
            if state.x_last != 0.0:
                x = x + state.x_last * persistence ** np.arange(1, n + 1, dtype=np.float64)
            x_open = np.concatenate(([state.x_last], x[:-1]))
        else:
            assert window.common_gap is not None
            mean, variance = _gap_moments(persistence, window.gaps)
            gap_shocks = math.sqrt(rho) * window.common_gap + math.sqrt(
                1.0 - rho
            ) * state.gap_rng.standard_normal(n)
            gap_steps = self.drift * mean + scale * np.sqrt(variance) * gap_shocks
            if config.jump_intensity > 0.0:
                _, gap_jumps = self._jumps(state.jump_rng, self.jumps_per_bar * window.gaps)
                gap_steps = gap_steps + gap_jumps
            x_open, x = _two_part_autoregress(
                state.x_last, persistence, window.gaps, gap_steps, steps
            )
        state.x_last = float(x[-1])
        return _Path(x_open=x_open, x=x, variance=scale**2, activity=activity)

    def follower_path(self, state: _SymbolBarState, leader: _Path, window: _Window) -> _Path:
        n = window.n
        persistence = 1.0 - self.config.cointegration_strength
        bar_steps = self.spread_sigma * state.spread_rng.standard_normal(n)
        if window.gaps is None:
            gaps = gap_steps = np.zeros(n)
        else:
            gaps = window.gaps
            _, variance = _gap_moments(persistence, gaps)
            gap_steps = self.spread_sigma * np.sqrt(variance) * state.spread_rng.standard_normal(n)
        spread_open, spread = _two_part_autoregress(
            state.spread_last, persistence, gaps, gap_steps, bar_steps
        )
        state.spread_last = float(spread[-1])
        x = leader.x + spread
        state.x_last = float(x[-1])
        return _Path(
            x_open=leader.x_open + spread_open,
            x=x,
            variance=leader.variance + self.spread_sigma**2,
            activity=leader.activity,
        )

    def bars(
        self, state: _SymbolBarState, path: _Path, draws: _Draws, window: _Window
    ) -> BarArrays:
        config, tick, decimals, n = self.config, self.tick, self.decimals, window.n
        x, x_open = path.x, path.x_open
        move = x - x_open
        # Extremes of a Brownian bridge from 0 to `move` with variance sigma**2, by
        # inversion of P(max >= m) = exp(-2 m (m - move) / sigma**2); 1 - random() is in (0, 1].
        spread_up = np.sqrt(move * move - 2.0 * path.variance * np.log(1.0 - draws.up))
        spread_down = np.sqrt(move * move - 2.0 * path.variance * np.log(1.0 - draws.down))
        p0 = state.p0
        close = _round_to_tick(p0 * np.exp(x), tick, decimals)
        open_ = np.concatenate((state.previous_close, close[:-1]))[:n]
        if window.gaps is not None:
            # A session's first bar opens where the price went while the market was closed.
            gapped = _round_to_tick(p0 * np.exp(x_open), tick, decimals)
            open_ = np.where(window.gaps > 0.0, gapped, open_)
        high = _round_to_tick(p0 * np.exp(x_open + 0.5 * (move + spread_up)), tick, decimals)
        low = _round_to_tick(p0 * np.exp(x_open + 0.5 * (move - spread_down)), tick, decimals)
        high = np.maximum(high, np.maximum(open_, close))
        low = np.minimum(low, np.minimum(open_, close))
        size = np.exp(0.5 * draws.volume - 0.125) * (0.6 + 0.5 * path.activity)
        volume = config.base_volume * size
        if window.profile is not None:
            volume = volume * window.profile
        if config.base_volume >= 10:
            volume = np.maximum(np.round(volume), 1.0)
        state.previous_close = close[-1:]
        return BarArrays(state.instrument_id, window.ts, open_, high, low, close, volume)

    def _volatility_multipliers(
        self, state: _SymbolBarState, window: _Window
    ) -> npt.NDArray[np.float64]:
        """Return ``sqrt(v)`` per bar, advancing the symbol's log variance ``log v``."""
        persistence = self.config.volatility_clustering
        spread = self.config.volatility_of_volatility
        steps = np.ones(window.n) if window.gaps is None else window.gaps + 1.0
        coefficients = persistence**steps
        # Innovations keep log v ~ N(0, spread**2) however many bars a step spans.
        innovations = spread * np.sqrt(1.0 - coefficients**2)
        innovations = innovations * state.volatility_rng.standard_normal(window.n)
        log_variance = _autoregress_varying(
            innovations, coefficients, persistence, state.log_variance_last
        )
        state.log_variance_last = float(log_variance[-1])
        # E[exp(l - s**2 / 2)] = 1 for l ~ N(0, s**2): the mean variance stays sigma**2.
        result: npt.NDArray[np.float64] = np.exp(0.5 * log_variance - 0.25 * spread**2)
        return result

    def _jumps(
        self, rng: np.random.Generator, expected: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Return Poisson jump counts with these means and the sum of their log sizes."""
        size = self.config.jump_size
        counts = rng.poisson(expected)
        normals = rng.standard_normal(len(expected))
        # A sum of k N(-s**2/2, s**2) jumps is N(-k s**2/2, k s**2); E[exp(jump)] = 1.
        total = counts * (-0.5 * size**2) + np.sqrt(counts) * size * normals
        return counts, total


class _SessionBarClock:
    """Close times of the session bars that open at or after ``start_ns``, in order, with each
    bar's session open and close; computed a few weeks at a time."""

    def __init__(self, calendar: TradingCalendar, start_ns: int, interval_ns: int) -> None:
        self._calendar = calendar
        self._start_ns = start_ns
        self._interval_ns = interval_ns
        start_day = _utc_date(start_ns)
        if not calendar.first_day <= start_day <= calendar.last_day:
            raise DataError(
                f"calendar {calendar.name}: expected a start from {calendar.first_day} to "
                f"{calendar.last_day} (the days it covers), was {start_day}"
            )
        # A session may open the evening before its day (CME Globex): start a day early.
        self._next_day = max(start_day - timedelta(days=1), calendar.first_day)
        # About two windows of bars per chunk of days (a session has 6.5 hours or more).
        span = 2 * BAR_WINDOW * interval_ns // (6 * 3600 * _NS_PER_SECOND)
        self._chunk_days = int(min(366, max(7, span)))
        self._taken = 0
        empty = np.empty(0, dtype=np.int64)
        self._times, self._opens, self._closes = empty, empty, empty

    def take(
        self, n: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        while len(self._times) < n:
            self._extend(n)
        result = (self._times[:n].copy(), self._opens[:n], self._closes[:n])
        self._times, self._opens, self._closes = (
            self._times[n:],
            self._opens[n:],
            self._closes[n:],
        )
        self._taken += n
        return result

    def _extend(self, n: int) -> None:
        calendar, interval = self._calendar, self._interval_ns
        if self._next_day > calendar.last_day:
            raise DataError(
                f"calendar {calendar.name}: expected {n} more session bars after "
                f"{self._taken + len(self._times)}, was the end of the days it covers "
                f"({calendar.last_day})"
            )
        last = min(self._next_day + timedelta(days=self._chunk_days - 1), calendar.last_day)
        times = calendar.bar_times(self._next_day, last, interval)
        bounds = np.array(
            [calendar.session_bounds(day) for day in calendar.sessions(self._next_day, last)],
            dtype=np.int64,
        ).reshape(-1, 2)
        times = times[times - interval >= self._start_ns]
        session = np.searchsorted(bounds[:, 0], times - interval, side="right") - 1
        self._times = np.concatenate((self._times, times))
        self._opens = np.concatenate((self._opens, bounds[session, 0]))
        self._closes = np.concatenate((self._closes, bounds[session, 1]))
        self._next_day = last + timedelta(days=1)


def _calendar(config: SyntheticMarketConfig) -> TradingCalendar:
    from midfreq.data.calendars import TradingCalendar  # exchange-calendars is slow to load

    if config.calendar is None:
        raise ValueError("config.calendar: expected a calendar name for session bars, was None")
    return TradingCalendar.get(config.calendar)


def _utc_date(ts_ns: int) -> date:
    return date(1970, 1, 1) + timedelta(days=ts_ns // _NS_PER_DAY)


def _volume_profile(fraction: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    curvature = _PROFILE_CURVATURE
    result: npt.NDArray[np.float64] = (1.0 + curvature * (2.0 * fraction - 1.0) ** 2) / (
        1.0 + curvature / 3.0
    )
    return result


def _gap_moments(
    a: float, gaps: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return the factors of the drift and of the variance of ``g`` AR(1) steps of coefficient
    ``a`` (``sum a**j`` and ``sum a**(2j)`` over ``j < g``), per gap ``g``."""
    if a == 1.0:
        return gaps, gaps
    power = a**gaps
    return (1.0 - power) / (1.0 - a), (1.0 - power * power) / (1.0 - a * a)


def _two_part_autoregress(
    x_last: float,
    a: float,
    gaps: npt.NDArray[np.float64],
    gap_steps: npt.NDArray[np.float64],
    bar_steps: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return ``(x_open, x)`` per bar for ``x_open = a**gap * x[-1] + gap_step`` (the market
    closed for ``gap`` bars) and ``x = a * x_open + bar_step``, vectorised."""
    coefficients = a ** (gaps + 1.0)
    x = _autoregress_varying(a * gap_steps + bar_steps, coefficients, a, x_last)
    before = np.concatenate(([x_last], x[:-1]))
    x_open: npt.NDArray[np.float64] = a**gaps * before + gap_steps
    return x_open, x


def _autoregress_varying(
    steps: npt.NDArray[np.float64],
    coefficients: npt.NDArray[np.float64],
    a: float,
    x_last: float,
) -> npt.NDArray[np.float64]:
    """Return ``x`` with ``x[t] = coefficients[t] * x[t - 1] + steps[t]`` and ``x[-1] =
    x_last``, vectorised over the runs where the coefficient is ``a`` (one per session)."""
    n = len(steps)
    if n == 0:
        return steps.copy()
    starts = np.flatnonzero(coefficients != a).tolist()
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    ends = [*starts[1:], n]
    x = np.empty(n)
    previous = x_last
    for start, end in zip(starts, ends, strict=True):
        powers = a ** np.arange(end - start, dtype=np.float64)
        x[start:end] = _autoregress(steps[start:end], a) + coefficients[start] * previous * powers
        previous = float(x[end - 1])
    return x


class SyntheticQuoteStream:
    """A live synthetic market: quotes and trades for every symbol, generated on demand.

    Each symbol quotes as a Poisson process with rate ``quotes_per_second``; its mid follows
    the dynamics of `generate_bars` scaled to the time between quotes; bid and ask are the mid
    minus and plus half of ``spread_bps``, rounded outwards to ticks and at least one tick
    apart. After about one quote in three a `TradeTick` prints at the same time, at the ask
    (aggressor BUYER) or the bid (SELLER), with a trade id ``SYMBOL-n``.

    Events are a function of the config, ``start_ns`` and time only: ``advance(t1)`` followed
    by ``advance(t2)`` returns the same events as one ``advance(t2)``.

    With ``config.book_levels > 0``, `book_snapshot` gives an L2 book around each symbol's latest
    quote; the quotes and trades are the same with or without books. The settings that shape
    bars only (``volatility_clustering``, jumps, ``cointegrated_pairs``, ``calendar``,
    ``intraday_volume_profile``) do not change the stream: it quotes around the clock with the
    plain correlated GBM mids.

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
    >>> books = SyntheticQuoteStream(config.model_copy(update={"book_levels": 3}), start_ns=0)
    >>> _ = books.advance(1_000_000_000)
    >>> book = books.book_snapshot("AAA")
    >>> len(book.bids), len(book.asks)
    (3, 3)
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

    def book_snapshot(self, instrument: InstrumentId | str) -> OrderBookSnapshot | None:
        """Return the order book of ``instrument`` as of its latest quote returned by `advance`.

        The book has ``config.book_levels`` levels per side, one tick apart: the best levels
        are the quote's bid and ask with their sizes, every deeper level holds more than the
        one before it (a positive whole size), and bid levels stop at one tick. It is stamped
        with the quote's time and depends only on the config and which quote it is, not on
        when or how often it is asked for.

        Parameters
        ----------
        instrument : InstrumentId or str
            A quoted instrument or its symbol.

        Returns
        -------
        OrderBookSnapshot or None
            None before the instrument's first quote.

        Raises
        ------
        ValueError
            If ``config.book_levels`` is 0 or the instrument is not quoted.
        """
        levels = self._config.book_levels
        if levels == 0:
            raise ValueError("book_levels: expected > 0 for order books, was 0")
        symbol = instrument.symbol if isinstance(instrument, InstrumentId) else instrument
        for quotes in self._symbols:
            if quotes.symbol == symbol and (
                not isinstance(instrument, InstrumentId) or quotes.instrument_id == instrument
            ):
                return quotes.book_snapshot(levels)
        quoted = ", ".join(str(iid) for iid in self.instrument_ids)
        raise ValueError(f"instrument: expected one of {quoted}, was {instrument}")

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
        self.symbol = symbol
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
        # For books: chunks generated so far and the last row of the previous chunk.
        self._chunks = 0
        self._previous_row: tuple[int, float, float, float, float, float] | None = None

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
                    trade_id = f"{self.symbol}-{self._trades}"
                    side = AggressorSide.BUYER
                    events.append(TradeTick(iid, ask, trade_size, side, trade_id, t, t))
                elif trade_size < 0:
                    self._trades += 1
                    trade_id = f"{self.symbol}-{self._trades}"
                    side = AggressorSide.SELLER
                    events.append(TradeTick(iid, bid, -trade_size, side, trade_id, t, t))
                cursor += 1
            self._cursor = cursor
            if cursor < len(chunk):
                return events

    def book_snapshot(self, levels: int) -> OrderBookSnapshot | None:
        """The book around the latest quote returned (None before the first)."""
        if self._cursor > 0:
            row = self._chunk[self._cursor - 1]
            number = (self._chunks - 1) * _EVENT_CHUNK + self._cursor
        elif self._previous_row is not None:
            row = self._previous_row
            number = (self._chunks - 1) * _EVENT_CHUNK
        else:
            return None
        t, bid, ask, bid_size, ask_size, _ = row
        # Seeded by the quote's number: the same book whenever it is asked for.
        rng = np.random.default_rng(
            np.random.SeedSequence([self._config.seed, _BOOK, number, *self.symbol.encode()])
        )
        tick = self._config.tick_size
        typical_size = max(self._config.base_volume * 0.02, 1.0)
        increments = np.ceil(typical_size * (0.25 + 0.5 * rng.random((2, levels - 1))))
        bid_ticks = round(bid / tick)
        ask_ticks = round(ask / tick)
        depth = min(levels, bid_ticks)  # no bid below one tick
        bid_prices = [
            bid,
            *(round((bid_ticks - k) * tick, self._decimals) for k in range(1, depth)),
        ]
        ask_prices = [
            ask,
            *(round((ask_ticks + k) * tick, self._decimals) for k in range(1, levels)),
        ]
        bid_sizes = (bid_size + np.concatenate(([0.0], np.cumsum(increments[0])))).tolist()
        ask_sizes = (ask_size + np.concatenate(([0.0], np.cumsum(increments[1])))).tolist()
        return OrderBookSnapshot(
            self.instrument_id,
            tuple(zip(bid_prices, bid_sizes[:depth], strict=True)),
            tuple(zip(ask_prices, ask_sizes, strict=True)),
            t,
            t,
        )

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
        if self._chunk:
            self._previous_row = self._chunk[-1]
        self._chunks += 1
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

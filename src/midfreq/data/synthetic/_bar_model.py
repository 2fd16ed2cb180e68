"""The per-window arithmetic of the synthetic market's historical bars: each symbol's draws and
state carried across windows, its log price path (own or following a leader), and the bars
built from it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from midfreq.data.bars import BarArrays
from midfreq.data.synthetic._arithmetic import (
    _BARS_GAP,
    _BARS_JUMPS,
    _BARS_SPREAD,
    _BARS_SYMBOL,
    _BARS_VOLATILITY,
    _autoregress,
    _autoregress_varying,
    _decimals,
    _gap_moments,
    _generator,
    _round_to_tick,
    _two_part_autoregress,
)
from midfreq.data.synthetic.config import SECONDS_PER_YEAR, SyntheticMarketConfig
from midfreq.model.identifiers import InstrumentId

# A bar with a jump trades more: its activity (normally |shock|, mean 0.8) gets this much added.
_JUMP_ACTIVITY = 2.0


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

"""Arithmetic shared by the synthetic market's bars and its live stream: the seeded generator
streams, AR(1) recursions (vectorised, and with a coefficient per step), the moments of a
stretch of closed market, the intraday volume profile and rounding to ticks."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import numpy.typing as npt

_NS_PER_SECOND = 1_000_000_000
_NS_PER_DAY = 86_400 * _NS_PER_SECOND
# Generator streams, kept apart by a tag in the seed.
_BARS_COMMON, _BARS_SYMBOL, _QUOTES_COMMON, _QUOTES_SYMBOL = 0, 1, 2, 3
# Streams of the optional features (never draw them from the four above: that would move every
# later draw and change the market of configs that do not use the feature).
_BARS_VOLATILITY, _BARS_JUMPS, _BARS_SPREAD, _BARS_GAP_COMMON, _BARS_GAP = 4, 5, 6, 7, 8
# Tag 9 seeded one generator per book snapshot in an earlier stream; the stream's features now
# draw from these.
_QUOTES_BOOK, _QUOTES_VOLATILITY, _QUOTES_JUMPS, _QUOTES_SPREAD = 10, 11, 12, 13
_QUOTES_GAP_COMMON, _QUOTES_GAP = 14, 15
# Intraday volume profile (1 + c * (2u - 1)**2) / (1 + c / 3) over the session fraction u: mean 1,
# twice the mean at the open and the close, half of it at midday.
_PROFILE_CURVATURE = 3.0

FloatArray = npt.NDArray[np.float64]


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


def _recurse(
    coefficients: list[float], steps: list[float], start: float
) -> tuple[FloatArray, float]:
    """Return ``x`` with ``x[t] = coefficients[t] * x[t - 1] + steps[t]`` and ``x[-1] = start``,
    and its last value (``start`` when empty); a plain loop, exact for any coefficients."""
    x = np.empty(len(steps))
    level = start
    for i, (a, step) in enumerate(zip(coefficients, steps, strict=True)):
        level = a * level + step
        x[i] = level
    return x, level


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


def _volume_profile(fraction: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    curvature = _PROFILE_CURVATURE
    result: npt.NDArray[np.float64] = (1.0 + curvature * (2.0 * fraction - 1.0) ** 2) / (
        1.0 + curvature / 3.0
    )
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

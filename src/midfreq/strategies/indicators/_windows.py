"""Batch window moments in O(n): the series is cut into blocks of ``period`` values; Welford
prefix and suffix statistics are run inside every block at once (vectorised across blocks), and
each window, a suffix of one block plus a prefix of the next, is the merge of the two
(Chan, Golub and LeVeque 1979). Every term of the merge is a sum of squares or a product of
small deviations, so nothing cancels; values are taken relative to each block's first value,
so a large common offset costs no precision.

Rounding is then relative to the range of the two blocks a window touches. Where a window's
spread is below 1e-4 of that range (a quiet window next to a jump), it is recomputed exactly
in two passes, so every window is as precise as its own values allow."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from midfreq.strategies.indicators._arrays import (
    CHUNK_ELEMENTS,
    BoolArray,
    FloatArray,
    flat_windows,
    nan_array,
)

# Windows whose standard deviation is below this fraction of the surrounding range are
# recomputed exactly.
_EXACT_BELOW = 1e-4


class _Halves(NamedTuple):
    """Per block (rows) and position (columns): statistics of the block's values up to and
    including that position (prefix) and from it to the block's end (suffix)."""

    prefix_mean: FloatArray
    prefix_m2: FloatArray
    suffix_mean: FloatArray
    suffix_m2: FloatArray


def _padded_blocks(values: FloatArray, period: int) -> FloatArray:
    """The series in rows of ``period``, the last row padded with the final value."""
    rows = -(-values.size // period)
    padded = np.empty(rows * period)
    padded[: values.size] = values
    padded[values.size :] = values[-1]
    return padded.reshape(rows, period)


def _blocks(values: FloatArray, period: int) -> tuple[FloatArray, FloatArray]:
    """Return ``(deviations, references)``: the padded blocks relative to each block's first
    value, and those first values."""
    blocks = _padded_blocks(values, period)
    references = blocks[:, 0].copy()
    return blocks - references[:, None], references


def _running(columns: FloatArray, reverse: bool) -> tuple[FloatArray, FloatArray]:
    """Welford mean and m2 down the rows of ``columns`` (positions x blocks), all blocks at once;
    from the last row up when ``reverse``."""
    period, rows = columns.shape
    means, m2s = np.empty_like(columns), np.empty_like(columns)
    mean, m2, step = np.zeros(rows), np.zeros(rows), np.empty(rows)
    order = range(period - 1, -1, -1) if reverse else range(period)
    for count, j in enumerate(order, start=1):
        value = columns[j]
        np.subtract(value, mean, out=step)
        mean += step / count
        m2 += step * (value - mean)
        means[j], m2s[j] = mean, m2
    return means, m2s


def _welford_halves(deviations: FloatArray) -> _Halves:
    # Positions as rows of a contiguous array: each step reads and writes one contiguous row.
    columns = np.ascontiguousarray(deviations.T)
    prefix_mean, prefix_m2 = _running(columns, reverse=False)
    suffix_mean, suffix_m2 = _running(columns, reverse=True)
    return _Halves(prefix_mean.T, prefix_m2.T, suffix_mean.T, suffix_m2.T)


def _welford_cross(
    deviations_x: FloatArray, deviations_y: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Prefix and suffix sums of products of deviations from the running means."""
    columns_x = np.ascontiguousarray(deviations_x.T)
    columns_y = np.ascontiguousarray(deviations_y.T)
    period, rows = columns_x.shape
    halves = []
    for order in (range(period), range(period - 1, -1, -1)):
        out = np.empty_like(columns_x)
        mean_x, mean_y, co, step = np.zeros(rows), np.zeros(rows), np.zeros(rows), np.empty(rows)
        for count, j in enumerate(order, start=1):
            x, y = columns_x[j], columns_y[j]
            np.subtract(x, mean_x, out=step)
            mean_x += step / count
            mean_y += (y - mean_y) / count
            co += step * (y - mean_y)
            out[j] = co
        halves.append(out.T)
    return halves[0], halves[1]


class _Merged(NamedTuple):
    """Full windows, laid out as the blocks: mean relative to the window's block reference,
    sum of squared deviations, and the difference of the two halves' means (for co-moments)."""

    mean: FloatArray
    m2: FloatArray
    gap: FloatArray


def _merge(halves: _Halves, references: FloatArray) -> _Merged:
    rows, period = halves.prefix_mean.shape
    mean, m2, gap = np.full((3, rows, period), np.nan)
    # A window ending at the last position of a block is that block.
    mean[:, -1], m2[:, -1], gap[:, -1] = halves.prefix_mean[:, -1], halves.prefix_m2[:, -1], 0.0
    if period > 1 and rows > 1:
        # Window ending at position j of block b: positions j+1.. of block b-1, then 0..j of b.
        later = np.arange(1, period)  # j + 1
        before = period - later  # values taken from block b-1
        head_mean = halves.suffix_mean[:-1, 1:] + (references[:-1] - references[1:])[:, None]
        tail_mean = halves.prefix_mean[1:, :-1]
        gap[1:, :-1] = tail_mean - head_mean
        mean[1:, :-1] = head_mean + gap[1:, :-1] * (later / period)
        m2[1:, :-1] = (
            halves.suffix_m2[:-1, 1:]
            + halves.prefix_m2[1:, :-1]
            + gap[1:, :-1] ** 2 * (before * later / period)
        )
    return _Merged(mean, m2, gap)


def _block_range(values: FloatArray, period: int) -> FloatArray:
    """Range (max - min) of the blocks the window ending at each index touches."""
    blocks = _padded_blocks(values, period)
    high, low = blocks.max(axis=1), blocks.min(axis=1)
    pair_high, pair_low = high.copy(), low.copy()
    pair_high[1:] = np.maximum(high[1:], high[:-1])
    pair_low[1:] = np.minimum(low[1:], low[:-1])
    result: FloatArray = (pair_high - pair_low).repeat(period)[: values.size]
    return result


def _imprecise(values: FloatArray, period: int, m2: FloatArray, flat: BoolArray) -> BoolArray:
    """Windows whose spread is too small next to their blocks' range for the merged moments."""
    limit = _EXACT_BELOW * _block_range(values, period)
    with np.errstate(invalid="ignore"):
        imprecise: BoolArray = (m2 < period * limit * limit) & ~flat
    return imprecise


def _exact_rows(
    values: FloatArray, period: int, ends: npt.NDArray[np.intp]
) -> tuple[FloatArray, FloatArray]:
    """``(first_pass_mean, deviations)`` of the windows ending at ``ends`` (copied rows)."""
    rows = sliding_window_view(values, period)[ends - (period - 1)]
    first_pass = rows.mean(axis=1)
    return first_pass, rows - first_pass[:, None]


def _chunks(ends: npt.NDArray[np.intp], period: int) -> list[npt.NDArray[np.intp]]:
    step = max(1, CHUNK_ELEMENTS // period)
    return [ends[i : i + step] for i in range(0, ends.size, step)]


def _recompute_moments(
    values: FloatArray,
    period: int,
    ends: npt.NDArray[np.intp],
    out: tuple[FloatArray, FloatArray, FloatArray],
) -> None:
    """Two-pass (corrected) moments of the windows ending at ``ends``, written into ``out``."""
    mean, m2, last = out
    for chunk in _chunks(ends, period):
        first_pass, deviations = _exact_rows(values, period, chunk)
        correction = deviations.mean(axis=1)
        mean[chunk] = first_pass + correction
        squares = np.einsum("ij,ij->i", deviations, deviations)
        m2[chunk] = np.maximum(squares - period * correction * correction, 0.0)
        last[chunk] = deviations[:, -1] - correction


def window_moments(values: FloatArray, period: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return ``(mean, m2, last_deviation)`` of the window ending at each index.

    ``m2`` is the sum of squared deviations from the window mean and ``last_deviation`` the
    window's last value minus that mean; all are NaN before ``period`` values, and a window of
    equal values has ``m2`` and ``last_deviation`` exactly 0 and ``mean`` exactly the value.
    ``values`` must be a checked 1-D finite array.
    """
    n = values.size
    mean, m2, last = nan_array(n), nan_array(n), nan_array(n)
    if n < period:
        return mean, m2, last
    deviations, references = _blocks(values, period)
    merged = _merge(_welford_halves(deviations), references)
    relative_mean = merged.mean.reshape(-1)[:n]
    mean[:] = references.repeat(period)[:n] + relative_mean
    m2[:] = merged.m2.reshape(-1)[:n]
    last[:] = deviations.reshape(-1)[:n] - relative_mean
    flat = flat_windows(values, period)
    ends = np.flatnonzero(_imprecise(values, period, m2, flat))
    if ends.size:
        _recompute_moments(values, period, ends, (mean, m2, last))
    mean[flat], m2[flat], last[flat] = values[flat], 0.0, 0.0
    return mean, m2, last


def window_co_moments(
    x: FloatArray, y: FloatArray, period: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return ``(mean_x, mean_y, sxx, syy, sxy)`` of the window ending at each index.

    The ``s`` arrays are sums of products of deviations from the window means; all are NaN
    before ``period`` pairs; a series constant over a window has its ``s`` terms exactly 0 and
    its mean exactly the value. ``x`` and ``y`` must be checked 1-D finite arrays of one length.
    """
    n = x.size
    out = [nan_array(n) for _ in range(5)]
    if n < period:
        return out[0], out[1], out[2], out[3], out[4]
    deviations_x, references_x = _blocks(x, period)
    deviations_y, references_y = _blocks(y, period)
    merged_x = _merge(_welford_halves(deviations_x), references_x)
    merged_y = _merge(_welford_halves(deviations_y), references_y)
    prefix, suffix = _welford_cross(deviations_x, deviations_y)
    co = np.full_like(prefix, np.nan)
    co[:, -1] = prefix[:, -1]
    if period > 1 and prefix.shape[0] > 1:
        later = np.arange(1, period)
        weight = (period - later) * later / period
        co[1:, :-1] = (
            suffix[:-1, 1:]
            + prefix[1:, :-1]
            + merged_x.gap[1:, :-1] * merged_y.gap[1:, :-1] * weight
        )
    mean_x, mean_y, sxx, syy, sxy = out
    mean_x[:] = references_x.repeat(period)[:n] + merged_x.mean.reshape(-1)[:n]
    mean_y[:] = references_y.repeat(period)[:n] + merged_y.mean.reshape(-1)[:n]
    sxx[:] = merged_x.m2.reshape(-1)[:n]
    syy[:] = merged_y.m2.reshape(-1)[:n]
    sxy[:] = co.reshape(-1)[:n]
    flat_x, flat_y = flat_windows(x, period), flat_windows(y, period)
    imprecise = _imprecise(x, period, sxx, flat_x) | _imprecise(y, period, syy, flat_y)
    for chunk in _chunks(np.flatnonzero(imprecise), period):
        first_x, deviations_x = _exact_rows(x, period, chunk)
        first_y, deviations_y = _exact_rows(y, period, chunk)
        correction_x, correction_y = deviations_x.mean(axis=1), deviations_y.mean(axis=1)
        mean_x[chunk] = first_x + correction_x
        mean_y[chunk] = first_y + correction_y
        xx = np.einsum("ij,ij->i", deviations_x, deviations_x) - period * correction_x**2
        yy = np.einsum("ij,ij->i", deviations_y, deviations_y) - period * correction_y**2
        sxx[chunk], syy[chunk] = np.maximum(xx, 0.0), np.maximum(yy, 0.0)
        xy = np.einsum("ij,ij->i", deviations_x, deviations_y)
        sxy[chunk] = xy - period * correction_x * correction_y
    for values, mean, m2, flat in ((x, mean_x, sxx, flat_x), (y, mean_y, syy, flat_y)):
        mean[flat], m2[flat], sxy[flat] = values[flat], 0.0, 0.0
    return mean_x, mean_y, sxx, syy, sxy

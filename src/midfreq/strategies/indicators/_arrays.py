"""Shared checks and array helpers for the indicators: period validation, input arrays for the
batch forms, row-chunked sliding windows and the runs of equal values that mark a flat window."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Window rows per chunk in the batch forms: temporaries stay near 8 MB whatever the length.
CHUNK_ELEMENTS = 1 << 20


def check_period(period: object, minimum: int, name: str = "period") -> int:
    """Return ``period`` if it is an integer >= ``minimum``; raise ValueError otherwise."""
    if isinstance(period, bool) or not isinstance(period, int) or period < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, was {period!r}")
    return period


def check_ddof(ddof: object, period: int) -> int:
    """Return ``ddof`` if it is 0 or 1 and below ``period``; raise ValueError otherwise."""
    if isinstance(ddof, bool) or not isinstance(ddof, int) or ddof not in (0, 1):
        raise ValueError(f"ddof: expected 0 or 1, was {ddof!r}")
    if period <= ddof:
        raise ValueError(f"period: expected an integer > ddof ({ddof}), was {period!r}")
    return ddof


def as_series(values: npt.ArrayLike, name: str = "values") -> FloatArray:
    """Return ``values`` as a 1-D float64 array of finite numbers; raise ValueError otherwise."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, was shape {array.shape}")
    finite = np.isfinite(array)
    if not finite.all():
        index = int(np.argmin(finite))
        raise ValueError(f"{name}: expected finite values, was {array[index]} at index {index}")
    return array


def as_series_pair(
    first: npt.ArrayLike, second: npt.ArrayLike, names: tuple[str, str]
) -> tuple[FloatArray, FloatArray]:
    """Return two checked 1-D arrays of the same length; raise ValueError otherwise."""
    a, b = as_series(first, names[0]), as_series(second, names[1])
    if a.shape != b.shape:
        raise ValueError(f"{names[1]}: expected the length of {names[0]} ({a.size}), was {b.size}")
    return a, b


def window_chunks(values: FloatArray, period: int) -> Iterator[tuple[int, FloatArray]]:
    """Yield ``(first_row, rows)``: chunks of the ``(n - period + 1, period)`` window view.

    Row ``r`` is the window ending at index ``r + period - 1``. The view copies nothing; each
    chunk's arithmetic allocates at most about ``CHUNK_ELEMENTS`` floats.
    """
    if values.size < period:
        return
    windows = sliding_window_view(values, period)
    step = max(1, CHUNK_ELEMENTS // period)
    for start in range(0, windows.shape[0], step):
        yield start, windows[start : start + step]


def flat_windows(values: FloatArray, period: int) -> BoolArray:
    """Mark index ``i`` True when the ``period`` values ending there are all equal."""
    n = values.size
    if n == 0:
        return np.zeros(0, dtype=np.bool_)
    index = np.arange(n)
    changed = np.empty(n, dtype=np.bool_)
    changed[0] = True
    np.not_equal(values[1:], values[:-1], out=changed[1:])
    run_start = np.maximum.accumulate(np.where(changed, index, 0))
    flat: BoolArray = index - run_start + 1 >= period
    return flat


def nan_array(n: int) -> FloatArray:
    """An array of ``n`` NaNs."""
    return np.full(n, np.nan)

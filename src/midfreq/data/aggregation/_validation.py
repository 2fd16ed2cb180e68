"""Argument and event validation shared by the batch functions and the streaming builders."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from midfreq.core.errors import DataError, expected

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_INF = math.inf
_MIN_TS = -(2**63)


def _positive_int(where: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise expected(f"{where}: {name}", value, "an integer > 0")
    return int(value)


def _positive_float(where: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise expected(f"{where}: {name}", value, "a finite number > 0")
    number = float(value)
    if not (0.0 < number < _INF):
        raise expected(f"{where}: {name}", value, "a finite number > 0")
    return number


def _int_arg(where: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise expected(f"{where}: {name}", value, "an integer (UTC nanoseconds)")
    return int(value)


def _timestamps(where: str, ts: npt.ArrayLike) -> IntArray:
    array = np.asarray(ts)
    if array.ndim != 1 or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise ValueError(
            f"{where}: ts: expected a 1-D integer array of UTC nanoseconds, was "
            f"{array.ndim}-D {array.dtype}"
        )
    array = np.ascontiguousarray(array, dtype=np.int64)
    if array.size > 1:
        backwards = array[1:] < array[:-1]
        if backwards.any():
            i = int(np.argmax(backwards)) + 1
            raise DataError(
                f"{where}: ts: expected non-decreasing timestamps, was {int(array[i])} at row "
                f"{i} after {int(array[i - 1])} at row {i - 1}"
            )
    return array


def _column(
    where: str, name: str, values: npt.ArrayLike, length: int, *, minimum: float | None = None
) -> FloatArray:
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.shape != (length,):
        raise ValueError(f"{where}: {name}: expected shape ({length},) like ts, was {array.shape}")
    bad = ~np.isfinite(array)
    if minimum is not None:
        bad |= array < minimum
    if bad.any():
        i = int(np.argmax(bad))
        what = "finite values" if minimum is None else f"finite values >= {minimum:g}"
        raise DataError(f"{where}: {name}: expected {what}, was {float(array[i])!r} at row {i}")
    return array


def _trades(
    where: str, ts: npt.ArrayLike, price: npt.ArrayLike, size: npt.ArrayLike
) -> tuple[IntArray, FloatArray, FloatArray]:
    stamps = _timestamps(where, ts)
    n = stamps.shape[0]
    return stamps, _column(where, "price", price, n), _column(where, "size", size, n, minimum=0.0)


def _check_event(where: str, floor: int, price: float, size: float, ts: int) -> None:
    """Raise for the first problem of an event (called only once a cheap test has failed)."""
    if ts < floor:
        raise DataError(
            f"{where}: ts: expected >= {floor} (the last update or emitted bar end), was {ts}"
        )
    if not (-_INF < price < _INF):
        raise DataError(f"{where}: price: expected a finite number, was {price!r}")
    raise DataError(f"{where}: size: expected a finite number >= 0, was {size!r}")

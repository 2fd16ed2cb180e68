"""Boundary checks shared by the analytics modules: turn array-likes into float arrays of the
expected shape and reject bad parameters with "expected X, was Y" messages."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from midfreq.core.errors import expected

FloatArray = npt.NDArray[np.float64]


def vector(name: str, values: npt.ArrayLike, size: int | None = None) -> FloatArray:
    """A 1-D float array of finite numbers (of ``size`` elements when given)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise expected(name, f"shape {array.shape}", "a 1-D array")
    if size is not None and array.shape[0] != size:
        raise expected(name, f"{array.shape[0]} elements", f"{size} elements")
    if not np.isfinite(array).all():
        raise expected(name, "non-finite values", "finite numbers")
    return array


def matrix(name: str, values: npt.ArrayLike, columns: int | None = None) -> FloatArray:
    """A 2-D float array (T x N); NaN allowed (the caller applies its NaN policy), inf not."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1 and columns == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise expected(name, f"shape {array.shape}", "a 2-D array (periods x instruments)")
    if columns is not None and array.shape[1] != columns:
        raise expected(name, f"{array.shape[1]} columns", f"{columns} columns (one per position)")
    if np.isinf(array).any():
        raise expected(name, "infinite values", "finite numbers or NaN")
    return array


def covariance_matrix(name: str, values: npt.ArrayLike, size: int | None = None) -> FloatArray:
    """A finite, square, symmetric matrix with a non-negative diagonal."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise expected(name, f"shape {array.shape}", "a square matrix")
    if size is not None and array.shape[0] != size:
        raise expected(name, f"shape {array.shape}", f"shape ({size}, {size})")
    if not np.isfinite(array).all():
        raise expected(name, "non-finite values", "finite numbers (no NaN pairs left)")
    scale = max(float(np.abs(array).max(initial=0.0)), 1e-300)
    if not np.allclose(array, array.T, rtol=0.0, atol=1e-12 * scale):
        raise expected(name, "an asymmetric matrix", "a symmetric matrix")
    if (np.diag(array) < 0).any():
        raise expected(name, "negative variances", "a non-negative diagonal")
    return array


def confidence(value: float) -> float:
    """A confidence level strictly between 0 and 1."""
    if not 0.0 < value < 1.0:
        raise expected("confidence", value, "a level strictly between 0 and 1, e.g. 0.99")
    return float(value)


def horizon(value: int) -> int:
    """A horizon of a whole number of periods, at least 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise expected("horizon", value, "a whole number of periods >= 1")
    return int(value)


def positive(name: str, value: float) -> float:
    """A finite number > 0."""
    if not math.isfinite(value) or value <= 0:
        raise expected(name, value, "a finite number > 0")
    return float(value)


def decay(value: float) -> float:
    """An EWMA decay factor lambda in (0, 1)."""
    if not 0.0 < value < 1.0:
        raise expected("decay", value, "a factor strictly between 0 and 1, e.g. 0.94")
    return float(value)

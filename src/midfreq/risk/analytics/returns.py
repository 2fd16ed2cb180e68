"""Return matrices for the risk analytics: period returns from prices and multi-period
(compounded, overlapping) returns. Every analytics function takes simple returns, periods in
rows and instruments in columns (T x N); a missing price gives NaN, never a made-up number."""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

from midfreq.core.errors import expected
from midfreq.risk.analytics._checks import FloatArray, matrix

__all__ = ["ReturnKind", "multi_period_returns", "returns_from_prices"]


class ReturnKind(StrEnum):
    """How a period's return is measured from two prices."""

    SIMPLE = "SIMPLE"  # p1 / p0 - 1: what a position's value changes by
    LOG = "LOG"  # ln(p1 / p0): adds over periods


def returns_from_prices(prices: npt.ArrayLike, kind: ReturnKind = ReturnKind.SIMPLE) -> FloatArray:
    """Return period returns (T-1 x N) from prices (T x N, or a 1-D series as one column).

    A NaN price makes NaN the returns into and out of it: a gap is reported, not bridged.

    Parameters
    ----------
    prices : array_like
        Positive prices, periods in rows; NaN where there is no price.
    kind : ReturnKind
        ``SIMPLE`` (default; what the VaR and stress functions expect) or ``LOG``.

    Raises
    ------
    ValueError
        If a price is zero or negative, or fewer than two periods are given.

    Examples
    --------
    >>> returns_from_prices([100.0, 110.0, 99.0]).ravel().round(4).tolist()
    [0.1, -0.1]
    """
    array = np.asarray(prices, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    array = matrix("prices", array)
    if array.shape[0] < 2:
        raise expected("prices", f"{array.shape[0]} periods", "at least 2 periods")
    if (array[~np.isnan(array)] <= 0).any():
        raise expected("prices", "a price <= 0", "positive prices (NaN where missing)")
    ratio = array[1:] / array[:-1]
    return np.log(ratio) if kind is ReturnKind.LOG else ratio - 1.0


def multi_period_returns(returns: npt.ArrayLike, periods: int) -> FloatArray:
    """Return the overlapping compounded ``periods``-period returns of simple returns.

    Row ``k`` is ``prod(1 + r[k : k + periods]) - 1``: the return of holding from the start of
    period ``k`` to the end of period ``k + periods - 1``, so T periods give ``T - periods + 1``
    rows (consecutive rows share ``periods - 1`` periods: they are not independent). A NaN
    anywhere in a window makes that window's return NaN.

    Examples
    --------
    >>> multi_period_returns([[0.1], [0.1], [-0.5]], 2).ravel().round(4).tolist()
    [0.21, -0.45]
    """
    array = matrix("returns", returns)
    if isinstance(periods, bool) or not isinstance(periods, int | np.integer) or periods < 1:
        raise expected("periods", periods, "a whole number >= 1")
    if periods > array.shape[0]:
        raise expected("periods", periods, f"at most the {array.shape[0]} periods supplied")
    if (array[~np.isnan(array)] <= -1.0).any():
        raise expected("returns", "a return <= -100%", "simple returns > -1")
    if periods == 1:
        return array.copy()
    # Sums of logs over a sliding window, then back: one pass, exact to rounding. A NaN is
    # summed as 0 and the windows that contain one are marked NaN afterwards.
    missing = np.isnan(array)
    zero = np.zeros((1, array.shape[1]))
    logs = np.vstack([zero, np.cumsum(np.log1p(np.where(missing, 0.0, array)), axis=0)])
    counts = np.vstack([zero, np.cumsum(missing, axis=0)])
    window = logs[periods:] - logs[:-periods]
    has_nan = (counts[periods:] - counts[:-periods]) > 0
    result: FloatArray = np.expm1(window)
    result[has_nan] = np.nan
    return result

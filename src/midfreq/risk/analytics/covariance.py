"""Covariance and correlation of instrument returns: full-sample, rolling-window and
exponentially weighted (RiskMetrics), in batch over a T x N returns matrix and online one period
at a time, with one explicit policy for missing returns.

Missing data (NaN) follows ``NanPolicy``: ``PAIRWISE`` (default) estimates each pair from the
periods where both returns are present, the way pandas does, so a short history (an instrument
listed late) costs only its own pairs; ``DROP_ROWS`` uses only periods where every instrument is
present (a positive semi-definite result, at the price of the shortest history);
``ZERO`` reads a missing return as no price change. A pair with fewer than ``min_periods``
joint observations is NaN: the caller decides what an unknown covariance means, nothing here
invents one. Pairwise estimates need not be positive semi-definite; `nearest_psd` repairs one.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

from midfreq.core.errors import expected
from midfreq.risk.analytics._checks import FloatArray, decay, matrix, vector

__all__ = [
    "RISKMETRICS_DECAY",
    "EwmaCovariance",
    "NanPolicy",
    "correlation_from_covariance",
    "covariance_from_correlation",
    "ewma_correlation",
    "ewma_covariance",
    "ewma_volatility",
    "nearest_psd",
    "rolling_correlation",
    "rolling_covariance",
    "sample_correlation",
    "sample_covariance",
]

RISKMETRICS_DECAY = 0.94
"""The RiskMetrics (1996) decay factor for daily returns."""


class NanPolicy(StrEnum):
    """What a missing (NaN) return means to an estimator."""

    PAIRWISE = "PAIRWISE"  # each pair uses the periods where both are present
    DROP_ROWS = "DROP_ROWS"  # only periods where every instrument is present
    ZERO = "ZERO"  # a missing return is a zero return (no price change)


def _prepare(returns: npt.ArrayLike, nan_policy: NanPolicy) -> tuple[FloatArray, FloatArray]:
    """Values with NaN set to 0 and the mask (1.0 present, 0.0 missing) the policy implies."""
    array = matrix("returns", returns)
    present = ~np.isnan(array)
    values = np.where(present, array, 0.0)
    if nan_policy is NanPolicy.ZERO:
        present[:] = True
    elif nan_policy is NanPolicy.DROP_ROWS:
        present &= present.all(axis=1, keepdims=True)
        values *= present
    return values, present.astype(np.float64)


def _moments(
    values: FloatArray, mask: FloatArray, weights: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Pairwise weighted sums, element [i, j] over the periods where i and j are both present.

    ``count`` = sum w, ``first`` = sum w x_i, ``cross`` = sum w x_i x_j, ``square`` = sum w x_i^2.
    ``values`` is already 0 where missing, so a product with the mask of j is the joint sum.
    """
    weighted_values = values * weights[:, None]
    weighted_mask = mask * weights[:, None]
    count = weighted_mask.T @ mask
    first = weighted_values.T @ mask
    cross = weighted_values.T @ values
    square = (weighted_values * values).T @ mask
    return count, first, cross, square


def _transpose(array: FloatArray) -> FloatArray:
    # The last two axes: the matrices of a T x N x N stack are transposed one by one.
    return np.swapaxes(array, -1, -2)


def _covariance(
    count: FloatArray,
    first: FloatArray,
    cross: FloatArray,
    *,
    demean: bool,
    ddof: int,
    valid: npt.NDArray[np.bool_],
) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if demean:
            centered = cross - first * _transpose(first) / count
        else:
            centered = cross
        result: FloatArray = centered / (count - ddof)
    result[~valid] = np.nan
    return result


def _correlation(
    count: FloatArray,
    first: FloatArray,
    cross: FloatArray,
    square: FloatArray,
    *,
    demean: bool,
    valid: npt.NDArray[np.bool_],
) -> FloatArray:
    # Each pair's variances come from the same joint periods as its covariance (as pandas).
    with np.errstate(divide="ignore", invalid="ignore"):
        if demean:
            covariance = cross - first * _transpose(first) / count
            variance = square - first * first / count
        else:
            covariance, variance = cross, square
        result: FloatArray = covariance / np.sqrt(variance * _transpose(variance))
    result[~valid] = np.nan
    return np.clip(result, -1.0, 1.0, out=result)


def _min_periods(value: int, floor: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < floor:
        raise expected("min_periods", value, f"a whole number >= {floor}")
    return int(value)


def sample_covariance(
    returns: npt.ArrayLike,
    *,
    min_periods: int = 2,
    nan_policy: NanPolicy = NanPolicy.PAIRWISE,
    ddof: int = 1,
) -> FloatArray:
    """Return the sample covariance matrix (N x N) of a returns matrix (T x N).

    With no NaN this is ``np.cov(returns, rowvar=False, ddof=ddof)``.

    Parameters
    ----------
    returns : array_like
        Periods in rows, instruments in columns; NaN where missing.
    min_periods : int
        Fewest joint observations for a pair to be estimated; fewer gives NaN.
    nan_policy : NanPolicy
        See the module docstring.
    ddof : int
        Delta degrees of freedom: 1 for the unbiased estimator, 0 for the maximum likelihood one.
    """
    values, mask = _prepare(returns, nan_policy)
    count, first, cross, _ = _moments(values, mask, np.ones(values.shape[0]))
    floor = _min_periods(min_periods, ddof + 1)
    return _covariance(count, first, cross, demean=True, ddof=ddof, valid=count >= floor)


def sample_correlation(
    returns: npt.ArrayLike,
    *,
    min_periods: int = 2,
    nan_policy: NanPolicy = NanPolicy.PAIRWISE,
) -> FloatArray:
    """Return the sample (Pearson) correlation matrix; NaN where a pair has too few periods or a
    zero variance."""
    values, mask = _prepare(returns, nan_policy)
    count, first, cross, square = _moments(values, mask, np.ones(values.shape[0]))
    valid = count >= _min_periods(min_periods, 2)
    return _correlation(count, first, cross, square, demean=True, valid=valid)


def _rolling_moments(
    returns: npt.ArrayLike, window: int, nan_policy: NanPolicy
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 2:
        raise expected("window", window, "a whole number of periods >= 2")
    values, mask = _prepare(returns, nan_policy)
    # Shift each column by its mean: covariance is unchanged and the running sums below stay
    # small, so differences of cumulative sums lose no precision worth mentioning.
    present = mask.sum(axis=0)
    shift = np.divide(values.sum(axis=0), present, out=np.zeros(values.shape[1]), where=present > 0)
    values = (values - shift) * mask
    n_periods, n_columns = values.shape
    count = np.zeros((n_periods + 1, n_columns, n_columns))
    first = np.zeros_like(count)
    cross = np.zeros_like(count)
    square = np.zeros_like(count)
    np.cumsum(mask[:, :, None] * mask[:, None, :], axis=0, out=count[1:])
    np.cumsum(values[:, :, None] * mask[:, None, :], axis=0, out=first[1:])
    np.cumsum(values[:, :, None] * values[:, None, :], axis=0, out=cross[1:])
    np.cumsum((values * values)[:, :, None] * mask[:, None, :], axis=0, out=square[1:])
    starts = np.maximum(np.arange(1, n_periods + 1) - window, 0)
    ends = np.arange(1, n_periods + 1)
    return (
        count[ends] - count[starts],
        first[ends] - first[starts],
        cross[ends] - cross[starts],
        square[ends] - square[starts],
    )


def rolling_covariance(
    returns: npt.ArrayLike,
    window: int,
    *,
    min_periods: int | None = None,
    nan_policy: NanPolicy = NanPolicy.PAIRWISE,
) -> FloatArray:
    """Return the covariance over the trailing ``window`` periods at every period (T x N x N).

    Element ``[t]`` covers periods ``t - window + 1 .. t`` (fewer at the start), unbiased
    (ddof 1), like ``pandas.DataFrame.rolling(window, min_periods).cov()``.

    The result holds T x N x N numbers (and the computation four such arrays): for the current
    estimate of a large universe use ``sample_covariance(returns[-window:])`` instead.

    Parameters
    ----------
    window : int
        Periods in each window, at least 2.
    min_periods : int, optional
        Fewest joint observations in a window for a pair to be estimated; default ``window``.
    """
    count, first, cross, _ = _rolling_moments(returns, window, nan_policy)
    floor = _min_periods(window if min_periods is None else min_periods, 2)
    return _covariance(count, first, cross, demean=True, ddof=1, valid=count >= floor)


def rolling_correlation(
    returns: npt.ArrayLike,
    window: int,
    *,
    min_periods: int | None = None,
    nan_policy: NanPolicy = NanPolicy.PAIRWISE,
) -> FloatArray:
    """Return the trailing-window correlation at every period (T x N x N); see
    `rolling_covariance` for the window and size."""
    count, first, cross, square = _rolling_moments(returns, window, nan_policy)
    valid = count >= _min_periods(window if min_periods is None else min_periods, 2)
    return _correlation(count, first, cross, square, demean=True, valid=valid)


def _ewma_weights(n_periods: int, lam: float) -> FloatArray:
    # Newest period weight 1, the one before lambda, ... (normalised by the pairwise sum).
    weights: FloatArray = lam ** np.arange(n_periods - 1, -1, -1, dtype=np.float64)
    return weights


def ewma_covariance(
    returns: npt.ArrayLike,
    decay_factor: float = RISKMETRICS_DECAY,
    *,
    demean: bool = False,
    min_periods: int = 2,
    nan_policy: NanPolicy = NanPolicy.PAIRWISE,
) -> FloatArray:
    """Return the exponentially weighted covariance (N x N) at the last period.

    ``sum_k lambda^k r_{t-k} r_{t-k}^T / sum_k lambda^k`` over the periods present: the
    RiskMetrics recursion ``S_t = lambda S_{t-1} + (1 - lambda) r_t r_t^T`` with its weights
    normalised over the finite history, so no start value has to be assumed. Zero mean by
    default (RiskMetrics); ``demean=True`` subtracts the weighted mean, which equals
    ``pandas.DataFrame.ewm(alpha=1 - lambda, adjust=True).cov(bias=True)``.

    Parameters
    ----------
    returns : array_like
        T x N returns; NaN where missing (see ``nan_policy``).
    decay_factor : float
        Lambda in (0, 1); 0.94 (RiskMetrics daily) by default.
    demean : bool
        Subtract the exponentially weighted mean.
    min_periods : int
        Fewest joint observations for a pair to be estimated; fewer gives NaN.
    """
    lam = decay(decay_factor)
    values, mask = _prepare(returns, nan_policy)
    count, first, cross, _ = _moments(values, mask, _ewma_weights(values.shape[0], lam))
    joint = mask.T @ mask
    valid = joint >= _min_periods(min_periods, 1)
    return _covariance(count, first, cross, demean=demean, ddof=0, valid=valid)


def ewma_correlation(
    returns: npt.ArrayLike,
    decay_factor: float = RISKMETRICS_DECAY,
    *,
    demean: bool = False,
    min_periods: int = 2,
    nan_policy: NanPolicy = NanPolicy.PAIRWISE,
) -> FloatArray:
    """Return the exponentially weighted correlation (N x N) at the last period; see
    `ewma_covariance`."""
    lam = decay(decay_factor)
    values, mask = _prepare(returns, nan_policy)
    count, first, cross, square = _moments(values, mask, _ewma_weights(values.shape[0], lam))
    valid = mask.T @ mask >= _min_periods(min_periods, 1)
    return _correlation(count, first, cross, square, demean=demean, valid=valid)


def ewma_volatility(
    returns: npt.ArrayLike,
    decay_factor: float = RISKMETRICS_DECAY,
    *,
    min_periods: int = 2,
) -> FloatArray:
    """Return each instrument's zero-mean EWMA volatility at every period (T x N).

    Row ``t`` uses returns up to and including ``t`` (a forecast for ``t + 1``); missing
    returns are skipped, and an instrument with fewer than ``min_periods`` returns so far is NaN.
    """
    lam = decay(decay_factor)
    array = matrix("returns", returns)
    present = ~np.isnan(array)
    squares = np.where(present, array * array, 0.0)
    floor = _min_periods(min_periods, 1)
    weights = present.astype(np.float64)
    numerator = np.zeros(array.shape[1])
    denominator = np.zeros(array.shape[1])
    result = np.empty_like(array)
    for t in range(array.shape[0]):  # T steps of O(N): no T x T weight matrix
        numerator = lam * numerator + squares[t]
        denominator = lam * denominator + weights[t]
        with np.errstate(divide="ignore", invalid="ignore"):
            result[t] = np.sqrt(numerator / denominator)
    counts = np.cumsum(present, axis=0)
    result[counts < floor] = np.nan
    return result


class EwmaCovariance:
    """Online EWMA covariance: feed one period's returns at a time, read the estimate.

    Gives exactly what `ewma_covariance` gives on the same rows (pairwise NaN handling).
    Each update costs O(N^2).

    Examples
    --------
    >>> estimator = EwmaCovariance(2, decay_factor=0.5, min_periods=1)
    >>> estimator.update([0.01, -0.02])
    >>> estimator.update([0.03, float("nan")])
    >>> estimator.covariance().round(6).tolist()
    [[0.000633, -0.0002], [-0.0002, 0.0004]]
    """

    def __init__(
        self,
        instruments: int,
        decay_factor: float = RISKMETRICS_DECAY,
        *,
        demean: bool = False,
        min_periods: int = 2,
    ) -> None:
        if isinstance(instruments, bool) or not isinstance(instruments, int) or instruments < 1:
            raise expected("instruments", instruments, "a whole number >= 1")
        self.decay_factor = decay(decay_factor)
        self.demean = demean
        self.min_periods = _min_periods(min_periods, 1)
        shape = (instruments, instruments)
        self._count = np.zeros(shape)
        self._first = np.zeros(shape)
        self._cross = np.zeros(shape)
        self._square = np.zeros(shape)
        self._joint = np.zeros(shape)
        self.periods = 0

    def update(self, returns: npt.ArrayLike) -> None:
        """Add one period's returns (NaN where missing)."""
        row = np.asarray(returns, dtype=np.float64)
        if row.shape != (self._count.shape[0],):
            raise expected("returns", f"shape {row.shape}", f"shape ({self._count.shape[0]},)")
        present = ~np.isnan(row)
        values = np.where(present, row, 0.0)
        mask = present.astype(np.float64)
        lam = self.decay_factor
        self._count = lam * self._count + np.outer(mask, mask)
        self._first = lam * self._first + np.outer(values, mask)
        self._cross = lam * self._cross + np.outer(values, values)
        self._square = lam * self._square + np.outer(values * values, mask)
        self._joint += np.outer(mask, mask)
        self.periods += 1

    def covariance(self) -> FloatArray:
        """The current estimate (N x N); NaN for pairs with fewer than ``min_periods``."""
        return _covariance(
            self._count,
            self._first,
            self._cross,
            demean=self.demean,
            ddof=0,
            valid=self._joint >= self.min_periods,
        )

    def correlation(self) -> FloatArray:
        """The current correlation estimate (N x N)."""
        return _correlation(
            self._count,
            self._first,
            self._cross,
            self._square,
            demean=self.demean,
            valid=self._joint >= self.min_periods,
        )


def correlation_from_covariance(covariance: npt.ArrayLike) -> FloatArray:
    """Return ``cov_ij / (sigma_i sigma_j)``; NaN where a variance is zero."""
    array = np.asarray(covariance, dtype=np.float64)
    sigma = np.sqrt(np.diag(array))
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = array / np.outer(sigma, sigma)
    return result


def covariance_from_correlation(
    correlation: npt.ArrayLike, volatilities: npt.ArrayLike
) -> FloatArray:
    """Return ``rho_ij sigma_i sigma_j``."""
    sigma = vector("volatilities", volatilities)
    array = np.asarray(correlation, dtype=np.float64)
    result: FloatArray = array * np.outer(sigma, sigma)
    return result


def nearest_psd(covariance: npt.ArrayLike, floor: float = 0.0) -> FloatArray:
    """Return the symmetric matrix nearest (Frobenius) to ``covariance`` with eigenvalues
    ``>= floor``: eigenvalues below the floor are raised to it.

    Use it on a pairwise estimate before a Cholesky factorisation or a VaR.
    """
    array = np.asarray(covariance, dtype=np.float64)
    symmetric = (array + array.T) / 2.0
    eigenvalues, eigenvectors = np.linalg.eigh(symmetric)
    clipped = np.maximum(eigenvalues, floor)
    result: FloatArray = (eigenvectors * clipped) @ eigenvectors.T
    return (result + result.T) / 2.0

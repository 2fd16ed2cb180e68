"""Pair statistics for statistical arbitrage: the Engle-Granger cointegration test of one pair
(statsmodels), the spread's mean-reversion half-life, and the selection of pairs from a universe
by return correlation and cointegration."""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class CointegrationTest:
    """The Engle-Granger test of ``y`` against ``x`` over one window.

    Attributes
    ----------
    t_statistic : float
        ADF statistic of the OLS residual ``y - beta * x - alpha`` (more negative: stronger).
    pvalue : float
        MacKinnon p-value of ``t_statistic`` (small: cointegrated).
    beta, alpha : float
        The OLS hedge ratio and intercept of ``y`` on ``x`` over the window.
    half_life : float
        Bars for the residual to close half its distance to its mean, from the AR(1) fit
        ``diff(s) = lam * s[:-1] + c``: ``-ln 2 / ln(1 + lam)``; ``inf`` when it does not
        revert (``lam >= 0``).
    """

    t_statistic: float
    pvalue: float
    beta: float
    alpha: float
    half_life: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PairCandidate:
    """A pair that passed selection: trade ``y - beta * x``.

    Attributes
    ----------
    y, x : str
        The dependent leg (the more volatile price) and the hedge leg.
    correlation : float
        Pearson correlation of the two legs' simple returns over the window.
    test : CointegrationTest
        The Engle-Granger test of ``y`` on ``x``.
    """

    y: str
    x: str
    correlation: float
    test: CointegrationTest


def half_life(spread: npt.ArrayLike) -> float:
    """Return the mean-reversion half-life of ``spread`` in bars (``inf`` if it does not revert).

    Fits ``diff(s) = lam * s[:-1] + c`` by least squares and returns ``-ln 2 / ln(1 + lam)``.

    Examples
    --------
    >>> s = [1.0, 0.5, 0.25, 0.125, 0.0625]  # halves every bar
    >>> round(half_life(s), 6)
    1.0
    """
    values = np.asarray(spread, dtype=np.float64)
    if values.ndim != 1 or values.size < 3:
        raise ValueError(f"spread: expected a 1-D series of >= 3 values, was shape {values.shape}")
    lagged = values[:-1]
    design = np.column_stack([lagged, np.ones_like(lagged)])
    (lam, _), *_ = np.linalg.lstsq(design, np.diff(values), rcond=None)
    if not -1.0 < lam < 0.0:
        return math.inf if lam >= 0.0 else 0.0
    return -math.log(2.0) / math.log1p(lam)


def engle_granger(
    y: npt.ArrayLike, x: npt.ArrayLike, max_lag: int | None = None
) -> CointegrationTest:
    """Run the Engle-Granger two-step test of ``y`` on ``x`` (``statsmodels.tsa.stattools.coint``
    with a constant, the ADF lags chosen by AIC up to ``max_lag``) and fit the hedge ratio.

    ``max_lag`` None is statsmodels' default, ``12 * (n / 100) ** 0.25``; each lag tried costs
    one regression, so a small maximum makes the test several times faster.

    Raises
    ------
    ValueError
        If the series are not 1-D, of one length and at least 20 values long.
    """
    # statsmodels takes a second to import: loaded when a pair is first tested.
    from statsmodels.tools.sm_exceptions import CollinearityWarning
    from statsmodels.tsa.stattools import coint

    ys = np.asarray(y, dtype=np.float64)
    xs = np.asarray(x, dtype=np.float64)
    if ys.ndim != 1 or ys.shape != xs.shape or ys.size < 20:
        raise ValueError(
            f"y, x: expected two 1-D series of one length >= 20, were shapes {ys.shape}, {xs.shape}"
        )
    beta, alpha = np.polyfit(xs, ys, 1)
    with warnings.catch_warnings():
        # Perfectly collinear legs give p = 0 with a warning: that is a (degenerate) pass.
        warnings.simplefilter("ignore", CollinearityWarning)
        t_statistic, pvalue, _ = coint(ys, xs, trend="c", maxlag=max_lag, autolag="aic")
    residual = ys - beta * xs - alpha
    return CointegrationTest(
        t_statistic=float(t_statistic),
        pvalue=float(pvalue),
        beta=float(beta),
        alpha=float(alpha),
        half_life=half_life(residual),
    )


def passes(test: CointegrationTest, max_pvalue: float, max_half_life: float | None) -> bool:
    """Whether ``test`` shows a tradeable pair: p-value and half-life within the limits."""
    if not test.pvalue <= max_pvalue:
        return False
    return max_half_life is None or test.half_life <= max_half_life


def return_correlation(y: FloatArray, x: FloatArray) -> float:
    """Pearson correlation of the simple returns of two price series (NaN if one is flat)."""
    returns_y = np.diff(y) / y[:-1]
    returns_x = np.diff(x) / x[:-1]
    if returns_y.std() == 0.0 or returns_x.std() == 0.0:
        return math.nan
    return float(np.corrcoef(returns_y, returns_x)[0, 1])


def select_pairs(
    closes: Mapping[str, npt.ArrayLike],
    *,
    min_correlation: float = 0.5,
    max_pvalue: float = 0.05,
    max_half_life: float | None = None,
    max_pairs: int = 5,
    max_lag: int | None = None,
) -> list[PairCandidate]:
    """Choose pairs to trade from aligned close prices of a universe.

    Every pair of symbols whose return correlation is at least ``min_correlation`` is oriented
    with the more volatile leg (larger standard deviation of its price over the window) as
    ``y``, so the hedge leg ``x`` is the quieter one and ``|beta|`` is near or above 1 for
    close relatives, and tested that way. (The Engle-Granger test is not symmetric; picking
    the way with the stronger statistic would let sampling noise flip a pair's orientation
    between selections.) Pairs that pass (p-value <= ``max_pvalue``, half-life <=
    ``max_half_life``) are taken best p-value first (ties: higher correlation, then symbol
    order), each symbol in at most one pair, at most ``max_pairs``. ``max_lag`` is passed to
    `engle_granger`.

    Parameters
    ----------
    closes : mapping of str to array
        Close prices per symbol, all of one length, aligned in time (positive).

    Returns
    -------
    list of PairCandidate
        The chosen pairs, best first.

    Raises
    ------
    ValueError
        If the series differ in length or are shorter than 20 values.
    """
    symbols = list(closes)
    series = {s: np.asarray(closes[s], dtype=np.float64) for s in symbols}
    lengths = {v.shape for v in series.values()}
    if len(lengths) > 1 or any(v.ndim != 1 or v.size < 20 for v in series.values()):
        raise ValueError(
            f"closes: expected 1-D series of one length >= 20, were shapes {sorted(lengths)}"
        )
    found: list[tuple[float, float, int, PairCandidate]] = []
    for order, (a, b) in enumerate(itertools.combinations(symbols, 2)):
        correlation = return_correlation(series[a], series[b])
        if not correlation >= min_correlation:
            continue
        y, x = (b, a) if series[b].std() > series[a].std() else (a, b)
        test = engle_granger(series[y], series[x], max_lag)
        candidate = PairCandidate(y=y, x=x, correlation=correlation, test=test)
        if passes(candidate.test, max_pvalue, max_half_life):
            found.append((candidate.test.pvalue, -correlation, order, candidate))
    found.sort(key=lambda item: item[:3])
    chosen: list[PairCandidate] = []
    used: set[str] = set()
    for *_, candidate in found:
        if len(chosen) >= max_pairs:
            break
        if candidate.y in used or candidate.x in used:
            continue
        chosen.append(candidate)
        used.update((candidate.y, candidate.x))
    return chosen

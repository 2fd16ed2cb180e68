"""Value at risk and expected shortfall of a book of linear positions: historical, parametric
(normal), Cornish-Fisher and Monte Carlo, each with per-position contributions that add up to
the total.

Conventions (every method):

- Inputs are position values ``v`` (signed ``quantity x price x multiplier``) and simple returns
  per period (T x N) or their covariance; a scenario's P&L is ``returns @ v``. Positions are
  treated as linear in their instrument's return (an option as a position in its premium);
  for full revaluation pass your own P&L scenarios to `var_from_scenarios`.
- VaR and ES are reported as positive amounts of money lost (a gain makes them negative) at
  ``confidence`` (0.99 means the 1% tail) over ``horizon`` periods.
- Empirical estimates (historical, Monte Carlo, `var_from_scenarios`): VaR is
  ``np.quantile(losses, confidence)`` with numpy's default linear interpolation (Hyndman-Fan
  type 7; the same number as ``-np.quantile(pnl, 1 - confidence)``). ES is the mean of the
  losses at or beyond that VaR, so ES >= VaR. With 1,000 scenarios at 99% the VaR lies between
  the 10th and 11th worst loss and the ES is the mean of the 10 worst. Fewer than
  ``ceil(1 / (1 - confidence))`` scenarios (100 at 99%) is refused: the quantile would lie
  beyond the data.
- Contributions: parametric and Cornish-Fisher give component VaR; historical and Monte Carlo
  give each position's mean loss over the tail scenarios, which adds up to the ES.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from midfreq.core.errors import expected
from midfreq.risk.analytics import _checks as checks
from midfreq.risk.analytics._checks import FloatArray
from midfreq.risk.analytics.covariance import NanPolicy
from midfreq.risk.analytics.returns import multi_period_returns

__all__ = [
    "HorizonScaling",
    "RiskMeasure",
    "ShockDistribution",
    "VarMethod",
    "VarResult",
    "cornish_fisher_quantile",
    "cornish_fisher_var",
    "covariance_factor",
    "historical_var",
    "minimum_scenarios",
    "monte_carlo_var",
    "parametric_var",
    "var_from_scenarios",
]

_NORMAL = NormalDist()


class VarMethod(StrEnum):
    """How a VaR was estimated."""

    HISTORICAL = "HISTORICAL"
    PARAMETRIC = "PARAMETRIC"
    CORNISH_FISHER = "CORNISH_FISHER"
    MONTE_CARLO = "MONTE_CARLO"
    SCENARIOS = "SCENARIOS"


class RiskMeasure(StrEnum):
    """Which measure a set of contributions adds up to."""

    VAR = "VAR"
    ES = "ES"


class HorizonScaling(StrEnum):
    """How a historical VaR reaches a horizon of more than one period."""

    SQRT_TIME = "SQRT_TIME"  # one-period VaR x sqrt(horizon): i.i.d., zero-mean returns
    OVERLAPPING = "OVERLAPPING"  # scenarios are overlapping compounded horizon-period returns


class ShockDistribution(StrEnum):
    """The distribution of Monte Carlo shocks."""

    NORMAL = "NORMAL"
    STUDENT_T = "STUDENT_T"  # multivariate t scaled to the given covariance: fatter joint tails


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class VarResult:
    """A VaR and ES estimate with per-position contributions.

    Attributes
    ----------
    var, es : float
        Value at risk and expected shortfall, as positive losses.
    contributions : ndarray
        One number per position, adding up to ``var`` or ``es`` as ``contribution_measure`` says.
    contribution_measure : RiskMeasure
        ``VAR`` (component VaR) or ``ES`` (mean tail loss per position).
    method : VarMethod
    confidence : float
    horizon : int
        Periods (days for daily returns).
    scenarios : int
        Scenarios behind an empirical estimate; 0 for closed forms.
    """

    var: float
    es: float
    contributions: FloatArray
    contribution_measure: RiskMeasure
    method: VarMethod
    confidence: float
    horizon: int
    scenarios: int = 0

    def to_dict(self) -> dict[str, float | int | str]:
        """Headline figures for status displays and metrics."""
        return {
            "method": self.method.value,
            "confidence": self.confidence,
            "horizon": self.horizon,
            "var": self.var,
            "es": self.es,
            "scenarios": self.scenarios,
        }


def minimum_scenarios(confidence: float) -> int:
    """Return the fewest scenarios an empirical VaR accepts at ``confidence``:
    ``ceil(1 / (1 - confidence))``, so that at least one scenario lies in the tail.

    Examples
    --------
    >>> minimum_scenarios(0.99), minimum_scenarios(0.975), minimum_scenarios(0.95)
    (100, 40, 20)
    """
    return math.ceil(round(1.0 / (1.0 - checks.confidence(confidence)), 9))


def _empirical(
    pnl: FloatArray, confidence: float, name: str
) -> tuple[float, float, npt.NDArray[np.bool_]]:
    needed = minimum_scenarios(confidence)
    if pnl.shape[0] < needed:
        raise expected(
            name,
            f"{pnl.shape[0]} scenarios",
            f"at least {needed} complete scenarios at {confidence:.2%} confidence",
        )
    losses = -pnl
    var = float(np.quantile(losses, confidence))
    tail = losses >= var
    return var, float(losses[tail].mean()), tail


def var_from_scenarios(
    position_pnl: npt.ArrayLike,
    confidence: float = 0.99,
    *,
    horizon: int = 1,
    method: VarMethod = VarMethod.SCENARIOS,
) -> VarResult:
    """Return the empirical VaR and ES of P&L scenarios given per position (S x N).

    Use it for full revaluation (options repriced in each scenario) or scenarios from
    elsewhere. ``horizon`` only labels the result: the scenarios are taken to be over it.

    Examples
    --------
    >>> pnl = np.column_stack([np.linspace(-100.0, 98.0, 100), np.zeros(100)])
    >>> result = var_from_scenarios(pnl, 0.95)
    >>> round(result.var, 2), round(result.es, 2), result.contributions.round(2).tolist()
    (90.1, 96.0, [96.0, 0.0])
    """
    level = checks.confidence(confidence)
    scenarios = checks.matrix("position_pnl", position_pnl)
    if np.isnan(scenarios).any():
        raise expected("position_pnl", "NaN", "complete scenarios")
    var, es, tail = _empirical(scenarios.sum(axis=1), level, "position_pnl")
    contributions: FloatArray = 0.0 - scenarios[tail].mean(axis=0)
    return VarResult(
        var=var,
        es=es,
        contributions=contributions,
        contribution_measure=RiskMeasure.ES,
        method=method,
        confidence=level,
        horizon=checks.horizon(horizon),
        scenarios=scenarios.shape[0],
    )


def _complete_rows(returns: FloatArray, values: FloatArray, nan_policy: NanPolicy) -> FloatArray:
    """Apply the NaN policy to the columns of held instruments (a flat one's NaN is harmless)."""
    if nan_policy is NanPolicy.PAIRWISE:
        raise expected("nan_policy", nan_policy.value, "DROP_ROWS or ZERO for scenario methods")
    array = np.where(values != 0, returns, 0.0)
    missing = np.isnan(array)
    if not missing.any():
        return array
    if nan_policy is NanPolicy.ZERO:
        return np.where(missing, 0.0, array)
    return array[~missing.any(axis=1)]


def historical_var(
    values: npt.ArrayLike,
    returns: npt.ArrayLike,
    confidence: float = 0.99,
    horizon: int = 1,
    *,
    scaling: HorizonScaling = HorizonScaling.SQRT_TIME,
    nan_policy: NanPolicy = NanPolicy.DROP_ROWS,
) -> VarResult:
    """Return the historical-simulation VaR and ES of today's positions.

    Each period of ``returns`` is one scenario: ``pnl_t = returns[t] @ values``.

    Parameters
    ----------
    values : array_like
        Signed position values (N).
    returns : array_like
        Simple returns (T x N), oldest first; NaN where missing.
    confidence : float
        E.g. 0.99.
    horizon : int
        Periods. ``SQRT_TIME`` scales the one-period VaR, ES and contributions by
        ``sqrt(horizon)``; ``OVERLAPPING`` uses the ``T - horizon + 1`` overlapping compounded
        returns over ``horizon`` periods as scenarios (no i.i.d. assumption, but the scenarios
        are dependent and there are fewer of them).
    nan_policy : NanPolicy
        ``DROP_ROWS`` (default) drops a scenario in which a held instrument's return is missing;
        ``ZERO`` reads it as no change. Columns of flat positions are ignored.

    Raises
    ------
    ValueError
        On mismatched shapes, or fewer complete scenarios than `minimum_scenarios`.
    """
    value = checks.vector("values", values)
    array = checks.matrix("returns", returns, value.shape[0])
    periods = checks.horizon(horizon)
    if scaling is HorizonScaling.OVERLAPPING and periods > 1:
        if nan_policy is NanPolicy.ZERO:
            array = np.where(np.isnan(array), 0.0, array)
        array = multi_period_returns(array, periods)
        factor = 1.0
    else:
        factor = math.sqrt(periods)
    scenarios = _complete_rows(array, value, nan_policy)
    level = checks.confidence(confidence)
    var, es, tail = _empirical(scenarios @ value, level, "returns")
    contributions: FloatArray = (0.0 - (scenarios[tail] * value).mean(axis=0)) * factor
    return VarResult(
        var=var * factor,
        es=es * factor,
        contributions=contributions,
        contribution_measure=RiskMeasure.ES,
        method=VarMethod.HISTORICAL,
        confidence=level,
        horizon=periods,
        scenarios=scenarios.shape[0],
    )


def parametric_var(
    values: npt.ArrayLike,
    covariance: npt.ArrayLike,
    confidence: float = 0.99,
    horizon: int = 1,
    *,
    mean: npt.ArrayLike | None = None,
) -> VarResult:
    """Return the normal (variance-covariance) VaR and ES, with component VaR.

    With ``sigma = sqrt(v' S v)`` and ``z = Phi^-1(confidence)``:
    ``VaR = z sigma sqrt(h) - mu h``, ``ES = sigma sqrt(h) phi(z) / (1 - c) - mu h``, where
    ``mu = v' mean`` (zero unless ``mean`` is given). Component VaR of position ``i`` is
    ``v_i (S v)_i / sigma * z sqrt(h) - v_i mean_i h``; the components add up to the VaR.

    Parameters
    ----------
    values : array_like
        Signed position values (N).
    covariance : array_like
        One-period covariance of returns (N x N), positive semi-definite.
    mean : array_like, optional
        One-period expected returns (N).

    Examples
    --------
    >>> result = parametric_var([1_000_000.0], [[0.01**2]], 0.99, horizon=4)
    >>> round(result.var, 2), round(result.es, 2)
    (46526.96, 53304.28)
    """
    value = checks.vector("values", values)
    sigma_matrix = checks.covariance_matrix("covariance", covariance, value.shape[0])
    level = checks.confidence(confidence)
    periods = checks.horizon(horizon)
    drift = np.zeros_like(value) if mean is None else checks.vector("mean", mean, value.shape[0])
    marginal = sigma_matrix @ value
    variance = float(value @ marginal)
    # Rounding can leave a tiny negative variance on a hedged book; more is an indefinite matrix.
    if variance < -1e-10 * float(np.abs(value) @ np.abs(sigma_matrix) @ np.abs(value)):
        raise expected("covariance", "v' S v < 0", "a positive semi-definite matrix")
    sigma = math.sqrt(max(variance, 0.0))
    z = _NORMAL.inv_cdf(level)
    root = math.sqrt(periods)
    mean_part = value * drift * periods
    if sigma > 0:
        contributions: FloatArray = value * marginal / sigma * z * root - mean_part
    else:
        contributions = -mean_part
    tail_mean = _NORMAL.pdf(z) / (1.0 - level)
    return VarResult(
        var=z * sigma * root - float(mean_part.sum()),
        es=sigma * root * tail_mean - float(mean_part.sum()),
        contributions=contributions,
        contribution_measure=RiskMeasure.VAR,
        method=VarMethod.PARAMETRIC,
        confidence=level,
        horizon=periods,
    )


def cornish_fisher_quantile(confidence: float, skew: float, excess_kurtosis: float) -> float:
    """Return the Cornish-Fisher adjusted standard quantile of a loss distribution.

    ``z + (z^2 - 1) S / 6 + (z^3 - 3z) K / 24 - (2z^3 - 5z) S^2 / 36`` with ``z = Phi^-1(c)``,
    ``S`` the skew and ``K`` the excess kurtosis of the losses. With ``S = K = 0`` it is ``z``.
    The expansion is only monotone for moderate ``S`` and ``K`` (roughly ``|S| < 1``,
    ``K < 6``); beyond that it is an approximation of doubtful value.
    """
    z = _NORMAL.inv_cdf(checks.confidence(confidence))
    return (
        z
        + (z * z - 1.0) * skew / 6.0
        + (z**3 - 3.0 * z) * excess_kurtosis / 24.0
        - (2.0 * z**3 - 5.0 * z) * skew * skew / 36.0
    )


def cornish_fisher_var(
    values: npt.ArrayLike,
    returns: npt.ArrayLike,
    confidence: float = 0.99,
    horizon: int = 1,
    *,
    include_mean: bool = False,
    nan_policy: NanPolicy = NanPolicy.DROP_ROWS,
) -> VarResult:
    """Return the Cornish-Fisher (skew and kurtosis adjusted) VaR and ES.

    The portfolio's one-period P&L ``returns @ values`` gives the loss moments: standard
    deviation (ddof 1), skew ``S`` and excess kurtosis ``K`` (``scipy.stats`` with
    ``bias=False``). Over ``h`` periods of i.i.d. returns they become ``sigma sqrt(h)``,
    ``S / sqrt(h)`` and ``K / h``. Then ``VaR = sigma_h q_cf`` (`cornish_fisher_quantile`) and
    ``ES = sigma_h phi(z) / (1 - c) [1 + z S / 6 + (z^2 - 1) K / 24 - (2z^2 - 1) S^2 / 36]``,
    the exact tail mean of the Cornish-Fisher quantile function. Both reduce to the normal
    formulas when ``S = K = 0``. With ``include_mean`` the mean loss times ``h`` is added.

    Contributions split the VaR in proportion to each position's share of the P&L variance,
    ``v_i cov(r_i, pnl) / var(pnl)`` (exact component VaR when ``S = K = 0``).

    Raises
    ------
    ValueError
        With fewer than 4 complete periods (too few for the sample kurtosis).
    """
    value = checks.vector("values", values)
    array = checks.matrix("returns", returns, value.shape[0])
    level = checks.confidence(confidence)
    periods = checks.horizon(horizon)
    scenarios = _complete_rows(array, value, nan_policy)
    if scenarios.shape[0] < 4:
        raise expected("returns", f"{scenarios.shape[0]} complete periods", "at least 4")
    pnl = scenarios @ value
    losses = -pnl
    sigma = float(losses.std(ddof=1))
    root = math.sqrt(periods)
    mean_loss = float(losses.mean()) * periods if include_mean else 0.0
    if sigma == 0.0:
        skew = kurtosis = 0.0
    else:
        # scipy.stats takes a second to import: loaded when first needed.
        from scipy import stats

        skew = float(stats.skew(losses, bias=False)) / root
        kurtosis = float(stats.kurtosis(losses, fisher=True, bias=False)) / periods
    z = _NORMAL.inv_cdf(level)
    var = mean_loss + sigma * root * cornish_fisher_quantile(level, skew, kurtosis)
    bracket = (
        1.0
        + z * skew / 6.0
        + (z * z - 1.0) * kurtosis / 24.0
        - (2.0 * z * z - 1.0) * skew * skew / 36.0
    )
    es = mean_loss + sigma * root * _NORMAL.pdf(z) / (1.0 - level) * bracket
    if sigma > 0:
        centered = scenarios - scenarios.mean(axis=0)
        shares = value * (centered.T @ (pnl - pnl.mean())) / (pnl.shape[0] - 1) / sigma**2
        contributions: FloatArray = shares * var
    else:  # no variance: only the mean loss, if counted, is at risk
        contributions = -scenarios.mean(axis=0) * value * periods if include_mean else value * 0.0
    return VarResult(
        var=var,
        es=es,
        contributions=contributions,
        contribution_measure=RiskMeasure.VAR,
        method=VarMethod.CORNISH_FISHER,
        confidence=level,
        horizon=periods,
        scenarios=scenarios.shape[0],
    )


def covariance_factor(covariance: npt.ArrayLike) -> FloatArray:
    """Return ``A`` with ``A @ A.T == covariance``: the Cholesky factor when the matrix is
    positive definite, else ``Q sqrt(max(lambda, 0))`` from its eigen-decomposition (a
    semi-definite matrix, e.g. perfectly correlated instruments, has no Cholesky factor).
    """
    sigma_matrix = checks.covariance_matrix("covariance", covariance)
    try:
        factor: FloatArray = np.linalg.cholesky(sigma_matrix).astype(np.float64, copy=False)
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = np.linalg.eigh((sigma_matrix + sigma_matrix.T) / 2.0)
        floor = -1e-10 * max(float(eigenvalues.max(initial=0.0)), 1e-300)
        if eigenvalues.min() < floor:
            raise expected(
                "covariance", "a negative eigenvalue", "a positive semi-definite matrix"
            ) from None
        factor = eigenvectors * np.sqrt(np.maximum(eigenvalues, 0.0))
    return factor


def monte_carlo_var(
    values: npt.ArrayLike,
    covariance: npt.ArrayLike,
    confidence: float = 0.99,
    horizon: int = 1,
    *,
    paths: int = 10_000,
    seed: int | np.random.Generator = 0,
    distribution: ShockDistribution = ShockDistribution.NORMAL,
    degrees_of_freedom: float = 5.0,
    mean: npt.ArrayLike | None = None,
) -> VarResult:
    """Return the Monte Carlo VaR and ES from correlated random returns.

    Each path draws ``horizon``-period returns ``sqrt(h) A z (+ mean h)`` with ``A`` the
    `covariance_factor` and ``z`` independent standard normals. With ``STUDENT_T`` every path's
    shocks are multiplied by ``sqrt((nu - 2) / W)``, ``W ~ chi2(nu)``: a multivariate t with
    the same covariance but fatter, jointly occurring tails (still scaled by ``sqrt(h)``, not
    summed over periods). VaR, ES and contributions (to the ES) use the empirical estimator of
    the module docstring. The same ``seed`` gives the same result.

    Parameters
    ----------
    covariance : array_like
        One-period covariance of returns (N x N), positive semi-definite.
    paths : int
        Simulated scenarios, at least `minimum_scenarios`.
    seed : int or numpy.random.Generator
    degrees_of_freedom : float
        ``nu > 2`` for ``STUDENT_T``.
    """
    value = checks.vector("values", values)
    factor = covariance_factor(checks.covariance_matrix("covariance", covariance, value.shape[0]))
    level = checks.confidence(confidence)
    periods = checks.horizon(horizon)
    if isinstance(paths, bool) or not isinstance(paths, int) or paths < 1:
        raise expected("paths", paths, "a whole number >= 1")
    drift = np.zeros_like(value) if mean is None else checks.vector("mean", mean, value.shape[0])
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    normals = rng.standard_normal((paths, value.shape[0]))
    scale = np.full(paths, math.sqrt(periods))
    if distribution is ShockDistribution.STUDENT_T:
        if not degrees_of_freedom > 2:
            raise expected("degrees_of_freedom", degrees_of_freedom, "a number > 2")
        mixing = rng.chisquare(degrees_of_freedom, paths)
        scale *= np.sqrt((degrees_of_freedom - 2.0) / mixing)
    # Portfolio P&L needs only z @ (A' v): O(paths x N); the full shocks only for tail paths.
    loadings = factor.T @ value
    pnl = (normals @ loadings) * scale + float(drift @ value) * periods
    var, es, tail = _empirical(pnl, level, "paths")
    tail_returns = (normals[tail] @ factor.T) * scale[tail, None] + drift * periods
    contributions: FloatArray = 0.0 - (tail_returns * value).mean(axis=0)
    return VarResult(
        var=var,
        es=es,
        contributions=contributions,
        contribution_measure=RiskMeasure.ES,
        method=VarMethod.MONTE_CARLO,
        confidence=level,
        horizon=periods,
        scenarios=paths,
    )

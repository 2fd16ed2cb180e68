"""Stress tests of today's positions: historical replays (a named date range, or the worst
N-period window of the supplied history) and hypothetical shocks (a market move through each
instrument's beta, one instrument gapping, volatility multiplied, correlations pushed to one),
each reporting P&L per position and in total.

Positions are linear in their instrument's return, as in `midfreq.risk.analytics.var`. A
replayed window's return per instrument is compounded, ``prod(1 + r) - 1``; a missing return
inside the window counts as no change, and the result lists the positions that had one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from midfreq.core.errors import expected
from midfreq.risk.analytics import _checks as checks
from midfreq.risk.analytics._checks import FloatArray
from midfreq.risk.analytics.returns import multi_period_returns
from midfreq.risk.analytics.var import VarResult, parametric_var

__all__ = [
    "HISTORICAL_EPISODES",
    "StressResult",
    "VarStressResult",
    "apply_shock",
    "correlation_shock",
    "historical_window",
    "instrument_gap",
    "market_shock",
    "replay_episode",
    "volatility_shock",
    "worst_window",
]

HISTORICAL_EPISODES: Mapping[str, tuple[str, str]] = {
    "black_monday_1987": ("1987-10-14", "1987-10-19"),
    "ltcm_1998": ("1998-08-17", "1998-10-08"),
    "lehman_2008": ("2008-09-12", "2008-10-10"),
    "flash_crash_2010": ("2010-05-06", "2010-05-06"),
    "us_downgrade_2011": ("2011-08-01", "2011-08-08"),
    "volmageddon_2018": ("2018-02-01", "2018-02-08"),
    "covid_crash_2020": ("2020-02-20", "2020-03-23"),
}
"""Named date ranges (inclusive, by return date) for `replay_episode`; the returns supplied
must cover the range."""

DateLike = str | dt.date | np.datetime64 | int


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class StressResult:
    """P&L of today's positions under one scenario.

    Attributes
    ----------
    name : str
    returns : ndarray
        The return applied to each position (N).
    pnl : ndarray
        P&L per position (N): ``values x returns``.
    labels : tuple of str, optional
        Position labels, for `pnl_by_label`.
    window : tuple of int, optional
        First and last row (inclusive) of a replayed window.
    period : tuple of str, optional
        First and last date of a replayed window, when dates were given.
    incomplete : tuple of int
        Positions with a missing return inside the window (read as no change).
    """

    name: str
    returns: FloatArray
    pnl: FloatArray
    labels: tuple[str, ...] | None = None
    window: tuple[int, int] | None = None
    period: tuple[str, str] | None = None
    incomplete: tuple[int, ...] = ()

    @property
    def total_pnl(self) -> float:
        """Sum of the positions' P&L (negative is a loss)."""
        return float(self.pnl.sum())

    def pnl_by_label(self) -> dict[str, float]:
        """P&L per position keyed by label (positions numbered from 0 when there are none)."""
        keys = self.labels or tuple(str(i) for i in range(self.pnl.shape[0]))
        return {key: float(value) for key, value in zip(keys, self.pnl, strict=True)}

    def to_dict(self) -> dict[str, object]:
        """The scenario's name, total and per-position P&L."""
        return {"name": self.name, "total_pnl": self.total_pnl, "pnl": self.pnl_by_label()}


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class VarStressResult:
    """Parametric VaR before and after a change to the covariance."""

    name: str
    base: VarResult
    stressed: VarResult

    @property
    def var_change(self) -> float:
        """Stressed VaR minus base VaR."""
        return self.stressed.var - self.base.var

    @property
    def es_change(self) -> float:
        """Stressed ES minus base ES."""
        return self.stressed.es - self.base.es


def _labels(labels: Sequence[str] | None, size: int) -> tuple[str, ...] | None:
    if labels is None:
        return None
    result = tuple(str(label) for label in labels)
    if len(result) != size:
        raise expected("labels", f"{len(result)} labels", f"{size} (one per position)")
    return result


def apply_shock(
    values: npt.ArrayLike,
    returns: npt.ArrayLike,
    *,
    name: str = "custom shock",
    labels: Sequence[str] | None = None,
) -> StressResult:
    """Return the P&L of positions ``values`` when each instrument returns ``returns``.

    Examples
    --------
    >>> apply_shock([1000.0, -500.0], [-0.1, 0.2]).pnl.tolist()
    [-100.0, -100.0]
    """
    value = checks.vector("values", values)
    shock = checks.vector("returns", returns, value.shape[0])
    return StressResult(
        name=name, returns=shock, pnl=value * shock, labels=_labels(labels, value.shape[0])
    )


def market_shock(
    values: npt.ArrayLike,
    betas: npt.ArrayLike,
    market_return: float = -0.10,
    *,
    labels: Sequence[str] | None = None,
) -> StressResult:
    """Return the P&L when the market moves ``market_return`` and each instrument moves
    ``beta x market_return`` (betas from `midfreq.risk.analytics.hedging.betas`).

    Examples
    --------
    >>> result = market_shock([1000.0, 2000.0], [1.5, -0.5])
    >>> result.pnl.round(6).tolist(), round(result.total_pnl, 6)
    ([-150.0, 100.0], -50.0)
    """
    value = checks.vector("values", values)
    beta = checks.vector("betas", betas, value.shape[0])
    return apply_shock(
        value, beta * market_return, name=f"market {market_return:+.1%}", labels=labels
    )


def instrument_gap(
    values: npt.ArrayLike,
    instrument: int | str,
    gap: float,
    *,
    labels: Sequence[str] | None = None,
) -> StressResult:
    """Return the P&L when one instrument gaps by ``gap`` (e.g. -0.3) and nothing else moves.

    ``instrument`` is a position index, or a label when ``labels`` are given.
    """
    value = checks.vector("values", values)
    names = _labels(labels, value.shape[0])
    if isinstance(instrument, str):
        if names is None or instrument not in names:
            raise expected("instrument", instrument, "one of the labels given")
        index = names.index(instrument)
    else:
        index = int(instrument)
        if not 0 <= index < value.shape[0]:
            raise expected("instrument", instrument, f"a position index 0..{value.shape[0] - 1}")
        instrument = names[index] if names else str(index)
    shock = np.zeros_like(value)
    shock[index] = gap
    return apply_shock(value, shock, name=f"{instrument} gaps {gap:+.1%}", labels=names)


def _as_dates(dates: npt.ArrayLike, size: int) -> npt.NDArray[np.datetime64]:
    if getattr(dates, "tz", None) is not None:  # a tz-aware pandas index: compare in UTC
        dates = dates.tz_convert("UTC").tz_localize(None)  # type: ignore[union-attr]
    array = np.asarray(dates)
    if array.dtype.kind not in "iMOU":
        raise expected("dates", array.dtype, "dates, datetimes or integer nanoseconds")
    result = array.astype("datetime64[ns]")
    if result.shape != (size,):
        raise expected("dates", f"shape {result.shape}", f"({size},): one per row of returns")
    return result


def _date(name: str, value: DateLike) -> np.datetime64:
    if isinstance(value, int | np.integer):
        return np.datetime64(int(value), "ns")
    try:
        return cast(np.datetime64, np.asarray(value).astype("datetime64[ns]")[()])
    except ValueError:
        raise expected(name, value, "a date, e.g. '2020-03-16'") from None


def _is_day(value: DateLike) -> bool:
    if isinstance(value, str):
        return len(value.strip()) <= 10
    if isinstance(value, np.datetime64):
        return np.datetime_data(value.dtype)[0] in ("D", "W", "M", "Y")
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _replay(
    value: FloatArray,
    array: FloatArray,
    first: int,
    last: int,
    name: str,
    labels: tuple[str, ...] | None,
    dates: npt.NDArray[np.datetime64] | None,
) -> StressResult:
    window = array[first : last + 1]
    missing = np.isnan(window).any(axis=0) & (value != 0)
    compounded = np.prod(1.0 + np.nan_to_num(window), axis=0) - 1.0
    period = None
    if dates is not None:
        period = (str(dates[first])[:10], str(dates[last])[:10])
    return StressResult(
        name=name,
        returns=compounded,
        pnl=value * compounded,
        labels=labels,
        window=(first, last),
        period=period,
        incomplete=tuple(int(i) for i in np.flatnonzero(missing)),
    )


def historical_window(
    values: npt.ArrayLike,
    returns: npt.ArrayLike,
    start: DateLike,
    end: DateLike,
    *,
    dates: npt.ArrayLike | None = None,
    labels: Sequence[str] | None = None,
    name: str | None = None,
) -> StressResult:
    """Replay a window of history on today's positions.

    Without ``dates``, ``start`` and ``end`` are row indices (inclusive). With ``dates`` (one
    per row: dates, datetimes or integer UTC nanoseconds), they are dates and the window is
    every row dated from ``start`` to ``end`` inclusive (a date without a time covers from its
    midnight, so give ``end`` as the last day's date or later).

    Raises
    ------
    ValueError
        If the window holds no rows.
    """
    value = checks.vector("values", values)
    array = checks.matrix("returns", returns, value.shape[0])
    names = _labels(labels, value.shape[0])
    stamps = None if dates is None else _as_dates(dates, array.shape[0])
    if stamps is None:
        if not (isinstance(start, int | np.integer) and isinstance(end, int | np.integer)):
            raise expected("start, end", (start, end), "row indices when no dates are given")
        first, last = int(start), int(end)
        if not 0 <= first <= last < array.shape[0]:
            raise expected("start, end", (start, end), f"0 <= start <= end < {array.shape[0]}")
    else:
        low, high = _date("start", start), _date("end", end)
        if _is_day(end):  # a bare date covers its whole day
            high = high + np.timedelta64(1, "D") - np.timedelta64(1, "ns")
        rows = np.flatnonzero((stamps >= low) & (stamps <= high))
        if rows.size == 0:
            raise expected("start, end", (start, end), "a range covered by the dates given")
        first, last = int(rows[0]), int(rows[-1])
    title = name or f"history rows {first}-{last}"
    return _replay(value, array, first, last, title, names, stamps)


def replay_episode(
    values: npt.ArrayLike,
    returns: npt.ArrayLike,
    dates: npt.ArrayLike,
    episode: str,
    *,
    labels: Sequence[str] | None = None,
) -> StressResult:
    """Replay one of `HISTORICAL_EPISODES` (by name) from the history supplied."""
    if episode not in HISTORICAL_EPISODES:
        raise expected("episode", episode, f"one of {sorted(HISTORICAL_EPISODES)}")
    start, end = HISTORICAL_EPISODES[episode]
    return historical_window(values, returns, start, end, dates=dates, labels=labels, name=episode)


def worst_window(
    values: npt.ArrayLike,
    returns: npt.ArrayLike,
    periods: int,
    *,
    dates: npt.ArrayLike | None = None,
    labels: Sequence[str] | None = None,
) -> StressResult:
    """Replay the ``periods``-long window of history in which today's positions lose most.

    Every overlapping window is tried (compounded returns, a missing return read as no
    change); the earliest of equally bad windows wins.
    """
    value = checks.vector("values", values)
    array = checks.matrix("returns", returns, value.shape[0])
    names = _labels(labels, value.shape[0])
    stamps = None if dates is None else _as_dates(dates, array.shape[0])
    compounded = multi_period_returns(np.nan_to_num(array), periods)
    first = int(np.argmin(compounded @ value))
    title = f"worst {periods}-period window"
    return _replay(value, array, first, first + periods - 1, title, names, stamps)


def volatility_shock(
    values: npt.ArrayLike,
    covariance: npt.ArrayLike,
    multiplier: float = 2.0,
    confidence: float = 0.99,
    horizon: int = 1,
) -> VarStressResult:
    """Return the parametric VaR with every volatility multiplied by ``multiplier``
    (covariance x multiplier^2, correlations unchanged): the VaR scales by ``multiplier``."""
    factor = checks.positive("multiplier", multiplier)
    sigma = np.asarray(covariance, dtype=np.float64)
    return VarStressResult(
        name=f"volatility x{factor:g}",
        base=parametric_var(values, sigma, confidence, horizon),
        stressed=parametric_var(values, sigma * factor**2, confidence, horizon),
    )


def correlation_shock(
    values: npt.ArrayLike,
    covariance: npt.ArrayLike,
    correlation: float = 1.0,
    confidence: float = 0.99,
    horizon: int = 1,
) -> VarStressResult:
    """Return the parametric VaR with every correlation set to ``correlation`` (default 1:
    diversification gone), volatilities unchanged.

    With correlation 1 the VaR of a long-only book is the sum of the stand-alone VaRs; for a
    hedged book it can fall, since the hedge then offsets exactly. Correlations below
    ``-1 / (N - 1)`` make the matrix indefinite and are refused by the VaR.
    """
    if not -1.0 <= correlation <= 1.0:
        raise expected("correlation", correlation, "a number in [-1, 1]")
    sigma = np.asarray(covariance, dtype=np.float64)
    volatility = np.sqrt(np.clip(np.diag(sigma), 0.0, None))
    rho = np.full_like(sigma, correlation)
    np.fill_diagonal(rho, 1.0)
    stressed = rho * np.outer(volatility, volatility)
    return VarStressResult(
        name=f"correlations -> {correlation:g}",
        base=parametric_var(values, sigma, confidence, horizon),
        stressed=parametric_var(values, stressed, confidence, horizon),
    )

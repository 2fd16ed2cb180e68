"""Backtest performance statistics computed from an equity curve and a list of closed trades.

Owns `PerformanceStats` (returns, risk, drawdown and trade metrics), `compute_performance`,
which derives them from timestamped equity samples, and `render_table`, which prints them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt
import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

__all__ = ["PerformanceStats", "compute_performance", "render_table"]

NANOSECONDS_PER_DAY = 86_400 * 1_000_000_000
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True, slots=True, kw_only=True)
class PerformanceStats:
    """Summary statistics of one backtest.

    Fractions are plain numbers (``0.25`` means 25%). Ratios that are undefined for the given
    data are ``nan``; see `compute_performance` for the exact definitions.

    Attributes
    ----------
    start_equity, end_equity : float
        First and last equity sample.
    total_return : float
        ``end_equity / start_equity - 1``.
    cagr : float
        Compound annual growth rate over the calendar span of the timestamps.
    annualized_volatility : float
        Sample standard deviation of period returns times ``sqrt(periods_per_year)``.
    sharpe, sortino, calmar : float
        Annualized risk-adjusted return ratios.
    max_drawdown : float
        Largest peak-to-trough fall as a positive fraction of the peak.
    max_drawdown_duration_days : float
        Longest time spent below a previous peak, in days.
    trade_count : int
        Number of closed round-trip trades.
    win_rate, profit_factor : float
        Share of winning trades; gross profit over gross loss.
    turnover : float
        Traded value divided by mean equity.
    exposure : float
        Fraction of equity samples with nonzero gross exposure.
    fees_paid : float
        Total fees and commissions.
    periods_per_year : float
        Number of return periods per year used to annualize.
    ruined_at_ns : int or None
        When equity first fell to zero or below (the account was wiped out), else None. Return
        statistics then cover the curve up to that point, with a final -100% period; CAGR is
        -100% and the drawdown can exceed 100%.
    """

    start_equity: float
    end_equity: float
    total_return: float
    cagr: float
    annualized_volatility: float
    sharpe: float
    sortino: float
    max_drawdown: float
    max_drawdown_duration_days: float
    calmar: float
    trade_count: int
    win_rate: float
    profit_factor: float
    turnover: float
    exposure: float
    fees_paid: float
    periods_per_year: float
    ruined_at_ns: int | None = None

    def to_dict(self) -> dict[str, float | int | None]:
        """Return the statistics as a flat ``{name: value}`` dictionary in field order.

        Returns
        -------
        dict[str, float | int | None]
            One entry per field.

        Examples
        --------
        >>> import numpy as np
        >>> stats = compute_performance(np.array([0], dtype=np.int64), np.array([100.0]))
        >>> stats.to_dict()["start_equity"]
        100.0
        """
        values: dict[str, float | int | None] = {}
        for field in fields(self):
            values[field.name] = getattr(self, field.name)
        return values


def compute_performance(
    timestamps_ns: npt.ArrayLike,
    equity: npt.ArrayLike,
    *,
    trade_pnls: Sequence[float] = (),
    fees_paid: float = 0.0,
    traded_value: float = 0.0,
    gross_exposure: npt.ArrayLike | None = None,
    risk_free_rate: float = 0.0,
    periods_per_year: float = 252.0,
    resample: str | None = "D",
) -> PerformanceStats:
    """Compute performance statistics of an equity curve.

    Return-based statistics (volatility, Sharpe, Sortino) use period returns: with
    ``resample="D"`` the last equity of each UTC calendar day that has samples, preceded by the
    very first equity sample as the base of the first day's return (days without samples are
    skipped, not filled). Any other pandas frequency alias (``"W"``, ``"h"``, ...) works the
    same way; with ``None`` the returns between consecutive samples are used as they are.
    Drawdown statistics always use the full-resolution curve.

    Definitions, with ``r`` the period returns and ``rf = risk_free_rate / periods_per_year``:

    - ``cagr = (end / start) ** (1 / years) - 1`` with ``years`` the timestamp span over
      365.25 days; ``nan`` if the span is zero.
    - ``annualized_volatility = std(r, ddof=1) * sqrt(periods_per_year)``; ``nan`` with fewer
      than two returns.
    - ``sharpe = (mean(r) - rf) / std(r, ddof=1) * sqrt(periods_per_year)``; ``nan`` with fewer
      than two returns or zero standard deviation.
    - ``sortino`` has the same numerator over the downside deviation
      ``sqrt(mean(min(r - rf, 0) ** 2))`` taken over all periods; ``inf`` if there is no
      downside and the numerator is positive, ``nan`` if there is no downside otherwise or
      fewer than two returns.
    - ``max_drawdown = max(1 - equity / running_max(equity))``.
    - ``max_drawdown_duration_days``: the longest time from a peak (the last sample at the
      running maximum) to the first later sample with equity back at or above it, or to the
      last sample if equity never gets back.
    - ``calmar = cagr / max_drawdown``; ``nan`` if ``max_drawdown`` is zero.
    - ``win_rate`` is the share of ``trade_pnls > 0``; ``profit_factor`` is the sum of
      positive P&L over the absolute sum of negative P&L (``inf`` with wins and no losses);
      both are ``nan`` without trades, and ``profit_factor`` is ``nan`` if all P&L are zero.
    - ``turnover = traded_value / mean(equity)`` over all samples.
    - ``exposure`` is the share of samples with nonzero ``gross_exposure``; ``nan`` if
      ``gross_exposure`` is None.

    Parameters
    ----------
    timestamps_ns : array_like of int
        UTC timestamps in nanoseconds since the epoch, non-decreasing.
    equity : array_like of float
        Account equity at each timestamp, finite and positive.
    trade_pnls : Sequence[float], default ()
        Realized P&L of each closed round-trip trade.
    fees_paid : float, default 0.0
        Total fees paid over the backtest.
    traded_value : float, default 0.0
        Total absolute notional traded over the backtest.
    gross_exposure : array_like of float, optional
        Gross exposure at each timestamp, same length as ``equity``.
    risk_free_rate : float, default 0.0
        Annual risk-free rate, e.g. ``0.03`` for 3%.
    periods_per_year : float, default 252.0
        Number of return periods per year, matching ``resample``.
    resample : str or None, default "D"
        Pandas frequency alias of the return periods, or None for sample-to-sample returns.

    Returns
    -------
    PerformanceStats
        The computed statistics.

    Raises
    ------
    ValueError
        If the arrays are empty, not one-dimensional or of mismatched lengths, if equity is
        not finite or does not start positive, if timestamps decrease, if a scalar input is not
        finite, if ``periods_per_year`` is not positive or if ``resample`` is not a frequency
        alias.

    Examples
    --------
    >>> import numpy as np
    >>> day = 86_400 * 10**9
    >>> ts = np.arange(5, dtype=np.int64) * day
    >>> stats = compute_performance(ts, [100.0, 120.0, 90.0, 95.0, 130.0])
    >>> round(stats.max_drawdown, 4), stats.max_drawdown_duration_days
    (0.25, 3.0)
    """
    timestamps, values, exposure_values, pnls = _validate(
        timestamps_ns,
        equity,
        trade_pnls=trade_pnls,
        fees_paid=fees_paid,
        traded_value=traded_value,
        gross_exposure=gross_exposure,
        risk_free_rate=risk_free_rate,
        periods_per_year=periods_per_year,
        resample=resample,
    )

    start_equity = float(values[0])
    end_equity = float(values[-1])
    growth = end_equity / start_equity
    span_ns = int(timestamps[-1]) - int(timestamps[0])
    cagr = math.nan
    ruined = np.flatnonzero(values <= 0.0)
    ruined_at_ns: int | None = None
    curve_ts, curve = timestamps, values
    if ruined.size:
        # Wiped out: returns end with the fall to zero; nothing after it compounds.
        end = int(ruined[0]) + 1
        ruined_at_ns = int(timestamps[end - 1])
        curve_ts, curve = timestamps[:end], np.maximum(values[:end], 0.0)
        cagr = -1.0
    elif span_ns > 0:
        years = span_ns / NANOSECONDS_PER_DAY / DAYS_PER_YEAR
        # Computed in log space: very short spans would overflow ``growth ** (1 / years)``.
        log_annual_growth = math.log(growth) / years
        cagr = math.expm1(log_annual_growth) if log_annual_growth < 700.0 else math.inf

    returns = _period_returns(curve_ts, curve, resample)
    rf_per_period = risk_free_rate / periods_per_year
    annualizer = math.sqrt(periods_per_year)
    volatility = math.nan
    sharpe = math.nan
    sortino = math.nan
    if returns.size >= 2:
        std = float(np.std(returns, ddof=1))
        excess_mean = float(np.mean(returns)) - rf_per_period
        volatility = std * annualizer
        if std > 0.0:
            sharpe = excess_mean / std * annualizer
        downside = np.minimum(returns - rf_per_period, 0.0)
        downside_deviation = math.sqrt(float(np.mean(downside * downside)))
        if downside_deviation > 0.0:
            sortino = excess_mean / downside_deviation * annualizer
        elif excess_mean > 0.0:
            sortino = math.inf

    max_drawdown, duration_ns = _drawdown(timestamps, values)
    calmar = cagr / max_drawdown if max_drawdown > 0.0 else math.nan

    win_rate, profit_factor = _trade_stats(pnls)
    exposure = math.nan if exposure_values is None else float(np.mean(exposure_values != 0.0))

    return PerformanceStats(
        start_equity=start_equity,
        end_equity=end_equity,
        total_return=growth - 1.0,
        cagr=cagr,
        annualized_volatility=volatility,
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown=max_drawdown,
        max_drawdown_duration_days=duration_ns / NANOSECONDS_PER_DAY,
        calmar=calmar,
        trade_count=int(pnls.size),
        win_rate=win_rate,
        profit_factor=profit_factor,
        turnover=float(traded_value) / float(np.mean(values)),
        exposure=exposure,
        fees_paid=float(fees_paid),
        periods_per_year=float(periods_per_year),
        ruined_at_ns=ruined_at_ns,
    )


def render_table(stats: PerformanceStats, title: str = "Backtest results") -> str:
    """Render the statistics as a plain-text two-column table.

    Percentages are shown with ``%``, ratios with two decimals, durations in days and money
    with thousands separators; undefined values show as ``n/a``. The output has no colour or
    control codes and is the same on every run.

    Parameters
    ----------
    stats : PerformanceStats
        Statistics to show.
    title : str, default "Backtest results"
        Title printed above the table.

    Returns
    -------
    str
        The table, 80 columns wide at most, ending with a newline.

    Examples
    --------
    >>> import numpy as np
    >>> stats = compute_performance(np.array([0], dtype=np.int64), np.array([100.0]))
    >>> "Max drawdown" in render_table(stats)
    True
    """
    rows = [
        ("Start equity", _money(stats.start_equity)),
        ("End equity", _money(stats.end_equity)),
        ("Total return", _percent(stats.total_return)),
        ("CAGR", _percent(stats.cagr)),
        ("Annualized volatility", _percent(stats.annualized_volatility)),
        ("Sharpe ratio", _ratio(stats.sharpe)),
        ("Sortino ratio", _ratio(stats.sortino)),
        ("Max drawdown", _percent(stats.max_drawdown)),
        ("Max drawdown duration", _days(stats.max_drawdown_duration_days)),
        ("Calmar ratio", _ratio(stats.calmar)),
        ("Trades", f"{stats.trade_count:,}"),
        ("Win rate", _percent(stats.win_rate)),
        ("Profit factor", _ratio(stats.profit_factor)),
        ("Turnover", _ratio(stats.turnover, suffix="x")),
        ("Exposure", _percent(stats.exposure)),
        ("Fees paid", _money(stats.fees_paid)),
        ("Periods per year", _number(stats.periods_per_year)),
    ]
    if stats.ruined_at_ns is not None:
        when = pd.Timestamp(stats.ruined_at_ns, unit="ns", tz="UTC").isoformat()
        rows.insert(2, ("Account wiped out at", when))
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("Metric", justify="left", no_wrap=True)
    table.add_column("Value", justify="right", no_wrap=True)
    for metric, value in rows:
        table.add_row(metric, value)
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=80,
        color_system=None,
        force_terminal=False,
        no_color=True,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    console.print(table)
    return buffer.getvalue()


def _validate(
    timestamps_ns: npt.ArrayLike,
    equity: npt.ArrayLike,
    *,
    trade_pnls: Sequence[float],
    fees_paid: float,
    traded_value: float,
    gross_exposure: npt.ArrayLike | None,
    risk_free_rate: float,
    periods_per_year: float,
    resample: str | None,
) -> tuple[
    npt.NDArray[np.int64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64] | None,
    npt.NDArray[np.float64],
]:
    values = np.asarray(equity, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"expected one-dimensional equity, was {values.ndim} dimensions")
    if values.size < 1:
        raise ValueError(f"expected at least 1 equity sample, was {values.size}")
    raw_timestamps = np.asarray(timestamps_ns)
    if raw_timestamps.ndim != 1:
        raise ValueError(
            f"expected one-dimensional timestamps, was {raw_timestamps.ndim} dimensions"
        )
    if raw_timestamps.dtype.kind not in "iu":
        raise ValueError(
            f"expected integer nanosecond timestamps, was dtype {raw_timestamps.dtype}"
        )
    timestamps = raw_timestamps.astype(np.int64)
    if timestamps.size != values.size:
        raise ValueError(
            f"expected as many timestamps as equity samples ({values.size}), was {timestamps.size}"
        )
    bad = ~np.isfinite(values)
    if bad.any():
        index = int(np.argmax(bad))
        raise ValueError(f"expected finite equity, was {float(values[index])} at index {index}")
    if values[0] <= 0.0:
        raise ValueError(f"expected a positive starting equity, was {float(values[0])}")
    steps = np.diff(timestamps)
    if (steps < 0).any():
        index = int(np.argmax(steps < 0)) + 1
        raise ValueError(
            f"expected non-decreasing timestamps, was {timestamps[index]} at index {index} "
            f"after {timestamps[index - 1]}"
        )

    exposure_values: npt.NDArray[np.float64] | None = None
    if gross_exposure is not None:
        exposure_values = np.asarray(gross_exposure, dtype=np.float64)
        if exposure_values.shape != values.shape:
            raise ValueError(
                f"expected gross_exposure of shape {values.shape} like equity, "
                f"was {exposure_values.shape}"
            )
        if not np.isfinite(exposure_values).all():
            raise ValueError("expected finite gross_exposure, was a non-finite value")

    pnls = np.asarray(trade_pnls, dtype=np.float64).reshape(-1)
    if not np.isfinite(pnls).all():
        raise ValueError("expected finite trade_pnls, was a non-finite value")
    for name, scalar in (
        ("fees_paid", fees_paid),
        ("traded_value", traded_value),
        ("risk_free_rate", risk_free_rate),
        ("periods_per_year", periods_per_year),
    ):
        if not math.isfinite(scalar):
            raise ValueError(f"expected finite {name}, was {scalar!r}")
    if periods_per_year <= 0.0:
        raise ValueError(f"expected positive periods_per_year, was {periods_per_year!r}")
    if resample is not None:
        try:
            pd.tseries.frequencies.to_offset(resample)
        except ValueError as error:
            raise ValueError(
                f"expected a pandas frequency alias such as 'D' or None for resample, "
                f"was {resample!r}"
            ) from error
    return timestamps, values, exposure_values, pnls


def _period_returns(
    timestamps: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
    resample: str | None,
) -> npt.NDArray[np.float64]:
    if resample is None:
        levels = values
    else:
        series = pd.Series(values, index=pd.to_datetime(timestamps, unit="ns"))
        period_last = series.resample(resample).last().dropna().to_numpy(dtype=np.float64)
        # The first period's return is measured from the first sample, not from its own close.
        levels = np.concatenate(([values[0]], period_last))
    returns: npt.NDArray[np.float64] = levels[1:] / levels[:-1] - 1.0
    return returns


def _drawdown(
    timestamps: npt.NDArray[np.int64], values: npt.NDArray[np.float64]
) -> tuple[float, int]:
    """Return the max drawdown fraction and the longest underwater span in nanoseconds."""
    running_max = np.maximum.accumulate(values)
    max_drawdown = float(np.max(1.0 - values / running_max))
    at_peak = values >= running_max
    positions = np.arange(values.size)
    # Index of the latest sample at the running maximum, for every sample.
    last_peak = np.maximum.accumulate(np.where(at_peak, positions, 0))
    recoveries = np.flatnonzero(at_peak[1:] & ~at_peak[:-1]) + 1
    spans = timestamps[recoveries] - timestamps[last_peak[recoveries - 1]]
    longest = int(spans.max()) if spans.size else 0
    if not at_peak[-1]:
        longest = max(longest, int(timestamps[-1] - timestamps[last_peak[-1]]))
    return max_drawdown, longest


def _trade_stats(pnls: npt.NDArray[np.float64]) -> tuple[float, float]:
    if pnls.size == 0:
        return math.nan, math.nan
    win_rate = float(np.mean(pnls > 0.0))
    gross_profit = float(pnls[pnls > 0.0].sum())
    gross_loss = -float(pnls[pnls < 0.0].sum())
    if gross_loss > 0.0:
        profit_factor = gross_profit / gross_loss
    elif gross_profit > 0.0:
        profit_factor = math.inf
    else:
        profit_factor = math.nan
    return win_rate, profit_factor


def _percent(value: float) -> str:
    return _special(value) or f"{value:.2%}"


def _ratio(value: float, suffix: str = "") -> str:
    return _special(value) or f"{value:,.2f}{suffix}"


def _money(value: float) -> str:
    return _special(value) or f"{value:,.2f}"


def _days(value: float) -> str:
    return _special(value) or f"{value:,.1f} days"


def _number(value: float) -> str:
    return _special(value) or f"{value:g}"


def _special(value: float) -> str | None:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return None

"""Risk analytics benchmarks (issue: portfolio risk analytics).

historical   - historical VaR, ES and per-position ES contributions, 500 instruments x 1,000
               days of returns (target: under 100 ms).
monte-carlo  - Monte Carlo VaR and ES with 10,000 correlated normal paths for 500 instruments,
               Cholesky factor included; also with Student-t shocks.
parametric   - parametric (normal) VaR, ES and component VaR for 500 instruments from a given
               covariance; also the EWMA covariance it would come from (1,000 x 500 returns)
               and the Cornish-Fisher VaR from the returns.

Inputs are synthetic (a one-factor model of daily returns, seeded); each figure is the median
wall-clock time of ``--repeat`` calls after one untimed warm-up call. Usage:
  python bench/bench_risk.py [historical|monte-carlo|parametric|all]
      [--instruments N] [--days N] [--paths N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from midfreq.risk.analytics import (
    ShockDistribution,
    cornish_fisher_var,
    ewma_covariance,
    historical_var,
    monte_carlo_var,
    parametric_var,
)


def _market(instruments: int, days: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Position values (mixed long/short) and one-factor daily returns (days x instruments)."""
    rng = np.random.default_rng(seed)
    beta = rng.uniform(0.5, 1.5, instruments)
    market = rng.normal(0.0, 0.01, days)
    idiosyncratic = rng.normal(0.0, 0.015, (days, instruments))
    returns = market[:, None] * beta + idiosyncratic
    values = rng.uniform(-1e5, 3e5, instruments)
    return values, returns


def _median_ms(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    result = call()  # warm-up (and the value reported)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 2), result


def historical_case(instruments: int, days: int, repeat: int) -> dict[str, Any]:
    """Historical VaR at 99%, one day."""
    values, returns = _market(instruments, days)
    ms, result = _median_ms(lambda: historical_var(values, returns, 0.99), repeat)
    return {
        "case": "historical",
        "instruments": instruments,
        "days": days,
        "ms": ms,
        "var": round(result.var),
        "es": round(result.es),
    }


def monte_carlo_case(instruments: int, days: int, paths: int, repeat: int) -> dict[str, Any]:
    """Monte Carlo VaR at 99%, one day, normal and Student-t (5 degrees of freedom)."""
    values, returns = _market(instruments, days)
    covariance = np.cov(returns, rowvar=False)
    normal_ms, normal = _median_ms(
        lambda: monte_carlo_var(values, covariance, 0.99, paths=paths, seed=1), repeat
    )
    t_ms, student = _median_ms(
        lambda: monte_carlo_var(
            values,
            covariance,
            0.99,
            paths=paths,
            seed=1,
            distribution=ShockDistribution.STUDENT_T,
        ),
        repeat,
    )
    return {
        "case": "monte-carlo",
        "instruments": instruments,
        "paths": paths,
        "normal_ms": normal_ms,
        "student_t_ms": t_ms,
        "normal_var": round(normal.var),
        "student_t_var": round(student.var),
        "parametric_var": round(parametric_var(values, covariance, 0.99).var),
    }


def parametric_case(instruments: int, days: int, repeat: int) -> dict[str, Any]:
    """Parametric VaR from a covariance; the EWMA covariance; Cornish-Fisher from returns."""
    values, returns = _market(instruments, days)
    covariance = np.cov(returns, rowvar=False)
    parametric_ms, result = _median_ms(lambda: parametric_var(values, covariance, 0.99), repeat)
    ewma_ms, _ = _median_ms(lambda: ewma_covariance(returns), repeat)
    cf_ms, cf = _median_ms(lambda: cornish_fisher_var(values, returns, 0.99), repeat)
    return {
        "case": "parametric",
        "instruments": instruments,
        "days": days,
        "parametric_ms": parametric_ms,
        "ewma_covariance_ms": ewma_ms,
        "cornish_fisher_ms": cf_ms,
        "var": round(result.var),
        "cornish_fisher_var": round(cf.var),
    }


def main() -> None:
    """Run the chosen cases and print one JSON line each."""
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "case", nargs="?", default="all", choices=["historical", "monte-carlo", "parametric", "all"]
    )
    parser.add_argument("--instruments", type=int, default=500)
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    cases = ["historical", "monte-carlo", "parametric"] if args.case == "all" else [args.case]
    for case in cases:
        if case == "historical":
            figures = historical_case(args.instruments, args.days, args.repeat)
        elif case == "monte-carlo":
            figures = monte_carlo_case(args.instruments, args.days, args.paths, args.repeat)
        else:
            figures = parametric_case(args.instruments, args.days, args.repeat)
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()

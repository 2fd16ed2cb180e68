"""`StatArbConfig`: the settings of the pairs-trading strategy, validated with pydantic."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, ValidationInfo, field_validator

from midfreq.strategies.config import StrategyConfig


class HedgeRatioMethod(StrEnum):
    """How the hedge ratio of ``y`` on ``x`` is estimated bar by bar."""

    OLS = "ols"
    KALMAN = "kalman"


class LegFailureAction(StrEnum):
    """What to do when one leg of a pair trade filled and the other did not."""

    UNWIND = "unwind"
    COMPLETE = "complete"


class StatArbConfig(StrategyConfig):
    """Settings of `StatArbStrategy` (the rules are in the package docstring).

    Attributes
    ----------
    pairs : list of [y, x]
        Pairs to trade, ``y`` hedged with ``x``; empty: select pairs from ``symbols``. Each
        symbol may appear in one pair only, and must be among ``symbols`` when those are given
        (without ``symbols``, the strategy trades the pairs' legs).
    formation_period : int
        Bars (with a close for every leg) in the window of the cointegration tests, >= 30.
    retest_period : int
        Bars between re-tests of each pair on the latest ``formation_period`` bars (and, when
        selecting, between selections among unpaired symbols); 0 never re-tests.
    min_correlation : float
        Least return correlation for automatic selection, in [-1, 1].
    max_pvalue : float
        Largest Engle-Granger p-value to start (or resume) trading a pair, in (0, 1].
    break_pvalue : float
        A traded pair whose re-test p-value exceeds this is closed out and suspended; in
        [max_pvalue, 1].
    max_half_life : float or None
        Largest spread half-life in bars to start or keep trading a pair; None: no limit.
    resume_passes : int
        Consecutive passing re-tests a suspended pair needs to be traded again, >= 1.
    max_pairs : int
        Most pairs chosen by automatic selection, >= 1.
    adf_max_lag : int or None
        Most lags of the ADF regression in the Engle-Granger test, chosen by AIC; None:
        statsmodels' default ``12 * (n / 100) ** 0.25`` (each lag tried costs a regression).
    hedge_ratio : "ols" or "kalman"
        Rolling least squares over ``hedge_lookback`` bars, or a Kalman filter.
    hedge_lookback : int
        Window of the rolling regression, and the warm-up of the Kalman filter (no trading
        before), >= 10.
    kalman_delta : float
        Process variance of the Kalman state ``[beta, alpha]`` per bar, in absolute units
        (scale with the square of the price level), in [0, 1).
    kalman_observation_variance : float or None
        Variance of the Kalman observation noise; None: the residual variance of the
        least-squares fit over the first ``hedge_lookback`` bars.
    lookback_period : int
        Window of the spread's z-score (the shared setting), >= 2.
    entry_z, exit_z, stop_z : float
        Enter at ``|z| >= entry_z``, exit at ``|z| <= exit_z`` (on the entry side), stop out
        at ``|z| >= stop_z`` (None: no stop); ``0 <= exit_z < entry_z < stop_z``.
    order_quantity : float
        Quantity of the ``y`` leg (the shared setting); the ``x`` leg is ``beta`` times that,
        to the nearest lot.
    pair_notional : float or None
        If set, size the ``y`` leg as ``pair_notional / (price_y + |beta| * price_x)`` instead.
    leg_timeout_seconds : float
        Time after which a pair's orders that have not all filled are a leg failure, > 0;
        judged on the pair's next common bar, after that bar's fills (so a timeout shorter
        than the bar interval fails only legs that did not fill at the next open).
    leg_failure : "unwind" or "complete"
        On a leg failure, flatten both legs, or send market orders for what is missing (and
        unwind if that fails too).
    """

    pairs: list[tuple[str, str]] = Field(default_factory=list, validate_default=True)
    formation_period: int = Field(default=250, ge=30)
    retest_period: int = Field(default=50, ge=0)
    min_correlation: float = Field(default=0.5, ge=-1.0, le=1.0)
    max_pvalue: float = Field(default=0.05, gt=0.0, le=1.0)
    break_pvalue: float = Field(default=0.2, gt=0.0, le=1.0)
    max_half_life: float | None = Field(default=None, gt=0.0, allow_inf_nan=False)
    resume_passes: int = Field(default=3, ge=1)
    max_pairs: int = Field(default=5, ge=1)
    adf_max_lag: int | None = Field(default=None, ge=0)
    hedge_ratio: HedgeRatioMethod = HedgeRatioMethod.OLS
    hedge_lookback: int = Field(default=100, ge=10)
    kalman_delta: float = Field(default=1e-7, ge=0.0, lt=1.0)
    kalman_observation_variance: float | None = Field(default=None, gt=0.0, allow_inf_nan=False)
    entry_z: float = Field(default=2.0, gt=0.0, allow_inf_nan=False)
    exit_z: float = Field(default=0.5, ge=0.0, allow_inf_nan=False)
    stop_z: float | None = Field(default=4.0, gt=0.0, allow_inf_nan=False)
    pair_notional: float | None = Field(default=None, gt=0.0, allow_inf_nan=False)
    leg_timeout_seconds: float = Field(default=300.0, gt=0.0, allow_inf_nan=False)
    leg_failure: LegFailureAction = LegFailureAction.UNWIND

    @field_validator("pairs", mode="before")
    @classmethod
    def _pair_list(cls, value: object) -> object:
        if isinstance(value, str):
            raise ValueError("a list of [y, x] symbol pairs, not one string")
        return value

    @field_validator("pairs")
    @classmethod
    def _distinct_legs(
        cls, value: list[tuple[str, str]], info: ValidationInfo
    ) -> list[tuple[str, str]]:
        seen: set[str] = set()
        for y, x in value:
            if y == x:
                raise ValueError(f"two different symbols per pair, not [{y}, {x}]")
            for symbol in (y, x):
                if symbol in seen:
                    raise ValueError(f"each symbol in one pair ({symbol} is in two)")
                seen.add(symbol)
        symbols: list[str] = info.data.get("symbols") or []
        if symbols:
            known = {*symbols, *(s.partition(".")[0] for s in symbols)}
            missing = sorted(seen - known)
            if missing:
                raise ValueError(f"legs among symbols {symbols} ({missing} are not)")
        if not value and len(symbols) < 2:
            raise ValueError(f"pairs, or two or more symbols to select pairs from ({symbols})")
        return value

    @field_validator("break_pvalue")
    @classmethod
    def _not_below_max_pvalue(cls, value: float, info: ValidationInfo) -> float:
        limit = info.data.get("max_pvalue")
        if limit is not None and value < limit:
            raise ValueError(f"a p-value >= max_pvalue ({limit})")
        return value

    @field_validator("exit_z")
    @classmethod
    def _below_entry(cls, value: float, info: ValidationInfo) -> float:
        entry = info.data.get("entry_z")
        if entry is not None and value >= entry:
            raise ValueError(f"a number >= 0 and below entry_z ({entry})")
        return value

    @field_validator("stop_z")
    @classmethod
    def _above_entry(cls, value: float | None, info: ValidationInfo) -> float | None:
        entry = info.data.get("entry_z")
        if value is not None and entry is not None and value <= entry:
            raise ValueError(f"a number above entry_z ({entry}), or null for no stop")
        return value

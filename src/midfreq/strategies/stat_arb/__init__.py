"""Statistical arbitrage (pairs trading): select cointegrated pairs, hedge ``y`` with ``beta``
times ``x``, trade the spread's z-score with both legs together, and repair a trade whose legs
did not both fill.

Rules of `StatArbStrategy` (settings in `StatArbConfig`):

- Bars: the strategy works on bar closes. A *step* of a pair is a bar close time at which
  both legs have a bar; the step is processed on the second of the two bars.
- Pairs: either configured (``pairs: [[y, x], ...]``), or selected from ``symbols`` once
  ``formation_period`` steps with a close for every symbol have been seen: pairs with a
  return correlation >= ``min_correlation`` are oriented with the more volatile price as ``y``
  and tested with the Engle-Granger test (``statsmodels.tsa.stattools.coint``); those with
  p-value <= ``max_pvalue`` (and half-life <= ``max_half_life``) are taken best p-value first,
  each symbol in one pair, at most ``max_pairs``. While fewer than ``max_pairs`` pairs exist,
  selection runs again among unpaired symbols every ``retest_period`` steps. A selected pair's
  hedge and z-score are warmed up on the formation window.
- Cointegration status: a configured pair is traded only after passing the same test on its
  first ``formation_period`` steps. Every ``retest_period`` steps each pair is re-tested on its
  latest ``formation_period`` steps: a traded pair whose p-value exceeds ``break_pvalue`` (or
  half-life ``max_half_life``) is closed out and suspended; it resumes only after passing the
  entry test on ``resume_passes`` consecutive re-tests, the first on a window lying wholly
  after the failed test (``formation_period`` steps later): a window still holding pre-break
  data cannot bring it back, nor can a single lucky window of a random-walk spread (a run of
  them still can).
  A configured pair that fails its first test is suspended the same way (without the wait).
- Spread: ``y - beta * x - alpha`` with ``beta, alpha`` estimated from the steps *before* the
  current one (rolling least squares over ``hedge_lookback`` steps, or a Kalman filter whose
  spread is then its one-step forecast error); ``z`` is the spread's rolling z-score over
  ``lookback_period`` steps.
- Signals: flat, enter at ``|z| >= entry_z`` against the stretch (``z`` high: short the
  spread, i.e. sell ``y`` and buy ``beta * x``); exit when ``z`` is back within ``exit_z`` of
  zero on the entry side (or beyond it); stop out at ``|z| >= stop_z``. After a stop, a leg
  failure, or a ``|z|`` already beyond ``stop_z`` at entry, the pair re-arms only once ``|z|``
  falls inside ``entry_z``. Leg quantities are fixed at entry: ``order_quantity`` (or
  ``pair_notional / (price_y + |beta| * price_x)``) of ``y`` and ``|beta|`` times that of ``x``,
  each to whole lots (``x`` to the nearest lot).
- Legs: both legs' market orders are sent on the same event, tagged with the pair's name. The
  pair is balanced when no order is working and both positions equal their targets. A *leg
  failure* is a leg order denied by the risk gate or rejected by the venue (handled at once, in
  `on_order_event`), a leg order canceled or expired short of its target, or orders still
  working ``leg_timeout_seconds`` after they were sent (checked on the pair's next step, or on
  a bar of one leg once the other has missed a whole bar). ``leg_failure: unwind`` (the
  default) cancels the working orders and flattens both legs; ``complete`` cancels them and
  sends market orders for what is missing, unwinding if that fails too. While any pair is
  unbalanced (repairing a leg failure, or one leg's orders filled further than the other's)
  no pair opens a new position; exits go on.

Not modelled: quotes and trades (bars only), limit-order legs, portfolio-level sizing across
pairs, and re-hedging a position when ``beta`` drifts while it is open.
"""

from midfreq.strategies.stat_arb.config import HedgeRatioMethod, LegFailureAction, StatArbConfig
from midfreq.strategies.stat_arb.pair import HedgeEstimator, PairState, PairStatus
from midfreq.strategies.stat_arb.selection import (
    CointegrationTest,
    PairCandidate,
    engle_granger,
    half_life,
    select_pairs,
)
from midfreq.strategies.stat_arb.strategy import StatArbStrategy

__all__ = [
    "CointegrationTest",
    "HedgeEstimator",
    "HedgeRatioMethod",
    "LegFailureAction",
    "PairCandidate",
    "PairState",
    "PairStatus",
    "StatArbConfig",
    "StatArbStrategy",
    "engle_granger",
    "half_life",
    "select_pairs",
]

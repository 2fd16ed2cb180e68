"""`StatArbStrategy`: trade the z-score of cointegrated pairs' spreads, both legs together, with
pair selection, cointegration re-tests and leg-failure recovery (rules in the package docstring)."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np

from midfreq.infra.logging import get_logger
from midfreq.model.data import Bar
from midfreq.model.enums import OrderSide, OrderStatus
from midfreq.model.events import OrderDenied, OrderEvent, OrderRejected
from midfreq.model.identifiers import ClientOrderId, InstrumentId
from midfreq.strategies.base import BaseStrategy, OrderRouter
from midfreq.strategies.indicators import RollingZScore
from midfreq.strategies.stat_arb.config import LegFailureAction, StatArbConfig
from midfreq.strategies.stat_arb.pair import HedgeEstimator, PairState, PairStatus
from midfreq.strategies.stat_arb.selection import engle_granger, passes, select_pairs

_NANOS = 1_000_000_000
_TOLERANCE = 1e-9


class StatArbStrategy(BaseStrategy):
    """Pairs trading: long or short ``y - beta * x`` when its z-score is stretched.

    Config: see `StatArbConfig` (``pairs`` or ``symbols`` to select from, ``formation_period``,
    ``retest_period``, ``min_correlation``, ``max_pvalue``, ``break_pvalue``, ``max_half_life``,
    ``resume_passes``,
    ``max_pairs``, ``adf_max_lag``, ``hedge_ratio``, ``hedge_lookback``, ``kalman_delta``,
    ``kalman_observation_variance``, ``lookback_period``, ``entry_z``, ``exit_z``, ``stop_z``,
    ``order_quantity``, ``pair_notional``, ``leg_timeout_seconds``, ``leg_failure``).

    Attributes
    ----------
    pairs : list of PairState
        The pairs known so far (configured, or selected once ``formation_period`` bars of
        every symbol have been seen).
    """

    name = "stat_arb"
    config_class = StatArbConfig
    params: StatArbConfig
    keeps_price_history = False  # the pairs keep what they need

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        order_router: OrderRouter | None = None,
        risk_manager: Any | None = None,
    ) -> None:
        super().__init__(config, order_router, risk_manager)
        params = self.params
        if params.pairs and not params.symbols:
            self.instrument_ids = [self.instrument_id(s) for pair in params.pairs for s in pair]
        self.pairs: list[PairState] = []
        self._pair_of_leg: dict[InstrumentId, PairState] = {}
        self._pair_of_order: dict[ClientOrderId, PairState] = {}
        for y, x in params.pairs:
            self._add_pair(self.instrument_id(y), self.instrument_id(x))
        self._selecting = not params.pairs
        self._last: dict[InstrumentId, tuple[int, float]] = {}
        self._previous_ts: dict[InstrumentId, int | None] = {}
        # Automatic selection: aligned closes of the universe.
        self._closes: dict[InstrumentId, deque[float]] = {
            iid: deque(maxlen=params.formation_period) for iid in self.instrument_ids
        }
        self._step_ts: int | None = None
        self._step_seen: set[InstrumentId] = set()
        self._universe_steps = 0
        self._selected_step: int | None = None
        self._timeout_ns = int(params.leg_timeout_seconds * _NANOS)
        self._log = get_logger("strategies.stat_arb", strategy_id=str(self.strategy_id))

    # ---- pairs ---------------------------------------------------------------------------------
    def _add_pair(self, y: InstrumentId, x: InstrumentId) -> PairState:
        params = self.params
        pair = PairState(
            y=y,
            x=x,
            hedge=HedgeEstimator(
                params.hedge_ratio,
                params.hedge_lookback,
                params.kalman_delta,
                params.kalman_observation_variance,
            ),
            zscore=RollingZScore(params.lookback_period),
            window=deque(maxlen=params.formation_period),
        )
        self.pairs.append(pair)
        self._pair_of_leg[y] = self._pair_of_leg[x] = pair
        return pair

    def pair(self, y: str | InstrumentId, x: str | InstrumentId) -> PairState | None:
        """The pair ``y/x``, or None if it is not (yet) traded."""
        iy, ix = self.instrument_id(y), self.instrument_id(x)
        found = self._pair_of_leg.get(iy)
        return found if found is not None and found.y == iy and found.x == ix else None

    def status(self) -> dict[str, Any]:
        """Identity, state, P&L and the pairs (status, p-value, z, legs)."""
        return {**super().status(), "pairs": [pair.describe() for pair in self.pairs]}

    # ---- data ----------------------------------------------------------------------------------
    def on_bar(self, bar: Bar) -> None:
        """Record the close; on the bar completing a step of a pair, update it and trade."""
        iid, ts = bar.instrument_id, bar.ts_event
        previous = self._last.get(iid)
        self._previous_ts[iid] = previous[0] if previous is not None else None
        self._last[iid] = (ts, bar.close)
        if self._selecting and iid in self._closes:
            self._on_universe_bar(iid, ts)
        pair = self._pair_of_leg.get(iid)
        if pair is None:
            return
        other = self._last.get(pair.x if iid == pair.y else pair.y)
        if other is not None and other[0] == ts:
            if pair.last_step_ts != ts:
                self._on_pair_step(pair, ts)
        elif pair.deadline_ns is not None and ts >= pair.deadline_ns:
            # The other leg missed a whole bar of this one (halted, no data): judge the legs
            # now rather than at the next common bar.
            before = self._previous_ts.get(iid)
            if other is None or (before is not None and other[0] < before):
                self._check_legs(pair, judge_deadline=True)

    def _on_universe_bar(self, iid: InstrumentId, ts: int) -> None:
        if ts != self._step_ts:
            self._step_ts = ts
            self._step_seen = set()
        self._step_seen.add(iid)
        if len(self._step_seen) < len(self._closes):
            return
        for symbol, closes in self._closes.items():
            closes.append(self._last[symbol][1])
        self._universe_steps += 1
        params = self.params
        if self._universe_steps < params.formation_period:
            return
        if len(self.pairs) >= params.max_pairs:
            return
        if self._selected_step is not None and (
            params.retest_period == 0
            or self._universe_steps - self._selected_step < params.retest_period
        ):
            return
        self._selected_step = self._universe_steps
        self._select(ts)

    def _select(self, ts: int) -> None:
        params = self.params
        free = [iid for iid in self._closes if iid not in self._pair_of_leg]
        if len(free) < 2:
            return
        closes = {str(iid): np.array(self._closes[iid]) for iid in free}
        chosen = select_pairs(
            closes,
            min_correlation=params.min_correlation,
            max_pvalue=params.max_pvalue,
            max_half_life=params.max_half_life,
            max_pairs=params.max_pairs - len(self.pairs),
            max_lag=params.adf_max_lag,
        )
        for candidate in chosen:
            pair = self._add_pair(InstrumentId(candidate.y), InstrumentId(candidate.x))
            for y, x in zip(closes[candidate.y], closes[candidate.x], strict=True):
                pair.observe(float(y), float(x))  # warm the hedge and z-score up
            pair.last_step_ts = ts
            pair.test = candidate.test
            pair.tested_step = pair.steps
            self._set_status(pair, PairStatus.ACTIVE, ts)
            self._log.info(
                "pair selected",
                pair=pair.name,
                correlation=round(candidate.correlation, 4),
                pvalue=candidate.test.pvalue,
                beta=round(candidate.test.beta, 4),
                half_life=round(candidate.test.half_life, 2),
            )

    def _on_pair_step(self, pair: PairState, ts: int) -> None:
        pair.last_step_ts = ts
        y, x = self._last[pair.y][1], self._last[pair.x][1]
        pair.observe(y, x)
        self._retest(pair, ts)
        self._check_legs(pair, judge_deadline=True)
        self._decide(pair, y, x)

    # ---- cointegration -------------------------------------------------------------------------
    def _retest(self, pair: PairState, ts: int) -> None:
        params = self.params
        if len(pair.window) < params.formation_period:
            return
        if pair.status is not PairStatus.FORMING and (
            params.retest_period == 0
            or pair.steps - pair.tested_step < params.retest_period
            or pair.steps < pair.eligible_step
        ):
            return
        test = engle_granger(*pair.window_arrays(), max_lag=params.adf_max_lag)
        pair.test = test
        pair.tested_step = pair.steps
        if pair.status is PairStatus.ACTIVE:
            broken = test.pvalue > params.break_pvalue or (
                params.max_half_life is not None and test.half_life > params.max_half_life
            )
            if broken:
                # Re-tested only on a window that starts after the break.
                pair.eligible_step = pair.steps + params.formation_period
                self._set_status(pair, PairStatus.SUSPENDED, ts)
        elif not passes(test, params.max_pvalue, params.max_half_life):
            pair.passes = 0
            if pair.status is PairStatus.FORMING:
                self._set_status(pair, PairStatus.SUSPENDED, ts)
        elif pair.status is PairStatus.FORMING:
            self._set_status(pair, PairStatus.ACTIVE, ts)
        else:
            pair.passes += 1
            if pair.passes >= params.resume_passes:
                pair.passes = 0
                self._set_status(pair, PairStatus.ACTIVE, ts)

    def _set_status(self, pair: PairState, status: PairStatus, ts: int) -> None:
        pvalue = pair.test.pvalue if pair.test is not None else math.nan
        pair.status = status
        pair.status_changes.append((ts, status, pvalue))
        log = self._log.warning if status is PairStatus.SUSPENDED else self._log.info
        half_life = pair.test.half_life if pair.test is not None else math.nan
        log("pair status", pair=pair.name, status=status.value, pvalue=pvalue, half_life=half_life)

    # ---- signals -------------------------------------------------------------------------------
    def _decide(self, pair: PairState, y: float, x: float) -> None:
        if pair.working or pair.recovery is not None:
            return
        params = self.params
        z, stop = pair.z, params.stop_z
        direction = pair.direction
        if direction != 0:
            if pair.status is not PairStatus.ACTIVE:
                self._transition(pair, 0, 0.0, 0.0, "suspended")
            elif not math.isfinite(z):
                return
            elif stop is not None and z * direction <= -stop:
                pair.stops += 1
                pair.armed = False
                self._transition(pair, 0, 0.0, 0.0, "stop")
            elif z * direction >= -params.exit_z:
                self._transition(pair, 0, 0.0, 0.0, "exit")
            return
        if pair.status is not PairStatus.ACTIVE or not math.isfinite(z):
            return
        if abs(z) < params.entry_z:
            pair.armed = True
            return
        if not pair.armed:
            return
        if stop is not None and abs(z) >= stop:
            pair.armed = False  # beyond the stop already: a break, not a dislocation
            return
        if any(p.is_unbalanced for p in self.pairs):
            return  # never add exposure while a pair has an unbalanced leg
        beta = pair.beta
        if not math.isfinite(beta) or beta == 0.0:
            return
        quantity_y, quantity_x = self._leg_sizes(pair, y, x, beta)
        if quantity_y <= 0 or quantity_x <= 0:
            return
        direction = -1 if z > 0 else 1
        pair.entries += 1
        self._transition(
            pair,
            direction,
            direction * quantity_y,
            -direction * math.copysign(quantity_x, beta),
            "entry",
        )

    def _leg_sizes(self, pair: PairState, y: float, x: float, beta: float) -> tuple[float, float]:
        assert self.cache is not None
        instrument_y = self.cache.instrument(pair.y)
        instrument_x = self.cache.instrument(pair.x)
        hedge = abs(beta)
        size = self.order_quantity
        if self.params.pair_notional is not None:
            unit = y * instrument_y.multiplier + hedge * x * instrument_x.multiplier
            size = self.params.pair_notional / unit
        if self.max_position_size is not None:
            size = min(size, self.max_position_size, self.max_position_size / hedge)
        quantity_y = instrument_y.make_qty(size)
        lots_x = round(hedge * quantity_y / instrument_x.lot_size)
        quantity_x = instrument_x.make_qty(lots_x * instrument_x.lot_size)
        if self.max_position_size is not None and quantity_x > self.max_position_size:
            quantity_x = instrument_x.make_qty(self.max_position_size)
        return float(quantity_y), float(quantity_x)

    def _transition(
        self, pair: PairState, direction: int, target_y: float, target_x: float, reason: str
    ) -> None:
        if direction == 0 and pair.direction != 0:
            pair.exits += 1
        pair.direction = direction
        pair.target_y, pair.target_x = target_y, target_x
        self._log.debug(
            "pair order",
            pair=pair.name,
            reason=reason,
            z=round(pair.z, 4),
            beta=round(pair.beta, 4),
            target_y=target_y,
            target_x=target_x,
        )
        self._send(pair)

    # ---- legs ----------------------------------------------------------------------------------
    def _send(self, pair: PairState) -> None:
        """Send market orders moving both legs to their targets, on the same event."""
        assert self.clock is not None and self.cache is not None
        now = self.clock.timestamp_ns()
        orders = []
        for iid, target in ((pair.y, pair.target_y), (pair.x, pair.target_x)):
            delta = target - self.position(iid) - self.pending_quantity(iid)
            quantity = self.cache.instrument(iid).make_qty(abs(delta))
            if quantity > 0:
                side = OrderSide.BUY if delta > 0 else OrderSide.SELL
                orders.append(self.make_order(iid, side, quantity, tags=(pair.name,)))
        pair.working = [o for o in pair.working if o.is_open]
        pair.working.extend(orders)
        for order in orders:
            self._pair_of_order[order.client_order_id] = pair
        pair.deadline_ns = now + self._timeout_ns
        pair.submitted_ns = now
        recovering = pair.recovery is not None
        pair.submitting = True
        try:
            for order in orders:
                if not recovering and pair.recovery is not None:
                    # A leg was refused on the way out: the rest is not sent.
                    pair.working.remove(order)
                    del self._pair_of_order[order.client_order_id]
                    continue
                self.submit_order(order)
        finally:
            pair.submitting = False
        self._check_legs(pair, judge_deadline=False)

    def on_order_event(self, event: OrderEvent) -> None:
        """React to a pair order's events: a denial or rejection at once, the rest by state."""
        pair = self._pair_of_order.get(event.client_order_id)
        if pair is None:
            return
        if isinstance(event, OrderDenied | OrderRejected):
            reason = f"{type(event).__name__}: {event.reason}"
            if pair.recovery is None:
                self._start_recovery(pair, reason)
            elif pair.recovery is LegFailureAction.COMPLETE:
                self._unwind(pair, f"completion failed ({reason})")
            else:
                self._log.warning("unwind order refused", pair=pair.name, reason=reason)
        self._check_legs(pair, judge_deadline=False)

    def _check_legs(self, pair: PairState, *, judge_deadline: bool) -> None:
        """Settle a pair's legs: done, still working, timed out, or short of their targets."""
        if pair.submitting or (not pair.working and pair.recovery is None):
            return
        assert self.clock is not None
        now = self.clock.timestamp_ns()
        if any(order.is_open for order in pair.working):
            if judge_deadline and pair.deadline_ns is not None and now >= pair.deadline_ns:
                if pair.recovery is None:
                    self._start_recovery(pair, "legs not filled in time")
                elif pair.recovery is LegFailureAction.COMPLETE:
                    self._unwind(pair, "completion not filled in time")
                else:
                    self._cancel_working(pair)  # a stuck unwind order: cancel and send again
            return
        if self._legs_at_target(pair):
            if pair.recovery is not None:
                self._log.warning(
                    "pair legs balanced again",
                    pair=pair.name,
                    recovery=pair.recovery.value,
                    position_y=self.position(pair.y),
                    position_x=self.position(pair.x),
                )
                pair.recovery = None
                pair.armed = False
            for order in pair.working:
                self._pair_of_order.pop(order.client_order_id, None)
            pair.working = []
            pair.deadline_ns = None
            return
        # Nothing working, yet a leg is off its target (denied, rejected, canceled, expired).
        if pair.recovery is None:
            self._start_recovery(pair, "a leg closed unfilled")
        elif pair.recovery is LegFailureAction.COMPLETE and pair.completion_sent:
            self._unwind(pair, "completion did not fill")
        if pair.submitted_ns == now:
            return  # one send per instant: the next bar or event tries again
        if pair.recovery is LegFailureAction.COMPLETE:
            pair.completion_sent = True
        self._send(pair)

    def _legs_at_target(self, pair: PairState) -> bool:
        for iid, target in ((pair.y, pair.target_y), (pair.x, pair.target_x)):
            if abs(self.position(iid) - target) > _TOLERANCE * max(1.0, abs(target)):
                return False
        return True

    def _start_recovery(self, pair: PairState, reason: str) -> None:
        action = self.params.leg_failure
        pair.leg_failures += 1
        pair.completion_sent = False
        self._log.warning(
            "pair leg failure",
            pair=pair.name,
            reason=reason,
            action=action.value,
            position_y=self.position(pair.y),
            position_x=self.position(pair.x),
            target_y=pair.target_y,
            target_x=pair.target_x,
        )
        if action is LegFailureAction.UNWIND:
            self._unwind(pair, reason)
        else:
            pair.recovery = action
            self._cancel_working(pair)

    def _unwind(self, pair: PairState, reason: str) -> None:
        if pair.recovery is not LegFailureAction.UNWIND:
            self._log.warning("pair unwind", pair=pair.name, reason=reason)
        pair.recovery = LegFailureAction.UNWIND
        pair.direction = 0
        pair.target_y = pair.target_x = 0.0
        self._cancel_working(pair)

    def _cancel_working(self, pair: PairState) -> None:
        assert self.clock is not None
        for order in pair.working:
            # Orders not yet sent are dropped by `_send`; a pending cancel is not repeated.
            if order.is_open and order.status not in (
                OrderStatus.INITIALIZED,
                OrderStatus.PENDING_CANCEL,
            ):
                self.cancel_order(order)
        pair.deadline_ns = self.clock.timestamp_ns() + self._timeout_ns

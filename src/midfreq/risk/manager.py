"""The RiskManager (post-trade): watches equity, daily P&L and value at risk as fills and marks
arrive, and acts through the same paths as everyone else: it changes the trading state the
RiskGate enforces and sends reduce-only orders through the gate. It also answers risk questions
(exposures, VaR/ES, stress tests, hedges, volatility-targeted sizes) from `midfreq.risk.analytics`.

Controls, each from config:

- drawdown tiers: at a fall of ``drawdown`` from peak equity, ``warn`` (a breach event only),
  ``reduce`` (every position cut by ``reduce_fraction`` with reduce-only market orders, and the
  gate moved to REDUCING) or ``halt`` (the gate moved to HALTED: only cancels pass). Each tier
  acts once per drawdown episode; tiers re-arm when equity makes a new peak. A human (or code)
  resumes trading with `RiskGate.set_trading_state`.
- a daily loss limit: equity below the day's opening equity by ``daily_loss_limit`` (money), the
  day starting at midnight in ``day_timezone``; the action is ``reduce`` or ``halt``.
- a VaR limit: historical VaR (the configured method) above ``max_var`` (money) warns, reduces
  or halts.

Each breach is a `RiskBreach` event on ``events.risk.breach`` (logged, counted in `metrics`).
Drawdown is checked after every fill and whenever the portfolio's equity curve crosses the
first tier (the portfolio's drawdown alert), daily loss and VaR on fills and on a timer every
``check_interval_seconds``, so nothing runs per bar while all is well.
"""

from __future__ import annotations

import math
import zoneinfo
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import Clock, TimeEvent
from midfreq.core.errors import ConfigError
from midfreq.core.ids import IdGenerator
from midfreq.infra.logging import get_logger
from midfreq.model.enums import OrderSide, OrderType, TimeInForce, TradingState
from midfreq.model.events import OrderEvent, OrderFilled, OrderInitialized, RiskBreach
from midfreq.model.identifiers import ClientOrderId, InstrumentId
from midfreq.model.instruments import Option
from midfreq.model.orders import Order
from midfreq.portfolio.portfolio import Portfolio
from midfreq.risk import analytics
from midfreq.risk.config import DrawdownTier, RiskManagerConfig
from midfreq.risk.gate import RiskGate

BREACH_TOPIC = "events.risk.breach"
_NS = 1_000_000_000
_TIMER = "risk.manager.check"
_SAMPLER = "risk.manager.sample"
_MIN_SIZING_PRICES = 21  # the volatility forecast needs 20 returns


class RiskManager:
    """Portfolio-level risk: measures, limits and the actions they trigger.

    Parameters
    ----------
    config : RiskManagerConfig
        Limits and measure settings.
    bus : MessageBus
        For fills (``events.order.*``), breach events and reduce orders (``RiskGate.execute``).
    portfolio : Portfolio
        Positions, marks and the equity curve.
    gate : RiskGate
        Whose trading state the manager changes.
    cache : Cache, optional
        Instruments (lot sizes, multipliers) for reduce orders and exposures; required for
        ``reduce`` actions.
    clock : Clock, optional
        Time for events and the check/sampling timers; without one, daily loss and VaR limits
        are checked on fills only and no price history is sampled.
    """

    def __init__(
        self,
        config: RiskManagerConfig,
        bus: MessageBus,
        portfolio: Portfolio,
        gate: RiskGate,
        cache: Cache | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self._bus = bus
        self._portfolio = portfolio
        self._gate = gate
        self._cache = cache
        self._clock = clock
        self._log = get_logger("risk.manager")
        self.tiers: list[DrawdownTier] = config.effective_tiers()
        self._armed = [True] * len(self.tiers)
        self._episode_peak = portfolio.peak_equity
        self.breaches: list[RiskBreach] = []
        self.reduce_orders = 0
        self._ids = IdGenerator(clock, "R", "risk") if clock is not None else None
        self._zone = zoneinfo.ZoneInfo(config.day_timezone)
        self._day_end_ns: int | None = None
        self._day_open_equity: float | None = None
        self._daily_breached = False
        self._var_breached = False
        self._history: deque[tuple[int, dict[InstrumentId, float]]] = deque(
            maxlen=config.var_lookback + 1
        )
        bus.subscribe("events.order.*", self.on_order_event)
        if self.tiers:
            portfolio.set_drawdown_alert(self.tiers[0].drawdown, self._on_drawdown_alert)
        if clock is not None:
            if config.daily_loss_limit is not None or config.max_var is not None:
                clock.set_timer(_TIMER, round(config.check_interval_seconds * _NS), self._on_timer)
            clock.set_timer(_SAMPLER, round(config.sample_interval_seconds * _NS), self._on_sample)

    # ---- measures ------------------------------------------------------------------------
    @property
    def peak_equity(self) -> float:
        """Highest equity recorded so far (or now, if higher)."""
        return max(self._portfolio.peak_equity, self._portfolio.equity())

    @property
    def drawdown(self) -> float:
        """Current fall from the peak, as a fraction."""
        peak = self.peak_equity
        return 1.0 - self._portfolio.equity() / peak if peak > 0 else 0.0

    @property
    def daily_pnl(self) -> float:
        """Equity now minus equity at the start of the current day (0 before the first check)."""
        self._roll_day()
        opening = self._day_open_equity
        return 0.0 if opening is None else self._portfolio.equity() - opening

    def holdings(self) -> list[analytics.Holding]:
        """The book as `Holding`s, netted per instrument across strategies, at current marks."""
        holdings = []
        for iid, quantity in self._portfolio.net_positions().items():
            price = self._portfolio.mark(iid)
            if price is None:
                continue
            instrument = self._cache.instrument(iid) if self._cache is not None else None
            sector = self.config.sectors.get(iid.symbol, analytics.UNCLASSIFIED)
            if instrument is not None:
                holdings.append(
                    analytics.Holding.from_instrument(instrument, quantity, price, sector=sector)
                )
            else:
                holdings.append(
                    analytics.Holding(instrument_id=str(iid), quantity=quantity, price=price)
                )
        return holdings

    def exposures(self) -> analytics.ExposureReport:
        """Gross, net, long, short and leverage, by instrument, asset class and sector."""
        return analytics.compute_exposures(self.holdings(), self._portfolio.equity())

    def returns(self) -> tuple[list[InstrumentId], np.ndarray]:
        """Simple returns between the sampled marks (``sample_interval_seconds`` apart) of the
        instruments held now: ``(instrument_ids, T x N matrix)``; NaN where a mark is missing."""
        held = list(self._portfolio.net_positions())
        if len(self._history) < 2 or not held:
            return held, np.empty((0, len(held)))
        prices = np.array(
            [[marks.get(iid, math.nan) for iid in held] for _, marks in self._history]
        )
        return held, prices[1:] / prices[:-1] - 1.0

    def value_at_risk(
        self, confidence: float = 0.99, method: str | None = None
    ) -> analytics.VarResult | None:
        """VaR and ES of today's book over ``var_horizon_days`` by ``method`` (default: the
        configured one), or None while the sampled history is too short for ``confidence``."""
        held, returns = self.returns()
        if not held:
            return None
        values = np.array(
            [h.value for h in self.holdings() if InstrumentId(h.instrument_id) in held]
        )
        if len(values) != len(held):
            return None
        rows = returns[~np.isnan(returns).any(axis=1)] if returns.size else returns
        if len(rows) < analytics.minimum_scenarios(confidence):
            return None
        horizon = self.config.var_horizon_days
        chosen = method or self.config.var_method
        if chosen == "historical":
            return analytics.historical_var(values, rows, confidence, horizon)
        if chosen == "cornish_fisher":
            return analytics.cornish_fisher_var(values, rows, confidence, horizon)
        covariance = analytics.nearest_psd(analytics.sample_covariance(rows))
        if chosen == "parametric":
            return analytics.parametric_var(values, covariance, confidence, horizon)
        if chosen == "monte_carlo":
            return analytics.monte_carlo_var(values, covariance, confidence, horizon)
        raise ConfigError("method", chosen, "historical, parametric, cornish_fisher or monte_carlo")

    def stress_test(self, market_return: float = -0.10) -> analytics.StressResult:
        """P&L per position if every holding moves by ``market_return`` (beta 1)."""
        holdings = self.holdings()
        values = np.array([h.value for h in holdings])
        return analytics.market_shock(
            values,
            np.ones(len(holdings)),
            market_return,
            labels=[h.instrument_id for h in holdings],
        )

    def stress_tests(
        self, *, market_return: float = -0.10, gap: float = -0.20, confidence: float = 0.99
    ) -> dict[str, Any]:
        """The standard scenarios on today's book: the market moving by ``market_return``
        (beta 1), each held instrument gapping by ``gap`` on its own, the worst window of the
        sampled history replayed (``var_horizon_days`` periods), and VaR with volatility
        doubled and with every correlation at 1 (None while the history is too short).

        Returns
        -------
        dict
            ``market``: `StressResult`; ``gaps``: {instrument: `StressResult`};
            ``worst_window``, ``volatility_x2``, ``correlation_1``: results or None.
        """
        holdings = self.holdings()
        labels = [h.instrument_id for h in holdings]
        values = np.array([h.value for h in holdings])
        out: dict[str, Any] = {
            "market": self.stress_test(market_return),
            "gaps": {
                label: analytics.instrument_gap(values, label, gap, labels=labels)
                for label in labels
            },
            "worst_window": None,
            "volatility_x2": None,
            "correlation_1": None,
        }
        held, returns = self.returns()
        rows = returns[~np.isnan(returns).any(axis=1)] if returns.size else returns
        if held and [str(i) for i in held] == labels and len(rows) >= 2:
            out["worst_window"] = analytics.worst_window(
                values, rows, min(self.config.var_horizon_days, len(rows)), labels=labels
            )
            covariance = analytics.nearest_psd(analytics.sample_covariance(rows))
            out["volatility_x2"] = analytics.volatility_shock(values, covariance, 2.0, confidence)
            out["correlation_1"] = analytics.correlation_shock(values, covariance, 1.0, confidence)
        return out

    def beta_hedge(self, index: InstrumentId) -> analytics.HedgeRecommendation | None:
        """The ``index`` quantity that makes the book beta-neutral, with betas from the sampled
        marks (None while there are fewer than 20 common returns or no mark for the index)."""
        held, returns = self.returns()
        index_price = self._portfolio.mark(index)
        if index_price is None and self._cache is not None:
            index_price = self._cache.last_prices.get(index)
        marks = [m.get(index, math.nan) for _, m in self._history]
        if not held or index_price is None or len(marks) < 21:
            return None
        index_returns = np.asarray(marks[1:]) / np.asarray(marks[:-1]) - 1.0
        book = [i for i in held if i != index]
        if not book:
            return None
        columns = [held.index(i) for i in book]
        beta = analytics.betas(returns[:, columns], index_returns, min_periods=20)
        by_id = {h.instrument_id: h.value for h in self.holdings()}
        values = np.array([by_id[str(i)] for i in book])
        instrument = self._cache.instrument(index) if self._cache is not None else None
        return analytics.beta_hedge(
            values,
            np.nan_to_num(beta),
            index_price,
            index_multiplier=float(instrument.multiplier) if instrument else 1.0,
            lot_size=instrument.lot_size if instrument else 1.0,
            instrument_id=str(index),
        )

    def delta_hedge(
        self,
        underlying: InstrumentId,
        volatility: float,
        *,
        rate: float = 0.0,
        dividend_yield: float = 0.0,
    ) -> analytics.HedgeRecommendation | None:
        """The ``underlying`` quantity that makes the options on it (and the underlying already
        held) delta-neutral, with Black-Scholes deltas at ``volatility``; None without a mark
        for the underlying or a cache."""
        if self._cache is None or self._clock is None:
            return None
        spot = self._portfolio.mark(underlying) or self._cache.last_prices.get(underlying)
        if spot is None:
            return None
        now = self._clock.timestamp_ns()
        net = self._portfolio.net_positions()
        options = []
        for iid, quantity in net.items():
            instrument = self._cache.instrument(iid)
            if quantity and isinstance(instrument, Option) and instrument.underlying == underlying:
                options.append(
                    analytics.OptionHolding.from_instrument(instrument, quantity, volatility, now)
                )
        base = self._cache.instrument(underlying)
        return analytics.delta_hedge(
            options,
            spot,
            rate,
            dividend_yield,
            underlying_quantity=net.get(underlying, 0.0),
            underlying_multiplier=float(base.multiplier),
            lot_size=base.lot_size,
            instrument_id=str(underlying),
        )

    def seed_history(self, marks: Sequence[tuple[int, Mapping[InstrumentId, float]]]) -> int:
        """Prepend sampled marks (``(ts, {instrument: price})``, oldest first), for example daily
        closes from the catalog, so VaR and volatility work from the start; returns how many
        were kept (the newest ``var_lookback + 1``)."""
        merged = [*((ts, dict(m)) for ts, m in marks), *self._history]
        merged.sort(key=lambda item: item[0])
        self._history.clear()
        self._history.extend(merged[-(self.config.var_lookback + 1) :])
        return len(self._history)

    def position_size(
        self, instrument_id: InstrumentId, target_volatility: float, capital: float | None = None
    ) -> float:
        """Quantity of ``instrument_id`` whose volatility (from the sampled marks, annualised
        from the sampling interval) is ``target_volatility`` of ``capital`` (default: equity).
        0.0 while fewer than 21 marks were sampled."""
        prices = np.array(
            [marks[instrument_id] for _, marks in self._history if instrument_id in marks]
        )
        instrument = self._cache.instrument(instrument_id) if self._cache is not None else None
        if len(prices) < _MIN_SIZING_PRICES or instrument is None:
            return 0.0
        periods = 365.25 * 86_400 / self.config.sample_interval_seconds
        size = analytics.size_from_prices(
            prices,
            capital if capital is not None else self._portfolio.equity(),
            target_volatility,
            periods_per_year=periods,
            multiplier=instrument.multiplier,
            lot_size=instrument.lot_size,
        )
        return float(size.quantity)

    # ---- events ----------------------------------------------------------------------------
    def on_order_event(self, event: OrderEvent) -> None:
        """Re-check every limit after a fill."""
        if type(event) is OrderFilled:
            self.check()

    def _on_drawdown_alert(self, _equity: float, _peak: float) -> None:
        self._check_drawdown()

    def _on_timer(self, _event: TimeEvent) -> None:
        self._check_daily_loss()
        self._check_var()

    def _on_sample(self, event: TimeEvent) -> None:
        marks = {}
        for iid in self._portfolio.net_positions():
            price = self._portfolio.mark(iid)
            if price is not None:
                marks[iid] = price
        if self._cache is not None:
            for iid, price in self._cache.last_prices.items():
                marks.setdefault(iid, price)
        if marks:  # nothing priced yet (before the first market data): nothing to sample
            self._history.append((event.ts_event, marks))

    # ---- checks ------------------------------------------------------------------------------
    def check(self) -> None:
        """Evaluate every configured limit now."""
        self._check_drawdown()
        self._check_daily_loss()
        self._check_var()

    def _check_drawdown(self) -> None:
        if not self.tiers:
            return
        peak = self.peak_equity
        if peak > self._episode_peak:  # a new peak: the next drawdown is a new episode
            self._episode_peak = peak
            self._armed = [True] * len(self.tiers)
        drawdown = self.drawdown
        if drawdown <= 0.0:
            return
        for i, tier in enumerate(self.tiers):
            if self._armed[i] and drawdown >= tier.drawdown:
                self._armed[i] = False
                self._act(
                    "drawdown",
                    drawdown,
                    tier.drawdown,
                    tier.action,
                    tier.reduce_fraction,
                    f"drawdown {drawdown:.2%} >= {tier.drawdown:.2%}",
                )

    def _check_daily_loss(self) -> None:
        limit = self.config.daily_loss_limit
        if limit is None:
            return
        self._roll_day()
        loss = -self.daily_pnl
        if loss >= limit and not self._daily_breached:
            self._daily_breached = True
            self._act(
                "daily_loss",
                loss,
                limit,
                self.config.daily_loss_action,
                self.config.reduce_fraction,
                f"loss today {loss:,.2f} >= limit {limit:,.2f}",
            )

    def _check_var(self) -> None:
        limit = self.config.max_var
        if limit is None:
            return
        result = self.value_at_risk(self.config.max_var_confidence)
        if result is None:
            return
        if result.var >= limit and not self._var_breached:
            self._var_breached = True
            self._act(
                "var",
                result.var,
                limit,
                self.config.max_var_action,
                self.config.reduce_fraction,
                f"VaR {result.var:,.2f} >= limit {limit:,.2f} ({result.method})",
            )
        elif result.var < limit:
            self._var_breached = False

    def _roll_day(self) -> None:
        if self._clock is None:
            return
        now = self._clock.timestamp_ns()
        if self._day_end_ns is None or now >= self._day_end_ns:
            local = datetime.fromtimestamp(now / _NS, self._zone)
            midnight = datetime(local.year, local.month, local.day, tzinfo=self._zone)
            next_midnight = (midnight + timedelta(days=1, hours=2)).replace(hour=0)
            self._day_end_ns = int(next_midnight.timestamp()) * _NS
            self._day_open_equity = self._portfolio.equity()
            self._daily_breached = False

    # ---- actions -----------------------------------------------------------------------------
    def _act(
        self, metric: str, value: float, limit: float, action: str, fraction: float, detail: str
    ) -> None:
        ts = self._clock.timestamp_ns() if self._clock is not None else 0
        breach = RiskBreach(
            metric=metric, value=value, limit=limit, action=action, detail=detail, ts_event=ts
        )
        self.breaches.append(breach)
        self._log.warning("risk limit breached", metric=metric, action=action, detail=detail)
        self._bus.publish(BREACH_TOPIC, breach)
        if action == "halt":
            if self._gate.trading_state is not TradingState.HALTED:
                self._gate.set_trading_state(TradingState.HALTED, detail)
        elif action == "reduce":
            if self._gate.trading_state is TradingState.ACTIVE:
                self._gate.set_trading_state(TradingState.REDUCING, detail)
            if self._cache is None or self._clock is None:
                self._log.warning("no reduce orders: the manager has no cache and clock")
            else:
                self.reduce_positions(fraction, reason=f"{metric} {action}")

    def reduce_positions(self, fraction: float, *, reason: str = "risk reduce") -> list[Order]:
        """Send reduce-only market orders cutting every position by ``fraction`` (whole lots,
        at least one lot) through the risk gate, each under the strategy that holds it.

        Returns
        -------
        list of Order
            The orders sent.
        """
        if not 0.0 < fraction <= 1.0:
            raise ConfigError("reduce_fraction", fraction, "a fraction in (0, 1]")
        if self._cache is None or self._ids is None or self._clock is None:
            raise ConfigError("RiskManager", None, "a cache and a clock to send reduce orders")
        sent = []
        now = self._clock.timestamp_ns()
        for (iid, strategy_id), position in list(self._portfolio.positions.items()):
            quantity = position.quantity
            if quantity == 0:
                continue
            instrument = self._cache.instrument(iid)
            lots = max(1, round(abs(quantity) * fraction / instrument.lot_size))
            size = min(abs(quantity), lots * instrument.lot_size)
            init = OrderInitialized(
                client_order_id=ClientOrderId(self._ids.generate()),
                strategy_id=strategy_id,
                instrument_id=iid,
                side=OrderSide.SELL if quantity > 0 else OrderSide.BUY,
                order_type=OrderType.MARKET,
                quantity=float(instrument.make_qty(size)),
                time_in_force=TimeInForce.GTC,
                reduce_only=True,
                tags=("risk_reduce", reason),
                ts_event=now,
                ts_init=now,
            )
            order = Order(init, instrument.size_precision)
            sent.append(order)
            self._bus.send("RiskGate.execute", order)
        self.reduce_orders += len(sent)
        return sent

    # ---- reports -----------------------------------------------------------------------------
    def check_signal(self, signal: Mapping[str, Any] | float) -> bool:
        """Whether acting on ``signal`` is allowed now.

        ``signal`` is a number (its sign is the direction) or a mapping with ``side``
        (``BUY``/``SELL``) or ``signal``, and optionally ``symbol`` (an instrument id) for the
        REDUCING check. HALTED allows nothing; REDUCING allows only a signal that reduces the
        current net position in ``symbol``; ACTIVE allows everything the gate would.
        """
        state = self._gate.trading_state
        if state is TradingState.HALTED:
            return False
        if state is TradingState.ACTIVE:
            return True
        direction = _direction(signal)
        symbol = signal.get("symbol") if isinstance(signal, Mapping) else None
        if symbol is None or direction == 0:
            return False
        held = self._portfolio.net_positions().get(InstrumentId(str(symbol)), 0.0)
        return held * direction < 0

    def get_metrics(self) -> dict[str, Any]:
        """The original spec's metrics: ``portfolio_value``, ``cash``, ``realized_pnl``,
        ``unrealized_pnl``, ``max_drawdown``, ``positions``, ``var_95``, ``var_99``,
        ``sharpe_ratio`` (VaR is None while the history is too short; Sharpe from the equity
        curve's sampled returns, annualised, None with fewer than 2 returns)."""
        summary = self._portfolio.summary()
        var_95 = self.value_at_risk(0.95)
        var_99 = self.value_at_risk(0.99)
        return {
            "portfolio_value": self._portfolio.equity(),
            "cash": summary["cash"],
            "realized_pnl": summary["realized_pnl"],
            "unrealized_pnl": summary["unrealized_pnl"],
            "max_drawdown": self._max_drawdown(),
            "positions": {str(iid): q for iid, q in self._portfolio.net_positions().items()},
            "var_95": var_95.var if var_95 is not None else None,
            "var_99": var_99.var if var_99 is not None else None,
            "sharpe_ratio": self._sharpe(),
        }

    def metrics(self) -> dict[str, Any]:
        """Current risk figures for status displays (a superset of `get_metrics`)."""
        exposures = self.exposures()
        return {
            **self.get_metrics(),
            "trading_state": self._gate.trading_state.value,
            "equity": self._portfolio.equity(),
            "peak_equity": self.peak_equity,
            "drawdown": self.drawdown,
            "daily_pnl": self.daily_pnl,
            "gross_exposure": self._portfolio.gross_exposure(),
            "net_exposure": self._portfolio.net_exposure(),
            "leverage": exposures.gross_leverage,
            "breaches": len(self.breaches),
            "reduce_orders": self.reduce_orders,
            "denied_orders": self._gate.denied_count,
        }

    def _max_drawdown(self) -> float:
        values = np.frombuffer(self._portfolio.equity_values, dtype=np.float64)
        now = self._portfolio.equity()
        values = np.append(values, now)
        peaks = np.maximum.accumulate(values)
        with np.errstate(divide="ignore", invalid="ignore"):
            falls = np.where(peaks > 0, 1.0 - values / peaks, 0.0)
        return float(falls.max()) if falls.size else 0.0

    def _sharpe(self) -> float | None:
        equity = [e for _, e in self._equity_samples()]
        if len(equity) < 3:
            return None
        returns = np.diff(equity) / np.asarray(equity[:-1])
        std = float(np.std(returns, ddof=1))
        if std == 0.0 or not math.isfinite(std):
            return None
        periods = 365.25 * 86_400 / self.config.sample_interval_seconds
        return float(np.mean(returns) / std * math.sqrt(periods))

    def _equity_samples(self) -> Sequence[tuple[int, float]]:
        ts = np.frombuffer(self._portfolio.equity_ts, dtype=np.int64)
        values = np.frombuffer(self._portfolio.equity_values, dtype=np.float64)
        if ts.size == 0:
            return []
        step = round(self.config.sample_interval_seconds * _NS)
        buckets = (ts - ts[0]) // step
        last = np.flatnonzero(np.diff(buckets, append=buckets[-1] + 1))
        return list(zip(ts[last].tolist(), values[last].tolist(), strict=True))


def _direction(signal: Mapping[str, Any] | float) -> int:
    if isinstance(signal, Mapping):
        side = signal.get("side")
        if side is not None:
            return 1 if str(side).upper() == OrderSide.BUY.value else -1
        value = float(signal.get("signal", 0.0))
    else:
        value = float(signal)
    return (value > 0) - (value < 0)

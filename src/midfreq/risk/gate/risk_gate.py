"""The RiskGate: enforces the trading state, runs the configured checks on every submit and
modify, passes every cancel, records a decision for each, and holds the kill switch."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import Clock
from midfreq.core.errors import RiskError
from midfreq.model.commands import CancelAllOrders, CancelOrder
from midfreq.model.enums import DenialCode, OrderStatus, TradingState
from midfreq.model.events import OrderEvent, TradingStateChanged
from midfreq.model.identifiers import InstrumentId, StrategyId
from midfreq.model.orders import Order
from midfreq.risk.config import RiskGateConfig
from midfreq.risk.gate.build import checks_from_config
from midfreq.risk.gate.context import Denial, PortfolioReader, PreTradeCheck, RiskContext
from midfreq.risk.gate.flow import ExecutionThrottle
from midfreq.risk.gate.limits import BuyingPower
from midfreq.risk.gate.market import CorrelationSource, MarketHistory, RollingCorrelation
from midfreq.risk.gate.records import (
    DECISIONS_TOPIC,
    KILL_SWITCH_TOPIC,
    RESTRICTIONS_TOPIC,
    STRATEGY_TRADING_TOPIC,
    ActivateKillSwitch,
    GateAction,
    GateDecision,
    KillSwitchActivated,
    KillSwitchOrder,
    ModifyOrder,
    StrategyTradingChanged,
)
from midfreq.risk.gate.restrictions import (
    RestrictionAction,
    RestrictionBook,
    RestrictionChanged,
    RestrictionUpdate,
)

TRADING_STATE_TOPIC = "events.risk.trading_state"
MODIFY_ENDPOINT = "OrderManager.modify"


class RiskGate:
    """Runs the trading-state rule and every check on each order, then approves or denies.

    Endpoints: ``RiskGate.execute`` (an `Order`), ``RiskGate.modify`` (a `ModifyOrder`),
    ``RiskGate.cancel`` (a `CancelOrder`), ``RiskGate.cancel_all`` (a `CancelAllOrders`),
    ``RiskGate.set_trading_state`` (a `TradingState`, reason pair), ``RiskGate.kill_switch``
    (an `ActivateKillSwitch`), ``RiskGate.enable_strategy`` (a strategy id) and
    ``RiskGate.update_restrictions`` (a `RestrictionUpdate`).

    Every submit, modify and cancel leaves a `GateDecision` in ``decisions`` (the most recent
    ``decision_log_size``), also published on ``events.risk.decisions`` when anything listens.
    """

    def __init__(
        self,
        config: RiskGateConfig,
        bus: MessageBus,
        cache: Cache,
        portfolio: PortfolioReader,
        clock: Clock,
        checks: list[PreTradeCheck] | None = None,
        *,
        correlation_source: CorrelationSource | None = None,
    ) -> None:
        self.config = config
        self._bus = bus
        self._cache = cache
        self._clock = clock
        correlation = None
        if config.correlation is not None:
            correlation = correlation_source or RollingCorrelation(
                config.correlation.window, config.correlation.min_periods
            )
        history = MarketHistory(
            config.liquidity.window_bars if config.liquidity is not None else None, correlation
        )
        restrictions = RestrictionBook(
            {InstrumentId(i) for i in config.restricted_list.instruments}
            if config.restricted_list is not None
            else None,
            {InstrumentId(k): v for k, v in config.short_sale.locates.items()}
            if config.short_sale is not None
            else None,
        )
        self.context = RiskContext(
            cache,
            portfolio,
            clock,
            account_id=config.account_id,
            history=history,
            restrictions=restrictions,
        )
        self.context.cancel_order = self._cancel_order
        # Fixed at construction: the bound methods below are what runs.
        self.checks: tuple[PreTradeCheck, ...] = tuple(
            checks if checks is not None else checks_from_config(config)
        )
        self._rules = tuple(c.check for c in self.checks)
        self.trading_state = config.trading_state
        self.approved_count = 0
        self.denied_count = 0
        self.cancel_count = 0
        self.denials_by_code: dict[DenialCode, int] = {}
        self.decisions: deque[GateDecision] = deque(maxlen=config.decision_log_size)
        self.kill_switch_reports: list[KillSwitchActivated] = []
        self._approval_hooks: list[Callable[[Order, RiskContext], None]] = [
            c.on_approved for c in self.checks if hasattr(c, "on_approved")
        ]
        self._event_hooks: list[Callable[[OrderEvent], None]] = [
            c.on_order_event for c in self.checks if hasattr(c, "on_order_event")
        ]
        self.throttle = next((c for c in self.checks if isinstance(c, ExecutionThrottle)), None)
        if self.throttle is not None:
            self.throttle.listener = self._publish_strategy_change
        self._buying_power = next((c for c in self.checks if isinstance(c, BuyingPower)), None)
        self._tracks_working = any(getattr(c, "uses_working_orders", False) for c in self.checks)
        if self._tracks_working:
            self._start_tracking(portfolio)
        if self._event_hooks:
            bus.subscribe("events.order.*", self._on_order_event)
        if history.active:
            bus.subscribe("data.bars.*", history.on_bar)
        bus.register("RiskGate.execute", self.execute)
        bus.register("RiskGate.modify", self.modify)
        bus.register("RiskGate.cancel", self.cancel)
        bus.register("RiskGate.cancel_all", self.cancel_all)
        bus.register("RiskGate.set_trading_state", self._on_set_state)
        bus.register("RiskGate.kill_switch", self._on_kill_switch)
        bus.register("RiskGate.enable_strategy", self._on_enable_strategy)
        bus.register("RiskGate.update_restrictions", self._on_update_restrictions)

    def _start_tracking(self, portfolio: PortfolioReader) -> None:
        working = self.context.working
        working.active = True
        self._event_hooks.insert(0, working.on_order_event)
        for iid in self._cache.instruments:
            if portfolio.net_quantity(iid):
                working.hold(iid)
        for order in list(self._cache.open_orders.values()):
            self._track(order)

    def _on_order_event(self, event: OrderEvent) -> None:
        for hook in self._event_hooks:
            hook(event)

    # ---- decisions ----------------------------------------------------------------------------
    def check(self, order: Order) -> Denial | None:
        """Return the first denial for submitting ``order``, or None if it may go to the venue."""
        context = self.context
        context.begin(order, GateAction.SUBMIT, self._clock.timestamp_ns())
        try:
            return self._run_checks(order)
        finally:
            context.end()

    def _run_checks(self, order: Order) -> Denial | None:
        state = self.trading_state
        context = self.context
        if state is not TradingState.ACTIVE:
            if state is TradingState.HALTED:
                return Denial(DenialCode.TRADING_HALTED)
            if not context.reduces_position(order):
                return Denial(
                    DenialCode.REDUCING_ONLY,
                    {"position": context.net_position(order), "side": order.side.value},
                )
        if order.reduce_only and not context.reduces_position(order):
            return Denial(
                DenialCode.REDUCING_ONLY,
                {"position": context.net_position(order), "reduce_only": True},
            )
        for rule in self._rules:
            denial = rule(order, context)
            if denial is not None:
                return denial
        return None

    def _record(
        self, action: GateAction, about: Any, denial: Denial | None, reason: str = ""
    ) -> None:
        if denial is None:
            decision = GateDecision(
                ts_event=self.context.now_ns,
                action=action,
                client_order_id=about.client_order_id,
                strategy_id=about.strategy_id,
                instrument_id=about.instrument_id,
                approved=True,
                reason=reason,
            )
        else:
            decision = GateDecision(
                ts_event=self.context.now_ns,
                action=action,
                client_order_id=about.client_order_id,
                strategy_id=about.strategy_id,
                instrument_id=about.instrument_id,
                approved=False,
                code=denial.code,
                reason=reason,
            )
            self.denied_count += 1
            self.denials_by_code[denial.code] = self.denials_by_code.get(denial.code, 0) + 1
        self.decisions.append(decision)
        if self._bus.has_subscribers(DECISIONS_TOPIC):
            self._bus.publish(DECISIONS_TOPIC, decision)

    def _approved(self, order: Order) -> None:
        self.approved_count += 1
        context = self.context
        for hook in self._approval_hooks:
            hook(order, context)

    def _track(self, order: Order) -> bool:
        context = self.context
        instrument = context.instrument(order)
        price = context.price(order)
        rate = 1.0
        if instrument is not None and self._buying_power is not None:
            rate = self._buying_power.rate(instrument)
        return context.working.add(
            order,
            price if price is not None else 0.0,
            instrument.multiplier if instrument is not None else 1.0,
            rate,
            not context.reduces_position(order),
            context.position_id(order.instrument_id),
        )

    def execute(self, order: Order) -> None:
        """Approve ``order`` to the OMS or deny it with an `OrderDenied` event."""
        context = self.context
        context.begin(order, GateAction.SUBMIT, self._clock.timestamp_ns())
        tracked = False
        try:
            denial = self._run_checks(order)
            if denial is None:
                self._record(GateAction.SUBMIT, order, None)
                self._approved(order)
                if self._tracks_working:
                    tracked = self._track(order)
        finally:
            context.end()
        if denial is not None:
            reason = denial.reason
            self._record(GateAction.SUBMIT, order, denial, reason)
            self._bus.send("OrderManager.deny", (order, denial.code, reason))
            return
        self._bus.send("OrderManager.submit", order)
        if tracked and self._cache.orders.get(order.client_order_id) is not order:
            self.context.working.discard(order.client_order_id)  # the OMS refused it

    def modify(self, command: ModifyOrder) -> None:
        """Check a modify as the order it would make; forward it to ``OrderManager.modify`` if
        approved. A refused modify changes nothing: its decision (on ``events.risk.decisions``)
        says why; no `OrderDenied` is sent, since the order itself keeps working."""
        context = self.context
        context.now_ns = self._clock.timestamp_ns()
        context.action = GateAction.MODIFY
        order = self._cache.orders.get(command.client_order_id)
        if order is None or not order.is_open:
            status = "UNKNOWN" if order is None else order.status.value
            self._deny_modify(command, Denial(DenialCode.ORDER_NOT_WORKING, {"status": status}))
            return
        if MODIFY_ENDPOINT not in self._bus.endpoints:
            self._deny_modify(
                command, Denial(DenialCode.MODIFY_NOT_SUPPORTED, {"endpoint": MODIFY_ENDPOINT})
            )
            return
        amended = _amended(order, command)
        if isinstance(amended, Denial):
            self._deny_modify(command, amended)
            return
        context.begin(amended, GateAction.MODIFY, context.now_ns)
        try:
            denial = self._run_checks(amended)
            if denial is None:
                self._record(GateAction.MODIFY, command, None)
                self._approved(amended)
        finally:
            context.end()
        if denial is not None:
            self._deny_modify(command, denial)
            return
        self._bus.send(MODIFY_ENDPOINT, command)

    def _deny_modify(self, command: ModifyOrder, denial: Denial) -> None:
        self._record(GateAction.MODIFY, command, denial, denial.reason)

    def cancel(self, command: CancelOrder, reason: str = "") -> None:
        """Pass a cancel to the OMS (cancels are never throttled nor refused, even halted)."""
        self.context.now_ns = self._clock.timestamp_ns()
        self.cancel_count += 1
        self._record(GateAction.CANCEL, command, None, reason)
        self._bus.send("OrderManager.cancel", command)

    def cancel_all(self, command: CancelAllOrders) -> None:
        """Cancel every working order matching the command's filters, one decision each."""
        for order in self._cache.orders_open(command.strategy_id, command.instrument_id):
            self.cancel(
                CancelOrder(
                    client_order_id=order.client_order_id,
                    instrument_id=order.instrument_id,
                    strategy_id=order.strategy_id,
                    ts_init=command.ts_init,
                )
            )

    def _cancel_order(self, order: Order, reason: str) -> None:
        self.cancel(
            CancelOrder(
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
                strategy_id=order.strategy_id,
                ts_init=self._clock.timestamp_ns(),
            ),
            reason,
        )

    # ---- trading state and the kill switch ----------------------------------------------------
    def _on_set_state(self, message: tuple[TradingState, str]) -> None:
        self.set_trading_state(*message)

    def set_trading_state(self, state: TradingState, reason: str) -> None:
        """Change what the gate lets through and publish `TradingStateChanged`."""
        if state is self.trading_state:
            return
        self.trading_state = state
        self._bus.publish(
            TRADING_STATE_TOPIC,
            TradingStateChanged(state=state, reason=reason, ts_event=self._clock.timestamp_ns()),
        )

    def _on_kill_switch(self, command: ActivateKillSwitch) -> None:
        self.kill_switch(command.reason, command.actor)

    def kill_switch(self, reason: str, actor: str = "operator") -> KillSwitchActivated:
        """Halt trading, then send a cancel for every working order; return (and publish on
        ``events.risk.kill_switch``) which orders, of which strategy and account.

        Orders already pending cancel are listed but not cancelled twice. Trading stays halted
        until `set_trading_state` moves it back.
        """
        now = self._clock.timestamp_ns()
        self.set_trading_state(TradingState.HALTED, f"kill switch by {actor}: {reason}")
        account = self.config.account_id
        orders = []
        for order in list(self._cache.open_orders.values()):
            orders.append(
                KillSwitchOrder(
                    client_order_id=order.client_order_id,
                    strategy_id=order.strategy_id,
                    account_id=account,
                    instrument_id=order.instrument_id,
                    venue=order.instrument_id.rpartition(".")[2],
                )
            )
            if order.status is not OrderStatus.PENDING_CANCEL:
                self._cancel_order(order, f"kill switch by {actor}: {reason}")
        report = KillSwitchActivated(ts_event=now, actor=actor, reason=reason, orders=tuple(orders))
        self.kill_switch_reports.append(report)
        self._bus.publish(KILL_SWITCH_TOPIC, report)
        return report

    # ---- strategies and restrictions ----------------------------------------------------------
    def _publish_strategy_change(self, change: StrategyTradingChanged) -> None:
        self._bus.publish(STRATEGY_TRADING_TOPIC, change)

    def _on_enable_strategy(self, strategy_id: str) -> None:
        self.enable_strategy(strategy_id)

    def _on_update_restrictions(self, update: RestrictionUpdate) -> None:
        self.update_restrictions(update)

    def enable_strategy(self, strategy_id: StrategyId | str, reason: str = "re-enabled") -> bool:
        """Let a strategy the execution throttle disabled trade again; return whether it was
        disabled."""
        if self.throttle is None:
            return False
        return self.throttle.enable(StrategyId(strategy_id), self._clock.timestamp_ns(), reason)

    def update_restrictions(self, update: RestrictionUpdate) -> RestrictionChanged:
        """Change the restricted list or a locate now; record and publish the change (on
        ``events.risk.restrictions``).

        Raises
        ------
        RiskError
            If the check the change feeds is not configured (``restricted_list`` for RESTRICT
            and LIFT, ``short_sale`` for SET_LOCATE): the change would have no effect.
        """
        if update.action is RestrictionAction.SET_LOCATE:
            if self.config.short_sale is None:
                raise RiskError(
                    "update_restrictions: expected short_sale configured to set locates, "
                    "was not configured"
                )
        elif self.config.restricted_list is None:
            raise RiskError(
                "update_restrictions: expected restricted_list configured to restrict or lift, "
                "was not configured"
            )
        change = self.context.restrictions.apply(update, self._clock.timestamp_ns())
        self._bus.publish(RESTRICTIONS_TOPIC, change)
        return change

    @property
    def restrictions(self) -> RestrictionBook:
        """The restricted list, locates and their audit trail."""
        return self.context.restrictions


def _amended(order: Order, command: ModifyOrder) -> Order | Denial:
    """A what-if copy of ``order`` with the modify applied (never registered nor published),
    or the denial of a modify no order could take."""
    quantity = command.quantity if command.quantity is not None else order.quantity
    if not quantity > order.filled_qty:
        return Denial(
            DenialCode.INVALID_QUANTITY, {"quantity": quantity, "filled": order.filled_qty}
        )
    try:
        init = msgspec.structs.replace(
            order.init,
            quantity=quantity,
            price=command.price if command.price is not None else order.price,
            trigger_price=(
                command.trigger_price if command.trigger_price is not None else order.trigger_price
            ),
        )
        amended = Order(init, order.size_precision)
    except ValueError as exc:
        return Denial(DenialCode.INVALID_PRICE, {"error": str(exc)})
    # Only the copy's fill state is set by hand: it is a scenario, not an order.
    amended.filled_qty = order.filled_qty
    amended.status = order.status
    return amended

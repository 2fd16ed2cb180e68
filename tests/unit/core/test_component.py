"""Tests of the component lifecycle: every (state, action) pair, legal or not, and the hooks."""

from __future__ import annotations

import itertools

import pytest

from midfreq.core.component import Component, ComponentState
from midfreq.core.errors import InvalidStateTransition, InvariantViolation

R, RUN, ST, D = (
    ComponentState.READY,
    ComponentState.RUNNING,
    ComponentState.STOPPED,
    ComponentState.DISPOSED,
)
ACTIONS = ("start", "stop", "reset", "dispose")
# The lifecycle written out by hand: start/stop cycle, reset only when not running,
# dispose only when not running, nothing after disposal.
LEGAL = {
    (R, "start"): RUN,
    (ST, "start"): RUN,
    (RUN, "stop"): ST,
    (ST, "reset"): R,
    (R, "reset"): R,
    (R, "dispose"): D,
    (ST, "dispose"): D,
}
# Action sequences from READY that reach each state.
PATHS = {R: [], RUN: ["start"], ST: ["start", "stop"], D: ["dispose"]}


class RecordingComponent(Component):
    """Component stub recording which hooks ran."""

    def __init__(self) -> None:
        super().__init__("recorder")
        self.hooks: list[str] = []

    def on_start(self) -> None:
        self.hooks.append("on_start")

    def on_stop(self) -> None:
        self.hooks.append("on_stop")

    def on_reset(self) -> None:
        self.hooks.append("on_reset")


def _in_state(state: ComponentState) -> RecordingComponent:
    component = RecordingComponent()
    for action in PATHS[state]:
        getattr(component, action)()
    assert component.state is state
    component.hooks.clear()
    return component


def test_new_component_is_ready_and_not_running() -> None:
    component = Component("engine")
    assert component.name == "engine"
    assert component.state is ComponentState.READY
    assert not component.is_running


@pytest.mark.parametrize(("state", "action"), list(itertools.product(ComponentState, ACTIONS)))
def test_every_state_action_pair(state: ComponentState, action: str) -> None:
    component = _in_state(state)
    expected = LEGAL.get((state, action))
    if expected is None:
        with pytest.raises(InvalidStateTransition, match=f"cannot {action} when {state.value}"):
            getattr(component, action)()
        assert component.state is state
        assert component.hooks == []
    else:
        getattr(component, action)()
        assert component.state is expected
        assert component.is_running is (expected is RUN)


@pytest.mark.parametrize(
    ("actions", "hooks"),
    [
        (["start"], ["on_start"]),
        (["start", "stop"], ["on_start", "on_stop"]),
        (["start", "stop", "reset"], ["on_start", "on_stop", "on_reset"]),
        (["start", "stop", "start"], ["on_start", "on_stop", "on_start"]),
        (["start", "stop", "dispose"], ["on_start", "on_stop"]),
    ],
)
def test_hooks_run_once_per_transition(actions: list[str], hooks: list[str]) -> None:
    component = RecordingComponent()
    for action in actions:
        getattr(component, action)()
    assert component.hooks == hooks


def test_illegal_transition_is_an_invariant_violation() -> None:
    component = Component("x")
    with pytest.raises(InvariantViolation):
        component.stop()


def test_error_message_names_the_component() -> None:
    component = Component("DataEngine")
    component.dispose()
    with pytest.raises(InvalidStateTransition, match="DataEngine: cannot start when DISPOSED"):
        component.start()

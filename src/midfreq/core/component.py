"""Component lifecycle: a small state machine every engine and strategy follows."""

from __future__ import annotations

from enum import StrEnum

from midfreq.core.errors import InvalidStateTransition


class ComponentState(StrEnum):
    """Lifecycle states of a component."""

    READY = "READY"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    DISPOSED = "DISPOSED"


_TRANSITIONS: dict[tuple[ComponentState, str], ComponentState] = {
    (ComponentState.READY, "start"): ComponentState.RUNNING,
    (ComponentState.STOPPED, "start"): ComponentState.RUNNING,
    (ComponentState.RUNNING, "stop"): ComponentState.STOPPED,
    (ComponentState.STOPPED, "reset"): ComponentState.READY,
    (ComponentState.READY, "reset"): ComponentState.READY,
    (ComponentState.READY, "dispose"): ComponentState.DISPOSED,
    (ComponentState.STOPPED, "dispose"): ComponentState.DISPOSED,
}


class Component:
    """Base with ``start``/``stop``/``reset``/``dispose`` and optional ``on_*`` hooks."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.state = ComponentState.READY

    @property
    def is_running(self) -> bool:
        """Whether the component is running."""
        return self.state is ComponentState.RUNNING

    def _transition(self, action: str) -> None:
        new = _TRANSITIONS.get((self.state, action))
        if new is None:
            raise InvalidStateTransition(f"{self.name}: cannot {action} when {self.state.value}")
        self.state = new

    def start(self) -> None:
        """Start the component (calls `on_start`)."""
        self._transition("start")
        self.on_start()

    def stop(self) -> None:
        """Stop the component (calls `on_stop`)."""
        self._transition("stop")
        self.on_stop()

    def reset(self) -> None:
        """Return a stopped component to READY (calls `on_reset`)."""
        self._transition("reset")
        self.on_reset()

    def dispose(self) -> None:
        """Release resources; the component cannot be used again."""
        self._transition("dispose")

    def on_start(self) -> None:
        """Run when the component starts."""

    def on_stop(self) -> None:
        """Run when the component stops."""

    def on_reset(self) -> None:
        """Run when the component is reset."""

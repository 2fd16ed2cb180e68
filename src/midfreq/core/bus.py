"""The in-process message bus: synchronous publish/subscribe by topic and point-to-point send.

Handlers run in the publisher's call, in the global order they subscribed (across exact and
wildcard subscriptions), so the kernel stays deterministic: a component wired first hears first.
Topics are dotted strings; a subscription may end in ``*`` to match every topic with that prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[Any], None]


class MessageBus:
    """Route messages to subscribers (by topic) and to registered endpoints (by name)."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, list[tuple[int, Handler]]] = {}
        self._sequence = 0
        self._resolved: dict[str, tuple[Handler, ...]] = {}
        self._endpoints: dict[str, Handler] = {}
        self.published_count = 0
        self.sent_count = 0

    def subscribe(self, topic: str, handler: Handler) -> None:
        """Call ``handler(message)`` for each message published on ``topic`` (or a ``*`` prefix)."""
        handlers = self._subscriptions.setdefault(topic, [])
        if all(h != handler for _, h in handlers):
            self._sequence += 1
            handlers.append((self._sequence, handler))
        self._resolved.clear()

    def unsubscribe(self, topic: str, handler: Handler) -> None:
        """Stop calling ``handler`` for ``topic``; unknown pairs are ignored."""
        handlers = self._subscriptions.get(topic)
        if handlers:
            handlers[:] = [(seq, h) for seq, h in handlers if h != handler]
            if not handlers:
                del self._subscriptions[topic]
        self._resolved.clear()

    def has_subscribers(self, topic: str) -> bool:
        """Return whether anything would receive a message on ``topic``."""
        return bool(self._resolve(topic))

    def handlers_for(self, topic: str) -> tuple[Handler, ...]:
        """Return the handlers a publish on ``topic`` would call, in order."""
        return self._resolve(topic)

    def publish(self, topic: str, message: Any) -> None:
        """Deliver ``message`` to every subscriber of ``topic``, in subscription order."""
        self.published_count += 1
        handlers = self._resolved.get(topic)
        if handlers is None:
            handlers = self._resolve(topic)
        for handler in handlers:
            handler(message)

    def register(self, endpoint: str, handler: Handler) -> None:
        """Register ``handler`` as the single receiver of messages sent to ``endpoint``."""
        if endpoint in self._endpoints:
            raise ValueError(
                f"endpoint: expected a new name, was {endpoint!r} (already registered)"
            )
        self._endpoints[endpoint] = handler

    def deregister(self, endpoint: str) -> None:
        """Remove ``endpoint``; unknown names are ignored."""
        self._endpoints.pop(endpoint, None)

    def send(self, endpoint: str, message: Any) -> None:
        """Deliver ``message`` to the handler registered at ``endpoint``.

        Raises
        ------
        KeyError
            If nothing is registered at ``endpoint``.
        """
        handler = self._endpoints.get(endpoint)
        if handler is None:
            raise KeyError(f"endpoint: expected one of {sorted(self._endpoints)}, was {endpoint!r}")
        self.sent_count += 1
        handler(message)

    @property
    def endpoints(self) -> list[str]:
        """Names of registered endpoints."""
        return sorted(self._endpoints)

    def _resolve(self, topic: str) -> tuple[Handler, ...]:
        resolved = self._resolved.get(topic)
        if resolved is not None:
            return resolved
        matched: list[tuple[int, Handler]] = []
        for pattern, subs in self._subscriptions.items():
            if pattern == topic or (pattern.endswith("*") and topic.startswith(pattern[:-1])):
                matched.extend(subs)
        result: tuple[Handler, ...] = ()
        for _, handler in sorted(matched, key=lambda pair: pair[0]):
            if handler not in result:
                result += (handler,)
        self._resolved[topic] = result
        return result

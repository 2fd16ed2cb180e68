"""Tests of the message bus: delivery order across exact and wildcard subscriptions, endpoints."""

from __future__ import annotations

from typing import Any

import pytest

from midfreq.core.bus import MessageBus


class Inbox:
    """Handler stub: records ``(name, message)`` into a log shared by several inboxes."""

    def __init__(self, name: str, log: list[tuple[str, Any]]) -> None:
        self.name = name
        self.log = log

    def __call__(self, message: Any) -> None:
        self.log.append((self.name, message))


@pytest.fixture
def bus() -> MessageBus:
    return MessageBus()


@pytest.fixture
def log() -> list[tuple[str, Any]]:
    return []


def test_publish_reaches_exact_subscriber(bus: MessageBus, log: list[tuple[str, Any]]) -> None:
    bus.subscribe("data.bars.AAPL", Inbox("a", log))
    bus.publish("data.bars.AAPL", 1)
    bus.publish("data.bars.MSFT", 2)
    assert log == [("a", 1)]
    assert bus.published_count == 2


def test_publish_without_subscribers_is_a_no_op(bus: MessageBus) -> None:
    bus.publish("nobody.listens", object())
    assert bus.published_count == 1
    assert not bus.has_subscribers("nobody.listens")


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        ("data.*", "data.bars.AAPL", True),
        ("data.bars.*", "data.bars.AAPL", True),
        ("data.bars.*", "data.quotes.AAPL", False),
        ("data.*", "data", False),
        ("*", "anything.at.all", True),
        ("data.bars.AAPL", "data.bars.AAPL.extra", False),
        ("data.bars.AAPL", "data.bars", False),
    ],
)
def test_wildcard_is_a_prefix_match(
    bus: MessageBus, log: list[tuple[str, Any]], pattern: str, topic: str, matches: bool
) -> None:
    bus.subscribe(pattern, Inbox("h", log))
    bus.publish(topic, "m")
    assert log == ([("h", "m")] if matches else [])
    assert bus.has_subscribers(topic) is matches


def test_delivery_follows_global_subscription_order_across_patterns(
    bus: MessageBus, log: list[tuple[str, Any]]
) -> None:
    first, second, third, fourth = (Inbox(n, log) for n in ("1st", "2nd", "3rd", "4th"))
    bus.subscribe("events.order.*", first)
    bus.subscribe("events.order.filled", second)
    bus.subscribe("*", third)
    bus.subscribe("events.*", fourth)

    bus.publish("events.order.filled", "fill")

    assert log == [("1st", "fill"), ("2nd", "fill"), ("3rd", "fill"), ("4th", "fill")]
    assert bus.handlers_for("events.order.filled") == (first, second, third, fourth)


def test_exact_subscription_made_first_hears_before_wildcard(
    bus: MessageBus, log: list[tuple[str, Any]]
) -> None:
    bus.subscribe("a.b", Inbox("exact", log))
    bus.subscribe("a.*", Inbox("wild", log))
    bus.publish("a.b", 0)
    assert [name for name, _ in log] == ["exact", "wild"]


def test_handler_on_exact_and_wildcard_is_called_once_at_its_first_position(
    bus: MessageBus, log: list[tuple[str, Any]]
) -> None:
    shared, other = Inbox("shared", log), Inbox("other", log)
    bus.subscribe("a.*", shared)
    bus.subscribe("a.b", other)
    bus.subscribe("a.b", shared)
    bus.publish("a.b", 0)
    assert [name for name, _ in log] == ["shared", "other"]


def test_subscribing_the_same_handler_twice_delivers_once(
    bus: MessageBus, log: list[tuple[str, Any]]
) -> None:
    handler = Inbox("h", log)
    bus.subscribe("t", handler)
    bus.subscribe("t", handler)
    bus.publish("t", 1)
    assert log == [("h", 1)]


def test_bound_methods_of_one_object_are_the_same_handler(bus: MessageBus) -> None:
    received: list[int] = []

    class Component:
        def on_event(self, message: int) -> None:
            received.append(message)

    component = Component()
    bus.subscribe("t", component.on_event)
    bus.subscribe("t", component.on_event)  # a fresh bound-method object each time
    bus.publish("t", 7)
    assert received == [7]
    bus.unsubscribe("t", component.on_event)
    bus.publish("t", 8)
    assert received == [7]


def test_unsubscribe_stops_delivery_and_keeps_others(
    bus: MessageBus, log: list[tuple[str, Any]]
) -> None:
    a, b = Inbox("a", log), Inbox("b", log)
    bus.subscribe("t.*", a)
    bus.subscribe("t.x", b)
    bus.publish("t.x", 1)  # resolves and caches the handler list
    bus.unsubscribe("t.*", a)
    bus.publish("t.x", 2)
    assert log == [("a", 1), ("b", 1), ("b", 2)]


def test_unsubscribe_of_exact_leaves_wildcard_subscription_of_same_handler(
    bus: MessageBus, log: list[tuple[str, Any]]
) -> None:
    handler = Inbox("h", log)
    bus.subscribe("t.x", handler)
    bus.subscribe("t.*", handler)
    bus.unsubscribe("t.x", handler)
    bus.publish("t.x", 1)
    assert log == [("h", 1)]


def test_unsubscribe_unknown_pair_is_ignored(bus: MessageBus, log: list[tuple[str, Any]]) -> None:
    handler = Inbox("h", log)
    bus.unsubscribe("never", handler)
    bus.subscribe("t", handler)
    bus.unsubscribe("t", Inbox("other", log))
    bus.publish("t", 1)
    assert log == [("h", 1)]


def test_resubscribing_moves_handler_to_the_end(
    bus: MessageBus, log: list[tuple[str, Any]]
) -> None:
    a, b = Inbox("a", log), Inbox("b", log)
    bus.subscribe("t", a)
    bus.subscribe("t", b)
    bus.unsubscribe("t", a)
    bus.subscribe("t", a)
    bus.publish("t", 0)
    assert [name for name, _ in log] == ["b", "a"]


def test_subscription_after_a_publish_is_seen_by_the_next_publish(
    bus: MessageBus, log: list[tuple[str, Any]]
) -> None:
    bus.subscribe("t.x", Inbox("early", log))
    bus.publish("t.x", 1)
    bus.subscribe("t.*", Inbox("late", log))
    bus.publish("t.x", 2)
    assert log == [("early", 1), ("early", 2), ("late", 2)]


def test_handler_subscribing_during_publish_hears_from_the_next_message(
    bus: MessageBus, log: list[tuple[str, Any]]
) -> None:
    late = Inbox("late", log)

    def first(message: Any) -> None:
        log.append(("first", message))
        bus.subscribe("t", late)

    bus.subscribe("t", first)
    bus.publish("t", 1)
    bus.publish("t", 2)
    assert log == [("first", 1), ("first", 2), ("late", 2)]


def test_send_delivers_to_the_registered_endpoint(
    bus: MessageBus, log: list[tuple[str, Any]]
) -> None:
    bus.register("ExecEngine.execute", Inbox("exec", log))
    bus.register("RiskGate.check", Inbox("risk", log))
    bus.send("RiskGate.check", "order")
    assert log == [("risk", "order")]
    assert bus.sent_count == 1
    assert bus.endpoints == ["ExecEngine.execute", "RiskGate.check"]


def test_send_to_unknown_endpoint_raises_key_error_naming_it(bus: MessageBus) -> None:
    bus.register("known", lambda m: None)
    with pytest.raises(KeyError, match="missing"):
        bus.send("missing", 1)
    assert bus.sent_count == 0


def test_registering_an_endpoint_twice_is_refused(bus: MessageBus) -> None:
    bus.register("e", lambda m: None)
    with pytest.raises(ValueError, match="already registered"):
        bus.register("e", lambda m: None)


def test_deregister_removes_endpoint_and_ignores_unknown(bus: MessageBus) -> None:
    bus.register("e", lambda m: None)
    bus.deregister("e")
    bus.deregister("never-registered")
    assert bus.endpoints == []
    with pytest.raises(KeyError):
        bus.send("e", 1)
    bus.register("e", lambda m: None)  # the name is free again
    assert bus.endpoints == ["e"]


def test_endpoints_and_topics_are_separate_namespaces(
    bus: MessageBus, log: list[tuple[str, Any]]
) -> None:
    bus.register("name", Inbox("endpoint", log))
    bus.subscribe("name", Inbox("subscriber", log))
    bus.publish("name", "published")
    bus.send("name", "sent")
    assert log == [("subscriber", "published"), ("endpoint", "sent")]

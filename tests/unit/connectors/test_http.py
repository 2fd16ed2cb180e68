"""Tests for the shared HTTP transport: token-bucket spacing on a fake clock, backoff schedules,
Retry-After, bounded attempts, redaction of API keys in URLs, logs and errors."""

from __future__ import annotations

import doctest
import io
import logging
from collections.abc import Callable, Iterator

import httpx
import pytest
import structlog

from midfreq.connectors import http as http_module
from midfreq.connectors.http import (
    HttpClient,
    JsonResponse,
    RateLimiter,
    Retry,
    RetryPolicy,
    parse_retry_after,
    redact_url,
)
from midfreq.core.errors import ConfigError, VenueError
from midfreq.infra.logging import configure_logging

KEY = "SECRET-KEY-123"


class FakeClock:
    """Monotonic seconds that move only when `sleep` is called; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A transport handler answering with ``responses`` in order (the last repeated)."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = responses[min(len(seen) - 1, len(responses) - 1)]
        if isinstance(item, Exception):
            raise item
        return item

    return handle, seen


def client_for(
    handler: Handler,
    clock: FakeClock,
    *,
    retry: RetryPolicy | None = None,
    limiter: RateLimiter | None = None,
) -> HttpClient:
    return HttpClient(
        "TestVendor",
        "https://vendor.test/api",
        rate_limiter=limiter,
        retry=retry,
        sleep=clock.sleep,
        secrets=(KEY,),
        transport=httpx.MockTransport(handler),
    )


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    structlog.reset_defaults()


def test_docstring_examples_run() -> None:
    result = doctest.testmod(http_module)
    assert result.attempted >= 4
    assert result.failed == 0


# ---- RateLimiter -------------------------------------------------------------------------------
def test_rate_limiter_spaces_requests_evenly_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, clock=clock, sleep=clock.sleep)

    waits = [limiter.acquire() for _ in range(4)]

    assert waits == [0.0, 12.0, 12.0, 12.0]
    assert clock.sleeps == [12.0, 12.0, 12.0]


def test_rate_limiter_does_not_sleep_when_time_passed_between_requests() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock, sleep=clock.sleep)

    limiter.acquire()
    clock.now += 1.0
    limiter.acquire()
    clock.now += 0.25
    limiter.acquire()

    assert clock.sleeps == [0.75]


def test_rate_limiter_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(30, burst=3, clock=clock, sleep=clock.sleep)

    for _ in range(5):
        limiter.acquire()

    # Three tokens at once, then one every 2 s.
    assert clock.sleeps == [2.0, 2.0]


def test_rate_limiter_spaces_requests_even_if_the_clock_does_not_move_while_sleeping() -> None:
    sleeps: list[float] = []
    limiter = RateLimiter(5, clock=lambda: 0.0, sleep=sleeps.append)

    for _ in range(3):
        limiter.acquire()

    assert sleeps == [12.0, 12.0]


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-5, 1), (5, 0)])
def test_rate_limiter_refuses_bad_settings(rate: float, burst: int) -> None:
    with pytest.raises(ConfigError, match="expected"):
        RateLimiter(rate, burst=burst)


def test_client_consults_the_rate_limiter_before_every_request() -> None:
    clock = FakeClock()
    handler, seen = scripted(httpx.Response(200, json={"ok": True}))
    limiter = RateLimiter(20, clock=clock, sleep=clock.sleep)
    client = client_for(handler, clock, limiter=limiter)

    for _ in range(3):
        client.get_json("/data")

    assert len(seen) == 3
    assert clock.sleeps == [3.0, 3.0]


# ---- retries -----------------------------------------------------------------------------------
def test_persistent_503_backs_off_exponentially_then_raises_naming_everything() -> None:
    clock = FakeClock()
    handler, seen = scripted(httpx.Response(503, text="maintenance"))
    client = client_for(handler, clock, retry=RetryPolicy(max_attempts=4, initial_backoff=0.5))

    with pytest.raises(VenueError) as raised:
        client.get_json("/data", {"symbol": "IBM", "apikey": KEY})

    assert len(seen) == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]
    message = str(raised.value)
    assert "TestVendor" in message
    assert "/api/data?symbol=IBM&apikey=***" in message
    assert "HTTP 503" in message
    assert "maintenance" in message
    assert "4 attempts" in message
    assert KEY not in message


def test_backoff_is_capped_at_max_backoff() -> None:
    policy = RetryPolicy(initial_backoff=10, multiplier=3, max_backoff=50)

    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [10.0, 30.0, 50.0, 50.0]


def test_429_honours_retry_after_then_returns_the_success() -> None:
    clock = FakeClock()
    handler, seen = scripted(
        httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "slow down"}),
        httpx.Response(200, json={"rows": [1, 2]}),
    )
    client = client_for(handler, clock)

    answer = client.get_json("/data")

    assert answer.payload == {"rows": [1, 2]}
    assert len(seen) == 2
    assert clock.sleeps == [7.0]


def test_retry_after_longer_than_the_maximum_gives_up_at_once() -> None:
    clock = FakeClock()
    handler, seen = scripted(httpx.Response(429, headers={"Retry-After": "86400"}))
    client = client_for(handler, clock, retry=RetryPolicy(max_retry_after=300))

    with pytest.raises(VenueError, match="wait 86400 s, more than max_retry_after=300 s"):
        client.get_json("/data")

    assert len(seen) == 1
    assert clock.sleeps == []


def test_connection_errors_are_retried_then_raise() -> None:
    clock = FakeClock()
    handler, seen = scripted(httpx.ConnectError("connection refused"))
    client = client_for(handler, clock, retry=RetryPolicy(max_attempts=3))

    with pytest.raises(
        VenueError, match=r"after 3 attempts: last ConnectError: connection refused"
    ):
        client.get_json("/data")

    assert len(seen) == 3
    assert clock.sleeps == [1.0, 2.0]


def test_a_timeout_then_success_returns_the_success() -> None:
    clock = FakeClock()
    handler, seen = scripted(httpx.ReadTimeout("timed out"), httpx.Response(200, json=[1]))
    client = client_for(handler, clock)

    assert client.get_json("/data").payload == [1]
    assert len(seen) == 2


def test_client_errors_are_returned_to_the_vendor_layer_without_retry() -> None:
    clock = FakeClock()
    handler, seen = scripted(httpx.Response(404, json={"error": "unknown dataset"}))
    client = client_for(handler, clock)

    answer = client.get_json("/data")

    assert (answer.status_code, answer.payload) == (404, {"error": "unknown dataset"})
    assert len(seen) == 1


def test_retry_if_retries_a_200_with_the_vendor_delay() -> None:
    clock = FakeClock()
    handler, seen = scripted(
        httpx.Response(200, json={"Note": "slow down"}),
        httpx.Response(200, json={"data": 1}),
    )
    client = client_for(handler, clock)

    def throttled(answer: JsonResponse) -> Retry | None:
        return Retry("throttled", 60.0) if "Note" in answer.payload else None

    assert client.get_json("/data", retry_if=throttled).payload == {"data": 1}
    assert len(seen) == 2
    assert clock.sleeps == [60.0]


def test_a_2xx_body_that_is_not_json_is_a_venue_error() -> None:
    clock = FakeClock()
    handler, _ = scripted(httpx.Response(200, text="<html>captive portal</html>"))
    client = client_for(handler, clock)

    with pytest.raises(VenueError, match=r"expected a JSON body.*captive portal"):
        client.get_json("/data")


def test_parameters_are_encoded_and_none_left_out() -> None:
    clock = FakeClock()
    handler, seen = scripted(httpx.Response(200, json={}))
    client = client_for(handler, clock)

    client.get_json("/data", {"adjusted": False, "month": None, "limit": 5})

    assert dict(seen[0].url.params) == {"adjusted": "false", "limit": "5"}


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"max_attempts": 0}, "retry.max_attempts"),
        ({"multiplier": 0.5}, "retry.multiplier"),
        ({"initial_backoff": -1}, "retry.initial_backoff"),
    ],
)
def test_retry_policy_refuses_bad_settings(settings: dict[str, float], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        RetryPolicy(**settings)  # type: ignore[arg-type]


# ---- Retry-After and redaction -----------------------------------------------------------------
def test_retry_after_http_date_is_measured_from_the_server_date() -> None:
    headers = httpx.Headers(
        {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT", "Date": "Wed, 21 Oct 2015 07:27:15 GMT"}
    )

    assert parse_retry_after(headers) == 45.0


@pytest.mark.parametrize(
    "headers",
    [{}, {"Retry-After": "soon"}, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}],
)
def test_retry_after_without_a_usable_value_is_none(headers: dict[str, str]) -> None:
    assert parse_retry_after(httpx.Headers(headers)) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/q?function=X&apikey=K1&symbol=IBM", "/q?function=X&apikey=***&symbol=IBM"),
        ("https://h/d.json?api_key=K2", "/d.json?api_key=***"),
        ("https://h/x?TOKEN=K3&a=1", "/x?TOKEN=***&a=1"),
        ("https://h/x?a=1", "/x?a=1"),
    ],
)
def test_redact_url_hides_secret_parameters(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_the_key_never_reaches_logs_or_errors(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    clock = FakeClock()
    # The vendor echoes the key in its error body, as some do.
    handler, _ = scripted(httpx.Response(500, text=f"internal error for key {KEY}"))
    client = client_for(handler, clock, retry=RetryPolicy(max_attempts=2))

    with pytest.raises(VenueError) as raised:
        client.get_json("/data", {"apikey": KEY, "api_key": KEY, "token": KEY})

    logs = stream.getvalue()
    assert "http_retry" in logs  # our own warning was written
    assert "HTTP Request: GET" in logs  # and httpx's own request line, redacted
    assert "apikey=***" in logs
    assert KEY not in logs
    assert KEY not in str(raised.value)
    assert "internal error for key ***" in str(raised.value)

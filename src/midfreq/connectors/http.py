"""The HTTP transport every vendor connector shares: `HttpClient` (httpx with a base URL, timeouts,
bounded retries with exponential backoff that honour ``Retry-After``) and `RateLimiter`, a
client-side token bucket. API keys never reach logs or exception messages: query parameters named
like keys are redacted and the literal key values are scrubbed from any text.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Final, Self

import httpx

from midfreq.core.errors import ConfigError, VenueError
from midfreq.infra.logging import REDACTED, get_logger

__all__ = [
    "SECRET_PARAMS",
    "HttpClient",
    "JsonResponse",
    "ParamValue",
    "RateLimiter",
    "Retry",
    "RetryPolicy",
    "parse_retry_after",
    "redact_url",
]

SECRET_PARAMS: Final = ("apikey", "api_key", "token")
"""Query parameters whose values are replaced by ``***`` wherever a URL is logged or reported."""

ParamValue = str | int | float | bool | None
"""A query parameter value; None leaves the parameter out."""

_SECRET_QUERY = re.compile(r"(?i)\b(apikey|api_key|token)=[^&\s\"'#]*")
_BODY_EXCERPT = 300

_log = get_logger("connectors.http")


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How often and how patiently `HttpClient` retries.

    A request is retried on HTTP 429, on any 5xx, on connection errors and timeouts, and when the
    vendor layer asks for it (see `Retry`). The wait before retry ``n`` (1-based) is
    ``min(initial_backoff * multiplier ** (n - 1), max_backoff)`` unless the server (a
    ``Retry-After`` header) or the vendor layer names a wait.

    Parameters
    ----------
    max_attempts : int
        Requests sent at most, the first included (>= 1).
    initial_backoff : float
        Seconds before the first retry.
    multiplier : float
        Growth of the wait from one retry to the next (>= 1).
    max_backoff : float
        Longest computed wait in seconds.
    max_retry_after : float
        Longest wait a server may ask for; asked for more, the client gives up at once rather
        than sleep for hours (a daily quota, for example).
    """

    max_attempts: int = 4
    initial_backoff: float = 1.0
    multiplier: float = 2.0
    max_backoff: float = 60.0
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError("retry.max_attempts", self.max_attempts, "an integer >= 1")
        if self.initial_backoff < 0:
            raise ConfigError("retry.initial_backoff", self.initial_backoff, "seconds >= 0")
        if self.multiplier < 1:
            raise ConfigError("retry.multiplier", self.multiplier, "a factor >= 1")
        if self.max_backoff < 0:
            raise ConfigError("retry.max_backoff", self.max_backoff, "seconds >= 0")
        if self.max_retry_after < 0:
            raise ConfigError("retry.max_retry_after", self.max_retry_after, "seconds >= 0")

    def backoff(self, retry: int) -> float:
        """Return the wait in seconds before retry number ``retry`` (1-based).

        Examples
        --------
        >>> [RetryPolicy().backoff(n) for n in (1, 2, 3)]
        [1.0, 2.0, 4.0]
        """
        return float(min(self.initial_backoff * self.multiplier ** (retry - 1), self.max_backoff))


@dataclass(frozen=True, slots=True)
class Retry:
    """A vendor layer's verdict that an answer (often an HTTP 200) means "try again later".

    Parameters
    ----------
    reason : str
        What the vendor said, for the log and the final error (keys are scrubbed from it).
    delay : float, optional
        Seconds to wait before retrying; the policy's backoff when None.
    """

    reason: str
    delay: float | None = None


@dataclass(frozen=True, slots=True)
class JsonResponse:
    """A response with its body parsed once.

    Attributes
    ----------
    status_code : int
    headers : httpx.Headers
    payload : Any
        The decoded JSON body, or None when the body is not JSON (a non-2xx answer only: a 2xx
        answer that is not JSON raises `VenueError`).
    url : str
        The request URL, path and query, with secret parameters redacted.
    text : str
        The body as text (for error messages; scrub before showing it).
    """

    status_code: int
    headers: httpx.Headers
    payload: Any
    url: str
    text: str


class RateLimiter:
    """A token bucket: at most ``burst`` requests at once, refilled at ``requests_per_minute``.

    Share one limiter between clients that use the same API key, since vendors count per key.
    Thread-safe: a caller waiting for a token holds the others back, so requests stay spaced.

    Parameters
    ----------
    requests_per_minute : float
        Sustained rate (> 0).
    burst : int, default 1
        Bucket capacity. With 1 (the default) requests are evenly spaced ``60 /
        requests_per_minute`` seconds apart, which also respects a sliding one-minute window.
    clock : Callable[[], float], default time.monotonic
        Seconds from any fixed origin; inject a fake one in tests.
    sleep : Callable[[float], None], default time.sleep
        Waits the given seconds; inject a recorder in tests.

    Examples
    --------
    >>> now = [0.0]
    >>> waits = []
    >>> def sleep(seconds):
    ...     waits.append(seconds)
    ...     now[0] += seconds
    >>> limiter = RateLimiter(5, clock=lambda: now[0], sleep=sleep)
    >>> [limiter.acquire() for _ in range(3)], waits
    ([0.0, 12.0, 12.0], [12.0, 12.0])
    """

    def __init__(
        self,
        requests_per_minute: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not requests_per_minute > 0:
            raise ConfigError("requests_per_minute", requests_per_minute, "a rate > 0")
        if burst < 1:
            raise ConfigError("burst", burst, "an integer >= 1")
        self.requests_per_minute = float(requests_per_minute)
        self.burst = burst
        self._interval = 60.0 / self.requests_per_minute
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter(requests_per_minute={self.requests_per_minute}, burst={self.burst})"

    def acquire(self) -> float:
        """Take one token, sleeping first if the bucket is empty; return the seconds slept."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(float(self.burst), self._tokens + elapsed / self._interval)
            self._updated = max(self._updated, now)
            wait = 0.0
            if self._tokens < 1.0:
                wait = (1.0 - self._tokens) * self._interval
                self._sleep(wait)
                # The bucket held exactly one token at updated + wait; count from there, so an
                # injected clock that does not move while sleeping still spaces requests.
                self._updated += wait
                self._tokens = 1.0
            self._tokens -= 1.0
            return wait


def redact_url(url: httpx.URL | str, *, with_host: bool = False) -> str:
    """Return ``url`` (path and query, or the whole URL) with secret parameters as ``***``.

    Examples
    --------
    >>> redact_url("https://example.com/query?symbol=IBM&apikey=SECRET")
    '/query?symbol=IBM&apikey=***'
    """
    parsed = httpx.URL(str(url))
    text = str(parsed) if with_host else parsed.raw_path.decode("ascii", "replace")
    return _SECRET_QUERY.sub(lambda m: f"{m.group(1)}={REDACTED}", text)


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Return the wait a ``Retry-After`` header asks for, in seconds, or None.

    Delta-seconds are taken as they are. An HTTP date is measured from the response's own
    ``Date`` header (the server's clock, so no wall-clock read here); without one it is ignored.

    Examples
    --------
    >>> parse_retry_after(httpx.Headers({"Retry-After": "7"}))
    7.0
    >>> parse_retry_after(httpx.Headers({
    ...     "Retry-After": "Tue, 02 Jan 2024 15:00:30 GMT", "Date": "Tue, 02 Jan 2024 15:00:00 GMT"
    ... }))
    30.0
    """
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
        now = parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None or now.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


class _RedactQueryFilter(logging.Filter):
    """Redact secret query parameters in records of loggers we do not own (httpx logs every
    request URL at INFO, API key included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_QUERY.sub(lambda m: f"{m.group(1)}={REDACTED}", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _install_httpx_log_filter() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactQueryFilter) for f in logger.filters):
        logger.addFilter(_RedactQueryFilter())


class HttpClient:
    """GET JSON from one vendor with rate limiting, bounded retries and redacted reporting.

    Answers other than 429 and 5xx are returned to the caller, whose vendor layer translates the
    vendor's error shapes; 429, 5xx, connection errors and timeouts are retried by `RetryPolicy`
    and then raise `VenueError`.

    Parameters
    ----------
    vendor : str
        The vendor's name, used in logs and errors (``"Alpha Vantage"``).
    base_url : str
        Prefix of every request path (point it at ``http://127.0.0.1:PORT`` in tests).
    rate_limiter : RateLimiter, optional
        Consulted before every attempt, retries included; none by default.
    retry : RetryPolicy, optional
        The retry policy; `RetryPolicy()` by default.
    timeout : float, default 30.0
        Seconds allowed for connecting, and for each read and write.
    sleep : Callable[[float], None], default time.sleep
        Waits between retries; inject a recorder in tests.
    secrets : Iterable[str]
        Literal values (API keys) scrubbed from every message this client logs or raises.
    headers : Mapping[str, str], optional
        Headers sent with every request.
    transport : httpx.BaseTransport, optional
        Replaces the network transport (tests).
    """

    def __init__(
        self,
        vendor: str,
        base_url: str,
        *,
        rate_limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        secrets: Iterable[str] = (),
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not timeout > 0:
            raise ConfigError("timeout", timeout, "seconds > 0")
        self.vendor = vendor
        self.rate_limiter = rate_limiter
        self.retry = retry if retry is not None else RetryPolicy()
        self._sleep = sleep
        self._secrets = tuple(s for s in secrets if s)
        self._client = httpx.Client(
            base_url=base_url,
            timeout=httpx.Timeout(timeout),
            headers=dict(headers or {}),
            transport=transport,
        )
        _install_httpx_log_filter()

    def __repr__(self) -> str:
        return f"HttpClient(vendor={self.vendor!r}, base_url={str(self._client.base_url)!r})"

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def scrub(self, text: str) -> str:
        """Return ``text`` with secret query parameters and this client's secrets replaced."""
        text = _SECRET_QUERY.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def get_json(
        self,
        path: str,
        params: Mapping[str, ParamValue] | None = None,
        *,
        retry_if: Callable[[JsonResponse], Retry | None] | None = None,
    ) -> JsonResponse:
        """GET ``path`` and parse the JSON body, retrying as the policy allows.

        Parameters
        ----------
        path : str
            Relative to the base URL.
        params : Mapping[str, ParamValue], optional
            Query parameters; None values are left out, booleans sent as ``true``/``false``.
        retry_if : Callable[[JsonResponse], Retry | None], optional
            Called with every answer that is not 429 or 5xx; returning a `Retry` retries it
            (a vendor's "slow down" note in an HTTP 200 body, for example).

        Returns
        -------
        JsonResponse
            The first answer that is neither retried nor a failure; non-2xx included.

        Raises
        ------
        VenueError
            After the last attempt failed (naming the vendor, the redacted URL, the last status
            or error, and the number of attempts), when the server asks to wait longer than
            ``retry.max_retry_after``, or when a 2xx body is not JSON.
        """
        query = _encode_params(params or {})
        request_url = redact_url(self._client.build_request("GET", path, params=query).url)
        policy = self.retry
        failure = ""
        for attempt in range(1, policy.max_attempts + 1):
            if self.rate_limiter is not None:
                self.rate_limiter.acquire()
            delay: float | None = None
            try:
                response = self._client.get(path, params=query)
            except httpx.TransportError as exc:  # connection refused, timeouts, broken streams
                failure = f"{type(exc).__name__}: {self.scrub(str(exc)) or 'no detail'}"
            else:
                _log.debug(
                    "http_response",
                    vendor=self.vendor,
                    url=request_url,
                    status=response.status_code,
                    attempt=attempt,
                )
                answer = self._parse(response, request_url)
                if response.status_code == 429 or response.status_code >= 500:
                    failure = f"HTTP {response.status_code}{self._excerpt(answer.text)}"
                    delay = parse_retry_after(response.headers)
                else:
                    verdict = retry_if(answer) if retry_if is not None else None
                    if verdict is None:
                        return answer
                    failure = f"HTTP {response.status_code}: {self.scrub(verdict.reason)}"
                    delay = verdict.delay
                if delay is not None and delay > policy.max_retry_after:
                    raise VenueError(
                        f"{self.vendor}: GET {request_url} failed: {failure}; the server asks to "
                        f"wait {delay:g} s, more than max_retry_after={policy.max_retry_after:g} "
                        f"s (attempt {attempt} of {policy.max_attempts})"
                    )
            if attempt == policy.max_attempts:
                break
            wait = policy.backoff(attempt) if delay is None else delay
            _log.warning(
                "http_retry",
                vendor=self.vendor,
                url=request_url,
                attempt=attempt,
                max_attempts=policy.max_attempts,
                wait_seconds=wait,
                reason=failure,
            )
            self._sleep(wait)
        raise VenueError(
            f"{self.vendor}: GET {request_url} failed after {policy.max_attempts} attempt"
            f"{'s' if policy.max_attempts != 1 else ''}: last {failure}"
        )

    def _parse(self, response: httpx.Response, request_url: str) -> JsonResponse:
        text = response.text
        try:
            payload = response.json() if text.strip() else None
        except ValueError:
            payload = None
            if response.is_success:
                raise VenueError(
                    f"{self.vendor}: GET {request_url}: expected a JSON body, was "
                    f"{response.headers.get('content-type', 'no content type')}"
                    f"{self._excerpt(text)}"
                ) from None
        return JsonResponse(response.status_code, response.headers, payload, request_url, text)

    def _excerpt(self, text: str) -> str:
        text = " ".join(text.split())
        if not text:
            return ""
        if len(text) > _BODY_EXCERPT:
            text = text[:_BODY_EXCERPT] + "..."
        return f" ({self.scrub(text)})"


def _encode_params(params: Mapping[str, ParamValue]) -> dict[str, str]:
    encoded: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            encoded[name] = "true" if value else "false"
        else:
            encoded[name] = str(value)
    return encoded


class VendorClient:
    """Base of the vendor REST clients: the API key (argument or environment variable), the
    client-side rate limiter and the `HttpClient`, and closing them.

    Parameters
    ----------
    vendor : str
        Display name, used in messages.
    api_key : str, optional
        The key; read from ``key_variable`` when not given.
    key_variable : str
        The environment variable holding the key.
    """

    def __init__(
        self,
        vendor: str,
        api_key: str | None,
        key_variable: str,
        base_url: str,
        *,
        requests_per_minute: float,
        rate_limiter: RateLimiter | None,
        retry: RetryPolicy | None,
        timeout: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        key = api_key if api_key is not None else os.environ.get(key_variable)
        if not key:
            raise ConfigError(
                key_variable,
                key,
                f"a {vendor} API key in the environment variable {key_variable} (or api_key=...)",
            )
        self._api_key = key
        limiter = rate_limiter or RateLimiter(requests_per_minute, clock=clock, sleep=sleep)
        self._http = HttpClient(
            vendor,
            base_url,
            rate_limiter=limiter,
            retry=retry,
            timeout=timeout,
            sleep=sleep,
            secrets=(key,),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(http={self._http!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

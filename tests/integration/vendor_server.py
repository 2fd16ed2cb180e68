"""A tiny vendor HTTP server on 127.0.0.1 for connector tests: a route table mapping (path, query
subset) to canned replies (status, headers, body), and a log of every request received.

Usage::

    with VendorServer() as server:
        server.route("/query", {"function": "TIME_SERIES_DAILY"}, Reply(200, {...}))
        client = AlphaVantageClient("KEY", base_url=server.url)
        ...
        assert len(server.requests) == 1

A route holds a sequence of replies served in order, the last repeated; a reply may also be a
function of the request. The route whose query subset is largest wins among those matching;
no match answers 404 with a JSON body naming the request.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True, slots=True)
class Reply:
    """One canned answer: dicts and lists are sent as JSON, str and bytes as they are."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (to provoke client timeouts)."""


@dataclass(frozen=True, slots=True)
class Request:
    """A request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw_path: str


ReplySource = Reply | Callable[[Request], Reply]


class FakeClock:
    """Monotonic seconds that move only when `sleep` is called; records every sleep.

    Pass ``clock=fake, sleep=fake.sleep`` to a client: rate limiting and retries then run
    instantly and the test asserts on `sleeps`, not on wall time.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass(slots=True)
class _Route:
    path: str
    query: dict[str, str]
    replies: list[ReplySource]
    served: int = 0


class VendorServer:
    """A threading HTTP server on an ephemeral loopback port (start/stop or use as a context)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._routes: list[_Route] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self._server is None:
            raise RuntimeError("server not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(
        self, path: str, query: Mapping[str, str] | None = None, *replies: ReplySource
    ) -> None:
        """Answer GETs of ``path`` whose query contains ``query`` with ``replies`` in order."""
        if not replies:
            raise ValueError("route: expected at least one reply")
        with self._lock:
            self._routes.append(_Route(path, dict(query or {}), list(replies)))

    def requests_to(self, path: str) -> list[Request]:
        """The requests received for ``path``, in order."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> VendorServer:
        """Bind 127.0.0.1:0 and serve in a daemon thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="vendor-server"
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> VendorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            matching = [
                r
                for r in self._routes
                if r.path == request.path
                and all(request.query.get(k) == v for k, v in r.query.items())
            ]
            if not matching:
                return Reply(404, {"error": f"no route for {request.path} {request.query}"})
            # Most specific first; among equals the last registered.
            route = max(reversed(matching), key=lambda r: len(r.query))
            source = route.replies[min(route.served, len(route.replies) - 1)]
            route.served += 1
        return source(request) if callable(source) else source


def _handler_class(owner: VendorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            request = Request(
                method="GET",
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
                raw_path=self.path,
            )
            reply = owner._answer(request)
            if reply.delay:
                time.sleep(reply.delay)
            body = reply.body
            if isinstance(body, dict | list):
                data = json.dumps(body).encode()
                content_type = "application/json"
            elif isinstance(body, str):
                data, content_type = body.encode(), "text/plain; charset=utf-8"
            elif isinstance(body, bytes):
                data, content_type = body, "application/octet-stream"
            else:
                data, content_type = b"", "text/plain"
            try:
                self.send_response(reply.status)
                headers = {"Content-Type": content_type, **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler

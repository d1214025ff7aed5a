"""A loopback HTTP server for feed tests, scripted route by route.

Each route is a function of the request handler that writes the whole
response itself, so a route can misbehave in any way a real server can:
drip bytes, never stop, lie about lengths, redirect forever. The server
records every request and the most requests it ever had in flight per path.
"""

import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[["Handler"], None]


@dataclass
class Record:
    path: str
    headers: dict[str, str]
    # The client's (address, port): one per TCP connection.
    peer: tuple[str, int] = ("", 0)


@dataclass
class State:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Record] = field(default_factory=list)
    in_flight: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    host_in_flight: int = 0
    host_peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Handler(BaseHTTPRequestHandler):
    server: "FeedServer"
    protocol_version = "HTTP/1.1"
    # As real web servers do: each write goes out when made, so a drip
    # drips and a kept connection's answer does not wait on a delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server.state
        path = self.path.split("?", 1)[0]
        with state.lock:
            state.requests.append(
                Record(self.path, dict(self.headers.items()), self.client_address[:2])
            )
            state.in_flight[path] += 1
            state.peak[path] = max(state.peak[path], state.in_flight[path])
            state.host_in_flight += 1
            state.host_peak = max(state.host_peak, state.host_in_flight)
        try:
            route = state.routes.get(path)
            if route is None:
                self.send_bytes(b"not here", status=404, content_type="text/plain")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with state.lock:
                state.in_flight[path] -= 1
                state.host_in_flight -= 1

    def send_bytes(
        self,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "application/rss+xml; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), Handler)
        self.state = State()

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, handler: Route) -> str:
        self.state.routes[path] = handler
        return self.url(path)

    def requests_to(self, path: str) -> list[Record]:
        return [r for r in self.state.requests if r.path.split("?")[0] == path]


@contextmanager
def feed_server(host: str = "127.0.0.1") -> Iterator[FeedServer]:
    server = FeedServer(host)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# --- Ready-made behaviours ------------------------------------------------------


def serve(
    body: bytes,
    *,
    status: int = 200,
    content_type: str = "application/rss+xml; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> Route:
    def route(handler: Handler) -> None:
        handler.send_bytes(
            body, status=status, content_type=content_type, headers=headers
        )

    return route


def conditional(body: bytes, *, etag: str, last_modified: str) -> Route:
    """A well-behaved server: 304 when the validators match."""

    def route(handler: Handler) -> None:
        if (
            handler.headers.get("If-None-Match") == etag
            and handler.headers.get("If-Modified-Since") == last_modified
        ):
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.send_header("Content-Length", "0")
            handler.send_header("Connection", "close")
            handler.end_headers()
            return
        handler.send_bytes(body, headers={"ETag": etag, "Last-Modified": last_modified})

    return route


def kept_alive(body: bytes, *, etag: str = "") -> Route:
    """A server that keeps the connection open for the next request, and
    answers 304 when sent back its ETag."""

    def route(handler: Handler) -> None:
        unchanged = bool(etag) and handler.headers.get("If-None-Match") == etag
        handler.send_response(304 if unchanged else 200)
        if etag:
            handler.send_header("ETag", etag)
        if not unchanged:
            handler.send_header("Content-Type", "application/rss+xml")
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if not unchanged:
            handler.wfile.write(body)

    return route


def slow_drip(*, interval: float, total_s: float) -> Route:
    """Headers at once, then one byte every `interval` s for `total_s` s."""

    def route(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(b"<?xml version='1.0'?><rss version='2.0'><channel>")
        handler.wfile.flush()
        ends = time.monotonic() + total_s
        while time.monotonic() < ends:
            time.sleep(interval)
            handler.wfile.write(b" ")
            handler.wfile.flush()

    return route


def endless() -> Route:
    """A body that never ends (no length, no end), as fast as it can go."""

    def route(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = b"<item><title>again</title></item>" * 2000
        handler.wfile.write(b"<?xml version='1.0'?><rss version='2.0'><channel>")
        for _ in range(100_000):
            handler.wfile.write(chunk)

    return route


@cache
def _bomb(decompressed_mib: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    parts = [packer.compress(block) for _ in range(decompressed_mib)]
    return b"".join(parts) + packer.flush()


def gzip_bomb(*, decompressed_mib: int = 200) -> Route:
    """A small gzip body that inflates to `decompressed_mib` MiB of zeros."""
    raw = _bomb(decompressed_mib)

    def route(handler: Handler) -> None:
        handler.send_bytes(raw, headers={"Content-Encoding": "gzip"})

    return route


def redirect(to: str, *, status: int = 302) -> Route:
    def route(handler: Handler) -> None:
        handler.send_response(status)
        handler.send_header("Location", to)
        handler.send_header("Content-Length", "0")
        handler.send_header("Connection", "close")
        handler.end_headers()

    return route

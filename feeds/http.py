"""The one HTTP module for feeds: every byte the desk fetches comes through here.

A fetch is bounded in every way a hostile or broken server could stretch it:
connect and read timeouts, a deadline for the whole fetch that every socket
read is held to, at most five redirects (followed here, so each hop is
checked), and a cap on the body after decompression. A host that resolves to
a loopback, private, link-local, multicast or reserved address is refused at
connect time, by the network backend itself, so a DNS answer that changes
between a check and the connection cannot slip through.

Failures of every kind are raised as `FetchError`, with a `kind` code for
programs and a sentence for people.

Each process (and thread) keeps one client per set of allowed hosts, whose
connections stay open a little while between fetches: feeds often share a
host, and an unchanged re-poll is otherwise mostly the cost of a new client
and a new connection. A kept connection was checked by the guard when it was
opened, under the same allowed hosts; only a connection whose response was
read to its end goes back to the pool.
"""

import datetime as dt
import email.utils
import ipaddress
import logging
import os
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpcore
import httpx
from django.conf import settings
from httpcore._backends.sync import SyncStream

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
FETCH_DEADLINE = 30.0
MAX_REDIRECTS = 5
MAX_BODY_BYTES = 10 * 1024 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})


class FetchError(Exception):
    """A fetch that could not complete; `message` is meant for people."""

    def __init__(self, kind: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status


@dataclass(frozen=True)
class FeedResponse:
    """A response whose body was read whole (within the caps)."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    redirects: list[str] = field(default_factory=list)
    # Whether every redirect on the way here was permanent (301 or 308).
    permanent: bool = False

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def moved_to(self) -> str:
        """The feed's new address, when it has moved for good; else ""."""
        return self.url if self.redirects and self.permanent else ""


# --- The private-address guard ------------------------------------------------


def address_is_public(address: str) -> bool:
    """Whether an IP address may be contacted by the fetcher."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


# The deadline of the fetch under way in this context: a kept connection
# serves one fetch after another, each held to its own deadline.
_FETCH_DEADLINE: ContextVar[float] = ContextVar("fetch_deadline")


def _fetch_deadline() -> float:
    return _FETCH_DEADLINE.get(time.monotonic() + FETCH_DEADLINE)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write ends by the deadline of the
    fetch using it."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def _budget(self, timeout: float | None, exc: type[Exception]) -> float:
        left = _fetch_deadline() - time.monotonic()
        if left <= 0:
            raise exc("the whole-fetch deadline passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        budget = self._budget(timeout, httpcore.ConnectTimeout)
        inner = self._inner.start_tls(ssl_context, server_hostname, budget)
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks every address, then connects to a checked address.

    The check and the connection use the same resolved address, so DNS cannot
    answer one thing to the check and another to the connection.
    """

    def __init__(self, *, allowed_hosts: Collection[str]) -> None:
        self._allowed = {host.lower() for host in allowed_hosts}

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = _resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        if host.lower() not in self._allowed:
            refused = [a for a in addresses if not address_is_public(a)]
            if refused:
                raise BlockedAddress(host, refused[0])

        last_error: OSError | None = None
        deadline = _fetch_deadline()
        for address in addresses:
            left = deadline - time.monotonic()
            if left <= 0:
                raise httpcore.ConnectTimeout("the whole-fetch deadline passed")
            budget = left if timeout is None else min(timeout, left)
            try:
                sock = socket.create_connection((address, port), timeout=budget)
            except TimeoutError as exc:
                raise httpcore.ConnectTimeout(str(exc)) from exc
            except OSError as exc:
                last_error = exc
                continue
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return _DeadlineStream(SyncStream(sock))
        raise httpcore.ConnectError(f"cannot connect to {host}: {last_error}")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are never fetched")


class BlockedAddress(httpcore.ConnectError):
    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to {address}")
        self.host = host
        self.address = address


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


@cache
def _ssl_context() -> ssl.SSLContext:
    # Building a context loads the CA bundle (milliseconds); share one.
    return httpx.create_ssl_context()


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, backend: GuardedBackend) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False, retries=0)
        # httpx builds its connection pool without a way to pass a network
        # backend; swap the pool for one that connects through the guard.
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=KEPT_CONNECTIONS,
            max_keepalive_connections=KEPT_CONNECTIONS,
            keepalive_expiry=KEEP_ALIVE_S,
            network_backend=backend,
        )


class _NoCookies(httpx.Cookies):
    """A jar that keeps nothing. Feeds need no cookies, and reading them
    from every response built a urllib Request: a tenth of an unchanged
    re-poll's work."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


_NO_COOKIES = _NoCookies()


class _FeedClient(httpx.Client):
    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        return None


KEPT_CONNECTIONS = 8
KEEP_ALIVE_S = 30.0
_kept = threading.local()
# A forked child must not share its parent's sockets; the forking thread is
# the only one the child has, so its clients are all there are to drop.
os.register_at_fork(after_in_child=lambda: _kept.__dict__.clear())


def _client(allowed_hosts: Collection[str]) -> httpx.Client:
    """This thread's client for these allowed hosts."""
    key = frozenset(host.lower() for host in allowed_hosts)
    clients: dict[frozenset[str], httpx.Client] | None = getattr(_kept, "clients", None)
    if clients is None:
        clients = _kept.clients = {}
    client = clients.get(key)
    if client is None:
        client = clients[key] = _FeedClient(
            transport=_GuardedTransport(GuardedBackend(allowed_hosts=key)),
            headers=_HEADERS,
            follow_redirects=False,
            trust_env=False,
        )
    return client


_HEADERS = {
    "Accept": (
        "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
        "text/xml;q=0.9, */*;q=0.5"
    ),
    # Only encodings decoded here, with a bounded output, are offered.
    "Accept-Encoding": "gzip, deflate",
}


# --- Fetching -------------------------------------------------------------------


def fetch_url(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    allowed_hosts: Collection[str] | None = None,
    deadline_s: float | None = None,
    max_bytes: int | None = None,
) -> FeedResponse:
    """GET a feed, following up to five redirects, within all the limits.

    `etag` and `last_modified` are sent back exactly as received. A 304 and
    every status from the final hop are returned, not raised; only a fetch
    that could not complete raises `FetchError`.
    """
    if allowed_hosts is None:
        allowed_hosts = settings.FEED_ALLOWED_HOSTS
    deadline_s = FETCH_DEADLINE if deadline_s is None else deadline_s
    max_bytes = MAX_BODY_BYTES if max_bytes is None else max_bytes
    deadline = time.monotonic() + deadline_s
    headers = {"User-Agent": settings.FEED_USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = httpx.Timeout(
        connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=READ_TIMEOUT, pool=5.0
    )

    redirects: list[str] = []
    permanent = True
    current = _checked_url(url)
    client = _client(allowed_hosts)
    token = _FETCH_DEADLINE.set(deadline)
    try:
        while True:
            try:
                with client.stream(
                    "GET", current, headers=headers, timeout=timeout
                ) as response:
                    if response.status_code in REDIRECT_STATUSES:
                        permanent &= response.status_code in PERMANENT_REDIRECT_STATUSES
                        location = response.headers.get("location", "")
                        current = _next_hop(current, location, redirects)
                        continue
                    body = _read_body(response, max_bytes=max_bytes, deadline=deadline)
                    return FeedResponse(
                        url=current,
                        status=response.status_code,
                        headers={k.lower(): v for k, v in response.headers.items()},
                        body=body,
                        redirects=redirects,
                        permanent=permanent,
                    )
            except httpx.TimeoutException as exc:
                if time.monotonic() >= deadline:
                    raise FetchError(
                        "deadline",
                        f"The fetch did not finish within {deadline_s:g} s.",
                    ) from None
                raise FetchError("timeout", _timeout_message(exc)) from None
            except httpx.TransportError as exc:
                # httpx re-raises the guard's refusal as a ConnectError.
                cause = exc.__cause__
                if isinstance(cause, BlockedAddress):
                    raise FetchError(
                        "blocked",
                        f"Refused to connect to {cause.host}: it resolves to "
                        f"{cause.address}, a private or reserved address.",
                    ) from None
                raise FetchError("network", f"Network error: {exc}.") from None
    finally:
        _FETCH_DEADLINE.reset(token)


def _checked_url(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchError("bad_url", f"{url!r} is not a valid URL ({exc}).") from None
    if parsed.scheme not in ("http", "https"):
        raise FetchError(
            "bad_url", f"Only http and https feeds are fetched, not {parsed.scheme!r}."
        )
    if not parsed.host:
        raise FetchError("bad_url", f"{url!r} names no host.")
    if parsed.userinfo:
        raise FetchError("bad_url", "Feed URLs may not carry a user name or password.")
    return str(parsed)


def _next_hop(current: str, location: str, redirects: list[str]) -> str:
    if not location:
        raise FetchError("http", "The server redirected without saying where to.")
    target = _checked_url(str(httpx.URL(current).join(location)))
    if target == current or target in redirects:
        raise FetchError("redirect_loop", f"The redirects loop back to {target}.")
    redirects.append(target)
    if len(redirects) > MAX_REDIRECTS:
        raise FetchError(
            "too_many_redirects", f"More than {MAX_REDIRECTS} redirects; gave up."
        )
    return target


def _timeout_message(exc: httpx.TimeoutException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"The server did not accept a connection within {CONNECT_TIMEOUT:g} s."
    if isinstance(exc, httpx.ReadTimeout):
        return f"The server sent nothing for {READ_TIMEOUT:g} s."
    return f"The request timed out ({type(exc).__name__})."


def _read_body(response: httpx.Response, *, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(
            "too_large",
            f"The server announced {int(declared):,} bytes; "
            f"the limit is {max_bytes:,}.",
            status=response.status_code,
        )
    if response.status_code == 304:
        # No body by definition; taking its (empty) end lets the connection
        # serve the next fetch.
        for _ in response.iter_raw():
            break
        return b""
    if response.status_code >= 400:
        # Error bodies are never used; not reading one closes the connection.
        return b""

    encoding = response.headers.get("content-encoding", "identity").lower().strip()
    decoder = _decoder(encoding)
    chunks: list[bytes] = []
    size = 0
    for raw in response.iter_raw():
        for chunk in decoder(raw, max_bytes - size + 1):
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(
                    "too_large",
                    f"The feed is larger than {max_bytes:,} bytes once decompressed.",
                    status=response.status_code,
                )
            chunks.append(chunk)
        if time.monotonic() > deadline:
            raise FetchError("deadline", "The fetch did not finish in time.")
    return b"".join(chunks)


Decoder = Callable[[bytes, int], Iterator[bytes]]


def _decoder(encoding: str) -> Decoder:
    if encoding in ("", "identity"):
        return _identity
    if encoding in ("gzip", "x-gzip"):
        return _ZlibDecoder(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _ZlibDecoder(zlib.MAX_WBITS, fallback_raw=True)
    raise FetchError(
        "encoding",
        f"The server used a content encoding we did not ask for: {encoding}.",
    )


def _identity(data: bytes, limit: int) -> Iterator[bytes]:
    yield data


class _ZlibDecoder:
    """Decompresses in slices no larger than the bytes still allowed.

    A "zip bomb" therefore costs at most the cap in memory: decompression
    stops as soon as the output would pass it.
    """

    def __init__(self, wbits: int, *, fallback_raw: bool = False) -> None:
        self._wbits = wbits
        self._fallback_raw = fallback_raw
        self._started = False
        self._obj = zlib.decompressobj(wbits)

    def __call__(self, data: bytes, limit: int) -> Iterator[bytes]:
        pending = data
        while pending:
            try:
                out = self._obj.decompress(pending, max(1, limit))
            except zlib.error as exc:
                if self._fallback_raw and not self._started:
                    # Some servers send raw deflate without the zlib header.
                    self._fallback_raw = False
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise FetchError(
                    "encoding", f"The compressed body is corrupt ({exc})."
                ) from None
            self._started = True
            if out:
                limit -= len(out)
                yield out
            if limit <= 0:
                # The caller refuses the body once it passes the cap.
                return
            if self._obj.eof:
                # Concatenated gzip members go on; other trailing bytes are
                # junk that browsers ignore too.
                pending = self._obj.unused_data
                if not pending.startswith(b"\x1f\x8b") or self._wbits < 16:
                    return
                self._obj = zlib.decompressobj(self._wbits)
                continue
            pending = self._obj.unconsumed_tail


def retry_after_seconds(value: str, *, now: dt.datetime) -> float | None:
    """Seconds to wait per a Retry-After header (seconds or an HTTP date)."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())

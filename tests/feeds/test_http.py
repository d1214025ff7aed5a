import datetime as dt
import gzip
import os
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest

from feeds import http
from feeds.http import (
    MAX_BODY_BYTES,
    FetchError,
    address_is_public,
    fetch_url,
    retry_after_seconds,
)
from tests.feeds.builders import item, rss
from tests.feeds.servers import (
    FeedServer,
    Handler,
    endless,
    feed_server,
    gzip_bomb,
    kept_alive,
    redirect,
    serve,
    slow_drip,
)

LOOPBACK = ["127.0.0.1"]
FEED = rss([item(1)])


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with feed_server() as running:
        yield running


@pytest.fixture
def forbidden_server() -> Iterator[FeedServer]:
    """A server on 127.0.0.2: the address tests treat as forbidden."""
    with feed_server("127.0.0.2") as running:
        yield running


def test_it_fetches_a_feed_from_an_allowed_host(server: FeedServer) -> None:
    url = server.route("/feed.xml", serve(FEED))

    response = fetch_url(url, allowed_hosts=LOOPBACK)

    assert response.status == 200
    assert response.body == FEED
    assert "rss" in response.header("content-type")


def test_it_sends_an_honest_user_agent_and_the_validators_as_received(
    server: FeedServer, settings: object
) -> None:
    url = server.route("/feed.xml", serve(FEED))
    etag = 'W/"a b;c"'
    modified = "Wed, 06 May 2026 10:00:00 GMT"

    fetch_url(url, etag=etag, last_modified=modified, allowed_hosts=LOOPBACK)

    headers = server.requests_to("/feed.xml")[0].headers
    assert headers["User-Agent"] == settings.FEED_USER_AGENT  # type: ignore[attr-defined]
    assert "OSINT-Desk" in headers["User-Agent"]
    assert headers["If-None-Match"] == etag
    assert headers["If-Modified-Since"] == modified


def test_it_refuses_a_loopback_host_that_is_not_allowed(server: FeedServer) -> None:
    url = server.route("/feed.xml", serve(FEED))

    with pytest.raises(FetchError) as caught:
        fetch_url(url, allowed_hosts=[])

    assert caught.value.kind == "blocked"
    assert "private or reserved" in caught.value.message
    assert server.state.requests == []


def test_it_refuses_a_forbidden_address_without_connecting(
    forbidden_server: FeedServer,
) -> None:
    url = forbidden_server.route("/feed.xml", serve(FEED))

    with pytest.raises(FetchError) as caught:
        fetch_url(url, allowed_hosts=LOOPBACK)

    assert caught.value.kind == "blocked"
    assert forbidden_server.state.requests == []


def test_it_checks_every_redirect_hop_against_the_guard(
    server: FeedServer, forbidden_server: FeedServer
) -> None:
    target = forbidden_server.route("/secret.xml", serve(b"internal"))
    url = server.route("/feed.xml", redirect(target))

    with pytest.raises(FetchError) as caught:
        fetch_url(url, allowed_hosts=LOOPBACK)

    assert caught.value.kind == "blocked"
    assert len(server.requests_to("/feed.xml")) == 1
    assert forbidden_server.state.requests == []


def test_it_fetches_again_over_a_connection_kept_from_the_last_fetch(
    server: FeedServer,
) -> None:
    url = server.route("/feed.xml", kept_alive(FEED, etag='"v1"'))

    first = fetch_url(url, allowed_hosts=LOOPBACK)
    unchanged = fetch_url(url, etag='"v1"', allowed_hosts=LOOPBACK)
    again = fetch_url(url, allowed_hosts=LOOPBACK)

    assert (first.status, unchanged.status, again.status) == (200, 304, 200)
    assert again.body == FEED
    # One TCP connection served all three, the 304 included.
    assert len({record.peer for record in server.state.requests}) == 1


def test_a_connection_whose_body_was_refused_is_not_kept(server: FeedServer) -> None:
    url = server.route("/big.xml", kept_alive(b"x" * 5000))

    for _ in range(2):
        with pytest.raises(FetchError) as caught:
            fetch_url(url, allowed_hosts=LOOPBACK, max_bytes=1000)
        assert caught.value.kind == "too_large"

    assert len({record.peer for record in server.state.requests}) == 2


def test_a_kept_connection_serves_only_fetches_under_the_same_allowed_hosts(
    server: FeedServer,
) -> None:
    url = server.route("/feed.xml", kept_alive(FEED))
    fetch_url(url, allowed_hosts=LOOPBACK)

    # Without the exemption the guard refuses loopback, kept connection or not.
    with pytest.raises(FetchError) as caught:
        fetch_url(url, allowed_hosts=[])

    assert caught.value.kind == "blocked"
    assert len(server.state.requests) == 1


def test_a_kept_connection_is_held_to_each_fetch_s_own_deadline(
    server: FeedServer,
) -> None:
    url = server.route("/feed.xml", kept_alive(FEED))
    fetch_url(url, allowed_hosts=LOOPBACK)
    drip = server.route("/drip.xml", slow_drip(interval=0.2, total_s=20))

    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch_url(drip, allowed_hosts=LOOPBACK, deadline_s=1.0)

    assert caught.value.kind == "deadline"
    assert time.monotonic() - started < 2.0
    # The drip came over the connection the first fetch left open.
    assert len({record.peer for record in server.state.requests}) == 1


# Server threads of earlier tests may still be winding down; the child only
# reads one attribute and leaves, so no lock they hold can stall it.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")
def test_a_forked_process_does_not_share_its_parent_s_kept_client() -> None:
    parent = http._client(LOOPBACK)
    assert http._client(LOOPBACK) is parent
    reader, writer = os.pipe()

    pid = os.fork()
    if pid == 0:  # the child: report, and leave without pytest's clean-up
        kept = getattr(http._kept, "clients", None)
        os.write(writer, b"none" if not kept else b"inherited")
        os._exit(0)
    os.close(writer)
    answer = os.read(reader, 16)
    os.waitpid(pid, 0)
    os.close(reader)

    assert answer == b"none"


def test_it_connects_to_the_address_it_checked_when_dns_changes_its_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "rebind.test" first resolves to a (pretend) public address, then to the
    # forbidden one. A guard that checks one answer and connects by name
    # would reach 127.0.0.2; this one must reach only what it checked.
    with feed_server("127.0.0.1") as public, feed_server("127.0.0.2") as private:
        public.route("/feed.xml", serve(FEED))
        private.route("/feed.xml", serve(b"internal secrets"))
        answers = iter([["127.0.0.1"], ["127.0.0.2"], ["127.0.0.2"]])
        port = public.server_address[1]
        private_port = private.server_address[1]
        monkeypatch.setattr(http, "_resolve", lambda host, port: next(answers))
        monkeypatch.setattr(
            http, "address_is_public", lambda address: address == "127.0.0.1"
        )

        first = fetch_url(f"http://rebind.test:{port}/feed.xml", allowed_hosts=[])
        with pytest.raises(FetchError) as caught:
            fetch_url(f"http://rebind.test:{private_port}/feed.xml", allowed_hosts=[])

    assert first.body == FEED
    assert caught.value.kind == "blocked"
    assert private.state.requests == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("127.0.0.2", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("100.64.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("ff02::1", False),
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
    ],
)
def test_it_judges_addresses(address: str, public: bool) -> None:
    assert address_is_public(address) is public


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/feed.xml",
        "javascript:alert(1)",
        "http://user:secret@127.0.0.1/feed.xml",
        "http:///nohost",
    ],
)
def test_it_refuses_urls_it_must_not_fetch(url: str) -> None:
    with pytest.raises(FetchError) as caught:
        fetch_url(url, allowed_hosts=LOOPBACK)

    assert caught.value.kind == "bad_url"


def test_it_follows_relative_redirects(server: FeedServer) -> None:
    server.route("/new.xml", serve(FEED))
    url = server.route("/old.xml", redirect("/new.xml", status=301))

    response = fetch_url(url, allowed_hosts=LOOPBACK)

    assert response.body == FEED
    assert response.redirects == [server.url("/new.xml")]


@pytest.mark.parametrize(
    ("statuses", "moved"),
    [
        ((301,), True),
        ((308,), True),
        ((301, 308), True),
        ((302,), False),
        ((307,), False),
        ((301, 302), False),
        ((303, 301), False),
    ],
)
def test_it_says_a_feed_moved_only_when_every_redirect_was_permanent(
    server: FeedServer, statuses: tuple[int, ...], moved: bool
) -> None:
    final = server.route("/final.xml", serve(FEED))
    for hop, status in enumerate(statuses):
        target = f"/hop-{hop + 1}.xml" if hop + 1 < len(statuses) else "/final.xml"
        server.route(f"/hop-{hop}.xml", redirect(target, status=status))

    response = fetch_url(server.url("/hop-0.xml"), allowed_hosts=LOOPBACK)

    assert response.body == FEED
    assert response.moved_to == (final if moved else "")


def test_it_says_no_move_without_a_redirect(server: FeedServer) -> None:
    url = server.route("/here.xml", serve(FEED))

    assert fetch_url(url, allowed_hosts=LOOPBACK).moved_to == ""


def test_it_stops_a_redirect_loop(server: FeedServer) -> None:
    server.route("/a.xml", redirect("/b.xml"))
    url = server.route("/b.xml", redirect("/a.xml"))

    with pytest.raises(FetchError) as caught:
        fetch_url(url, allowed_hosts=LOOPBACK)

    assert caught.value.kind == "redirect_loop"


def test_it_gives_up_after_five_redirects(server: FeedServer) -> None:
    for hop in range(7):
        server.route(f"/{hop}.xml", redirect(f"/{hop + 1}.xml"))
    server.route("/7.xml", serve(FEED))

    with pytest.raises(FetchError) as caught:
        fetch_url(server.url("/0.xml"), allowed_hosts=LOOPBACK)

    assert caught.value.kind == "too_many_redirects"
    assert len(server.state.requests) == 6


def test_it_refuses_a_declared_length_over_the_cap_before_reading(
    server: FeedServer,
) -> None:
    def huge(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(MAX_BODY_BYTES + 1))
        handler.end_headers()
        handler.wfile.write(b"<rss>")

    url = server.route("/huge.xml", huge)

    with pytest.raises(FetchError) as caught:
        fetch_url(url, allowed_hosts=LOOPBACK)

    assert caught.value.kind == "too_large"
    assert "announced" in caught.value.message


def test_it_cuts_an_endless_body_at_the_cap_with_bounded_memory(
    server: FeedServer,
) -> None:
    url = server.route("/endless.xml", endless())

    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as caught:
            fetch_url(url, allowed_hosts=LOOPBACK)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert caught.value.kind == "too_large"
    assert peak < 3 * MAX_BODY_BYTES


def test_it_stops_a_gzip_bomb_at_the_cap_with_bounded_memory(
    server: FeedServer,
) -> None:
    url = server.route("/bomb.xml", gzip_bomb(decompressed_mib=200))

    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as caught:
            fetch_url(url, allowed_hosts=LOOPBACK)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert caught.value.kind == "too_large"
    assert "decompressed" in caught.value.message
    assert peak < 3 * MAX_BODY_BYTES


def test_it_decodes_gzip_and_deflate_bodies(server: FeedServer) -> None:
    gz = server.route(
        "/gz.xml", serve(gzip.compress(FEED), headers={"Content-Encoding": "gzip"})
    )
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    deflated = raw_deflate.compress(FEED) + raw_deflate.flush()
    df = server.route(
        "/df.xml", serve(deflated, headers={"Content-Encoding": "deflate"})
    )

    assert fetch_url(gz, allowed_hosts=LOOPBACK).body == FEED
    assert fetch_url(df, allowed_hosts=LOOPBACK).body == FEED


def test_it_refuses_a_corrupt_compressed_body(server: FeedServer) -> None:
    url = server.route(
        "/bad.xml", serve(b"\x1f\x8bnot gzip", headers={"Content-Encoding": "gzip"})
    )

    with pytest.raises(FetchError) as caught:
        fetch_url(url, allowed_hosts=LOOPBACK)

    assert caught.value.kind == "encoding"


def test_it_ends_a_slow_drip_at_the_whole_fetch_deadline(server: FeedServer) -> None:
    url = server.route("/drip.xml", slow_drip(interval=0.2, total_s=20))

    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch_url(url, allowed_hosts=LOOPBACK, deadline_s=1.5)
    elapsed = time.monotonic() - started

    assert caught.value.kind == "deadline"
    assert elapsed < 2.5


def test_it_times_out_a_server_that_goes_silent(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http, "READ_TIMEOUT", 0.5)
    release = threading.Event()

    def silent(handler: Handler) -> None:
        handler.send_response(200)
        handler.end_headers()
        release.wait(10)

    url = server.route("/silent.xml", silent)

    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch_url(url, allowed_hosts=LOOPBACK)
    release.set()

    assert caught.value.kind == "timeout"
    assert "sent nothing" in caught.value.message
    assert time.monotonic() - started < 2


def test_it_reports_a_refused_connection_as_a_network_error() -> None:
    with feed_server() as gone:
        url = gone.url("/feed.xml")

    with pytest.raises(FetchError) as caught:
        fetch_url(url, allowed_hosts=LOOPBACK)

    assert caught.value.kind == "network"


def test_it_reads_retry_after_in_seconds_and_as_a_date() -> None:
    now = dt.datetime(2026, 5, 7, 12, tzinfo=dt.UTC)

    assert retry_after_seconds("120", now=now) == 120
    assert retry_after_seconds("Thu, 07 May 2026 12:10:00 GMT", now=now) == 600
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds("", now=now) is None


def test_it_keeps_no_cookies_between_hops(server: FeedServer) -> None:
    final = server.route("/final.xml", serve(FEED))

    def setting_a_cookie(handler: Handler) -> None:
        handler.send_response(302)
        handler.send_header("Location", final)
        handler.send_header("Set-Cookie", "session=tracking; Path=/")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    start = server.route("/start.xml", setting_a_cookie)

    response = fetch_url(start, allowed_hosts=LOOPBACK)

    assert response.body == FEED
    assert all(
        "cookie" not in {name.lower() for name in record.headers}
        for record in server.requests_to("/final.xml")
    )

import datetime as dt
import threading
import time
import tracemalloc
from collections.abc import Iterator

import pytest
from django.utils import timezone

from feeds import fetching, http
from feeds.fetching import BROKEN_AFTER, MAX_BACKOFF, Result, backoff, feed_fetch
from feeds.http import FetchError, fetch_url
from feeds.models import Article, Feed
from tests.factories import make_feed
from tests.feeds import hostile
from tests.feeds.builders import item, rss
from tests.feeds.servers import (
    FeedServer,
    conditional,
    feed_server,
    redirect,
    serve,
)

LOOPBACK = ["127.0.0.1"]
DEADLINE_S = 3.0


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with feed_server() as running:
        yield running


def _fetch(feed: Feed) -> fetching.FetchOutcome:
    return feed_fetch(feed=feed, allowed_hosts=LOOPBACK)


@pytest.mark.django_db
def test_it_stores_new_articles_and_marks_the_feed_healthy(server: FeedServer) -> None:
    feed = make_feed(url=server.route("/f.xml", serve(rss([item(1), item(2)]))))

    outcome = _fetch(feed)

    feed.refresh_from_db()
    assert outcome.result == Result.NEW
    assert len(outcome.new_article_ids) == 2
    assert feed.state == Feed.State.OK
    assert feed.last_success_at == feed.last_checked_at
    assert feed.consecutive_errors == 0
    assert feed.next_check_at > timezone.now() + dt.timedelta(minutes=30)
    assert Article.objects.filter(feed=feed).count() == 2


@pytest.mark.django_db
def test_it_counts_a_304_as_success_and_keeps_new_validators(
    server: FeedServer,
) -> None:
    route = conditional(
        rss([item(1)]), etag='"abc"', last_modified="Wed, 06 May 2026 10:00:00 GMT"
    )
    feed = make_feed(url=server.route("/c.xml", route))
    _fetch(feed)

    outcome = _fetch(feed)

    feed.refresh_from_db()
    second = server.requests_to("/c.xml")[1].headers
    assert outcome.result == Result.UNCHANGED
    assert outcome.http_status == 304
    assert second["If-None-Match"] == '"abc"'
    assert second["If-Modified-Since"] == "Wed, 06 May 2026 10:00:00 GMT"
    assert feed.state == Feed.State.OK
    assert feed.etag == '"abc"'


@pytest.mark.django_db
def test_it_skips_parsing_when_the_body_is_unchanged(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = make_feed(url=server.route("/same.xml", serve(rss([item(1)]))))
    _fetch(feed)

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged body must not be parsed")

    monkeypatch.setattr(fetching, "parse_feed", no_parsing)
    outcome = _fetch(feed)

    assert outcome.result == Result.UNCHANGED
    assert outcome.http_status == 200


@pytest.mark.django_db
def test_it_honours_retry_after_on_429_without_counting_an_error(
    server: FeedServer,
) -> None:
    url = server.route(
        "/busy.xml", serve(b"", status=429, headers={"Retry-After": "7200"})
    )
    feed = make_feed(url=url)
    before = timezone.now()

    outcome = _fetch(feed)

    feed.refresh_from_db()
    assert outcome.result == Result.DEFERRED
    assert feed.consecutive_errors == 0
    assert "7200 s" in feed.last_error
    assert feed.next_check_at >= before + dt.timedelta(seconds=7200)


@pytest.mark.django_db
def test_it_counts_503_as_an_error_and_waits_at_least_retry_after(
    server: FeedServer,
) -> None:
    url = server.route(
        "/down.xml", serve(b"", status=503, headers={"Retry-After": "5400"})
    )
    feed = make_feed(url=url)
    before = timezone.now()

    outcome = _fetch(feed)

    feed.refresh_from_db()
    assert outcome.result == Result.ERROR
    assert feed.consecutive_errors == 1
    assert feed.state == Feed.State.FAILING
    assert feed.next_check_at >= before + dt.timedelta(seconds=5400)


@pytest.mark.django_db
def test_it_disables_a_feed_that_answers_410(server: FeedServer) -> None:
    feed = make_feed(url=server.route("/gone.xml", serve(b"", status=410)))

    outcome = _fetch(feed)

    feed.refresh_from_db()
    assert outcome.result == Result.GONE
    assert feed.enabled is False
    assert feed.state == Feed.State.GONE
    assert "410" in feed.last_error


def _moving_feed(
    server: FeedServer,
    *,
    to: str,
    body: bytes,
    status: int,
    content_type: str = "application/rss+xml",
) -> tuple[Feed, str, str]:
    """A feed at /old.xml whose server redirects it to `to`, which serves
    `body`; the feed and its old and new addresses."""
    new_url = server.route(to, serve(body, content_type=content_type))
    old_url = server.route("/old.xml", redirect(to, status=status))
    return make_feed(url=old_url), old_url, new_url


@pytest.mark.django_db
@pytest.mark.parametrize("status", [301, 308])
def test_it_moves_a_feed_that_moved_for_good_to_its_new_address(
    server: FeedServer, status: int
) -> None:
    body = rss([item(1), item(2)])
    feed, old_url, new_url = _moving_feed(
        server, to="/new.xml", body=body, status=status
    )

    outcome = _fetch(feed)
    _fetch(feed)

    feed.refresh_from_db()
    assert outcome.result == Result.NEW
    assert outcome.moved_to == new_url
    assert outcome.describe() == f"2 new articles (2 entries); moved to {new_url}"
    assert feed.url == new_url
    assert feed.host == "127.0.0.1"
    assert old_url in feed.last_warning and new_url in feed.last_warning
    assert len(server.requests_to("/old.xml")) == 1
    assert len(server.requests_to("/new.xml")) == 2
    assert Article.objects.filter(feed=feed).count() == 2


@pytest.mark.django_db
def test_it_moves_a_feed_whose_unchanged_body_moved_for_good(
    server: FeedServer,
) -> None:
    body = rss([item(1)])
    feed = make_feed(url=server.route("/old.xml", serve(body)))
    _fetch(feed)
    new_url = server.route("/new.xml", serve(body))
    server.route("/old.xml", redirect("/new.xml", status=301))

    outcome = _fetch(feed)

    feed.refresh_from_db()
    assert outcome.result == Result.UNCHANGED
    assert outcome.describe() == f"unchanged; moved to {new_url}"
    assert feed.url == new_url


@pytest.mark.django_db
def test_it_keeps_the_address_of_a_feed_redirected_for_now(
    server: FeedServer,
) -> None:
    feed, old_url, _ = _moving_feed(
        server, to="/elsewhere.xml", body=rss([item(1)]), status=302
    )

    outcome = _fetch(feed)

    feed.refresh_from_db()
    assert outcome.result == Result.NEW
    assert outcome.moved_to == ""
    assert feed.url == old_url
    assert feed.last_warning == ""


@pytest.mark.django_db
def test_it_keeps_the_address_when_a_move_for_good_lands_on_no_feed(
    server: FeedServer,
) -> None:
    page = b"<!doctype html><html><body>This domain is for sale.</body></html>"
    feed, old_url, _ = _moving_feed(
        server, to="/parked", body=page, status=301, content_type="text/html"
    )

    outcome = _fetch(feed)

    feed.refresh_from_db()
    assert outcome.result == Result.ERROR
    assert feed.url == old_url
    assert feed.consecutive_errors == 1


@pytest.mark.django_db
def test_it_keeps_the_address_when_the_new_one_is_too_long_to_store(
    server: FeedServer,
) -> None:
    long_path = "/" + "n" * 2100 + ".xml"
    feed, old_url, _ = _moving_feed(
        server, to=long_path, body=rss([item(1)]), status=301
    )

    outcome = _fetch(feed)

    feed.refresh_from_db()
    assert outcome.result == Result.NEW
    assert outcome.moved_to == ""
    assert feed.url == old_url
    assert "longer than 2000 characters" in feed.last_warning


@pytest.mark.django_db
def test_it_leaves_both_feeds_when_one_moves_onto_the_others_address(
    server: FeedServer,
) -> None:
    feed, old_url, new_url = _moving_feed(
        server, to="/new.xml", body=rss([item(1)]), status=301
    )
    other = make_feed(url=new_url, title="The Other Outlet")

    first = _fetch(feed)
    _fetch(feed)

    feed.refresh_from_db()
    assert first.result == Result.NEW
    assert first.moved_to == ""
    assert feed.url == old_url
    assert feed.last_warning.count(f"feed {other.pk} (The Other Outlet)") == 1
    assert new_url in feed.last_warning
    other.refresh_from_db()
    assert other.url == new_url


@pytest.mark.django_db
def test_it_backs_off_exponentially_then_marks_broken_but_keeps_probing_daily(
    server: FeedServer,
) -> None:
    feed = make_feed(url=server.route("/err.xml", serve(b"", status=500)))
    waits = []

    for _ in range(BROKEN_AFTER + 4):
        started = timezone.now()
        _fetch(feed)
        feed.refresh_from_db()
        waits.append(feed.next_check_at - started)

    assert waits[1] > waits[0] * 1.5
    assert waits[2] > waits[1] * 1.5
    assert all(wait <= MAX_BACKOFF + dt.timedelta(seconds=5) for wait in waits)
    assert waits[-1] >= MAX_BACKOFF - dt.timedelta(seconds=5)
    assert feed.state == Feed.State.BROKEN
    assert feed.enabled is True
    assert feed.consecutive_errors == BROKEN_AFTER + 4
    assert "HTTP 500" in feed.last_error


@pytest.mark.django_db
def test_it_heals_a_broken_feed_on_its_next_success(server: FeedServer) -> None:
    feed = make_feed(
        url=server.route("/heal.xml", serve(rss([item(1)]))),
        state=Feed.State.BROKEN,
        consecutive_errors=20,
        last_error="old trouble",
    )

    _fetch(feed)

    feed.refresh_from_db()
    assert feed.state == Feed.State.OK
    assert feed.consecutive_errors == 0
    assert feed.last_error == ""


def test_it_caps_the_backoff_at_a_day() -> None:
    assert backoff(1, poll_interval=3600) == dt.timedelta(hours=1)
    assert backoff(3, poll_interval=3600) == dt.timedelta(hours=4)
    assert backoff(40, poll_interval=3600) == MAX_BACKOFF


@pytest.mark.django_db
def test_it_records_a_web_page_as_not_a_feed(server: FeedServer) -> None:
    url = server.route(
        "/page", serve(hostile.HTML_PAGE, content_type="text/html; charset=utf-8")
    )
    feed = make_feed(url=url)

    outcome = _fetch(feed)

    feed.refresh_from_db()
    assert outcome.result == Result.ERROR
    assert "web page" in feed.last_error
    assert feed.body_hash == ""


@pytest.mark.django_db
def test_it_keeps_the_validators_of_a_body_it_failed_to_read(
    server: FeedServer,
) -> None:
    # Keeping them would turn the next poll into a 304 that skips the body.
    url = server.route(
        "/bad",
        serve(hostile.HTML_PAGE, headers={"ETag": '"x"'}, content_type="text/html"),
    )
    feed = make_feed(url=url)

    _fetch(feed)

    feed.refresh_from_db()
    assert feed.etag == ""


@pytest.mark.django_db
def test_it_records_a_malformed_but_readable_feed_with_a_warning(
    server: FeedServer,
) -> None:
    body = rss([item(1)]).replace(b"</channel>", b"<broken & unclosed></channel>")
    feed = make_feed(url=server.route("/bozo.xml", serve(body)))

    outcome = _fetch(feed)

    feed.refresh_from_db()
    assert outcome.result == Result.NEW
    assert "malformed" in feed.last_warning
    assert feed.last_error == ""


@pytest.mark.django_db
def test_it_records_a_store_failure_without_writing_half_an_ingest(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import DatabaseError

    feed = make_feed(url=server.route("/db.xml", serve(rss([item(1), item(2)]))))

    def refuse(*args: object, **kwargs: object) -> None:
        raise DatabaseError("value too long")

    monkeypatch.setattr("feeds.clustering.clusters_refresh", refuse)
    monkeypatch.setattr("feeds.storing.clusters_refresh", refuse)
    outcome = _fetch(feed)

    feed.refresh_from_db()
    assert outcome.result == Result.ERROR
    assert "could not be stored" in feed.last_error
    assert Article.objects.filter(feed=feed).count() == 0
    assert feed.body_hash == ""


@pytest.mark.django_db
def test_it_ends_every_hostile_fetch_in_time_with_a_recorded_outcome(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(http, "FETCH_DEADLINE", DEADLINE_S)
    with feed_server() as server, feed_server("127.0.0.2") as forbidden:
        urls = hostile.install(server, forbidden_base=forbidden.base)
        good = make_feed(url=server.route("/good.xml", serve(rss([item(1), item(2)]))))
        feeds = {name: make_feed(url=url) for name, url in urls.items()}

        tracemalloc.start()
        try:
            timings = {}
            for name, feed in feeds.items():
                started = time.monotonic()
                _fetch(feed)
                timings[name] = time.monotonic() - started
            # The re-poll of an unchanged feed is the second fetch.
            _fetch(feeds["unchanged re-poll"])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        good_outcome = _fetch(good)

    outcomes = {}
    for name, feed in feeds.items():
        feed.refresh_from_db()
        articles = Article.objects.filter(feed=feed)
        outcomes[name] = (feed.state, feed.last_error, articles.count())
        assert feed.last_checked_at is not None, name
        assert feed.last_error or articles.exists(), name
        assert timings[name] < DEADLINE_S + 1.5, name

    assert outcomes["slow drip"][1].startswith("The fetch did not finish")
    assert "larger than" in outcomes["endless body"][1]
    assert "decompressed" in outcomes["gzip bomb"][1]
    assert "loop" in outcomes["redirect loop"][1]
    assert "private or reserved" in outcomes["redirect to forbidden"][1]
    assert forbidden.state.requests == []
    assert "web page" in outcomes["html not xml"][1]
    assert outcomes["429"][0] == Feed.State.NEW
    assert outcomes["410"][0] == Feed.State.GONE
    assert outcomes["500"][0] == Feed.State.FAILING
    assert outcomes["unchanged re-poll"] == (Feed.State.OK, "", 2)
    assert outcomes["wrong encoding"][2] == 1
    assert peak < 40 * 1024 * 1024
    assert good_outcome.result == Result.NEW


@pytest.mark.django_db
def test_it_lets_no_entity_expand_or_leak_a_local_file(server: FeedServer) -> None:
    laughs = make_feed(url=server.route("/lol.xml", serve(hostile.BILLION_LAUGHS)))
    leak = make_feed(url=server.route("/xxe.xml", serve(hostile.EXTERNAL_ENTITY)))

    started = time.monotonic()
    _fetch(laughs)
    _fetch(leak)

    assert time.monotonic() - started < 2
    for article in Article.objects.all():
        text = article.title + article.summary + article.content
        assert "lollollol" not in text
        assert "root:" not in text
    assert Article.objects.filter(feed=leak).exists()


def test_it_serves_a_good_feed_promptly_while_hostile_ones_hang(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The fetcher holds no lock and shares no connection between fetches, so
    # a server that drips or floods cannot slow another feed down.
    monkeypatch.setattr(http, "FETCH_DEADLINE", DEADLINE_S)
    with feed_server() as server, feed_server("127.0.0.2") as forbidden:
        urls = hostile.install(server, forbidden_base=forbidden.base)
        good = server.route("/good.xml", serve(rss([item(1)])))
        errors: list[str] = []

        def hostile_fetch(url: str) -> None:
            try:
                fetch_url(url, allowed_hosts=LOOPBACK)
            except FetchError as exc:
                errors.append(exc.kind)

        threads = [
            threading.Thread(target=hostile_fetch, args=(u,)) for u in urls.values()
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        started = time.monotonic()
        response = fetch_url(good, allowed_hosts=LOOPBACK)
        good_seconds = time.monotonic() - started
        for thread in threads:
            thread.join(DEADLINE_S + 5)

    assert response.status == 200
    assert good_seconds < 1.0
    assert not any(thread.is_alive() for thread in threads)

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connection
from django.utils import timezone

from feeds.fetching import FetchOutcome
from feeds.models import Feed
from feeds.scheduling import (
    LEASE,
    MAX_PER_HOST,
    QUEUED_GRACE,
    Lease,
    Refused,
    due_feeds,
    feed_fetch_leased,
    feed_lease,
    feed_release,
    feed_set_enabled,
    feeds_claim_due,
)
from tests.factories import make_feed
from tests.feeds.builders import item, rss
from tests.feeds.servers import FeedServer, Handler, Route, feed_server
from tests.services import need_postgres

LOOPBACK = ["127.0.0.1"]


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with feed_server() as running:
        yield running


def _past() -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_it_finds_enabled_due_feeds_nobody_is_fetching() -> None:
    now = timezone.now()
    due = make_feed(next_check_at=_past())
    make_feed(next_check_at=now + dt.timedelta(hours=1))
    make_feed(next_check_at=_past(), enabled=False)
    make_feed(next_check_at=_past(), leased_until=now + dt.timedelta(minutes=1))
    expired = make_feed(next_check_at=_past(), leased_until=_past())

    found = set(due_feeds(now=now).values_list("pk", flat=True))

    assert found == {due.pk, expired.pk}


@pytest.mark.django_db
def test_it_claims_at_most_two_feeds_per_host_a_round() -> None:
    busy = [
        make_feed(url=f"https://busy.example/{n}", next_check_at=_past())
        for n in range(4)
    ]
    other = make_feed(url="https://other.example/feed", next_check_at=_past())
    now = timezone.now()

    claimed = feeds_claim_due(now=now)

    assert len([pk for pk in claimed if pk in {f.pk for f in busy}]) == MAX_PER_HOST
    assert other.pk in claimed
    pushed = Feed.objects.get(pk=claimed[0]).next_check_at
    assert pushed == now + QUEUED_GRACE
    assert len(feeds_claim_due(now=now)) == 2


@pytest.mark.django_db
def test_it_counts_feeds_already_in_flight_against_the_host() -> None:
    now = timezone.now()
    make_feed(url="https://busy.example/a", leased_until=now + LEASE)
    make_feed(url="https://busy.example/b", next_check_at=_past())
    make_feed(url="https://busy.example/c", next_check_at=_past())

    assert len(feeds_claim_due(now=now)) == 1


@pytest.mark.django_db
def test_it_gives_a_lease_to_one_holder_at_a_time() -> None:
    feed = make_feed()

    first = feed_lease(feed_id=feed.pk)
    second = feed_lease(feed_id=feed.pk)

    assert isinstance(first, Lease)
    assert second is Refused.LEASED
    feed_release(first)
    assert isinstance(feed_lease(feed_id=feed.pk), Lease)


@pytest.mark.django_db
def test_it_lets_an_expired_lease_be_taken_over() -> None:
    feed = make_feed()
    stale = feed_lease(feed_id=feed.pk, now=timezone.now() - 2 * LEASE)
    assert isinstance(stale, Lease)

    fresh = feed_lease(feed_id=feed.pk)
    feed_release(stale)

    assert isinstance(fresh, Lease)
    assert Feed.objects.get(pk=feed.pk).lease_token == fresh.token


@pytest.mark.django_db
def test_it_refuses_a_lease_when_the_host_is_busy_or_the_feed_is_gone() -> None:
    feeds = [make_feed(url=f"https://one.example/{n}") for n in range(3)]

    leases = [feed_lease(feed_id=feed.pk) for feed in feeds]

    assert all(isinstance(lease, Lease) for lease in leases[:2])
    assert leases[2] is Refused.HOST_BUSY
    assert feed_lease(feed_id=999_999) is Refused.MISSING


@pytest.mark.django_db
def test_it_releases_the_lease_after_fetching(server: FeedServer) -> None:
    url = server.route("/f.xml", lambda h: h.send_bytes(rss([item(1)])))
    feed = make_feed(url=url)

    outcome = feed_fetch_leased(feed_id=feed.pk, allowed_hosts=LOOPBACK)

    feed.refresh_from_db()
    assert isinstance(outcome, FetchOutcome)
    assert feed.leased_until is None
    assert feed.lease_token == ""


@pytest.mark.django_db
def test_it_resets_health_when_a_feed_is_enabled_again() -> None:
    feed = make_feed(enabled=False, state=Feed.State.GONE, consecutive_errors=9)

    feed_set_enabled(feed=feed, enabled=True)

    feed.refresh_from_db()
    assert feed.enabled is True
    assert feed.state == Feed.State.NEW
    assert feed.consecutive_errors == 0
    assert feed.next_check_at <= timezone.now()


def _slow_feed(delay: float) -> Route:
    body = rss([item(1), item(2)])

    def route(handler: Handler) -> None:
        time.sleep(delay)
        handler.send_bytes(body)

    return route


def _run_threads(count: int, target: object) -> list[object]:
    results: list[object] = []
    lock = threading.Lock()
    start = threading.Barrier(count)

    def work(index: int) -> None:
        try:
            start.wait()
            result = target(index)  # type: ignore[operator]
            with lock:
                results.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_it_never_lets_two_workers_fetch_one_feed_at_once(server: FeedServer) -> None:
    need_postgres()
    feed = make_feed(url=server.route("/one.xml", _slow_feed(0.4)))

    results = _run_threads(
        8, lambda n: feed_fetch_leased(feed_id=feed.pk, allowed_hosts=LOOPBACK)
    )

    fetched = [r for r in results if isinstance(r, FetchOutcome)]
    assert len(results) == 8
    assert server.state.peak["/one.xml"] == 1
    assert len(fetched) == len(server.requests_to("/one.xml"))
    assert all(r is Refused.LEASED for r in results if not isinstance(r, FetchOutcome))
    assert feed.articles.count() == 2


@pytest.mark.django_db(transaction=True)
def test_it_keeps_at_most_two_requests_in_flight_per_host(server: FeedServer) -> None:
    need_postgres()
    feeds = [
        make_feed(url=server.route(f"/h{n}.xml", _slow_feed(0.4))) for n in range(6)
    ]

    results = _run_threads(
        6, lambda n: feed_fetch_leased(feed_id=feeds[n].pk, allowed_hosts=LOOPBACK)
    )

    assert server.state.host_peak <= MAX_PER_HOST
    assert sum(isinstance(r, FetchOutcome) for r in results) >= MAX_PER_HOST
    assert all(
        r is Refused.HOST_BUSY for r in results if not isinstance(r, FetchOutcome)
    )


@pytest.mark.django_db(transaction=True)
def test_it_claims_disjoint_feeds_from_concurrent_schedulers() -> None:
    need_postgres()
    for n in range(40):
        make_feed(url=f"https://host{n}.example/feed", next_check_at=_past())

    results = _run_threads(4, lambda n: feeds_claim_due(limit=15))

    claimed = [pk for batch in results for pk in batch]  # type: ignore[attr-defined]
    assert len(claimed) == len(set(claimed)) == 40

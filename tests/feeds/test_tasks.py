from collections.abc import Iterator
from typing import Any

import pytest

from feeds.models import Article, Feed
from feeds.tasks import enqueue_due_feeds, fetch_feed
from osint.celery import app
from tests.factories import make_feed
from tests.feeds.builders import item, rss
from tests.feeds.servers import FeedServer, feed_server, serve
from tests.services import celery_worker, need_broker, need_postgres, wait_for


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with feed_server() as running:
        yield running


@pytest.fixture
def eager() -> Iterator[None]:
    # Run tasks in this process whatever broker the environment names.
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before


@pytest.mark.django_db
def test_it_queues_one_fetch_per_due_feed(
    server: FeedServer,
    settings: Any,
    eager: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.FEED_ALLOWED_HOSTS = ["127.0.0.1"]
    feeds = [
        make_feed(url=server.route(f"/q{n}.xml", serve(rss([item(n)]))))
        for n in range(2)
    ]

    with django_capture_on_commit_callbacks(execute=True):
        queued = enqueue_due_feeds()

    assert queued == 2
    assert len(server.state.requests) == 2
    for feed in feeds:
        feed.refresh_from_db()
        assert feed.state == Feed.State.OK


@pytest.mark.django_db
def test_it_declares_time_limits_on_the_fetch_task() -> None:
    assert fetch_feed.soft_time_limit is not None
    assert fetch_feed.time_limit is not None
    assert fetch_feed.soft_time_limit < fetch_feed.time_limit


@pytest.mark.django_db
def test_it_ignores_a_fetch_task_for_a_deleted_feed(eager: None) -> None:
    assert fetch_feed.apply(args=(999_999,)).get() == "missing"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_real_worker_fetches_a_feed_sent_through_redis_into_postgresql(
    server: FeedServer,
) -> None:
    """The foundation's "real worker" test: broker, worker process, database."""
    need_postgres()
    need_broker()
    url = server.route("/worker.xml", serve(rss([item(1), item(2), item(3)])))
    feed = make_feed(url=url)

    with celery_worker(extra_env={"FEED_ALLOWED_HOSTS": "127.0.0.1"}):
        fetch_feed.delay(feed.pk)
        wait_for(lambda: Article.objects.filter(feed=feed).count() == 3, timeout=30)

        # The beat entry's task, also through the worker.
        feed.refresh_from_db()
        Feed.objects.filter(pk=feed.pk).update(next_check_at=feed.created_at)
        enqueue_due_feeds.delay()
        wait_for(lambda: len(server.requests_to("/worker.xml")) == 2, timeout=30)

    feed.refresh_from_db()
    assert feed.state == Feed.State.OK
    assert feed.leased_until is None

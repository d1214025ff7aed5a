import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import make_feed
from tests.feeds.builders import item, rss
from tests.feeds.servers import FeedServer, feed_server, serve


@pytest.fixture
def server(settings: Any) -> Iterator[FeedServer]:
    settings.FEED_ALLOWED_HOSTS = ["127.0.0.1"]
    with feed_server() as running:
        yield running


def _run(*args: str) -> str:
    out = StringIO()
    call_command("fetch_feeds", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_prints_one_line_per_due_feed_and_goes_on_after_a_failure(
    server: FeedServer,
) -> None:
    past = timezone.now() - dt.timedelta(minutes=5)
    good = make_feed(
        title="Good",
        url=server.route("/g.xml", serve(rss([item(1), item(2)]))),
        next_check_at=past,
    )
    bad = make_feed(
        title="Bad",
        url=server.route("/b.xml", serve(b"", status=500)),
        next_check_at=past - dt.timedelta(minutes=1),
    )
    make_feed(title="Later", next_check_at=timezone.now() + dt.timedelta(hours=1))

    output = _run()

    lines = output.strip().splitlines()
    assert lines == [
        f"feed {bad.pk} Bad: error: The server answered HTTP 500.",
        f"feed {good.pk} Good: 2 new articles (2 entries)",
    ]


@pytest.mark.django_db
def test_it_fetches_one_feed_now_and_then_reports_it_unchanged(
    server: FeedServer,
) -> None:
    feed = make_feed(
        title="One",
        url=server.route("/one.xml", serve(rss([item(1)]))),
        next_check_at=timezone.now() + dt.timedelta(days=1),
    )

    first = _run("--feed", str(feed.pk))
    second = _run("--feed", str(feed.pk))

    assert first.strip() == f"feed {feed.pk} One: 1 new article (1 entries)"
    assert second.strip() == f"feed {feed.pk} One: unchanged"


@pytest.mark.django_db
def test_it_exits_non_zero_only_when_it_cannot_run() -> None:
    with pytest.raises(CommandError, match="no feed with id 424242"):
        _run("--feed", "424242")


@pytest.mark.django_db
def test_it_says_so_when_nothing_is_due() -> None:
    assert _run().strip() == "No feeds are due."

"""Adding feeds and changing their settings (feeds.registry)."""

import pytest

from feeds.errors import FeedRejected
from feeds.models import Feed
from feeds.registry import feed_create, feed_update
from tests.factories import make_feed

pytestmark = pytest.mark.django_db


def test_it_adds_a_feed_with_its_host_and_defaults() -> None:
    feed = feed_create(url=" https://News.example.org/rss.xml ", title="Wire")

    feed.refresh_from_db()
    assert feed.url == "https://News.example.org/rss.xml"
    assert feed.host == "news.example.org"
    assert (feed.reliability, feed.default_tlp, feed.enabled) == ("F", "clear", True)
    assert feed.state == Feed.State.NEW


@pytest.mark.parametrize(
    "url",
    ["", "ftp://example.org/feed", "javascript:alert(1)", "http://", "example.org/x"],
)
def test_it_refuses_a_url_that_is_not_http(url: str) -> None:
    with pytest.raises(FeedRejected) as refused:
        feed_create(url=url)

    assert refused.value.problems
    assert "URL" in refused.value.problems[0]
    assert not Feed.objects.exists()


def test_it_refuses_a_duplicate_url_in_words() -> None:
    make_feed(url="https://example.org/feed.xml")

    with pytest.raises(FeedRejected) as refused:
        feed_create(url="https://example.org/feed.xml")

    assert refused.value.problems == [
        "A feed with the URL https://example.org/feed.xml is already registered."
    ]
    assert Feed.objects.count() == 1


def test_it_lists_every_problem_at_once() -> None:
    with pytest.raises(FeedRejected) as refused:
        feed_create(
            url="gopher://x", site="mailto:a@b", reliability="Z", default_tlp="pink"
        )

    assert len(refused.value.problems) == 4


def test_it_changes_the_allowed_settings_and_keeps_the_host_in_step() -> None:
    feed = make_feed(url="https://old.example.org/feed")

    feed_update(
        feed=feed, url="https://new.example.org/feed", reliability="B", title="New"
    )

    feed.refresh_from_db()
    assert (feed.url, feed.host) == ("https://new.example.org/feed", "new.example.org")
    assert (feed.reliability, feed.title) == ("B", "New")


def test_it_refuses_to_change_the_fetchers_bookkeeping() -> None:
    feed = make_feed()

    with pytest.raises(FeedRejected) as refused:
        feed_update(feed=feed, state="ok", consecutive_errors=0)

    assert len(refused.value.problems) == 2
    feed.refresh_from_db()
    assert feed.state == Feed.State.NEW


def test_it_refuses_a_url_another_feed_has() -> None:
    make_feed(url="https://example.org/a")
    feed = make_feed(url="https://example.org/b")

    with pytest.raises(FeedRejected):
        feed_update(feed=feed, url="https://example.org/a")

    feed.refresh_from_db()
    assert feed.url == "https://example.org/b"


def test_it_disables_and_enables_through_the_scheduler() -> None:
    feed = make_feed()

    feed_update(feed=feed, enabled=False)
    assert (feed.enabled, feed.state) == (False, Feed.State.DISABLED)

    feed_update(feed=feed, enabled=True)
    feed.refresh_from_db()
    assert (feed.enabled, feed.state) == (True, Feed.State.NEW)


def test_it_changes_nothing_when_one_value_is_bad() -> None:
    feed = make_feed(title="Kept")

    with pytest.raises(FeedRejected):
        feed_update(feed=feed, title="Changed", reliability="Q")

    feed.refresh_from_db()
    assert (feed.title, feed.reliability) == ("Kept", "F")

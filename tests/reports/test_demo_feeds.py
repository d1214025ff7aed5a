import datetime as dt
from typing import Any

import pytest
from django.db.models import Count

from feeds.http import FetchError, fetch_url
from feeds.models import Article, Feed, StoryCluster
from reports.demo.feeds import DEMO_FEEDS, demo_feeds
from reports.demo.feedserver import serving
from reports.models import ArticleMatch, Topic

WEEK_1 = (dt.date(2026, 4, 30), dt.date(2026, 5, 6))
WEEK_2 = (dt.date(2026, 5, 7), dt.date(2026, 5, 14))


def _load(capture: Any) -> list[str]:
    with capture(execute=True):
        return demo_feeds()


def _snapshot() -> dict[str, Any]:
    return {
        "feeds": list(Feed.objects.order_by("pk").values()),
        "articles": list(Article.objects.order_by("pk").values()),
        "clusters": list(StoryCluster.objects.order_by("pk").values()),
        "matches": list(ArticleMatch.objects.order_by("pk").values()),
        "topics": list(Topic.objects.order_by("pk").values()),
    }


@pytest.mark.django_db
def test_it_loads_the_mongolia_topic_and_its_feeds_through_the_fetcher(
    django_capture_on_commit_callbacks: Any,
) -> None:
    lines = _load(django_capture_on_commit_callbacks)

    topic = Topic.objects.get(slug="mongolia")
    assert topic.name == "Mongolia"
    assert topic.country_code == "MN"
    assert "Монгол" in topic.aliases
    assert topic.cadence_days == 7
    assert 41 < topic.area_south < topic.area_north < 53
    assert topic.feeds.count() == len(DEMO_FEEDS) >= 3
    assert 55 <= Article.objects.count() <= 70
    assert any("new articles" in line for line in lines)


@pytest.mark.django_db
def test_it_gives_both_demo_weeks_enough_matched_material(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _load(django_capture_on_commit_callbacks)
    matches = ArticleMatch.objects.filter(topic__slug="mongolia")

    for start, end in (WEEK_1, WEEK_2):
        in_week = matches.filter(article__published_at__date__range=(start, end))
        assert in_week.count() >= 20


@pytest.mark.django_db
def test_it_rejects_articles_not_about_mongolia(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _load(django_capture_on_commit_callbacks)

    unmatched = Article.objects.exclude(topic_matches__topic__slug="mongolia")
    titles = set(unmatched.values_list("title", flat=True))
    assert "Japan runs nationwide earthquake drill" in titles
    assert "India forecasts a normal monsoon" in titles
    assert unmatched.count() >= 6


@pytest.mark.django_db
def test_it_groups_reprints_across_outlets(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _load(django_capture_on_commit_callbacks)

    shared = StoryCluster.objects.filter(article_count__gt=1)
    assert shared.exists()
    for cluster in shared:
        outlets = cluster.articles.aggregate(n=Count("feed", distinct=True))["n"]
        assert outlets >= 2
    gopher = Article.objects.filter(title__icontains="GopherWhisper group spied")
    assert gopher.count() == 2
    assert len(set(gopher.values_list("cluster_id", flat=True))) == 1


@pytest.mark.django_db
def test_it_reads_the_malformed_feed_and_marks_odd_dates(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _load(django_capture_on_commit_callbacks)

    blog = Feed.objects.get(title="Northern Corridor Blog")
    assert "malformed" in blog.last_warning
    assert blog.articles.count() >= 4
    notes = set(blog.articles.values_list("date_note", flat=True))
    assert {Article.DateNote.MISSING, Article.DateNote.FUTURE} <= notes


@pytest.mark.django_db
def test_it_includes_older_events_reported_in_the_period(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _load(django_capture_on_commit_callbacks)

    older = Article.objects.filter(summary__contains="2025").filter(
        published_at__date__range=WEEK_2
    )
    assert older.count() >= 3


@pytest.mark.django_db
def test_it_leaves_the_demo_feeds_disabled_at_addresses_that_never_resolve(
    django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    _load(django_capture_on_commit_callbacks)

    for feed in Feed.objects.all():
        assert ".example/" in feed.url
        assert feed.enabled is False
        assert feed.state == Feed.State.DISABLED
        assert feed.last_success_at is not None
        assert feed.last_error == ""
    # The loopback exemption was for the demo's own fetch only.
    assert settings.FEED_ALLOWED_HOSTS == []
    with serving() as server, pytest.raises(FetchError):
        fetch_url(server.url("steppe-monitor.xml"))


@pytest.mark.django_db
def test_it_changes_nothing_when_run_twice(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _load(django_capture_on_commit_callbacks)
    before = _snapshot()

    lines = _load(django_capture_on_commit_callbacks)

    assert _snapshot() == before
    assert lines[0] == "Demo feeds already loaded; nothing fetched."

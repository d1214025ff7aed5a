from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from feeds.models import Annotation, Feed, StoryCluster
from osint.celery import app
from reports.models import ArticleMatch, AuditEvent
from tests.factories import make_article, make_feed, make_topic
from tests.feeds.builders import item, rss
from tests.feeds.servers import FeedServer, feed_server, serve


@pytest.fixture
def server(settings: Any) -> Iterator[FeedServer]:
    settings.FEED_ALLOWED_HOSTS = ["127.0.0.1"]
    with feed_server() as running:
        yield running


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_it_shows_feed_health_at_a_glance(editor: User) -> None:
    make_feed(title="Broken outlet", state=Feed.State.BROKEN, last_error="HTTP 500")

    response = _client(editor).get(reverse("admin:feeds_feed_changelist"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Broken outlet" in body
    assert "Broken" in body
    assert "HTTP 500" in body


@pytest.mark.django_db
def test_it_lets_editors_set_reliability_but_not_analysts(
    editor: User, analyst: User
) -> None:
    feed = make_feed()
    url = reverse("admin:feeds_feed_change", args=[feed.pk])
    data = {
        "url": feed.url,
        "title": "Renamed",
        "site": "",
        "reliability": "B",
        "default_tlp": "clear",
        "poll_interval": 3600,
    }

    refused = _client(analyst).post(url, data)
    feed.refresh_from_db()
    assert refused.status_code == 403
    assert feed.reliability == "F"

    saved = _client(editor).post(url, data)
    feed.refresh_from_db()
    assert saved.status_code == 302
    assert feed.reliability == "B"
    event = AuditEvent.objects.get(action="feed_changed")
    assert event.actor == editor
    assert event.data["changes"]["reliability"] == ["F", "B"]


@pytest.mark.django_db
def test_it_audits_feeds_disabled_from_the_list(editor: User) -> None:
    feeds = [make_feed(), make_feed()]

    response = _client(editor).post(
        reverse("admin:feeds_feed_changelist"),
        {"action": "disable", "_selected_action": [f.pk for f in feeds]},
    )

    assert response.status_code == 302
    assert not Feed.objects.filter(enabled=True).exists()
    events = AuditEvent.objects.filter(action="feed_changed", actor=editor)
    assert sorted(e.data["feed_id"] for e in events) == sorted(f.pk for f in feeds)


@pytest.mark.django_db
def test_it_fetches_now_from_the_admin(
    editor: User, server: FeedServer, django_capture_on_commit_callbacks: Any
) -> None:
    feed = make_feed(url=server.route("/now.xml", serve(rss([item(1)]))))
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = _client(editor).post(
                reverse("admin:feeds_feed_changelist"),
                {"action": "fetch_now", "_selected_action": [feed.pk]},
            )
    finally:
        app.conf.task_always_eager = before

    assert response.status_code == 302
    assert feed.articles.count() == 1


@pytest.mark.django_db
def test_it_disables_and_enables_feeds_from_the_admin(editor: User) -> None:
    feed = make_feed()
    url = reverse("admin:feeds_feed_changelist")

    _client(editor).post(url, {"action": "disable", "_selected_action": [feed.pk]})
    feed.refresh_from_db()
    assert (feed.enabled, feed.state) == (False, Feed.State.DISABLED)

    _client(editor).post(url, {"action": "enable", "_selected_action": [feed.pk]})
    feed.refresh_from_db()
    assert (feed.enabled, feed.state) == (True, Feed.State.NEW)


@pytest.mark.django_db
def test_it_filters_articles_by_feed_topic_date_and_cluster_without_full_counts(
    analyst: User,
) -> None:
    feed = make_feed()
    make_article(make_feed(), title="Elsewhere")
    topic = make_topic()
    now = timezone.now()
    story = StoryCluster.objects.create(
        first_published_at=now, last_published_at=now, article_count=1
    )
    shown = make_article(feed, title="Matched story", cluster=story)
    make_article(feed, title="Other story")
    ArticleMatch.objects.create(topic=topic, article=shown, score=1)
    client = _client(analyst)
    url = reverse("admin:feeds_article_changelist")

    queries: list[dict[str, str]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # Django clears its own query log when a request starts.
        queries.append({"sql": sql})
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = client.get(
            url,
            {
                "feed__id__exact": str(feed.pk),
                "topic": str(topic.pk),
                "published_at__gte": "2000-01-01 00:00:00+00:00",
            },
        )
    by_cluster = client.get(url, {"cluster__id__exact": str(story.pk)})
    searched = client.get(url, {"q": "Matched"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Matched story" in body
    assert "Other story" not in body
    assert "Elsewhere" not in body
    assert "DISTINCT" not in " ".join(q["sql"] for q in queries)
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts
    assert all("LIMIT" in sql.upper() for sql in counts)
    assert by_cluster.status_code == 200
    assert "Matched story" in by_cluster.content.decode()
    assert "Other story" not in by_cluster.content.decode()
    assert "Matched story" in searched.content.decode()


@pytest.mark.django_db
def test_it_lets_an_analyst_add_an_annotation_that_keeps_its_author(
    analyst: User,
) -> None:
    article = make_article()
    client = _client(analyst)

    form = client.get(reverse("admin:feeds_annotation_add"), {"article": article.pk})
    response = client.post(
        reverse("admin:feeds_annotation_add"),
        {
            "article": article.pk,
            "credibility": 2,
            "relevance": 3,
            "note": "Confirmed by the ministry.",
        },
    )

    assert form.status_code == 200
    assert response.status_code == 302
    annotation = Annotation.objects.get()
    assert annotation.analyst == analyst
    assert annotation.credibility == 2


@pytest.mark.django_db
def test_it_shows_why_an_annotation_was_refused_and_saves_nothing(
    analyst: User,
) -> None:
    article = make_article()

    response = _client(analyst).post(
        reverse("admin:feeds_annotation_add"),
        {"article": article.pk, "credibility": 2, "relevance": 3, "note": "x" * 5001},
    )

    assert response.status_code == 200
    assert "it may have at most 5000." in response.content.decode()
    assert not Annotation.objects.exists()


@pytest.mark.django_db
def test_it_never_lets_an_annotation_be_edited(analyst: User, editor: User) -> None:
    article = make_article()
    annotation = Annotation.objects.create(article=article, analyst=analyst)
    url = reverse("admin:feeds_annotation_change", args=[annotation.pk])

    _client(editor).post(url, {"article": article.pk, "credibility": 1, "relevance": 0})

    annotation.refresh_from_db()
    assert annotation.credibility == Annotation.Credibility.CANNOT_JUDGE


@pytest.mark.django_db
def test_it_adds_feeds_through_the_registry_and_shows_its_problems(
    editor: User,
) -> None:
    make_feed(url="https://example.org/taken.xml")
    url = reverse("admin:feeds_feed_add")
    data = {
        "title": "Wire",
        "site": "",
        "reliability": "C",
        "default_tlp": "clear",
        "poll_interval": 30,
    }

    refused = _client(editor).post(url, {**data, "url": "ftp://example.org/x"})
    assert refused.status_code == 200
    assert "http:// or https://" in refused.content.decode()
    assert "poll interval" in refused.content.decode()

    added = _client(editor).post(
        url, {**data, "url": "https://News.example.org/new.xml", "poll_interval": 900}
    )
    assert added.status_code == 302
    feed = Feed.objects.get(url="https://News.example.org/new.xml")
    assert (feed.host, feed.reliability, feed.poll_interval) == (
        "news.example.org",
        "C",
        900,
    )


@pytest.mark.django_db
def test_it_checks_the_form_again_instead_of_failing_when_the_save_is_refused(
    editor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feeds.errors import FeedRejected
    from feeds.registry import feed_create
    from reports import topics

    url = "https://example.org/raced.xml"
    calls: list[str] = []

    def refused_once(**values: Any) -> Feed:
        # As when another editor's feed lands between the form's check and
        # the save: the registry refuses, and the save rolls back.
        calls.append(values["url"])
        if len(calls) == 1:
            raise FeedRejected("taken", problems=[f"url: {url} is registered"])
        return feed_create(**values)

    # The desk's feed admin saves through reports.topics.
    monkeypatch.setattr(topics, "feed_create", refused_once)
    response = _client(editor).post(
        reverse("admin:feeds_feed_add"),
        {
            "url": url,
            "title": "Raced wire",
            "site": "",
            "reliability": "C",
            "default_tlp": "clear",
            "poll_interval": 900,
        },
    )

    assert response.status_code == 302
    assert calls == [url, url]
    assert Feed.objects.filter(url=url).count() == 1

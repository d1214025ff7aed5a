"""Topics, feeds, articles and annotations through the API."""

import datetime as dt

import pytest

from feeds.models import Annotation, Feed
from reports.models import ArticleMatch, AuditEvent
from tests.factories import make_article, make_feed, make_report, make_topic
from tests.reports.api.clients import bearer_client

pytestmark = pytest.mark.django_db

MAY = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


def test_it_pages_articles_by_cursor_without_repeating_or_skipping(analyst):
    feed = make_feed()
    made = [
        make_article(feed, published_at=MAY + dt.timedelta(hours=i)) for i in range(7)
    ]
    client = bearer_client(analyst)

    seen, url = [], "/api/articles/?page_size=3"
    while url:
        page = client.get(url).json()
        assert "count" not in page
        seen += [a["id"] for a in page["results"]]
        if len(seen) == 3:
            # An article arriving mid-way does not shift the pages.
            make_article(feed, published_at=MAY + dt.timedelta(days=9))
        url = page["next"]

    assert seen == [a.pk for a in reversed(made)]


def test_it_filters_articles_by_topic_feed_cluster_and_period(analyst):
    topic = make_topic()
    feed, other_feed = make_feed(), make_feed()
    inside = make_article(feed, published_at=MAY)
    later = make_article(feed, published_at=MAY + dt.timedelta(days=10))
    elsewhere = make_article(other_feed, published_at=MAY)
    ArticleMatch.objects.create(topic=topic, article=inside)
    ArticleMatch.objects.create(topic=topic, article=later)
    client = bearer_client(analyst)

    def ids(**params):
        return [a["id"] for a in client.get("/api/articles/", params).json()["results"]]

    assert ids(topic=topic.pk) == [later.pk, inside.pk]
    assert ids(feed=other_feed.pk) == [elsewhere.pk]
    assert ids(
        feed=feed.pk,
        published_after="2026-05-01T00:00:00Z",
        published_before="2026-05-05T00:00:00Z",
    ) == [inside.pk]


def test_it_shows_annotations_newest_first_and_the_admiralty_code(analyst, editor):
    article = make_article(make_feed(reliability=Feed.Reliability.B))
    Annotation.objects.create(
        article=article, analyst=editor, credibility=4, created_at=MAY
    )
    Annotation.objects.create(
        article=article,
        analyst=analyst,
        credibility=2,
        created_at=MAY + dt.timedelta(hours=1),
    )

    shown = bearer_client(analyst).get(f"/api/articles/{article.pk}/").json()

    assert [a["analyst"] for a in shown["annotations"]] == ["analyst", "editor"]
    assert shown["admiralty_code"] == "B2"
    assert shown["feed_reliability"] == "B"


def test_it_gives_unjudged_articles_credibility_six(analyst):
    article = make_article(make_feed(reliability=Feed.Reliability.C))

    shown = bearer_client(analyst).get(f"/api/articles/{article.pk}/").json()

    assert shown["admiralty_code"] == "C6"
    assert shown["annotations"] == []


def test_it_annotates_any_article_and_audits_it(analyst):
    article = make_article()

    response = bearer_client(analyst).post(
        "/api/annotations/",
        {"article": article.pk, "credibility": 3, "relevance": 1, "excluded": True},
    )

    assert response.status_code == 201
    annotation = Annotation.objects.get(pk=response.json()["id"])
    assert (annotation.analyst, annotation.excluded) == (analyst, True)
    event = AuditEvent.objects.get(action="source_annotated")
    assert (event.actor, event.report) == (analyst, None)
    assert event.data["annotation_id"] == annotation.pk


def test_it_refuses_a_note_too_long_and_saves_nothing(analyst):
    article = make_article()

    response = bearer_client(analyst).post(
        "/api/annotations/",
        {"article": article.pk, "credibility": 3, "relevance": 1, "note": "x" * 5001},
    )

    assert response.status_code == 400
    assert "at most 5000" in response.content.decode()
    assert not Annotation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_annotates_a_source_from_its_report_and_audits_it(analyst):
    report = make_report()
    source = report.revisions.get().input_article_ids[0]

    response = bearer_client(analyst).post(
        "/api/annotations/",
        {"report": report.pk, "article": source, "credibility": 1, "relevance": 3},
    )

    assert response.status_code == 201
    assert report.audit.filter(action="source_annotated").exists()


def test_it_refuses_to_annotate_from_a_report_an_article_it_does_not_cite(analyst):
    report = make_report()
    stranger = make_article()

    response = bearer_client(analyst).post(
        "/api/annotations/",
        {"report": report.pk, "article": stranger.pk, "credibility": 1},
    )

    assert response.status_code == 404
    assert not Annotation.objects.exists()


def test_it_lets_editors_disable_and_enable_feeds(editor):
    feed = make_feed()
    client = bearer_client(editor)

    disabled = client.post(f"/api/feeds/{feed.pk}/disable/").json()
    enabled = client.post(f"/api/feeds/{feed.pk}/enable/").json()

    assert (disabled["enabled"], disabled["state"]) == (False, "disabled")
    assert (enabled["enabled"], enabled["state"]) == (True, "new")
    events = AuditEvent.objects.filter(action="feed_changed", actor=editor)
    assert [e.data["changes"] for e in events.order_by("id")] == [
        {"enabled": [True, False]},
        {"enabled": [False, True]},
    ]


@pytest.mark.parametrize("role", ["anonymous", "subscriber", "analyst"])
def test_it_lets_no_one_else_disable_a_feed(request, role):
    feed = make_feed()
    user = None if role == "anonymous" else request.getfixturevalue(role)

    response = bearer_client(user).post(f"/api/feeds/{feed.pk}/disable/")

    assert response.status_code == (401 if user is None else 403)
    feed.refresh_from_db()
    assert feed.enabled


def test_it_filters_feeds_by_health_and_topic(analyst):
    topic = make_topic()
    healthy = make_feed(state=Feed.State.OK)
    failing = make_feed(state=Feed.State.FAILING, consecutive_errors=4)
    topic.feeds.add(healthy)
    client = bearer_client(analyst)

    by_state = client.get("/api/feeds/", {"state": "failing"}).json()["results"]
    by_topic = client.get("/api/feeds/", {"topic": topic.pk}).json()["results"]

    assert [(f["id"], f["consecutive_errors"]) for f in by_state] == [(failing.pk, 4)]
    assert [f["id"] for f in by_topic] == [healthy.pk]


def test_it_shows_topics_to_subscribers_with_their_feeds(subscriber):
    topic = make_topic()
    feed = make_feed()
    topic.feeds.add(feed)

    shown = bearer_client(subscriber).get(f"/api/topics/{topic.pk}/").json()

    assert (shown["slug"], shown["feeds"]) == (topic.slug, [feed.pk])


def test_it_lets_a_subscriber_follow_and_unfollow_a_topic(subscriber):
    topic = make_topic()
    client = bearer_client(subscriber)

    followed = client.post(f"/api/topics/{topic.pk}/follow/").json()
    again = client.post(f"/api/topics/{topic.pk}/follow/").json()
    listed = client.get("/api/topics/").json()["results"]
    unfollowed = client.post(f"/api/topics/{topic.pk}/unfollow/").json()

    assert followed["followed"] and again["followed"]
    assert [t["followed"] for t in listed] == [True]
    assert topic.followers.count() == 0
    assert unfollowed["followed"] is False


def test_it_lets_no_one_without_a_role_follow_a_topic(outsider):
    topic = make_topic()

    response = bearer_client(outsider).post(f"/api/topics/{topic.pk}/follow/")

    assert response.status_code == 403
    assert topic.followers.count() == 0

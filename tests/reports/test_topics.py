"""Managing topics and, as an editor, feeds (reports.topics)."""

from typing import Any

import pytest

from feeds.errors import FeedRejected
from feeds.models import Feed
from reports.audit import Action
from reports.errors import Forbidden, ValidationFailed
from reports.models import ArticleMatch, AuditEvent, Topic
from reports.topics import (
    feed_change,
    feed_register,
    feed_switch,
    topic_create,
    topic_update,
)
from tests.factories import make_article, make_feed, make_topic

pytestmark = pytest.mark.django_db


def _new(actor: Any, **values: Any) -> Topic:
    values.setdefault("name", "Kazakhstan")
    values.setdefault("slug", "kazakhstan")
    return topic_create(actor=actor, **values)


def test_it_adds_a_topic_and_matches_its_feeds_articles_on_commit(
    editor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    feed = make_feed()
    article = make_article(feed=feed, title="Astana hosts a summit")

    with django_capture_on_commit_callbacks(execute=True):
        topic = _new(
            editor,
            aliases=["Kazakh"],
            keywords=[" Astana "],
            feeds=[feed.pk],
            area_south=40.5,
            area_north=55.5,
            area_west=46.5,
            area_east=87.3,
        )

    assert topic.keywords == ["Astana"]
    assert list(topic.feeds.values_list("pk", flat=True)) == [feed.pk]
    assert ArticleMatch.objects.filter(topic=topic, article=article).exists()


@pytest.mark.parametrize("role", ["analyst", "subscriber", "outsider"])
def test_it_lets_only_editors_manage_topics(request: Any, role: str) -> None:
    user = request.getfixturevalue(role)
    topic = make_topic()

    with pytest.raises(Forbidden):
        _new(user)
    with pytest.raises(Forbidden):
        topic_update(actor=user, topic=topic, name="Renamed")

    topic.refresh_from_db()
    assert Topic.objects.count() == 1
    assert topic.name != "Renamed"


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"slug": "Bad Slug"}, "slug must be lower-case"),
        ({"area_south": 50, "area_north": 40}, "south edge"),
        ({"area_west": -190}, "west edge"),
        ({"aliases": ["ok", " "]}, "empty entries"),
        ({"keywords": "Astana"}, "list of words"),
        ({"cadence_days": 0}, "cadence"),
        ({"feeds": [999_999]}, "no feed with the id 999999"),
        ({"feeds": [2**70]}, "no feed with the id"),
        ({"name": ""}, "needs a name"),
    ],
)
def test_it_refuses_bad_values_in_words(
    editor: Any, values: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _new(editor, **values)

    assert any(words in problem for problem in refused.value.problems)
    assert not Topic.objects.exists()


def test_it_refuses_a_slug_another_topic_has(editor: Any) -> None:
    make_topic(slug="kazakhstan")

    with pytest.raises(ValidationFailed) as refused:
        _new(editor)

    assert refused.value.problems == [
        "The slug kazakhstan is already used by another topic."
    ]


def test_it_checks_a_changed_edge_against_the_kept_ones(editor: Any) -> None:
    topic = make_topic(area_south=41.5, area_north=52.2)

    with pytest.raises(ValidationFailed):
        topic_update(actor=editor, topic=topic, area_south=60)

    topic_update(actor=editor, topic=topic, area_south=30)
    topic.refresh_from_db()
    assert (topic.area_south, topic.area_north) == (30, 52.2)


def test_it_rematches_when_terms_or_feeds_change(
    editor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    topic = make_topic(keywords=["Ulaanbaatar"])
    feed = make_feed()
    article = make_article(feed=feed, title="Darkhan mine reopens", summary="")

    with django_capture_on_commit_callbacks(execute=True):
        topic_update(actor=editor, topic=topic, keywords=["Darkhan"], feeds=[feed.pk])

    assert ArticleMatch.objects.filter(topic=topic, article=article).exists()


def test_it_refuses_unknown_topic_settings(editor: Any) -> None:
    topic = make_topic()

    with pytest.raises(ValidationFailed) as refused:
        topic_update(actor=editor, topic=topic, created_at=None)

    assert refused.value.problems == ["created_at is not a topic setting."]


def test_it_audits_a_topic_added_with_its_settings(editor: Any) -> None:
    feed = make_feed()

    topic = _new(editor, keywords=["Astana"], feeds=[feed.pk])

    event = AuditEvent.objects.get(action=Action.TOPIC_ADDED)
    assert (event.actor, event.report) == (editor, None)
    assert event.data["topic_id"] == topic.pk
    assert event.data["settings"]["slug"] == "kazakhstan"
    assert event.data["settings"]["keywords"] == ["Astana"]
    assert event.data["settings"]["feeds"] == [feed.pk]


def test_it_audits_each_changed_topic_setting_as_before_and_after(
    editor: Any,
) -> None:
    kept, added = make_feed(), make_feed()
    topic = _new(editor, keywords=["Astana"], feeds=[kept.pk])

    topic_update(
        actor=editor,
        topic=topic,
        name="Kazakhstan",
        keywords=["Astana", "Almaty"],
        feeds=[kept.pk, added.pk],
    )
    topic_update(
        actor=editor, topic=topic, name="Kazakhstan", feeds=[added.pk, kept.pk]
    )

    event = AuditEvent.objects.get(action=Action.TOPIC_CHANGED)
    assert event.actor == editor
    assert event.data == {
        "topic_id": topic.pk,
        "changes": {
            "keywords": [["Astana"], ["Astana", "Almaty"]],
            "feeds": [[kept.pk], sorted([kept.pk, added.pk])],
        },
    }


def test_it_audits_a_feed_added_with_its_settings(editor: Any) -> None:
    feed = feed_register(actor=editor, url="https://example.org/feed", title="Wire")

    event = AuditEvent.objects.get(action=Action.FEED_ADDED)
    assert (event.actor, event.report) == (editor, None)
    assert event.data["feed_id"] == feed.pk
    assert event.data["settings"]["url"] == "https://example.org/feed"
    assert event.data["settings"]["reliability"] == "F"


def test_it_audits_each_changed_feed_setting_as_before_and_after(
    editor: Any,
) -> None:
    feed = make_feed(title="Wire", reliability="C")

    feed_change(actor=editor, feed=feed, reliability="B", title="Wire", enabled=False)

    event = AuditEvent.objects.get(action=Action.FEED_CHANGED)
    assert event.actor == editor
    assert event.data == {
        "feed_id": feed.pk,
        "changes": {"reliability": ["C", "B"], "enabled": [True, False]},
    }


def test_it_audits_no_change_that_changes_nothing(editor: Any) -> None:
    feed = make_feed(reliability="C")

    feed_change(actor=editor, feed=feed, reliability="C")

    assert not AuditEvent.objects.exists()


def test_it_audits_every_switch_and_lets_only_editors_switch(
    editor: Any, analyst: Any
) -> None:
    feed = make_feed()
    with pytest.raises(Forbidden):
        feed_switch(actor=analyst, feed=feed, enabled=False)

    feed_switch(actor=editor, feed=feed, enabled=False)
    feed_switch(actor=editor, feed=feed, enabled=True)
    feed_switch(actor=editor, feed=feed, enabled=True)

    changes = [
        event.data["changes"]["enabled"] for event in AuditEvent.objects.order_by("id")
    ]
    assert changes == [[True, False], [False, True], [True, True]]


def test_it_lets_only_editors_register_and_change_feeds(
    editor: Any, analyst: Any
) -> None:
    with pytest.raises(Forbidden):
        feed_register(actor=analyst, url="https://example.org/feed")
    assert not Feed.objects.exists()

    feed = feed_register(actor=editor, url="https://example.org/feed")
    with pytest.raises(Forbidden):
        feed_change(actor=analyst, feed=feed, reliability="A")
    feed_change(actor=editor, feed=feed, reliability="A")
    feed.refresh_from_db()
    assert feed.reliability == "A"

    with pytest.raises(FeedRejected):
        feed_register(actor=editor, url="https://example.org/feed")

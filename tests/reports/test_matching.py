from typing import Any

import pytest

from feeds.models import Article
from feeds.signals import articles_stored
from reports.matching import articles_match, match_text, topic_matcher, topic_rematch
from reports.models import ArticleMatch, Topic
from tests.factories import make_article, make_feed, make_topic


def _matcher(**fields: Any) -> Any:
    topic = Topic(
        pk=1,
        name=fields.get("name", "Mongolia"),
        aliases=fields.get("aliases", ["Mongolian", "Mongol", "Монгол"]),
        keywords=fields.get("keywords", ["Ulaanbaatar"]),
    )
    matcher = topic_matcher(topic)
    assert matcher is not None
    return matcher


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("MONGOLIA signs a deal", ["Mongolia"]),
        ("The Mongolian army", ["Mongolian"]),
        ("Mongolians vote", ["Mongolian"]),
        ("Mongolia's border", ["Mongolia"]),
        ("Монголын төрийн байгууллага", ["Монгол"]),
        ("Учения в Монголии", ["Монгол"]),
        ("МОНГОЛ УЛС", ["Монгол"]),
        ("Talks in Ulaanbaatar today", ["Ulaanbaatar"]),
        ("The Mongol empire", ["Mongol"]),
        ("Inner Mongolia section", ["Mongolia"]),
    ],
)
def test_it_matches_names_across_case_scripts_and_inflections(
    text: str, terms: list[str]
) -> None:
    score, found = match_text(_matcher(), title="", body=text)

    assert score > 0
    assert found == terms


@pytest.mark.parametrize(
    "text",
    ["A mongoloid skull", "Tamongolia", "Kazakhstan grain exports", "Ulaanbaatarx"],
)
def test_it_does_not_match_inside_unrelated_words(text: str) -> None:
    assert match_text(_matcher(), title="", body=text) == (0, [])


def test_it_ignores_accents_and_weighs_titles_above_bodies() -> None:
    matcher = _matcher(name="Mongolia", aliases=[], keywords=["Zamyn-Üüd"])

    in_title = match_text(matcher, title="Mongolia votes", body="")
    in_body = match_text(matcher, title="", body="Mongolia votes")
    accented = match_text(matcher, title="", body="trains at ZAMYN-UUD")

    assert in_title[0] > in_body[0] > 0
    assert accented[1] == ["Zamyn-Üüd"]


@pytest.mark.django_db
def test_it_matches_only_articles_from_the_topics_feeds() -> None:
    topic = make_topic(name="Mongolia", aliases=[], keywords=[])
    own, other = make_feed(), make_feed()
    topic.feeds.add(own)
    inside = make_article(own, title="Mongolia and China", summary="")
    outside = make_article(other, title="Mongolia and Russia", summary="")
    unrelated = make_article(own, title="Japan runs a drill", summary="Tsunami")

    articles_match(article_ids=[inside.pk, outside.pk, unrelated.pk])

    match = ArticleMatch.objects.get()
    assert match.article == inside
    assert match.topic == topic
    assert match.matched_terms == ["Mongolia"]
    assert match.score > 0


@pytest.mark.django_db
def test_it_matches_new_articles_when_feeds_announce_them(
    django_capture_on_commit_callbacks: Any,
) -> None:
    topic = make_topic(name="Mongolia", aliases=[], keywords=[])
    feed = make_feed()
    topic.feeds.add(feed)
    article = make_article(feed, title="Mongolia's week", summary="")

    articles_stored.send(sender=Article, article_ids=[article.pk])

    assert ArticleMatch.objects.filter(topic=topic, article=article).exists()


@pytest.mark.django_db
def test_it_rematches_a_topic_when_its_terms_change() -> None:
    topic = make_topic(name="Mongolia", aliases=[], keywords=[])
    feed = make_feed()
    topic.feeds.add(feed)
    capital = make_article(feed, title="News from Ulaanbaatar", summary="")
    country = make_article(feed, title="Mongolia votes", summary="")
    topic_rematch(topic=topic)
    assert set(ArticleMatch.objects.values_list("article_id", flat=True)) == {
        country.pk
    }

    topic.name = "Mongolian capital"
    topic.keywords = ["Ulaanbaatar"]
    topic.save()
    count = topic_rematch(topic=topic)

    assert count == 1
    assert set(ArticleMatch.objects.values_list("article_id", flat=True)) == {
        capital.pk
    }


@pytest.mark.django_db
def test_it_rematches_when_feeds_join_or_leave_a_topic(
    django_capture_on_commit_callbacks: Any,
) -> None:
    topic = make_topic(name="Mongolia", aliases=[], keywords=[])
    feed = make_feed()
    article = make_article(feed, title="Mongolia votes", summary="")

    with django_capture_on_commit_callbacks(execute=True):
        topic.feeds.add(feed)
    assert ArticleMatch.objects.filter(article=article).exists()

    with django_capture_on_commit_callbacks(execute=True):
        topic.feeds.remove(feed)
    assert not ArticleMatch.objects.exists()


@pytest.mark.django_db
def test_matching_articles_that_are_gone_finds_nothing_and_fails_nothing() -> None:
    assert articles_match(article_ids=[987654]) == 0

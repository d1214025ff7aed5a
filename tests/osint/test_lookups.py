"""`in` lookups given ints that no column can hold."""

import pytest

from feeds.models import Annotation, Article, Feed
from tests.factories import make_article, make_feed

# The overflow they guard against is SQLite's: CI runs these on it too.
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

HUGE = 10**20


def test_it_matches_nothing_for_an_id_beyond_64_bits() -> None:
    make_feed()

    assert list(Feed.objects.filter(pk__in=[HUGE])) == []
    assert list(Feed.objects.filter(pk__in=[-HUGE])) == []


def test_it_still_matches_the_possible_ids_beside_one() -> None:
    feed = make_feed()

    assert list(Feed.objects.filter(pk__in=[HUGE, feed.pk])) == [feed]
    assert list(Feed.objects.exclude(pk__in=[HUGE])) == [feed]


def test_it_keeps_the_64_bit_limits_themselves() -> None:
    feed = make_feed()

    query = Feed.objects.filter(pk__in=[2**63 - 1, -(2**63), feed.pk])

    assert list(query) == [feed]


def test_it_does_the_same_through_a_relation() -> None:
    article = make_article()

    assert list(Article.objects.filter(feed__in=[HUGE, article.feed_id])) == [article]
    assert list(Article.objects.filter(feed_id__in=[HUGE])) == []
    assert list(Annotation.objects.filter(article__in=[HUGE])) == []

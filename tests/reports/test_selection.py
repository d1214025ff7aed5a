"""Selection: what the drafter reads for one report."""

import datetime as dt

import pytest
from django.utils import timezone

from feeds.models import Annotation, StoryCluster
from reports.models import ArticleMatch
from reports.selection import (
    InsufficientReporting,
    estimate_tokens,
    lead_excerpt,
    selection_for,
    trim_to_tokens,
)
from tests.factories import make_article, make_feed, make_topic
from tests.reports.weeks import END, START, at, make_week

pytestmark = pytest.mark.django_db


def matched(topic, feed, *, day: int, score: float = 0.8, **fields):
    article = make_article(feed, published_at=at(day), **fields)
    ArticleMatch.objects.create(topic=topic, article=article, score=score)
    return article


def select(topic, **kwargs):
    return selection_for(topic=topic, period_start=START, period_end=END, **kwargs)


def test_it_takes_the_topics_matches_in_the_period_and_marks_background() -> None:
    topic, feed = make_topic(), make_feed()
    inside = [matched(topic, feed, day=d) for d in (7, 10, 14)]
    before = matched(topic, feed, day=5)
    matched(topic, feed, day=1)  # beyond the background days
    matched(topic, feed, day=15)  # after the period
    make_article(feed, published_at=at(9))  # not matched to the topic
    other = make_topic()
    matched(other, feed, day=9)

    selection = select(topic)

    assert sorted(selection.source_ids) == sorted([a.pk for a in inside] + [before.pk])
    assert [s.id for s in selection.sources if s.background] == [before.pk]


def test_it_counts_the_last_day_of_the_period_whole() -> None:
    topic, feed = make_topic(), make_feed()
    late = make_article(
        feed, published_at=dt.datetime(2026, 5, 14, 23, 59, tzinfo=dt.UTC)
    )
    ArticleMatch.objects.create(topic=topic, article=late)
    for day in (8, 9):
        matched(topic, feed, day=day)

    assert late.pk in select(topic).source_ids


def test_it_leaves_out_articles_excluded_by_their_latest_annotation(analyst) -> None:
    topic, feed = make_topic(), make_feed()
    excluded, restored, kept = (matched(topic, feed, day=d) for d in (8, 9, 10))
    matched(topic, feed, day=11)
    now = timezone.now()
    Annotation.objects.create(
        article=excluded, analyst=analyst, excluded=False, created_at=now
    )
    Annotation.objects.create(
        article=excluded,
        analyst=analyst,
        excluded=True,
        created_at=now + dt.timedelta(minutes=1),
    )
    Annotation.objects.create(
        article=restored, analyst=analyst, excluded=True, created_at=now
    )
    Annotation.objects.create(
        article=restored,
        analyst=analyst,
        excluded=False,
        created_at=now + dt.timedelta(minutes=1),
    )

    selection = select(topic)

    assert excluded.pk not in selection.source_ids
    assert {restored.pk, kept.pk} <= set(selection.source_ids)
    assert selection.excluded_ids == [excluded.pk]


def test_it_keeps_one_article_per_cluster_from_the_most_reliable_outlet() -> None:
    topic = make_topic()
    weak, strong, middle = (make_feed(reliability=r) for r in ("D", "A", "C"))
    cluster = StoryCluster.objects.create(
        first_published_at=at(8), last_published_at=at(9)
    )
    versions = [
        matched(topic, feed, day=8, cluster=cluster, title="Same story")
        for feed in (weak, strong, middle)
    ]
    for day in (10, 11):
        matched(topic, middle, day=day)

    selection = select(topic)
    story = next(s for s in selection.sources if s.article.cluster_id == cluster.pk)

    assert story.id == versions[1].pk
    assert {a.pk for a in story.corroborated_by} == {versions[0].pk, versions[2].pk}
    assert len(selection.sources) == 3
    assert selection.as_record()["corroboration"] == {
        str(versions[1].pk): [a.pk for a in story.corroborated_by]
    }


def test_it_folds_unclustered_verbatim_reprints_by_content_hash() -> None:
    topic = make_topic()
    a, b = make_feed(reliability="B"), make_feed(reliability="E")
    first = matched(topic, a, day=8, content_hash="f" * 64)
    matched(topic, b, day=8, content_hash="f" * 64)
    for day in (9, 10):
        matched(topic, a, day=day)

    selection = select(topic)

    assert len(selection.sources) == 3
    assert first.pk in selection.source_ids


def test_it_ranks_by_relevance_and_reliability(analyst) -> None:
    topic = make_topic()
    reliable, unreliable = make_feed(reliability="A"), make_feed(reliability="E")
    low = matched(topic, unreliable, day=8)
    high = matched(topic, reliable, day=9)
    judged_irrelevant = matched(topic, reliable, day=10)
    Annotation.objects.create(
        article=judged_irrelevant, analyst=analyst, relevance=0, credibility=2
    )
    key = matched(topic, unreliable, day=11)
    Annotation.objects.create(article=key, analyst=analyst, relevance=3, credibility=1)

    order = select(topic).source_ids

    assert order.index(high.pk) < order.index(low.pk)
    assert order[-1] == judged_irrelevant.pk
    assert order.index(key.pk) < order.index(low.pk)


def test_it_gives_admiralty_codes_from_reliability_and_credibility(analyst) -> None:
    topic, feed = make_topic(), make_feed(reliability="B")
    judged = matched(topic, feed, day=8)
    Annotation.objects.create(article=judged, analyst=analyst, credibility=2)
    unjudged = matched(topic, feed, day=9)
    matched(topic, feed, day=10)

    codes = {s.id: s.admiralty for s in select(topic).sources}

    assert codes[judged.pk] == "B2"
    assert codes[unjudged.pk] == "B6"


def test_it_refuses_too_little_reporting_with_a_clear_message(settings) -> None:
    settings.OSINT_MIN_ARTICLES = 3
    topic, feed = make_topic(name="Mongolia"), make_feed()
    matched(topic, feed, day=8)
    matched(topic, feed, day=5)  # background does not count

    with pytest.raises(InsufficientReporting) as refused:
        select(topic)

    assert refused.value.message == (
        "Too little reporting to draft Mongolia for 07 May - 14 May 2026: 1 story "
        "in the period, at least 3 needed. Add feeds to the topic or wait for more "
        "articles."
    )


def test_it_trims_texts_to_share_the_budget_and_keeps_every_story() -> None:
    topic, feed = make_topic(), make_feed()
    long_text = "The border agency reported a new incident today. " * 200
    for i in range(40):
        matched(topic, feed, day=8 + i % 7, content=f"Story {i}. " + long_text)

    selection = select(topic, token_budget=8000)

    assert len(selection.sources) == 40
    assert selection.dropped_for_budget == []
    assert all(s.trimmed for s in selection.sources)
    used = sum(
        estimate_tokens(s.text) + estimate_tokens(s.article.title)
        for s in selection.sources
    )
    assert used <= 8000


def test_it_drops_the_lowest_ranked_stories_when_even_leads_cannot_fit() -> None:
    topic = make_topic()
    good, poor = make_feed(reliability="A"), make_feed(reliability="E")
    text = "A long account of events. " * 100
    best = [matched(topic, good, day=9, content=text) for _ in range(5)]
    worst = [matched(topic, poor, day=9, content=text) for _ in range(30)]

    selection = select(topic, token_budget=1000)

    assert {a.pk for a in best} <= set(selection.source_ids)
    assert selection.dropped_for_budget
    assert set(selection.dropped_for_budget) <= {a.pk for a in worst}


def test_it_selects_the_demo_like_week() -> None:
    week = make_week()

    selection = select(week.topic)

    assert selection.stories_total == 12
    assert len(selection.sources) == 12
    assert not selection.thin


def test_it_trims_at_a_sentence_boundary() -> None:
    text = "First sentence is here. Second sentence is a little longer. Third."
    assert trim_to_tokens(text, 7) == "First sentence is here. […]"
    assert (
        trim_to_tokens(text, 12) == "First sentence is here. Second sentence is a […]"
    )
    assert trim_to_tokens(text, 1000) == text


def test_it_keeps_only_the_best_few_background_stories() -> None:
    topic, feed = make_topic(), make_feed()
    for day in (8, 9, 10):
        matched(topic, feed, day=day)
    background = [matched(topic, feed, day=d) for d in (4, 5, 6, 6, 5)]

    selection = select(topic)

    given_background = [s.id for s in selection.sources if s.background]
    assert len(given_background) == 2
    assert set(selection.background_left_out) == (
        {a.pk for a in background} - set(given_background)
    )
    assert selection.stories_total == 8


def test_it_gives_whole_lead_paragraphs_up_to_the_cap() -> None:
    first = "Lead sentence with who and what. It happened on Monday."
    second = "Second paragraph with more detail about the exercise plan."
    third = "Third paragraph of background that the cap leaves out. " * 5
    text = f"{first}\n\n{second}\n\n{third}"

    excerpt = lead_excerpt(text, 40)

    assert excerpt == f"{first}\n\n{second} […]"
    assert lead_excerpt(text, 1000) == text


def test_it_cuts_a_long_first_paragraph_at_a_sentence() -> None:
    text = "One long opening sentence is here. " * 20 + "\n\nSecond paragraph."

    excerpt = lead_excerpt(text, 30)

    assert excerpt.endswith(". […]")
    assert estimate_tokens(excerpt) <= 32


def test_it_caps_each_source_by_the_setting(settings) -> None:
    settings.OSINT_SOURCE_MAX_TOKENS = 100
    topic, feed = make_topic(), make_feed()
    paragraph = "A paragraph of the article with several words of detail. " * 3
    long_text = "\n\n".join([paragraph] * 12)
    for i in range(4):
        matched(topic, feed, day=8 + i, content=f"Story {i}.\n\n{long_text}")

    sources = select(topic).sources

    assert len(sources) == 4
    assert all(estimate_tokens(s.text) <= 100 for s in sources)
    assert all(s.trimmed and s.text.endswith(" […]") for s in sources)
    assert all(s.text.startswith(f"Story {i}.") for i, s in enumerate(sources))

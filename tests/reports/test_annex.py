import datetime as dt

import pytest

from feeds.models import Annotation, Feed
from reports.annex import admiralty_codes, annex_build, revision_input_article_ids
from reports.content import parse_content
from reports.models import Revision
from reports.roles import Role
from tests.factories import (
    make_article,
    make_content,
    make_feed,
    make_report,
    make_user,
)
from tests.reports.publishing_samples import latest

pytestmark = pytest.mark.django_db


def _content(developments: list[list[int]], hotspots: list[list[int]]):
    content = make_content([1])
    content["key_developments"] = [
        {"title": f"D{i}", "body": "Body.", "source_ids": ids, "in_period": True}
        for i, ids in enumerate(developments)
    ]
    content["assessment"]["hotspots"] = [
        {
            "label": f"H{i}",
            "lat": 47.9,
            "lng": 106.9,
            "intensity": 2,
            "source_ids": ids,
        }
        for i, ids in enumerate(hotspots)
    ]
    return parse_content(content)


def test_it_numbers_cited_articles_in_order_of_first_citation():
    a, b, c, d = (make_article() for _ in range(4))
    content = _content([[c.pk, a.pk], [a.pk]], [[d.pk, c.pk]])

    annex = annex_build(content=content, input_article_ids=[a.pk, b.pk, c.pk, d.pk])

    assert [(e.number, e.article_id) for e in annex.cited] == [
        (1, c.pk),
        (2, a.pk),
        (3, d.pk),
    ]
    assert annex.markers([a.pk, c.pk]) == [2, 1]
    assert annex.number_of(d.pk) == 3


def test_it_lists_consulted_articles_that_are_not_cited_by_date():
    feed = make_feed()
    late = make_article(feed, published_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
    early = make_article(feed, published_at=dt.datetime(2026, 5, 8, tzinfo=dt.UTC))
    cited = make_article(feed)
    content = _content([[cited.pk]], [[cited.pk]])

    annex = annex_build(
        content=content, input_article_ids=[cited.pk, late.pk, early.pk]
    )

    assert [e.article_id for e in annex.consulted] == [early.pk, late.pk]
    assert all(e.article_id != cited.pk for e in annex.consulted)


def test_it_never_lists_a_citation_outside_the_given_articles():
    given = make_article()
    stranger = make_article(title="Not given to the drafter")
    content = _content([[stranger.pk, given.pk]], [[given.pk]])

    annex = annex_build(content=content, input_article_ids=[given.pk])

    assert [e.article_id for e in annex.cited] == [given.pk]
    assert annex.unknown_ids == [stranger.pk]
    assert annex.markers([stranger.pk, given.pk]) == [1]
    assert stranger.pk not in [e.article_id for e in annex.consulted]


def test_it_grades_with_feed_letter_and_latest_credibility():
    analyst = make_user(Role.ANALYST)
    feed = make_feed(reliability=Feed.Reliability.B)
    judged = make_article(feed)
    unjudged = make_article(make_feed(reliability=Feed.Reliability.D))
    Annotation.objects.create(
        article=judged,
        analyst=analyst,
        credibility=4,
        created_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )
    Annotation.objects.create(
        article=judged,
        analyst=analyst,
        credibility=2,
        created_at=dt.datetime(2026, 5, 2, tzinfo=dt.UTC),
    )

    codes = admiralty_codes([judged, unjudged])

    assert codes == {judged.pk: "B2", unjudged.pk: "D6"}


def test_it_marks_articles_dated_outside_the_period():
    feed = make_feed()
    inside = make_article(feed, published_at=dt.datetime(2026, 5, 9, tzinfo=dt.UTC))
    before = make_article(feed, published_at=dt.datetime(2025, 9, 1, tzinfo=dt.UTC))
    content = _content([[inside.pk, before.pk]], [[inside.pk]])

    annex = annex_build(
        content=content,
        input_article_ids=[inside.pk, before.pk],
        period_start=dt.date(2026, 5, 7),
        period_end=dt.date(2026, 5, 14),
    )

    assert [e.in_period for e in annex.cited] == [True, False]


def test_it_gives_a_human_edit_the_sources_of_its_machine_draft():
    report = make_report(articles=3)
    draft = latest(report)
    edit = Revision.objects.create(
        report=report,
        number=2,
        parent=draft,
        origin=Revision.Origin.HUMAN,
        content=draft.content,
    )

    assert revision_input_article_ids(edit) == draft.input_article_ids

import pytest
from django.contrib.auth.models import User

from feeds.annotations import admiralty_code, annotation_add, effective_annotations
from feeds.errors import AnnotationRejected
from feeds.models import Annotation, Feed
from tests.factories import make_article, make_feed


@pytest.mark.django_db
def test_it_keeps_author_and_time_of_every_annotation(analyst: User) -> None:
    article = make_article()

    first = annotation_add(
        article=article, analyst=analyst, credibility=3, relevance=2, note=" a "
    )
    second = annotation_add(
        article=article, analyst=analyst, credibility=2, relevance=3, excluded=True
    )

    assert Annotation.objects.filter(article=article).count() == 2
    assert first.analyst == analyst
    assert first.note == "a"
    assert second.created_at >= first.created_at
    assert effective_annotations([article.pk])[article.pk] == second


@pytest.mark.django_db
def test_it_returns_the_newest_annotation_per_article(
    analyst: User, editor: User
) -> None:
    one, two, untouched = make_article(), make_article(), make_article()
    annotation_add(article=one, analyst=analyst, credibility=5, relevance=1)
    newest = annotation_add(article=one, analyst=editor, credibility=1, relevance=3)
    other = annotation_add(article=two, analyst=analyst, credibility=4, relevance=0)

    found = effective_annotations([one.pk, two.pk, untouched.pk])

    assert found == {one.pk: newest, two.pk: other}
    assert effective_annotations([]) == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("credibility", "relevance", "note"),
    [(0, 2, ""), (7, 2, ""), (3, 9, ""), (3, 2, "x" * 5001)],
)
def test_it_refuses_values_outside_the_scales(
    analyst: User, credibility: int, relevance: int, note: str
) -> None:
    article = make_article()

    with pytest.raises(AnnotationRejected) as caught:
        annotation_add(
            article=article,
            analyst=analyst,
            credibility=credibility,
            relevance=relevance,
            note=note,
        )

    assert caught.value.problems
    assert not Annotation.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_inactive_analyst(analyst: User) -> None:
    analyst.is_active = False

    with pytest.raises(AnnotationRejected):
        annotation_add(
            article=make_article(), analyst=analyst, credibility=2, relevance=2
        )


@pytest.mark.django_db
def test_it_combines_feed_reliability_and_credibility(analyst: User) -> None:
    feed = make_feed(reliability=Feed.Reliability.B)
    annotation = annotation_add(
        article=make_article(feed), analyst=analyst, credibility=2, relevance=2
    )

    assert admiralty_code(feed, annotation) == "B2"
    assert admiralty_code(feed, None) == "B6"
    assert admiralty_code(make_feed(), None) == "F6"

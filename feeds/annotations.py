"""Analysts' judgements of articles, and the Admiralty codes they yield.

Who may annotate is decided by the caller through `reports.roles` (feeds
knows nothing of reports); the rules kept here hold for every caller. An
annotation is never edited: a new one supersedes it, so the history of who
judged what, and when, stays whole.
"""

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery

from feeds.errors import AnnotationRejected
from feeds.models import Annotation, Article, Feed
from feeds.sanitising import clean_text

logger = logging.getLogger(__name__)

MAX_NOTE_CHARS = 5000
NO_JUDGEMENT = Annotation.Credibility.CANNOT_JUDGE


@transaction.atomic
def annotation_add(
    *,
    article: Article,
    analyst: Any,
    credibility: int,
    relevance: int,
    note: str = "",
    excluded: bool = False,
) -> Annotation:
    """Record an analyst's judgement of an article; it supersedes earlier ones.

    Raises AnnotationRejected, listing every problem.
    """
    problems = []
    if not getattr(analyst, "is_authenticated", False) or not analyst.is_active:
        problems.append("An annotation needs a signed-in, active analyst.")
    try:
        note = annotation_check(credibility=credibility, relevance=relevance, note=note)
    except AnnotationRejected as exc:
        problems.extend(exc.problems)
    if problems:
        raise AnnotationRejected("The annotation was not saved.", problems=problems)

    annotation = Annotation.objects.create(
        article=article,
        analyst=analyst,
        credibility=credibility,
        relevance=relevance,
        note=note,
        excluded=bool(excluded),
    )
    logger.info(
        "article annotated article_id=%s analyst=%s credibility=%s excluded=%s",
        article.pk,
        analyst.username,
        credibility,
        excluded,
    )
    return annotation


def annotation_check(*, credibility: int, relevance: int, note: str) -> str:
    """The note, tidied, or AnnotationRejected listing every problem of the
    judgement. Forms call it to show the problems before saving."""
    problems = []
    if credibility not in Annotation.Credibility.values:
        problems.append(f"Credibility must be 1 to 6, not {credibility!r}.")
    if relevance not in Annotation.Relevance.values:
        problems.append(f"Relevance must be 0 to 3, not {relevance!r}.")
    note = clean_text(note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        problems.append(
            f"The note is {len(note)} characters long; it may have at most "
            f"{MAX_NOTE_CHARS}."
        )
    if problems:
        raise AnnotationRejected("The annotation was not saved.", problems=problems)
    return note


def effective_annotations(article_ids: Iterable[int]) -> dict[int, Annotation]:
    """The annotation in force (the newest) for each article that has one."""
    ids = list(set(article_ids))
    if not ids:
        return {}
    newest = (
        Annotation.objects.filter(article=OuterRef("article"))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    rows = Annotation.objects.filter(article_id__in=ids, pk=Subquery(newest))
    return {row.article_id: row for row in rows.select_related("analyst")}


def admiralty_code(feed: Feed, annotation: Annotation | None) -> str:
    """Source reliability letter and information credibility digit, e.g. "B2"."""
    credibility = annotation.credibility if annotation is not None else NO_JUDGEMENT
    return f"{feed.reliability}{int(credibility)}"

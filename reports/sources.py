"""A report's sources as the desk sees them: which articles a revision may
cite, which of them analysts have excluded, and the rows the editor lists.

A revision may cite only the articles given to the drafter for it. Human
revisions inherit that set from their parent, so the set of a revision is
always `Revision.input_article_ids`.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from feeds.annotations import admiralty_code, effective_annotations
from feeds.models import Annotation, Article
from reports.models import Report, Revision


@dataclass(frozen=True)
class SourceRow:
    """One article the report may cite, with the judgement in force on it."""

    article: Article
    annotation: Annotation | None
    cited: bool

    @property
    def excluded(self) -> bool:
        return self.annotation is not None and self.annotation.excluded

    @property
    def admiralty_code(self) -> str:
        return admiralty_code(self.article.feed, self.annotation)


def excluded_article_ids(article_ids: Iterable[int]) -> set[int]:
    return {
        article_id
        for article_id, annotation in effective_annotations(article_ids).items()
        if annotation.excluded
    }


def revision_source_ids(revision: Revision | None) -> list[int]:
    if revision is None:
        return []
    return [int(i) for i in revision.input_article_ids or []]


def report_source_ids(report: Report) -> list[int]:
    """The articles the report's latest revision may cite."""
    return revision_source_ids(report.latest_revision)


def source_rows(*, revision: Revision | None, cited: Iterable[int]) -> list[SourceRow]:
    """The revision's citable articles, newest first, with annotations."""
    ids = revision_source_ids(revision)
    cited_ids = set(cited)
    articles = Article.objects.filter(pk__in=ids).select_related("feed")
    annotations = effective_annotations(ids)
    return [
        SourceRow(
            article=article,
            annotation=annotations.get(article.pk),
            cited=article.pk in cited_ids,
        )
        for article in articles.order_by("-published_at", "-id")
    ]

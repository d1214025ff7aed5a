"""The annex of a revision: the articles it cites and those it only consulted.

The annex is derived, never typed. Cited articles are numbered in the order
they are first cited (key developments first, then hotspots), so the marker
[3] in the text and entry 3 in the annex are the same article wherever the
PDF, the portal or the editor shows them.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from feeds.annotations import admiralty_code, effective_annotations
from feeds.models import Article
from reports.content import ReportContent, cited_source_ids
from reports.models import Revision


@dataclass(frozen=True)
class AnnexEntry:
    """One article as the annex lists it."""

    number: int
    article_id: int
    outlet: str
    title: str
    published_at: dt.datetime
    url: str
    admiralty_code: str
    in_period: bool


@dataclass(frozen=True)
class Annex:
    cited: list[AnnexEntry]
    consulted: list[AnnexEntry]
    # Citations of articles the drafter was not given, or that no longer
    # exist: never rendered, and reported by the checks.
    unknown_ids: list[int] = field(default_factory=list)

    def number_of(self, article_id: int) -> int | None:
        for entry in self.cited:
            if entry.article_id == article_id:
                return entry.number
        return None

    def markers(self, source_ids: Iterable[int]) -> list[int]:
        """Annex numbers of the given citations, known ones only, in order."""
        numbers = {entry.article_id: entry.number for entry in self.cited}
        seen: dict[int, None] = {}
        for article_id in source_ids:
            if article_id in numbers:
                seen[numbers[article_id]] = None
        return list(seen)


def admiralty_codes(articles: Iterable[Article]) -> dict[int, str]:
    """Feed reliability letter plus the credibility digit of the annotation
    in force; an article nobody has judged gets 6, "cannot be judged"."""
    articles = list(articles)
    latest = effective_annotations(a.pk for a in articles)
    return {a.pk: admiralty_code(a.feed, latest.get(a.pk)) for a in articles}


def annex_build(
    *,
    content: ReportContent,
    input_article_ids: Iterable[int],
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> Annex:
    """Number the cited articles and list the consulted ones.

    Only articles among `input_article_ids` can appear; any other cited id is
    returned in `unknown_ids` and nowhere else.
    """
    given = list(dict.fromkeys(int(i) for i in input_article_ids))
    articles = {
        a.pk: a for a in Article.objects.filter(pk__in=given).select_related("feed")
    }
    codes = admiralty_codes(articles.values())

    def entry(number: int, article: Article) -> AnnexEntry:
        published = article.published_at
        in_period = True
        if period_start is not None and period_end is not None:
            in_period = period_start <= published.date() <= period_end
        return AnnexEntry(
            number=number,
            article_id=article.pk,
            outlet=article.feed.title or _host_of(article.feed.url),
            title=article.title,
            published_at=published,
            url=article.canonical_url or article.url,
            admiralty_code=codes[article.pk],
            in_period=in_period,
        )

    cited_ids = cited_source_ids(content)
    cited: list[AnnexEntry] = []
    unknown: list[int] = []
    for article_id in cited_ids:
        if article_id in articles:
            cited.append(entry(len(cited) + 1, articles[article_id]))
        else:
            unknown.append(article_id)

    # Consulted articles are listed by date, oldest first, as a reader
    # scanning the week's reporting expects; they carry no marker number.
    cited_set = set(cited_ids)
    consulted_articles = sorted(
        (articles[i] for i in given if i in articles and i not in cited_set),
        key=lambda a: (a.published_at, a.pk),
    )
    consulted = [entry(n, a) for n, a in enumerate(consulted_articles, start=1)]
    return Annex(cited=cited, consulted=consulted, unknown_ids=unknown)


def revision_input_article_ids(revision: Revision) -> list[int]:
    """The articles the drafter was given for this revision.

    A human edit keeps the sources of the machine draft it descends from, so
    an edit that carries no list of its own inherits the nearest earlier
    machine revision's list.
    """
    if revision.input_article_ids:
        return [int(i) for i in revision.input_article_ids]
    machine = (
        Revision.objects.filter(
            report_id=revision.report_id,
            number__lt=revision.number,
            origin__in=[Revision.Origin.AI, Revision.Origin.OFFLINE],
        )
        .exclude(input_article_ids=[])
        .order_by("-number")
        .only("input_article_ids")
        .first()
    )
    return [int(i) for i in machine.input_article_ids] if machine else []


def annex_for_revision(revision: Revision, content: ReportContent) -> Annex:
    report = revision.report
    return annex_build(
        content=content,
        input_article_ids=revision_input_article_ids(revision),
        period_start=report.period_start,
        period_end=report.period_end,
    )


def _host_of(url: str) -> str:
    return urlsplit(url).hostname or url

"""Choosing what a drafter reads for one report.

The topic's matched articles of the period (plus a few days before it, marked
as background), minus those an analyst excluded, reduced to one article per
story cluster (the most reliable outlet's version; the other outlets are kept
as corroboration), ranked by relevance and reliability, and trimmed so their
text fits the prompt's token budget. Too little reporting refuses the draft.
"""

import datetime as dt
import logging
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from feeds.annotations import admiralty_code, effective_annotations
from feeds.models import Annotation, Article
from reports.errors import DeskError
from reports.models import ArticleMatch, Topic

logger = logging.getLogger(__name__)

# Ranking weights. Admiralty reliability A-F and credibility 1-6 are ordinal
# scales; "cannot be judged" (F, 6) sits between fair and doubtful, since it
# says nothing against the source.
RELIABILITY_WEIGHT: dict[str, float] = {
    "A": 1.0,
    "B": 0.9,
    "C": 0.75,
    "D": 0.55,
    "E": 0.3,
    "F": 0.6,
}
CREDIBILITY_WEIGHT: dict[int, float] = {
    1: 1.0,
    2: 0.9,
    3: 0.75,
    4: 0.5,
    5: 0.3,
    6: 0.65,
}
# An analyst's relevance 0-3; without an annotation the match score decides.
RELEVANCE_WEIGHT: dict[int, float] = {0: 0.1, 1: 0.5, 2: 0.8, 3: 1.0}
BACKGROUND_WEIGHT = 0.6
# At most one background story for every BACKGROUND_SHARE stories of the
# period, and never fewer than MIN_BACKGROUND allowed.
BACKGROUND_SHARE = 5
MIN_BACKGROUND = 2

# Each source's text is cut to share the budget fairly, but never below a
# lead paragraph nor above what a drafter needs of one story (the setting
# OSINT_SOURCE_MAX_TOKENS).
MIN_SOURCE_TOKENS = 80
# Outlet, date, code, title and the element's tags cost about this much.
SOURCE_OVERHEAD_TOKENS = 40


class InsufficientReporting(DeskError):
    """Too few stories in the period to draft a report from."""

    code = "insufficient_reporting"


def estimate_tokens(text: str) -> int:
    """An offline estimate of Claude tokens: about four UTF-8 bytes each.

    English prose runs near four characters a token; Cyrillic and other
    scripts take two bytes a character and about as many tokens, which the
    byte count follows better than a character count would.
    """
    return math.ceil(len(text.encode("utf-8")) / 4)


def trim_to_tokens(text: str, max_tokens: int) -> str:
    """Cut text to about `max_tokens`, at a sentence or word boundary."""
    if estimate_tokens(text) <= max_tokens:
        return text
    budget_bytes = max_tokens * 4
    cut = text.encode("utf-8")[:budget_bytes].decode("utf-8", errors="ignore")
    sentence_end = max(cut.rfind(". "), cut.rfind(".\n"), cut.rfind("? "))
    if sentence_end > len(cut) // 2:
        return cut[: sentence_end + 1] + " […]"
    space = cut.rfind(" ")
    if space > 0:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + " […]"


def lead_excerpt(text: str, max_tokens: int) -> str:
    """The lead of an article: whole paragraphs from the top while they fit
    in `max_tokens`, the first one cut at a sentence if it alone is longer.

    News puts who, what, when and where first, so the lead carries what a
    drafter needs; a paragraph is never cut off mid-way after another.
    """
    if estimate_tokens(text) <= max_tokens:
        return text
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    kept: list[str] = []
    for paragraph in paragraphs:
        candidate = "\n\n".join([*kept, paragraph])
        if estimate_tokens(candidate + " […]") > max_tokens:
            break
        kept.append(paragraph)
    if not kept:
        return trim_to_tokens(text, max_tokens)
    return "\n\n".join(kept) + " […]"


def article_text(article: Article) -> str:
    """The fullest text the feed gave: content, else summary."""
    text = article.content.strip() or article.summary.strip()
    return re.sub(r"[ \t]+", " ", text)


@dataclass(frozen=True)
class SelectedArticle:
    """One story as a drafter sees it: its best article and how it ranks."""

    article: Article
    admiralty: str
    relevance: int | None
    background: bool
    score: float
    text: str
    trimmed: bool
    corroborated_by: list[Article] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.article.pk

    @property
    def outlets(self) -> list[str]:
        return [str(self.article.feed)] + [str(a.feed) for a in self.corroborated_by]


@dataclass
class Selection:
    topic: Topic
    period_start: dt.date
    period_end: dt.date
    sources: list[SelectedArticle]
    considered_ids: list[int]
    excluded_ids: list[int]
    dropped_for_budget: list[int]
    background_left_out: list[int]
    stories_total: int
    token_budget: int

    @property
    def source_ids(self) -> list[int]:
        return [s.id for s in self.sources]

    @property
    def in_period_stories(self) -> int:
        return sum(1 for s in self.sources if not s.background)

    @property
    def thin(self) -> bool:
        """Fewer than twice the minimum stories: the draft must say so."""
        return self.in_period_stories < 2 * settings.OSINT_MIN_ARTICLES

    def source(self, article_id: int) -> SelectedArticle | None:
        for candidate in self.sources:
            if candidate.id == article_id:
                return candidate
        return None

    def as_record(self) -> dict[str, Any]:
        """What was given and what was left out, for the job's record."""
        return {
            "given": self.source_ids,
            "background": [s.id for s in self.sources if s.background],
            "trimmed": [s.id for s in self.sources if s.trimmed],
            "corroboration": {
                str(s.id): [a.pk for a in s.corroborated_by]
                for s in self.sources
                if s.corroborated_by
            },
            "considered": self.considered_ids,
            "excluded_by_analyst": self.excluded_ids,
            "dropped_for_budget": self.dropped_for_budget,
            "background_left_out": self.background_left_out,
            "stories_total": self.stories_total,
            "token_budget": self.token_budget,
        }


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as aware UTC instants: start of `start` to end of `end`."""
    begin = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return begin, finish


def _story_key(article: Article) -> tuple[str, object]:
    # Articles not (yet) clustered still fold together when their text is
    # identical, which is what a verbatim reprint looks like.
    if article.cluster_id is not None:
        return ("cluster", article.cluster_id)
    return ("hash", article.content_hash or article.pk)


def _rank_score(
    article: Article,
    *,
    annotation: Annotation | None,
    match_score: float,
    background: bool,
    outlets: int,
) -> float:
    if annotation is not None:
        relevance = RELEVANCE_WEIGHT.get(annotation.relevance, 0.8)
    else:
        relevance = 0.5 + 0.5 * min(max(match_score, 0.0), 1.0)
    reliability = RELIABILITY_WEIGHT.get(article.feed.reliability, 0.6)
    credibility = CREDIBILITY_WEIGHT.get(annotation.credibility if annotation else 6)
    # More outlets telling a story make it more important, with fading weight.
    breadth = 1.0 + 0.25 * math.log2(outlets)
    weight = BACKGROUND_WEIGHT if background else 1.0
    return relevance * reliability * (credibility or 0.65) * breadth * weight


def _best_version_key(article: Article, annotation: Annotation | None) -> tuple:
    reliability = RELIABILITY_WEIGHT.get(article.feed.reliability, 0.6)
    credibility = CREDIBILITY_WEIGHT.get(annotation.credibility if annotation else 6)
    return (-reliability, -(credibility or 0), -len(article_text(article)), article.pk)


def selection_for(
    *,
    topic: Topic,
    period_start: dt.date,
    period_end: dt.date,
    token_budget: int | None = None,
    background_days: int | None = None,
    min_stories: int | None = None,
) -> Selection:
    """Select and rank what the drafter reads; refuse when reporting is thin.

    Raises InsufficientReporting when fewer than OSINT_MIN_ARTICLES distinct
    stories were published in the period (background days do not count).
    """
    budget = token_budget or settings.OSINT_PROMPT_TOKEN_BUDGET
    days = (
        settings.OSINT_BACKGROUND_DAYS if background_days is None else background_days
    )
    minimum = settings.OSINT_MIN_ARTICLES if min_stories is None else min_stories
    begin, finish = period_bounds(period_start, period_end)
    background_begin = begin - dt.timedelta(days=days)

    matches = (
        ArticleMatch.objects.filter(
            topic=topic,
            article__published_at__gte=background_begin,
            article__published_at__lt=finish,
        )
        .select_related("article__feed")
        .order_by("article__published_at", "article_id")
    )
    match_scores = {m.article_id: m.score for m in matches}
    articles = [m.article for m in matches]
    annotations = effective_annotations([a.pk for a in articles])

    excluded = [a.pk for a in articles if _is_excluded(annotations.get(a.pk))]
    kept = [a for a in articles if a.pk not in set(excluded)]

    stories: dict[tuple[str, object], list[Article]] = defaultdict(list)
    for article in kept:
        stories[_story_key(article)].append(article)

    ranked: list[tuple[float, Article, list[Article], bool]] = []
    for members in stories.values():
        members.sort(key=lambda a: _best_version_key(a, annotations.get(a.pk)))
        best, others = members[0], members[1:]
        # A story is background only when none of its versions is in the
        # period: a reprint this week of an older story is this week's news.
        background = all(a.published_at < begin for a in members)
        score = _rank_score(
            best,
            annotation=annotations.get(best.pk),
            match_score=match_scores.get(best.pk, 0.0),
            background=background,
            outlets=len({a.feed_id for a in members}),
        )
        ranked.append((score, best, others, background))
    ranked.sort(key=lambda item: (-item[0], item[1].published_at, item[1].pk))

    in_period = sum(1 for item in ranked if not item[3])
    if in_period < minimum:
        raise InsufficientReporting(
            f"Too little reporting to draft {topic.name} for "
            f"{period_start:%d %b} - {period_end:%d %b %Y}: {in_period} "
            f"{'story' if in_period == 1 else 'stories'} in the period, at least "
            f"{minimum} needed. Add feeds to the topic or wait for more articles."
        )

    # Background is context for the week's news, not a second week: keep
    # only the best-ranked few.
    stories_total = len(ranked)
    background_cap = max(MIN_BACKGROUND, in_period // BACKGROUND_SHARE)
    background_ids = [item[1].pk for item in ranked if item[3]]
    left_out = set(background_ids[background_cap:])
    ranked = [item for item in ranked if item[1].pk not in left_out]

    sources, dropped = _fit_budget(ranked, annotations=annotations, budget=budget)
    selection = Selection(
        topic=topic,
        period_start=period_start,
        period_end=period_end,
        sources=sources,
        considered_ids=[a.pk for a in articles],
        excluded_ids=excluded,
        dropped_for_budget=dropped,
        background_left_out=sorted(left_out),
        stories_total=stories_total,
        token_budget=budget,
    )
    logger.info(
        "selection topic=%s start=%s end=%s considered=%d excluded=%d stories=%d "
        "given=%d dropped=%d",
        topic.slug,
        period_start,
        period_end,
        len(articles),
        len(excluded),
        stories_total,
        len(sources),
        len(dropped),
    )
    return selection


def _is_excluded(annotation: Annotation | None) -> bool:
    return bool(annotation and annotation.excluded)


def _fit_budget(
    ranked: list[tuple[float, Article, list[Article], bool]],
    *,
    annotations: dict[int, Annotation],
    budget: int,
) -> tuple[list[SelectedArticle], list[int]]:
    """Share the budget among the stories, best first; drop what cannot fit.

    Every story gets an equal cap (within MIN_SOURCE_TOKENS and the setting
    OSINT_SOURCE_MAX_TOKENS) filled with its lead paragraphs; short texts
    leave their unused share to the stories after them.
    """
    sources: list[SelectedArticle] = []
    dropped: list[int] = []
    remaining = budget
    max_source = max(MIN_SOURCE_TOKENS, settings.OSINT_SOURCE_MAX_TOKENS)
    for index, (score, article, others, background) in enumerate(ranked):
        stories_left = len(ranked) - index
        share = remaining // stories_left - SOURCE_OVERHEAD_TOKENS
        cap = min(max_source, max(MIN_SOURCE_TOKENS, share))
        title_cost = estimate_tokens(article.title) + SOURCE_OVERHEAD_TOKENS
        if remaining < title_cost + MIN_SOURCE_TOKENS:
            dropped.append(article.pk)
            continue
        cap = min(cap, remaining - title_cost)
        full = article_text(article)
        text = lead_excerpt(full, cap)
        remaining -= title_cost + estimate_tokens(text)
        annotation = annotations.get(article.pk)
        sources.append(
            SelectedArticle(
                article=article,
                admiralty=admiralty_code(article.feed, annotation),
                relevance=annotation.relevance if annotation else None,
                background=background,
                score=round(score, 4),
                text=text,
                trimmed=text != full,
                corroborated_by=others,
            )
        )
    return sources, dropped

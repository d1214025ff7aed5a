"""Matching articles to topics by the topic's names and keywords.

Matching folds case and accents in every script, so "MONGOLIA", "mongolia"
and "Mongolía" are one word, and "МОНГОЛ" is "монгол". Terms in Latin
script match whole words only (with an English plural or possessive), so
"Mongol" does not fire inside "Mongoloid"; terms in other scripts, whose
languages inflect by suffix, also match with an ending ("Монголын",
"Монголд" and Russian "Монголия" all match "Монгол").

Only articles from the topic's own feeds are matched. Matches are stored as
`ArticleMatch` rows (a score and the terms found), so choosing a report's
articles is a query, and are recomputed by `topic_rematch()` when a topic's
terms or feeds change.
"""

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from feeds.models import Article
from reports.models import ArticleMatch, Topic

logger = logging.getLogger(__name__)

NAME_WEIGHT = 1.0
KEYWORD_WEIGHT = 0.5
TITLE_FACTOR = 2.0
# Long articles are matched on their opening, where the subject is named.
MAX_BODY_CHARS = 20_000
# Letters a suffix may add to a term in an inflecting script.
MAX_SUFFIX = 8
_CHUNK = 2000


@dataclass(frozen=True)
class Matcher:
    topic_id: int
    pattern: re.Pattern[str]
    terms: dict[str, tuple[str, float]]


def fold(text: str) -> str:
    """Lower case without accents, in any script, for comparing words."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.casefold()


def _is_latin(term: str) -> bool:
    return all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in term)


def _term_pattern(term: str) -> str:
    words = [re.escape(word) for word in fold(term).split()]
    body = r"[\s\-]+".join(words)
    if _is_latin(term):
        return rf"(?<!\w){body}(?:'s|’s|s|es)?(?!\w)"
    return rf"(?<!\w){body}\w{{0,{MAX_SUFFIX}}}(?!\w)"


def topic_matcher(topic: Topic) -> Matcher | None:
    """A compiled matcher for the topic's name, aliases and keywords."""
    weighted: dict[str, tuple[str, float]] = {}
    names = [topic.name, *(topic.aliases or [])]
    for term, weight in [(t, NAME_WEIGHT) for t in names] + [
        (t, KEYWORD_WEIGHT) for t in (topic.keywords or [])
    ]:
        term = " ".join(str(term).split())
        if term and fold(term) not in {fold(t) for t, _ in weighted.values()}:
            weighted[f"t{len(weighted)}"] = (term, weight)
    if not weighted:
        return None
    # Longer terms first, so "Inner Mongolia" wins over "Mongolia" where
    # both start at one place.
    ordered = sorted(weighted.items(), key=lambda kv: -len(kv[1][0]))
    pattern = "|".join(
        f"(?P<{group}>{_term_pattern(term)})" for group, (term, _) in ordered
    )
    return Matcher(topic_id=topic.pk, pattern=re.compile(pattern), terms=weighted)


def match_text(matcher: Matcher, *, title: str, body: str) -> tuple[float, list[str]]:
    """The score and the terms found; a score of 0 means no match."""
    found: dict[str, float] = {}
    for text, factor in ((title, TITLE_FACTOR), (body[:MAX_BODY_CHARS], 1.0)):
        for hit in matcher.pattern.finditer(fold(text)):
            group = hit.lastgroup
            if group is None:
                continue
            term, weight = matcher.terms[group]
            found[term] = max(found.get(term, 0.0), weight * factor)
    return round(sum(found.values()), 3), sorted(found)


def articles_match(*, article_ids: Iterable[int]) -> int:
    """Match new articles against the topics that draw on their feeds."""
    ids = list(article_ids)
    if not ids:
        return 0
    feed_ids = set(Article.objects.filter(pk__in=ids).values_list("feed_id", flat=True))
    links = Topic.feeds.through.objects.filter(feed_id__in=feed_ids)
    topics_of_feed: dict[int, list[int]] = defaultdict(list)
    for feed_id, topic_id in links.values_list("feed_id", "topic_id"):
        topics_of_feed[feed_id].append(topic_id)
    if not topics_of_feed:
        return 0
    topic_ids = {t for ts in topics_of_feed.values() for t in ts}
    matchers = {
        topic.pk: matcher
        for topic in Topic.objects.filter(pk__in=topic_ids)
        if (matcher := topic_matcher(topic)) is not None
    }

    rows: list[ArticleMatch] = []
    now = timezone.now()
    articles = Article.objects.filter(pk__in=ids).values_list(
        "pk", "feed_id", "title", "summary", "content"
    )
    for pk, feed_id, title, summary, content in articles:
        for topic_id in topics_of_feed.get(feed_id, []):
            matcher = matchers.get(topic_id)
            if matcher is None:
                continue
            score, terms = match_text(
                matcher, title=title, body=f"{summary}\n{content}"
            )
            if score > 0:
                rows.append(
                    ArticleMatch(
                        topic_id=topic_id,
                        article_id=pk,
                        score=score,
                        matched_terms=terms,
                        matched_at=now,
                    )
                )
    _upsert(rows)
    return len(rows)


@transaction.atomic
def topic_rematch(*, topic: Topic) -> int:
    """Recompute all of a topic's matches (after its terms or feeds change)."""
    matcher = topic_matcher(topic)
    ArticleMatch.objects.filter(topic=topic).delete()
    if matcher is None:
        return 0
    now = timezone.now()
    articles = (
        Article.objects.filter(feed__topics=topic)
        .order_by()
        .values_list("pk", "title", "summary", "content")
    )
    rows: list[ArticleMatch] = []
    total = 0
    for pk, title, summary, content in articles.iterator(chunk_size=_CHUNK):
        score, terms = match_text(matcher, title=title, body=f"{summary}\n{content}")
        if score > 0:
            rows.append(
                ArticleMatch(
                    topic=topic,
                    article_id=pk,
                    score=score,
                    matched_terms=terms,
                    matched_at=now,
                )
            )
        if len(rows) >= _CHUNK:
            total += _upsert(rows)
            rows = []
    total += _upsert(rows)
    logger.info("topic rematched topic=%s matches=%s", topic.slug, total)
    return total


def _upsert(rows: list[ArticleMatch]) -> int:
    if rows:
        ArticleMatch.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["topic", "article"],
            update_fields=["score", "matched_terms", "matched_at"],
        )
    return len(rows)

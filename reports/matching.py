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

import datetime as dt
import json
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
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
class _Term:
    label: str
    weight: float
    # The folded first word: a plain substring test rules most text out
    # before the word-boundary pattern runs.
    needle: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Matcher:
    topic_id: int
    terms: tuple[_Term, ...]


def _marks_class() -> re.Pattern[str]:
    # Combining marks of the Basic Multilingual Plane as one character class
    # of ranges: removing them with a regex runs at C speed.
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        if unicodedata.combining(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    members = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in ranges)
    return re.compile(f"[{members}]+")


_MARKS = _marks_class()


def fold(text: str) -> str:
    """Lower case without accents, in any script, for comparing words."""
    if text.isascii():
        return text.lower()
    return _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


def _is_latin(term: str) -> bool:
    return all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in term)


def _term_pattern(words: list[str], *, latin: bool) -> re.Pattern[str]:
    # The pattern starts with the term itself, so the regex engine scans for
    # it quickly; the start of the word is checked by `_starts_word()`.
    body = r"[\W_]+".join(re.escape(word) for word in words)
    if latin:
        # Whole words only, with an English plural; "'s" ends the word.
        return re.compile(rf"{body}(?:e?s)?(?!\w)")
    # Scripts that inflect by suffix: the term plus a short ending.
    return re.compile(rf"{body}\w{{0,{MAX_SUFFIX}}}(?!\w)")


def _starts_word(text: str, at: int) -> bool:
    return at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_")


def _found(term: _Term, text: str) -> bool:
    if term.needle not in text:
        return False
    return any(_starts_word(text, hit.start()) for hit in term.pattern.finditer(text))


def topic_matcher(topic: Topic) -> Matcher | None:
    """The topic's name, aliases and keywords, ready to match text against."""
    return _matcher(
        topic.pk,
        topic.name,
        tuple(str(alias) for alias in topic.aliases or []),
        tuple(str(keyword) for keyword in topic.keywords or []),
    )


# Every ingest batch asks for the matchers of the same few topics; building
# one folds and compiles each term, so they are kept by the terms they use.
@lru_cache(maxsize=1024)
def _matcher(
    topic_id: int, name: str, aliases: tuple[str, ...], keywords: tuple[str, ...]
) -> Matcher | None:
    names = [(t, NAME_WEIGHT) for t in [name, *aliases]]
    terms: list[_Term] = []
    seen: set[tuple[str, ...]] = set()
    for raw, weight in names + [(t, KEYWORD_WEIGHT) for t in keywords]:
        label = " ".join(str(raw).split())
        words = re.findall(r"\w+", fold(label))
        if not words or tuple(words) in seen:
            continue
        seen.add(tuple(words))
        pattern = _term_pattern(words, latin=_is_latin(label))
        terms.append(
            _Term(label=label, weight=weight, needle=words[0], pattern=pattern)
        )
    if not terms:
        return None
    return Matcher(topic_id=topic_id, terms=tuple(terms))


def match_text(matcher: Matcher, *, title: str, body: str) -> tuple[float, list[str]]:
    """The score and the terms found; a score of 0 means no match."""
    found: dict[str, float] = {}
    for text, factor in ((title, TITLE_FACTOR), (body[:MAX_BODY_CHARS], 1.0)):
        folded = fold(text)
        for term in matcher.terms:
            if _found(term, folded):
                weight = term.weight * factor
                found[term.label] = max(found.get(term.label, 0.0), weight)
    return round(sum(found.values()), 3), sorted(found)


def articles_match(
    *,
    article_ids: Iterable[int],
    texts: Sequence[tuple[int, int, str, str, str]] | None = None,
) -> int:
    """Match new articles against the topics that draw on their feeds.

    `texts`, when the caller has them, are (id, feed id, title, summary,
    content) of the same articles, spared a read of what was just written.
    """
    ids = list(article_ids)
    if not ids:
        return 0
    articles = (
        list(texts)
        if texts is not None
        else list(
            Article.objects.filter(pk__in=ids).values_list(
                "pk", "feed_id", "title", "summary", "content"
            )
        )
    )
    links = _topics_of_feeds({article[1] for article in articles})
    topics_of_feed: dict[int, list[int]] = defaultdict(list)
    matchers: dict[int, Matcher | None] = {}
    for feed_id, topic_id, name, aliases, keywords in links:
        topics_of_feed[feed_id].append(topic_id)
        if topic_id not in matchers:
            matchers[topic_id] = topic_matcher(
                Topic(pk=topic_id, name=name, aliases=aliases, keywords=keywords)
            )
    if not topics_of_feed:
        return 0

    rows: list[_Row] = []
    now = timezone.now()
    for pk, feed_id, title, summary, content in articles:
        for topic_id in topics_of_feed.get(feed_id, []):
            matcher = matchers.get(topic_id)
            if matcher is None:
                continue
            score, terms = match_text(
                matcher, title=title, body=f"{summary}\n{content}"
            )
            if score > 0:
                rows.append((topic_id, pk, score, terms, now))
    _upsert(rows)
    return len(rows)


def _topics_of_feeds(
    feed_ids: set[int],
) -> list[tuple[int, int, str, list[str], list[str]]]:
    """(feed, topic, name, aliases, keywords) of the topics drawing on the
    feeds, in one written-out query: this runs after every fetch, and the
    ORM took longer to build it than the database to answer."""
    if not feed_ids:
        return []
    link = Topic.feeds.through._meta
    quote = connection.ops.quote_name
    topic_column = link.get_field("topic").column
    feed_column = link.get_field("feed").column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT l.{quote(feed_column)}, t.id, t.name, t.aliases, t.keywords"
            f" FROM {quote(link.db_table)} AS l"
            f" JOIN {quote(Topic._meta.db_table)} AS t"
            f" ON t.id = l.{quote(topic_column)}"
            f" WHERE l.{quote(feed_column)} IN ({', '.join(['%s'] * len(feed_ids))})",
            sorted(feed_ids),
        )
        rows = cursor.fetchall()
    # PostgreSQL's driver decodes JSON columns; SQLite's hands back text.
    return [
        (feed_id, topic_id, name, _json_list(aliases), _json_list(keywords))
        for feed_id, topic_id, name, aliases, keywords in rows
    ]


def _json_list(value: Any) -> list[str]:
    return json.loads(value) if isinstance(value, str | bytes) else list(value or [])


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
    rows: list[_Row] = []
    total = 0
    for pk, title, summary, content in articles.iterator(chunk_size=_CHUNK):
        score, terms = match_text(matcher, title=title, body=f"{summary}\n{content}")
        if score > 0:
            rows.append((topic.pk, pk, score, terms, now))
        if len(rows) >= _CHUNK:
            total += _upsert(rows)
            rows = []
    total += _upsert(rows)
    logger.info("topic rematched topic=%s matches=%s", topic.slug, total)
    return total


# topic id, article id, score, matched terms, matched at
_Row = tuple[int, int, float, list[str], dt.datetime]


def _upsert(rows: list[_Row]) -> int:
    """Insert matches, or update the score and terms of those already there.

    Plain multi-row statements: bulk_create with update_conflicts builds
    its SQL several times slower, and this runs for every fetch.
    """
    if not rows:
        return 0
    terms = ArticleMatch._meta.get_field("matched_terms")
    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(ArticleMatch._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            params: list[Any] = []
            for topic_id, article_id, score, matched, at in chunk:
                params += [
                    topic_id,
                    article_id,
                    score,
                    terms.get_db_prep_value(matched, connection),
                    adapt(at),
                ]
            cursor.execute(
                f"INSERT INTO {table} "
                "(topic_id, article_id, score, matched_terms, matched_at) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
                + " ON CONFLICT (topic_id, article_id) DO UPDATE SET"
                " score = excluded.score, matched_terms = excluded.matched_terms,"
                " matched_at = excluded.matched_at",
                params,
            )
    return len(rows)

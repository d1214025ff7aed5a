"""Storing parsed entries as articles: in bulk, never twice, never half.

Entries whose key the feed already has are left as they were first stored
(reports cite articles by id, and what was cited must not change under
them). New ones are inserted in one statement with conflicts ignored, so a
re-run, or a second worker that somehow got past the lease, cannot double an
article. `articles_stored` is sent inside the transaction, `articles_ingested`
once it has committed.

Storing comes in two steps so that the write transaction holds only writes:
`articles_prepare()` reads which keys are known and computes each new
article's values (text hash, sketches, dates) outside it, and
`articles_insert()` clusters and inserts them inside it. On SQLite the
transaction holds the database's one write lock, so other workers wait for
nothing but the writes.
"""

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.db import connection, transaction

from feeds.canonical import canonical_url
from feeds.clustering import (
    clusters_assign,
    clusters_refresh,
    fingerprints,
    words_of,
)
from feeds.clustering import to_signed as signed_hash
from feeds.models import Article, Feed
from feeds.parsing import ParsedEntry, guid_key
from feeds.signals import IngestedArticle, articles_ingested, articles_stored

logger = logging.getLogger(__name__)

# A date this far past the fetch is a clock or time-zone error, not news.
FUTURE_TOLERANCE = dt.timedelta(days=1)
_LOOKUP_CHUNK = 500


@dataclass(slots=True)
class NewArticle:
    """The values of an article about to be stored, without a model
    instance: ingest builds thousands, and a model's set-up cost more than
    the row's insert. Field names are the model's attribute names."""

    feed_id: int
    entry_key: str
    url: str
    canonical_url: str
    title: str
    summary: str
    content: str
    author: str
    published_at: dt.datetime
    date_note: str
    fetched_at: dt.datetime
    content_hash: str
    simhash: int
    sketch_0: int
    sketch_1: int
    sketch_2: int
    sketch_3: int
    sketch_4: int
    cluster_id: int | None = None
    pk: int | None = None


def articles_prepare(
    *,
    feed: Feed,
    entries: Sequence[ParsedEntry],
    keys: Sequence[str],
    fetched_at: dt.datetime,
    skip_known_links: bool = False,
) -> list[NewArticle]:
    """The entries whose key the feed does not have yet, as articles to insert.

    Only reads: call it before the transaction that inserts them. A key
    stored in between by another worker is skipped by the insert itself.
    `skip_known_links` also skips entries whose canonical URL the feed has
    under another key: used once, when a feed changes how it keys entries,
    so the change does not store its articles a second time.
    """
    batch: dict[str, ParsedEntry] = {}
    for key, entry in zip(keys, entries, strict=True):
        batch.setdefault(key, entry)
    # A relative guid was stored resolved against the feed's address until
    # the desk resolved links itself; such keys still name the same entry.
    older = {
        key: guid_key(entry.resolved_guid)
        for key, entry in batch.items()
        if entry.resolved_guid and key == guid_key(entry.guid)
    }
    existing = _existing_keys(feed.pk, [*batch, *older.values()])
    fresh = {
        key: entry
        for key, entry in batch.items()
        if key not in existing and older.get(key) not in existing
    }
    if skip_known_links and fresh:
        known = _existing_links(feed, [canonical_url(e.link) for e in fresh.values()])
        fresh = {k: e for k, e in fresh.items() if canonical_url(e.link) not in known}
    return [_article(feed, key, entry, fetched_at) for key, entry in fresh.items()]


@transaction.atomic
def articles_insert(articles: list[NewArticle]) -> list[int]:
    """Cluster and insert prepared articles; return the ids of those written.

    A row whose (feed, entry key) was stored since it was prepared (by a
    worker that got past the feed's lease) is skipped, before clustering
    counts it; a race the check cannot see is still refused by the insert.
    """
    if not articles:
        return []
    _serialise_clustering()
    articles = _not_stored_yet(articles)
    touched = clusters_assign(articles)
    stored = _insert_new(articles)
    clusters_refresh(touched)
    texts = [
        IngestedArticle(a.pk, a.feed_id, a.title, a.summary, a.content)
        for a in stored
        if a.pk is not None  # always set on what _insert_new returns
    ]
    new_ids = [text.id for text in texts]
    if new_ids:
        articles_stored.send(sender=Article, article_ids=new_ids, articles=texts)
        transaction.on_commit(
            lambda: articles_ingested.send(
                sender=Article, article_ids=new_ids, articles=texts
            )
        )
    return new_ids


# Namespace and key of the advisory lock taken while clustering (the
# scheduler's per-host locks use namespace 0x0FEED).
_CLUSTERING_LOCK = (0x0C1057, 1)


def _serialise_clustering() -> None:
    """Let one worker at a time cluster and insert, until its commit.

    Two workers storing retellings of one story at the same moment cannot see
    each other's uncommitted rows, so each would open its own cluster. The
    lock is held to the end of the transaction; the next worker then finds
    the first one's articles. SQLite's write lock already does this.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", _CLUSTERING_LOCK)


# The columns an insert writes, in order; the primary key comes back.
_COLUMNS = [
    field
    for field in Article._meta.concrete_fields
    if not getattr(field, "primary_key", False)
]
_INSERT_ROWS = 400
_values_of = attrgetter(*(field.attname for field in _COLUMNS))
# Every other column holds text or a number that the driver takes as is.
_DATETIME_COLUMNS = [
    index
    for index, field in enumerate(_COLUMNS)
    if field.get_internal_type() == "DateTimeField"
]


def _insert_new(articles: list[NewArticle]) -> list[NewArticle]:
    """Insert, skipping rows whose (feed, entry key) exists; those written,
    in order, with their ids set.

    One statement per few hundred rows, `ON CONFLICT DO NOTHING RETURNING
    id, feed_id, entry_key` (PostgreSQL, and SQLite since 3.35): a racing
    worker's row is skipped, and only rows really written come back. The ORM's
    bulk_create with ignore_conflicts reports no ids, which would cost a
    second query, and builds its SQL several times slower.
    """
    table = connection.ops.quote_name(Article._meta.db_table)
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in _COLUMNS)
    conflict = ", ".join(connection.ops.quote_name(c) for c in ("feed_id", "entry_key"))
    row = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    returning = ", ".join(
        connection.ops.quote_name(c) for c in ("id", "feed_id", "entry_key")
    )
    written: dict[tuple[int, str], int] = {}
    # A fetch's articles share their fetch time, and often dates: each
    # distinct one is adapted for the driver once.
    adapted: dict[dt.datetime, Any] = {}
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(articles), _INSERT_ROWS):
            chunk = articles[start : start + _INSERT_ROWS]
            params: list[Any] = []
            for article in chunk:
                values = list(_values_of(article))
                for index in _DATETIME_COLUMNS:
                    when = values[index]
                    value = adapted.get(when)
                    if value is None:
                        value = adapted[when] = adapt(when)
                    values[index] = value
                params.extend(values)
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES "
                + ", ".join([row] * len(chunk))
                + f" ON CONFLICT ({conflict}) DO NOTHING RETURNING "
                + returning,
                params,
            )
            written.update(
                ((int(feed_id), key), int(pk)) for pk, feed_id, key in cursor.fetchall()
            )
    stored = []
    for article in articles:
        pk = written.get((article.feed_id, article.entry_key))
        if pk is not None:
            article.pk = pk
            stored.append(article)
    return stored


def _not_stored_yet(articles: list[NewArticle]) -> list[NewArticle]:
    by_feed: dict[int, list[str]] = {}
    for article in articles:
        by_feed.setdefault(article.feed_id, []).append(article.entry_key)
    stored = {
        (feed_id, key)
        for feed_id, keys in by_feed.items()
        for key in _existing_keys(feed_id, keys)
    }
    return [a for a in articles if (a.feed_id, a.entry_key) not in stored]


def _existing_keys(feed_id: int, keys: list[str]) -> set[str]:
    table = connection.ops.quote_name(Article._meta.db_table)
    found: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start : start + _LOOKUP_CHUNK]
            cursor.execute(
                f"SELECT entry_key FROM {table} WHERE feed_id = %s"
                f" AND entry_key IN ({', '.join(['%s'] * len(chunk))})",
                [feed_id, *chunk],
            )
            found.update(row[0] for row in cursor.fetchall())
    return found


def _existing_links(feed: Feed, links: list[str]) -> set[str]:
    wanted = [link for link in links if link]
    found: set[str] = set()
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        found.update(
            Article.objects.filter(feed=feed, canonical_url__in=chunk).values_list(
                "canonical_url", flat=True
            )
        )
    return found


def _article(
    feed: Feed, key: str, entry: ParsedEntry, fetched_at: dt.datetime
) -> NewArticle:
    published, note = article_date(entry.published, fetched_at=fetched_at)
    # The whole lead, not a cut of it: words_of reads only as far as it
    # needs, and spacing must not move what it reads (an equal content hash
    # must mean equal sketches: see feeds.clustering).
    words = words_of(entry.title, entry.summary or entry.content)
    story_hash, bands = fingerprints(words)
    canonical = canonical_url(entry.link)
    return NewArticle(
        feed_id=feed.pk,
        entry_key=key,
        url=entry.link,
        canonical_url=canonical if len(canonical) <= 2000 else "",
        title=entry.title,
        summary=entry.summary,
        content=entry.content,
        author=entry.author,
        published_at=published,
        date_note=note,
        fetched_at=fetched_at,
        content_hash=content_hash(entry),
        simhash=signed_hash(story_hash),
        sketch_0=bands[0],
        sketch_1=bands[1],
        sketch_2=bands[2],
        sketch_3=bands[3],
        sketch_4=bands[4],
    )


def article_date(
    published: dt.datetime | None, *, fetched_at: dt.datetime
) -> tuple[dt.datetime, str]:
    """The date to store and its note: missing and far-future dates are marked."""
    if published is None:
        return fetched_at, Article.DateNote.MISSING
    if published > fetched_at + FUTURE_TOLERANCE:
        return fetched_at, Article.DateNote.FUTURE
    return published.astimezone(dt.UTC), Article.DateNote.AS_PUBLISHED


def content_hash(entry: ParsedEntry) -> str:
    """SHA-256 of the article's text, blind to spacing and case."""
    text = "\n".join(
        [
            " ".join(part.split()).casefold()
            for part in (entry.title, entry.summary, entry.content)
        ]
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

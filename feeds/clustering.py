"""Story clusters: one story carried by several outlets, grouped, never merged away.

Two articles published within `WINDOW` of each other tell the same story when
their titles and leads nearly coincide: the 64-bit SimHashes of their words
differ in at most `MAX_DISTANCE` bits, or at least `MIN_EQUAL_BINS` of their
five MinHash values over word triples agree. The same content hash or the same
canonical URL is the same story too. A cluster is made when a story is
carried a second time; an article no other retells has none (selection
treats it as a story of its own).

Finding candidates must not mean reading every recent article: the MinHash
bins are stored in indexed columns (`sketch_0` ... `sketch_4`), and only
articles sharing a bin or the URL are compared, or the content hash when an
article is too short for a sketch (an equal hash means equal words, so equal
bins, for every other). Reprints share most word triples, so they share a
bin almost always; unrelated articles almost never do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from feeds.models import NO_SKETCH, Article, StoryCluster

if TYPE_CHECKING:  # storing imports this module at run time
    from feeds.storing import NewArticle


WINDOW = dt.timedelta(days=3)
MAX_DISTANCE = 8
MIN_EQUAL_BINS = 2
LEAD_WORDS = 60
MIN_TOKENS = 5
BINS = 5  # one sketch_N column per bin

# Words of two characters or more: a one-letter word tells stories apart
# no better than a space.
_WORD = re.compile(r"\w\w+")
# The same words in ASCII text, found by a table lookup per character
# instead of Unicode's character database.
_ASCII_WORD = re.compile(r"\w\w+", re.ASCII)
# SimHash counts, per bit, the words that set it, in one byte-wide lane of a
# big integer per bit. A lane holds the count plus an offset below 128, so
# it never carries into the next for up to this many words.
_LANE_WORDS = 254
_LANE_TOP = 0x80
_EVERY_LANE = int.from_bytes(b"\x01" * 64, "little")
# A lane as the digit of its bit: "1" from 0x80 up, else "0".
_BIT_VALUE = bytes.maketrans(b"01", b"\x00\x01")
_HIGH_BIT_DIGIT = bytes(ord("1") if byte >= 0x80 else ord("0") for byte in range(256))
# A word's hash, its lanes for SimHash and its two mixes for MinHash.
_WordHash = tuple[int, int, int, int]
_words: dict[str, _WordHash] = {}
_WORD_CACHE_LIMIT = 200_000
# Odd 64-bit multipliers that mix three word hashes into a triple's hash;
# the result is kept to 31 bits so every bin value fits an INTEGER column.
_MIX_A = 0x9E3779B97F4A7C15
_MIX_B = 0xC2B2AE3D27D4EB4F
_SKETCH_MASK = (1 << 31) - 1
_MIX_KEPT = (1 << 48) - 1
# One salt per bin: XOR with it reorders the triples' hashes, so each bin
# keeps the least triple of its own ordering (a MinHash of BINS functions).
_SALTS = (0x2545F491, 0x4F6CDD1D, 0x1B873593, 0x68E31DA4, 0x3C6EF372)
SKETCH_WORDS = 40
# Characters of title and lead scanned first for their opening words.
_HEAD_CHARS = 1200


def words_of(title: str, lead: str) -> list[str]:
    """The words a story is compared on: the title and the lead's opening."""
    text = f"{title} {lead}"
    wanted = LEAD_WORDS + 20
    # Only the opening counts: scan a head of the text first. Its last word
    # may be cut short, so the head suffices when it yields more words than
    # wanted (the cut one is then not among them).
    head = text[:_HEAD_CHARS]
    words = _words_in(head.casefold())
    if len(words) <= wanted and len(head) < len(text):
        words = _words_in(text.casefold())
    return words[:wanted]


def _words_in(folded: str) -> list[str]:
    return (_ASCII_WORD if folded.isascii() else _WORD).findall(folded)


def simhash(words: list[str]) -> int:
    """The SimHash (unsigned, 64 bits) of a story's words; 0 if too few."""
    return _simhash(_hashes(words))


def sketch(words: list[str]) -> tuple[int, ...]:
    """MinHash of the opening's word triples: the least of each salted hash.

    A triple's hash mixes its words' cached hashes, so no text is hashed
    again; too few words give NO_SKETCH in every bin, which never matches.
    """
    return _sketch(_hashes(words[:SKETCH_WORDS]))


def fingerprints(words: list[str]) -> tuple[int, tuple[int, ...]]:
    """`simhash(words)` and `sketch(words)`, looking each word up once."""
    known = _hashes(words)
    return _simhash(known), _sketch(known[:SKETCH_WORDS])


def _hashes(words: list[str]) -> list[_WordHash]:
    cache = _words
    return [cache.get(word) or _word(word) for word in words]


def _simhash(known: list[_WordHash]) -> int:
    count = len(known)
    if count < MIN_TOKENS:
        return 0
    half = count // 2
    if count > _LANE_WORDS:
        return sum(
            1 << bit
            for bit in range(64)
            if sum(entry[0] >> bit & 1 for entry in known) > half
        )
    # Each word's hash is "spread" so that bit i sits in byte-wide lane i of
    # a big integer; summing the spreads counts, per bit, the words that set
    # it, in one C-level pass instead of a Python loop over 64 bits.
    total = sum([entry[1] for entry in known])
    # Adding the same offset to every lane lifts exactly the lanes counting
    # more than half the words to 0x80 or above; their bytes then read as
    # the SimHash's bits, again without a loop over the bits.
    total += (_LANE_TOP - (half + 1)) * _EVERY_LANE
    lanes = total.to_bytes(64, "little")
    return int(lanes.translate(_HIGH_BIT_DIGIT)[::-1], 2)


def _word(word: str) -> _WordHash:
    """A word's 64-bit hash, its spread form and its two mixes, cached."""
    cached = _words.get(word)
    if cached is None:
        if len(_words) >= _WORD_CACHE_LIMIT:
            _words.clear()
        digest = int.from_bytes(
            hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little"
        )
        # Bit i of the digest becomes byte i, set to 0 or 1: the digest's
        # bits as bytes of 0 and 1, lowest first.
        bits = f"{digest:064b}".encode("ascii").translate(_BIT_VALUE)[::-1]
        # A triple keeps bits 17-47 of its sum, which only the sum's low
        # 48 bits decide: the products are kept to those, small and quick.
        cached = _words[word] = (
            digest,
            int.from_bytes(bits, "little"),
            digest * _MIX_A & _MIX_KEPT,
            digest * _MIX_B & _MIX_KEPT,
        )
    return cached


def _sketch(known: list[_WordHash]) -> tuple[int, ...]:
    if len(known) < MIN_TOKENS:
        return (NO_SKETCH,) * BINS
    # The words' products with the multipliers are cached with their hash.
    triples = [
        ((a[2] + b[3] + c[0]) >> 17) & _SKETCH_MASK
        for a, b, c in zip(known, known[1:], known[2:], strict=False)
    ]
    return tuple([min([salt ^ value for value in triples]) for salt in _SALTS])


def equal_bins(a: Sequence[int], b: Sequence[int]) -> int:
    return sum(1 for x, y in zip(a, b, strict=True) if x == y and x != NO_SKETCH)


def to_signed(value: int) -> int:
    """Store an unsigned 64-bit hash in a signed BIGINT column."""
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def distance(a: int, b: int) -> int:
    return (to_unsigned(a) ^ to_unsigned(b)).bit_count()


@dataclass
class _Known:
    article_id: int | None
    cluster_id: int | None
    simhash: int
    published_at: dt.datetime
    content_hash: str
    canonical_url: str
    bins: tuple[int, ...]
    pending: NewArticle | None = None


@dataclass
class _Story:
    """A story found twice or more, whose cluster is still to be made."""

    members: list[NewArticle] = field(default_factory=list)
    stored_ids: list[int] = field(default_factory=list)


def clusters_assign(articles: Sequence[NewArticle]) -> set[int]:
    """Put each unsaved article that retells a known story in its cluster.

    An article joins the cluster of its closest match; when the match has no
    cluster yet (it was alone), a cluster is made for both. An article that
    matches nothing stays without one: a cluster is a story carried at least
    twice. Returns the ids of the clusters touched; call `clusters_refresh()`
    with them once the articles are saved, in the same transaction.
    """
    if not articles:
        return set()
    known = _Index(_candidates(articles))
    touched: set[int] = set()
    story_of_pending: dict[int, _Story] = {}
    story_of_stored: dict[int, _Story] = {}
    for article in articles:
        match = _best_match(article, known.sharing(article))
        story: _Story | None = None
        if match is None:
            pass
        elif match.cluster_id is not None:
            article.cluster_id = match.cluster_id
            touched.add(match.cluster_id)
        elif match.pending is not None:
            story = story_of_pending.get(id(match.pending))
            if story is None:
                story = _Story(members=[match.pending])
                story_of_pending[id(match.pending)] = story
        elif match.article_id is not None:
            story = story_of_stored.setdefault(
                match.article_id, _Story(stored_ids=[match.article_id])
            )
        if story is not None:
            story.members.append(article)
            story_of_pending[id(article)] = story
        known.add(
            _Known(
                article_id=None,
                cluster_id=article.cluster_id,
                simhash=article.simhash,
                published_at=article.published_at,
                content_hash=article.content_hash,
                canonical_url=article.canonical_url,
                bins=_bins(article),
                pending=article,
            )
        )

    stories = list({id(story): story for story in story_of_pending.values()}.values())
    listed = {id(story) for story in stories}
    stories += [s for s in story_of_stored.values() if id(s) not in listed]
    ids = _clusters_create(stories)
    regrouped: list[tuple[int, int]] = []
    for story, cluster_id in zip(stories, ids, strict=True):
        for member in story.members:
            member.cluster_id = cluster_id
        regrouped += [(stored, cluster_id) for stored in story.stored_ids]
        touched.add(cluster_id)
    _clusters_join(regrouped)
    return touched


def _clusters_create(stories: list[_Story]) -> list[int]:
    """Insert one empty cluster per story (clusters_refresh counts them);
    their ids, in order. One row a statement: a batch makes a handful, and
    the order of a multi-row RETURNING is not promised by SQLite."""
    table = connection.ops.quote_name(StoryCluster._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    now = adapt(timezone.now())
    ids = []
    with connection.cursor() as cursor:
        for story in stories:
            cursor.execute(
                f"INSERT INTO {table}"
                " (created_at, first_published_at, last_published_at, article_count)"
                " VALUES (%s, %s, %s, 0) RETURNING id",
                [
                    now,
                    adapt(min(a.published_at for a in story.members)),
                    adapt(max(a.published_at for a in story.members)),
                ],
            )
            row = cursor.fetchone()
            assert row is not None  # RETURNING always gives the new row
            ids.append(int(row[0]))
    return ids


def _clusters_join(pairs: list[tuple[int, int]]) -> None:
    """Put stored articles, alone until now, in their new clusters."""
    if not pairs:
        return
    table = connection.ops.quote_name(Article._meta.db_table)
    cases = " ".join(["WHEN %s THEN %s"] * len(pairs))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET cluster_id = CASE id {cases} END"
            f" WHERE id IN ({', '.join(['%s'] * len(pairs))})",
            [value for pair in pairs for value in pair] + [p[0] for p in pairs],
        )


def _candidates(articles: Sequence[NewArticle]) -> list[_Known]:
    """Stored articles near the batch in time that share a content hash, a
    URL or a MinHash value with one of its articles.

    Written out in SQL: the ORM spent longer assembling this OR of IN-lists
    (hundreds of values, once per stored batch) than the database spent on
    it. SQLite hands datetimes back as text, PostgreSQL as datetimes.
    """
    times = [article.published_at for article in articles]
    lo, hi = min(times) - WINDOW, max(times) + WINDOW
    wanted: list[tuple[str, set[Any]]] = []
    every_bins = [_bins(article) for article in articles]
    for slot in range(BINS):
        bins = {values[slot] for values in every_bins} - {NO_SKETCH}
        if bins:
            wanted.append((f"sketch_{slot}", bins))
    urls = {article.canonical_url for article in articles if article.canonical_url}
    if urls:
        wanted.append(("canonical_url", set(urls)))

    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = [adapt(lo), adapt(hi)]
    tests = []
    for column, values in wanted:
        tests.append(f"{column} IN ({', '.join(['%s'] * len(values))})")
        params.extend(values)
    # A stored article with the same content hash has the same words, so the
    # same bins, and is found above; one too short for a sketch is found by
    # its hash, in the index of such articles alone (the model's Meta).
    # The constant is written into the SQL, not bound: a planner picks a
    # partial index only for a condition it can see implies the index's.
    # Every article has either bins or no sketch, so `tests` is never empty.
    unsketched = {a.content_hash for a in articles if a.sketch_0 == NO_SKETCH}
    if unsketched:
        hashes = ", ".join(["%s"] * len(unsketched))
        tests.append(f"(sketch_0 = {int(NO_SKETCH)} AND content_hash IN ({hashes}))")
        params.extend(unsketched)
    table = connection.ops.quote_name(Article._meta.db_table)
    sketches = ", ".join(f"sketch_{slot}" for slot in range(BINS))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, cluster_id, simhash, published_at, content_hash,"
            f" canonical_url, {sketches} FROM {table}"
            f" WHERE published_at BETWEEN %s AND %s AND ({' OR '.join(tests)})",
            params,
        )
        rows = cursor.fetchall()
    return [
        _Known(
            article_id=row[0],
            cluster_id=row[1],
            simhash=row[2],
            published_at=_aware(row[3]),
            content_hash=row[4],
            canonical_url=row[5],
            bins=tuple(row[6:]),
        )
        for row in rows
    ]


def _aware(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _bins(article: NewArticle) -> tuple[int, ...]:
    return (
        article.sketch_0,
        article.sketch_1,
        article.sketch_2,
        article.sketch_3,
        article.sketch_4,
    )


class _Index:
    """Known articles by content hash, URL and MinHash value, so an article
    is compared only with those that share one of them."""

    def __init__(self, rows: Iterable[_Known]) -> None:
        self._by_key: dict[object, list[_Known]] = {}
        for row in rows:
            self.add(row)

    def _keys(self, content_hash: str, url: str, bins: Sequence[int]) -> list[object]:
        keys: list[object] = [("hash", content_hash)]
        if url:
            keys.append(("url", url))
        keys.extend(
            (slot, value) for slot, value in enumerate(bins) if value != NO_SKETCH
        )
        return keys

    def add(self, row: _Known) -> None:
        for key in self._keys(row.content_hash, row.canonical_url, row.bins):
            self._by_key.setdefault(key, []).append(row)

    def sharing(self, article: NewArticle) -> list[_Known]:
        found: dict[int, _Known] = {}
        keys = self._keys(article.content_hash, article.canonical_url, _bins(article))
        for key in keys:
            for row in self._by_key.get(key, ()):
                found[id(row)] = row
        return list(found.values())


def _best_match(article: NewArticle, known: Iterable[_Known]) -> _Known | None:
    best: _Known | None = None
    best_gap = MAX_DISTANCE + 1
    bins = _bins(article)
    for other in known:
        if abs(other.published_at - article.published_at) > WINDOW:
            continue
        if other.content_hash == article.content_hash or (
            article.canonical_url and other.canonical_url == article.canonical_url
        ):
            gap = 0
        elif article.simhash and other.simhash:
            gap = distance(article.simhash, other.simhash)
            if equal_bins(bins, other.bins) >= MIN_EQUAL_BINS:
                gap = min(gap, MAX_DISTANCE)
        else:
            continue
        if gap < best_gap:
            best, best_gap = other, gap
    return best


def clusters_refresh(cluster_ids: Iterable[int]) -> None:
    """Recount the articles and dates of clusters that just gained articles."""
    ids = sorted(set(cluster_ids))
    if not ids:
        return
    # One statement of correlated subqueries, written out: the ORM's version
    # cost more to compile than to run, once per stored batch.
    cluster = connection.ops.quote_name(StoryCluster._meta.db_table)
    article = connection.ops.quote_name(Article._meta.db_table)
    members = f"FROM {article} AS a WHERE a.cluster_id = {cluster}.id"
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            cursor.execute(
                f"UPDATE {cluster} SET"
                f" article_count = (SELECT COUNT(*) {members}),"
                f" first_published_at = COALESCE((SELECT MIN(a.published_at)"
                f" {members}), first_published_at),"
                f" last_published_at = COALESCE((SELECT MAX(a.published_at)"
                f" {members}), last_published_at)"
                f" WHERE id IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )

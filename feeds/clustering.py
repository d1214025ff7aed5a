"""Story clusters: one story carried by several outlets, grouped, never merged away.

Two articles published within `WINDOW` of each other tell the same story when
their titles and leads nearly coincide: the 64-bit SimHashes of their words
differ in at most `MAX_DISTANCE` bits, or at least `MIN_EQUAL_BINS` of their
five MinHash bins over word triples agree. The same content hash or the same
canonical URL is the same story too. Every article belongs to a cluster (most
to one of their own), so "one article per story" is a plain query.

Finding candidates must not mean reading every recent article: the MinHash
bins are stored in indexed columns (`sketch_0` ... `sketch_4`), and only
articles sharing a bin, the content hash or the URL are compared. Reprints
share most word triples, so they share a bin almost always; unrelated
articles almost never do.
"""

import datetime as dt
import hashlib
import re
import zlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from feeds.models import Article, StoryCluster

WINDOW = dt.timedelta(days=3)
MAX_DISTANCE = 8
MIN_EQUAL_BINS = 2
LEAD_WORDS = 60
MIN_TOKENS = 5
BINS = 5  # one sketch_N column per bin
NO_SKETCH = -1

_WORD = re.compile(r"\w+", re.UNICODE)
_LANE_BITS = 16
_token_lanes: dict[str, int] = {}
_TOKEN_CACHE_LIMIT = 200_000


def words_of(title: str, lead: str) -> list[str]:
    """The words a story is compared on: the title and the lead's opening."""
    words = _WORD.findall(f"{title} {lead}".casefold())
    return [word for word in words if len(word) > 1][: LEAD_WORDS + 20]


def simhash(words: list[str]) -> int:
    """The SimHash (unsigned, 64 bits) of a story's words; 0 if too few."""
    if len(words) < MIN_TOKENS:
        return 0
    # Each word's hash is "spread" so that bit i sits in a 16-bit lane of a
    # big integer; summing the spreads counts, per bit, the words that set
    # it, in one C-level pass instead of a Python loop over 64 bits.
    total = sum(_lanes(word) for word in words)
    counts = array("H", total.to_bytes(64 * _LANE_BITS // 8, "little"))
    half = len(words) / 2
    value = 0
    for bit, count in enumerate(counts):
        if count > half:
            value |= 1 << bit
    return value


def _lanes(word: str) -> int:
    spread = _token_lanes.get(word)
    if spread is None:
        if len(_token_lanes) >= _TOKEN_CACHE_LIMIT:
            _token_lanes.clear()
        digest = int.from_bytes(
            hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little"
        )
        spread = 0
        for bit in range(64):
            if digest >> bit & 1:
                spread |= 1 << (bit * _LANE_BITS)
        _token_lanes[word] = spread
    return spread


def sketch(words: list[str]) -> tuple[int, ...]:
    """One-permutation MinHash of the word triples: the least hash per bin.

    A bin no triple fell into holds NO_SKETCH, which never matches.
    """
    bins = [NO_SKETCH] * BINS
    if len(words) < MIN_TOKENS:
        return tuple(bins)
    for i in range(len(words) - 2):
        value = zlib.crc32(f"{words[i]} {words[i + 1]} {words[i + 2]}".encode())
        slot, rest = value % BINS, value // BINS
        if bins[slot] == NO_SKETCH or rest < bins[slot]:
            bins[slot] = rest
    return tuple(bins)


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
    pending: "Article | None" = None


def clusters_assign(articles: Sequence[Article]) -> list[StoryCluster]:
    """Put each unsaved article in an existing cluster or a new one.

    Sets `article.cluster` on every article and returns the clusters it had
    to create (already saved). Call inside the transaction that stores the
    articles, then `clusters_refresh()` once they are saved.
    """
    if not articles:
        return []
    known = _candidates(articles)
    created: list[StoryCluster] = []
    pending_new: list[Article] = []
    for article in articles:
        match = _best_match(article, known)
        if match is not None and match.cluster_id is not None:
            article.cluster_id = match.cluster_id
        elif match is not None and match.pending is not None:
            # Joins another article of this batch that has no cluster yet.
            article._cluster_leader = match.pending  # type: ignore[attr-defined]
        else:
            pending_new.append(article)
        known.append(
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

    created = StoryCluster.objects.bulk_create(
        StoryCluster(
            first_published_at=article.published_at,
            last_published_at=article.published_at,
            article_count=0,
        )
        for article in pending_new
    )
    for article, cluster in zip(pending_new, created, strict=True):
        article.cluster = cluster
    for article in articles:
        leader = getattr(article, "_cluster_leader", None)
        while leader is not None and leader.cluster_id is None:
            leader = getattr(leader, "_cluster_leader", None)
        if leader is not None:
            article.cluster_id = leader.cluster_id
    return created


def _candidates(articles: Sequence[Article]) -> list[_Known]:
    times = [article.published_at for article in articles]
    lo, hi = min(times) - WINDOW, max(times) + WINDOW
    conditions: list[Q] = [Q(content_hash__in={a.content_hash for a in articles})]
    for slot in range(BINS):
        values = {_bins(article)[slot] for article in articles} - {NO_SKETCH}
        if values:
            conditions.append(Q(**{f"sketch_{slot}__in": values}))
    urls = {article.canonical_url for article in articles if article.canonical_url}
    if urls:
        conditions.append(Q(canonical_url__in=urls))
    rows = (
        Article.objects.filter(reduce(or_, conditions), published_at__range=(lo, hi))
        .order_by()
        .values_list(
            "id",
            "cluster_id",
            "simhash",
            "published_at",
            "content_hash",
            "canonical_url",
            *(f"sketch_{slot}" for slot in range(BINS)),
        )
    )
    return [
        _Known(
            article_id=row[0],
            cluster_id=row[1],
            simhash=row[2],
            published_at=row[3],
            content_hash=row[4],
            canonical_url=row[5],
            bins=tuple(row[6:]),
        )
        for row in rows
    ]


def _bins(article: Article) -> tuple[int, ...]:
    return (
        article.sketch_0,
        article.sketch_1,
        article.sketch_2,
        article.sketch_3,
        article.sketch_4,
    )


def _best_match(article: Article, known: Iterable[_Known]) -> _Known | None:
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
    members = Article.objects.filter(cluster=OuterRef("pk")).order_by()
    StoryCluster.objects.filter(pk__in=ids).update(
        article_count=Coalesce(
            Subquery(members.values("cluster").annotate(n=Count("pk")).values("n")[:1]),
            0,
        ),
        first_published_at=Coalesce(
            Subquery(
                members.values("cluster")
                .annotate(first=Min("published_at"))
                .values("first")[:1]
            ),
            F("first_published_at"),
        ),
        last_published_at=Coalesce(
            Subquery(
                members.values("cluster")
                .annotate(last=Max("published_at"))
                .values("last")[:1]
            ),
            F("last_published_at"),
        ),
    )

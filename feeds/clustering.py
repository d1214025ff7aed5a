"""Story clusters: one story carried by several outlets, grouped, never merged away.

Each article gets a 64-bit SimHash of its title and lead. Two articles
published within `WINDOW` of each other whose hashes differ in at most
`MAX_DISTANCE` bits tell the same story; so do two with the same content hash
or the same canonical URL. Every article belongs to a cluster (most to one of
their own), so "one article per story" is a plain query.

Finding candidates must not mean reading every recent article: the hash is
cut into five bands stored as indexed columns, and only articles sharing a
band (or the content hash, or the URL) are compared. Any two hashes within
four bits share a band (pigeonhole); wider differences are still found most
of the time.
"""

import datetime as dt
import hashlib
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from feeds.models import Article, StoryCluster

WINDOW = dt.timedelta(days=3)
MAX_DISTANCE = 6
LEAD_WORDS = 60
MIN_TOKENS = 5
# (first bit, end bit) of each band; five bands of 12-13 bits.
BANDS = ((0, 13), (13, 26), (26, 39), (39, 52), (52, 64))
NO_SKETCH = -1

_WORD = re.compile(r"\w+", re.UNICODE)
_LANE_BITS = 16
_token_lanes: dict[str, int] = {}
_TOKEN_CACHE_LIMIT = 200_000


def simhash(title: str, lead: str) -> int:
    """The SimHash (unsigned, 64 bits) of a title and lead; 0 if too short."""
    words = _WORD.findall(f"{title} {lead}".casefold())
    words = [word for word in words if len(word) > 1][: LEAD_WORDS + 20]
    if len(words) < MIN_TOKENS:
        return 0
    # Each token's hash is "spread" so that bit i sits in a 16-bit lane of a
    # big integer; summing the spreads counts, per bit, the tokens that set
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


def to_signed(value: int) -> int:
    """Store an unsigned 64-bit hash in a signed BIGINT column."""
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def sketch(value: int) -> tuple[int, ...]:
    """The band values of an unsigned hash, or NO_SKETCH for each band."""
    if value == 0:
        return (NO_SKETCH,) * len(BANDS)
    return tuple(value >> lo & ((1 << (hi - lo)) - 1) for lo, hi in BANDS)


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
    conditions: list[Q] = []
    for band in range(len(BANDS)):
        values = {
            getattr(article, f"sketch_{band}")
            for article in articles
            if getattr(article, f"sketch_{band}") != NO_SKETCH
        }
        if values:
            conditions.append(Q(**{f"sketch_{band}__in": values}))
    hashes = {article.content_hash for article in articles}
    urls = {article.canonical_url for article in articles if article.canonical_url}
    conditions.append(Q(content_hash__in=hashes))
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
        )
    )
    return [_Known(*row) for row in rows]


def _best_match(article: Article, known: Iterable[_Known]) -> _Known | None:
    best: _Known | None = None
    best_distance = MAX_DISTANCE + 1
    for other in known:
        if abs(other.published_at - article.published_at) > WINDOW:
            continue
        if other.content_hash == article.content_hash or (
            article.canonical_url and other.canonical_url == article.canonical_url
        ):
            gap = 0
        elif article.simhash and other.simhash:
            gap = distance(article.simhash, other.simhash)
        else:
            continue
        if gap < best_distance:
            best, best_distance = other, gap
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

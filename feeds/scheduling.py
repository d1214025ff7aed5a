"""Which feeds are due, and leases so that one feed is fetched by one worker.

A lease is a time on the feed row (`leased_until`) and a token naming its
holder. On PostgreSQL the due feeds are claimed with `SELECT ... FOR UPDATE
SKIP LOCKED`, so concurrent schedulers or workers pass over each other's rows
instead of waiting on them, and a per-host advisory lock keeps the count of
requests in flight to one host honest. SQLite has no row locks; there every
write transaction already holds the database's write lock (the settings open
transactions IMMEDIATE), which serialises the same steps.

A lease outlives the fetch task's hard time limit, so a worker killed mid-fetch
frees its feed when the lease runs out.
"""

import datetime as dt
import logging
import secrets
import zlib
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from feeds.fetching import FetchOutcome, feed_fetch, feed_record_failure
from feeds.models import Feed

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=150)
MAX_PER_HOST = 2
# A queued feed is not queued again for this long, even if its task is slow
# to start; the fetch itself then sets the real next check.
QUEUED_GRACE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Lease:
    feed: Feed
    token: str


class Refused(StrEnum):
    """Why a lease was not given."""

    MISSING = "missing"
    LEASED = "leased"
    HOST_BUSY = "host busy"


def due_feeds(*, now: dt.datetime) -> QuerySet[Feed]:
    """Enabled feeds whose next check has come and that nobody is fetching."""
    return Feed.objects.filter(enabled=True, next_check_at__lte=now).filter(
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )


@transaction.atomic
def feeds_claim_due(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Pick due feeds to enqueue and push their next check past the queue.

    At most `MAX_PER_HOST` feeds of one host are picked in a round, counting
    the ones already being fetched; the rest wait for the next round.
    """
    now = now or timezone.now()
    rows = due_feeds(now=now).order_by("next_check_at", "pk")
    if connection.vendor == "postgresql":
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    # Only the rows looked at are locked; a feed passed over for its busy
    # host is free again at commit, for the next round.
    candidates = list(rows.values_list("pk", "host")[:limit])
    busy = Counter(
        Feed.objects.filter(leased_until__gte=now).values_list("host", flat=True)
    )
    picked: list[int] = []
    for pk, host in candidates:
        if busy[host] >= MAX_PER_HOST:
            continue
        busy[host] += 1
        picked.append(pk)
        if len(picked) >= limit:
            break
    Feed.objects.filter(pk__in=picked).update(next_check_at=now + QUEUED_GRACE)
    return picked


def feed_lease(
    *, feed_id: int, now: dt.datetime | None = None, per_host: int = MAX_PER_HOST
) -> Lease | Refused:
    """Take the feed's lease, or say why not."""
    now = now or timezone.now()
    with transaction.atomic():
        feed = Feed.objects.filter(pk=feed_id).only("host").first()
        if feed is None:
            return Refused.MISSING
        if connection.vendor == "postgresql":
            # Serialises lease-taking per host, so two workers cannot both
            # see one free slot and take it.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)",
                    [0x0FEED, zlib.crc32(feed.host.encode()) - (1 << 31)],
                )
        rows = Feed.objects.filter(pk=feed_id).filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now)
        )
        if connection.vendor == "postgresql":
            rows = rows.select_for_update(skip_locked=True)
        if not list(rows.values_list("pk", flat=True)):
            return Refused.LEASED
        in_flight = (
            Feed.objects.filter(host=feed.host, leased_until__gte=now)
            .exclude(pk=feed_id)
            .count()
        )
        if in_flight >= per_host:
            return Refused.HOST_BUSY
        token = secrets.token_hex(16)
        taken = rows.update(leased_until=now + LEASE, lease_token=token)
        if not taken:
            return Refused.LEASED
    leased = Feed.objects.get(pk=feed_id)
    return Lease(feed=leased, token=token)


def feed_release(lease: Lease) -> None:
    """Give the lease back, unless it has expired and passed to someone else."""
    Feed.objects.filter(pk=lease.feed.pk, lease_token=lease.token).update(
        leased_until=None, lease_token=""
    )


def feed_fetch_leased(
    *, feed_id: int, allowed_hosts: Collection[str] | None = None
) -> FetchOutcome | Refused:
    """Lease the feed, fetch it, give the lease back; or say why it could not."""
    lease = feed_lease(feed_id=feed_id)
    if isinstance(lease, Refused):
        return lease
    try:
        return feed_fetch(feed=lease.feed, allowed_hosts=allowed_hosts)
    except SoftTimeLimitExceeded:
        feed_record_failure(
            feed=lease.feed, message="The fetch took too long and was stopped."
        )
        raise
    finally:
        feed_release(lease)


@transaction.atomic
def feed_set_enabled(*, feed: Feed, enabled: bool) -> Feed:
    """Enable (checked at once, health starting afresh) or disable a feed."""
    feed.enabled = enabled
    if enabled:
        feed.state = Feed.State.NEW
        feed.consecutive_errors = 0
        feed.next_check_at = timezone.now()
    else:
        feed.state = Feed.State.DISABLED
    feed.save(update_fields=["enabled", "state", "consecutive_errors", "next_check_at"])
    logger.info("feed enabled feed_id=%s enabled=%s", feed.pk, enabled)
    return feed

"""Fetching one feed: the HTTP exchange, what it means for the feed, new articles.

`feed_fetch()` never raises for anything a server or a feed can do wrong:
every fetch ends in a `FetchOutcome` and leaves the feed's health fields
saying what happened and when it will be tried again.
"""

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone

from feeds.http import FeedResponse, FetchError, fetch_url, retry_after_seconds
from feeds.models import Feed
from feeds.parsing import ParsedFeed, ParseError, entry_keys, parse_feed
from feeds.sanitising import clean_text
from feeds.storing import articles_insert, articles_prepare

logger = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(hours=24)
# After this many failures in a row a feed is shown as broken; it is still
# probed, at most a day apart, and heals on its next success.
BROKEN_AFTER = 8


class Result(StrEnum):
    NEW = "new"
    UNCHANGED = "unchanged"
    ERROR = "error"
    DEFERRED = "deferred"
    GONE = "gone"


@dataclass
class FetchOutcome:
    feed_id: int
    result: Result
    new_article_ids: list[int] = field(default_factory=list)
    entries_seen: int = 0
    http_status: int | None = None
    message: str = ""
    duration_s: float = 0.0
    # The feed's new address, when it moved for good and was updated to it.
    moved_to: str = ""

    def describe(self) -> str:
        """One line for people, as `fetch_feeds` prints it."""
        moved = f"; moved to {self.moved_to}" if self.moved_to else ""
        if self.result == Result.NEW:
            count = len(self.new_article_ids)
            noun = "article" if count == 1 else "articles"
            return f"{count} new {noun} ({self.entries_seen} entries){moved}"
        if self.result == Result.UNCHANGED:
            return f"unchanged{moved}"
        return f"{self.result.value}: {self.message}"


def feed_fetch(
    *,
    feed: Feed,
    allowed_hosts: Collection[str] | None = None,
    now: dt.datetime | None = None,
) -> FetchOutcome:
    """Fetch a feed now, store its new articles and record its health.

    `allowed_hosts` overrides settings.FEED_ALLOWED_HOSTS for this fetch.
    """
    started = time.monotonic()
    now = now or timezone.now()
    try:
        response = fetch_url(
            feed.url,
            etag=feed.etag,
            last_modified=feed.last_modified,
            allowed_hosts=allowed_hosts,
        )
    except FetchError as exc:
        outcome = _failed(feed, now, exc.message, status=exc.status)
    else:
        outcome = _handle_response(feed, response, now)
    outcome.duration_s = time.monotonic() - started
    logger.info(
        "feed fetched feed_id=%s result=%s status=%s new=%s seconds=%.2f",
        feed.pk,
        outcome.result.value,
        outcome.http_status,
        len(outcome.new_article_ids),
        outcome.duration_s,
    )
    return outcome


def _handle_response(
    feed: Feed, response: FeedResponse, now: dt.datetime
) -> FetchOutcome:
    outcome = _handle_status(feed, response, now)
    # A feed that moved for good is followed to its new address only once
    # a feed was found there: a lapsed domain whose every path redirects
    # for good to a parking page must not cost the feed its address.
    found = outcome.result in (Result.NEW, Result.UNCHANGED)
    if found and response.moved_to and _follow_move(feed, response.moved_to, now):
        outcome.moved_to = feed.url
    return outcome


def _handle_status(
    feed: Feed, response: FeedResponse, now: dt.datetime
) -> FetchOutcome:
    status = response.status
    if status == 304:
        _remember_validators(feed, response)
        return _succeeded(feed, now, status=status)
    if status == 410:
        return _gone(feed, now)
    if status in (429, 503):
        return _told_to_wait(feed, response, now)
    if not 200 <= status < 300 or status == 204:
        return _failed(feed, now, f"The server answered HTTP {status}.", status=status)

    body_hash = hashlib.sha256(response.body).hexdigest()
    if body_hash == feed.body_hash:
        _remember_validators(feed, response)
        return _succeeded(feed, now, status=status)
    try:
        parsed = parse_feed(response.body, headers=response.headers, url=response.url)
    except ParseError as exc:
        return _failed(feed, now, exc.message, status=status)

    try:
        return _store(feed, parsed, response, body_hash, now)
    except DatabaseError as exc:
        # A row the database refuses must not take the worker down with it;
        # the transaction rolled back, so nothing half-written remains.
        logger.exception("feed store failed feed_id=%s", feed.pk)
        return _failed(
            feed, now, f"The feed's entries could not be stored ({exc}).", status=status
        )


def _store(
    feed: Feed,
    parsed: ParsedFeed,
    response: FeedResponse,
    body_hash: str,
    now: dt.datetime,
) -> FetchOutcome:
    # Validators are kept only once the body is stored: keeping them for a
    # body that failed would turn the next poll into a 304 that skips it.
    keys, mode = entry_keys(parsed.entries, mode=feed.entry_key_mode)
    # Prepared outside the transaction, which then holds only the writes.
    articles = articles_prepare(
        feed=feed,
        entries=parsed.entries,
        keys=keys,
        fetched_at=now,
        skip_known_links=mode != feed.entry_key_mode,
    )
    with transaction.atomic():
        new_ids = articles_insert(articles)
        if mode != feed.entry_key_mode:
            logger.info(
                "feed entry keys changed feed_id=%s from=%s to=%s",
                feed.pk,
                feed.entry_key_mode,
                mode,
            )
        _remember_validators(feed, response)
        feed.entry_key_mode = mode
        feed.body_hash = body_hash
        feed.title = feed.title or parsed.title
        feed.site = feed.site or parsed.site
        feed.last_warning = clean_text(parsed.warning)
        outcome = _succeeded(
            feed,
            now,
            status=response.status,
            extra_fields=[
                "entry_key_mode",
                "body_hash",
                "title",
                "site",
                "last_warning",
            ],
        )
    outcome.new_article_ids = new_ids
    outcome.entries_seen = len(parsed.entries)
    outcome.result = Result.NEW if new_ids else Result.UNCHANGED
    return outcome


_URL_MAX = Feed._meta.get_field("url").max_length or 2000


def _follow_move(feed: Feed, url: str, now: dt.datetime) -> bool:
    """Store the address a feed moved to for good; whether it was stored.

    The old address is kept in the feed's warning, for editors to see. When
    another feed already has the new address, both are left as they are
    and the warning says so: which one to keep is an editor's call.
    """
    if len(url) > _URL_MAX:
        return _move_refused(
            feed,
            url,
            f"This feed has moved for good to an address longer than {_URL_MAX} "
            "characters; its address was not changed.",
        )
    old, warning = feed.url, feed.last_warning
    feed.url = url
    feed.last_warning = _warning_with(
        warning,
        f"On {now:%Y-%m-%d %H:%M} UTC this feed moved for good (HTTP 301 or "
        f"308) from {old} to {url}; its address was updated.",
    )
    try:
        with transaction.atomic():
            feed.save(update_fields=["url", "last_warning"])
    except IntegrityError:
        feed.url, feed.last_warning = old, warning
        other = Feed.objects.filter(url=url).exclude(pk=feed.pk).first()
        if other is None:
            return False  # the other feed went meanwhile: the next fetch moves
        return _move_refused(
            feed,
            url,
            f"This feed has moved for good to {url}, which is already on the "
            f"list as feed {other.pk} ({other}); its address was not changed. "
            "Keep one of the two and disable the other.",
        )
    logger.info("feed moved feed_id=%s from=%s to=%s", feed.pk, old, url)
    return True


def _move_refused(feed: Feed, url: str, sentence: str) -> bool:
    feed.last_warning = _warning_with(feed.last_warning, sentence)
    _save_health(feed, ["last_warning"])
    logger.info("feed move refused feed_id=%s to=%s", feed.pk, url[:200])
    return False


def _warning_with(warning: str, sentence: str) -> str:
    # Said once: a refused move is seen again on every fetch.
    return warning if sentence in warning else f"{sentence} {warning}".strip()


def _remember_validators(feed: Feed, response: FeedResponse) -> None:
    # Sent back exactly as received; a 304 may carry fresh ones.
    etag = response.header("etag")
    modified = response.header("last-modified")
    if etag and len(etag) <= 500:
        feed.etag = etag
    if modified and len(modified) <= 200:
        feed.last_modified = modified


_HEALTH_FIELDS = [
    "state",
    "etag",
    "last_modified",
    "next_check_at",
    "last_checked_at",
    "last_success_at",
    "consecutive_errors",
    "last_error",
]


def _succeeded(
    feed: Feed,
    now: dt.datetime,
    *,
    status: int,
    extra_fields: list[str] | None = None,
) -> FetchOutcome:
    feed.state = Feed.State.OK if feed.enabled else Feed.State.DISABLED
    feed.consecutive_errors = 0
    feed.last_error = ""
    feed.last_checked_at = now
    feed.last_success_at = now
    feed.next_check_at = now + dt.timedelta(seconds=feed.poll_interval)
    _save_health(feed, _HEALTH_FIELDS + (extra_fields or []))
    return FetchOutcome(feed_id=feed.pk, result=Result.UNCHANGED, http_status=status)


_FEED_FIELDS: "dict[str, Field[Any, Any]]" = {
    column.name: column for column in Feed._meta.concrete_fields
}


def _save_health(feed: Feed, fields: list[str]) -> None:
    """Write the named fields of the feed's row, and only those.

    A plain UPDATE: it runs after every fetch, and Model.save spent longer
    on its bookkeeping than the database on the row (an unchanged re-poll
    is little else). The fields never include the URL, so the host column
    that Feed.save derives from it needs no refresh.
    """
    columns = [_FEED_FIELDS[name] for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(column.column))} = %s" for column in columns)
    values = [
        column.get_db_prep_save(getattr(feed, column.attname), connection)
        for column in columns
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(Feed._meta.db_table)} SET {assignments} WHERE id = %s",
            [*values, feed.pk],
        )


def backoff(errors: int, *, poll_interval: int) -> dt.timedelta:
    """Wait before the next try after `errors` failures in a row."""
    base = max(60, min(poll_interval, 3600))
    seconds = base * 2 ** min(max(errors - 1, 0), 20)
    return min(dt.timedelta(seconds=seconds), MAX_BACKOFF)


def _failed(
    feed: Feed,
    now: dt.datetime,
    message: str,
    *,
    status: int | None,
    wait: dt.timedelta | None = None,
) -> FetchOutcome:
    feed.consecutive_errors += 1
    if feed.enabled:
        broken = feed.consecutive_errors >= BROKEN_AFTER
        feed.state = Feed.State.BROKEN if broken else Feed.State.FAILING
    feed.last_error = clean_text(message)[:2000]
    feed.last_checked_at = now
    delay = backoff(feed.consecutive_errors, poll_interval=feed.poll_interval)
    feed.next_check_at = now + max(delay, wait or dt.timedelta(0))
    _save_health(feed, _HEALTH_FIELDS)
    return FetchOutcome(
        feed_id=feed.pk, result=Result.ERROR, http_status=status, message=message
    )


def feed_record_failure(*, feed: Feed, message: str) -> FetchOutcome:
    """Record a failure that happened around a fetch (a worker time limit)."""
    feed.refresh_from_db()
    return _failed(feed, timezone.now(), message, status=None)


def _gone(feed: Feed, now: dt.datetime) -> FetchOutcome:
    message = (
        "The server says this feed is gone for good (HTTP 410); it was disabled. "
        "Enable it again to resume fetching."
    )
    feed.enabled = False
    feed.state = Feed.State.GONE
    feed.last_error = message
    feed.last_checked_at = now
    _save_health(feed, [*_HEALTH_FIELDS, "enabled"])
    return FetchOutcome(
        feed_id=feed.pk, result=Result.GONE, http_status=410, message=message
    )


def _told_to_wait(feed: Feed, response: FeedResponse, now: dt.datetime) -> FetchOutcome:
    seconds = retry_after_seconds(response.header("retry-after"), now=now)
    wait = dt.timedelta(seconds=seconds) if seconds is not None else None
    if wait is not None:
        wait = min(wait, MAX_BACKOFF)
    asked = f" and asked us to wait {int(wait.total_seconds())} s" if wait else ""
    message = f"The server answered HTTP {response.status}{asked}."
    if response.status == 503:
        # Unavailable is a failure that counts toward "broken".
        return _failed(feed, now, message, status=503, wait=wait)

    # Too many requests: our pace, not the feed, is at fault; do not count it.
    feed.last_error = message
    feed.last_checked_at = now
    feed.next_check_at = now + (wait or dt.timedelta(seconds=feed.poll_interval))
    _save_health(feed, _HEALTH_FIELDS)
    return FetchOutcome(
        feed_id=feed.pk, result=Result.DEFERRED, http_status=429, message=message
    )

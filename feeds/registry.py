"""Adding feeds and changing their settings, with the rules they must keep.

The admin, the API and the demo call these; the reports side wraps them with
the role check (`reports.topics.feed_register`, `feed_change`), since feeds
knows nothing of roles. Turning a feed on or off stays in
`feeds.scheduling.feed_set_enabled`, which `feed_update` calls.
"""

import logging
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from feeds.errors import FeedRejected
from feeds.models import Feed, Tlp
from feeds.scheduling import feed_set_enabled

logger = logging.getLogger(__name__)

# Fields an editor may change; the rest are the fetcher's bookkeeping.
EDITABLE = frozenset(
    {"url", "title", "site", "reliability", "default_tlp", "poll_interval", "enabled"}
)
MIN_POLL_INTERVAL = 60
MAX_POLL_INTERVAL = 7 * 24 * 3600
_URL_MAX = Feed._meta.get_field("url").max_length or 2000
_TITLE_MAX = Feed._meta.get_field("title").max_length or 300


@transaction.atomic
def feed_create(
    *,
    url: str,
    title: str = "",
    site: str = "",
    reliability: str = Feed.Reliability.F,
    default_tlp: str = Tlp.CLEAR,
    poll_interval: int = 3600,
) -> Feed:
    """Add a feed, due for its first check at once. Raises FeedRejected."""
    values = {
        "url": url,
        "title": title,
        "site": site,
        "reliability": reliability,
        "default_tlp": default_tlp,
        "poll_interval": poll_interval,
    }
    cleaned = feed_check(values, feed=None)
    feed = Feed(**cleaned)
    _save(feed, update_fields=None)
    logger.info("feed added feed_id=%s host=%s", feed.pk, feed.host)
    return feed


@transaction.atomic
def feed_update(*, feed: Feed, **changes: Any) -> Feed:
    """Change an editor's settings of a feed. Raises FeedRejected."""
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise FeedRejected(
            "These feed settings cannot be changed.",
            problems=[
                f"{name} is not a setting an editor can change." for name in unknown
            ],
        )
    enabled = changes.pop("enabled", None)
    if enabled is not None and not isinstance(enabled, bool):
        raise FeedRejected(
            "The feed was not changed.", problems=["enabled must be true or false."]
        )

    cleaned = feed_check(changes, feed=feed)
    changed = [name for name, value in cleaned.items() if getattr(feed, name) != value]
    for name in changed:
        setattr(feed, name, cleaned[name])
    if changed:
        _save(feed, update_fields=changed)
        logger.info("feed changed feed_id=%s fields=%s", feed.pk, ",".join(changed))

    if enabled is not None and enabled != feed.enabled:
        feed_set_enabled(feed=feed, enabled=enabled)
    return feed


def _save(feed: Feed, *, update_fields: list[str] | None) -> None:
    # The check in feed_check() can race with another editor adding the same
    # URL; the unique index has the last word.
    try:
        with transaction.atomic():
            feed.save(update_fields=update_fields)
    except IntegrityError:
        raise FeedRejected(
            "The feed was not saved.",
            problems=[f"A feed with the URL {feed.url} is already registered."],
        ) from None


def feed_check(values: dict[str, Any], *, feed: Feed | None) -> dict[str, Any]:
    """The values, tidied, or FeedRejected listing every problem.

    Forms call it to show the problems beside the fields before saving.
    """
    problems: list[str] = []
    cleaned: dict[str, Any] = {}

    if "url" in values:
        url = _text(values["url"])
        problem = _url_problem(url, what="The feed URL", required=True)
        if problem is None:
            others = Feed.objects.filter(url=url)
            if feed is not None:
                others = others.exclude(pk=feed.pk)
            if others.exists():
                problem = f"A feed with the URL {url} is already registered."
        if problem:
            problems.append(problem)
        cleaned["url"] = url

    if "site" in values:
        site = _text(values["site"])
        problem = _url_problem(site, what="The site address", required=False)
        if problem:
            problems.append(problem)
        cleaned["site"] = site

    if "title" in values:
        title = _text(values["title"])
        if len(title) > _TITLE_MAX:
            problems.append(f"The title is longer than {_TITLE_MAX} characters.")
        cleaned["title"] = title

    if "reliability" in values:
        reliability = values["reliability"]
        if reliability not in Feed.Reliability.values:
            problems.append("Reliability must be one of the letters A to F.")
        cleaned["reliability"] = reliability

    if "default_tlp" in values:
        tlp = values["default_tlp"]
        if tlp not in Tlp.values:
            problems.append(
                "The default TLP must be one of: " + ", ".join(Tlp.values) + "."
            )
        cleaned["default_tlp"] = tlp

    if "poll_interval" in values:
        interval = values["poll_interval"]
        if (
            not isinstance(interval, int)
            or isinstance(interval, bool)
            or not MIN_POLL_INTERVAL <= interval <= MAX_POLL_INTERVAL
        ):
            problems.append(
                f"The poll interval must be a whole number of seconds from "
                f"{MIN_POLL_INTERVAL} to {MAX_POLL_INTERVAL}."
            )
        cleaned["poll_interval"] = interval

    if problems:
        raise FeedRejected("The feed was not saved.", problems=problems)
    return cleaned


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _url_problem(url: str, *, what: str, required: bool) -> str | None:
    if not url:
        return f"{what} is missing." if required else None
    if len(url) > _URL_MAX:
        return f"{what} is longer than {_URL_MAX} characters."
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        return f"{what} is not a valid address."
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        return f"{what} must be an http:// or https:// address with a host."
    if any(c.isspace() for c in url):
        return f"{what} must not contain spaces."
    return None

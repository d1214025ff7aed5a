"""The demo's topic and feeds, loaded through the real fetcher.

The bundled feed files (`reports/demo/feeds/`) are served by a short-lived
HTTP server on 127.0.0.1 and fetched with `feed_fetch()`, the code path of
every feed, with the loopback host exempted from the private-address guard
for this run only.

Each demo feed is stored under its outlet's address on `.example`, a domain
reserved never to resolve, and stays disabled: the server it was loaded from
is gone once the demo ends, so the scheduler must not poll it and show it as
broken. Its state reads "Disabled" and its last success the load time.
"""

import logging
from dataclasses import dataclass
from typing import TextIO

from django.db import transaction

from feeds.fetching import FetchOutcome, feed_fetch
from feeds.models import Feed, Tlp
from reports.demo.feedserver import serving
from reports.models import Topic

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoFeed:
    file: str
    url: str
    title: str
    site: str
    reliability: str


DEMO_FEEDS = [
    DemoFeed(
        "steppe-monitor.xml",
        "https://steppe-monitor.example/feed.xml",
        "Steppe Monitor",
        "https://steppe-monitor.example/",
        Feed.Reliability.B,
    ),
    DemoFeed(
        "ub-wire.atom",
        "https://ubwire.example/feed.atom",
        "Ulaanbaatar Wire",
        "https://ubwire.example/",
        Feed.Reliability.C,
    ),
    DemoFeed(
        "eurasia-defence.xml",
        "https://eurasia-defence.example/rss",
        "Eurasia Defence Digest",
        "https://eurasia-defence.example/",
        Feed.Reliability.B,
    ),
    DemoFeed(
        "mongol-medee.atom",
        "https://mongol-medee.example/feed.atom",
        "Монгол Мэдээ",
        "https://mongol-medee.example/",
        Feed.Reliability.C,
    ),
    DemoFeed(
        "northern-corridor.xml",
        "https://northern-corridor.example/rss.xml",
        "Northern Corridor Blog",
        "https://northern-corridor.example/",
        Feed.Reliability.E,
    ),
]

TOPIC = {
    "name": "Mongolia",
    "country_code": "MN",
    "aliases": ["Mongolian", "Mongol Uls", "Монгол", "Монгол Улс"],
    "keywords": [
        "Ulaanbaatar",
        "Ulan Bator",
        "Улаанбаатар",
        "Gobi",
        "Dornogovi",
        "Zamyn-Uud",
        "Gashuunsukhait",
        "Altanbulag",
        "State Great Khural",
    ],
    # Mongolia's extent in degrees.
    "area_south": 41.58,
    "area_west": 87.73,
    "area_north": 52.15,
    "area_east": 119.93,
    "cadence_days": 7,
    "default_tlp": Tlp.CLEAR,
}
LOOPBACK = "127.0.0.1"


def demo_feeds(*, stdout: TextIO | None = None) -> list[str]:
    """Create the `mongolia` topic and its feeds, and load their articles once.

    Returns one line per step; a second run finds everything in place and
    changes nothing.
    """
    lines: list[str] = []
    topic, feeds = _topic_and_feeds()
    waiting = [(feed, spec) for feed, spec in feeds if feed.last_success_at is None]
    if waiting:
        with serving() as server:
            for feed, spec in waiting:
                outcome = _load(feed, server.url(spec.file))
                lines.append(f"Feed {spec.title}: {outcome.describe()}")
    else:
        lines.append("Demo feeds already loaded; nothing fetched.")

    matched = topic.matches.count()
    lines.append(f"Topic {topic.slug}: {len(feeds)} feeds, {matched} articles matched.")
    for line in lines:
        if stdout is not None:
            stdout.write(line + "\n")
    return lines


@transaction.atomic
def _topic_and_feeds() -> tuple[Topic, list[tuple[Feed, DemoFeed]]]:
    topic, _ = Topic.objects.get_or_create(slug="mongolia", defaults=TOPIC)
    feeds = []
    for spec in DEMO_FEEDS:
        feed, made = Feed.objects.get_or_create(
            url=spec.url,
            defaults={
                "title": spec.title,
                "site": spec.site,
                "reliability": spec.reliability,
                "enabled": False,
                "state": Feed.State.DISABLED,
            },
        )
        if made:
            logger.info("demo feed created feed_id=%s title=%s", feed.pk, spec.title)
        feeds.append((feed, spec))
    topic.feeds.add(*(feed for feed, _ in feeds))
    return topic, feeds


def _load(feed: Feed, served_at: str) -> FetchOutcome:
    # The loopback address is used for this fetch only: feed_fetch saves
    # health and validators, never the URL, so the stored address stays the
    # outlet's own.
    feed.url = served_at
    outcome = feed_fetch(feed=feed, allowed_hosts={LOOPBACK})
    feed.refresh_from_db()
    return outcome

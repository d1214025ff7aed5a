"""Shared test data: small builders for the desk's rows, one place for all tests."""

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import Group, User
from django.utils import timezone

from feeds.models import Article, Feed
from feeds.parsing import ParsedEntry
from feeds.storing import articles_insert, articles_prepare
from reports.content import empty_content
from reports.models import Report, Revision, Topic
from reports.roles import Role

_seq = itertools.count(1)

PASSWORD = "test-pass-123"


def make_user(role: Role | None, username: str | None = None, **extra: Any) -> User:
    name = username or f"{(role.name.lower() if role else 'nobody')}{next(_seq)}"
    user = User.objects.create_user(
        username=name,
        password=PASSWORD,
        is_staff=role in (Role.EDITOR, Role.ANALYST),
        **extra,
    )
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
    return user


def make_feed(**fields: Any) -> Feed:
    n = next(_seq)
    fields.setdefault("url", f"http://127.0.0.1:9/feed-{n}.xml")
    fields.setdefault("title", f"Outlet {n}")
    return Feed.objects.create(**fields)


def make_article(feed: Feed | None = None, **fields: Any) -> Article:
    n = next(_seq)
    feed = feed or make_feed()
    fields.setdefault("entry_key", f"entry-{n}")
    fields.setdefault("title", f"Article {n}")
    fields.setdefault("url", f"https://example.org/a/{n}")
    fields.setdefault("canonical_url", fields["url"])
    fields.setdefault("summary", f"Summary of article {n} about Mongolia.")
    fields.setdefault("published_at", timezone.now())
    fields.setdefault("content_hash", f"{n:064x}")
    return Article.objects.create(feed=feed, **fields)


def store_entries(
    feed: Feed,
    entries: Sequence[ParsedEntry],
    keys: Sequence[str],
    *,
    fetched_at: dt.datetime,
    skip_known_links: bool = False,
) -> list[int]:
    """Store entries as a fetch does: prepared, then inserted; the new ids."""
    articles = articles_prepare(
        feed=feed,
        entries=entries,
        keys=keys,
        fetched_at=fetched_at,
        skip_known_links=skip_known_links,
    )
    return articles_insert(articles)


def make_topic(**fields: Any) -> Topic:
    n = next(_seq)
    fields.setdefault("name", "Mongolia" if n == 1 else f"Mongolia {n}")
    fields.setdefault("slug", f"mongolia-{n}")
    fields.setdefault("country_code", "MN")
    fields.setdefault("aliases", ["Mongolian", "Монгол"])
    fields.setdefault("keywords", ["Ulaanbaatar"])
    fields.setdefault("area_south", 41.5)
    fields.setdefault("area_west", 87.7)
    fields.setdefault("area_north", 52.2)
    fields.setdefault("area_east", 119.9)
    return Topic.objects.create(**fields)


def make_content(source_ids: list[int], **overrides: Any) -> dict[str, Any]:
    """A complete, valid content snapshot citing `source_ids`."""
    content = empty_content()
    content.update(
        executive_summary="A quiet week with one notable cyber incident.",
        key_developments=[
            {
                "title": "Cyber espionage against ministries",
                "body": "Researchers reported intrusions into government systems.",
                "source_ids": source_ids[:1],
                "in_period": True,
            }
        ],
        geopolitical_impact="Balancing between neighbours continues.",
        military_analysis="Exercises are planned with neighbours.",
        outlook={
            "short_term": "More phishing is likely.",
            "flashpoints": "Government networks.",
            "indicators": "New advisories.",
            "recommendations": "Patch and monitor.",
        },
        assessment={
            "threat_level": "elevated",
            "rationale": "An active state-aligned intrusion set.",
            "hotspots": [
                {
                    "label": "Ulaanbaatar",
                    "detail": "Ministries targeted.",
                    "lat": 47.9188,
                    "lng": 106.9175,
                    "intensity": 3,
                    "source_ids": source_ids[:1],
                }
            ],
        },
    )
    content.update(overrides)
    return content


def make_report(
    topic: Topic | None = None,
    *,
    articles: int = 2,
    state: str = Report.State.DRAFT,
    author: User | None = None,
    start: dt.date = dt.date(2026, 5, 7),
    end: dt.date = dt.date(2026, 5, 14),
) -> Report:
    """A report with revision 1 (an offline draft citing fresh articles)."""
    topic = topic or make_topic()
    feed = make_feed()
    topic.feeds.add(feed)
    published = dt.datetime.combine(start, dt.time(12), tzinfo=dt.UTC)
    ids = [make_article(feed, published_at=published).pk for _ in range(articles)]
    report = Report.objects.create(
        topic=topic, period_start=start, period_end=end, state=state
    )
    revision = Revision.objects.create(
        report=report,
        number=1,
        origin=Revision.Origin.OFFLINE,
        author=author,
        content=make_content(ids),
        backend="offline",
        input_article_ids=ids,
    )
    report.latest_revision = revision
    report.save(update_fields=["latest_revision"])
    return report


def session_cookie(user: User) -> str:
    """A Cookie header value signing `user` in, as a browser would send it."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return f"{settings.SESSION_COOKIE_NAME}={value}"

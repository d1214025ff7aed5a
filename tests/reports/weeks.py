"""A demo-like week of Mongolia reporting for drafting tests.

Twelve stories over 7-14 May 2026 from four outlets of different
reliability: reprints of two stories across outlets (one story cluster each),
one story published before the period (background), one in-period article
about 2025 drills, places the gazetteer knows, and matches to the topic.
"""

import datetime as dt
from dataclasses import dataclass, field

from feeds.models import Article, Feed, StoryCluster
from reports.models import ArticleMatch, Topic
from tests.factories import make_article, make_feed, make_topic

START = dt.date(2026, 5, 7)
END = dt.date(2026, 5, 14)


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, tzinfo=dt.UTC)


STORIES: list[dict] = [
    {
        "key": "apt",
        "day": 8,
        "title": "China-aligned APT group spies on Mongolian ministries",
        "text": (
            "Researchers at ESET said on 8 May 2026 that an espionage group "
            "they call GopherWhisper has infected at least a dozen computers "
            "in one Mongolian government body in Ulaanbaatar. The malware "
            "uses Slack, Discord and Outlook as channels for commands. The "
            "researchers believe dozens more victims exist."
        ),
        "reprints": ["Steppe Wire", "Asia Desk"],
    },
    {
        "key": "cyberlaw",
        "day": 8,
        "title": "Audit finds low compliance with Mongolia's cybersecurity law",
        "text": (
            "A report published on May 8 found that few organisations obliged "
            "by the cybersecurity law met its requirements. Audits varied in "
            "quality, the report said, leaving government networks exposed. "
            "The national incident response teams will publish new guidance."
        ),
    },
    {
        "key": "turk",
        "day": 10,
        "title": "UN rights chief praises Mongolia, warns on corruption",
        "text": (
            "UN High Commissioner Volker Türk visited Ulaanbaatar on May 10 "
            "and welcomed the law protecting human rights defenders. Civil "
            "society told him corruption was the biggest obstacle to "
            "development, he said at a press conference."
        ),
        "reprints": ["Asia Desk"],
    },
    {
        "key": "steppe",
        "day": 11,
        "title": "Mongolia and China prepare Steppe Partnership 2026 exercise",
        "text": (
            "The armed forces of Mongolia and China will hold the Steppe "
            "Partnership 2026 exercise on Chinese territory from May 26 to "
            "June 10, the defence ministry said on May 11. Ground units will "
            "train with live fire to deepen military trust."
        ),
    },
    {
        "key": "elephant",
        "day": 13,
        "title": "Looking back at Nomadic Elephant drills with India",
        "text": (
            "The Nomadic Elephant exercise with India was held in June 2025 "
            "near Ulaanbaatar, with troops training for counter-terrorism "
            "operations under a UN mandate. The 2025 drills focused on "
            "mountain terrain."
        ),
    },
    {
        "key": "lavrov",
        "day": 8,
        "title": "Lavrov calls Mongolia a priority partner for Russia",
        "text": (
            "Russian Foreign Minister Sergey Lavrov said on May 8 that "
            "relations with Mongolia remain a priority for Moscow and "
            "praised bilateral cooperation between the neighbours."
        ),
    },
    {
        "key": "pipeline",
        "day": 12,
        "title": "Power of Siberia 2 pipeline talks revive dependence concerns",
        "text": (
            "Renewed talk of the Power of Siberia 2 gas pipeline across "
            "Mongolia raised concerns in Ulaanbaatar about dependence on "
            "Russia. Officials in Saynshand said the route would pass near "
            "the town."
        ),
    },
    {
        "key": "usa",
        "day": 9,
        "title": "US and Mongolia discuss third-neighbour partnership",
        "text": (
            "Deputy Prime Minister Enkhbayar Jadamba met the US ambassador "
            "on May 9 to discuss the strategic third-neighbour partnership, "
            "civil aviation and critical minerals, ahead of the 40th "
            "anniversary of diplomatic relations."
        ),
    },
    {
        "key": "mine",
        "day": 12,
        "title": "Protest at Erdenet copper mine ends peacefully",
        "text": (
            "Several hundred workers held a protest at the Erdenet mine on "
            "May 12 over pay. Police said the protest ended peacefully and "
            "talks will continue next week."
        ),
    },
    {
        "key": "border",
        "day": 13,
        "title": "Border guards step up checks near Darkhan",
        "text": (
            "Border guards increased checks on cargo trucks heading north "
            "through Darkhan after a smuggling case on May 13, the border "
            "agency said."
        ),
    },
    {
        "key": "intel",
        "day": 5,
        "title": "Intelligence agency recruits young officers",
        "text": (
            "The General Intelligence Department announced on May 5 a year "
            "of young officers' development and opened admissions to the "
            "national intelligence university."
        ),
    },
    {
        "key": "weather",
        "day": 14,
        "title": "Spring dust storms close roads in the Gobi",
        "text": (
            "Dust storms closed roads in southern provinces on May 14 and "
            "officials advised herders to shelter livestock, in a security "
            "warning for travellers."
        ),
    },
]

OUTLETS: list[tuple[str, str]] = [
    ("Montsame Daily", "B"),
    ("Steppe Wire", "C"),
    ("Asia Desk", "A"),
    ("Blog of Rumours", "E"),
]


@dataclass
class Week:
    topic: Topic
    feeds: dict[str, Feed]
    articles: dict[str, Article]
    reprints: dict[str, list[Article]] = field(default_factory=dict)

    def ids(self) -> list[int]:
        return [a.pk for a in self.articles.values()]


def make_week(topic: Topic | None = None, *, stories: list[dict] | None = None) -> Week:
    """Create the week's feeds, articles, clusters and topic matches."""
    topic = topic or make_topic(slug="mongolia", name="Mongolia")
    feeds = {
        name: make_feed(title=name, reliability=letter) for name, letter in OUTLETS
    }
    topic.feeds.add(*feeds.values())
    week = Week(topic=topic, feeds=feeds, articles={})
    for story in stories or STORIES:
        published = at(story["day"])
        cluster = StoryCluster.objects.create(
            first_published_at=published,
            last_published_at=published,
            article_count=1 + len(story.get("reprints", [])),
        )
        main = make_article(
            feeds["Montsame Daily"],
            title=story["title"],
            summary=story["text"][:120],
            content=story["text"],
            published_at=published,
            cluster=cluster,
        )
        week.articles[story["key"]] = main
        ArticleMatch.objects.create(topic=topic, article=main, score=0.8)
        for offset, outlet in enumerate(story.get("reprints", []), start=1):
            reprint = make_article(
                feeds[outlet],
                title=story["title"],
                content=story["text"] + f" ({outlet} report.)",
                published_at=published + dt.timedelta(hours=offset),
                cluster=cluster,
            )
            week.reprints.setdefault(story["key"], []).append(reprint)
            ArticleMatch.objects.create(topic=topic, article=reprint, score=0.8)
    return week

"""A demo-like Mongolia week for the publishing tests and bench/publish.py.

Two consecutive weekly reports on one topic, with outlets of different
reliability, analyst annotations, background items and hotspots, so the PDF
shows every part: citations, background marks, the map, the changes box and
the threat chart. The text is written for these tests.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from feeds.models import Annotation, Article, Feed
from reports.models import Publication, Report, Revision, Topic
from reports.roles import Role
from tests.factories import make_article, make_feed, make_topic, make_user

_ARTICLES: list[tuple[str, int, str, str]] = [
    # (outlet key, day of May 2026, title, summary)
    (
        "wire",
        7,
        "ESET details GopherWhisper intrusions at Mongolian ministry",
        "Researchers found at least 12 compromised machines at one government body.",
    ),
    (
        "wire",
        8,
        "Audit finds low compliance with Mongolia's cybersecurity law",
        "Most obliged organisations had not met the 2021 law's duties in 2025.",
    ),
    (
        "local",
        10,
        "UN rights chief Türk praises defenders law in Ulaanbaatar",
        "Volker Türk also heard civil society call corruption the main bottleneck.",
    ),
    (
        "agency",
        9,
        "Mongolia and China announce Steppe Partnership 2026 drills",
        "Ground manoeuvres with live fire are planned on Chinese territory.",
    ),
    (
        "local",
        13,
        "Nomadic Elephant 2025 recalled as India ties deepen",
        "Last year's exercise near Ulaanbaatar focused on counter-terrorism.",
    ),
    (
        "agency",
        7,
        "Trilateral border drills of 2025 back in the news",
        "China, Russia and Mongolia held first joint border defence drills.",
    ),
    (
        "wire",
        8,
        "Lavrov calls Mongolia a priority partner for Moscow",
        "The Russian foreign minister stressed historical ties.",
    ),
    (
        "local",
        11,
        "Power of Siberia 2 route revives sovereignty debate",
        "Critics warn of dependence on Russian energy supply.",
    ),
    (
        "wire",
        12,
        "Third-neighbour talks with Washington cover critical minerals",
        "Officials discussed aviation, energy and minerals ahead of 2027.",
    ),
    (
        "agency",
        12,
        "Inner Mongolia section in US defence act draws Beijing ire",
        "A provision sets up monitoring of the autonomous region.",
    ),
    (
        "local",
        14,
        "Intelligence service opens young officers' year",
        "The General Intelligence Department promotes recruitment.",
    ),
    (
        "wire",
        9,
        "Phishing wave imitates Mongolian tax authority",
        "CERT-MN warned of messages carrying a remote access tool.",
    ),
    (
        "local",
        12,
        "Dzud losses strain herders in Gobi provinces",
        "Livestock losses raise fears of internal migration.",
    ),
    (
        "agency",
        13,
        "Border crossing at Zamyn-Üüd sees record freight",
        "Coal and copper exports through the southern crossing keep rising.",
    ),
]

_OUTLETS: dict[str, tuple[str, str]] = {
    "wire": ("Steppe Wire Service", Feed.Reliability.B),
    "local": ("Ulaanbaatar Daily Monitor", Feed.Reliability.C),
    "agency": ("Eurasia Defence Agency", Feed.Reliability.F),
}


@dataclass
class SampleWeek:
    topic: Topic
    previous: Report
    report: Report
    revision: Revision
    articles: list[Article]
    editor: User
    approver: User


def _article_ids(articles: list[Article], *indexes: int) -> list[int]:
    return [articles[i].pk for i in indexes]


def sample_content(ids: list[int]) -> dict[str, Any]:
    """The content of the 7-14 May report, citing `ids` (14 articles)."""

    def cite(*indexes: int) -> list[int]:
        return [ids[i] for i in indexes]

    return {
        "executive_summary": (
            "Mongolia's security picture for the week was shaped by a persistent "
            "China-aligned cyber-espionage campaign against government networks, "
            "weak compliance with the country's own cybersecurity law, and a busy "
            'diplomatic calendar with both neighbours and "third neighbours".\n\n'
            "Preparations for the Steppe Partnership 2026 exercise with China and "
            "renewed talk of the Power of Siberia 2 pipeline underline the balancing "
            "act between Beijing and Moscow. We assess the threat level as "
            "elevated, driven mainly by the cyber domain."
        ),
        "key_developments": [
            {
                "title": "GopherWhisper intrusions at a government ministry",
                "body": (
                    "Researchers described a China-aligned group, GopherWhisper, "
                    "that used Outlook, Slack and Discord for command and control. "
                    "At least 12 systems at one ministry were compromised."
                ),
                "source_ids": cite(0, 11),
                "in_period": True,
            },
            {
                "title": "Low compliance with the 2021 cybersecurity law",
                "body": (
                    "An audit published on 8 May found most obliged organisations "
                    "short of the law's duties in 2025, with uneven audit quality."
                ),
                "source_ids": cite(1),
                "in_period": True,
            },
            {
                "title": "UN High Commissioner Türk visits Ulaanbaatar",
                "body": (
                    "Volker Türk praised the region's first law protecting human "
                    "rights defenders and heard civil society name corruption as "
                    "the main bottleneck to development."
                ),
                "source_ids": cite(2),
                "in_period": True,
            },
            {
                "title": "Steppe Partnership 2026 announced with China",
                "body": (
                    "Ground manoeuvres with live fire are planned on Chinese "
                    "territory from 26 May to 10 June 2026."
                ),
                "source_ids": cite(3),
                "in_period": True,
            },
            {
                "title": "Nomadic Elephant 2025 with India",
                "body": (
                    "Reporting this week recalled the 17th edition of the exercise, "
                    "held near Ulaanbaatar from 31 May to 13 June 2025."
                ),
                "source_ids": cite(4),
                "in_period": False,
            },
            {
                "title": "Border Defence Cooperation 2025 drills",
                "body": (
                    "The first trilateral border defence drills of China, Russia and "
                    "Mongolia took place in September 2025."
                ),
                "source_ids": cite(5),
                "in_period": False,
            },
            {
                "title": "Moscow calls Mongolia a priority partner",
                "body": "Sergey Lavrov's remarks on 8 May stressed strategic ties.",
                "source_ids": cite(6),
                "in_period": True,
            },
            {
                "title": "Power of Siberia 2 and sovereignty concerns",
                "body": (
                    "Commentators warned that the pipeline's route would deepen "
                    "dependence on Russian energy."
                ),
                "source_ids": cite(7),
                "in_period": True,
            },
            {
                "title": "Third-neighbour talks with the United States",
                "body": (
                    "Talks covered civil aviation, renewable energy and critical "
                    "minerals ahead of the 2027 anniversary of relations."
                ),
                "source_ids": cite(8, 9),
                "in_period": True,
            },
        ],
        "geopolitical_impact": (
            "Mongolia keeps close security ties with both neighbours while using "
            "its third-neighbour policy as a counterweight.\n\nThe cyber campaign "
            "shows tensions that official relations do not."
        ),
        "military_analysis": (
            "Joint exercises with China, and recollection of drills with India and "
            "the trilateral border drills, point to a force built for peacekeeping "
            "and border security rather than territorial defence."
        ),
        "outlook": {
            "short_term": "Steppe Partnership 2026 will dominate the next month.",
            "flashpoints": "Government networks; the Power of Siberia 2 route.",
            "indicators": "New advisories from CERT-MN; pipeline statements.",
            "recommendations": "Close the compliance gap; diversify partners.",
        },
        "assessment": {
            "threat_level": "elevated",
            "rationale": (
                "An active state-aligned intrusion set against government "
                "networks, with low compliance, outweighs a stable military and "
                "diplomatic picture."
            ),
            "hotspots": [
                {
                    "label": "Ulaanbaatar",
                    "detail": "Ministries targeted by GopherWhisper.",
                    "lat": 47.9188,
                    "lng": 106.9175,
                    "intensity": 3,
                    "source_ids": cite(0, 11),
                },
                {
                    "label": "Zamyn-Üüd border crossing",
                    "detail": "Record freight; staging for exercise transit.",
                    "lat": 43.7167,
                    "lng": 111.9,
                    "intensity": 2,
                    "source_ids": cite(3, 13),
                },
                {
                    "label": "Sükhbaatar (Russian border)",
                    "detail": "Proposed Power of Siberia 2 corridor.",
                    "lat": 50.2314,
                    "lng": 106.2078,
                    "intensity": 2,
                    "source_ids": cite(7),
                },
                {
                    "label": "Dalanzadgad (South Gobi)",
                    "detail": "Dzud losses and herder migration.",
                    "lat": 43.57,
                    "lng": 104.4167,
                    "intensity": 1,
                    "source_ids": cite(12),
                },
                {
                    "label": "Hohhot (Inner Mongolia, China)",
                    "detail": "Subject of the new US monitoring provision.",
                    "lat": 40.8175,
                    "lng": 111.6738,
                    "intensity": 1,
                    "source_ids": cite(9),
                },
            ],
        },
    }


def _previous_content(ids: list[int]) -> dict[str, Any]:
    """The 30 April-6 May report: guarded, two hotspots."""
    return {
        "executive_summary": "A quiet week dominated by diplomacy.",
        "key_developments": [
            {
                "title": "Lavrov visit prepared",
                "body": "Officials prepared a visit by the Russian minister.",
                "source_ids": ids[:1],
                "in_period": True,
            }
        ],
        "geopolitical_impact": "Balancing continues.",
        "military_analysis": "Routine training.",
        "outlook": {
            "short_term": "More diplomacy.",
            "flashpoints": "None identified.",
            "indicators": "Visits.",
            "recommendations": "Monitor.",
        },
        "assessment": {
            "threat_level": "guarded",
            "rationale": "No specific threat identified.",
            "hotspots": [
                {
                    "label": "Ulaanbaatar",
                    "detail": "Diplomatic visits.",
                    "lat": 47.92,
                    "lng": 106.92,
                    "intensity": 1,
                    "source_ids": ids[:1],
                },
                {
                    "label": "Choibalsan",
                    "detail": "Eastern garrison exercise.",
                    "lat": 48.07,
                    "lng": 114.53,
                    "intensity": 1,
                    "source_ids": ids[:1],
                },
            ],
        },
    }


def sample_week(*, publish_previous: bool = True) -> SampleWeek:
    """Create the topic, its outlets, two weeks of reporting and both reports.

    The 7-14 May report ends approved (revision 3: offline draft, an edit by
    `editor`, approved by `approver`) and ready to publish; the previous week
    is published when `publish_previous`.
    """
    editor = make_user(Role.EDITOR, first_name="Dana", last_name="Batbold")
    approver = make_user(Role.EDITOR, first_name="Oyun", last_name="Erdene")
    analyst = make_user(Role.ANALYST)
    topic = make_topic(name="Mongolia", slug="mongolia-sample", country_code="MN")
    feeds = {
        key: make_feed(title=title, reliability=reliability)
        for key, (title, reliability) in _OUTLETS.items()
    }
    topic.feeds.add(*feeds.values())

    articles = [
        make_article(
            feeds[outlet],
            title=title,
            summary=summary,
            url=f"https://news.example.org/{outlet}/2026/05/{day:02d}/{n}",
            published_at=dt.datetime(2026, 5, day, 9, 30, tzinfo=dt.UTC),
        )
        for n, (outlet, day, title, summary) in enumerate(_ARTICLES)
    ]
    # One extra article consulted but never cited.
    articles.append(
        make_article(
            feeds["wire"],
            title="Mongolian parliament debates budget amendment",
            url="https://news.example.org/wire/2026/05/13/budget",
            published_at=dt.datetime(2026, 5, 13, 8, tzinfo=dt.UTC),
        )
    )
    for index, credibility in ((0, 2), (1, 1), (3, 3), (4, 2)):
        Annotation.objects.create(
            article=articles[index], analyst=analyst, credibility=credibility
        )

    old_articles = [
        make_article(
            feeds["wire"],
            title="Russian foreign minister to visit Ulaanbaatar",
            published_at=dt.datetime(2026, 5, 2, 9, tzinfo=dt.UTC),
        )
    ]
    previous = Report.objects.create(
        topic=topic,
        period_start=dt.date(2026, 4, 30),
        period_end=dt.date(2026, 5, 6),
        state=Report.State.PUBLISHED,
    )
    old_ids = [a.pk for a in old_articles]
    previous_revision = Revision.objects.create(
        report=previous,
        number=1,
        origin=Revision.Origin.OFFLINE,
        content=_previous_content(old_ids),
        backend="offline",
        input_article_ids=old_ids,
    )
    previous.latest_revision = previous.approved_revision = previous_revision
    previous.published_revision = previous_revision
    previous.approved_by = approver
    previous.save()
    if publish_previous:
        Publication.objects.create(
            report=previous,
            revision=previous_revision,
            pdf="publications/previous.pdf",
            sha256="0" * 64,
            size=1,
            published_by=approver,
            published_at=timezone.now() - dt.timedelta(days=7),
        )

    ids = [a.pk for a in articles]
    report = Report.objects.create(
        topic=topic,
        period_start=dt.date(2026, 5, 7),
        period_end=dt.date(2026, 5, 14),
        state=Report.State.APPROVED,
    )
    draft = Revision.objects.create(
        report=report,
        number=1,
        origin=Revision.Origin.OFFLINE,
        content=sample_content(ids),
        backend="offline",
        prompt_version="offline-1",
        input_article_ids=ids,
    )
    edited = sample_content(ids)
    edited["executive_summary"] += "\n\nEdited by the desk."
    second = Revision.objects.create(
        report=report,
        number=2,
        parent=draft,
        origin=Revision.Origin.HUMAN,
        author=editor,
        content=edited,
    )
    final = Revision.objects.create(
        report=report,
        number=3,
        parent=second,
        origin=Revision.Origin.HUMAN,
        author=editor,
        content=edited,
        note="Tightened the summary.",
    )
    report.latest_revision = report.approved_revision = final
    report.approved_by = approver
    report.approved_at = timezone.now()
    report.save()
    return SampleWeek(
        topic=topic,
        previous=previous,
        report=report,
        revision=final,
        articles=articles,
        editor=editor,
        approver=approver,
    )


def make_publication(
    report: Report,
    *,
    data: bytes | None = None,
    revision: Revision | None = None,
    by: User | None = None,
    at: dt.datetime | None = None,
) -> Publication:
    """A stored publication of given bytes, without rendering (fast)."""
    import hashlib

    from reports.publishing import pdf_store

    revision = revision or report.latest_revision
    assert revision is not None
    data = data if data is not None else b"%PDF-1.7 test " + bytes(range(256)) * 40
    digest = hashlib.sha256(data).hexdigest()
    return Publication.objects.create(
        report=report,
        revision=revision,
        pdf=pdf_store(data, digest=digest),
        sha256=digest,
        size=len(data),
        published_by=by or make_user(Role.EDITOR),
        published_at=at or timezone.now(),
    )


def latest(report: Report) -> Revision:
    """The report's latest revision, which every test report has."""
    assert report.latest_revision is not None
    return report.latest_revision

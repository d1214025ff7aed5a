"""Checks every machine draft passes before it may become a revision.

`draft_problems()` lists what must be repaired (schema, citations, empty
sections, raw JSON in prose, `in_period` contradicting the cited dates);
`draft_flags()` lists what an editor should look at but may be right (a
hotspot outside the topic's area, such as a neighbouring region).
"""

import re
from typing import Any

from reports.content import (
    OUTLOOK_TITLES,
    SECTION_TITLES,
    Problem,
    ReportContent,
    citation_problems,
    parse_content,
    schema_problems,
)
from reports.geo import in_area
from reports.selection import Selection

AREA_MARGIN_DEG = 1.0

# What leaked JSON and Markdown look like in prose: fences, escaped newlines,
# quoted keys, a trailing ellipsis standing for cut output.
_RAW_MARKUP = re.compile(r"```|\\n|\{\s*\"[a-z_]+\"\s*:|^\s*\.\.\.\s*$", re.MULTILINE)


def draft_problems(content: Any, *, selection: Selection) -> list[Problem]:
    """Everything that stops a draft from being saved, schema first."""
    problems = schema_problems(content)
    if problems:
        return problems
    parsed = parse_content(content)
    return (
        citation_problems(parsed, allowed_source_ids=selection.source_ids)
        + _completeness_problems(parsed)
        + _markup_problems(parsed)
        + _period_problems(parsed, selection=selection)
    )


def draft_flags(content: ReportContent, *, selection: Selection) -> list[str]:
    """Points an editor should check; none of them blocks saving."""
    topic = selection.topic
    flags = []
    for index, spot in enumerate(content.assessment.hotspots):
        inside = in_area(
            spot.lat,
            spot.lng,
            south=topic.area_south,
            west=topic.area_west,
            north=topic.area_north,
            east=topic.area_east,
            margin_deg=AREA_MARGIN_DEG,
        )
        if not inside:
            flags.append(
                f"assessment.hotspots.{index}: {spot.label} ({spot.lat:.3f}, "
                f"{spot.lng:.3f}) lies outside {topic.name}'s area; check the "
                "place and its coordinates"
            )
    if selection.thin:
        flags.append(
            f"reporting was thin: {selection.in_period_stories} stories in the period"
        )
    return flags


def _completeness_problems(content: ReportContent) -> list[Problem]:
    problems = []
    for key in ("executive_summary", "geopolitical_impact", "military_analysis"):
        if not getattr(content, key).strip():
            problems.append(Problem(key, f"{SECTION_TITLES[key]} is empty"))
    for key, title in OUTLOOK_TITLES.items():
        if not getattr(content.outlook, key).strip():
            problems.append(Problem(f"outlook.{key}", f"{title} is empty"))
    if not content.key_developments:
        problems.append(Problem("key_developments", "no key development is given"))
    if not content.assessment.threat_level:
        problems.append(Problem("assessment.threat_level", "no threat level is set"))
    if not content.assessment.rationale.strip():
        problems.append(Problem("assessment.rationale", "the rationale is empty"))
    return problems


def _texts(content: ReportContent) -> list[tuple[str, str]]:
    texts = [
        ("executive_summary", content.executive_summary),
        ("geopolitical_impact", content.geopolitical_impact),
        ("military_analysis", content.military_analysis),
        ("assessment.rationale", content.assessment.rationale),
    ]
    texts += [
        (f"outlook.{key}", getattr(content.outlook, key)) for key in OUTLOOK_TITLES
    ]
    for i, dev in enumerate(content.key_developments):
        texts += [(f"key_developments.{i}.title", dev.title)]
        texts += [(f"key_developments.{i}.body", dev.body)]
    for i, spot in enumerate(content.assessment.hotspots):
        texts += [(f"assessment.hotspots.{i}.label", spot.label)]
        texts += [(f"assessment.hotspots.{i}.detail", spot.detail)]
    return texts


def _markup_problems(content: ReportContent) -> list[Problem]:
    return [
        Problem(path, "holds raw JSON or Markdown code; write plain prose")
        for path, text in _texts(content)
        if _RAW_MARKUP.search(text)
    ]


def _period_problems(content: ReportContent, *, selection: Selection) -> list[Problem]:
    """A development marked in_period must rest on reporting from the period."""
    problems = []
    for index, dev in enumerate(content.key_developments):
        cited = [selection.source(i) for i in dev.source_ids]
        known = [s for s in cited if s is not None]
        if dev.in_period and known and all(s.background for s in known):
            problems.append(
                Problem(
                    f"key_developments.{index}",
                    "is marked in_period, but every source it cites was "
                    f"published before {selection.period_start:%d %b %Y}; set "
                    "in_period to false or cite reporting from the period",
                )
            )
    return problems

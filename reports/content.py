"""The report content schema: one revision's snapshot, and its rules.

The drafters, the editor, the approval checks and the PDF all read content
through `parse_content()` and judge it with `content_problems()`, so one set
of rules holds everywhere.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ThreatLevel = Literal["low", "guarded", "elevated", "high", "critical"]

# Written for editors and printed in every PDF beside the badge.
THREAT_LEVELS: dict[str, str] = {
    "low": (
        "No credible indication of threats to security or stability; "
        "routine monitoring suffices."
    ),
    "guarded": (
        "General risk with no specific threat; isolated incidents are "
        "possible but contained."
    ),
    "elevated": (
        "Significant risk: identified threat actors or tensions are active, "
        "and incidents affecting security are likely."
    ),
    "high": (
        "Specific, credible threats or ongoing incidents with a clear impact "
        "on security; serious escalation is possible."
    ),
    "critical": (
        "Severe incidents under way or imminent: armed conflict, major "
        "attack or breakdown of order."
    ),
}
THREAT_ORDER: list[str] = list(THREAT_LEVELS)

SECTION_TITLES: dict[str, str] = {
    "executive_summary": "Executive Summary",
    "key_developments": "Key Security Developments",
    "geopolitical_impact": "Geopolitical Impact and Regional Dynamics",
    "military_analysis": "Military and Defense Analysis",
    "outlook": "Outlook and Forecast",
    "assessment": "Structured Assessment",
}
OUTLOOK_TITLES: dict[str, str] = {
    "short_term": "Short-term trends (1-3 months)",
    "flashpoints": "Critical flashpoints and risk areas",
    "indicators": "Indicators to monitor",
    "recommendations": "Strategic recommendations",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class KeyDevelopment(_Strict):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1)
    source_ids: list[int] = Field(default_factory=list)
    in_period: bool = True


class Outlook(_Strict):
    short_term: str = ""
    flashpoints: str = ""
    indicators: str = ""
    recommendations: str = ""


class Hotspot(_Strict):
    label: str = Field(min_length=1, max_length=200)
    detail: str = ""
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    intensity: Literal[1, 2, 3]
    source_ids: list[int] = Field(default_factory=list)


class Assessment(_Strict):
    threat_level: ThreatLevel | Literal[""] = ""
    rationale: str = ""
    hotspots: list[Hotspot] = Field(default_factory=list)


class ReportContent(_Strict):
    executive_summary: str = ""
    key_developments: list[KeyDevelopment] = Field(default_factory=list)
    geopolitical_impact: str = ""
    military_analysis: str = ""
    outlook: Outlook = Field(default_factory=Outlook)
    assessment: Assessment = Field(default_factory=Assessment)


@dataclass(frozen=True)
class Problem:
    """One broken rule, located by section path (`key_developments.3`)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def empty_content() -> dict[str, Any]:
    return ReportContent().model_dump()


def schema_problems(content: Any) -> list[Problem]:
    """One problem per field that breaks the schema, located by section path.

    A field that may take several forms (the threat level: a level or empty)
    fails once per form under names like `literal[...]`; people need one line
    for the field, without the validator's inner names.
    """
    try:
        ReportContent.model_validate(content)
    except ValidationError as exc:
        problems: dict[str, Problem] = {}
        for err in exc.errors():
            parts = [str(p) for p in err["loc"] if "[" not in str(p)]
            path = ".".join(parts)
            problems.setdefault(path, Problem(path, err["msg"]))
        return list(problems.values())
    return []


def parse_content(content: Any) -> ReportContent:
    """Validate and return the content; raises pydantic's ValidationError."""
    return ReportContent.model_validate(content)


def cited_source_ids(content: ReportContent) -> list[int]:
    """Every cited article id, in order of first citation."""
    seen: dict[int, None] = {}
    for dev in content.key_developments:
        seen.update(dict.fromkeys(dev.source_ids))
    for spot in content.assessment.hotspots:
        seen.update(dict.fromkeys(spot.source_ids))
    return list(seen)


def citation_problems(
    content: ReportContent, *, allowed_source_ids: Iterable[int]
) -> list[Problem]:
    """Uncited developments and hotspots, and citations of unknown articles."""
    allowed = set(allowed_source_ids)
    problems: list[Problem] = []
    items: list[tuple[str, list[int]]] = [
        (f"key_developments.{i}", dev.source_ids)
        for i, dev in enumerate(content.key_developments)
    ] + [
        (f"assessment.hotspots.{i}", spot.source_ids)
        for i, spot in enumerate(content.assessment.hotspots)
    ]
    for path, ids in items:
        if not ids:
            problems.append(Problem(path, "cites no source"))
        unknown = sorted(set(ids) - allowed)
        if unknown:
            listed = ", ".join(str(i) for i in unknown)
            problems.append(
                Problem(path, f"cites articles not given for this report: {listed}")
            )
    return problems


def content_problems(
    content: Any, *, allowed_source_ids: Iterable[int]
) -> list[Problem]:
    """Schema and citation problems of raw content, schema first."""
    problems = schema_problems(content)
    if problems:
        return problems
    return citation_problems(
        parse_content(content), allowed_source_ids=allowed_source_ids
    )

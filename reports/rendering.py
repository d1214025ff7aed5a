"""A revision's content as a PDF: content -> document -> HTML -> PDF.

`document_build()` gathers everything the page shows (annex numbers, the map,
the changes since the last published report, the colophon) into plain
dataclasses; `html_render()` typesets them with `templates/pdf/report.html`;
`pdf_render()` hands the HTML to WeasyPrint with a fetcher that serves the
project's own static files and nothing else.

Every piece of text is treated as untrusted: it is cleaned of markup and of
the escape debris machine drafts leave behind, then escaped by the template.
"""

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from feeds.models import Tlp
from reports.annex import Annex, annex_for_revision
from reports.content import (
    OUTLOOK_TITLES,
    SECTION_TITLES,
    THREAT_LEVELS,
    parse_content,
)
from reports.diffing import ChangeKind, last_published_revision, revision_diff
from reports.models import Publication, Report, Revision
from reports.pdfcharts import THREAT_COLOURS, ThreatPoint, threat_history_svg
from reports.pdfmap import INTENSITY_COLOURS, INTENSITY_NAMES, MapPoint, map_svg

logger = logging.getLogger(__name__)

# Documents are given this base so relative links resolve to a host that can
# never exist (.invalid is reserved); the fetcher maps its /static/ paths to
# the project's static files and refuses everything else.

ANNEX_TITLE = "Annex: Source Articles"
TLP_COLOURS: dict[str, str] = {
    Tlp.CLEAR: "#ffffff",
    Tlp.GREEN: "#33ff00",
    Tlp.AMBER: "#ffc000",
    Tlp.AMBER_STRICT: "#ffc000",
    Tlp.RED: "#ff2b2b",
}
TLP_RULES: dict[str, str] = {
    Tlp.CLEAR: "Recipients may share this report without limit.",
    Tlp.GREEN: "Recipients may share this report within their community, "
    "not through public channels.",
    Tlp.AMBER: "Recipients may share this report only on a need-to-know basis "
    "within their organisation and its clients.",
    Tlp.AMBER_STRICT: "Recipients may share this report only on a need-to-know "
    "basis within their own organisation.",
    Tlp.RED: "For the named recipients only; no further disclosure.",
}


class RenderError(Exception):
    """The content cannot be typeset (it breaks the schema)."""


# --- Text: untrusted strings made fit to typeset ------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SCRIPTLIKE = re.compile(
    r"<(script|style|iframe|object|embed|svg|math)\b.*?(</\1\s*>|$)",
    re.IGNORECASE | re.DOTALL,
)
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9:-]*(\s[^<>]*)?/?>")
_FENCE_LINE = re.compile(r"^[ \t]*(```|~~~)[\w+-]*[ \t]*$", re.MULTILINE)
_HEADING_MARK = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")


def clean_text(value: object) -> str:
    """Plain text without markup, control characters or escape debris.

    Drafts from language models sometimes carry JSON escapes (a literal
    backslash-n), code fences and Markdown markers; articles may carry HTML.
    None of it belongs in a typeset report. The result still needs HTML
    escaping, which the template does.
    """
    text = str(value or "")
    text = text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\t", " ")
    text = text.replace('\\"', '"').replace("\\'", "'")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _SCRIPTLIKE.sub("", text)
    text = _TAG.sub("", text)
    text = _FENCE_LINE.sub("", text).replace("```", "")
    text = _HEADING_MARK.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def paragraphs(value: object) -> list[str]:
    """Cleaned text split into paragraphs at blank lines."""
    blocks = re.split(r"\n\s*\n", clean_text(value))
    return [re.sub(r"\s*\n\s*", " ", b).strip() for b in blocks if b.strip()]


# --- The document: everything the page shows ----------------------------------


@dataclass(frozen=True)
class Development:
    number: int
    title: str
    paragraphs: list[str]
    markers: list[int]
    background: bool


@dataclass(frozen=True)
class HotspotRow:
    number: int
    label: str
    detail: str
    coordinates: str
    intensity: int
    intensity_name: str
    colour: str
    markers: list[int]


@dataclass(frozen=True)
class HotspotChange:
    label: str
    note: str


@dataclass(frozen=True)
class Changes:
    """What moved since the topic's previous published report."""

    previous_title: str
    threat_before: str
    threat_after: str
    added: list[HotspotChange] = field(default_factory=list)
    moved: list[HotspotChange] = field(default_factory=list)
    removed: list[HotspotChange] = field(default_factory=list)

    @property
    def threat_direction(self) -> str:
        order = list(THREAT_LEVELS)
        if self.threat_before == self.threat_after:
            return "unchanged"
        if self.threat_before not in order:
            return "set"
        if self.threat_after not in order:
            return "cleared"
        delta = order.index(self.threat_after) - order.index(self.threat_before)
        return "raised" if delta > 0 else "lowered" if delta < 0 else "unchanged"

    @property
    def nothing_changed(self) -> bool:
        return (
            self.threat_direction == "unchanged"
            and not self.added
            and not self.moved
            and not self.removed
        )


@dataclass(frozen=True)
class Colophon:
    drafter: str
    editors: list[str]
    approver: str
    publisher: str
    revision_number: int
    published_at: dt.datetime


@dataclass(frozen=True)
class ReportDocument:
    topic_name: str
    title: str
    subtitle: str
    short_title: str
    reference: str
    period_start: dt.date
    period_end: dt.date
    tlp_label: str
    tlp_colour: str
    tlp_rule: str
    disclaimer: str
    executive_summary: list[str]
    developments: list[Development]
    geopolitical_impact: list[str]
    military_analysis: list[str]
    outlook: list[tuple[str, list[str]]]
    threat_level: str
    threat_definition: str
    threat_colour: str
    rationale: list[str]
    hotspots: list[HotspotRow]
    map_svg: str
    chart_svg: str
    changes: Changes | None
    annex: Annex
    colophon: Colophon
    section_titles: dict[str, str]


def document_build(
    *,
    report: Report,
    revision: Revision,
    published_at: dt.datetime | None = None,
    publisher: Any = None,
) -> ReportDocument:
    """Gather what the PDF of `revision` shows; raises RenderError on bad content."""
    if revision.report_id != report.pk:
        raise RenderError("The revision belongs to another report.")
    try:
        content = parse_content(revision.content)
    except ValueError as exc:
        raise RenderError(f"The revision's content breaks the schema: {exc}") from exc
    published_at = published_at or timezone.now()
    topic = report.topic
    annex = annex_for_revision(revision, content)
    colophon = _colophon(report, revision, published_at, publisher)
    level = content.assessment.threat_level

    developments = [
        Development(
            number=i,
            title=clean_text(dev.title),
            paragraphs=paragraphs(dev.body),
            markers=annex.markers(dev.source_ids),
            background=not dev.in_period,
        )
        for i, dev in enumerate(content.key_developments, start=1)
    ]
    hotspots = [
        HotspotRow(
            number=i,
            label=clean_text(spot.label),
            detail=clean_text(spot.detail),
            coordinates=format_coordinates(spot.lat, spot.lng),
            intensity=spot.intensity,
            intensity_name=INTENSITY_NAMES[spot.intensity],
            colour=INTENSITY_COLOURS[spot.intensity],
            markers=annex.markers(spot.source_ids),
        )
        for i, spot in enumerate(content.assessment.hotspots, start=1)
    ]
    points = [
        MapPoint(
            number=row.number,
            label=row.label,
            lat=spot.lat,
            lng=spot.lng,
            intensity=spot.intensity,
        )
        for row, spot in zip(hotspots, content.assessment.hotspots, strict=True)
    ]
    area = (topic.area_west, topic.area_south, topic.area_east, topic.area_north)
    period = format_period(report.period_start, report.period_end)
    machine = colophon.drafter
    return ReportDocument(
        topic_name=topic.name,
        title=f"{topic.name} Security Analysis Report",
        subtitle=(
            "AI-Assisted Open Source Intelligence Assessment"
            if machine.startswith("Claude")
            else "Open Source Intelligence Assessment"
        ),
        short_title=f"{topic.name} Security Analysis · {period}",
        reference=_reference(report, revision),
        period_start=report.period_start,
        period_end=report.period_end,
        tlp_label=Tlp(report.tlp).label,
        tlp_colour=TLP_COLOURS.get(report.tlp, "#ffffff"),
        tlp_rule=TLP_RULES.get(report.tlp, ""),
        disclaimer=_disclaimer(report, machine),
        executive_summary=paragraphs(content.executive_summary),
        developments=developments,
        geopolitical_impact=paragraphs(content.geopolitical_impact),
        military_analysis=paragraphs(content.military_analysis),
        outlook=[
            (title, paragraphs(getattr(content.outlook, key)))
            for key, title in OUTLOOK_TITLES.items()
        ],
        threat_level=level,
        threat_definition=THREAT_LEVELS.get(level, ""),
        threat_colour=THREAT_COLOURS.get(level, "#4a5563"),
        rationale=paragraphs(content.assessment.rationale),
        hotspots=hotspots,
        map_svg=map_svg(
            area=area, points=points, country_code=topic.country_code, height=340
        ),
        chart_svg=threat_history_svg(_threat_history(report, level)),
        changes=_changes_since_previous(report, revision),
        annex=annex,
        colophon=colophon,
        section_titles={**SECTION_TITLES, "annex": ANNEX_TITLE},
    )


def html_render(document: ReportDocument) -> str:
    return render_to_string("pdf/report.html", {"doc": document})


def report_pdf(
    *,
    report: Report,
    revision: Revision,
    published_at: dt.datetime | None = None,
    publisher: Any = None,
) -> bytes:
    """The PDF bytes of one revision of a report."""
    document = document_build(
        report=report, revision=revision, published_at=published_at, publisher=publisher
    )
    # WeasyPrint takes seconds to import (it loads Pango through cffi); load it
    # only when a PDF is made, so web and worker processes start quickly.
    from reports.pdfengine import pdf_render

    return pdf_render(html_render(document))


# --- Formatting helpers --------------------------------------------------------


def format_period(start: dt.date, end: dt.date) -> str:
    """'7–14 May 2026', '28 April – 4 May 2026', '29 Dec 2025 – 4 Jan 2026'."""
    if start.year != end.year:
        return f"{start:%-d %B %Y} – {end:%-d %B %Y}"
    if start.month != end.month:
        return f"{start:%-d %B} – {end:%-d %B %Y}"
    return f"{start:%-d}–{end:%-d %B %Y}"


def format_coordinates(lat: float, lng: float) -> str:
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lng >= 0 else "W"
    return f"{abs(lat):.3f}° {ns}, {abs(lng):.3f}° {ew}"


def _reference(report: Report, revision: Revision) -> str:
    code = (report.topic.country_code or report.topic.slug[:6]).upper()
    return f"OSD-{code}-{report.period_end:%Y%m%d}-R{revision.number}"


def _disclaimer(report: Report, drafter: str) -> str:
    period = format_period(report.period_start, report.period_end)
    how = (
        "drafted with the help of an AI model"
        if drafter.startswith("Claude")
        else "drafted by the desk's offline extractive tool (no AI)"
        if drafter.startswith("Offline")
        else "written by the desk's editors"
    )
    return (
        "This assessment rests only on publicly available reporting collected "
        f"from news and agency feeds for {period}. It was {how}, then reviewed "
        "and approved by the desk's editors. Numbered markers point to the "
        "source articles listed in the annex with their Admiralty grading; "
        "developments marked Background concern events outside the analysis "
        "period. Cross-check against primary sources before acting on it."
    )


def _person(user: Any) -> str:
    if user is None:
        return "—"
    full = user.get_full_name().strip()
    return f"{full} ({user.get_username()})" if full else user.get_username()


def _colophon(
    report: Report, revision: Revision, published_at: dt.datetime, publisher: Any
) -> Colophon:
    lineage = list(
        Revision.objects.filter(report_id=report.pk, number__lte=revision.number)
        .select_related("author")
        .order_by("number")
    )
    machine = next(
        (
            r
            for r in reversed(lineage)
            if r.origin in (Revision.Origin.AI, Revision.Origin.OFFLINE)
        ),
        None,
    )
    if machine is None:
        drafter = "None: written by editors"
    elif machine.origin == Revision.Origin.AI:
        drafter = f"Claude, model {machine.model_name or 'not recorded'}"
    else:
        drafter = "Offline drafter (extractive, no AI)"
    editors = list(
        dict.fromkeys(
            _person(r.author)
            for r in lineage
            if r.origin == Revision.Origin.HUMAN and r.author is not None
        )
    )
    approver = (
        _person(report.approved_by)
        if report.approved_by_id and report.approved_revision_id == revision.pk
        else "—"
    )
    return Colophon(
        drafter=drafter,
        editors=editors,
        approver=approver,
        publisher=_person(publisher) if publisher is not None else "—",
        revision_number=revision.number,
        published_at=published_at,
    )


def _current_publications(report: Report) -> list[Publication]:
    """The newest publication of each earlier, still published report."""
    rows = (
        Publication.objects.filter(
            report__topic_id=report.topic_id,
            report__period_end__lt=report.period_end,
        )
        .exclude(report_id=report.pk)
        .exclude(report__state=Report.State.WITHDRAWN)
        .select_related("report", "revision")
        .order_by("report__period_end", "published_at", "id")
    )
    newest: dict[int, Publication] = {}
    for publication in rows:
        newest[publication.report_id] = publication
    return sorted(newest.values(), key=lambda p: p.report.period_end)


def _threat_history(report: Report, current_level: str) -> list[ThreatPoint]:
    points = []
    for publication in _current_publications(report)[-9:]:
        level = (publication.revision.content.get("assessment") or {}).get(
            "threat_level", ""
        )
        points.append(ThreatPoint(f"{publication.report.period_end:%-d %b}", level))
    points.append(ThreatPoint(f"{report.period_end:%-d %b}", current_level, True))
    return points


def _changes_since_previous(report: Report, revision: Revision) -> Changes | None:
    """The assessment's changes against what subscribers last received."""
    previous = last_published_revision(report=report, excluding=revision)
    if previous is None:
        return None
    diff = revision_diff(old=previous, new=revision)
    before = (previous.content.get("assessment") or {}).get("threat_level", "")
    after = (revision.content.get("assessment") or {}).get("threat_level", "")

    notes: dict[str, list[str]] = {}
    for move in diff.hotspots_moved:
        if move.km < 1:
            continue  # a correction of the last digits, not a move
        notes.setdefault(clean_text(move.label), []).append(f"moved {move.km:,.0f} km")
    for change in diff.changes(ChangeKind.INTENSITY):
        if change.path.startswith("assessment.hotspots.") and change.after in (1, 2, 3):
            index = int(change.path.split(".")[2])
            label = clean_text(
                revision.content["assessment"]["hotspots"][index]["label"]
            )
            notes.setdefault(label, []).append(
                f"intensity {INTENSITY_NAMES[change.before].lower()} → "
                f"{INTENSITY_NAMES[change.after].lower()}"
            )
    old_report = previous.report
    return Changes(
        previous_title=format_period(old_report.period_start, old_report.period_end),
        threat_before=before,
        threat_after=after,
        added=[
            HotspotChange(clean_text(h.label), INTENSITY_NAMES[h.intensity].lower())
            for h in diff.hotspots_added
        ],
        moved=[HotspotChange(label, ", ".join(n)) for label, n in notes.items()],
        removed=[HotspotChange(clean_text(h.label), "") for h in diff.hotspots_removed],
    )

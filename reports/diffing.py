"""What changed between two revisions of report content.

Section by section, in the order of the content schema: text is compared
word by word; the assessment is compared by meaning (threat level raised
from X to Y, hotspot moved by N km, intensity changed, hotspot added or
removed) and citations as sources added or removed. The result is plain
dataclasses, so the editor, the API and the PDF's "changes since the last
published report" box all read the same facts; `diff_html()` renders it for
the admin.
"""

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from reports.content import (
    OUTLOOK_TITLES,
    SECTION_TITLES,
    THREAT_ORDER,
    Hotspot,
    KeyDevelopment,
    ReportContent,
    cited_source_ids,
    parse_content,
)
from reports.geo import distance_km
from reports.models import Publication, Report, Revision

# A hotspot whose position changed by less than this did not move; it is
# the rounding of a hand-typed coordinate, not news.
MIN_MOVE_KM = 0.05
# Unmatched hotspots this close are one place renamed, not one removed and
# another added.
SAME_PLACE_KM = 100.0
# Unmatched developments at least this alike are one development retitled.
SAME_STORY_RATIO = 0.5
# Below this share of words kept, a text was rewritten rather than edited,
# and reads better as before and after than as interleaved words.
REWRITE_RATIO = 0.35

_WORD = re.compile(r"\s+|\w+(?:['’]\w+)*|[^\w\s]")


class ChangeKind(StrEnum):
    TEXT = "text"
    ADDED = "added"
    REMOVED = "removed"
    THREAT_LEVEL = "threat_level"
    MOVED = "moved"
    INTENSITY = "intensity"
    SOURCES = "sources"
    IN_PERIOD = "in_period"


@dataclass(frozen=True)
class Word:
    op: Literal["equal", "insert", "delete"]
    text: str


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    path: str
    summary: str
    words: tuple[Word, ...] = ()
    before: Any = None
    after: Any = None
    km: float | None = None
    added_ids: tuple[int, ...] = ()
    removed_ids: tuple[int, ...] = ()

    @property
    def rewritten(self) -> bool:
        """Whether the text was replaced rather than edited."""
        if self.kind != ChangeKind.TEXT or not self.before or not self.after:
            return False
        kept = sum(len(w.text) for w in self.words if w.op == "equal")
        return kept < REWRITE_RATIO * max(len(self.before), len(self.after))


@dataclass(frozen=True)
class SectionDiff:
    key: str
    title: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class ThreatChange:
    before: str
    after: str

    @property
    def direction(self) -> Literal["raised", "lowered", "set", "cleared"]:
        if not self.before:
            return "set"
        if not self.after:
            return "cleared"
        raised = THREAT_ORDER.index(self.after) > THREAT_ORDER.index(self.before)
        return "raised" if raised else "lowered"

    def __str__(self) -> str:
        if self.direction == "set":
            return f"Threat level set to {self.after}"
        if self.direction == "cleared":
            return f"Threat level {self.before} removed"
        return f"Threat level {self.direction} from {self.before} to {self.after}"


@dataclass(frozen=True)
class HotspotRef:
    label: str
    lat: float
    lng: float
    intensity: int


@dataclass(frozen=True)
class HotspotMove:
    label: str
    before: HotspotRef
    after: HotspotRef
    km: float


@dataclass(frozen=True)
class RevisionDiff:
    """Changes from `old` to `new` content; ids and numbers when known."""

    sections: tuple[SectionDiff, ...]
    threat: ThreatChange | None
    hotspots_added: tuple[HotspotRef, ...]
    hotspots_removed: tuple[HotspotRef, ...]
    hotspots_moved: tuple[HotspotMove, ...]
    sources_added: tuple[int, ...]
    sources_removed: tuple[int, ...]
    old_revision_id: int | None = None
    new_revision_id: int | None = None
    old_number: int | None = None
    new_number: int | None = None
    article_titles: dict[int, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(section.changes for section in self.sections)

    def changes(self, *kinds: ChangeKind) -> list[Change]:
        return [
            change
            for section in self.sections
            for change in section.changes
            if not kinds or change.kind in kinds
        ]

    def summary_lines(self) -> list[str]:
        """The assessment's changes in a few sentences, for a summary box."""
        lines: list[str] = []
        if self.threat:
            lines.append(str(self.threat))
        lines += [f"New hotspot: {h.label}" for h in self.hotspots_added]
        lines += [
            f"Hotspot {m.label} moved by {m.km:.1f} km" for m in self.hotspots_moved
        ]
        lines += [f"Hotspot removed: {h.label}" for h in self.hotspots_removed]
        lines += [
            c.summary
            for c in self.changes(ChangeKind.INTENSITY)
            if c.path.startswith("assessment.hotspots")
        ]
        return lines


# --- words -------------------------------------------------------------------


def word_diff(before: str, after: str) -> tuple[Word, ...]:
    """Word-level edit of `before` into `after`; whitespace kept as written."""
    old = _WORD.findall(before or "")
    new = _WORD.findall(after or "")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    words: list[Word] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _push(words, "equal", "".join(old[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            _push(words, "delete", "".join(old[i1:i2]))
        if tag in ("insert", "replace"):
            _push(words, "insert", "".join(new[j1:j2]))
    return tuple(words)


def _push(
    words: list[Word], op: Literal["equal", "insert", "delete"], text: str
) -> None:
    if not text:
        return
    if words and words[-1].op == op:
        words[-1] = Word(op, words[-1].text + text)
    else:
        words.append(Word(op, text))


def _text_change(path: str, label: str, before: str, after: str) -> list[Change]:
    if (before or "") == (after or ""):
        return []
    if not before:
        summary = f"{label} written"
    elif not after:
        summary = f"{label} emptied"
    else:
        summary = f"{label} changed"
    return [
        Change(
            kind=ChangeKind.TEXT,
            path=path,
            summary=summary,
            words=word_diff(before, after),
            before=before,
            after=after,
        )
    ]


def _source_change(
    path: str, label: str, before: Sequence[int], after: Sequence[int]
) -> list[Change]:
    added = tuple(i for i in after if i not in set(before))
    removed = tuple(i for i in before if i not in set(after))
    if not added and not removed:
        return []
    parts = []
    if added:
        parts.append("now cites " + ", ".join(f"[{i}]" for i in added))
    if removed:
        parts.append("no longer cites " + ", ".join(f"[{i}]" for i in removed))
    return [
        Change(
            kind=ChangeKind.SOURCES,
            path=path,
            summary=f"{label} {' and '.join(parts)}",
            added_ids=added,
            removed_ids=removed,
        )
    ]


# --- matching list items --------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _match[T](
    old: Sequence[T],
    new: Sequence[T],
    *,
    key: Callable[[T], str],
    close: Callable[[T, T], float | None],
) -> list[tuple[int | None, int | None]]:
    """Pairs (old index, new index) in the new order; removed items last.

    Items pair first by equal key, then the closest remaining pairs by
    `close` (a distance, None when too far apart to be the same item).
    """
    pairs: dict[int, int] = {}
    free_old = list(range(len(old)))
    for j, item in enumerate(new):
        for i in free_old:
            if key(old[i]) == key(item):
                pairs[j] = i
                free_old.remove(i)
                break

    candidates = sorted(
        (score, i, j)
        for j in range(len(new))
        if j not in pairs
        for i in free_old
        if (score := close(old[i], new[j])) is not None
    )
    for _, i, j in candidates:
        if j not in pairs and i in free_old:
            pairs[j] = i
            free_old.remove(i)

    result: list[tuple[int | None, int | None]] = [
        (pairs.get(j), j) for j in range(len(new))
    ]
    result += [(i, None) for i in free_old]
    return result


def _story_distance(a: KeyDevelopment, b: KeyDevelopment) -> float | None:
    ratio = difflib.SequenceMatcher(
        None, _norm(a.title + " " + a.body), _norm(b.title + " " + b.body)
    ).ratio()
    return 1 - ratio if ratio >= SAME_STORY_RATIO else None


def _place_distance(a: Hotspot, b: Hotspot) -> float | None:
    km = distance_km(a.lat, a.lng, b.lat, b.lng)
    return km if km <= SAME_PLACE_KM else None


# --- sections ---------------------------------------------------------------------


def _developments(old: ReportContent, new: ReportContent) -> list[Change]:
    changes: list[Change] = []
    pairs = _match(
        old.key_developments,
        new.key_developments,
        key=lambda d: _norm(d.title),
        close=_story_distance,
    )
    for i, j in pairs:
        if j is None:
            assert i is not None
            gone = old.key_developments[i]
            changes.append(
                Change(
                    kind=ChangeKind.REMOVED,
                    path=f"key_developments.{i}",
                    summary=f"Development removed: “{gone.title}”",
                    before=gone.model_dump(),
                )
            )
            continue
        dev = new.key_developments[j]
        path = f"key_developments.{j}"
        if i is None:
            changes.append(
                Change(
                    kind=ChangeKind.ADDED,
                    path=path,
                    summary=f"Development added: “{dev.title}”",
                    after=dev.model_dump(),
                )
            )
            continue
        was = old.key_developments[i]
        label = f"Development {j + 1}"
        changes += _text_change(f"{path}.title", f"{label} title", was.title, dev.title)
        changes += _text_change(f"{path}.body", f"{label} text", was.body, dev.body)
        changes += _source_change(path, label, was.source_ids, dev.source_ids)
        if was.in_period != dev.in_period:
            marked = "in the period" if dev.in_period else "background (out of period)"
            changes.append(
                Change(
                    kind=ChangeKind.IN_PERIOD,
                    path=f"{path}.in_period",
                    summary=f"{label} “{dev.title}” now marked {marked}",
                    before=was.in_period,
                    after=dev.in_period,
                )
            )
    return changes


def _ref(spot: Hotspot) -> HotspotRef:
    return HotspotRef(spot.label, spot.lat, spot.lng, spot.intensity)


def _hotspots(
    old: ReportContent, new: ReportContent
) -> tuple[list[Change], list[HotspotRef], list[HotspotRef], list[HotspotMove]]:
    changes: list[Change] = []
    added: list[HotspotRef] = []
    removed: list[HotspotRef] = []
    moved: list[HotspotMove] = []
    before, after = old.assessment.hotspots, new.assessment.hotspots
    pairs = _match(before, after, key=lambda h: _norm(h.label), close=_place_distance)
    for i, j in pairs:
        if j is None:
            assert i is not None
            removed.append(_ref(before[i]))
            changes.append(
                Change(
                    kind=ChangeKind.REMOVED,
                    path=f"assessment.hotspots.{i}",
                    summary=f"Hotspot removed: {before[i].label}",
                    before=before[i].model_dump(),
                )
            )
            continue
        spot = after[j]
        path = f"assessment.hotspots.{j}"
        if i is None:
            added.append(_ref(spot))
            changes.append(
                Change(
                    kind=ChangeKind.ADDED,
                    path=path,
                    summary=(
                        f"Hotspot added: {spot.label} "
                        f"({spot.lat:.4f}, {spot.lng:.4f}), intensity {spot.intensity}"
                    ),
                    after=spot.model_dump(),
                )
            )
            continue
        was = before[i]
        label = f"Hotspot {spot.label}"
        changes += _text_change(f"{path}.label", "Hotspot name", was.label, spot.label)
        km = distance_km(was.lat, was.lng, spot.lat, spot.lng)
        if km >= MIN_MOVE_KM:
            moved.append(HotspotMove(spot.label, _ref(was), _ref(spot), km))
            changes.append(
                Change(
                    kind=ChangeKind.MOVED,
                    path=path,
                    summary=(
                        f"{label} moved by {km:.1f} km, from ({was.lat:.4f}, "
                        f"{was.lng:.4f}) to ({spot.lat:.4f}, {spot.lng:.4f})"
                    ),
                    before=(was.lat, was.lng),
                    after=(spot.lat, spot.lng),
                    km=km,
                )
            )
        if was.intensity != spot.intensity:
            way = "raised" if spot.intensity > was.intensity else "lowered"
            changes.append(
                Change(
                    kind=ChangeKind.INTENSITY,
                    path=f"{path}.intensity",
                    summary=(
                        f"{label} intensity {way} from {was.intensity} "
                        f"to {spot.intensity}"
                    ),
                    before=was.intensity,
                    after=spot.intensity,
                )
            )
        changes += _text_change(
            f"{path}.detail", f"{label} detail", was.detail, spot.detail
        )
        changes += _source_change(path, label, was.source_ids, spot.source_ids)
    return changes, added, removed, moved


def content_diff(old: Any, new: Any) -> RevisionDiff:
    """Compare two content snapshots (dicts as stored, or parsed)."""
    a = old if isinstance(old, ReportContent) else parse_content(old)
    b = new if isinstance(new, ReportContent) else parse_content(new)
    sections: list[SectionDiff] = []

    def section(key: str, changes: list[Change]) -> None:
        sections.append(SectionDiff(key, SECTION_TITLES[key], tuple(changes)))

    for key in ("executive_summary",):
        section(
            key,
            _text_change(key, SECTION_TITLES[key], getattr(a, key), getattr(b, key)),
        )
    section("key_developments", _developments(a, b))
    for key in ("geopolitical_impact", "military_analysis"):
        section(
            key,
            _text_change(key, SECTION_TITLES[key], getattr(a, key), getattr(b, key)),
        )
    outlook: list[Change] = []
    for key, title in OUTLOOK_TITLES.items():
        outlook += _text_change(
            f"outlook.{key}", title, getattr(a.outlook, key), getattr(b.outlook, key)
        )
    section("outlook", outlook)

    assessment: list[Change] = []
    threat = None
    if a.assessment.threat_level != b.assessment.threat_level:
        threat = ThreatChange(a.assessment.threat_level, b.assessment.threat_level)
        assessment.append(
            Change(
                kind=ChangeKind.THREAT_LEVEL,
                path="assessment.threat_level",
                summary=str(threat),
                before=threat.before,
                after=threat.after,
            )
        )
    assessment += _text_change(
        "assessment.rationale",
        "Rationale",
        a.assessment.rationale,
        b.assessment.rationale,
    )
    spot_changes, added, removed, moved = _hotspots(a, b)
    section("assessment", assessment + spot_changes)

    before_ids, after_ids = cited_source_ids(a), cited_source_ids(b)
    sources = _source_change("sources", "The report", before_ids, after_ids)
    sections.append(SectionDiff("sources", "Sources cited", tuple(sources)))
    return RevisionDiff(
        sections=tuple(sections),
        threat=threat,
        hotspots_added=tuple(added),
        hotspots_removed=tuple(removed),
        hotspots_moved=tuple(moved),
        sources_added=sources[0].added_ids if sources else (),
        sources_removed=sources[0].removed_ids if sources else (),
    )


def revision_diff(*, old: Revision, new: Revision) -> RevisionDiff:
    """Compare two revisions (of one report or of two reports of a topic)."""
    from feeds.models import Article

    diff = content_diff(old.content, new.content)
    ids = {
        i
        for change in diff.changes(ChangeKind.SOURCES)
        for i in change.added_ids + change.removed_ids
    }
    titles = dict(Article.objects.filter(pk__in=ids).values_list("pk", "title"))
    return RevisionDiff(
        sections=diff.sections,
        threat=diff.threat,
        hotspots_added=diff.hotspots_added,
        hotspots_removed=diff.hotspots_removed,
        hotspots_moved=diff.hotspots_moved,
        sources_added=diff.sources_added,
        sources_removed=diff.sources_removed,
        old_revision_id=old.pk,
        new_revision_id=new.pk,
        old_number=old.number,
        new_number=new.number,
        article_titles=titles,
    )


# --- the two comparisons editors ask for -------------------------------------------


def machine_draft_of(report: Report) -> Revision | None:
    """The latest machine draft of the report: what editors started from."""
    return (
        report.revisions.exclude(origin=Revision.Origin.HUMAN)
        .order_by("-number")
        .first()
    )


def last_published_revision(
    *, report: Report, excluding: Revision | None = None
) -> Revision | None:
    """The revision subscribers last received on this report's topic.

    The newest publication of the topic for a period that does not come after
    this report's, skipping withdrawn reports (their content was taken back)
    and `excluding` (the revision being compared, when it is itself out).
    """
    publications = (
        Publication.objects.filter(
            report__topic_id=report.topic_id,
            report__period_start__lte=report.period_start,
        )
        .exclude(report__state=Report.State.WITHDRAWN)
        .select_related("revision")
        .order_by("-published_at", "-id")
    )
    if excluding is not None:
        publications = publications.exclude(revision=excluding)
    publication = publications.first()
    return publication.revision if publication else None


def diff_since_last_publication(
    *, report: Report, revision: Revision
) -> RevisionDiff | None:
    """For the PDF box: `revision` against the last published revision."""
    previous = last_published_revision(report=report, excluding=revision)
    if previous is None:
        return None
    return revision_diff(old=previous, new=revision)


def diff_html(diff: RevisionDiff) -> SafeString:
    """The diff as an HTML fragment (escaped), for the admin."""
    return SafeString(render_to_string("admin/reports/desk/_diff.html", {"diff": diff}))

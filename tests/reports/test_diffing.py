import copy
import datetime as dt
from typing import Any

import pytest

from reports import workflow
from reports.diffing import (
    ChangeKind,
    Word,
    content_diff,
    diff_html,
    diff_since_last_publication,
    last_published_revision,
    machine_draft_of,
    revision_diff,
    word_diff,
)
from reports.geo import distance_km
from reports.models import Report
from reports.revisions import revision_save
from tests.factories import make_content, make_report, make_topic
from tests.reports.desk_states import latest, report_in

State = Report.State


def _pair(**edits):
    old = make_content([1, 2, 3])
    new = copy.deepcopy(old)
    for path, value in edits.items():
        node: Any = new
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[int(key)] if key.isdigit() else node[key]
        last = keys[-1]
        node[int(last) if last.isdigit() else last] = value
    return old, new


def test_it_diffs_text_word_by_word():
    words = word_diff(
        "Mongolia faces cyber threats.", "Mongolia faces serious cyber threats!"
    )

    assert words == (
        Word("equal", "Mongolia faces "),
        Word("insert", "serious "),
        Word("equal", "cyber threats"),
        Word("delete", "."),
        Word("insert", "!"),
    )


def test_it_finds_nothing_between_equal_contents():
    old, new = _pair()

    diff = content_diff(old, new)

    assert not diff.changed
    assert diff.summary_lines() == []


def test_it_names_a_changed_section_and_keeps_the_schema_order():
    old, new = _pair(executive_summary="A busy week.", outlook__indicators="None.")

    diff = content_diff(old, new)

    assert [s.key for s in diff.sections] == [
        "executive_summary",
        "key_developments",
        "geopolitical_impact",
        "military_analysis",
        "outlook",
        "assessment",
        "sources",
    ]
    (summary,) = diff.sections[0].changes
    assert summary.kind == ChangeKind.TEXT
    assert summary.path == "executive_summary"
    (indicators,) = diff.sections[4].changes
    assert indicators.path == "outlook.indicators"
    assert indicators.summary == "Indicators to monitor changed"


@pytest.mark.parametrize(
    "before, after, sentence",
    [
        ("guarded", "elevated", "Threat level raised from guarded to elevated"),
        ("high", "guarded", "Threat level lowered from high to guarded"),
        ("", "low", "Threat level set to low"),
    ],
)
def test_it_types_threat_level_changes(before, after, sentence):
    old, new = _pair(assessment__threat_level=after)
    old["assessment"]["threat_level"] = before

    diff = content_diff(old, new)

    assert str(diff.threat) == sentence
    assert diff.changes(ChangeKind.THREAT_LEVEL)[0].summary == sentence
    assert diff.summary_lines()[0] == sentence


def test_it_tells_how_far_a_hotspot_moved():
    old, new = _pair(
        assessment__hotspots__0__lat=49.4867, assessment__hotspots__0__lng=105.9228
    )

    diff = content_diff(old, new)

    (move,) = diff.hotspots_moved
    expected = distance_km(47.9188, 106.9175, 49.4867, 105.9228)
    assert move.label == "Ulaanbaatar"
    assert move.km == pytest.approx(expected)
    assert 180 < move.km < 200
    (change,) = diff.changes(ChangeKind.MOVED)
    assert change.summary.startswith(f"Hotspot Ulaanbaatar moved by {expected:.1f} km")
    assert diff.hotspots_added == diff.hotspots_removed == ()


def test_it_ignores_a_move_smaller_than_rounding():
    old, new = _pair(assessment__hotspots__0__lat=47.91881)

    assert content_diff(old, new).hotspots_moved == ()


def test_it_reports_intensity_and_detail_changes_of_a_hotspot():
    old, new = _pair(
        assessment__hotspots__0__intensity=1,
        assessment__hotspots__0__detail="Quieter now.",
    )

    diff = content_diff(old, new)

    (intensity,) = diff.changes(ChangeKind.INTENSITY)
    assert intensity.summary == "Hotspot Ulaanbaatar intensity lowered from 3 to 1"
    assert "Hotspot Ulaanbaatar intensity lowered from 3 to 1" in diff.summary_lines()
    assert diff.changes(ChangeKind.TEXT)[0].path == "assessment.hotspots.0.detail"


def test_it_reports_hotspots_added_and_removed():
    old = make_content([1])
    new = copy.deepcopy(old)
    new["assessment"]["hotspots"] = [
        {
            "label": "Zamyn-Üüd border crossing",
            "detail": "",
            "lat": 43.71,
            "lng": 111.9,
            "intensity": 2,
            "source_ids": [1],
        }
    ]

    diff = content_diff(old, new)

    assert [h.label for h in diff.hotspots_added] == ["Zamyn-Üüd border crossing"]
    assert [h.label for h in diff.hotspots_removed] == ["Ulaanbaatar"]
    assert diff.summary_lines() == [
        "New hotspot: Zamyn-Üüd border crossing",
        "Hotspot removed: Ulaanbaatar",
    ]


def test_it_treats_a_renamed_hotspot_in_the_same_place_as_one_hotspot():
    old, new = _pair(
        assessment__hotspots__0__label="Ulaanbaatar (government district)",
        assessment__hotspots__0__lat=47.92,
    )

    diff = content_diff(old, new)

    assert diff.hotspots_added == diff.hotspots_removed == ()
    assert diff.changes(ChangeKind.TEXT)[0].path == "assessment.hotspots.0.label"


def test_it_reports_sources_added_and_removed_per_item_and_overall():
    old, new = _pair(key_developments__0__source_ids=[2, 3])

    diff = content_diff(old, new)

    item, overall = diff.changes(ChangeKind.SOURCES)
    assert item.path == "key_developments.0"
    assert item.added_ids == (2, 3) and item.removed_ids == (1,)
    # Article 1 is still cited by the hotspot, so overall only 2 and 3 are new.
    assert overall.path == "sources"
    assert diff.sources_added == (2, 3)
    assert diff.sources_removed == ()


def test_it_matches_developments_by_title_and_finds_added_retitled_and_removed():
    old = make_content([1])
    old["key_developments"] = [
        {"title": "A", "body": "Alpha story about a cyber attack.", "source_ids": [1]},
        {
            "title": "B",
            "body": "Bravo story on drills near the border.",
            "source_ids": [1],
        },
    ]
    new = copy.deepcopy(old)
    new["key_developments"] = [
        {
            "title": "B, renamed",
            "body": "Bravo story on drills near the border.",
            "source_ids": [1],
            "in_period": False,
        },
        {
            "title": "C",
            "body": "Something else entirely: elections.",
            "source_ids": [1],
        },
    ]

    diff = content_diff(old, new)

    kinds = [(c.kind, c.path) for c in diff.sections[1].changes]
    assert (ChangeKind.TEXT, "key_developments.0.title") in kinds
    assert (ChangeKind.IN_PERIOD, "key_developments.0.in_period") in kinds
    assert (ChangeKind.ADDED, "key_developments.1") in kinds
    assert (ChangeKind.REMOVED, "key_developments.0") in kinds
    background = diff.changes(ChangeKind.IN_PERIOD)[0]
    assert "background" in background.summary


@pytest.mark.django_db
def test_it_renders_the_diff_as_escaped_html(editor):
    report = make_report()
    first = latest(report)
    content = make_content(
        first.input_article_ids,
        executive_summary="<script>alert(1)</script> A quiet week.",
    )
    content["assessment"]["threat_level"] = "high"
    second = revision_save(
        report=report, actor=editor, base_revision_id=first.pk, content=content
    )

    diff = revision_diff(old=first, new=second)
    html = diff_html(diff)

    assert diff.old_number == 1 and diff.new_number == 2
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<ins>" in html
    assert "Threat level raised from elevated to high" in html


@pytest.mark.django_db
def test_it_finds_the_last_published_report_of_the_topic(editor, editor2):
    topic = make_topic()
    earlier = report_in(
        State.PUBLISHED,
        editor=editor,
        approver=editor2,
        topic=topic,
        start=dt.date(2026, 4, 30),
        end=dt.date(2026, 5, 6),
    )
    current = make_report(topic)
    other_topic = report_in(State.PUBLISHED, editor=editor, approver=editor2)

    found = last_published_revision(report=current)

    assert found is not None and found.pk == earlier.published_revision_id
    mine = last_published_revision(report=other_topic)
    assert mine is not None and mine.report_id == other_topic.pk
    diff = diff_since_last_publication(report=current, revision=latest(current))
    assert diff is not None and diff.old_revision_id == earlier.published_revision_id
    assert machine_draft_of(current) == latest(current)

    workflow.report_withdraw(report=earlier, actor=editor, reason="Retracted")
    assert last_published_revision(report=current) is None
    assert diff_since_last_publication(report=current, revision=latest(current)) is None


def test_it_shows_a_rewritten_text_as_before_and_after():
    edited = content_diff(
        *_pair(executive_summary="A quiet week with two cyber incidents.")
    )
    rewritten = content_diff(
        *_pair(executive_summary="Border tension rose after drills near Zamyn-Üüd.")
    )

    assert not edited.sections[0].changes[0].rewritten
    assert rewritten.sections[0].changes[0].rewritten
    html = diff_html(rewritten)
    assert "desk-before" in html and "desk-after" in html

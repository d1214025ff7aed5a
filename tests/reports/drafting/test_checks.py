"""The checks every machine draft passes before it is saved."""

from typing import Any

import pytest

from reports.content import parse_content
from reports.drafting.checks import draft_flags, draft_problems
from reports.selection import Selection, selection_for
from tests.factories import make_content
from tests.reports.weeks import END, START, Week, make_week

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(db: None) -> Week:
    return make_week()


@pytest.fixture
def selection(week: Week) -> Selection:
    return selection_for(topic=week.topic, period_start=START, period_end=END)


def messages(content: Any, selection: Selection) -> list[str]:
    return [str(p) for p in draft_problems(content, selection=selection)]


def test_it_passes_a_complete_cited_draft(selection: Selection) -> None:
    assert messages(make_content(selection.source_ids), selection) == []


def test_it_reports_schema_problems_first_and_alone(selection: Selection) -> None:
    content = make_content(selection.source_ids)
    content["assessment"]["hotspots"][0]["intensity"] = 5
    content["key_developments"][0]["source_ids"] = []

    found = messages(content, selection)

    assert len(found) == 1 and found[0].startswith("assessment.hotspots.0.intensity")


def test_it_reports_unknown_ids_and_missing_citations(selection: Selection) -> None:
    content = make_content(selection.source_ids)
    content["key_developments"][0]["source_ids"] = [123456789]
    content["assessment"]["hotspots"][0]["source_ids"] = []

    assert messages(content, selection) == [
        "key_developments.0: cites articles not given for this report: 123456789",
        "assessment.hotspots.0: cites no source",
    ]


def test_it_reports_empty_sections(selection: Selection) -> None:
    content = make_content(selection.source_ids, military_analysis=" ")
    content["outlook"]["indicators"] = ""

    assert messages(content, selection) == [
        "military_analysis: Military and Defense Analysis is empty",
        "outlook.indicators: Indicators to monitor is empty",
    ]


def test_it_reports_raw_json_and_code_fences_in_prose(selection: Selection) -> None:
    content = make_content(
        selection.source_ids,
        geopolitical_impact='```\\njson\\n{\\n  "threat_level": "Elevated"',
    )

    assert messages(content, selection) == [
        "geopolitical_impact: holds raw JSON or Markdown code; write plain prose"
    ]


def test_it_reports_in_period_items_resting_only_on_background(
    week: Week, selection: Selection
) -> None:
    background = week.articles["intel"].pk
    content = make_content([background])

    assert messages(content, selection) == [
        "key_developments.0: is marked in_period, but every source it cites was "
        "published before 07 May 2026; set in_period to false or cite reporting "
        "from the period"
    ]
    content["key_developments"][0]["in_period"] = False
    assert messages(content, selection) == []


def test_it_flags_hotspots_outside_the_area_without_blocking(
    selection: Selection,
) -> None:
    content = make_content(selection.source_ids)
    content["assessment"]["hotspots"][0].update(label="Beijing", lat=39.9, lng=116.4)

    assert messages(content, selection) == []
    assert draft_flags(parse_content(content), selection=selection) == [
        "assessment.hotspots.0: Beijing (39.900, 116.400) lies outside Mongolia's "
        "area; check the place and its coordinates"
    ]

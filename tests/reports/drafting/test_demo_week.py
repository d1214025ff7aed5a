"""The offline drafter on the bundled demo: both weeks draft completely."""

import datetime as dt
from typing import Any

import pytest

from reports.demo.feeds import demo_feeds
from reports.drafting.checks import draft_problems
from reports.drafting.offline import OfflineDrafter
from reports.models import Topic
from reports.selection import selection_for

WEEKS = [
    (dt.date(2026, 4, 30), dt.date(2026, 5, 6)),
    (dt.date(2026, 5, 7), dt.date(2026, 5, 14)),
]


@pytest.mark.embedded
@pytest.mark.django_db
@pytest.mark.parametrize(("start", "end"), WEEKS)
def test_it_drafts_a_complete_valid_report_from_the_demo_week(
    start: dt.date, end: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        demo_feeds()
    topic = Topic.objects.get(slug="mongolia")
    selection = selection_for(topic=topic, period_start=start, period_end=end)

    result = OfflineDrafter().draft(selection)
    content = result.content

    assert draft_problems(content, selection=selection) == []
    assert len(content["key_developments"]) >= 4
    assert content["assessment"]["hotspots"], "no place of the area was found"
    labels = {h["label"] for h in content["assessment"]["hotspots"]}
    assert "Ulaanbaatar" in labels
    cited = {i for d in content["key_developments"] for i in d["source_ids"]}
    assert cited <= set(selection.source_ids)
    # The demo carries older events reported in the period; some are marked.
    if start == WEEKS[1][0]:
        assert any(not d["in_period"] for d in content["key_developments"])

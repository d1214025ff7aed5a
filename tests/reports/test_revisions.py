import threading

import pytest
from django.db import connection

from reports.audit import Action
from reports.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from reports.models import AuditEvent, Report, Revision
from reports.revisions import revision_save
from tests.factories import make_content, make_report
from tests.reports.desk_states import latest, report_in, snapshot
from tests.services import need_postgres

pytestmark = pytest.mark.django_db

State = Report.State


def _save(report, actor, base=None, **overrides):
    last = latest(report)
    return revision_save(
        report=report,
        actor=actor,
        base_revision_id=last.pk if base is None else base,
        content=make_content(last.input_article_ids, **overrides),
        note="  Tightened the summary.  ",
    )


def test_it_saves_an_edit_as_the_next_immutable_revision(editor):
    report = make_report()
    first = latest(report)

    revision = _save(report, editor, executive_summary="  A new summary.  ")

    assert revision.number == 2
    assert revision.parent == first
    assert revision.origin == Revision.Origin.HUMAN
    assert revision.author == editor
    assert revision.note == "Tightened the summary."
    assert revision.content["executive_summary"] == "A new summary."
    assert revision.input_article_ids == first.input_article_ids
    assert Report.objects.get(pk=report.pk).latest_revision == revision
    assert latest(report).pk == revision.pk
    first.refresh_from_db()
    assert first.content["executive_summary"] != "A new summary."
    with pytest.raises(ValueError, match="immutable"):
        revision.save()

    event = AuditEvent.objects.get(report=report, action=Action.REVISION_SAVED)
    assert event.revision == revision
    assert event.actor == editor
    assert event.data["base_revision_id"] == first.pk
    assert event.data["note"] == "Tightened the summary."


def test_it_refuses_a_save_based_on_an_old_revision_naming_who_saved(editor, editor2):
    report = make_report()
    base = latest(report).pk
    theirs = _save(report, editor2)
    before = snapshot(report)

    with pytest.raises(Conflict) as refused:
        _save(report, editor, base=base, executive_summary="Mine")

    assert refused.value.latest_revision_id == theirs.pk
    assert "editor2 (revision 2" in refused.value.message
    assert "based on revision 1" in refused.value.message
    assert snapshot(report) == before


@pytest.mark.parametrize(
    "content, problem",
    [
        ({"executive_summary": 5}, "executive_summary: Input should be a valid string"),
        ({"surprise": "x"}, "surprise: Extra inputs are not permitted"),
        (
            {"assessment": {"threat_level": "Elevated"}},
            "assessment.threat_level: Input should be",
        ),
        (
            {
                "assessment": {
                    "hotspots": [{"label": "X", "lat": 95, "lng": 1, "intensity": 2}]
                }
            },
            "assessment.hotspots.0.lat: Input should be less than or equal to 90",
        ),
        (
            {
                "assessment": {
                    "hotspots": [{"label": "X", "lat": 1, "lng": 1, "intensity": 4}]
                }
            },
            "assessment.hotspots.0.intensity: Input should be 1, 2 or 3",
        ),
        ("```json {}```", "Input should be a valid dictionary"),
    ],
)
def test_it_refuses_content_that_breaks_the_schema_listing_problems(
    content, problem, editor
):
    report = make_report()
    before = snapshot(report)

    with pytest.raises(ValidationFailed) as refused:
        revision_save(
            report=report,
            actor=editor,
            base_revision_id=latest(report).pk,
            content=content,
        )

    assert any(p.startswith(problem) for p in refused.value.problems), (
        refused.value.problems
    )
    assert snapshot(report) == before


def test_it_saves_content_with_citation_problems_but_records_them(editor):
    report = make_report()
    content = make_content(latest(report).input_article_ids)
    content["key_developments"][0]["source_ids"] = []

    revision = revision_save(
        report=report,
        actor=editor,
        base_revision_id=latest(report).pk,
        content=content,
    )

    event = AuditEvent.objects.get(revision=revision, action=Action.REVISION_SAVED)
    assert event.data["citation_problems"] == ["key_developments.0: cites no source"]


@pytest.mark.parametrize("who", ["analyst", "subscriber", "outsider"])
def test_it_refuses_a_save_by_a_role_that_may_not_edit(who, request):
    actor = request.getfixturevalue(who)
    report = make_report()
    before = snapshot(report)

    with pytest.raises(Forbidden):
        _save(report, actor)

    assert snapshot(report) == before


def test_it_voids_an_approval_when_the_report_is_edited(editor, editor2):
    report = report_in(State.APPROVED, editor=editor, approver=editor2)
    approved = report.approved_revision_id

    _save(report, editor)

    fresh = Report.objects.get(pk=report.pk)
    assert fresh.state == State.DRAFT
    assert fresh.approved_revision_id is None
    assert fresh.approved_by_id is None
    event = AuditEvent.objects.get(report=report, action=Action.APPROVAL_VOIDED)
    assert event.data["voided_revision_id"] == approved


def test_it_keeps_a_report_in_review_when_edited_during_review(editor):
    report = report_in(State.IN_REVIEW, editor=editor, approver=editor)

    _save(report, editor)

    assert Report.objects.get(pk=report.pk).state == State.IN_REVIEW


def test_it_refuses_to_edit_a_withdrawn_report(editor, editor2):
    report = report_in(State.WITHDRAWN, editor=editor, approver=editor2)
    before = snapshot(report)

    with pytest.raises(InvalidTransition, match="withdrawn"):
        _save(report, editor)

    assert snapshot(report) == before


@pytest.mark.django_db(transaction=True)
def test_it_accepts_one_of_two_saves_from_the_same_base(editor, editor2):
    need_postgres()
    report = make_report()
    base = latest(report).pk
    ids = latest(report).input_article_ids
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def save(i, actor):
        try:
            barrier.wait()
            outcomes[i] = revision_save(
                report=Report.objects.get(pk=report.pk),
                actor=actor,
                base_revision_id=base,
                content=make_content(ids, executive_summary=f"Version {i}"),
            )
        except Exception as exc:  # recorded for the assertions
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(i, who))
        for i, who in enumerate([editor, editor2])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    saved = [o for o in outcomes if isinstance(o, Revision)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(saved) == 1 and len(refused) == 1, outcomes
    assert refused[0].latest_revision_id == saved[0].pk
    assert list(
        Revision.objects.filter(report=report).values_list("number", flat=True)
    ) == [1, 2]
    assert Report.objects.get(pk=report.pk).latest_revision_id == saved[0].pk

import threading
import time

import pytest
from django.db import connection
from django.test import override_settings

from feeds.models import Annotation
from reports import workflow
from reports.audit import Action
from reports.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from reports.models import AuditEvent, Publication, Report, Revision
from reports.revisions import revision_save
from tests.factories import make_content, make_report
from tests.reports.desk_states import latest, report_in, snapshot
from tests.services import need_postgres

pytestmark = pytest.mark.django_db

State = Report.State


def _actions(report):
    return list(
        AuditEvent.objects.filter(report=report)
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )


def _human_revision(report, editor, **overrides):
    last = latest(report)
    content = make_content(last.input_article_ids, **overrides)
    return revision_save(
        report=report,
        actor=editor,
        base_revision_id=last.pk,
        content=content,
        note="edit",
    )


def test_it_submits_a_draft_for_review(editor):
    report = make_report()

    workflow.report_submit(report=report, actor=editor)

    assert Report.objects.get(pk=report.pk).state == State.IN_REVIEW
    assert report.state == State.IN_REVIEW
    event = AuditEvent.objects.get(report=report, action=Action.SUBMITTED)
    assert event.actor == editor
    assert event.revision_id == latest(report).pk


def test_it_refuses_an_action_that_does_not_apply_in_the_state(editor):
    report = make_report()
    workflow.report_submit(report=report, actor=editor)
    before = snapshot(report)

    with pytest.raises(InvalidTransition, match="in review"):
        workflow.report_submit(report=report, actor=editor)
    with pytest.raises(InvalidTransition):
        workflow.report_publish(report=report, actor=editor)
    with pytest.raises(InvalidTransition):
        workflow.report_withdraw(report=report, actor=editor, reason="x")

    assert snapshot(report) == before


@pytest.mark.parametrize("who", ["analyst", "subscriber", "outsider"])
def test_it_refuses_workflow_actions_to_roles_without_them(who, request, editor):
    actor = request.getfixturevalue(who)
    report = make_report()
    before = snapshot(report)

    with pytest.raises(Forbidden):
        workflow.report_submit(report=report, actor=actor)
    workflow.report_submit(report=report, actor=editor)
    before = snapshot(report)
    with pytest.raises(Forbidden):
        workflow.report_approve(report=report, actor=actor, revision=latest(report).pk)
    with pytest.raises(Forbidden):
        workflow.report_request_changes(report=report, actor=actor, reason="no")

    assert snapshot(report) == before


def test_it_requires_a_reason_to_request_changes(editor):
    report = make_report()
    workflow.report_submit(report=report, actor=editor)
    before = snapshot(report)

    with pytest.raises(ValidationFailed) as refused:
        workflow.report_request_changes(report=report, actor=editor, reason="   ")

    assert refused.value.problems == ["reason: a reason to request changes"]
    assert snapshot(report) == before


def test_it_sends_a_report_back_to_draft_with_the_reason(editor):
    report = make_report()
    workflow.report_submit(report=report, actor=editor)

    workflow.report_request_changes(
        report=report, actor=editor, reason="Cite the ESET report."
    )

    assert Report.objects.get(pk=report.pk).state == State.DRAFT
    event = AuditEvent.objects.get(report=report, action=Action.CHANGES_REQUESTED)
    assert event.data["reason"] == "Cite the ESET report."


def test_it_approves_the_exact_latest_revision(editor, editor2):
    report = make_report()
    workflow.report_submit(report=report, actor=editor)

    workflow.report_approve(report=report, actor=editor2, revision=latest(report))

    fresh = Report.objects.get(pk=report.pk)
    assert fresh.state == State.APPROVED
    assert fresh.approved_revision_id == latest(fresh).pk
    assert fresh.approved_by == editor2
    assert fresh.approved_at is not None
    assert _actions(report) == [Action.SUBMITTED, Action.APPROVED]


def test_it_refuses_to_approve_a_revision_that_is_not_the_latest(editor, editor2):
    report = make_report()
    first = latest(report)
    workflow.report_submit(report=report, actor=editor)
    newer = _human_revision(report, editor)
    before = snapshot(report)

    with pytest.raises(Conflict) as refused:
        workflow.report_approve(report=report, actor=editor2, revision=first)

    assert refused.value.latest_revision_id == newer.pk
    assert "revision 2 was saved since" in refused.value.message
    assert snapshot(report) == before


def test_it_refuses_an_editor_approving_their_own_revision(editor, editor2):
    report = make_report()
    workflow.report_submit(report=report, actor=editor)
    mine = _human_revision(report, editor)
    before = snapshot(report)

    with pytest.raises(ValidationFailed, match="another editor must approve"):
        workflow.report_approve(report=report, actor=editor, revision=mine)
    assert snapshot(report) == before
    assert workflow.APPROVE not in workflow.allowed_actions(report=report, user=editor)
    assert workflow.APPROVE in workflow.allowed_actions(report=report, user=editor2)

    workflow.report_approve(report=report, actor=editor2, revision=mine)
    assert Report.objects.get(pk=report.pk).state == State.APPROVED


@override_settings(OSINT_FOUR_EYES=False)
def test_it_lets_an_author_approve_when_four_eyes_is_off(editor):
    report = make_report()
    workflow.report_submit(report=report, actor=editor)
    mine = _human_revision(report, editor)

    workflow.report_approve(report=report, actor=editor, revision=mine)

    assert Report.objects.get(pk=report.pk).approved_by == editor


def test_it_lists_every_reason_that_blocks_approval(editor, editor2, analyst):
    report = make_report(articles=3)
    ids = latest(report).input_article_ids
    content = make_content(ids)
    content["key_developments"].append(
        {"title": "Uncited", "body": "No source.", "source_ids": [], "in_period": True}
    )
    content["key_developments"][0]["source_ids"] = [ids[1]]
    content["assessment"]["hotspots"][0]["source_ids"] = []
    content["assessment"]["threat_level"] = ""
    content["assessment"]["rationale"] = ""
    revision_save(
        report=report,
        actor=editor,
        base_revision_id=latest(report).pk,
        content=content,
    )
    Annotation.objects.create(article_id=ids[1], analyst=analyst, excluded=True)
    workflow.report_submit(report=report, actor=editor)
    before = snapshot(report)

    with pytest.raises(ValidationFailed) as refused:
        workflow.report_approve(
            report=report, actor=editor2, revision=latest(report).pk
        )

    assert refused.value.problems == [
        "key_developments.1: cites no source",
        "assessment.hotspots.0: cites no source",
        f"key_developments.0: cites articles an analyst excluded from reports: {ids[1]}",
        "assessment.threat_level: no threat level is set",
        "assessment.rationale: the threat level has no rationale",
    ]
    assert snapshot(report) == before


def test_it_counts_only_the_latest_annotation_of_a_source(editor, editor2, analyst):
    report = make_report()
    cited = latest(report).content["key_developments"][0]["source_ids"][0]
    Annotation.objects.create(article_id=cited, analyst=analyst, excluded=True)
    Annotation.objects.create(article_id=cited, analyst=analyst, excluded=False)
    workflow.report_submit(report=report, actor=editor)

    workflow.report_approve(report=report, actor=editor2, revision=latest(report).pk)

    assert Report.objects.get(pk=report.pk).state == State.APPROVED


def test_it_refuses_citations_of_articles_not_given_for_the_report(editor, editor2):
    report = make_report()
    content = make_content(latest(report).input_article_ids)
    content["assessment"]["hotspots"][0]["source_ids"] = [999999]
    revision_save(
        report=report,
        actor=editor,
        base_revision_id=latest(report).pk,
        content=content,
    )
    workflow.report_submit(report=report, actor=editor)

    with pytest.raises(ValidationFailed) as refused:
        workflow.report_approve(
            report=report, actor=editor2, revision=latest(report).pk
        )

    assert refused.value.problems == [
        "assessment.hotspots.0: cites articles not given for this report: 999999"
    ]


def test_it_publishes_the_approved_revision_once(editor, editor2):
    report = report_in(State.APPROVED, editor=editor, approver=editor2)

    publication = workflow.report_publish(report=report, actor=editor)

    fresh = Report.objects.get(pk=report.pk)
    assert fresh.state == State.PUBLISHED
    assert fresh.published_revision_id == fresh.approved_revision_id
    assert publication.revision_id == fresh.approved_revision_id
    assert publication.size > 0
    assert Publication.objects.filter(report=report).count() == 1
    event = AuditEvent.objects.get(report=report, action=Action.PUBLISHED)
    assert event.data["publication_id"] == publication.pk


def test_it_refuses_to_publish_when_a_cited_source_was_excluded_since_approval(
    editor, editor2, analyst
):
    report = report_in(State.APPROVED, editor=editor, approver=editor2)
    cited = latest(report).content["key_developments"][0]["source_ids"][0]
    Annotation.objects.create(article_id=cited, analyst=analyst, excluded=True)
    before = snapshot(report)

    with pytest.raises(ValidationFailed, match="can no longer be published"):
        workflow.report_publish(report=report, actor=editor)

    assert snapshot(report) == before


def test_it_withdraws_a_published_report_and_keeps_its_publication(editor, editor2):
    report = report_in(State.PUBLISHED, editor=editor, approver=editor2)

    with pytest.raises(ValidationFailed):
        workflow.report_withdraw(report=report, actor=editor, reason="")
    workflow.report_withdraw(report=report, actor=editor, reason="Wrong country.")

    fresh = Report.objects.get(pk=report.pk)
    assert fresh.state == State.WITHDRAWN
    assert Publication.objects.filter(report=report).count() == 1
    event = AuditEvent.objects.get(report=report, action=Action.WITHDRAWN)
    assert event.data["reason"] == "Wrong country."


def test_it_closes_a_withdrawn_report_to_every_action(editor, editor2):
    report = report_in(State.WITHDRAWN, editor=editor, approver=editor2)
    before = snapshot(report)

    assert workflow.allowed_actions(report=report, user=editor) == []
    with pytest.raises(InvalidTransition):
        workflow.report_submit(report=report, actor=editor)
    with pytest.raises(InvalidTransition):
        _human_revision(report, editor)

    assert snapshot(report) == before


def test_it_starts_a_correction_when_a_published_report_is_edited(editor, editor2):
    report = report_in(State.PUBLISHED, editor=editor, approver=editor2)
    published = report.published_revision_id

    _human_revision(report, editor2, executive_summary="Corrected summary.")

    fresh = Report.objects.get(pk=report.pk)
    assert fresh.state == State.DRAFT
    assert fresh.published_revision_id == published
    assert fresh.approved_revision_id is None
    assert Action.CORRECTION_STARTED in _actions(report)
    # The earlier publication can still be withdrawn during the correction.
    assert workflow.WITHDRAW in workflow.allowed_actions(report=report, user=editor)

    workflow.report_submit(report=report, actor=editor2)
    workflow.report_approve(report=report, actor=editor, revision=latest(fresh).pk)
    workflow.report_publish(report=report, actor=editor)
    assert Publication.objects.filter(report=report).count() == 2


@pytest.mark.parametrize("state", [State.IN_REVIEW, State.APPROVED])
def test_it_sends_a_report_back_to_draft_when_a_machine_draft_lands(
    state, editor, editor2
):
    report = report_in(state, editor=editor, approver=editor2)
    last = latest(report)
    machine = Revision.objects.create(
        report=report,
        number=last.number + 1,
        parent=last,
        origin=Revision.Origin.OFFLINE,
        content=last.content,
        input_article_ids=last.input_article_ids,
    )

    workflow.report_revision_added(report=report, revision=machine)

    fresh = Report.objects.get(pk=report.pk)
    assert fresh.state == State.DRAFT
    assert latest(fresh).pk == machine.pk
    assert fresh.approved_revision_id is None
    expected = (
        Action.APPROVAL_VOIDED if state == State.APPROVED else "changes_requested"
    )
    assert _actions(report)[-1] == expected


def test_it_offers_each_role_only_its_actions(editor, editor2, analyst, subscriber):
    report = make_report()
    assert workflow.allowed_actions(report=report, user=editor) == ["edit", "submit"]
    assert workflow.allowed_actions(report=report, user=analyst) == []
    assert workflow.allowed_actions(report=report, user=subscriber) == []
    assert workflow.may_redraft(report=report, user=analyst)
    assert not workflow.may_redraft(report=report, user=subscriber)

    workflow.report_submit(report=report, actor=editor)
    assert workflow.allowed_actions(report=report, user=editor2) == [
        "edit",
        "request_changes",
        "approve",
    ]


def test_it_asks_for_a_new_draft_but_not_of_a_withdrawn_report(
    editor, editor2, analyst
):
    report = make_report()
    job = workflow.report_redraft(report=report, actor=analyst)
    assert job.report_id == report.pk and job.requested_by == analyst

    closed = report_in(State.WITHDRAWN, editor=editor, approver=editor2)
    assert not workflow.may_redraft(report=closed, user=analyst)
    before = snapshot(closed)
    with pytest.raises(InvalidTransition, match="no new drafts"):
        workflow.report_redraft(report=closed, actor=analyst)
    assert snapshot(closed) == before


# --- two editors at the same moment (PostgreSQL, real threads) ----------------


def _race(monkeypatch, action, count=2):
    """Run `action(i)` in threads released together; each holds the lock a
    while (the audit write is slowed), so without the row lock both would
    read the old state and both succeed."""
    real = workflow.audit_record

    def slow(**kwargs):
        time.sleep(0.3)
        return real(**kwargs)

    monkeypatch.setattr(workflow, "audit_record", slow)
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def run(i):
        try:
            barrier.wait()
            outcomes[i] = action(i)
        except Exception as exc:  # recorded for the assertions
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_it_records_one_approval_when_two_editors_approve_at_once(
    monkeypatch, editor, editor2, analyst
):
    need_postgres()
    from reports.roles import Role
    from tests.factories import make_user

    third = make_user(Role.EDITOR, "editor3")
    report = make_report()
    workflow.report_submit(report=report, actor=editor)
    revision = latest(report).pk
    approvers = [editor2, third]

    outcomes = _race(
        monkeypatch,
        lambda i: workflow.report_approve(
            report=Report.objects.get(pk=report.pk),
            actor=approvers[i],
            revision=revision,
        ),
    )

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], InvalidTransition), outcomes
    assert AuditEvent.objects.filter(report=report, action=Action.APPROVED).count() == 1
    assert Report.objects.get(pk=report.pk).state == State.APPROVED


@pytest.mark.django_db(transaction=True)
def test_it_makes_one_publication_when_two_editors_publish_at_once(
    monkeypatch, editor, editor2
):
    need_postgres()
    report = report_in(State.APPROVED, editor=editor, approver=editor2)
    publishers = [editor, editor2]

    outcomes = _race(
        monkeypatch,
        lambda i: workflow.report_publish(
            report=Report.objects.get(pk=report.pk), actor=publishers[i]
        ),
    )

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], InvalidTransition), outcomes
    assert Publication.objects.filter(report=report).count() == 1
    assert (
        AuditEvent.objects.filter(report=report, action=Action.PUBLISHED).count() == 1
    )

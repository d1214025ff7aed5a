"""Draft requests and generation jobs: one request, one job, one revision."""

import datetime as dt
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from reports.audit import Action
from reports.drafting.base import DraftResult
from reports.errors import Forbidden, ValidationFailed
from reports.jobs import draft_request, job_run
from reports.models import AuditEvent, GenerationJob, Report, Revision
from tests.factories import make_content
from tests.reports.eager import in_process_tasks_fixture  # noqa: F401
from tests.reports.weeks import END, START, Week, make_week

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_process_tasks")]

State = GenerationJob.State


@pytest.fixture
def week(db: None) -> Week:
    return make_week()


def request(
    week: Week, capture: Any, *, actor: Any = None, **kwargs: Any
) -> GenerationJob:
    with capture(execute=True):
        job = draft_request(
            topic=week.topic, period_start=START, period_end=END, actor=actor, **kwargs
        )
    job.refresh_from_db()
    return job


def test_it_drafts_revision_one_of_a_new_report(
    week: Week, analyst: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = request(week, django_capture_on_commit_callbacks, actor=analyst)

    assert job.state == State.SUCCEEDED, job.error
    assert job.progress == 100 and job.attempts == 1
    assert job.requested_by == analyst and job.drafter == "offline"
    report = Report.objects.get()
    assert (report.topic, report.period_start, report.period_end) == (
        week.topic,
        START,
        END,
    )
    revision = report.latest_revision
    assert revision is not None
    assert (revision.number, revision.parent, revision.origin) == (
        1,
        None,
        Revision.Origin.OFFLINE,
    )
    assert revision.job == job and revision.author is None
    assert revision.input_article_ids == job.selection["given"]
    assert revision.cost_usd is None and revision.duration_ms is not None
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == [Action.DRAFT_REQUESTED, Action.DRAFT_SAVED]


@pytest.mark.parametrize("who", ["subscriber", "outsider"])
def test_it_refuses_people_who_may_not_request_drafts(
    week: Week, who: str, request: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = request.getfixturevalue(who)

    with pytest.raises(Forbidden), django_capture_on_commit_callbacks(execute=True):
        draft_request(
            topic=week.topic, period_start=START, period_end=END, actor=person
        )

    assert not Report.objects.exists() and not GenerationJob.objects.exists()


def test_it_refuses_a_period_that_ends_before_it_starts(
    week: Week, editor: Any
) -> None:
    with pytest.raises(ValidationFailed, match="ends before it starts"):
        draft_request(
            topic=week.topic, period_start=END, period_end=START, actor=editor
        )


def test_it_refuses_an_unknown_drafter(week: Week, editor: Any) -> None:
    with pytest.raises(ValidationFailed, match="Unknown drafter 'gpt'"):
        draft_request(
            topic=week.topic,
            period_start=START,
            period_end=END,
            actor=editor,
            drafter="gpt",
        )


def test_it_adds_a_new_revision_and_never_overwrites_a_human_one(
    week: Week, editor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request(week, django_capture_on_commit_callbacks)
    report = Report.objects.get()
    first = report.latest_revision
    assert first is not None
    human = Revision.objects.create(
        report=report,
        number=2,
        parent=first,
        origin=Revision.Origin.HUMAN,
        author=editor,
        content=make_content(first.input_article_ids),
    )
    report.latest_revision = human
    report.save()

    job = request(week, django_capture_on_commit_callbacks)

    report.refresh_from_db()
    third = report.latest_revision
    assert third is not None and third.job == job
    assert (third.number, third.parent) == (3, human)
    human.refresh_from_db()
    assert human.content == make_content(first.input_article_ids)
    assert report.revisions.count() == 3


@pytest.mark.parametrize("state", [Report.State.IN_REVIEW, Report.State.APPROVED])
def test_it_sends_a_report_under_review_back_to_draft_and_voids_approval(
    week: Week, editor: Any, state: str, django_capture_on_commit_callbacks: Any
) -> None:
    request(week, django_capture_on_commit_callbacks)
    report = Report.objects.get()
    report.state = state
    if state == Report.State.APPROVED:
        report.approved_revision = report.latest_revision
        report.approved_by = editor
    report.save()

    request(week, django_capture_on_commit_callbacks)

    report.refresh_from_db()
    assert report.state == Report.State.DRAFT
    assert report.approved_revision is None and report.approved_by is None
    assert report.latest_revision is not None and report.latest_revision.number == 2


def test_it_never_makes_a_second_revision_when_a_job_runs_again(
    week: Week, django_capture_on_commit_callbacks: Any
) -> None:
    job = request(week, django_capture_on_commit_callbacks)
    revision = Revision.objects.get()

    again = job_run(job_id=job.pk)

    assert again == revision
    assert Revision.objects.count() == 1
    job.refresh_from_db()
    assert job.attempts == 1


def test_it_joins_a_job_still_waiting_instead_of_queueing_another(
    week: Week, analyst: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = draft_request(
            topic=week.topic, period_start=START, period_end=END, actor=analyst
        )
        second = draft_request(
            topic=week.topic, period_start=START, period_end=END, actor=analyst
        )

    assert first == second
    assert len(queued) == 1
    assert GenerationJob.objects.count() == 1


def test_it_fails_thin_reporting_with_the_reason_and_no_revision(
    db: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.OSINT_MIN_ARTICLES = 50
    week = make_week()

    job = request(week, django_capture_on_commit_callbacks)

    assert job.state == State.FAILED
    assert job.error.startswith("Too little reporting to draft Mongolia")
    assert job.finished_at is not None
    assert not Revision.objects.exists()
    assert AuditEvent.objects.filter(action=Action.DRAFT_FAILED).count() == 1


def test_it_records_an_unexpected_crash_as_a_failed_job(
    week: Week, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    def broken(self: Any, selection: Any) -> None:
        raise KeyError("gazetteer")

    monkeypatch.setattr("reports.drafting.offline.OfflineDrafter.draft", broken)

    job = request(week, django_capture_on_commit_callbacks)

    assert job.state == State.FAILED
    assert job.error.startswith("Internal error while drafting (KeyError")
    assert not Revision.objects.exists()


def test_it_rejects_at_the_last_gate_a_draft_that_breaks_the_rules(
    week: Week, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    def invented(self: Any, selection: Any) -> DraftResult:
        return DraftResult(
            content=make_content([987654]),
            backend="offline",
            model_name="",
            prompt_version="x",
        )

    monkeypatch.setattr("reports.drafting.offline.OfflineDrafter.draft", invented)

    job = request(week, django_capture_on_commit_callbacks)

    assert job.state == State.FAILED
    assert "cites articles not given for this report: 987654" in job.error
    assert not Revision.objects.exists()


def test_it_drafts_for_the_schedule_without_an_actor(
    week: Week, django_capture_on_commit_callbacks: Any
) -> None:
    job = request(week, django_capture_on_commit_callbacks, actor=None)

    assert job.state == State.SUCCEEDED
    assert job.requested_by is None
    assert (job.period_end - job.period_start) == dt.timedelta(days=7)


def test_it_names_a_draft_stopped_by_the_time_limit(
    week: Week, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    def too_slow(self: Any, selection: Any) -> None:
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("reports.drafting.offline.OfflineDrafter.draft", too_slow)

    job = request(week, django_capture_on_commit_callbacks)

    assert job.state == State.FAILED
    assert job.error.startswith("The draft took longer than")
    assert not Revision.objects.exists()

"""Drafting tasks: retries with bounded backoff, the schedule, a real worker."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from reports.jobs import draft_request
from reports.models import GenerationJob, Report, Revision
from reports.selection import selection_for
from reports.tasks import draft_due_reports, period_just_ended, retry_delay
from tests.factories import make_topic
from tests.reports.fake_claude import (  # noqa: F401
    FakeClaude,
    fake_claude_fixture,
    good_content,
    overloaded,
    tool_answer,
)
from tests.reports.weeks import END, START, make_week
from tests.services import celery_worker, need_broker, need_postgres, wait_for


def test_it_backs_off_exponentially_within_the_cap(settings: Any) -> None:
    settings.OSINT_DRAFT_RETRY_BASE_SECONDS = 10
    settings.OSINT_DRAFT_RETRY_MAX_SECONDS = 60

    assert [retry_delay(n, None) for n in range(4)] == [10, 20, 40, 60]
    assert retry_delay(0, 30.0) == 30.0
    assert retry_delay(0, 3600.0) == 60


@pytest.mark.django_db
def test_it_finds_the_period_just_ended_for_a_new_topic() -> None:
    topic = make_topic(cadence_days=7)

    assert period_just_ended(topic, today=dt.date(2026, 5, 15)) == (
        dt.date(2026, 5, 8),
        dt.date(2026, 5, 14),
    )


@pytest.mark.django_db
def test_it_keeps_periods_aligned_on_the_latest_report() -> None:
    topic = make_topic(cadence_days=7)
    Report.objects.create(
        topic=topic, period_start=dt.date(2026, 4, 30), period_end=dt.date(2026, 5, 6)
    )

    # One week later: the next week; not yet ended: the same report's week;
    # three weeks later: the latest whole week, not a backlog.
    assert period_just_ended(topic, today=dt.date(2026, 5, 14)) == (
        dt.date(2026, 5, 7),
        dt.date(2026, 5, 13),
    )
    assert period_just_ended(topic, today=dt.date(2026, 5, 13)) == (
        dt.date(2026, 4, 30),
        dt.date(2026, 5, 6),
    )
    assert period_just_ended(topic, today=dt.date(2026, 5, 29)) == (
        dt.date(2026, 5, 21),
        dt.date(2026, 5, 27),
    )


@pytest.mark.django_db
def test_it_drafts_due_topics_once_per_period(
    django_capture_on_commit_callbacks: Any,
) -> None:
    today = timezone.now().date()
    due = make_topic(drafting_enabled=True)
    make_topic(drafting_enabled=False)

    # Only the requests are under test here, not the drafting they enqueue.
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        first = draft_due_reports()
        second = draft_due_reports()

    assert len(first) == 1 and second == []
    assert len(enqueued) == 1
    job = GenerationJob.objects.get()
    assert job.topic == due and job.requested_by is None
    assert (job.period_start, job.period_end) == (
        today - dt.timedelta(days=7),
        today - dt.timedelta(days=1),
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_it_drafts_through_redis_on_a_real_worker() -> None:
    need_postgres()
    need_broker()
    week = make_week()

    with celery_worker(extra_env={"OSINT_DRAFTER": "offline"}):
        job = draft_request(
            topic=week.topic, period_start=START, period_end=END, actor=None
        )
        wait_for(
            lambda: (
                GenerationJob.objects.get(pk=job.pk).state in ("succeeded", "failed")
            )
        )

    job.refresh_from_db()
    assert job.state == GenerationJob.State.SUCCEEDED, job.error
    revision = Revision.objects.get(job=job)
    assert revision.number == 1 and revision.backend == "offline"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_it_retries_an_overloaded_claude_through_redis_on_a_real_worker(
    fake_claude: FakeClaude,
) -> None:
    need_postgres()
    need_broker()
    week = make_week()
    ids = selection_for(topic=week.topic, period_start=START, period_end=END).source_ids
    fake_claude.queue(overloaded(), tool_answer(good_content(ids)))
    env = {
        "ANTHROPIC_API_KEY": "sk-test-not-a-real-key",
        "OSINT_DRAFT_RETRY_BASE_SECONDS": "0",
    }

    with celery_worker(extra_env=env):
        job = draft_request(
            topic=week.topic, period_start=START, period_end=END, actor=None
        )
        wait_for(
            lambda: (
                GenerationJob.objects.get(pk=job.pk).state in ("succeeded", "failed")
            )
        )

    job.refresh_from_db()
    assert job.state == GenerationJob.State.SUCCEEDED, job.error
    assert job.attempts == 2
    assert len(fake_claude.requests) == 2
    assert Revision.objects.filter(report=job.report).count() == 1
    assert Revision.objects.get(job=job).origin == Revision.Origin.AI

"""Draft requests and the work of one generation job.

`draft_request()` is what the admin, the API, the command and the schedule
call; it records a job and enqueues `reports.tasks.draft_report` once the
transaction commits. `job_run()` does the job: selection, drafting, checks,
and one new revision saved in one transaction with the job's success. A job
that already finished is never run again, and `Revision.job` is one-to-one,
so a redelivered or retried task cannot save a second revision.
"""

import datetime as dt
import logging
import time
import traceback
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from reports.audit import Action, audit_record
from reports.claude import claude_cost, usage_add
from reports.drafting import (
    DraftFailed,
    DraftResult,
    DraftRetryable,
    drafter_for,
    resolve_drafter_name,
)
from reports.drafting.checks import draft_problems
from reports.errors import NotFound, ValidationFailed
from reports.models import GenerationJob, Report, Revision, Topic
from reports.roles import Capability, require
from reports.selection import InsufficientReporting, Selection, selection_for
from reports.workflow import report_revision_added

logger = logging.getLogger(__name__)

State = GenerationJob.State

# A second request while a job for the same report is still queued or
# running joins that job instead of drafting twice; after this long the
# earlier job is presumed lost (its worker died) and a new one may start.
ACTIVE_JOB_WINDOW = dt.timedelta(minutes=15)


def draft_request(
    *,
    topic: Topic,
    period_start: dt.date,
    period_end: dt.date,
    actor: Any,
    drafter: str | None = None,
) -> GenerationJob:
    """Ask for a machine draft of the topic's report for the period.

    `actor` is the person asking (an analyst or editor) or None for the
    schedule. Creates the report when it does not exist yet.
    """
    if actor is not None:
        require(actor, Capability.REQUEST_DRAFT)
    if period_end < period_start:
        raise ValidationFailed(
            "The period ends before it starts.",
            problems=["period_end: must not be before period_start"],
        )
    try:
        drafter_name = resolve_drafter_name(drafter)
    except DraftFailed as exc:
        raise ValidationFailed(
            exc.message, problems=[f"drafter: {exc.message}"]
        ) from None

    with transaction.atomic():
        report, created = Report.objects.get_or_create(
            topic=topic,
            period_start=period_start,
            period_end=period_end,
            defaults={"tlp": topic.default_tlp},
        )
        # Lock the report so two requests at once cannot both queue a job.
        Report.objects.select_for_update().filter(pk=report.pk).first()
        active = (
            GenerationJob.objects.select_for_update(of=("self",))
            .filter(
                report=report,
                state__in=[State.QUEUED, State.RUNNING],
                created_at__gte=timezone.now() - ACTIVE_JOB_WINDOW,
            )
            .first()
        )
        if active is not None:
            logger.info(
                "draft already requested job_id=%s report_id=%s", active.pk, report.pk
            )
            return active

        job = GenerationJob.objects.create(
            topic=topic,
            period_start=period_start,
            period_end=period_end,
            report=report,
            requested_by=actor,
            drafter=drafter_name,
            progress_note="Queued",
        )
        audit_record(
            actor=actor,
            action=Action.DRAFT_REQUESTED,
            report=report,
            data={"job_id": job.pk, "drafter": drafter_name, "new_report": created},
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    logger.info(
        "draft requested job_id=%s report_id=%s topic=%s drafter=%s",
        job.pk,
        report.pk,
        topic.slug,
        drafter_name,
    )
    return job


def _enqueue(job_id: int) -> None:
    from reports.tasks import draft_report

    draft_report.delay(job_id)


def job_run(*, job_id: int) -> Revision | None:
    """Do one job: the new revision, or None when the job failed.

    Raises DraftRetryable (after recording it on the job) when Claude was
    rate-limited or overloaded, for the task to retry later.
    """
    job = _job_claim(job_id)
    if job is None:
        existing = Revision.objects.filter(job_id=job_id).first()
        return existing
    started = time.monotonic()

    try:
        selection = selection_for(
            topic=job.topic, period_start=job.period_start, period_end=job.period_end
        )
        _progress(job, 25, f"Drafting from {len(selection.sources)} sources")
        GenerationJob.objects.filter(pk=job.pk).update(selection=selection.as_record())
        result = drafter_for(job.drafter).draft(selection)
        _progress(job, 85, "Checking and saving the draft")
        revision = _job_save(job, selection=selection, result=result, started=started)
    except DraftRetryable as exc:
        _job_requeue(job, exc.message, usage=exc.usage)
        raise
    except DraftFailed as exc:
        job_fail(job_id=job.pk, error=exc.message, usage=exc.usage)
        return None
    except InsufficientReporting as exc:
        job_fail(job_id=job.pk, error=exc.message)
        return None
    except SoftTimeLimitExceeded:
        job_fail(
            job_id=job.pk,
            error=f"The draft took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s "
            "and was stopped; nothing was saved.",
        )
        return None
    except Exception as exc:
        # A bug must not leave the job "running" forever; record it and keep
        # the traceback in the log for developers.
        logger.exception("draft job crashed job_id=%s", job.pk)
        job_fail(
            job_id=job.pk,
            error=f"Internal error while drafting ({type(exc).__name__}: {exc}). "
            "The developers have the details in the log.",
            detail=traceback.format_exc(limit=5),
        )
        return None
    return revision


def _job_claim(job_id: int) -> GenerationJob | None:
    """Mark the job running; None when it is finished (or gone)."""
    with transaction.atomic():
        job = (
            GenerationJob.objects.select_for_update(of=("self",))
            .select_related("topic", "report")
            .filter(pk=job_id)
            .first()
        )
        if job is None:
            logger.warning("draft job missing job_id=%s", job_id)
            return None
        if job.state in (State.SUCCEEDED, State.FAILED):
            logger.info(
                "draft job already finished job_id=%s state=%s", job_id, job.state
            )
            return None
        job.state = State.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or timezone.now()
        job.progress = 5
        job.progress_note = "Selecting articles"
        job.save(
            update_fields=[
                "state",
                "attempts",
                "started_at",
                "progress",
                "progress_note",
            ]
        )
    return job


def _progress(job: GenerationJob, percent: int, note: str) -> None:
    job.progress, job.progress_note = percent, note
    GenerationJob.objects.filter(pk=job.pk, state=State.RUNNING).update(
        progress=percent, progress_note=note
    )


def _job_save(
    job: GenerationJob, *, selection: Selection, result: DraftResult, started: float
) -> Revision:
    # The drafter checked its draft; check again here, at the last gate,
    # so no drafter can save content that breaks the rules.
    problems = [str(p) for p in draft_problems(result.content, selection=selection)]
    if problems:
        raise DraftFailed(
            "The draft failed the checks: " + "; ".join(problems), problems=problems
        )
    duration_ms = int((time.monotonic() - started) * 1000)
    usage: dict[str, Any] = dict(result.usage, rounds=result.rounds)
    cost = (
        claude_cost(model=result.model_name, usage=result.usage)
        if result.backend == "anthropic"
        else None
    )

    with transaction.atomic():
        locked = GenerationJob.objects.select_for_update().get(pk=job.pk)
        existing = Revision.objects.filter(job_id=job.pk).first()
        if existing is not None or locked.state != State.RUNNING:
            return existing  # type: ignore[return-value]
        assert locked.report_id is not None, "draft_request always sets the report"
        report = Report.objects.select_for_update().get(pk=locked.report_id)
        number = (report.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
        note = result.note
        if result.flags:
            note += "\nFor the editor: " + "; ".join(result.flags) + "."
        revision = Revision.objects.create(
            report=report,
            number=number,
            parent=report.latest_revision,
            origin=Revision.Origin.AI
            if result.backend == "anthropic"
            else Revision.Origin.OFFLINE,
            author=None,
            note=note,
            content=result.content,
            job=locked,
            backend=result.backend,
            model_name=result.model_name,
            prompt_version=result.prompt_version,
            input_article_ids=selection.source_ids,
            usage=usage,
            cost_usd=cost,
            duration_ms=duration_ms,
        )
        report_revision_added(report=report, revision=revision)
        audit_record(
            actor=locked.requested_by,
            action=Action.DRAFT_SAVED,
            report=report,
            revision=revision,
            data={
                "job_id": locked.pk,
                "backend": result.backend,
                "model": result.model_name,
                "sources": len(selection.source_ids),
                "flags": result.flags,
            },
        )
        locked.state = State.SUCCEEDED
        locked.progress = 100
        locked.progress_note = f"Saved revision {number}"
        locked.error = ""
        # The job's usage covers every attempt, the revision's only its own.
        locked.usage = dict(
            usage_add(locked.usage or {}, result.usage),
            cost_usd=str(cost) if cost is not None else None,
        )
        locked.finished_at = timezone.now()
        locked.save()
    logger.info(
        "draft saved job_id=%s report_id=%s revision=%s backend=%s duration_ms=%s",
        job.pk,
        report.pk,
        number,
        result.backend,
        duration_ms,
    )
    return revision


def _job_requeue(job: GenerationJob, message: str, *, usage: dict[str, int]) -> None:
    GenerationJob.objects.filter(pk=job.pk, state=State.RUNNING).update(
        state=State.QUEUED,
        progress=0,
        progress_note="Waiting to retry",
        error=f"Attempt {job.attempts}: {message}",
        usage=usage_add(job.usage or {}, usage),
    )


@transaction.atomic
def job_fail(
    *,
    job_id: int,
    error: str,
    detail: str = "",
    usage: dict[str, int] | None = None,
) -> GenerationJob:
    """Record a failed job with a readable error; no revision is made."""
    job = (
        GenerationJob.objects.select_for_update(of=("self",))
        .select_related("report")
        .get(pk=job_id)
    )
    if job.state == State.SUCCEEDED:
        return job
    job.state = State.FAILED
    job.error = error
    job.progress_note = "Failed"
    job.finished_at = timezone.now()
    if usage:
        job.usage = usage_add(job.usage or {}, usage)
    job.save(update_fields=["state", "error", "progress_note", "finished_at", "usage"])
    audit_record(
        actor=job.requested_by,
        action=Action.DRAFT_FAILED,
        report=job.report,
        data={
            "job_id": job.pk,
            "error": error,
            **({"detail": detail} if detail else {}),
        },
    )
    logger.warning("draft failed job_id=%s error=%s", job.pk, error)
    return job


def job_get(*, job_id: int) -> GenerationJob:
    try:
        return GenerationJob.objects.select_related("report", "topic").get(pk=job_id)
    except GenerationJob.DoesNotExist:
        raise NotFound("That draft job does not exist.") from None

"""Celery tasks of the reports app: thin wrappers that take ids.

Each loads what it needs through a domain function and decides retries;
none holds rules of its own.
"""

import datetime as dt
import logging
import smtplib
import time

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from reports.drafting import DraftRetryable
from reports.jobs import draft_request, job_fail, job_run
from reports.models import GenerationJob, Report, Topic
from reports.publishing import publication_notify

logger = logging.getLogger(__name__)


def retry_delay(retries: int, retry_after: float | None) -> float:
    """Seconds before retry number `retries + 1`: exponential, capped, and
    never sooner than the server asked."""
    backoff = settings.OSINT_DRAFT_RETRY_BASE_SECONDS * 2**retries
    wanted = max(float(backoff), retry_after or 0.0)
    return min(wanted, float(settings.OSINT_DRAFT_RETRY_MAX_SECONDS))


@shared_task(bind=True, name="reports.tasks.draft_report", acks_late=True)
def draft_report(self: Task, job_id: int) -> int | None:
    """Run one generation job; returns the new revision's id, if any."""
    try:
        revision = job_run(job_id=job_id)
    except DraftRetryable as exc:
        retries = self.request.retries
        if retries >= settings.OSINT_DRAFT_RETRIES:
            job_fail(
                job_id=job_id,
                error=f"{exc.message} Gave up after {retries + 1} attempts.",
            )
            return None
        delay = retry_delay(retries, exc.retry_after)
        logger.info(
            "draft retry job_id=%s attempt=%d delay_s=%.1f", job_id, retries + 1, delay
        )
        if self.request.is_eager:
            # In-process (no broker), Celery's eager retry raises to the
            # caller instead of running again; wait and run again here.
            time.sleep(delay)
            result = self.apply(args=(job_id,), retries=retries + 1, throw=True)
            return result.result if isinstance(result.result, int) else None
        raise self.retry(
            countdown=delay, max_retries=settings.OSINT_DRAFT_RETRIES
        ) from exc
    return revision.pk if revision else None


def period_just_ended(topic: Topic, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """The latest whole period of the topic's cadence that ended before today.

    Periods follow on from the topic's latest report, so weeks stay aligned;
    a topic with no report starts with the `cadence_days` before today.
    """
    length = dt.timedelta(days=topic.cadence_days)
    latest = Report.objects.filter(topic=topic).order_by("-period_end").first()
    if latest is None:
        end = today - dt.timedelta(days=1)
        return end - length + dt.timedelta(days=1), end
    start = latest.period_end + dt.timedelta(days=1)
    if start + length > today:
        return latest.period_start, latest.period_end
    periods_since = (today - start).days // topic.cadence_days
    start += length * (periods_since - 1)
    return start, start + length - dt.timedelta(days=1)


@shared_task(name="reports.tasks.draft_due_reports")
def draft_due_reports() -> list[int]:
    """Draft each scheduled topic once for the period that just ended."""
    today = timezone.now().date()
    job_ids = []
    for topic in Topic.objects.filter(drafting_enabled=True):
        start, end = period_just_ended(topic, today=today)
        if (
            GenerationJob.objects.filter(
                topic=topic, period_start=start, period_end=end
            ).exists()
            or Report.objects.filter(
                topic=topic,
                period_start=start,
                period_end=end,
                latest_revision__isnull=False,
            ).exists()
        ):
            continue
        job = draft_request(topic=topic, period_start=start, period_end=end, actor=None)
        job_ids.append(job.pk)
    if job_ids:
        logger.info("scheduled drafts jobs=%s", job_ids)
    return job_ids


@shared_task(
    bind=True, name="reports.tasks.notify_publication", acks_late=True, max_retries=5
)
def notify_publication(self: Task, publication_id: int) -> int:
    """E-mail the topic's followers about one publication; retried on mail
    server errors (followers already told are not told again)."""
    try:
        return publication_notify(publication_id=publication_id)
    except (smtplib.SMTPException, OSError) as exc:
        delay = min(60 * 2**self.request.retries, 3600)
        logger.warning(
            "notify retry publication_id=%s attempt=%d delay_s=%d error=%s",
            publication_id,
            self.request.retries + 1,
            delay,
            exc,
        )
        raise self.retry(countdown=delay) from exc

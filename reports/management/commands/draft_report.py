import datetime as dt
import time
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reports.drafting import DRAFTERS
from reports.errors import DeskError
from reports.jobs import draft_request, job_get
from reports.models import GenerationJob, Topic

FINISHED = (GenerationJob.State.SUCCEEDED, GenerationJob.State.FAILED)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = (
        "Create or redraft a topic's report for a period; prints the report id, "
        "or the job's error and exits non-zero."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("topic_slug")
        parser.add_argument("--start", type=_date, required=True, help="YYYY-MM-DD")
        parser.add_argument("--end", type=_date, required=True, help="YYYY-MM-DD")
        parser.add_argument("--drafter", choices=DRAFTERS, default=None)
        parser.add_argument(
            "--wait",
            type=float,
            default=600.0,
            help="Seconds to wait for a worker to finish the draft (default 600).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            topic = Topic.objects.get(slug=options["topic_slug"])
        except Topic.DoesNotExist:
            raise CommandError(
                f"No topic has the slug {options['topic_slug']!r}."
            ) from None

        try:
            job = draft_request(
                topic=topic,
                period_start=options["start"],
                period_end=options["end"],
                actor=None,
                drafter=options["drafter"],
            )
        except DeskError as exc:
            raise CommandError(exc.message) from None

        # Without a broker the draft has run by now, in-process, as the
        # request's transaction committed; with one, a worker runs it.
        deadline = time.monotonic() + options["wait"]
        job = job_get(job_id=job.pk)
        while job.state not in FINISHED and time.monotonic() < deadline:
            time.sleep(0.5)
            job = job_get(job_id=job.pk)
        if job.state == GenerationJob.State.FAILED:
            raise CommandError(f"Draft failed: {job.error}")
        if job.state == GenerationJob.State.SUCCEEDED:
            self.stdout.write(str(job.report_id))
            return
        self.stderr.write(
            f"Draft job {job.pk} is still {job.state}; a worker will finish it."
        )
        self.stdout.write(str(job.report_id))

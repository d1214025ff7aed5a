"""`manage.py draft_report`: prints the report id, or the job's error."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reports.models import Report, Revision
from tests.reports.eager import in_process_tasks_fixture  # noqa: F401
from tests.reports.weeks import make_week

# Transactional: the command's request really commits, which runs its task.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("in_process_tasks"),
    pytest.mark.embedded,
]


def draft(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("draft_report", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prints_the_id_of_the_drafted_report() -> None:
    make_week()

    out, _ = draft("mongolia", "--start", "2026-05-07", "--end", "2026-05-14")

    report = Report.objects.get()
    assert out.strip() == str(report.pk)
    assert Revision.objects.get(report=report).backend == "offline"


def test_it_redrafts_the_same_report_as_a_new_revision() -> None:
    make_week()
    args = ("mongolia", "--start", "2026-05-07", "--end", "2026-05-14")

    first, _ = draft(*args, "--drafter", "offline")
    second, _ = draft(*args, "--drafter", "offline")

    assert first == second
    assert list(Revision.objects.values_list("number", flat=True)) == [1, 2]


def test_it_exits_non_zero_with_the_jobs_error(settings: Any) -> None:
    settings.OSINT_MIN_ARTICLES = 100
    make_week()

    with pytest.raises(CommandError, match="Draft failed: Too little reporting"):
        draft("mongolia", "--start", "2026-05-07", "--end", "2026-05-14")


def test_it_names_an_unknown_topic() -> None:
    with pytest.raises(CommandError, match="No topic has the slug 'atlantis'"):
        draft("atlantis", "--start", "2026-05-07", "--end", "2026-05-14")


def test_it_refuses_a_malformed_date() -> None:
    with pytest.raises(CommandError, match="is not a date"):
        draft("mongolia", "--start", "7 May", "--end", "2026-05-14")


def test_it_reports_a_missing_key_for_the_anthropic_drafter(settings: Any) -> None:
    settings.ANTHROPIC_API_KEY = ""
    make_week()

    with pytest.raises(CommandError, match="No Claude API key is configured"):
        draft(
            "mongolia",
            "--start",
            "2026-05-07",
            "--end",
            "2026-05-14",
            "--drafter",
            "anthropic",
        )

"""Steps of the demo, in the order `load_demo()` runs them.

Every step goes through the domain functions a person's click would call
(draft request, revision save, submit, approve, publish), so the demo shows
the real path and a second run finds each step done and changes nothing.
"""

import copy
import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction

from reports.demo.feeds import demo_feeds
from reports.jobs import draft_request, job_run
from reports.models import GenerationJob, Report, Revision, Topic
from reports.revisions import revision_save
from reports.roles import Role
from reports.workflow import report_approve, report_publish, report_submit

logger = logging.getLogger(__name__)

DEMO_USERS: list[tuple[str, Role, str]] = [
    ("editor", Role.EDITOR, "Edits and approves reports"),
    ("editor2", Role.EDITOR, "A second editor, for four-eyes approval"),
    ("analyst", Role.ANALYST, "Annotates sources and comments on drafts"),
    ("subscriber", Role.SUBSCRIBER, "Reads and downloads published reports"),
]

WEEK_ONE = (dt.date(2026, 4, 30), dt.date(2026, 5, 6))
WEEK_TWO = (dt.date(2026, 5, 7), dt.date(2026, 5, 14))

# The offline drafter states its rule's verdict in the summary; the editor's
# judgement replaces it there as well as in the assessment.
_OFFLINE_LEVEL_SENTENCE = re.compile(
    r"The threat level is \w+ by the desk's offline rule\."
)

EDITOR_NOTE = (
    "Editor's review: threat level set by judgement rather than the offline "
    "rule; the rationale says what would change it."
)


@dataclass
class DemoSummary:
    users: list[tuple[str, str, str]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


def demo_users(password: str) -> list[tuple[str, str, str]]:
    """Create the demo users once; a second run leaves them as they are."""
    created = []
    with transaction.atomic():
        for username, role, purpose in DEMO_USERS:
            user, made = User.objects.get_or_create(
                username=username,
                defaults={
                    "is_staff": role in (Role.EDITOR, Role.ANALYST),
                    "email": f"{username}@demo.invalid",
                    "first_name": username.capitalize(),
                },
            )
            if made:
                user.set_password(password)
                user.save(update_fields=["password"])
                user.groups.add(Group.objects.get(name=role.value))
                logger.info("demo user created username=%s role=%s", username, role)
            created.append((username, role.value, purpose))
    return created


def _machine_draft(
    topic: Topic, period: tuple[dt.date, dt.date], actor: User
) -> Report:
    """The report for the period with its offline draft, drafting it if needed."""
    report = Report.objects.filter(
        topic=topic, period_start=period[0], period_end=period[1]
    ).first()
    if report is not None and report.latest_revision_id is not None:
        return report

    job = draft_request(
        topic=topic,
        period_start=period[0],
        period_end=period[1],
        actor=actor,
        drafter="offline",
    )
    # With a broker the task is queued for a worker; run it here as well so the
    # demo never waits for one. A job runs once: whoever claims it second
    # finds it finished.
    job_run(job_id=job.pk)
    job.refresh_from_db()
    if job.state != GenerationJob.State.SUCCEEDED:
        raise RuntimeError(f"The demo draft failed: {job.error}")
    assert job.report is not None
    job.report.refresh_from_db()
    return job.report


def _editor_pass(content: dict[str, Any]) -> dict[str, Any]:
    """What a desk editor typically changes in a machine draft: the judgement.

    The offline drafter sets the threat level by a fixed rule; the editor
    weighs the week and writes the rationale a reader needs.
    """
    edited = copy.deepcopy(content)
    edited["executive_summary"] = _OFFLINE_LEVEL_SENTENCE.sub(
        "The desk assesses the threat level as elevated.",
        edited.get("executive_summary", ""),
    )
    assessment = edited.setdefault("assessment", {})
    assessment["threat_level"] = "elevated"
    assessment["rationale"] = (
        "A state-aligned espionage campaign against government networks is "
        "active and unresolved, and both neighbours are preparing exercises "
        "with Mongolian forces; none of this week's reporting shows violence "
        "or disorder. The level would rise on confirmed intrusions into "
        "critical infrastructure or unannounced military movements near the "
        "borders."
    )
    return edited


def _publish_week_one(topic: Topic, editor: User, approver: User) -> str:
    report = _machine_draft(topic, WEEK_ONE, editor)
    if report.state == Report.State.PUBLISHED:
        return f"Report {report.pk} ({report}) already published."

    latest = report.latest_revision
    assert latest is not None
    if latest.origin != Revision.Origin.HUMAN and report.state == Report.State.DRAFT:
        revision_save(
            report=report,
            actor=editor,
            base_revision_id=latest.pk,
            content=_editor_pass(latest.content),
            note=EDITOR_NOTE,
        )
    if report.state == Report.State.DRAFT:
        report_submit(report=report, actor=editor)
    if report.state == Report.State.IN_REVIEW:
        assert report.latest_revision is not None
        report_approve(report=report, actor=approver, revision=report.latest_revision)
    publication = report_publish(report=report, actor=approver)
    return (
        f"Report {report.pk} ({report}) drafted, edited by {editor}, approved and "
        f"published by {approver} (publication {publication.pk})."
    )


def _review_week_two(topic: Topic, editor: User) -> str:
    report = _machine_draft(topic, WEEK_TWO, editor)
    if report.state == Report.State.DRAFT:
        report_submit(report=report, actor=editor)
        return f"Report {report.pk} ({report}) drafted and submitted for review."
    return (
        f"Report {report.pk} ({report}) already {report.get_state_display().lower()}."
    )


def load_demo(*, password: str) -> DemoSummary:
    summary = DemoSummary()
    summary.users = demo_users(password)
    summary.steps.extend(demo_feeds())

    topic = Topic.objects.get(slug="mongolia")
    editor = User.objects.get(username="editor")
    editor2 = User.objects.get(username="editor2")
    summary.steps.append(_publish_week_one(topic, editor, editor2))
    summary.steps.append(_review_week_two(topic, editor))
    return summary

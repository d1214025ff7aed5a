"""Reports brought into each workflow state the way people bring them there:
through the workflow's own functions, never by writing the state field."""

from typing import Any

from django.contrib.auth.models import User

from reports import workflow
from reports.models import Report, Revision
from tests.factories import make_report

STATES = [s.value for s in Report.State]


def report_in(state: str, *, editor: User, approver: User, **make: Any) -> Report:
    """A report in `state`; `editor` submits and `approver` approves."""
    report = make_report(**make)
    if state == Report.State.DRAFT:
        return report
    workflow.report_submit(report=report, actor=editor)
    if state == Report.State.IN_REVIEW:
        return report
    workflow.report_approve(
        report=report, actor=approver, revision=report.latest_revision_id or 0
    )
    if state == Report.State.APPROVED:
        return report
    workflow.report_publish(report=report, actor=editor)
    if state == Report.State.PUBLISHED:
        return report
    workflow.report_withdraw(report=report, actor=editor, reason="Superseded")
    assert report.state == Report.State.WITHDRAWN
    return report


def snapshot(report: Report) -> dict[str, Any]:
    """Everything a refused action must leave as it was."""
    from feeds.models import Annotation
    from reports.models import (
        AuditEvent,
        GenerationJob,
        Publication,
        ReviewComment,
        Revision,
    )

    fresh = Report.objects.get(pk=report.pk)
    return {
        "report": {
            f: getattr(fresh, f)
            for f in (
                "state",
                "latest_revision_id",
                "approved_revision_id",
                "approved_by_id",
                "published_revision_id",
            )
        },
        "revisions": Revision.objects.filter(report=report).count(),
        "audit": AuditEvent.objects.filter(report=report).count(),
        "publications": Publication.objects.filter(report=report).count(),
        "comments": ReviewComment.objects.filter(revision__report=report).count(),
        "annotations": Annotation.objects.count(),
        "jobs": GenerationJob.objects.filter(report=report).count(),
    }


def latest(report: Report) -> Revision:
    """The report's latest revision (every report built here has one)."""
    revision = Report.objects.select_related("latest_revision").get(pk=report.pk)
    assert revision.latest_revision is not None
    return revision.latest_revision


def editor_post(
    report: Report, content: dict[str, Any] | None = None, base: int | None = None
) -> dict[str, Any]:
    """What the editor page posts for `content` (the latest one by default)."""
    revision = latest(report)
    content = revision.content if content is None else content
    assessment = content["assessment"]
    data: dict[str, Any] = {
        "base_revision_id": revision.pk if base is None else base,
        "executive_summary": content["executive_summary"],
        "geopolitical_impact": content["geopolitical_impact"],
        "military_analysis": content["military_analysis"],
        "threat_level": assessment["threat_level"],
        "rationale": assessment["rationale"],
        "note": "",
    }
    for key, text in content["outlook"].items():
        data[f"outlook_{key}"] = text
    for prefix, rows in (
        ("kd", content["key_developments"]),
        ("hs", assessment["hotspots"]),
    ):
        data[f"{prefix}-TOTAL_FORMS"] = len(rows)
        data[f"{prefix}-INITIAL_FORMS"] = len(rows)
        for i, row in enumerate(rows):
            for key, value in row.items():
                if key == "in_period":
                    if value:
                        data[f"{prefix}-{i}-{key}"] = "on"
                else:
                    data[f"{prefix}-{i}-{key}"] = value
    return data

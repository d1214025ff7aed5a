"""The audit log: every save and transition leaves one event.

Action names are registered here so a typo cannot invent a new kind of event.
Call `audit_record()` inside the transaction of the change it describes.
"""

import logging
from enum import StrEnum
from typing import Any

from reports.models import AuditEvent, Report, Revision

logger = logging.getLogger(__name__)


class Action(StrEnum):
    DRAFT_REQUESTED = "draft_requested"
    DRAFT_SAVED = "draft_saved"
    DRAFT_FAILED = "draft_failed"
    REVISION_SAVED = "revision_saved"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    APPROVAL_VOIDED = "approval_voided"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    CORRECTION_STARTED = "correction_started"
    COMMENTED = "commented"
    COMMENT_RESOLVED = "comment_resolved"
    SOURCE_ANNOTATED = "source_annotated"
    DOWNLOADED = "downloaded"
    FEED_ADDED = "feed_added"
    FEED_CHANGED = "feed_changed"
    TOPIC_ADDED = "topic_added"
    TOPIC_CHANGED = "topic_changed"


def audit_record(
    *,
    actor: Any,
    action: Action,
    report: Report | None = None,
    revision: Revision | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    actor_row = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent.objects.create(
        actor=actor_row,
        action=Action(action).value,
        report=report,
        revision=revision,
        data=data or {},
    )
    logger.info(
        "audit action=%s report_id=%s revision_id=%s actor=%s",
        event.action,
        report.pk if report else None,
        revision.pk if revision else None,
        getattr(actor_row, "username", None),
    )
    return event

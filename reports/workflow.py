"""The report workflow: the one state machine of the desk.

    draft --submit--> in_review --approve--> approved --publish--> published
      ^                  | request_changes                          |
      +------------------+        any edit after approval -> draft   |
                                          published --withdraw--> withdrawn
                                          published --edit--> draft (correction)

Admin, API and commands call these functions and nothing else changes a
report's state. Each one locks the report row first (`select_for_update`),
so two editors pressing the same button at once act one after the other and
the second finds the state already moved on. Each writes an audit event in
the same transaction.
"""

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from reports.audit import Action, audit_record
from reports.content import citation_problems, parse_content, schema_problems
from reports.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from reports.models import Report, Revision
from reports.roles import Capability, can, require
from reports.sources import excluded_article_ids, revision_source_ids

if TYPE_CHECKING:
    from reports.models import GenerationJob, Publication

logger = logging.getLogger(__name__)

State = Report.State

# Names the UIs use for buttons and the API for its actions.
SUBMIT = "submit"
REQUEST_CHANGES = "request_changes"
APPROVE = "approve"
PUBLISH = "publish"
WITHDRAW = "withdraw"
EDIT = "edit"
REDRAFT = "redraft"

# Which workflow action applies in which state.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    SUBMIT: (State.DRAFT,),
    REQUEST_CHANGES: (State.IN_REVIEW, State.APPROVED),
    APPROVE: (State.IN_REVIEW,),
    PUBLISH: (State.APPROVED,),
    WITHDRAW: (State.PUBLISHED,),
}
# A withdrawn report is closed: its history stays, nothing more happens to it.
EDITABLE_STATES: tuple[str, ...] = (
    State.DRAFT,
    State.IN_REVIEW,
    State.APPROVED,
    State.PUBLISHED,
)

ACTION_LABELS: dict[str, str] = {
    SUBMIT: "Submit for review",
    REQUEST_CHANGES: "Request changes",
    APPROVE: "Approve",
    PUBLISH: "Publish",
    WITHDRAW: "Withdraw",
    EDIT: "Edit",
    REDRAFT: "Draft again",
}


def lock_report(report: Report) -> Report:
    """The report's row, locked until the transaction ends, freshly read."""
    try:
        return Report.objects.select_for_update().get(pk=report.pk)
    except Report.DoesNotExist:
        raise NotFound("That report does not exist.") from None


def sync_report(stale: Report, fresh: Report) -> None:
    # Callers keep using the instance they passed; make it tell the truth.
    for field in (
        "state",
        "latest_revision_id",
        "approved_revision_id",
        "approved_by_id",
        "approved_at",
        "published_revision_id",
        "updated_at",
    ):
        setattr(stale, field, getattr(fresh, field))
    for cached in ("latest_revision", "approved_revision", "published_revision"):
        stale._state.fields_cache.pop(cached, None)


def applies(report: Report, action: str) -> bool:
    """Whether the action applies to the report in its state."""
    if report.state in TRANSITIONS[action]:
        return True
    # During a correction the earlier publication is still out there, so it
    # can still be withdrawn.
    return (
        action == WITHDRAW
        and report.published_revision_id is not None
        and report.state != State.WITHDRAWN
    )


def _check_state(report: Report, action: str) -> None:
    if not applies(report, action):
        allowed = " or ".join(State(s).label.lower() for s in TRANSITIONS[action])
        raise InvalidTransition(
            f"Cannot {ACTION_LABELS[action].lower()}: the report is "
            f"{State(report.state).label.lower()}, and this needs it {allowed}."
        )


def _reason(reason: str, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(
            f"Give a reason to {what}.", problems=[f"reason: a reason to {what}"]
        )
    return text


# The fields an approval sets and `_void_approval` clears.
_APPROVAL_FIELDS = ("approved_revision", "approved_by", "approved_at")


def _void_approval(report: Report) -> None:
    report.approved_revision = None
    report.approved_by = None
    report.approved_at = None


def approval_problems(*, report: Report, revision: Revision) -> list[str]:
    """Everything that stops this revision being approved, in words."""
    problems = [str(p) for p in schema_problems(revision.content)]
    if problems:
        return problems
    content = parse_content(revision.content)
    allowed = revision_source_ids(revision)
    problems = [str(p) for p in citation_problems(content, allowed_source_ids=allowed)]

    # An analyst's exclusion takes effect at once, even for a revision that
    # was fine when it was written.
    cited_by_path: list[tuple[str, list[int]]] = [
        (f"key_developments.{i}", dev.source_ids)
        for i, dev in enumerate(content.key_developments)
    ] + [
        (f"assessment.hotspots.{i}", spot.source_ids)
        for i, spot in enumerate(content.assessment.hotspots)
    ]
    excluded = excluded_article_ids(i for _, ids in cited_by_path for i in ids)
    for path, ids in cited_by_path:
        hit = sorted(set(ids) & excluded)
        if hit:
            listed = ", ".join(str(i) for i in hit)
            problems.append(
                f"{path}: cites articles an analyst excluded from reports: {listed}"
            )

    if not content.assessment.threat_level:
        problems.append("assessment.threat_level: no threat level is set")
    if not content.assessment.rationale:
        problems.append("assessment.rationale: the threat level has no rationale")
    return problems


def allowed_actions(*, report: Report, user: Any) -> list[str]:
    """The workflow actions (and "edit") this user may take on it now."""
    actions: list[str] = []
    if can(user, Capability.EDIT_REPORT) and report.state in EDITABLE_STATES:
        actions.append(EDIT)
    if not can(user, Capability.RUN_WORKFLOW):
        return actions
    for action in TRANSITIONS:
        if not applies(report, action):
            continue
        if action == APPROVE and not _may_approve(report, user):
            continue
        actions.append(action)
    return actions


def _may_approve(report: Report, user: Any) -> bool:
    latest = report.latest_revision
    if latest is None:
        return False
    return not (settings.OSINT_FOUR_EYES and latest.author_id == user.pk)


@transaction.atomic
def report_submit(*, report: Report, actor: Any) -> Report:
    require(actor, Capability.RUN_WORKFLOW)
    locked = lock_report(report)
    _check_state(locked, SUBMIT)
    if locked.latest_revision_id is None:
        raise InvalidTransition("Cannot submit a report that has no revision yet.")

    locked.state = State.IN_REVIEW
    locked.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.SUBMITTED,
        report=locked,
        revision=locked.latest_revision,
    )
    sync_report(report, locked)
    return locked


@transaction.atomic
def report_request_changes(*, report: Report, actor: Any, reason: str) -> Report:
    require(actor, Capability.RUN_WORKFLOW)
    text = _reason(reason, "request changes")
    locked = lock_report(report)
    _check_state(locked, REQUEST_CHANGES)

    was_approved = locked.approved_revision_id
    locked.state = State.DRAFT
    _void_approval(locked)
    locked.save(update_fields=["state", *_APPROVAL_FIELDS, "updated_at"])
    audit_record(
        actor=actor,
        action=Action.CHANGES_REQUESTED,
        report=locked,
        revision=locked.latest_revision,
        data={"reason": text, "voided_approval_of": was_approved},
    )
    sync_report(report, locked)
    return locked


@transaction.atomic
def report_approve(*, report: Report, actor: Any, revision: Revision | int) -> Report:
    """Approve exactly `revision`, which must be the report's latest."""
    require(actor, Capability.RUN_WORKFLOW)
    locked = lock_report(report)
    _check_state(locked, APPROVE)

    revision_id = revision if isinstance(revision, int) else revision.pk
    if revision_id != locked.latest_revision_id:
        raise Conflict(
            f"Revision {_number(revision_id)} is no longer the latest: revision "
            f"{_number(locked.latest_revision_id)} was saved since. Read it "
            "before approving.",
            latest_revision_id=locked.latest_revision_id,
        )
    approved = Revision.objects.get(pk=revision_id)
    if settings.OSINT_FOUR_EYES and approved.author_id == actor.pk:
        raise ValidationFailed(
            "You wrote this revision; another editor must approve it (four eyes).",
            problems=["four_eyes: the approver must not be the revision's author"],
        )
    problems = approval_problems(report=locked, revision=approved)
    if problems:
        raise ValidationFailed(
            "This revision cannot be approved yet.", problems=problems
        )

    locked.state = State.APPROVED
    locked.approved_revision = approved
    locked.approved_by = actor
    locked.approved_at = timezone.now()
    locked.save(update_fields=["state", *_APPROVAL_FIELDS, "updated_at"])
    audit_record(
        actor=actor,
        action=Action.APPROVED,
        report=locked,
        revision=approved,
        data={"number": approved.number},
    )
    sync_report(report, locked)
    return locked


def _number(revision_id: int | None) -> str:
    if revision_id is None:
        return "?"
    number = Revision.objects.filter(pk=revision_id).values_list("number", flat=True)
    return str(number.first() or "?")


@transaction.atomic
def report_publish(*, report: Report, actor: Any) -> "Publication":
    """Render the approved revision once and make it the published one."""
    # Imported here: publishing loads WeasyPrint, which nothing else that
    # imports the workflow (drafting, the Celery worker) needs.
    from reports.publishing import publication_create

    require(actor, Capability.RUN_WORKFLOW)
    locked = lock_report(report)
    _check_state(locked, PUBLISH)
    revision = locked.approved_revision
    if revision is None:
        raise InvalidTransition("Cannot publish: no revision is approved.")

    # Annotations may have changed since approval; an excluded source must
    # not reach subscribers even so.
    problems = approval_problems(report=locked, revision=revision)
    if problems:
        raise ValidationFailed(
            "The approved revision can no longer be published.", problems=problems
        )

    publication = publication_create(report=locked, revision=revision, actor=actor)
    locked.state = State.PUBLISHED
    locked.published_revision = revision
    locked.save(update_fields=["state", "published_revision", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.PUBLISHED,
        report=locked,
        revision=revision,
        data={"publication_id": publication.pk, "number": revision.number},
    )
    logger.info(
        "report published report_id=%s revision_id=%s publication_id=%s",
        locked.pk,
        revision.pk,
        publication.pk,
    )
    sync_report(report, locked)
    return publication


@transaction.atomic
def report_withdraw(*, report: Report, actor: Any, reason: str) -> Report:
    """Take a published report back; its publications stay in its history."""
    require(actor, Capability.RUN_WORKFLOW)
    text = _reason(reason, "withdraw the report")
    locked = lock_report(report)
    _check_state(locked, WITHDRAW)

    locked.state = State.WITHDRAWN
    locked.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.WITHDRAWN,
        report=locked,
        revision=locked.published_revision,
        data={"reason": text},
    )
    sync_report(report, locked)
    return locked


def may_redraft(*, report: Report, user: Any) -> bool:
    """Whether this user may ask for a new machine draft of the report now."""
    return can(user, Capability.REQUEST_DRAFT) and report.state in EDITABLE_STATES


def report_redraft(*, report: Report, actor: Any) -> "GenerationJob":
    """Ask for a new machine draft of this report; it lands as a revision.

    A withdrawn report is closed, so it gets no new drafts.
    """
    # Imported here: drafting calls back into this module when its revision
    # lands (`report_revision_added`).
    from reports.jobs import draft_request

    require(actor, Capability.REQUEST_DRAFT)
    if report.state not in EDITABLE_STATES:
        raise InvalidTransition(
            f"This report is {State(report.state).label.lower()}; "
            "it gets no new drafts."
        )
    return draft_request(
        topic=report.topic,
        period_start=report.period_start,
        period_end=report.period_end,
        actor=actor,
    )


def after_new_revision(*, report: Report, revision: Revision, actor: Any) -> None:
    """State consequences of a new revision on a report locked by the caller.

    An approval was of one exact revision, so it is void now. A machine
    redraft replaces the text under review, so review starts again from
    draft; a human edit during review stays in review (the reviewer approves
    the latest revision anyway). An edit of a published report starts a
    correction: back to draft, the published revision and its publication
    kept.
    """
    machine = revision.origin != Revision.Origin.HUMAN
    old_state = report.state
    voided = report.approved_revision_id

    if (
        old_state == State.APPROVED
        or (machine and old_state == State.IN_REVIEW)
        or old_state == State.PUBLISHED
    ):
        report.state = State.DRAFT
        _void_approval(report)
    report.latest_revision = revision
    report.save(
        update_fields=[
            "state",
            "latest_revision",
            *_APPROVAL_FIELDS,
            "updated_at",
        ]
    )

    if old_state == State.PUBLISHED:
        audit_record(
            actor=actor,
            action=Action.CORRECTION_STARTED,
            report=report,
            revision=revision,
            data={"published_revision_id": report.published_revision_id},
        )
    elif voided:
        audit_record(
            actor=actor,
            action=Action.APPROVAL_VOIDED,
            report=report,
            revision=revision,
            data={"voided_revision_id": voided, "by_revision": revision.number},
        )
    elif old_state != report.state:
        audit_record(
            actor=actor,
            action=Action.CHANGES_REQUESTED,
            report=report,
            revision=revision,
            data={"reason": "A new machine draft replaced the text under review."},
        )


@transaction.atomic
def report_revision_added(*, report: Report, revision: Revision) -> Report:
    """For drafting: a machine revision has just been saved on this report.

    Call it in the transaction that created the revision. It voids an
    approval, sends a report in review or approved back to draft, starts a
    correction of a published one, and points the report at the revision.
    """
    locked = lock_report(report)
    if revision.report_id != locked.pk:
        raise InvalidTransition("That revision belongs to another report.")
    if locked.state == State.WITHDRAWN:
        # History only: a withdrawn report stays withdrawn.
        if locked.latest_revision_id is None or revision.number > _latest_number(
            locked
        ):
            locked.latest_revision = revision
            locked.save(update_fields=["latest_revision", "updated_at"])
        sync_report(report, locked)
        return locked
    actor = revision.author
    after_new_revision(report=locked, revision=revision, actor=actor)
    sync_report(report, locked)
    return locked


def _latest_number(report: Report) -> int:
    latest = report.latest_revision
    return latest.number if latest else 0

"""Saving a person's edit of a report as a new, immutable revision.

A save names the revision it was based on. If another save landed in
between, it is refused with a conflict naming who saved, never merged: the
caller still holds the refused input and shows it back.
"""

import logging
from typing import Any

from django.db import transaction

from reports.audit import Action, audit_record
from reports.content import (
    Problem,
    citation_problems,
    parse_content,
    schema_problems,
)
from reports.errors import Conflict, InvalidTransition, ValidationFailed
from reports.models import Report, Revision
from reports.roles import Capability, require
from reports.workflow import (
    EDITABLE_STATES,
    after_new_revision,
    lock_report,
    sync_report,
)

logger = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 1000


def revision_author_name(revision: Revision) -> str:
    """Who wrote a revision, as people say it."""
    if revision.author is not None:
        full = revision.author.get_full_name()
        return full or revision.author.get_username()
    if revision.origin == Revision.Origin.AI:
        return "the AI drafter"
    if revision.origin == Revision.Origin.OFFLINE:
        return "the offline drafter"
    return "someone"


def readable_problems(problems: list[Problem]) -> list[str]:
    """Schema problems one per field, without the validator's inner names.

    A field that may take one of several forms (the threat level: a level or
    empty) fails once per form, located by names like `literal[...]`; people
    need one line for the field.
    """
    lines: dict[str, str] = {}
    for problem in problems:
        parts = [p for p in problem.path.split(".") if p and "[" not in p]
        path = ".".join(parts)
        lines.setdefault(path, str(Problem(path, problem.message)))
    return list(lines.values())


def _conflict(report: Report, base_revision_id: int | None) -> Conflict:
    latest = report.latest_revision
    assert latest is not None
    base = (
        Revision.objects.filter(pk=base_revision_id, report=report).first()
        if base_revision_id is not None
        else None
    )
    since = Revision.objects.filter(report=report).select_related("author")
    since = since.filter(number__gt=base.number) if base else since
    savers = []
    for rev in since.order_by("number"):
        savers.append(
            f"{revision_author_name(rev)} (revision {rev.number}, "
            f"{rev.created_at:%d %b %H:%M} UTC)"
        )
    based_on = f"revision {base.number}" if base else "a revision of another report"
    return Conflict(
        f"Not saved: your edit is based on {based_on}, but "
        f"{'; '.join(savers)} saved since. Your input is kept below; compare it "
        f"with revision {latest.number} before saving again.",
        latest_revision_id=latest.pk,
    )


@transaction.atomic
def revision_save(
    *,
    report: Report,
    actor: Any,
    base_revision_id: int | None,
    content: Any,
    note: str = "",
) -> Revision:
    """Save `content` as the report's next revision, by `actor`.

    Schema errors refuse the save (ValidationFailed lists each one). Citation
    problems do not: a draft may be incomplete, and approval refuses it
    until they are fixed.
    """
    require(actor, Capability.EDIT_REPORT)
    problems = readable_problems(schema_problems(content))
    if problems:
        raise ValidationFailed(
            "Not saved: the report content breaks these rules.", problems=problems
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationFailed(
            "Not saved: the note is too long.",
            problems=[f"note: at most {NOTE_MAX_LENGTH} characters"],
        )

    locked = lock_report(report)
    if locked.state not in EDITABLE_STATES:
        raise InvalidTransition(
            f"This report is {Report.State(locked.state).label.lower()}; "
            "it can no longer be edited."
        )
    if locked.latest_revision_id is None:
        raise InvalidTransition("This report has no draft yet to edit.")
    if base_revision_id != locked.latest_revision_id:
        raise _conflict(locked, base_revision_id)

    parent = locked.latest_revision
    assert parent is not None
    # Normalised by the schema (whitespace trimmed, defaults filled), so two
    # revisions compare equal when they say the same thing.
    normalised = parse_content(content).model_dump()
    revision = Revision.objects.create(
        report=locked,
        number=parent.number + 1,
        parent=parent,
        origin=Revision.Origin.HUMAN,
        author=actor,
        note=note,
        content=normalised,
        # The set of citable articles is the drafter's; an edit keeps it.
        input_article_ids=list(parent.input_article_ids or []),
    )
    open_problems = citation_problems(
        parse_content(normalised),
        allowed_source_ids=revision.input_article_ids,
    )
    audit_record(
        actor=actor,
        action=Action.REVISION_SAVED,
        report=locked,
        revision=revision,
        data={
            "number": revision.number,
            "base_revision_id": base_revision_id,
            "note": note,
            "citation_problems": [str(p) for p in open_problems],
        },
    )
    after_new_revision(report=locked, revision=revision, actor=actor)
    logger.info(
        "revision saved report_id=%s revision_id=%s number=%s",
        locked.pk,
        revision.pk,
        revision.number,
    )
    sync_report(report, locked)
    return revision

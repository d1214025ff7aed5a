"""Review on the desk: comments on a revision's sections and hotspots, and
analysts' judgements of the report's sources, made from the report itself.

A comment stays attached to the revision it was made on: the text it speaks
of is that revision's. Answers hang under the comment they answer; resolving
closes the whole thread.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from feeds.annotations import annotation_add
from feeds.errors import AnnotationRejected
from feeds.models import Annotation, Article
from reports.audit import Action, audit_record
from reports.content import OUTLOOK_TITLES, SECTION_TITLES
from reports.errors import NotFound, ValidationFailed
from reports.models import Report, ReviewComment, Revision
from reports.roles import Capability, require
from reports.sources import revision_source_ids

logger = logging.getLogger(__name__)

COMMENT_MAX_LENGTH = 5000


def section_label(path: str) -> str:
    """A section path as people read it: `key_developments.2` -> ..."""
    parts = path.split(".")
    head = SECTION_TITLES.get(parts[0], parts[0])
    if parts[0] == "key_developments" and len(parts) > 1:
        return f"Key development {int(parts[1]) + 1}"
    if parts[0] == "outlook" and len(parts) > 1:
        return OUTLOOK_TITLES.get(parts[1], head)
    if parts[:2] == ["assessment", "hotspots"] and len(parts) > 2:
        return f"Hotspot {int(parts[2]) + 1}"
    if parts[:2] == ["assessment", "threat_level"]:
        return "Threat level"
    if parts[:2] == ["assessment", "rationale"]:
        return "Threat level rationale"
    return head


def section_exists(content: dict[str, Any], path: str) -> bool:
    """Whether `path` names a section, item or field of this content."""
    node: Any = content
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


@transaction.atomic
def comment_add(
    *,
    revision: Revision,
    actor: Any,
    section: str,
    text: str,
    parent: ReviewComment | None = None,
) -> ReviewComment:
    """Comment on a section of a revision, or answer a comment."""
    require(actor, Capability.COMMENT)
    body = (text or "").strip()
    if not body:
        raise ValidationFailed(
            "Write something to comment.", problems=["text: the comment is empty"]
        )
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationFailed(
            "The comment is too long.",
            problems=[f"text: at most {COMMENT_MAX_LENGTH} characters"],
        )

    if parent is not None:
        if parent.revision_id != revision.pk:
            raise ValidationFailed(
                "An answer belongs to the revision of the comment it answers.",
                problems=["parent: the comment is on another revision"],
            )
        # Threads are one level deep: an answer to an answer joins the thread.
        while parent.parent_id is not None:
            parent = ReviewComment.objects.get(pk=parent.parent_id)
        section = parent.section
    elif not section_exists(revision.content, section):
        raise ValidationFailed(
            f"Revision {revision.number} has no section “{section}”.",
            problems=[f"section: {section} is not a part of this revision"],
        )

    comment = ReviewComment.objects.create(
        revision=revision,
        section=section,
        parent=parent,
        author=actor,
        text=body,
    )
    audit_record(
        actor=actor,
        action=Action.COMMENTED,
        report=revision.report,
        revision=revision,
        data={
            "comment_id": comment.pk,
            "section": section,
            "answer_to": parent.pk if parent else None,
        },
    )
    return comment


@transaction.atomic
def comment_resolve(*, comment: ReviewComment, actor: Any) -> ReviewComment:
    """Close a comment's thread. Resolving twice changes nothing."""
    require(actor, Capability.COMMENT)
    root = ReviewComment.objects.select_for_update().get(
        pk=comment.parent_id or comment.pk
    )
    if root.resolved:
        return root
    root.resolved = True
    root.resolved_by = actor
    root.resolved_at = timezone.now()
    root.save(update_fields=["resolved", "resolved_by", "resolved_at"])
    revision = root.revision
    audit_record(
        actor=actor,
        action=Action.COMMENT_RESOLVED,
        report=revision.report,
        revision=revision,
        data={"comment_id": root.pk, "section": root.section},
    )
    comment.resolved = True
    return root


@dataclass
class Thread:
    comment: ReviewComment
    answers: list[ReviewComment] = field(default_factory=list)


def comment_threads(*, report: Report) -> dict[str, list[Thread]]:
    """All threads on any revision of the report, by section path."""
    comments = (
        ReviewComment.objects.filter(revision__report=report)
        .select_related("author", "resolved_by", "revision")
        .order_by("created_at", "id")
    )
    threads: dict[int, Thread] = {}
    by_section: dict[str, list[Thread]] = defaultdict(list)
    for comment in comments:
        if comment.parent_id is None:
            threads[comment.pk] = Thread(comment)
            by_section[comment.section].append(threads[comment.pk])
        elif comment.parent_id in threads:
            threads[comment.parent_id].answers.append(comment)
    return dict(by_section)


@transaction.atomic
def source_annotate(
    *,
    article: Article,
    actor: Any,
    credibility: int,
    relevance: int,
    note: str = "",
    excluded: bool = False,
    report: Report | None = None,
) -> Annotation:
    """An analyst's judgement of an article, as one of `report`'s sources
    when one is named (the event then goes to that report's audit log).

    In force at once: the next approval check reads the newest annotation,
    so a cited source excluded here, or anywhere else, blocks approval.
    """
    require(actor, Capability.ANNOTATE)
    revision = report.latest_revision if report is not None else None
    if report is not None and article.pk not in revision_source_ids(revision):
        raise NotFound("That article is not one of this report's sources.")
    _check_choice(credibility, Annotation.Credibility, "credibility")
    _check_choice(relevance, Annotation.Relevance, "relevance")

    try:
        annotation = annotation_add(
            article=article,
            analyst=actor,
            credibility=credibility,
            relevance=relevance,
            note=note,
            excluded=excluded,
        )
    except AnnotationRejected as exc:
        raise ValidationFailed(exc.message, problems=exc.problems) from None
    audit_record(
        actor=actor,
        action=Action.SOURCE_ANNOTATED,
        report=report,
        revision=revision,
        data={
            "article_id": article.pk,
            "annotation_id": annotation.pk,
            "credibility": credibility,
            "relevance": relevance,
            "excluded": excluded,
        },
    )
    return annotation


def _check_choice(value: int, choices: Any, name: str) -> None:
    if value not in choices.values:
        allowed = ", ".join(str(v) for v in choices.values)
        raise ValidationFailed(
            f"{name.capitalize()} must be one of {allowed}.",
            problems=[f"{name}: {value!r} is not one of {allowed}"],
        )

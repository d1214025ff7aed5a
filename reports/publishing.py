"""Publications: the PDF of an approved revision, rendered once and kept.

`publication_create()` is called by the workflow's publish step inside its
transaction (the workflow owns the state change, the lock and the audit
event). It renders the PDF, stores the bytes under their SHA-256 and writes
the Publication row; followers of the topic are e-mailed after the
transaction commits, by the `notify_publication` task.

A correction is simply a later publication of the same report: the newest
one is current, the earlier ones are superseded but stay listed.
"""

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from feeds.models import Tlp
from reports.annex import revision_input_article_ids
from reports.content import THREAT_LEVELS, content_problems
from reports.delivery import PdfFile
from reports.errors import Forbidden, NotFound, ValidationFailed
from reports.models import (
    Download,
    Publication,
    PublicationNotice,
    Report,
    Revision,
    TopicFollow,
)
from reports.rendering import RenderError, format_period, paragraphs, report_pdf
from reports.roles import Capability, can, require

logger = logging.getLogger(__name__)

# Markings whose content may travel by e-mail; for the others the message
# only says a report is out and links to the portal.
_MAILABLE_TLP = {Tlp.CLEAR, Tlp.GREEN}


@transaction.atomic
def publication_create(
    *, report: Report, revision: Revision, actor: Any
) -> Publication:
    """Render `revision` to PDF, store it and record the publication.

    Refuses content that breaks the schema or cites articles the drafter was
    not given. Call it inside the transaction that publishes the report.
    """
    require(actor, Capability.RUN_WORKFLOW)
    if revision.report_id != report.pk:
        raise ValidationFailed("That revision belongs to another report.")
    problems = content_problems(
        revision.content, allowed_source_ids=revision_input_article_ids(revision)
    )
    if problems:
        raise ValidationFailed(
            "This revision cannot be published until its problems are fixed.",
            problems=[str(p) for p in problems],
        )

    published_at = timezone.now()
    try:
        pdf = report_pdf(
            report=report, revision=revision, published_at=published_at, publisher=actor
        )
    except RenderError as exc:
        raise ValidationFailed(str(exc)) from exc
    digest = hashlib.sha256(pdf).hexdigest()
    name = pdf_store(pdf, digest=digest)

    publication = Publication.objects.create(
        report=report,
        revision=revision,
        pdf=name,
        sha256=digest,
        size=len(pdf),
        published_at=published_at,
        published_by=actor,
    )
    # Imported here: the tasks module imports the drafting side, which in
    # turn reaches the workflow that calls this function.
    from reports.tasks import notify_publication

    transaction.on_commit(lambda: notify_publication.delay(publication.pk), robust=True)
    logger.info(
        "publication created publication_id=%s report_id=%s revision_id=%s "
        "size=%d sha256=%s",
        publication.pk,
        report.pk,
        revision.pk,
        len(pdf),
        digest[:12],
    )
    return publication


def pdf_store(pdf: bytes, *, digest: str) -> str:
    """Keep the bytes under a name made from their hash; return the name.

    The file is written beside its final place and renamed into it, so a
    crash never leaves a truncated PDF under a real name. If the publishing
    transaction rolls back afterwards the file stays as an orphan without a
    row; it is harmless, and a later publication of the same bytes reuses it.
    """
    name = f"publications/{digest[:2]}/{digest}.pdf"
    if default_storage.exists(name) and default_storage.size(name) == len(pdf):
        return name
    try:
        final = Path(default_storage.path(name))
    except NotImplementedError:
        # A remote storage writes objects whole or not at all.
        return default_storage.save(name, ContentFile(pdf))
    final.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=final.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(pdf)
            out.flush()
            os.fsync(out.fileno())
        # mkstemp makes the file private; give it the storage's usual mode
        # so a front server (X-Accel-Redirect, backups) can read it.
        os.chmod(temporary, settings.FILE_UPLOAD_PERMISSIONS or 0o644)
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name


@contextmanager
def publication_open(publication: Publication) -> Iterator[IO[bytes]]:
    """The stored PDF, opened for reading; NotFound when the file is gone."""
    try:
        handle = default_storage.open(str(publication.pdf.name), "rb")
    except FileNotFoundError:
        logger.error(
            "publication file missing publication_id=%s name=%s",
            publication.pk,
            publication.pdf.name,
        )
        raise NotFound("The PDF of this publication is missing.") from None
    try:
        yield handle
    finally:
        handle.close()


def publication_path(publication: Publication) -> Path | None:
    """The file's local path when the storage has one (for sendfile)."""
    try:
        return Path(default_storage.path(str(publication.pdf.name)))
    except NotImplementedError:
        return None


# --- What readers may see ------------------------------------------------------


def visible_publications(user: Any) -> QuerySet[Publication]:
    """Publications the user may download.

    Subscribers see every publication of a report that is not withdrawn,
    including superseded ones (they stay listed after a correction); desk
    members also see withdrawn reports' publications, for the record.
    """
    if not can(user, Capability.READ_PUBLISHED):
        return Publication.objects.none()
    rows = Publication.objects.select_related("report", "report__topic", "revision")
    if not can(user, Capability.READ_DESK):
        rows = rows.exclude(report__state=Report.State.WITHDRAWN)
    return rows


def publication_current(*, report: Report) -> Publication | None:
    """The newest publication of the report; the one downloads serve."""
    return report.publications.order_by("-published_at", "-id").first()


def publication_for_reader(
    *, user: Any, report_id: int, publication_id: int | None = None
) -> Publication:
    """The publication a reader asked for, or NotFound / Forbidden.

    Whether a report exists is itself private: a draft, a withdrawn report
    (to subscribers) and an unknown id all look the same, NotFound.
    """
    if not can(user, Capability.READ_PUBLISHED):
        raise Forbidden("Your account does not give access to published reports.")
    # A download needs the file's facts, not the revision's content.
    rows = (
        visible_publications(user)
        .filter(report_id=report_id)
        .defer("revision__content", "revision__input_article_ids", "revision__usage")
    )
    if publication_id is not None:
        rows = rows.filter(pk=publication_id)
    publication = rows.order_by("-published_at", "-id").first()
    if publication is None:
        raise NotFound("There is no published report with that number.")
    return publication


def pdf_file(publication: Publication, *, current: bool = True) -> PdfFile:
    """The facts a download answer is built from."""
    return PdfFile(
        publication_id=publication.pk,
        sha256=publication.sha256,
        size=publication.size,
        published_at=publication.published_at,
        filename=pdf_filename(publication, current=current),
    )


def download_log(*, publication: Publication, user: Any, span: str) -> None:
    """Record one download (`span` is "" for the whole file)."""
    Download.objects.create(publication=publication, user=user, byte_range=span)
    logger.info(
        "publication downloaded publication_id=%s user_id=%s range=%s",
        publication.pk,
        getattr(user, "pk", None),
        span or "all",
    )


def pdf_filename(publication: Publication, *, current: bool = True) -> str:
    """'mongolia-security-report-2026-05-07-to-2026-05-14.pdf' (and, for a
    superseded version, its revision number)."""
    report = publication.report
    base = (
        f"{report.topic.slug}-security-report-"
        f"{report.period_start:%Y-%m-%d}-to-{report.period_end:%Y-%m-%d}"
    )
    if not current:
        base += f"-superseded-r{publication.revision.number}"
    return base + ".pdf"


# --- Notifications ----------------------------------------------------------------


def publication_notify(*, publication_id: int) -> int:
    """E-mail each follower of the topic about one publication, once.

    Returns how many messages were sent. A follower already told (a retried
    task) is skipped; one whose address fails is left for the retry.
    """
    publication = (
        Publication.objects.select_related("report", "report__topic", "revision")
        .filter(pk=publication_id)
        .first()
    )
    if publication is None:
        logger.warning(
            "notify skipped publication_id=%s reason=missing", publication_id
        )
        return 0
    report = publication.report
    if report.state == Report.State.WITHDRAWN:
        logger.info("notify skipped publication_id=%s reason=withdrawn", publication_id)
        return 0

    told = set(
        PublicationNotice.objects.filter(publication=publication).values_list(
            "user_id", flat=True
        )
    )
    follows = (
        TopicFollow.objects.filter(topic_id=report.topic_id, user__is_active=True)
        .exclude(user__email="")
        .exclude(user_id__in=told)
        .select_related("user")
        .order_by("user_id")
    )
    correction = (
        Publication.objects.filter(
            report=report, published_at__lt=publication.published_at
        )
        .exclude(pk=publication.pk)
        .exists()
    )
    sent = 0
    for follow in follows:
        user = follow.user
        if not can(user, Capability.READ_PUBLISHED):
            continue
        message = _notice_message(publication, user, correction=correction)
        message.send()
        try:
            PublicationNotice.objects.create(publication=publication, user=user)
        except IntegrityError:
            # Another run of the task told this follower at the same time.
            continue
        sent += 1
    logger.info(
        "followers notified publication_id=%s sent=%d skipped=%d",
        publication.pk,
        sent,
        len(told),
    )
    return sent


def _notice_message(
    publication: Publication, user: Any, *, correction: bool
) -> EmailMultiAlternatives:
    report = publication.report
    topic = report.topic
    content = publication.revision.content
    level = (content.get("assessment") or {}).get("threat_level", "")
    mailable = report.tlp in _MAILABLE_TLP
    site = settings.OSINT_SITE_URL
    context = {
        "user": user,
        "topic": topic,
        "report": report,
        "period": format_period(report.period_start, report.period_end),
        "tlp": Tlp(report.tlp).label,
        "threat_level": level,
        "threat_definition": THREAT_LEVELS.get(level, ""),
        "summary": paragraphs(content.get("executive_summary", "")) if mailable else [],
        "mailable": mailable,
        "correction": correction,
        "report_url": site + reverse("portal:report", args=[report.pk]),
        "pdf_url": site + reverse("portal:report_pdf", args=[report.pk]),
        "subscriptions_url": site + reverse("portal:subscriptions"),
    }
    prefix = "Corrected: " if correction else ""
    subject = (
        f"[{context['tlp']}] {prefix}{topic.name} Security Analysis Report, "
        f"{context['period']}"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("portal/email/publication.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("portal/email/publication.html", context), "text/html"
    )
    return message

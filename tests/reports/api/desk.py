"""Reports in each workflow state, built directly, for the API tests.

The workflow's own tests prove the transitions; here the states are the
inputs of the permission matrix, so they are set up as rows.
"""

import hashlib

from django.contrib.auth.models import User
from django.utils import timezone

from reports.models import Publication, Report, ReviewComment
from reports.publishing import pdf_store
from tests.factories import make_report

STATES = [state.value for state in Report.State]

# A tiny but well-formed PDF, so downloads have real bytes to serve.
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def publish_row(
    report: Report, *, publisher: User, pdf: bytes = TINY_PDF
) -> Publication:
    digest = hashlib.sha256(pdf).hexdigest()
    revision = report.latest_revision
    assert revision is not None
    return Publication.objects.create(
        report=report,
        revision=revision,
        pdf=pdf_store(pdf, digest=digest),
        sha256=digest,
        size=len(pdf),
        published_at=timezone.now(),
        published_by=publisher,
    )


def report_in(state: str, *, publisher: User, **make: object) -> Report:
    """A report with one offline revision, in `state`, with what it implies:
    an approval from `approved` on, a publication from `published` on."""
    report = make_report(**make)  # type: ignore[arg-type]
    revision = report.latest_revision
    assert revision is not None
    if state in (Report.State.APPROVED, Report.State.PUBLISHED, Report.State.WITHDRAWN):
        report.approved_revision = revision
        report.approved_by = publisher
        report.approved_at = timezone.now()
    if state in (Report.State.PUBLISHED, Report.State.WITHDRAWN):
        report.published_revision = revision
        publish_row(report, publisher=publisher)
    report.state = state
    report.save()
    ReviewComment.objects.create(
        revision=revision, section="executive_summary", author=publisher, text="Ok."
    )
    return report

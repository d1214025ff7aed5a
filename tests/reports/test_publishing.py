import hashlib
import os
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from reports.errors import Forbidden, NotFound, ValidationFailed
from reports.models import Publication, Report, Revision
from reports.publishing import (
    pdf_filename,
    pdf_store,
    publication_create,
    publication_current,
    publication_for_reader,
)
from reports.workflow import report_publish
from tests.factories import make_content, make_report, make_user
from tests.reports.publishing_samples import latest, make_publication

# Also run on the embedded default (SQLite, in-process tasks) in CI.
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _approved(editor, approver) -> Report:
    report = make_report(author=editor)
    report.state = Report.State.APPROVED
    report.approved_revision = latest(report)
    report.approved_by = approver
    report.save()
    return report


def test_it_renders_once_and_stores_the_bytes_with_their_hash(editor, editor2):
    report = _approved(editor, editor2)

    publication = publication_create(
        report=report, revision=latest(report), actor=editor2
    )

    stored = Path(default_storage.path(str(publication.pdf.name))).read_bytes()
    assert stored.startswith(b"%PDF")
    assert publication.size == len(stored)
    assert publication.sha256 == hashlib.sha256(stored).hexdigest()
    assert publication.pdf.name == (
        f"publications/{publication.sha256[:2]}/{publication.sha256}.pdf"
    )
    assert publication.published_by == editor2
    assert not list(Path(default_storage.path("publications")).rglob("*.part"))


def test_it_refuses_a_revision_citing_articles_not_given(editor, editor2):
    report = _approved(editor, editor2)
    given = latest(report).input_article_ids
    bad = Revision.objects.create(
        report=report,
        number=2,
        origin=Revision.Origin.HUMAN,
        content=make_content([999_999]),
        input_article_ids=given,
    )

    with pytest.raises(ValidationFailed) as caught:
        publication_create(report=report, revision=bad, actor=editor2)

    assert any("999999" in p for p in caught.value.problems)
    assert not Publication.objects.exists()


def test_it_refuses_actors_who_may_not_publish(editor, editor2, subscriber, analyst):
    report = _approved(editor, editor2)
    for actor in (subscriber, analyst):
        with pytest.raises(Forbidden):
            publication_create(report=report, revision=latest(report), actor=actor)
    assert not Publication.objects.exists()


def test_it_refuses_a_revision_of_another_report(editor, editor2):
    report = _approved(editor, editor2)
    other = make_report()
    with pytest.raises(ValidationFailed):
        publication_create(report=report, revision=latest(other), actor=editor2)


def test_a_failed_write_leaves_no_record_and_no_partial_file(
    editor, editor2, monkeypatch
):
    report = _approved(editor, editor2)

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        publication_create(report=report, revision=latest(report), actor=editor2)

    assert not Publication.objects.exists()
    folder = Path(default_storage.path("publications"))
    assert not [p for p in folder.rglob("*") if p.is_file()]


def test_it_reuses_a_file_with_the_same_bytes():
    data = b"%PDF-1.7 same bytes"
    digest = hashlib.sha256(data).hexdigest()
    first = pdf_store(data, digest=digest)
    second = pdf_store(data, digest=digest)
    assert first == second
    assert Path(default_storage.path(first)).read_bytes() == data


def test_a_correction_is_a_new_publication_and_the_old_one_stays(
    editor, editor2, subscriber
):
    report = _approved(editor, editor2)
    old = make_publication(report, data=b"%PDF old")
    revision = Revision.objects.create(
        report=report,
        number=2,
        parent=latest(report),
        origin=Revision.Origin.HUMAN,
        author=editor,
        content=latest(report).content,
    )
    report.approved_revision = revision
    report.save()

    new = publication_create(report=report, revision=revision, actor=editor2)

    assert publication_current(report=report) == new
    assert set(report.publications.all()) == {old, new}
    assert publication_for_reader(user=subscriber, report_id=report.pk) == new
    assert (
        publication_for_reader(
            user=subscriber, report_id=report.pk, publication_id=old.pk
        )
        == old
    )
    assert pdf_filename(old, current=False).endswith("-superseded-r1.pdf")


def test_it_names_the_file_after_topic_and_period(editor):
    report = make_report()
    publication = make_publication(report, by=editor)
    assert pdf_filename(publication) == (
        f"{report.topic.slug}-security-report-2026-05-07-to-2026-05-14.pdf"
    )


def test_the_workflow_publishes_through_it(editor, editor2):
    report = _approved(editor, editor2)

    publication = report_publish(report=report, actor=editor2)

    report.refresh_from_db()
    assert report.state == Report.State.PUBLISHED
    assert report.published_revision_id == publication.revision_id
    assert Path(default_storage.path(str(publication.pdf.name))).exists()


def test_a_failed_render_keeps_the_report_approved(editor, editor2, monkeypatch):
    report = _approved(editor, editor2)

    def broken(**kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("reports.publishing.report_pdf", broken)
    with pytest.raises(RuntimeError):
        report_publish(report=report, actor=editor2)

    report.refresh_from_db()
    assert report.state == Report.State.APPROVED
    assert not Publication.objects.exists()


def test_subscribers_do_not_see_withdrawn_reports_but_editors_do(editor, subscriber):
    report = make_report()
    make_publication(report)
    Report.objects.filter(pk=report.pk).update(state=Report.State.WITHDRAWN)

    with pytest.raises(NotFound):
        publication_for_reader(user=subscriber, report_id=report.pk)
    assert publication_for_reader(user=editor, report_id=report.pk)


def test_drafts_have_nothing_to_download(editor):
    report = make_report()

    with pytest.raises(NotFound):
        publication_for_reader(user=editor, report_id=report.pk)
    outsider = make_user(None)
    with pytest.raises(Forbidden):
        publication_for_reader(user=outsider, report_id=report.pk)

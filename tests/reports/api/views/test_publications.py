"""Publications through the API: metadata, supersession and the PDF bytes."""

import hashlib

import pytest

from reports.models import Download, Report
from tests.reports.api.clients import bearer_client
from tests.reports.api.desk import TINY_PDF, publish_row, report_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_it_serves_the_stored_bytes_with_their_etag_and_logs_the_download(
    editor2, subscriber
):
    report = report_in(Report.State.PUBLISHED, publisher=editor2)
    publication = report.publications.get()

    response = bearer_client(subscriber).get(
        f"/api/publications/{publication.pk}/pdf/", HTTP_ACCEPT="application/pdf"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == TINY_PDF
    assert response["ETag"] == f'"{hashlib.sha256(TINY_PDF).hexdigest()}"'
    assert report.topic.slug in response["Content-Disposition"]
    assert Download.objects.filter(publication=publication, user=subscriber).exists()


def test_it_serves_a_byte_range_and_logs_it(editor2, subscriber):
    report = report_in(Report.State.PUBLISHED, publisher=editor2)
    publication = report.publications.get()

    response = bearer_client(subscriber).get(
        f"/api/publications/{publication.pk}/pdf/", HTTP_RANGE="bytes=0-3"
    )

    assert response.status_code == 206
    assert response.content == TINY_PDF[:4]
    assert response["Content-Range"] == f"bytes 0-3/{len(TINY_PDF)}"
    assert Download.objects.get(publication=publication).byte_range == "bytes=0-3"


def test_it_answers_304_to_a_client_holding_the_same_bytes(editor2, subscriber):
    report = report_in(Report.State.PUBLISHED, publisher=editor2)
    publication = report.publications.get()
    client = bearer_client(subscriber)
    etag = client.get(f"/api/publications/{publication.pk}/pdf/")["ETag"]

    again = client.get(
        f"/api/publications/{publication.pk}/pdf/", HTTP_IF_NONE_MATCH=etag
    )

    assert again.status_code == 304
    assert again.content == b""


def test_it_answers_errors_as_json_even_to_a_client_asking_for_pdf(subscriber):
    response = bearer_client(subscriber).get(
        "/api/publications/999999/pdf/", HTTP_ACCEPT="application/pdf"
    )

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_it_keeps_a_corrected_publication_listed_as_superseded(editor2, subscriber):
    report = report_in(Report.State.PUBLISHED, publisher=editor2)
    first = report.publications.get()
    second = publish_row(report, publisher=editor2, pdf=TINY_PDF + b"%fix\n")

    listed = (
        bearer_client(subscriber)
        .get("/api/publications/", {"report": report.pk})
        .json()["results"]
    )

    assert [(p["id"], p["superseded"]) for p in listed] == [
        (second.pk, False),
        (first.pk, True),
    ]
    assert listed[0]["pdf_url"].endswith(f"/api/publications/{second.pk}/pdf/")


def test_it_hides_a_withdrawn_reports_publications_from_subscribers(
    editor2, subscriber, analyst
):
    report = report_in(Report.State.WITHDRAWN, publisher=editor2)
    publication = report.publications.get()
    path = f"/api/publications/{publication.pk}/"

    assert bearer_client(subscriber).get(path).status_code == 404
    assert bearer_client(subscriber).get(path + "pdf/").status_code == 404
    assert bearer_client(analyst).get(path).status_code == 200


def test_it_publishes_through_the_workflow_and_answers_the_publication(editor, editor2):
    report = report_in(Report.State.APPROVED, publisher=editor2)

    response = bearer_client(editor).post(f"/api/reports/{report.pk}/publish/")

    assert response.status_code == 201
    made = response.json()
    pdf = bearer_client(editor).get(f"/api/publications/{made['id']}/pdf/")
    assert pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == made["sha256"]
    assert len(pdf.content) == made["size"]


def test_it_answers_head_without_logging_a_download(editor2, subscriber):
    report = report_in(Report.State.PUBLISHED, publisher=editor2)
    publication = report.publications.get()

    response = bearer_client(subscriber).head(
        f"/api/publications/{publication.pk}/pdf/"
    )

    assert response.status_code == 200
    assert response["ETag"]
    assert not Download.objects.exists()

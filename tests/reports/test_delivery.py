"""The HTTP rules of a PDF answer, without a request or a file."""

import datetime as dt

import pytest

from reports.delivery import PdfFile, pdf_answer

FILE = PdfFile(
    publication_id=7,
    sha256="ab" * 32,
    size=1000,
    published_at=dt.datetime(2026, 5, 15, 9, 30, tzinfo=dt.UTC),
    filename="mongolia-security-report-2026-05-07-to-2026-05-14.pdf",
)


def _headers(answer) -> dict[str, str]:
    return dict(answer.headers)


def test_a_plain_get_is_the_whole_file_and_a_download():
    answer = pdf_answer(FILE, method="GET")

    assert (answer.status, answer.first, answer.last) == (200, 0, 999)
    assert answer.logged_range == ""
    headers = _headers(answer)
    assert headers["Content-Length"] == "1000"
    assert headers["ETag"] == f'"{FILE.sha256}"'
    assert headers["Last-Modified"] == "Fri, 15 May 2026 09:30:00 GMT"
    assert headers["Content-Disposition"] == f'attachment; filename="{FILE.filename}"'


def test_a_head_is_answered_but_not_logged():
    answer = pdf_answer(FILE, method="HEAD")
    assert answer.status == 200 and answer.logged_range is None


@pytest.mark.parametrize("tag", [f'"{"ab" * 32}"', f'W/"{"ab" * 32}"', "*"])
def test_a_matching_etag_is_a_304_and_no_download(tag):
    answer = pdf_answer(FILE, method="GET", if_none_match=tag)
    assert answer.status == 304 and answer.logged_range is None
    assert answer.length == 0


def test_a_range_is_a_206_logged_with_its_span():
    answer = pdf_answer(FILE, method="GET", range_header="bytes=10-19")

    assert (answer.status, answer.first, answer.last, answer.length) == (
        206,
        10,
        19,
        10,
    )
    assert _headers(answer)["Content-Range"] == "bytes 10-19/1000"
    assert _headers(answer)["Content-Length"] == "10"
    assert answer.logged_range == "bytes=10-19"


def test_a_range_past_the_end_is_refused_with_the_size():
    answer = pdf_answer(FILE, method="GET", range_header="bytes=5000-")
    assert answer.status == 416
    assert _headers(answer)["Content-Range"] == "bytes */1000"
    assert answer.logged_range is None


def test_a_range_for_another_version_gets_the_whole_new_file():
    answer = pdf_answer(
        FILE, method="GET", range_header="bytes=0-9", if_range='"another"'
    )
    assert answer.status == 200 and answer.length == 1000


def test_a_filename_outside_ascii_is_encoded_for_every_browser():
    file = PdfFile(**{**FILE.__dict__, "filename": "улаанбаатар.pdf"})
    disposition = _headers(pdf_answer(file, method="GET"))["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")

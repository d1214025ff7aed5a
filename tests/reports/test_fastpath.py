"""The download fast path in front of Django (osint/asgi.py).

Requests go through the real ASGI stack: the fast path, and behind it
Django's own ASGI handler with every middleware, so whatever the fast path
leaves alone is answered exactly as the portal answers it.
"""

import asyncio
import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from osint.asgi import application, django_application
from reports import fastpath
from reports.fastpath import DownloadFastPath, DownloadQueue, downloads_write
from reports.models import Download, Report
from tests.factories import make_report, session_cookie
from tests.reports.publishing_samples import make_publication

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64

# Also run on the embedded default (SQLite, in-process tasks) in CI.
pytestmark = pytest.mark.embedded


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def published(db):
    report = make_report(state=Report.State.PUBLISHED)
    make_publication(report, data=PDF)
    return report


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


def _get(app: Any, path: str, *, method: str = "GET", **headers: str) -> Answer:
    """One request through an ASGI app, as a server would make it."""
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop()
        await asyncio.Event().wait()  # the client stays until the answer ends
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (name.replace("_", "-").lower().encode(), value.encode())
            for name, value in [("host", "testserver"), *headers.items()]
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    # As Django's test clients do: the test's transaction must survive the
    # request signals that would otherwise close its connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        async_to_sync(app)(scope, receive, send)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(
        m.get("body", b"") for m in sent if m["type"] == "http.response.body"
    )
    return Answer(
        start["status"],
        {k.decode().lower(): v.decode() for k, v in start["headers"]},
        body,
    )


def _flush(app: DownloadFastPath) -> None:
    async_to_sync(app.queue.flush)()


@pytest.fixture
def fast():
    return DownloadFastPath(django_application, grant_seconds=60)


def test_the_served_application_is_the_fast_path_in_front_of_django():
    assert isinstance(application, DownloadFastPath)
    assert application.app is django_application


# --- What it serves -----------------------------------------------------------------


@pytest.mark.django_db
def test_it_serves_the_bytes_and_headers_the_django_view_serves(
    published, subscriber, fast
):
    cookie = session_cookie(subscriber)
    url = f"/reports/{published.pk}/pdf/"

    through_django = _get(django_application, url, cookie=cookie)
    first = _get(fast, url, cookie=cookie)
    second = _get(fast, url, cookie=cookie)

    assert first.status == second.status == through_django.status == 200
    assert first.body == second.body == through_django.body == PDF
    assert second.headers == through_django.headers


@pytest.mark.django_db
def test_a_repeated_download_reads_nothing_from_the_database(
    published, subscriber, fast, django_assert_num_queries
):
    cookie = session_cookie(subscriber)
    url = f"/reports/{published.pk}/pdf/"
    _get(fast, url, cookie=cookie)

    with django_assert_num_queries(0):
        again = _get(fast, url, cookie=cookie)

    assert again.body == PDF


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "status", "body"),
    [
        ({"range": "bytes=0-99"}, 206, PDF[:100]),
        ({"range": "bytes=-10"}, 206, PDF[-10:]),
        ({"range": "bytes=0-1,5-9"}, 200, PDF),
        (
            {"range": "bytes=999999-"},
            416,
            b"The requested range lies outside the file.",
        ),
        ({"range": "bytes=0-9", "if_range": '"older"'}, 200, PDF),
    ],
)
def test_ranges_are_answered_as_the_view_answers_them(
    published, subscriber, fast, headers, status, body
):
    cookie = session_cookie(subscriber)
    url = f"/reports/{published.pk}/pdf/"
    _get(fast, url, cookie=cookie)  # a grant in hand

    answer = _get(fast, url, cookie=cookie, **headers)
    through_django = _get(django_application, url, cookie=cookie, **headers)

    assert answer.status == through_django.status == status
    assert answer.body == through_django.body == body
    assert answer.headers.get("content-range") == through_django.headers.get(
        "content-range"
    )


@pytest.mark.django_db
def test_it_answers_304_and_head_without_a_body(published, subscriber, fast):
    cookie = session_cookie(subscriber)
    url = f"/reports/{published.pk}/pdf/"
    etag = _get(fast, url, cookie=cookie).headers["etag"]

    unchanged = _get(fast, url, cookie=cookie, if_none_match=etag)
    head = _get(fast, url, method="HEAD", cookie=cookie)

    assert unchanged.status == 304 and unchanged.body == b""
    assert head.status == 200 and head.body == b""
    assert head.headers["content-length"] == str(len(PDF))


# --- What it leaves to Django -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "who", "status"),
    [
        ("published", None, 302),
        ("published", "outsider", 403),
        ("draft", "subscriber", 404),
        ("withdrawn", "subscriber", 404),
        ("withdrawn", "editor", 200),
        ("unknown", "subscriber", 404),
    ],
)
def test_the_download_matrix_holds_through_the_fast_path(
    request, fast, state, who, status
):
    if state == "unknown":
        url = "/reports/987654/pdf/"
    else:
        report = make_report(state=state)
        if state != "draft":
            make_publication(report, data=PDF)
        url = f"/reports/{report.pk}/pdf/"
    cookie = session_cookie(request.getfixturevalue(who)) if who else ""

    answer = _get(fast, url, cookie=cookie)

    assert answer.status == status
    if status == 302:
        assert answer.headers["location"].startswith("/accounts/login/?next=")
    assert (b"%PDF" in answer.body) == (status == 200)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cookie",
    ["sessionid=not-a-real-session-key-0000", "sessionid=../../etc", "other=1"],
)
def test_unknown_or_malformed_sessions_go_to_sign_in(published, fast, cookie):
    answer = _get(fast, f"/reports/{published.pk}/pdf/", cookie=cookie)
    assert answer.status == 302


@pytest.mark.django_db
def test_a_changed_password_ends_the_sessions_downloads(published, subscriber):
    fast = DownloadFastPath(django_application, grant_seconds=0)
    cookie = session_cookie(subscriber)
    url = f"/reports/{published.pk}/pdf/"
    assert _get(fast, url, cookie=cookie).status == 200

    subscriber.set_password("a-new-one")
    subscriber.save()

    assert _get(fast, url, cookie=cookie).status == 302


@pytest.mark.django_db
def test_a_withdrawal_or_sign_out_reaches_downloads_when_the_grant_ends(
    published, subscriber, monkeypatch
):
    fast = DownloadFastPath(django_application, grant_seconds=5)
    cookie = session_cookie(subscriber)
    url = f"/reports/{published.pk}/pdf/"
    assert _get(fast, url, cookie=cookie).status == 200
    Report.objects.filter(pk=published.pk).update(state=Report.State.WITHDRAWN)

    # Within the grant the session's right is reused, as documented...
    assert _get(fast, url, cookie=cookie).status == 200
    # ...and once it ends the withdrawal holds.
    later = time.monotonic() + 6
    monkeypatch.setattr(fastpath.time, "monotonic", lambda: later)
    assert _get(fast, url, cookie=cookie).status == 404

    Session.objects.all().delete()
    assert _get(fast, url, cookie=cookie).status == 302


@pytest.mark.django_db
def test_a_correction_is_served_once_the_grant_ends(published, subscriber):
    fast = DownloadFastPath(django_application, grant_seconds=0)
    cookie = session_cookie(subscriber)
    url = f"/reports/{published.pk}/pdf/"
    assert _get(fast, url, cookie=cookie).body == PDF

    make_publication(published, data=b"%PDF corrected")

    assert _get(fast, url, cookie=cookie).body == b"%PDF corrected"


@pytest.mark.django_db
def test_altered_bytes_on_disk_are_never_served_from_memory(
    published, subscriber, fast, caplog
):
    publication = published.publications.get()
    Path(settings.MEDIA_ROOT, publication.pdf.name).write_bytes(b"%PDF tampered")

    _get(fast, f"/reports/{published.pk}/pdf/", cookie=session_cookie(subscriber))

    assert fast.bodies == {}
    assert "publication file altered" in caplog.text


@pytest.mark.django_db
def test_other_paths_and_methods_go_to_django(published, subscriber, fast):
    cookie = session_cookie(subscriber)
    assert _get(fast, "/healthz", cookie=cookie).status == 200
    options = _get(
        fast, f"/reports/{published.pk}/pdf/", method="OPTIONS", cookie=cookie
    )
    assert options.status == 405


# --- The download log ---------------------------------------------------------------


@pytest.mark.django_db
def test_every_download_is_logged_with_its_time_and_range(published, subscriber, fast):
    cookie = session_cookie(subscriber)
    url = f"/reports/{published.pk}/pdf/"
    before = dt.datetime.now(dt.UTC)
    for _ in range(3):
        _get(fast, url, cookie=cookie)
    _get(fast, url, cookie=cookie, range="bytes=0-9")
    _get(
        fast,
        url,
        cookie=cookie,
        if_none_match=f'"{published.publications.get().sha256}"',
    )
    _get(fast, url, method="HEAD", cookie=cookie)

    _flush(fast)

    rows = list(Download.objects.order_by("id").values_list("user", "byte_range", "at"))
    # The first download went through the lookup; all four were downloads.
    assert [(user, span) for user, span, _ in rows] == [
        (subscriber.pk, ""),
        (subscriber.pk, ""),
        (subscriber.pk, ""),
        (subscriber.pk, "bytes=0-9"),
    ]
    assert all(before <= at <= dt.datetime.now(dt.UTC) for _, _, at in rows)


@pytest.mark.django_db
def test_the_log_drops_rows_of_deleted_publications_and_forgets_deleted_users(
    published, subscriber, editor
):
    publication = published.publications.get()
    now = dt.datetime.now(dt.UTC)
    kept = downloads_write(
        [
            (publication.pk, subscriber.pk, "", now),
            (publication.pk + 1000, subscriber.pk, "", now),
            (publication.pk, editor.pk + 1000, "bytes=0-1", now),
        ]
    )

    assert kept == 2
    assert list(Download.objects.order_by("id").values_list("user", "byte_range")) == [
        (subscriber.pk, ""),
        (None, "bytes=0-1"),
    ]


@pytest.mark.django_db
def test_a_failed_write_keeps_the_rows_for_the_next_flush(published, monkeypatch):
    queue = DownloadQueue(every_seconds=3600)
    publication = published.publications.get()

    def down(rows):
        raise OSError("database away")

    async def scenario() -> None:
        queue.add(publication_id=publication.pk, user_id=None, span="")  # type: ignore[arg-type]
        monkeypatch.setattr(fastpath, "downloads_write", down)
        await queue.flush()
        assert len(queue.rows) == 1
        monkeypatch.setattr(fastpath, "downloads_write", downloads_write)
        await queue.flush()

    async_to_sync(scenario)()

    assert queue.rows == []
    assert Download.objects.filter(publication=publication).count() == 1


@pytest.mark.django_db
def test_a_full_queue_is_written_without_waiting_for_the_timer(published):
    queue = DownloadQueue(every_seconds=3600, most_rows=3)
    publication = published.publications.get()

    async def scenario() -> None:
        for _ in range(3):
            queue.add(publication_id=publication.pk, user_id=None, span="")  # type: ignore[arg-type]
        for _ in range(50):
            await asyncio.sleep(0.01)
            if not queue.rows and not queue._flushing:
                return

    async_to_sync(scenario)()

    assert Download.objects.filter(publication=publication).count() == 3

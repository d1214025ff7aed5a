"""The served shape for real: gunicorn, a uvicorn worker, osint.asgi.

Needs PostgreSQL (the server is another process on the test database), so
unlike tests/reports/test_fastpath.py it is not part of the embedded run.
"""

import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from reports.models import Download, Report
from tests.factories import make_report, session_cookie
from tests.reports.publishing_samples import make_publication
from tests.services import (
    ROOT,
    database_url_of_test_db,
    free_port,
    need_postgres,
    stop_process,
    wait_for,
)

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


class Server:
    """`make serve`'s web process (gunicorn, uvicorn worker, osint.asgi)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(
            os.environ,
            DATABASE_URL=database_url_of_test_db(),
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
            DEBUG="0",
            SECRET_KEY=settings.SECRET_KEY,
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_COOKIES="0",
        )
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "osint.asgi:application",
                "-k",
                "uvicorn_worker.UvicornWorker",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{self.port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(self._answers, timeout=30, interval=0.1)
        except AssertionError:
            self.stop()
            raise

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(f"{self.base}/healthz", timeout=2).close()
        except (urllib.error.URLError, ConnectionError):
            return False
        return True

    def stop(self) -> None:
        stop_process(self.process, timeout=30)


@pytest.fixture
def server(transactional_db) -> Iterator[Server]:
    need_postgres()
    running = Server()
    try:
        yield running
    finally:
        running.stop()


def test_downloads_through_the_real_server_are_logged_when_it_stops(server, subscriber):
    report = make_report(state=Report.State.PUBLISHED)
    publication = make_publication(report, data=PDF)
    ask = urllib.request.Request(
        f"{server.base}/reports/{report.pk}/pdf/",
        headers={"Cookie": session_cookie(subscriber)},
    )

    bodies = []
    for _ in range(5):
        with urllib.request.urlopen(ask, timeout=10) as response:
            bodies.append(response.read())
    server.stop()

    assert bodies == [PDF] * 5
    assert (
        Download.objects.filter(publication=publication, user=subscriber).count() == 5
    )

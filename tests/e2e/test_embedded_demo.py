"""The embedded default, end to end: no variable set, a fresh SQLite file, and
tasks run in-process. CI runs this file a second time that way (`-m embedded`)."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import ROOT

pytestmark = pytest.mark.embedded

EMBEDDED_ENV_DROP = {"DATABASE_URL", "CELERY_BROKER_URL", "ANTHROPIC_API_KEY"}


def manage(db_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in EMBEDDED_ENV_DROP}
    env["DATABASE_URL"] = f"sqlite:///{db_file}"
    env["MEDIA_ROOT"] = str(db_file.parent / "media")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db_file = tmp_path_factory.mktemp("embedded") / "desk.sqlite3"
    migrate = manage(db_file, "migrate", "--noinput")
    assert migrate.returncode == 0, migrate.stderr
    first = manage(db_file, "demo", "--password", "s3cret-demo")
    assert first.returncode == 0, first.stderr
    return db_file


def rows(db_file: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_file) as conn:
        return conn.execute(sql).fetchall()


def test_it_creates_the_demo_users_in_their_groups(demo_db: Path) -> None:
    found = rows(
        demo_db,
        "SELECT u.username, g.name FROM auth_user u "
        "JOIN auth_user_groups ug ON ug.user_id = u.id "
        "JOIN auth_group g ON g.id = ug.group_id ORDER BY u.username",
    )

    assert found == [
        ("analyst", "Analysts"),
        ("editor", "Editors"),
        ("editor2", "Editors"),
        ("subscriber", "Subscribers"),
    ]


def test_it_publishes_week_one_and_leaves_week_two_in_review(demo_db: Path) -> None:
    reports = rows(
        demo_db,
        "SELECT period_start, period_end, state FROM reports_report "
        "ORDER BY period_start",
    )

    assert reports == [
        ("2026-04-30", "2026-05-06", "published"),
        ("2026-05-07", "2026-05-14", "in_review"),
    ]


def test_it_had_week_one_approved_by_another_editor_than_its_author(
    demo_db: Path,
) -> None:
    (approver, author) = rows(
        demo_db,
        "SELECT a.username, au.username FROM reports_report r "
        "JOIN auth_user a ON a.id = r.approved_by_id "
        "JOIN reports_revision v ON v.id = r.approved_revision_id "
        "JOIN auth_user au ON au.id = v.author_id "
        "WHERE r.state = 'published'",
    )[0]

    assert approver == "editor2"
    assert author == "editor"


def test_it_lets_the_subscriber_download_the_published_pdf(demo_db: Path) -> None:
    (report_id, sha256) = rows(
        demo_db,
        "SELECT p.report_id, p.sha256 FROM reports_publication p",
    )[0]
    script = (
        "import hashlib; from django.test import Client; c = Client(); "
        "assert c.login(username='subscriber', password='s3cret-demo'); "
        f"r = c.get('/reports/{report_id}/pdf/'); "
        "body = b''.join(r.streaming_content) if r.streaming else r.content; "
        "print(r.status_code, r['Content-Type'], hashlib.sha256(body).hexdigest())"
    )

    result = manage(demo_db, "shell", "-c", script)

    assert result.returncode == 0, result.stderr
    status, content_type, digest = result.stdout.split()[-3:]
    assert (status, content_type) == ("200", "application/pdf")
    assert digest == sha256


def test_it_changes_nothing_the_second_time(demo_db: Path) -> None:
    tables = [
        name
        for (name,) in rows(
            demo_db,
            "SELECT name FROM sqlite_master WHERE type='table' "
            "AND name NOT LIKE 'sqlite_%' AND name != 'django_session'",
        )
    ]
    before = {t: rows(demo_db, f'SELECT * FROM "{t}"') for t in tables}

    again = manage(demo_db, "demo", "--password", "s3cret-demo")

    assert again.returncode == 0, again.stderr
    after = {t: rows(demo_db, f'SELECT * FROM "{t}"') for t in tables}
    assert after == before

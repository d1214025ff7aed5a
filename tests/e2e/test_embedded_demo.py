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

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db.utils import ConnectionHandler

from osint import settings as settings_module
from tests.services import ROOT


def run_check(**env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    full.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("DATABASE_URL", "mysql://root@127.0.0.1/x"),
        ("DEBUG", "maybe"),
        ("OSINT_DRAFTER", "gpt"),
        ("CELERY_BROKER_URL", "localhost:6379"),
    ],
)
def test_it_stops_on_a_bad_setting_with_one_line_naming_it(
    name: str, value: str
) -> None:
    result = run_check(**{name: value})

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert "Traceback" not in result.stderr


def test_it_refuses_production_without_a_secret_key() -> None:
    result = run_check(DEBUG="0", SECRET_KEY="", ALLOWED_HOSTS="desk.example")

    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr


def test_it_starts_with_no_variable_set() -> None:
    result = run_check()

    assert result.returncode == 0, result.stderr


def test_it_opens_the_embedded_sqlite_in_wal_with_rare_checkpoints(
    tmp_path: Path, django_db_blocker: Any
) -> None:
    config = settings_module._database_from_url(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    connections = ConnectionHandler({"default": config})
    # A connection of its own, to a new file: not the test database.
    try:
        with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
            values = {}
            for pragma in (
                "journal_mode",
                "synchronous",
                "wal_autocheckpoint",
                "journal_size_limit",
            ):
                cursor.execute(f"PRAGMA {pragma}")
                values[pragma] = cursor.fetchone()[0]
    finally:
        connections.close_all()

    # synchronous=1 is NORMAL: in WAL mode, no fsync on commit, only when a
    # checkpoint copies pages back; a checkpoint every 10,000 pages (about
    # 40 MB) leaves those syncs out of most commits; the WAL file is cut
    # back to 64 MB after one.
    assert values == {
        "journal_mode": "wal",
        "synchronous": 1,
        "wal_autocheckpoint": 10_000,
        "journal_size_limit": 64 * 1024 * 1024,
    }

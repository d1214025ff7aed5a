import os
import subprocess
import sys

import pytest

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

import json
import os
import subprocess
import sys

from tests.services import ROOT

SNIPPET = "import logging; logging.getLogger('feeds.fetching').warning('feed failed feed_id=%s', 7)"


def run_shell(**env: str) -> str:
    full = dict(os.environ, **env)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SNIPPET],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stderr


def test_it_writes_json_lines_when_asked() -> None:
    lines = [line for line in run_shell(LOG_FORMAT="json").splitlines() if line]

    record = json.loads(lines[-1])
    assert record["message"] == "feed failed feed_id=7"
    assert record["level"] == "WARNING"
    assert record["name"] == "feeds.fetching"
    assert "time" in record


def test_it_writes_readable_lines_by_default() -> None:
    output = run_shell(LOG_FORMAT="console")

    assert "WARNING" in output
    assert "feeds.fetching feed failed feed_id=7" in output

"""Access to the real services tests may need: PostgreSQL, Redis, a worker.

Without REQUIRE_SERVICES a test whose service is absent is skipped; with
REQUIRE_SERVICES=1 (as CI runs) it fails, so a green CI proves it ran.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def need(condition: bool, what: str) -> None:
    """Skip, or fail under REQUIRE_SERVICES=1, unless `condition` holds."""
    if condition:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


def need_postgres() -> None:
    need(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")


def need_broker() -> str:
    url = settings.CELERY_BROKER_URL
    need(bool(url) and url.startswith("redis"), "Redis broker (set CELERY_BROKER_URL)")
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url_of_test_db() -> str:
    """A DATABASE_URL naming the database this test run really uses."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db.get("USER") or "postgres"
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        return f"postgres://{user}@{host}:{port}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


@contextmanager
def celery_worker(
    *, queues: str = "celery", extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a real `celery -A osint worker` against the test database.

    Tests using it must commit their data (transactional tests), since the
    worker is another process with its own connection.
    """
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url_of_test_db()
    env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
    env.update(extra_env or {})
    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / f"worker-{os.getpid()}.log", "w+b")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "osint",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "-Q",
            queues,
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            log.seek(0)
            if b"ready." in log.read():
                break
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError("celery worker died:\n" + log.read().decode())
            time.sleep(0.2)
        else:
            raise RuntimeError("celery worker did not become ready in 30 s")
        yield proc
    finally:
        stop_process(proc)
        log.close()


def stop_process(proc: "subprocess.Popen[bytes]", *, timeout: float = 20) -> None:
    """Ask a server or worker to stop (SIGTERM, so it finishes its work),
    and kill it if it has not within `timeout` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for(
    predicate: object, *, timeout: float = 30.0, interval: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")

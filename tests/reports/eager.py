"""Run Celery tasks in-process for a test, whatever broker is configured.

Drafting tests that are not about the broker use it so that a draft request
runs its task right after commit, as the embedded desk does; the tests that
are about the broker use a real worker instead (tests.services).
"""

from collections.abc import Iterator

import pytest

from osint.celery import app


@pytest.fixture(name="in_process_tasks")
def in_process_tasks_fixture() -> Iterator[None]:
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before

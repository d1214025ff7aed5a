"""The Celery application, configured from Django settings (CELERY_* names)."""

import gc
import os
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osint.settings")

app = Celery("osint")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def settle_worker_heap() -> None:
    """Exempt what a worker holds once it has started (Django, the apps, their
    modules: a few hundred thousand objects) from the cyclic garbage collector.

    Left in, every full collection walks all of them again, though none will
    ever be garbage; on ingest work that was several per cent of the CPU. A
    forked pool process shares those pages with its parent for longer, too.
    """
    gc.collect()
    gc.freeze()


# In the main process (the pool's processes inherit its frozen heap when
# forked) and in each pool process, for what it made at its own start.
@worker_init.connect
@worker_process_init.connect
def _settle_started_worker(**kwargs: Any) -> None:
    settle_worker_heap()

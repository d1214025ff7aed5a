import gc
import weakref
from collections.abc import Iterator

import pytest
from celery.signals import worker_init, worker_process_init

from osint.celery import _settle_started_worker, settle_worker_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.embedded
def test_settling_exempts_what_the_worker_holds_from_the_collector(
    unfrozen: None,
) -> None:
    settle_worker_heap()

    assert gc.get_freeze_count() > 10_000
    # New objects are still collected.
    assert gc.get_count()[0] < gc.get_threshold()[0]


@pytest.mark.embedded
def test_every_worker_process_settles_its_heap_once_started(unfrozen: None) -> None:
    worker_process_init.send(sender=None)

    assert gc.get_freeze_count() > 10_000


@pytest.mark.embedded
def test_the_main_worker_process_settles_its_heap_too() -> None:
    connected = [
        ref() if isinstance(ref, weakref.ReferenceType) else ref
        for _key, ref in worker_init.receivers
    ]

    assert _settle_started_worker in connected

"""Celery tasks for feeds: thin wrappers that take ids and call the domain.

Celery beat runs `enqueue_due_feeds` every minute (see CELERY_BEAT_SCHEDULE);
it queues one `fetch_feed` per due feed after its claim commits.
"""

import logging
from functools import partial

from celery import shared_task
from celery.app.task import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction

from feeds.scheduling import Refused, feed_fetch_leased, feeds_claim_due

logger = logging.getLogger(__name__)

# The fetch has its own 30 s deadline; parsing and storing a 10 MiB feed fit
# well inside the soft limit, and the lease (150 s) outlives the hard one.
SOFT_TIME_LIMIT = 75
HARD_TIME_LIMIT = 100
HOST_BUSY_RETRY_S = 20


@shared_task(name="feeds.tasks.enqueue_due_feeds", ignore_result=True)
def enqueue_due_feeds() -> int:
    with transaction.atomic():
        feed_ids = feeds_claim_due()
        for feed_id in feed_ids:
            transaction.on_commit(partial(fetch_feed.delay, feed_id))
    if feed_ids:
        logger.info("feeds queued count=%s", len(feed_ids))
    return len(feed_ids)


@shared_task(
    name="feeds.tasks.fetch_feed",
    bind=True,
    ignore_result=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=HARD_TIME_LIMIT,
    max_retries=30,
)
def fetch_feed(self: Task, feed_id: int) -> str:
    try:
        outcome = feed_fetch_leased(feed_id=feed_id)
    except SoftTimeLimitExceeded:
        logger.warning("feed fetch ran out of time feed_id=%s", feed_id)
        return "timeout"
    if outcome is Refused.HOST_BUSY:
        # The host already has its share of requests in flight.
        raise self.retry(countdown=HOST_BUSY_RETRY_S)
    if isinstance(outcome, Refused):
        return outcome.value
    return outcome.result.value

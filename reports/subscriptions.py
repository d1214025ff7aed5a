"""What readers subscribe to: followed topics and their Atom feed token.

Following a topic means an e-mail for each of its publications; the feed
token lets a feed reader fetch the reader's publications without a session.
A reader holds at most one live feed token: issuing a new one revokes the
old, so a leaked address is fixed by one click.
"""

import logging
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from reports.models import AccessToken, Publication, Topic, TopicFollow
from reports.publishing import visible_publications
from reports.roles import Capability, require
from reports.tokens import token_issue, token_revoke

logger = logging.getLogger(__name__)

FEED_ENTRIES = 30


@transaction.atomic
def topic_follow(*, user: Any, topic: Topic) -> TopicFollow:
    require(user, Capability.READ_PUBLISHED)
    follow, created = TopicFollow.objects.get_or_create(user=user, topic=topic)
    if created:
        logger.info("topic followed user=%s topic=%s", user.pk, topic.slug)
    return follow


@transaction.atomic
def topic_unfollow(*, user: Any, topic: Topic) -> None:
    require(user, Capability.READ_PUBLISHED)
    deleted, _ = TopicFollow.objects.filter(user=user, topic=topic).delete()
    if deleted:
        logger.info("topic unfollowed user=%s topic=%s", user.pk, topic.slug)


def followed_topic_ids(user: Any) -> set[int]:
    return set(TopicFollow.objects.filter(user=user).values_list("topic_id", flat=True))


def live_feed_token(user: Any) -> AccessToken | None:
    return (
        AccessToken.objects.filter(
            user=user, kind=AccessToken.Kind.FEED, revoked_at__isnull=True
        )
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def feed_token_issue(*, user: Any) -> tuple[AccessToken, str]:
    """A new feed token (its secret is shown once); older ones stop working."""
    require(user, Capability.READ_PUBLISHED)
    feed_token_revoke(user=user)
    return token_issue(user=user, kind=AccessToken.Kind.FEED, name="Atom feed")


@transaction.atomic
def feed_token_revoke(*, user: Any) -> int:
    """Revoke every live feed token of the user; returns how many."""
    live = AccessToken.objects.select_for_update().filter(
        user=user, kind=AccessToken.Kind.FEED, revoked_at__isnull=True
    )
    count = 0
    for token in live:
        token_revoke(token=token)
        count += 1
    return count


def feed_publications(user: Any) -> QuerySet[Publication]:
    """The newest publications for the user's feed: those of the topics they
    follow, or of every topic when they follow none."""
    rows = visible_publications(user)
    topics = followed_topic_ids(user)
    if topics:
        rows = rows.filter(report__topic_id__in=topics)
    return rows.order_by("-published_at", "-id")[:FEED_ENTRIES]
